// End-to-end training on the built-in graph: learns, is deterministic, stops early and restores the best.
import XCTest
import AFMECore

final class TrainingTests: XCTestCase {
    /// The end-to-end settings (LeanTrainingTests trains with them too).
    static func config(epochs: Int = 100) -> TrainingConfig {
        var c = TrainingConfig()
        c.dim = 64; c.epochs = epochs; c.learningRate = 0.003; c.batchSize = 512; c.negatives = 16
        c.validateEvery = 10; c.patience = 0; c.threads = 2; c.seed = 5
        return c
    }

    func config(epochs: Int = 100) -> TrainingConfig { Self.config(epochs: epochs) }

    func testRotatEBeatsRandomByAWideMargin() throws {
        let kg = try SyntheticGraph.make()
        let (model, _) = try StructuralTraining.train(graph: kg, config: config())
        let m = FilteredRanker.evaluate(model, triples: kg.test, filter: FilterIndex(graph: kg), threads: 2).metrics()
        let random = 2.0 / Double(kg.entityCount)
        XCTAssertGreaterThan(m.mrr, 20 * random, "test MRR \(m.mrr) vs random \(random)")
        XCTAssertGreaterThan(m.hits10, 0.15)
    }

    func testTransETrains() throws {
        let kg = try SyntheticGraph.make()
        var c = config(); c.scoreFunction = .transE; c.negativeSampling = .bernoulli; c.filterNegatives = true
        let (model, _) = try StructuralTraining.train(graph: kg, config: c)
        let m = FilteredRanker.evaluate(model, triples: kg.test, filter: FilterIndex(graph: kg), threads: 2).metrics()
        XCTAssertGreaterThan(m.mrr, 10 * 2.0 / Double(kg.entityCount))
    }

    func testSameSeedAndThreadsGiveBitIdenticalResults() throws {
        let kg = try SyntheticGraph.make()
        var c = config(epochs: 6); c.validateEvery = 3
        let (a, ra) = try StructuralTraining.train(graph: kg, config: c)
        let (b, rb) = try StructuralTraining.train(graph: kg, config: c)
        XCTAssertEqual(ra.history.map(\.meanLoss), rb.history.map(\.meanLoss))
        XCTAssertEqual(ra.history.compactMap(\.validation), rb.history.compactMap(\.validation))
        XCTAssertEqual(a.entities, b.entities)
        c.seed = 6
        let (_, rc) = try StructuralTraining.train(graph: kg, config: c)
        XCTAssertNotEqual(ra.history.map(\.meanLoss), rc.history.map(\.meanLoss))
    }

    func testEarlyStoppingRestoresBestWeights() throws {
        let kg = try SyntheticGraph.make()
        // A learning rate this high makes validation MRR peak and then fall, so patience triggers.
        var c = config(epochs: 200); c.validateEvery = 2; c.patience = 2; c.learningRate = 0.05
        let (model, r) = try StructuralTraining.train(graph: kg, config: c)
        XCTAssertTrue(r.stoppedEarly)
        XCTAssertLessThan(r.epochsRun, 200)
        let again = FilteredRanker.evaluate(model, triples: kg.valid, filter: FilterIndex(graph: kg), threads: 2)
            .metrics()
        XCTAssertEqual(again.mrr, r.bestValidation!.mrr, "the returned weights are the best validated ones")
    }

    func testProgressHookSeesEpochsAndCanStop() throws {
        let kg = try SyntheticGraph.make()
        var seen: [Int] = []
        let (_, r) = try StructuralTraining.train(graph: kg, config: config(epochs: 50)) { report in
            seen.append(report.epoch)
            XCTAssertTrue(report.meanLoss.isFinite && report.seconds >= 0)
            return report.epoch < 3
        }
        XCTAssertEqual(seen, [1, 2, 3])
        XCTAssertTrue(r.stoppedByCallback)
    }

    func testInvalidConfigIsRefused() throws {
        let kg = try SyntheticGraph.make()
        for mutate in [
            { (c: inout TrainingConfig) in c.dim = 0 }, { $0.learningRate = .nan }, { $0.negatives = -1 },
            { $0.gamma = -.infinity }, { $0.batchSize = 0 }, { $0.threads = -3 },
        ] {
            var c = config(); mutate(&c)
            assertDataError(.invalidArgument) { _ = try StructuralTraining.train(graph: kg, config: c) }
        }
    }

    func testLazyAdamLeavesUntouchedRowsAlone() {
        let adam = RowSparseAdam(rows: 3, width: 16)
        var table = [Float](repeating: 1, count: 48)
        var g0 = [Float](repeating: 0, count: 48)
        for j in 16..<32 { g0[j] = 0.5 }
        adam.beginStep()
        let (c1, c2) = adam.corrections(AdamConfig(learningRate: 0.1))
        table.withUnsafeMutableBufferPointer { t in
            g0.withUnsafeMutableBufferPointer { g in
                let rows = [g.baseAddress! + 16]
                rows.withUnsafeBufferPointer {
                    adam.updateRowSummingGradients(
                        1, table: t.baseAddress!, grads: $0, lrCorrection: c1, v2Correction: c2,
                        config: AdamConfig(learningRate: 0.1))
                }
            }
        }
        XCTAssertEqual(Array(table[0..<16]), [Float](repeating: 1, count: 16))
        XCTAssertEqual(Array(table[32..<48]), [Float](repeating: 1, count: 16))
        // First bias-corrected Adam step moves by lr·sign(g) (up to ε).
        XCTAssertEqual(table[16], 0.9, accuracy: 1e-5)
        XCTAssertEqual(g0[16], 0, "the gradient row is cleared")
    }
}
