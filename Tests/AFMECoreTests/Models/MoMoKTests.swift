// MoMoK: gradients of every new layer against finite differences (the grouped products of the TuckER
// cores, batch normalisation, experts and noisy relation-guided gates, the fusions, the CLUB bound and
// the CLUB network's likelihood, through the objective the trainer differentiates), the layer count,
// bit-identical checkpoints, triple scores equal to the candidate scan, refusals, and the model beating
// structure-only RotatE on the built-in graph.
import XCTest
import AFMECore

final class MoMoKTests: XCTestCase {
    func tinyGraph() throws -> KnowledgeGraph {
        var spec = SyntheticGraphSpec()
        spec.entities = 40; spec.relations = 3; spec.modalityDims = [6, 5]; spec.missingFractions = [0.25, 0.5]
        return try SyntheticGraph.make(spec)
    }

    func tinyRequest(_ edit: (inout ModelRequest) throws -> Void = { _ in }) throws -> ModelRequest {
        var r = try ModelRequest(kind: "momok")
        r.training.dim = 6; r.training.batchSize = 16; r.training.epochs = 2
        r.training.validateEvery = 0; r.training.threads = 1; r.training.seed = 9
        try r.set("relation_dim", "4"); try r.set("mi_weight", "0.5")
        try edit(&r)
        return r
    }

    func model(
        _ kg: KnowledgeGraph, epochs: Int = 0, _ edit: (inout ModelRequest) throws -> Void = { _ in }
    ) throws
        -> MoMoKModel
    {
        var r = try tinyRequest(edit)
        r.training.epochs = epochs
        let (m, _) = try ModelRegistry.train(graph: kg, request: r)
        return try XCTUnwrap(m as? MoMoKModel)
    }

    /// Central differences on a few entries of each parameter tensor, in place. The model has ReLUs whose
    /// kinks a difference step may cross, so an entry counts only where the differences at h and h/4 agree
    /// to 0.5 %; every such entry must match, and at least a third must be such entries.
    func checkGradients(
        _ name: String, _ params: [(name: String, value: Var)], perTensor: Int = 3, h: Float = 2e-3,
        rtol: Float = 3e-2, atol: Float = 1e-3, _ loss: () -> Var
    ) {
        let grads = gradients(of: loss(), wrt: params.map(\.value))
        var checked = 0, stable = 0, moved = 0
        for (k, (pname, p)) in params.enumerated() {
            let n = p.value.count
            for i in Set((0..<perTensor).map { ($0 * 7919 + k * 31) % n }).sorted() {
                let original = p.value.data[i]
                func difference(_ step: Float) -> Float {
                    p.withMutableData { $0[i] = original + step }
                    let fp = loss().value.scalar
                    p.withMutableData { $0[i] = original - step }
                    let fm = loss().value.scalar
                    p.withMutableData { $0[i] = original }
                    return (fp - fm) / (2 * step)
                }
                let numeric = difference(h), finer = difference(h / 4), analytic = grads[k].value.data[i]
                checked += 1
                guard abs(numeric - finer) <= 1e-4 + 5e-3 * abs(finer) else { continue }
                stable += 1
                if abs(analytic) > 1e-5 { moved += 1 }
                if abs(finer - analytic) > atol + rtol * abs(finer) {
                    return XCTFail("\(name): \(pname)[\(i)]: analytic \(analytic), numeric \(finer)")
                }
            }
        }
        XCTAssertGreaterThan(checked, 0, name)
        XCTAssertGreaterThanOrEqual(stable, checked / 3, "\(name): too few entries with a stable difference")
        XCTAssertGreaterThan(moved, stable / 3, "\(name): most checked gradients are zero")
    }

    func testGroupedProductsMatchFiniteDifferences() throws {
        var rng = SplitMix64(seed: 4)
        let x = Var(Tensor.gaussian([7, 3], std: 1, rng: &rng), requiresGrad: true, name: "x")
        let m = Var(Tensor.gaussian([3, 12], std: 1, rng: &rng), requiresGrad: true, name: "matrices")
        let w = Var(Tensor.gaussian([7, 4], std: 1, rng: &rng))
        let groups = [2, 0, 2, 1, 0, 2, 2]
        for transposed in [false, true] {
            let input =
                transposed ? Var(Tensor.gaussian([7, 4], std: 1, rng: &rng), requiresGrad: true, name: "xt") : x
            let weight = transposed ? Var(Tensor.gaussian([7, 3], std: 1, rng: &rng)) : w
            let loss = { sum(groupedMatmul(input, m, groups: groups, transposed: transposed) * weight) }
            checkGradients(
                "groupedMatmul transposed=\(transposed)", [("x", input), ("m", m)], perTensor: 6, atol: 1e-3, loss)
            // Each row against its own matrix, by hand.
            let out = groupedMatmul(input, m, groups: groups, transposed: transposed).value
            let q = out.cols, p = input.value.cols
            for b in 0..<7 {
                for j in 0..<q {
                    var s: Float = 0
                    for k in 0..<p {
                        let entry =
                            transposed
                            ? m.value.data[groups[b] * 12 + j * p + k] : m.value.data[groups[b] * 12 + k * q + j]
                        s += input.value.data[b * p + k] * entry
                    }
                    XCTAssertEqual(out.data[b * q + j], s, accuracy: 1e-5)
                }
            }
        }
        // The outer-sum op's own backward (second order through groupedMatmul).
        let y = Var(Tensor.gaussian([7, 4], std: 1, rng: &rng), requiresGrad: true, name: "y")
        let h = Var(Tensor.gaussian([3, 12], std: 1, rng: &rng))
        checkGradients("groupedOuterSum", [("x", x), ("y", y)], perTensor: 6, atol: 1e-3) {
            sum(groupedOuterSum(x, y, groups: groups, count: 3) * h)
        }
    }

    func parameters(_ m: MoMoKModel, _ prefixes: String...) -> [(name: String, value: Var)] {
        m.trainableParameters.filter { p in prefixes.contains { p.name.hasPrefix($0) } }
    }

    /// Every layer family through the forward pass the trainer differentiates (dropout masks and gate noise
    /// fixed by the seed), read out by fixed random weights on the logits; the 1-to-N loss on those logits
    /// is checked in OneToNKindTests, the CLUB terms and batch statistics below. (With batch statistics the
    /// joint rows' within-batch spread is ~1 % of their mean at initialisation, so a Float difference of
    /// the whole model loses the digits the check needs; the normalisation is checked on its own instead.)
    func testObjectiveGradientsMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        let batch = Array(kg.train.prefix(12))
        for (label, edit) in [
            ("defaults", { (_: inout ModelRequest) in }),
            (
                "no dropout, no noise, no relation gates",
                { (r: inout ModelRequest) in
                    try r.set("dropout", "false"); try r.set("noisy_gates", "false");
                    try r.set("relation_gates", "false")
                }
            ),
        ] as [(String, (inout ModelRequest) throws -> Void)] {
            let m = try model(kg, edit)
            let loss = { m.logitsProbe(graph: kg, batch: batch, seed: 5, batchStatistics: false) }
            for family in [
                ["decoder."], ["experts."], ["relation_gate"], ["fusion.entity"], ["fusion.relation"],
                ["structure.", "text.", "image."],
            ] {
                var params = parameters(m, family[0])
                for extra in family.dropFirst() { params += parameters(m, extra) }
                if label != "defaults" && family == ["relation_gate"] { continue }
                checkGradients("\(label): \(family)", params) { loss() }
            }
        }
    }

    /// Batch normalisation with batch statistics, on rows shaped like the joint rows (a large common value,
    /// a small spread) and on centred ones; its output has zero mean and unit variance per column.
    func testBatchNormalisationMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 1)
        for (offset, spread) in [(Float(0), Float(1)), (0.3, 0.01)] {
            var t = Tensor.gaussian([12, 5], std: spread, rng: &rng)
            for i in 0..<t.count { t.data[i] += offset }
            let x = Var(t, requiresGrad: true, name: "x")
            let w = Var(Tensor.gaussian([12, 5], std: 1, rng: &rng))
            checkGradients("batch norm \(offset) ± \(spread)", [("x", x)], perTensor: 12, h: 1e-2 * spread) {
                sum(MoMoKModel.batchNormalisationProbe(x) * w)
            }
            let y = MoMoKModel.batchNormalisationProbe(x).value
            func moments(_ t: Tensor, _ j: Int) -> (Float, Float) {
                let column = (0..<12).map { t.data[$0 * 5 + j] }
                let mean = column.reduce(0, +) / 12
                return (mean, column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 12)
            }
            for j in 0..<5 {
                let (mean, variance) = moments(y, j), v = moments(x.value, j).1
                XCTAssertEqual(mean, 0, accuracy: 1e-4)
                XCTAssertEqual(variance, v / (v + 1e-5), accuracy: 1e-3)
            }
        }
    }

    /// The CLUB bound's gradient reaches the experts (through the objective) and eq. 8's reaches the CLUB
    /// networks, for both likelihoods.
    func testCLUBGradientsMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        let batch = Array(kg.train.prefix(12))
        let m = try model(kg) { try $0.set("mi_weight", "50") }
        let withCLUB = { m.objectiveProbe(graph: kg, batch: batch, seed: 5, scale: 1) }
        checkGradients("CLUB bound → experts", parameters(m, "experts.")) { withCLUB() }
        for kind in ["gaussian", "released"] {
            let e = try model(kg) { try $0.set("club_likelihood", kind) }
            checkGradients("eq. 8 (\(kind))", e.estimatorParameters, atol: 1e-3) {
                e.estimatorProbe(graph: kg, entities: [0, 3, 5, 7, 11, 3], experts: (0, 2))
            }
        }
    }

    func testParameterCountMatchesTheBuiltLayers() throws {
        let kg = try tinyGraph()
        for tuning in ["true", "false"] {
            for experts in ["1", "3"] {
                let m = try model(kg) {
                    try $0.set("feature_tuning", tuning); try $0.set("experts", experts)
                }
                XCTAssertEqual(
                    MoMoKModel.parameterCount(
                        config: m.config, dim: m.dim, modalityDims: kg.modalities.map(\.dim), entities: kg.entityCount,
                        relations: kg.relationCount),
                    m.builtParameterCount, "feature_tuning=\(tuning) experts=\(experts)")
            }
        }
    }

    /// Save → load → save gives the same bytes; the loaded model scores every triple with the same bits.
    func testCheckpointsRoundTripBitIdentically() throws {
        let kg = try tinyGraph()
        let m = try model(kg, epochs: 2)
        let bytes = Checkpoint.encode(m)
        let back = try Checkpoint.decodeFile(bytes).model
        XCTAssertEqual(back.kindName, "momok")
        XCTAssertEqual(Checkpoint.encode(back), bytes)
        let triples = kg.test
        var a = [Float](repeating: 0, count: triples.count), b = a
        triples.withUnsafeBufferPointer { t in
            a.withUnsafeMutableBufferPointer { m.scorer(threads: 1).scoreTriples(t, out: $0.baseAddress!) }
            b.withUnsafeMutableBufferPointer { back.scorer(threads: 1).scoreTriples(t, out: $0.baseAddress!) }
        }
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
        XCTAssertTrue(a.allSatisfy { $0.isFinite && $0 > 0 && $0 < 1 })
        // A truncated parameter section is refused.
        var cut = bytes
        cut.removeLast(64)
        XCTAssertThrowsError(try Checkpoint.decodeFile(cut))
    }

    /// A triple's score is the same bits as its entry in the tail query's candidate scan; head queries run
    /// over r⁻¹.
    func testTripleScoresEqualTheCandidateScan() throws {
        let kg = try tinyGraph()
        let m = try model(kg, epochs: 1)
        let scorer = m.scorer(threads: 1)
        let triples = Array(kg.test.prefix(8))
        var direct = [Float](repeating: 0, count: triples.count)
        triples.withUnsafeBufferPointer { t in
            direct.withUnsafeMutableBufferPointer { scorer.scoreTriples(t, out: $0.baseAddress!) }
        }
        for (i, t) in triples.enumerated() {
            var all = [Float](repeating: 0, count: 2 * kg.entityCount)
            let q = [
                Query(entity: t.h, relation: t.r, direction: .tail),
                Query(entity: t.t, relation: t.r, direction: .head),
            ]
            q.withUnsafeBufferPointer { qb in
                all.withUnsafeMutableBufferPointer { scorer.scoreAllCandidates(qb, out: $0.baseAddress!) }
            }
            XCTAssertEqual(all[t.t].bitPattern, direct[i].bitPattern, "triple \(i)")
            XCTAssertNotEqual(all[t.t], all[kg.entityCount + t.h], "the head query is its own (inverse) query")
        }
    }

    func testBadOptionsAreRefused() throws {
        var r = try ModelRequest(kind: "momok")
        XCTAssertThrowsError(try r.set("experts", "0")) { XCTAssert("\($0)".contains("1...16")) }
        XCTAssertThrowsError(try r.set("club_likelihood", "laplace")) { XCTAssert("\($0)".contains("gaussian")) }
        XCTAssertThrowsError(try r.set("label_smoothing", "1.5"))
        XCTAssertThrowsError(try r.set("mi_weight", "nan"))
        XCTAssertThrowsError(try r.set("relation_temperature", "true")) { XCTAssert("\($0)".contains("native")) }
        var a = try ModelRequest(kind: "afme")
        XCTAssertThrowsError(try a.set("experts", "2")) { XCTAssert("\($0)".contains("momok")) }
        try r.set("missing_fill", "mean")
        XCTAssertEqual(r[MoMoKConfig.key].missingFill, .mean)
        var spec = SyntheticGraphSpec(); spec.entities = 30; spec.modalityDims = []; spec.missingFractions = []
        let bare = try SyntheticGraph.make(spec)
        XCTAssertThrowsError(try ModelRegistry.train(graph: bare, request: try tinyRequest())) {
            XCTAssert("\($0)".contains("feature modality"))
        }
        // A request that cannot fit is refused before anything is allocated.
        let kg = try tinyGraph()
        var huge = try tinyRequest()
        huge.training.dim = 4096; try huge.set("relation_dim", "1024")
        XCTAssertThrowsError(try ModelRegistry.train(graph: kg, request: huge)) { XCTAssert("\($0)".contains("GB")) }
    }

    /// The built-in graph's facts come from latent vectors its features are noisy images of: MoMoK must
    /// read them (structure-only RotatE cannot). A 300-entity graph: at the default 2,000 entities and the
    /// released settings MoMoK's 1-to-N training stays on its constant-score plateau for the first dozens
    /// of epochs (docs/models/momok.md), which no unit test can afford; dropout and gate noise off and a
    /// higher learning rate leave it sooner.
    func testBeatsStructureOnlyRotatEOnTheBuiltInGraph() throws {
        var spec = SyntheticGraphSpec()
        spec.entities = 300
        let kg = try SyntheticGraph.make(spec)
        let filter = FilterIndex(graph: kg)
        var base = try ModelRequest(kind: "rotate")
        base.training.dim = 32; base.training.epochs = 100; base.training.learningRate = 0.003
        base.training.batchSize = 512; base.training.negatives = 16; base.training.validateEvery = 0
        base.training.threads = 2; base.training.seed = 3
        let (s, _) = try ModelRegistry.train(graph: kg, request: base)
        let rotate = FilteredRanker.evaluate(s.scorer(threads: 2), triples: kg.test, filter: filter, threads: 2)
            .metrics()
        var r = try ModelRequest(kind: "momok")
        r.training = base.training; r.training.epochs = 30; r.training.batchSize = 128; r.training.learningRate = 0.01
        try r.set("relation_dim", "32"); try r.set("dropout", "false"); try r.set("noisy_gates", "false")
        let (m, _) = try ModelRegistry.train(graph: kg, request: r)
        let got = FilteredRanker.evaluate(m.scorer(threads: 2), triples: kg.test, filter: filter, threads: 2).metrics()
        print("synthetic (300 entities) test MRR: RotatE (100 epochs) \(rotate.mrr), momok (30 epochs) \(got.mrr)")
        XCTAssertGreaterThan(got.mrr, rotate.mrr + 0.03)
        let w = try XCTUnwrap(m.meanModalityWeights())
        XCTAssertEqual(w.count, kg.relationCount * (1 + kg.modalities.count))
        XCTAssertEqual(w[0..<(1 + kg.modalities.count)].reduce(0, +), 1, accuracy: 1e-4)
    }
}
