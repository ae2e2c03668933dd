// AFME (afme.txt §4): gradients of every part against finite differences, the model beating
// structure-only RotatE on the built-in graph, completion of missing modalities, determinism.
import XCTest
import AFMECore

final class AFMETests: XCTestCase {
    func tinyGraph() throws -> KnowledgeGraph {
        var spec = SyntheticGraphSpec()
        spec.entities = 40; spec.relations = 3; spec.modalityDims = [6, 5]; spec.missingFractions = [0.25, 0.5]
        return try SyntheticGraph.make(spec)
    }

    func tinyConfig() -> (TrainingConfig, AFMEConfig) {
        var t = TrainingConfig()
        t.dim = 8; t.negatives = 4; t.batchSize = 16; t.epochs = 1; t.validateEvery = 0; t.threads = 1; t.seed = 9
        var a = AFMEConfig()
        a.attentionLayers = 2; a.attentionTokens = 4; a.noiseDim = 4; a.discriminatorHidden = 6
        a.lambdaAdversarial = 1; a.lambdaPenalty = 1; a.penaltyWeight = 1
        return (t, a)
    }

    /// Central differences on up to `perTensor` entries of each parameter tensor, in place.
    func checkParameterGradients(
        _ name: String, _ params: [Var], perTensor: Int = 5, h: Float = 5e-3,
        rtol: Float = 3e-2, atol: Float = 2e-3, numericSign: Float = 1, _ loss: () -> Var
    ) {
        let grads = gradients(of: loss(), wrt: params)
        var checked = 0
        for (k, p) in params.enumerated() {
            let n = p.value.count
            let picks = Set((0..<perTensor).map { ($0 * 7919 + k * 31) % n })
            for i in picks.sorted() {
                let original = p.value.data[i]
                p.withMutableData { $0[i] = original + h }
                let fp = loss().value.scalar
                p.withMutableData { $0[i] = original - h }
                let fm = loss().value.scalar
                p.withMutableData { $0[i] = original }
                let numeric = numericSign * (fp - fm) / (2 * h), analytic = grads[k].value.data[i]
                checked += 1
                if abs(numeric - analytic) > atol + rtol * abs(numeric) {
                    XCTFail("\(name): \(p.name ?? "?")[\(i)]: analytic \(analytic), numeric \(numeric)")
                    return
                }
            }
        }
        XCTAssertGreaterThan(checked, 0, name)
    }

    func parameters(_ m: AFMEModel, matching prefix: String) -> [Var] {
        m.parameters.vars.enumerated().filter { m.parameters.names[$0.offset].hasPrefix(prefix) }.map(\.element)
    }

    /// Projection, relation gate (both eq. 4 readings), weighting (eq. 6) and the relation rows: the
    /// gradient of a fixed projection of the joint rows, entities with all modalities present.
    func testFusionGradientsMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        for reading in GateRelationReading.allCases {
            var (t, a) = tinyConfig()
            a.gateRelation = reading; a.enhancement = false
            let m = try AFMEModel(graph: kg, training: t, config: a)
            let present = (0..<kg.entityCount).filter { e in kg.modalities.allSatisfy { $0.present[e] } }
            let ents = Array(present.prefix(6)), rels = ents.indices.map { $0 % kg.relationCount }
            checkParameterGradients("fusion (\(reading))", m.parameters.vars + [m.relations]) {
                m.fusionProbe(entities: ents, relations: rels, seed: 1)
            }
        }
    }

    /// The ablation's concat projection and the weighting without confidence and smoothing.
    func testAblationGradientsMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig()
        a.enhancement = false; a.fusion = .concatProjection
        let concat = try AFMEModel(graph: kg, training: t, config: a)
        checkParameterGradients("concat projection", concat.parameters.vars) {
            concat.fusionProbe(entities: [0, 1, 2, 3], relations: [0, 1, 2, 0], seed: 2)
        }
        a.fusion = .adaptive; a.confidence = false; a.relationSmoothing = false; a.denoiseStrength = 0.3
        t.seed = 10
        let plain = try AFMEModel(graph: kg, training: t, config: a)
        checkParameterGradients("weights without confidence/smoothing, α = 0.3", plain.parameters.vars) {
            plain.fusionProbe(entities: [4, 5, 6], relations: [1, 2, 0], seed: 3)
        }
    }

    /// Completion path: entities lacking a modality reach the generator (guide, transform, self-attention,
    /// inter-modal attention), for both eq. 8 readings.
    func testGeneratorGradientsThroughCompletionMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        for guide in GuideReading.allCases {
            var (t, a) = tinyConfig()
            a.guide = guide; a.interModalIncludesSelf = guide == .projected
            let m = try AFMEModel(graph: kg, training: t, config: a)
            // The completion mix starts at 0 (completion = prior); open it so the generator is reached.
            let mixes = parameters(m, matching: "completion.")
            XCTAssertEqual(mixes.count, kg.modalities.count)
            for v in mixes { v.withMutableData { d in for i in d.indices { d[i] = 0.3 + 0.01 * Float(i % 7) } } }
            let missing = (0..<kg.entityCount).filter { !kg.modalities[0].present[$0] || !kg.modalities[1].present[$0] }
            XCTAssertGreaterThan(missing.count, 3)
            let ents = Array(missing.prefix(4)), rels = ents.indices.map { $0 % kg.relationCount }
            checkParameterGradients(
                "generator via completion (\(guide))", parameters(m, matching: "generator.") + mixes + [m.relations]
            ) {
                m.fusionProbe(entities: ents, relations: rels, seed: 4)
            }
        }
    }

    /// The "enhance all" reading: the generator refines every entity's vector, so present entities reach it too.
    func testGeneratorGradientsWhenEnhancingAllEntities() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig()
        a.enhanceAll = true
        let m = try AFMEModel(graph: kg, training: t, config: a)
        let present = (0..<kg.entityCount).filter { kg.modalities[0].present[$0] && kg.modalities[1].present[$0] }
        let ents = Array(present.prefix(4)), rels = ents.indices.map { $0 % kg.relationCount }
        checkParameterGradients(
            "generator, enhance all", parameters(m, matching: "generator.") + parameters(m, matching: "modality.")
        ) {
            m.fusionProbe(entities: ents, relations: rels, seed: 6)
        }
        let v = m.modalityVector(entity: ents[0], relation: 0, modality: 0)
        XCTAssertEqual(v.used, v.generated, "with enhance-all the fused vector is the generator's")
        _ = t
    }

    /// Eq. 15–16: the discriminator's loss including the WGAN-GP penalty (second order: the penalty is a
    /// function of ∇ₓD) against finite differences in D's weights; the generator's adversarial loss in G's.
    func testAdversarialAndPenaltyGradientsMatchFiniteDifferences() throws {
        let kg = try tinyGraph()
        let (t, a) = tinyConfig()
        let m = try AFMEModel(graph: kg, training: t, config: a)
        let present = (0..<kg.entityCount).filter { kg.modalities[0].present[$0] }
        let ents = Array(present.prefix(5)), rels = ents.indices.map { $0 % kg.relationCount }
        checkParameterGradients(
            "discriminator + gradient penalty", parameters(m, matching: "discriminator.\(kg.modalities[0].name).")
        ) {
            m.adversarialProbe(modality: 0, entities: ents, relations: rels, seed: 5).discriminator
        }
        checkParameterGradients(
            "generator adversarial loss", parameters(m, matching: "generator.\(kg.modalities[0].name).")
        ) {
            m.adversarialProbe(modality: 0, entities: ents, relations: rels, seed: 5).generator
        }
        // The penalty alone must move D's weights: with λ1 = 0 the loss is only λ2·λ·GP.
        var a2 = a; a2.lambdaAdversarial = 0
        let gpOnly = try AFMEModel(graph: kg, training: t, config: a2)
        let dParams = parameters(gpOnly, matching: "discriminator.\(kg.modalities[0].name).")
        let g = gradients(
            of: gpOnly.adversarialProbe(modality: 0, entities: ents, relations: rels, seed: 5).discriminator,
            wrt: dParams)
        XCTAssertGreaterThan(g.map { $0.value.data.reduce(0) { $0 + abs($1) } }.reduce(0, +), 1e-6)
    }

    func syntheticConfig(epochs: Int) -> TrainingConfig {
        var c = TrainingConfig()
        c.dim = 32; c.epochs = epochs; c.learningRate = 0.003; c.batchSize = 512; c.negatives = 16
        c.validateEvery = 0; c.threads = 2; c.seed = 3
        return c
    }

    /// The built-in graph's facts are built from the latent vectors its features are noisy images of.
    func testAFMEBeatsStructureOnlyRotatEOnTheBuiltInGraph() throws {
        let kg = try SyntheticGraph.make()
        let filter = FilterIndex(graph: kg)
        var structural = syntheticConfig(epochs: 100); structural.dim = 64
        let (s, _) = try StructuralTraining.train(graph: kg, config: structural)
        let sm = FilteredRanker.evaluate(s, triples: kg.test, filter: filter, threads: 2).metrics()
        var c = syntheticConfig(epochs: 15); c.dim = 64
        let (m, _) = try AFMETraining.train(graph: kg, training: c, config: AFMEConfig())
        let am = FilteredRanker.evaluate(AFMEScorer(model: m), triples: kg.test, filter: filter, threads: 2).metrics()
        print("synthetic test MRR: RotatE (100 epochs) \(sm.mrr), AFME (15 epochs) \(am.mrr)")
        XCTAssertGreaterThan(am.mrr, sm.mrr + 0.05)
        let w = try XCTUnwrap(m.meanModalityWeights())
        XCTAssertEqual(w.count, kg.relationCount * (1 + kg.modalities.count))
        for r in 0..<kg.relationCount {
            XCTAssertEqual(w[(r * 3)..<(r * 3 + 3)].reduce(0, +), 1, accuracy: 1e-4)
        }
    }

    /// An entity without a modality gets the generator's vector (not the mean-feature fill) and finite scores.
    func testMissingModalityIsGeneratedAndScoresAreFinite() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig(); t.epochs = 3
        let (m, _) = try AFMETraining.train(graph: kg, training: t, config: a)
        let missing = try XCTUnwrap(
            (0..<kg.entityCount).first { !kg.modalities[0].present[$0] && kg.modalities[1].present[$0] })
        let v = m.modalityVector(entity: missing, relation: 0, modality: 0)
        let generated = try XCTUnwrap(v.generated)
        XCTAssertTrue(kg.modalities[1].present[missing], "pick an entity lacking only modality 0")
        XCTAssertEqual(v.used, generated, "the fusion must use the generated vector for a missing modality")
        XCTAssertTrue(generated.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(generated.reduce(0) { $0 + $1 * $1 }, 0)
        // A present entity keeps its own (denoised) vector, which differs from what the generator would write.
        let present = try XCTUnwrap((0..<kg.entityCount).first { kg.modalities[0].present[$0] })
        let p = m.modalityVector(entity: present, relation: 0, modality: 0)
        XCTAssertNotEqual(p.used, p.generated!)
        // Without the generator the same entity gets the mean-feature fill instead.
        a.enhancement = false
        let (plain, _) = try AFMETraining.train(graph: kg, training: t, config: a)
        XCTAssertNil(plain.modalityVector(entity: missing, relation: 0, modality: 0).generated)
        let scorer = AFMEScorer(model: m)
        let triples = (0..<kg.entityCount).map { Triple(missing, 1, $0) }
        var scores = [Float](repeating: .nan, count: triples.count)
        triples.withUnsafeBufferPointer { tb in
            scores.withUnsafeMutableBufferPointer { scorer.scoreTriples(tb, out: $0.baseAddress!) }
        }
        XCTAssertTrue(scores.allSatisfy(\.isFinite))
        var all = [Float](repeating: .nan, count: kg.entityCount)
        [Query(entity: missing, relation: 1, direction: .tail)].withUnsafeBufferPointer { q in
            all.withUnsafeMutableBufferPointer { scorer.scoreAllCandidates(q, out: $0.baseAddress!) }
        }
        XCTAssertTrue(all.allSatisfy(\.isFinite))
        // Every scoring path agrees with the plain fusion of a triple's own rows (a fresh scorer, one
        // triple per call: too few entities to project them all): candidate scans over relation tables
        // and batched triple scoring, which both read the projections `scorer` computed once.
        let reference = AFMEScorer(model: m)
        for r in [1, 0, 2] {
            let rowTriples = (0..<kg.entityCount).map { Triple(missing, r, $0) }
            var plain = [Float](repeating: .nan, count: rowTriples.count)
            for i in rowTriples.indices {
                [rowTriples[i]].withUnsafeBufferPointer { tb in
                    plain.withUnsafeMutableBufferPointer { reference.scoreTriples(tb, out: $0.baseAddress! + i) }
                }
            }
            rowTriples.withUnsafeBufferPointer { tb in
                scores.withUnsafeMutableBufferPointer { scorer.scoreTriples(tb, out: $0.baseAddress!) }
            }
            [Query(entity: missing, relation: r, direction: .tail)].withUnsafeBufferPointer { q in
                all.withUnsafeMutableBufferPointer { scorer.scoreAllCandidates(q, out: $0.baseAddress!) }
            }
            for e in 0..<kg.entityCount {
                XCTAssertEqual(
                    all[e], plain[e], accuracy: 1e-4 * max(1, abs(plain[e])),
                    "candidate scan, relation \(r), entity \(e)")
                XCTAssertEqual(
                    scores[e], plain[e], accuracy: 1e-4 * max(1, abs(plain[e])),
                    "batched triples, relation \(r), entity \(e)")
            }
        }
    }

    /// Synthetic entities: the fusion side gets the true gradient, the generator the reversed one (it
    /// maximises what the fusion minimises), both against finite differences of the same probe.
    func testSyntheticRowsReverseTheGeneratorsGradient() throws {
        let kg = try tinyGraph()
        let (t, a) = tinyConfig()
        let m = try AFMEModel(graph: kg, training: t, config: a)
        let present = (0..<kg.entityCount).filter { e in kg.modalities.allSatisfy { $0.present[e] } }
        let ents = Array(present.prefix(3)) + Array(present.prefix(3)),
            rels = ents.indices.map { $0 % kg.relationCount }
        let synthetic = ents.indices.map { $0 >= 3 }
        // The weighting sees the generated vectors directly (the generator's inputs are detached by design,
        // so projections and relations are checked without synthetic rows elsewhere).
        checkParameterGradients("weighting with synthetic rows", parameters(m, matching: "weighting.")) {
            m.fusionProbe(entities: ents, relations: rels, synthetic: synthetic, seed: 5)
        }
        // The generator: the analytic gradient is the negated numeric one.
        checkParameterGradients("generator behind the reversal", parameters(m, matching: "generator."), numericSign: -1)
        {
            m.fusionProbe(entities: ents, relations: rels, synthetic: synthetic, seed: 5)
        }
    }

    /// Training with synthetic negatives (their generator passes shared with the adversarial terms):
    /// finite, deterministic, and both the generator and the discriminator move.
    func testTrainingWithSyntheticNegatives() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig(); t.epochs = 2
        a.syntheticNegativeWeight = 0.5; a.adversarialSamples = 8
        let fresh = try AFMEModel(graph: kg, training: t, config: a)
        let (m, r) = try AFMETraining.train(graph: kg, training: t, config: a)
        let (m2, _) = try AFMETraining.train(graph: kg, training: t, config: a)
        XCTAssertTrue(r.history.allSatisfy { $0.meanLoss.isFinite })
        XCTAssertTrue(m.jointTable(relation: 0).allSatisfy(\.isFinite))
        XCTAssertEqual(m.jointTable(relation: 0), m2.jointTable(relation: 0))
        for prefix in ["generator.", "discriminator."] {
            let before = parameters(fresh, matching: prefix).map(\.value.data),
                after = parameters(m, matching: prefix).map(\.value.data)
            XCTAssertNotEqual(before, after, "\(prefix) parameters must be trained")
        }
    }

    /// Completion dropout: on a graph where no entity lacks a modality, the KGC loss reaches the
    /// generator only through rows completed as if absent; inference still uses the real features.
    func testCompletionDropoutTrainsTheGeneratorThroughTheKGCLoss() throws {
        var spec = SyntheticGraphSpec()
        spec.entities = 40; spec.relations = 3; spec.modalityDims = [6]; spec.missingFractions = [0]
        let kg = try SyntheticGraph.make(spec)
        XCTAssertTrue(kg.modalities[0].present.allSatisfy { $0 })
        func generatorChange(dropout: Float) throws -> Float {
            var (t, a) = tinyConfig()
            a.lambdaAdversarial = 0; a.lambdaPenalty = 0; a.completionDropout = dropout
            a.completionMix = false  // with the mix at its initial 0 the first step reaches only the mix
            let m = try AFMEModel(graph: kg, training: t, config: a)
            let before = parameters(m, matching: "generator.").map(\.value.data)
            let trainer = AFMETrainer(model: m, training: t, graph: kg)
            var rng = SplitMix64(seed: 3)
            _ = trainer.step(kg.train[0..<16], rng: &rng)
            let after = parameters(m, matching: "generator.").map(\.value.data)
            let present = m.modalityVector(entity: 0, relation: 0, modality: 0)
            XCTAssertNotEqual(present.used, present.generated!, "inference must keep the real features")
            return zip(before, after).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        }
        XCTAssertEqual(
            try generatorChange(dropout: 0), 0, "without dropout and λ1 = λ2 = 0 nothing reaches the generator")
        XCTAssertGreaterThan(try generatorChange(dropout: 0.5), 1e-6)
        var a = tinyConfig().1; a.completionDropout = 1
        XCTAssertThrowsError(try AFMEModel(graph: kg, training: tinyConfig().0, config: a))
    }

    /// The shared training options act on AFME too: L2 shrinks the joint rows, Bernoulli and filtered
    /// negatives change what is trained.
    func testSharedTrainingOptionsReachAFME() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig(); t.epochs = 3
        a.enhancement = false
        func run(_ edit: (inout TrainingConfig) -> Void) throws -> (norm: Float, losses: [Float]) {
            var tc = t; edit(&tc)
            let (m, r) = try AFMETraining.train(graph: kg, training: tc, config: a)
            let table = m.jointTable(relation: 0)
            return (table.reduce(0) { $0 + $1 * $1 }, r.history.map(\.meanLoss))
        }
        let plain = try run { _ in }
        let l2 = try run { $0.l2 = 0.5 }
        XCTAssertLessThan(l2.norm, 0.9 * plain.norm, "L2 must shrink the joint rows")
        XCTAssertNotEqual(try run { $0.negativeSampling = .bernoulli }.losses, plain.losses)
        XCTAssertNotEqual(try run { $0.filterNegatives = true }.losses, plain.losses)
        // Eq. 13's Euclidean reading: a different loss, and the joint rows keep RotatE's layout.
        let euclidean = try run { $0.scoreFunction = .rotatEEuclidean }
        XCTAssertNotEqual(euclidean.losses, plain.losses)
        XCTAssertTrue(euclidean.losses.allSatisfy(\.isFinite) && euclidean.norm.isFinite)
    }

    /// AFME checkpoints of format version 1 (before the completion mix) still load, as the model they
    /// were (completion = the generator's output), and score as before.
    func testVersionOneAFMECheckpointLoads() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig(); t.epochs = 1
        a.completionMix = false
        let (m, _) = try AFMETraining.train(graph: kg, training: t, config: a)
        let v2 = Checkpoint.encodeVersion2(m)
        // Rewrite as version 1: drop the last configuration word, set the version, recompute the CRC.
        let configEnd = 48 + 4 * (m.structural.count + m.relations.value.count) + 4 * 22
        var v1 = Array(v2[0..<(configEnd - 4)]) + Array(v2[configEnd..<(v2.count - 4)])
        v1[8] = 1
        let crc = CRC32.checksum(v1)
        v1 += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
        guard let back = try Checkpoint.decodeFile(v1).model as? AFMEModel else { return XCTFail("not an AFME model") }
        XCTAssertFalse(back.config.completionMix)
        XCTAssertEqual(back.jointTable(relation: 2), m.jointTable(relation: 2))
        // The same bytes claiming version 2 are refused (one configuration word short).
        var lying = v1; lying[8] = 2
        let crc2 = CRC32.checksum(lying[0..<(lying.count - 4)])
        for i in 0..<4 { lying[lying.count - 4 + i] = UInt8(truncatingIfNeeded: crc2 >> (8 * UInt32(i))) }
        XCTAssertThrowsError(try Checkpoint.decodeFile(lying))
    }

    /// A triple's score is the same bits alone or among 500 others, before or after the scorer built its
    /// shared projections and a relation table, and with one thread or two; a relation table is the same
    /// bits for any thread count. (Through sgemm the row results depended on the call's shape.)
    func testInferenceIsBitIdenticalWhateverTheCallShape() throws {
        var spec = SyntheticGraphSpec()
        spec.entities = 300; spec.relations = 4; spec.modalityDims = [384, 24]; spec.missingFractions = [0.2, 0.4]
        let kg = try SyntheticGraph.make(spec)
        var (t, a) = tinyConfig()
        t.dim = 64; t.epochs = 1; t.threads = 2
        let (m, _) = try AFMETraining.train(graph: kg, training: t, config: a)
        let probe = [Triple(3, 1, 250), Triple(17, 2, 5), Triple(299, 0, 0)]
        let many = probe + (0..<500).map { Triple(($0 * 37) % 300, $0 % 4, ($0 * 101 + 7) % 300) }
        func bits(_ s: AFMEScorer, _ ts: [Triple]) -> [UInt32] {
            var out = [Float](repeating: 0, count: ts.count)
            ts.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { s.scoreTriples(p, out: $0.baseAddress!) }
            }
            return out.map(\.bitPattern)
        }
        let alone = bits(AFMEScorer(model: m, threads: 1), probe)
        XCTAssertEqual(Array(bits(AFMEScorer(model: m, threads: 2), many).prefix(3)), alone, "among 500 others")
        let warm = AFMEScorer(model: m, threads: 2)
        let table = warm.table(relation: 1)
        XCTAssertEqual(bits(warm, probe), alone, "after the projections and a table exist")
        XCTAssertEqual(
            AFMEScorer(model: m, threads: 1).table(relation: 1).map(\.bitPattern), table.map(\.bitPattern),
            "table, 1 vs 2 threads")
    }

    func testTrainingIsDeterministicForASeed() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig(); t.epochs = 2; t.threads = 2
        a.attentionLayers = 1
        let (m1, r1) = try AFMETraining.train(graph: kg, training: t, config: a)
        let (m2, r2) = try AFMETraining.train(graph: kg, training: t, config: a)
        XCTAssertEqual(r1.history.map(\.meanLoss), r2.history.map(\.meanLoss))
        XCTAssertEqual(m1.jointTable(relation: 1), m2.jointTable(relation: 1))
        t.seed = 10
        let (m3, _) = try AFMETraining.train(graph: kg, training: t, config: a)
        XCTAssertNotEqual(m1.jointTable(relation: 1), m3.jointTable(relation: 1))
    }

    /// MoIEn draws from its own random stream: where every entity has every modality it has nothing to
    /// complete, so AFME and w/o MoIEn must train the same fusion bit for bit (a paired ablation); where
    /// some entity lacks one, completion changes the joint rows.
    func testMoIEnLeavesTheKGCTrainingAloneWhenNoModalityIsMissing() throws {
        var spec = SyntheticGraphSpec()
        spec.entities = 40; spec.relations = 3; spec.modalityDims = [6, 5]; spec.missingFractions = [0, 0]
        let complete = try SyntheticGraph.make(spec)
        var (t, a) = tinyConfig(); t.epochs = 2
        var plain = a; plain.enhancement = false
        let (m1, r1) = try AFMETraining.train(graph: complete, training: t, config: a)
        let (m2, r2) = try AFMETraining.train(graph: complete, training: t, config: plain)
        XCTAssertEqual(r1.history.map(\.meanLoss), r2.history.map(\.meanLoss))
        for r in 0..<complete.relationCount {
            XCTAssertTrue(
                m1.jointTable(relation: r) == m2.jointTable(relation: r), "joint rows of relation \(r) differ")
        }
        let partial = try tinyGraph()
        let (m3, _) = try AFMETraining.train(graph: partial, training: t, config: a)
        let (m4, _) = try AFMETraining.train(graph: partial, training: t, config: plain)
        XCTAssertFalse(
            m3.jointTable(relation: 1) == m4.jointTable(relation: 1), "completion left the joint rows unchanged")
    }

    /// The layer count used to refuse unallocatable shapes matches what the constructors build, for
    /// every switch that changes the layers.
    func testParameterCountMatchesTheBuiltLayers() throws {
        let kg = try tinyGraph()
        let (t, base) = tinyConfig()
        var variants: [AFMEConfig] = [base]
        func variant(_ change: (inout AFMEConfig) -> Void) { var a = base; change(&a); variants.append(a) }
        variant { $0.enhancement = false }
        variant { $0.fusion = .concatProjection }
        variant {
            $0.fusion = .concatProjection; $0.enhancement = false
        }
        variant { $0.denoising = false }
        variant { $0.guide = .onesExtended }
        variant { $0.completionMix = false }
        variant { $0.attentionLayers = 0 }
        variant {
            $0.attentionLayers = 8; $0.attentionTokens = 2
        }
        variant {
            $0.noiseDim = 3; $0.discriminatorHidden = 11
        }
        for a in variants {
            let m = try AFMEModel(graph: kg, training: t, config: a)
            XCTAssertEqual(
                AFMEModel.parameterCount(
                    config: a, score: m.score, modalityDims: kg.modalities.map(\.dim),
                    relations: kg.relationCount), m.parameters.count, "\(a)")
        }
    }

    /// A checkpoint whose header asks for layers far larger than the file (dim 65536: W×W layers of 2^34
    /// floats, in a file of under 1 MB) is refused before any layer is allocated.
    func testCheckpointWhoseLayersExceedTheFileIsRefused() throws {
        let kg = try tinyGraph()
        let (t, a) = tinyConfig()
        let tiny = try AFMEModel(graph: kg, training: t, config: a)
        let bytes = Checkpoint.encodeVersion2(tiny)
        let configStart = 48 + 4 * (tiny.structural.count + tiny.relations.value.count)
        let configWords = Array(bytes[configStart..<(configStart + 4 * 22)])
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        out += Array("AFMECKPT".utf8); put(UInt32(2)); put(UInt32(1)); put(UInt32(0)); put(UInt32(65536))
        put(Float(4).bitPattern); put(Float(2).bitPattern); put(UInt64(1)); put(UInt64(1))
        out += [UInt8](repeating: 0, count: 4 * (2 * 65536 + 65536))  // one entity row, one relation row
        out += configWords
        put(UInt32(1)); put(UInt32(1)); out += Array("t".utf8); put(UInt32(1))  // one modality "t" of dim 1
        out.append(1); put(Float(0.5).bitPattern); put(Float(0.5).bitPattern)
        put(UInt32(0))
        put(CRC32.checksum(out))
        XCTAssertLessThan(out.count, 1 << 20)
        XCTAssertThrowsError(try Checkpoint.decodeFile(out)) { error in
            XCTAssertEqual((error as? DataError)?.kind, .truncated)
            XCTAssertTrue("\(error)".contains("implies"), "\(error)")
        }
    }

    /// Inputs found by scripts/fuzz.sh, re-sealed with a correct CRC: a stored parameter dimension above
    /// Int.max trapped the decoder; a presence flag other than 0/1 was read as present (and did not
    /// round-trip). Both are refused as format errors.
    func testCheckpointFieldsFoundByFuzzingAreRefused() throws {
        let kg = try tinyGraph()
        let (t, a) = tinyConfig()
        let m = try AFMEModel(graph: kg, training: t, config: a)
        for good in [Checkpoint.encodeVersion2(m), Checkpoint.encode(m)] {
            func resealed(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
                var b = good
                change(&b)
                let crc = CRC32.checksum(b[0..<(b.count - 4)])
                for i in 0..<4 { b[b.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
                return b
            }
            func offset(after text: String) throws -> Int {
                let s = Array(text.utf8)
                return try XCTUnwrap((0...(good.count - s.count)).first { Array(good[$0..<($0 + s.count)]) == s })
                    + s.count
            }
            let shapeAt = try offset(after: m.parameters.names[0]) + 4  // first dimension of the first parameter
            let presenceAt = try offset(after: kg.modalities[0].name) + 4  // first presence flag of the first modality
            for bad in [resealed { for i in 0..<8 { $0[shapeAt + i] = 0xFF } }, resealed { $0[presenceAt] = 253 }] {
                XCTAssertThrowsError(try Checkpoint.decodeFile(bad)) {
                    XCTAssertEqual(($0 as? DataError)?.kind, .badFormat, "\($0)")
                }
            }
            XCTAssertTrue(
                try Checkpoint.decodeFile(resealed { _ in }).model is AFMEModel, "the unchanged bytes must load")
        }
    }

    func testConfigurationIsValidated() throws {
        let kg = try tinyGraph()
        var (t, a) = tinyConfig()
        a.attentionLayers = 9
        XCTAssertThrowsError(try AFMEModel(graph: kg, training: t, config: a))
        a = tinyConfig().1; a.attentionTokens = 5  // does not divide the entity width 32
        XCTAssertThrowsError(try AFMEModel(graph: kg, training: t, config: a))
        a = tinyConfig().1; a.denoiseStrength = .nan
        XCTAssertThrowsError(try AFMEModel(graph: kg, training: t, config: a))
        var bare = kg; bare.modalities = []
        XCTAssertThrowsError(try AFMEModel(graph: bare, training: t, config: tinyConfig().1))
    }
}
