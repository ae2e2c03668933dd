// AdaMF-MAT and NATIVE (the weighted-fusion kinds): gradients of every new layer against finite
// differences, each beating structure-only RotatE on the built-in graph, bit-identical checkpoint
// round trips, the option refusals, and the property that makes NATIVE's gradient penalty a constant.
import XCTest
import AFMECore

final class WeightedFusionTests: XCTestCase {
    func tinyGraph() throws -> KnowledgeGraph {
        var spec = SyntheticGraphSpec()
        spec.entities = 40; spec.relations = 3; spec.modalityDims = [6, 5]; spec.missingFractions = [0.25, 0.5]
        return try SyntheticGraph.make(spec)
    }

    func tinyRequest(_ kind: String) throws -> ModelRequest {
        var r = try ModelRequest(kind: kind)
        r.training.dim = 8; r.training.negatives = 4; r.training.batchSize = 16; r.training.epochs = 2
        r.training.validateEvery = 0; r.training.threads = 1; r.training.seed = 9
        try r.set("noise_dim", "4"); try r.set("generator_hidden", "6")
        try r.set("adversarial_weight", "0.5")
        return r
    }

    func model(
        _ kind: String, _ kg: KnowledgeGraph, _ edit: (inout ModelRequest) throws -> Void = { _ in }
    ) throws
        -> WeightedFusionModel
    {
        var r = try tinyRequest(kind)
        try edit(&r)
        r.training.epochs = 0
        let (m, _) = try ModelRegistry.train(graph: kg, request: r)
        return try XCTUnwrap(m as? WeightedFusionModel)
    }

    /// Central differences on a few entries of each parameter tensor, in place.
    func checkParameterGradients(
        _ name: String, _ params: [Var], perTensor: Int = 4, h: Float = 5e-3, rtol: Float = 3e-2, atol: Float = 2e-3,
        _ loss: () -> Var
    ) {
        let grads = gradients(of: loss(), wrt: params)
        var checked = 0, moved = 0
        for (k, p) in params.enumerated() {
            let n = p.value.count
            for i in Set((0..<perTensor).map { ($0 * 7919 + k * 31) % n }).sorted() {
                let original = p.value.data[i]
                p.withMutableData { $0[i] = original + h }
                let fp = loss().value.scalar
                p.withMutableData { $0[i] = original - h }
                let fm = loss().value.scalar
                p.withMutableData { $0[i] = original }
                let numeric = (fp - fm) / (2 * h), analytic = grads[k].value.data[i]
                checked += 1
                if abs(analytic) > 1e-6 { moved += 1 }
                if abs(numeric - analytic) > atol + rtol * abs(numeric) {
                    return XCTFail("\(name): \(p.name ?? "?")[\(i)]: analytic \(analytic), numeric \(numeric)")
                }
            }
        }
        XCTAssertGreaterThan(checked, 0, name)
        XCTAssertGreaterThan(moved, 0, "\(name): every checked gradient is zero")
    }

    func parameters(_ m: WeightedFusionModel, matching prefix: String) -> [Var] {
        m.parameters.vars.enumerated().filter { m.parameters.names[$0.offset].hasPrefix(prefix) }.map(\.element)
    }

    /// Projections (one and two layers), attention vectors (per modality and shared) and relation
    /// temperatures, through the joint rows of (entity, relation) pairs.
    func testFusionGradientsMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        let ents = [0, 3, 5, 3, 9, 12], rels = [0, 1, 2, 2, 1, 0]
        for (kind, edit) in [
            ("adamf_mat", { (_: inout ModelRequest) in }),
            ("adamf_mat", { (r: inout ModelRequest) in try r.set("attention_vectors", "shared") }),
            ("native", { (_: inout ModelRequest) in }),
        ] as [(String, (inout ModelRequest) throws -> Void)] {
            let m = try model(kind, kg, edit)
            let fusion =
                parameters(m, matching: "modality.") + parameters(m, matching: "attention.")
                + parameters(m, matching: "temperature")
            if kind == "native" { XCTAssertFalse(parameters(m, matching: "temperature").isEmpty) }
            // Small steps: the two-layer projection's ReLU kinks sit within ±5e-3 of some inputs.
            checkParameterGradients("\(kind) fusion", fusion, h: 5e-4, atol: 3e-3) {
                m.fusionProbe(entities: ents, relations: rels, seed: 1)
            }
        }
    }

    /// The RotatE distance of the fake-triple objectives, with respect to heads, tails and phases.
    func testDistanceGradientsMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        let m = try model("native", kg)
        let W = m.score.entityWidth, rows = [0, 2, 1]
        var rng = SplitMix64(seed: 4)
        let h = randomTensor([3, W], &rng, scale: 0.5), t = randomTensor([3, W], &rng, scale: 0.5)
        checkGradients("distance", inputs: [h, t]) { v in project(m.rotatEDistance(v[0], v[1], relationRows: rows)) }
        checkParameterGradients("distance phases", [m.relations]) {
            project(m.rotatEDistance(Var(h), Var(t), relationRows: rows))
        }
    }

    /// Eq. 10–11 (both generator readings) and the Wasserstein terms: the discriminator side reaches the
    /// fusion layers and relations, the generator side the generator.
    func testFakeTripleObjectivesMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        let triples = Array(kg.train.prefix(5))
        let cases: [(String, FakeTripleObjective)] = [
            ("adamf_mat", ModalityAdversarialObjective(generator: .saturating)),
            ("adamf_mat", ModalityAdversarialObjective(generator: .nonSaturating)),
            ("native", WassersteinObjective()),
        ]
        for (kind, objective) in cases {
            let m = try model(kind, kg)
            let d = parameters(m, matching: "modality.") + parameters(m, matching: "attention.") + [m.relations]
            checkParameterGradients("\(kind) \(objective) discriminator", d, h: 5e-4, atol: 3e-3) {
                m.fakeTripleProbe(triples, objective: objective, groups: 2, seed: 3).discriminator
            }
            checkParameterGradients(
                "\(kind) \(objective) generator", parameters(m, matching: "generator."), h: 5e-4, atol: 3e-3
            ) {
                m.fakeTripleProbe(triples, objective: objective, groups: 2, seed: 3).generator
            }
        }
    }

    /// Why NATIVE has no gradient-penalty term: the released code takes (‖∂F/∂h‖ − 1)² at interpolated
    /// heads, and for RotatE ‖∂F/∂h‖ = √dim everywhere (each complex coordinate's residual has a unit
    /// gradient and |r| = 1), so the penalty is a constant.
    func testRotatEHeadGradientNormIsTheSquareRootOfDim() throws {
        let kg = try tinyGraph()
        let m = try model("native", kg)
        let W = m.score.entityWidth, columns = m.score.entityColumns
        var rng = SplitMix64(seed: 11)
        var h = randomTensor([6, W], &rng, scale: 2), t = randomTensor([6, W], &rng, scale: 2)
        for i in 0..<6 {
            for j in 0..<W where !columns.contains(where: { $0.contains(j) }) {
                h.data[i * W + j] = 0; t.data[i * W + j] = 0
            }
        }
        let hv = Var(h, requiresGrad: true)
        let g = gradients(of: sum(m.rotatEDistance(hv, Var(t), relationRows: [0, 1, 2, 0, 1, 2])), wrt: [hv])[0].value
        for i in 0..<6 {
            let norm = (0..<W).reduce(Float(0)) { $0 + g.data[i * W + $1] * g.data[i * W + $1] }.squareRoot()
            XCTAssertEqual(norm, Float(m.score.dim).squareRoot(), accuracy: 1e-3)
        }
    }

    func testParameterCountMatchesTheBuiltLayers() throws {
        let kg = try tinyGraph()
        for (kind, key, values) in [
            ("adamf_mat", "attention_vectors", ["per_modality", "shared"]),
            ("native", "relation_temperature", ["true", "false"]),
        ] {
            for v in values {
                let m = try model(kind, kg) { try $0.set(key, v) }
                XCTAssertEqual(
                    WeightedFusionModel.parameterCount(
                        spec: m.spec, score: m.score, modalityDims: kg.modalities.map(\.dim),
                        relations: kg.relationCount),
                    m.parameters.count, "\(kind) \(key)=\(v)")
            }
        }
    }

    /// Checkpoints carry every layer and the features: save → load → save gives the same bytes, and the
    /// loaded model scores every triple with the same bits.
    func testCheckpointsRoundTripBitIdentically() throws {
        let kg = try tinyGraph()
        for kind in ["adamf_mat", "native"] {
            let (m, _) = try ModelRegistry.train(graph: kg, request: try tinyRequest(kind))
            let bytes = Checkpoint.encode(m)
            let back = try Checkpoint.decodeFile(bytes).model
            XCTAssertEqual(back.kindName, kind)
            XCTAssertEqual(Checkpoint.encode(back), bytes, kind)
            let triples = kg.test
            var a = [Float](repeating: 0, count: triples.count), b = a
            triples.withUnsafeBufferPointer { t in
                a.withUnsafeMutableBufferPointer { m.scorer(threads: 1).scoreTriples(t, out: $0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { back.scorer(threads: 1).scoreTriples(t, out: $0.baseAddress!) }
            }
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), kind)
            XCTAssertTrue(a.allSatisfy(\.isFinite))
        }
    }

    /// A triple's score is the same bits from triple scoring and from the candidate scan.
    func testTripleScoresEqualTheCandidateScan() throws {
        let kg = try tinyGraph()
        for kind in ["adamf_mat", "native"] {
            let (m, _) = try ModelRegistry.train(graph: kg, request: try tinyRequest(kind))
            let scorer = m.scorer(threads: 1)
            let triples = Array(kg.test.prefix(8))
            var direct = [Float](repeating: 0, count: triples.count)
            triples.withUnsafeBufferPointer { t in
                direct.withUnsafeMutableBufferPointer { scorer.scoreTriples(t, out: $0.baseAddress!) }
            }
            for (i, t) in triples.enumerated() {
                var all = [Float](repeating: 0, count: kg.entityCount)
                let q = [Query(entity: t.h, relation: t.r, direction: .tail)]
                q.withUnsafeBufferPointer { qb in
                    all.withUnsafeMutableBufferPointer { scorer.scoreAllCandidates(qb, out: $0.baseAddress!) }
                }
                XCTAssertEqual(all[t.t], direct[i], accuracy: 1e-4 * max(1, abs(direct[i])), "\(kind) triple \(i)")
            }
        }
    }

    func testBadOptionsAreRefused() throws {
        var a = try ModelRequest(kind: "adamf_mat")
        XCTAssertThrowsError(try a.set("attention_vectors", "both")) { XCTAssert("\($0)".contains("per_modality")) }
        XCTAssertThrowsError(try a.set("adversarial_groups", "0")) { XCTAssert("\($0)".contains("1...16")) }
        XCTAssertThrowsError(try a.set("adversarial_weight", "nan"))
        XCTAssertThrowsError(try a.set("relation_temperature", "false")) { XCTAssert("\($0)".contains("native")) }
        XCTAssertThrowsError(try a.set("attention_layers", "2")) { XCTAssert("\($0)".contains("afme")) }
        var n = try ModelRequest(kind: "native")
        XCTAssertThrowsError(try n.set("generator_objective", "saturating")) {
            XCTAssert("\($0)".contains("adamf_mat"))
        }
        XCTAssertThrowsError(try n.set("negative_pool", "65"))
        XCTAssertThrowsError(try n.set("generator_learning_rate", "0"))
        // The same name reaches each kind's own field.
        try n.set("noise_dim", "7"); try a.set("noise_dim", "9")
        XCTAssertEqual(n[NATIVEConfig.key].noiseDim, 7)
        XCTAssertEqual(a[AdaMFMATConfig.key].noiseDim, 9)
        var afme = try ModelRequest(kind: "afme")
        try afme.set("noise_dim", "5")
        XCTAssertEqual(afme.afme.noiseDim, 5)
        // A graph without features is refused before anything is built.
        var spec = SyntheticGraphSpec(); spec.entities = 30; spec.modalityDims = []; spec.missingFractions = []
        let bare = try SyntheticGraph.make(spec)
        XCTAssertThrowsError(try ModelRegistry.train(graph: bare, request: try tinyRequest("native"))) {
            XCTAssert("\($0)".contains("feature modality"))
        }
    }

    /// The built-in graph's facts come from latent vectors its features are noisy images of: both kinds
    /// must read them (structure-only RotatE cannot).
    func testEachKindBeatsStructureOnlyRotatEOnTheBuiltInGraph() throws {
        let kg = try SyntheticGraph.make()
        let filter = FilterIndex(graph: kg)
        var base = try ModelRequest(kind: "rotate")
        base.training.dim = 32; base.training.epochs = 100; base.training.learningRate = 0.003
        base.training.batchSize = 512; base.training.negatives = 16; base.training.validateEvery = 0
        base.training.threads = 2; base.training.seed = 3
        let (s, _) = try ModelRegistry.train(graph: kg, request: base)
        let rotate = FilteredRanker.evaluate(s.scorer(threads: 2), triples: kg.test, filter: filter, threads: 2)
            .metrics()
        for kind in ["adamf_mat", "native"] {
            var r = try ModelRequest(kind: kind)
            r.training = base.training; r.training.epochs = 15
            try r.set("generator_hidden", "64")
            let (m, _) = try ModelRegistry.train(graph: kg, request: r)
            let got = FilteredRanker.evaluate(m.scorer(threads: 2), triples: kg.test, filter: filter, threads: 2)
                .metrics()
            print("synthetic test MRR: RotatE (100 epochs) \(rotate.mrr), \(kind) (15 epochs) \(got.mrr)")
            XCTAssertGreaterThan(got.mrr, rotate.mrr + 0.05, kind)
            let w = try XCTUnwrap(m.meanModalityWeights())
            XCTAssertEqual(w.count, kg.relationCount * (1 + kg.modalities.count))
            XCTAssertEqual(w[0..<(1 + kg.modalities.count)].reduce(0, +), 1, accuracy: 1e-4)
        }
    }
}
