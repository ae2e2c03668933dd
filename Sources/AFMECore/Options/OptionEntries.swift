// The shared entries of the option table (OptionTable.swift explains the table); each model kind
// declares its own options in its folder (ModelKindEntry.options) and the table lists them after these.
// Names are the C header's field names; `experimental.` marks levers that measured as losses
// (BENCHMARKS.md, docs/MODEL.md) and are kept only to reproduce those measurements.

public enum OptionTable {
    public static let all: [OptionSpec] = shared + ModelRegistry.entries.flatMap(\.options)
    private static let byName: [String: [OptionSpec]] = Dictionary(grouping: all, by: \.name)
    /// The option `name` as `kind` reads it. A name may be declared by several kinds (noise_dim for every
    /// kind with a generator), each entry with its own kinds and key path; the type is the same for all
    /// of them (OptionTableTests). Without a kind, or for a kind none of them applies to: the first.
    public static func named(_ name: String, kind: String? = nil) -> OptionSpec? {
        guard let specs = byName[name] else { return nil }
        if let kind, let s = specs.first(where: { $0.applies(to: kind) }) { return s }
        return specs.first
    }

    static let every: [String] = []

    /// Shared options a checkpoint stores (the architecture); a kind's own options are all stored.
    static let sharedStored = ["dim", "gamma", "epsilon"]
    private static let sharedNames = Set(shared.map(\.name))

    /// The options whose values a checkpoint of `kind` records in its CONF section.
    static func stored(for kind: String) -> [OptionSpec] {
        all.filter {
            sharedStored.contains($0.name)
                || (!sharedNames.contains($0.name) && !$0.kinds.isEmpty && $0.applies(to: kind))
        }
    }

    /// The structural kinds, for the shared training options only their trainer reads.
    static let structural = ["rotate", "transe", "rotate_l2"]

    static let shared: [OptionSpec] = [
        int("dim", \.training.dim, 1...65536, every, "embedding dim (complex dims for RotatE)"),
        real("gamma", \.training.gamma, 0...1e6, lowerOpen: true, every, "margin γ of the score γ − distance"),
        real("epsilon", \.training.epsilon, 0...1e6, every, "ε of the RotatE initialisation range (γ + ε) / dim"),
        int("negatives", \.training.negatives, 1...4096, every, "negatives per positive"),
        int("batch_size", \.training.batchSize, 1...(1 << 20), every, "positives per step"),
        int("epochs", \.training.epochs, 0...1_000_000, every, "maximum epochs"),
        real(
            "learning_rate", \.training.learningRate, 0...10, lowerOpen: true, upperOpen: true, every,
            "Adam learning rate"),
        real(
            "adversarial_temperature", \.training.adversarialTemperature, 0...1e6, every,
            "self-adversarial temperature α; 0 weights negatives uniformly"),
        choice(
            "experimental.loss", \.training.loss, ["self_adversarial", "margin"], every,
            "loss of distance models: self-adversarial sigmoid or margin ranking (ranks at chance, BENCHMARKS.md)"),
        real(
            "experimental.margin", \.training.margin, 0...1e6, lowerOpen: true, every,
            "m of the margin loss max(0, m + d⁺ − d⁻)"),
        real("l2", \.training.l2, 0...1e6, every, "L2 penalty on the rows of positive triples; 0 = off"),
        OptionSpec(
            name: "seed", type: .unsigned, kinds: every, doc: "random seed",
            read: { String($0.training.seed) }, write: { r, v in if case .unsigned(let s) = v { r.training.seed = s } }),
        int(
            "threads", \.training.threads, 0...1024, every,
            "threads of this model's training and evaluation; 0 = all cores"),
        int("validate_every", \.training.validateEvery, 0...1_000_000, every, "validate every N epochs; 0 = never"),
        int(
            "patience", \.training.patience, 0...1_000_000, every,
            "validations without improvement before stopping; 0 = never"),
        choice(
            "validation_ties", \.training.validationTies, ["realistic", "optimistic", "pessimistic", "openke"], every,
            "tie handling of the early-stopping metric"),
        int(
            "validation_limit", \.training.validationLimit, 0...Int(Int32.max), every,
            "cap on validation triples; 0 = all"),
        double(
            "time_limit_seconds", \.training.timeLimitSeconds, 0...1e9, every,
            "bound on the whole run (epochs, validation, post-training); 0 = none"),
        flag(
            "bernoulli_negatives", \.bernoulliNegatives, every, "per-relation Bernoulli corruption instead of uniform"),
        flag("filter_negatives", \.training.filterNegatives, every, "redraw negatives that are known training triples"),
        choice(
            "optimizer", \.training.entityOptimizer, ["adam", "rowwise_adagrad"], structural,
            "entity-table optimiser: lazy Adam, or row-wise Adagrad (one state value per row; RotatE at dim 250: learning_rate 0.01)"
        ),
        int(
            "shared_negatives", \.training.sharedNegatives, 0...(1 << 20), structural,
            "positives per chunk sharing one draw of negatives; 0 = each positive draws its own"),
    ]

    // MARK: Entry builders (public: a kind declares its options with them, in its own folder)

    public static func int(
        _ name: String, _ kp: WritableKeyPath<ModelRequest, Int>, _ range: ClosedRange<Int>, _ kinds: [String],
        _ doc: String
    ) -> OptionSpec {
        OptionSpec(
            name: name, type: .integer(range), kinds: kinds, doc: doc, read: { String($0[keyPath: kp]) },
            write: { r, v in if case .integer(let x) = v { r[keyPath: kp] = x } })
    }

    public static func real(
        _ name: String, _ kp: WritableKeyPath<ModelRequest, Float>, _ range: ClosedRange<Double>,
        lowerOpen: Bool = false, upperOpen: Bool = false, _ kinds: [String], _ doc: String
    ) -> OptionSpec {
        OptionSpec(
            name: name, type: .real(range, lowerOpen: lowerOpen, upperOpen: upperOpen), kinds: kinds, doc: doc,
            read: { "\($0[keyPath: kp])" }, write: { r, v in if case .real(let x) = v { r[keyPath: kp] = Float(x) } })
    }

    public static func double(
        _ name: String, _ kp: WritableKeyPath<ModelRequest, Double>, _ range: ClosedRange<Double>,
        _ kinds: [String], _ doc: String
    ) -> OptionSpec {
        OptionSpec(
            name: name, type: .real(range, lowerOpen: false, upperOpen: false), kinds: kinds, doc: doc,
            read: { "\($0[keyPath: kp])" }, write: { r, v in if case .real(let x) = v { r[keyPath: kp] = x } })
    }

    public static func flag(
        _ name: String, _ kp: WritableKeyPath<ModelRequest, Bool>, _ kinds: [String], _ doc: String
    ) -> OptionSpec {
        OptionSpec(
            name: name, type: .flag, kinds: kinds, doc: doc, read: { $0[keyPath: kp] ? "true" : "false" },
            write: { r, v in if case .flag(let x) = v { r[keyPath: kp] = x } })
    }

    /// A choice among an enum's cases; `names[i]` names the case with raw value i (the C enum's value).
    public static func choice<E: RawRepresentable>(
        _ name: String, _ kp: WritableKeyPath<ModelRequest, E>, _ names: [String],
        _ kinds: [String], _ doc: String
    ) -> OptionSpec where E.RawValue == Int {
        OptionSpec(
            name: name, type: .choice(names), kinds: kinds, doc: doc,
            read: { names[$0[keyPath: kp].rawValue] },
            write: { r, v in if case .choice(let i) = v, let e = E(rawValue: i) { r[keyPath: kp] = e } })
    }
}

extension ModelRequest {
    var bernoulliNegatives: Bool {
        get { training.negativeSampling == .bernoulli }
        set { training.negativeSampling = newValue ? .bernoulli : .uniform }
    }
}
