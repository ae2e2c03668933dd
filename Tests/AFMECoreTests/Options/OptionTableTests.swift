// The option table against the Swift configs it edits: every config field has exactly one option, the
// domain's edges are accepted by the configs' own validation and values just outside are refused, and
// defaults round-trip through the text form. A field added to a config without an option fails here.
import XCTest
import AFMECore

final class OptionTableTests: XCTestCase {
    /// Config fields whose option is not the snake_case of their name.
    static let renamed = [
        "scoreFunction": "score_function", "negativeSampling": "bernoulli_negatives", "gateRelation": "gate_reading",
        "guide": "guide_reading", "interModalIncludesSelf": "intermodal_includes_self",
        "enhanceAll": "experimental.enhance_all", "completionDropout": "experimental.completion_dropout",
        "syntheticNegativeWeight": "experimental.synthetic_negative_weight", "loss": "experimental.loss",
        "margin": "experimental.margin", "attention": "attention_vectors", "groups": "adversarial_groups",
        "entityOptimizer": "optimizer",
    ]
    /// TrainingConfig fields only the structural trainer reads.
    static let structuralOnly: Set = ["optimizer", "shared_negatives"]
    /// TrainingConfig fields the host program supplies, which are not options (data-parallel training's
    /// collective comes from afme_model_train_distributed).
    static let notOptions: Set = ["collective"]

    static func snake(_ s: String) -> String {
        s.reduce(into: "") { out, c in if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) } }
    }

    func testEveryConfigFieldHasOneOptionAndEveryOptionAField() {
        func names(_ config: Any) -> [String] {
            Mirror(reflecting: config).children.map { Self.renamed[$0.label!] ?? Self.snake($0.label!) }
        }
        let shared = names(TrainingConfig()).filter { !Self.notOptions.contains($0) }
        let kinds: [(String, [String])] = [
            ("rotate", []), ("afme", names(AFMEConfig())), ("adamf_mat", names(AdaMFMATConfig())),
            ("native", names(NATIVEConfig())),
        ]
        for (kind, fields) in kinds {
            // score_function is AFME's option; the other kinds fix their score by their name.
            let all =
                shared.filter {
                    (kind == "afme" || $0 != "score_function")
                        && (kind == "rotate" || !Self.structuralOnly.contains($0))
                } + fields
            XCTAssertEqual(Set(all).count, all.count, kind)
            let options = OptionTable.all.filter { $0.applies(to: kind) }.map(\.name)
            XCTAssertEqual(Set(all), Set(options), "\(kind): config fields and options drifted apart")
            XCTAssertEqual(options.count, Set(options).count, "\(kind): option names are unique per kind")
        }
        // A name several kinds declare has one type (the bindings check values by name alone).
        for (name, specs) in Dictionary(grouping: OptionTable.all, by: \.name) where specs.count > 1 {
            XCTAssertEqual(Set(specs.map(\.type.typeName)).count, 1, "\(name) has one type")
            XCTAssertEqual(
                Set(specs.flatMap(\.kinds)).count, specs.flatMap(\.kinds).count, "\(name): one entry per kind")
        }
    }

    func testDomainEdgesAreAcceptedAndValuesOutsideRefused() throws {
        for o in OptionTable.all {
            var r = try ModelRequest(kind: o.kinds.first ?? "rotate")
            var inside: [String] = [], outside: [String] = []
            switch o.type {
            case .integer(let range):
                inside = [String(range.lowerBound), String(range.upperBound)]
                outside = [String(range.lowerBound - 1), String(range.upperBound + 1), "1.5", "x"]
            case .real(let range, let lo, let hi):
                let span = range.upperBound - range.lowerBound
                inside = [
                    String(lo ? range.lowerBound + span * 1e-6 : range.lowerBound),
                    String(hi ? range.upperBound - span * 1e-6 : range.upperBound),
                ]
                outside = [
                    String(lo ? range.lowerBound : range.lowerBound - span * 1e-3 - 1e-6),
                    String(hi ? range.upperBound : range.upperBound + span * 1e-3 + 1e-6), "nan", "inf", "x",
                ]
            case .unsigned: inside = ["0", String(UInt64.max)]; outside = ["-1", "18446744073709551616"]
            case .flag: inside = ["true", "0"]; outside = ["2", "maybe"]
            case .choice(let names): inside = names; outside = ["nope", "0"]
            }
            for v in inside {
                XCTAssertNoThrow(try r.set(o.name, v), "\(o.name) = \(v) is inside its domain")
                if o.name != "attention_tokens" {  // must also divide the row width: a combination, not a domain
                    XCTAssertNoThrow(try r.validate(), "\(o.name) = \(v): the table accepts what the config refuses")
                }
                r = try ModelRequest(kind: o.kinds.first ?? "rotate")
            }
            for v in outside {
                XCTAssertThrowsError(try r.set(o.name, v), "\(o.name) = \(v) is outside its domain")
                XCTAssertEqual(try r.get(o.name), o.defaultValue, "a refused value changes nothing")
            }
        }
    }

    func testDefaultsRoundTripAndUnknownKeysListTheValidOnes() throws {
        for kind in ModelKinds.names {
            var k = try ModelRequest(kind: kind)
            let before = k
            for o in OptionTable.all where o.applies(to: kind) { try k.set(o.name, o.defaultValue) }
            XCTAssertEqual(k, before, "\(kind): setting every default changes nothing")
        }
        var r = try ModelRequest(kind: "afme")
        do { try r.set("atention_layers", "2"); XCTFail("accepted") } catch let e as DataError {
            XCTAssertTrue(e.reason.contains("valid options:") && e.reason.contains("attention_layers"), e.reason)
        }
        var s = try ModelRequest(kind: "transe")
        XCTAssertEqual(s.training.scoreFunction, .transE)
        XCTAssertThrowsError(try s.set("fusion", "concat"), "an AFME option on a structural kind")
        XCTAssertThrowsError(try ModelRequest(kind: "rotatee"))
    }
}

/// A kind's own configuration, kept in the request under its key: no field of `ModelRequest` names it.
struct ToyKindConfig: KindConfiguration, Equatable {
    static let key = KindConfigurationKey<ToyKindConfig>("toy")
    var width = 3
    var scale: Float = 0.5
}

final class KindConfigurationTests: XCTestCase {
    func testAKindsOwnConfigurationIsReachedThroughOptionsWithoutARequestField() throws {
        let width = OptionTable.int("toy_width", \ModelRequest.[ToyKindConfig.key].width, 1...10, [], "toy width")
        let scale = OptionTable.real(
            "toy_scale", \ModelRequest.[ToyKindConfig.key].scale, 0...1, lowerOpen: true, [], "toy scale")
        var r = try ModelRequest(kind: "rotate")
        let fresh = r
        XCTAssertEqual(width.value(in: r), "3", "defaults come from the config's own initialiser")
        XCTAssertEqual(scale.value(in: r), "0.5")
        try width.apply("7", to: &r)
        try scale.apply("0.25", to: &r)
        XCTAssertEqual(r[ToyKindConfig.key], ToyKindConfig(width: 7, scale: 0.25))
        XCTAssertNotEqual(r, fresh, "requests differing in a kind's config are not equal")
        var same = fresh
        same[ToyKindConfig.key] = ToyKindConfig(width: 7, scale: 0.25)
        XCTAssertEqual(r, same)
        XCTAssertThrowsError(try width.apply("11", to: &r)) { XCTAssertTrue("\($0)".contains("1...10"), "\($0)") }
        XCTAssertThrowsError(try scale.apply("0", to: &r))
        XCTAssertEqual(r[ToyKindConfig.key].width, 7, "a refused value changes nothing")
    }
}
