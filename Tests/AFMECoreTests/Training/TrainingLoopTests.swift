// The shared training loop with a toy model kind that exists only in this file: the loop drives any
// TrainingSession (steps, validation through its scorer, early stopping on the best snapshot, the restore,
// the post-training hook) and knows no model by name.
import XCTest
import AFMECore

/// A toy kind: its "weights" are the number of epochs it has trained; it scores with a trained RotatE
/// model only after exactly two epochs and with an untrained one otherwise, so validation peaks at epoch 2.
final class ToySession: TrainingSession {
    let good: KGEModel, bad: KGEModel
    let batchesPerEpoch: Int
    var steps = 0
    var restored: Int?
    var epochs: Int { steps / batchesPerEpoch }

    init(good: KGEModel, bad: KGEModel, batchesPerEpoch: Int) {
        self.good = good; self.bad = bad; self.batchesPerEpoch = batchesPerEpoch
    }
    func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float { steps += 1; return Float(epochs) }
    func validationScorer(threads: Int) -> LinkScorer { epochs == 2 ? good : bad }
    func snapshot() -> Int { steps }
    func restore(_ snapshot: Int) { steps = snapshot; restored = snapshot }
    func finish(best: RankingMetrics?, validate: () -> RankingMetrics) -> [PostTrainingOutcome] {
        let now = validate()
        return [
            PostTrainingOutcome(
                name: "toy", detail: "restored to epoch \(epochs)", validationBefore: best ?? now,
                validationAfter: now, kept: true)
        ]
    }
}

final class TrainingLoopTests: XCTestCase {
    func testTheLoopDrivesAKindItDoesNotKnow() throws {
        let kg = try SyntheticGraph.make()
        var c = TrainingConfig()
        c.dim = 32; c.epochs = 40; c.learningRate = 0.003; c.batchSize = 512; c.negatives = 16; c.validateEvery = 0
        c.threads = 2
        let (good, _) = try StructuralTraining.train(graph: kg, config: c)
        var init0 = SplitMix64(seed: 1)
        let bad = KGEModel(
            score: good.score, entityCount: kg.entityCount, relationCount: kg.relationCount, epsilon: 2, rng: &init0)
        let batches = (kg.train.count + 511) / 512
        let toy = ToySession(good: good, bad: bad, batchesPerEpoch: batches)
        c.epochs = 20; c.validateEvery = 1; c.patience = 3
        var rng = SplitMix64(seed: 2)
        var seen: [Int] = []
        let r = TrainingLoop.run(toy, graph: kg, config: c, rng: &rng) {
            seen.append($0.epoch); return true
        }
        XCTAssertEqual(r.bestEpoch, 2)
        XCTAssertEqual(r.epochsRun, 5, "three validations without improvement after epoch 2 stop it")
        XCTAssertTrue(r.stoppedEarly)
        XCTAssertEqual(seen, [1, 2, 3, 4, 5])
        XCTAssertEqual(toy.restored, 2 * batches, "the best snapshot is restored")
        XCTAssertEqual(r.history.map(\.meanLoss), (0..<5).map { Float(Double(batches * $0 + 1) / Double(batches)) })
        XCTAssertEqual(r.postTraining.first?.detail, "restored to epoch 2")
        XCTAssertEqual(
            r.postTraining.first?.validationAfter.mrr, r.bestValidation?.mrr, "the hook sees the restored model")
    }

    /// A toy kind whose step takes 20 ms and whose validation takes 150 ms: with a 0.5 s limit the loop
    /// ends mid-epoch, skips what the time left cannot hold (validation, the post-training step) and stays
    /// within one step of the bound.
    final class SlowSession: TrainingSession {
        let scorer: KGEModel
        var steps = 0
        init(_ scorer: KGEModel) { self.scorer = scorer }
        func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float { steps += 1; usleep(20_000); return 1 }
        func validationScorer(threads: Int) -> LinkScorer { usleep(150_000); return scorer }
        func snapshot() -> Int { steps }
        func restore(_ snapshot: Int) {}
        func finish(best: RankingMetrics?, validate: () -> RankingMetrics) -> [PostTrainingOutcome] {
            let v = validate(), w = validate()
            return [PostTrainingOutcome(name: "slow", detail: "", validationBefore: v, validationAfter: w, kept: false)]
        }
    }

    func testTheTimeLimitBoundsTheWholeRun() throws {
        var spec = SyntheticGraphSpec(); spec.entities = 200
        let kg = try SyntheticGraph.make(spec)
        var rng0 = SplitMix64(seed: 1)
        let m = KGEModel(
            score: ScoreFunction(kind: .rotatE, dim: 4, gamma: 4), entityCount: kg.entityCount,
            relationCount: kg.relationCount, rng: &rng0)
        var c = TrainingConfig()
        c.batchSize = 16; c.epochs = 1000; c.validateEvery = 1; c.validationLimit = 10; c.timeLimitSeconds = 0.5
        let session = SlowSession(m)
        var rng = SplitMix64(seed: 2)
        let r = TrainingLoop.run(session, graph: kg, config: c, rng: &rng, progress: nil)
        XCTAssertTrue(r.stoppedByTimeLimit)
        XCTAssertLessThan(session.steps, (kg.train.count + 15) / 16 * 1000)
        XCTAssertLessThanOrEqual(r.seconds, 0.5 + 0.2, "the run overran its limit by more than a step's slack")
        XCTAssertTrue(r.postTraining.isEmpty, "a post-training step the time left cannot hold is not started")
        c.timeLimitSeconds = 0
        c.epochs = 1
        let unbounded = TrainingLoop.run(SlowSession(m), graph: kg, config: c, rng: &rng, progress: nil)
        XCTAssertFalse(unbounded.stoppedByTimeLimit)
        XCTAssertEqual(unbounded.postTraining.count, 1)
    }
}

#if canImport(Glibc)
import Glibc
#endif
