// The option table: every training option declared once — name, type and range, default, the model
// kinds it applies to, one line of doc. The C ABI's afme_params_set, the CLI's --set and --list-options,
// Python's keywords and afme.options(), and the header's option list all come from it or are checked
// against it (OptionTableTests, Tests/c/run.sh). Defaults are not written here: each is read from a
// fresh ModelRequest, so the Swift configs stay the one source of default values.

/// What training is asked to build: a model kind by name and the settings its options edit.
public struct ModelRequest: Equatable {
    /// A registry name: "rotate", "transe", "rotate_l2" (structural) or "afme".
    public var kind: String
    public var training = TrainingConfig()
    public var afme = AFMEConfig()
    /// The configurations of kinds that keep theirs by key (`request[key]`), so a new kind with a config
    /// struct of its own adds no field here: its options' key paths go through the subscript.
    var kindConfigurations: [String: any KindConfiguration] = [:]

    /// The configuration `key` names; a fresh one (its defaults) if none was set.
    public subscript<C: KindConfiguration>(key: KindConfigurationKey<C>) -> C {
        get { kindConfigurations[key.name] as? C ?? C() }
        set { kindConfigurations[key.name] = newValue }
    }

    public static func == (a: ModelRequest, b: ModelRequest) -> Bool {
        a.kind == b.kind && a.training == b.training && a.afme == b.afme
            && Set(a.kindConfigurations.keys).union(b.kindConfigurations.keys).allSatisfy { k in
                // An unset configuration is its defaults.
                switch (a.kindConfigurations[k], b.kindConfigurations[k]) {
                case (let x?, let y?): return x.isEqual(to: y)
                case (let x?, nil): return x.isEqual(to: type(of: x).init())
                case (nil, let y?): return y.isEqual(to: type(of: y).init())
                case (nil, nil): return true
                }
            }
    }

    public init(kind: String = "rotate") throws {
        guard let k = ModelKinds.named(kind) else {
            throw DataError(
                .invalidArgument,
                "unknown model kind \(quoted(kind)); the kinds are \(ModelKinds.names.joined(separator: ", "))")
        }
        self.kind = k.name
        if let score = k.scoreFunction { training.scoreFunction = score }
    }

}

/// A kind's own configuration struct, stored in a `ModelRequest` under a `KindConfigurationKey`.
public protocol KindConfiguration: Sendable {
    init()
    func isEqual(to other: any KindConfiguration) -> Bool
}

extension KindConfiguration where Self: Equatable {
    public func isEqual(to other: any KindConfiguration) -> Bool { (other as? Self) == self }
}

/// Names where a kind's configuration lives in a request (one per kind, declared in its folder).
public struct KindConfigurationKey<C: KindConfiguration>: Hashable, Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// The model kinds training can build, by name (each declared by its registry entry).
public enum ModelKinds {
    public struct Kind {
        public let name: String
        public let scoreFunction: ScoreFunctionKind?
        public let doc: String
        public init(name: String, scoreFunction: ScoreFunctionKind?, doc: String) {
            self.name = name; self.scoreFunction = scoreFunction; self.doc = doc
        }
    }
    public static let all: [Kind] = ModelRegistry.entries.flatMap(\.kinds)
    public static var names: [String] { all.map(\.name) }
    public static func named(_ name: String) -> Kind? {
        let n = name.lowercased().replacingDashes()
        return all.first { $0.name == n } ?? (n == "structural" ? all[0] : nil)
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// An option's type and domain.
public enum OptionType {
    case integer(ClosedRange<Int>)
    case unsigned  // any UInt64 (seeds)
    case real(ClosedRange<Double>, lowerOpen: Bool, upperOpen: Bool)
    case flag
    case choice([String])

    /// The domain as the docs and error messages show it.
    public var domain: String {
        switch self {
        case .integer(let r): return "integer in \(r.lowerBound)...\(r.upperBound)"
        case .unsigned: return "integer in 0...\(UInt64.max)"
        case .real(let r, let lo, let hi):
            func f(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
            return "number in \(lo ? "(" : "[")\(f(r.lowerBound)), \(f(r.upperBound))\(hi ? ")" : "]")"
        case .flag: return "true or false"
        case .choice(let names): return "one of " + names.joined(separator: ", ")
        }
    }

    public var typeName: String {
        switch self {
        case .integer: return "int"
        case .unsigned: return "uint64"
        case .real: return "float"
        case .flag: return "bool"
        case .choice: return "choice"
        }
    }
}

/// A parsed option value.
enum OptionValue {
    case integer(Int), unsigned(UInt64), real(Double), flag(Bool), choice(Int)
}

public struct OptionSpec {
    public let name: String
    public let type: OptionType
    /// Model kinds that read this option; empty = every kind.
    public let kinds: [String]
    public let doc: String
    let read: (ModelRequest) -> String
    let write: (inout ModelRequest, OptionValue) -> Void

    public var appliesToEveryKind: Bool { kinds.isEmpty }
    public func applies(to kind: String) -> Bool { kinds.isEmpty || kinds.contains(kind) }
    /// The default, read from a fresh request of a kind the option applies to.
    public var defaultValue: String { read(try! ModelRequest(kind: kinds.first ?? "rotate")) }
    public var isExperimental: Bool { name.hasPrefix("experimental.") }

    /// Sets this option in `request` from its text form (domain checked; the kind is not).
    public func apply(_ text: String, to request: inout ModelRequest) throws { write(&request, try parse(text)) }

    /// The text form of this option's value in `request`.
    public func value(in request: ModelRequest) -> String { read(request) }

    /// Parses `text` against the type and domain; throws a message that names the option and its domain.
    func parse(_ text: String) throws -> OptionValue {
        let t = text.trimmingASCIIWhitespace()
        func bad(_ kind: DataError.Kind = .invalidArgument) -> DataError {
            DataError(kind, "option \(name) = \(quoted(t)): expected \(type.domain)")
        }
        switch type {
        case .integer(let r):
            guard let v = Int(t), r.contains(v) else { throw bad() }
            return .integer(v)
        case .unsigned:
            guard let v = UInt64(t) else { throw bad() }
            return .unsigned(v)
        case .real(let r, let lo, let hi):
            guard let v = Double(t) else { throw bad() }
            if !v.isFinite { throw bad(.nonFinite) }
            guard r.contains(v), !(lo && v == r.lowerBound), !(hi && v == r.upperBound) else { throw bad() }
            return .real(v)
        case .flag:
            switch t.lowercased() {
            case "1", "true", "yes", "on": return .flag(true)
            case "0", "false", "no", "off": return .flag(false)
            default: throw bad()
            }
        case .choice(let names):
            guard let i = names.firstIndex(of: t.lowercased().replacingDashes()) else { throw bad() }
            return .choice(i)
        }
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        String(Substring(self).trimmingWhitespace())
    }
}

extension ModelRequest {
    /// Sets option `name` from its text form. Unknown names, options of another kind and bad values are
    /// refused with a message listing the valid names or the domain.
    public mutating func set(_ name: String, _ value: String) throws {
        let key = name.trimmingASCIIWhitespace().lowercased()
        guard let spec = OptionTable.named(key, kind: kind) else {
            let valid = OptionTable.all.filter { $0.applies(to: kind) }.map(\.name).joined(separator: ", ")
            throw DataError(
                .invalidArgument, "unknown option \(quoted(key)) for model \(kind); valid options: \(valid)")
        }
        guard spec.applies(to: kind) else {
            let kinds = OptionTable.all.filter { $0.name == spec.name }.flatMap(\.kinds)
            throw DataError(
                .invalidArgument,
                "option \(spec.name) applies to \(kinds.joined(separator: ", ")), not to model \(kind)")
        }
        spec.write(&self, try spec.parse(value))
    }

    /// The text form of option `name`'s current value.
    public func get(_ name: String) throws -> String {
        guard let spec = OptionTable.named(name.lowercased(), kind: kind) else {
            throw DataError(.invalidArgument, "unknown option \(quoted(name))")
        }
        return spec.read(self)
    }

    /// Every check of the configs (the table's ranges are checked when set; these catch combinations).
    public func validate() throws {
        try training.validate()
        try ModelRegistry.entry(for: kind)?.validate(self)
    }
}
