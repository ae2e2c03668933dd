// The pieces that keep a structural run lean at scale: row-wise Adagrad, shared negatives, compact
// per-thread gradient rows and the up-front memory refusal, each against a reference.
import XCTest
import AFMECore
#if canImport(Glibc)
import Glibc
#endif

final class LeanTrainingTests: XCTestCase {
    func smallConfig(threads: Int) -> TrainingConfig {
        var c = TrainingConfig()
        c.dim = 20; c.negatives = 5; c.batchSize = 40; c.threads = threads; c.learningRate = 0.1; c.seed = 3
        return c
    }

    func endToEnd(epochs: Int = 100) -> TrainingConfig { TrainingTests.config(epochs: epochs) }

    /// One trainer step with row-wise Adagrad equals the exact batch gradient (from a second trainer on
    /// the same weights and the same draw of negatives) pushed through the Adagrad rule in Double.
    func testRowwiseAdagradStepMatchesReference() throws {
        let kg = try SyntheticGraph.make()
        for threads in [1, 2] {
            var c = smallConfig(threads: threads); c.entityOptimizer = .rowwiseAdagrad
            var initRng = SplitMix64(seed: 1)
            let f = ScoreFunction(kind: .rotatE, dim: c.dim, gamma: c.gamma, epsilon: c.epsilon)
            let model = KGEModel(score: f, entityCount: kg.entityCount, relationCount: kg.relationCount, rng: &initRng)
            let trainer = StructuralTrainer(model: model, config: c)
            let probe = StructuralTrainer(model: model, config: c)
            let sampler = NegativeSampler(graph: kg, mode: .uniform, filter: false)
            var sums = [Double](repeating: 0, count: kg.entityCount)
            var reference = model.entities.map(Double.init)
            var rng = SplitMix64(seed: 9)
            let live = Double(2 * c.dim), W = f.entityWidth
            for step in 0..<3 {
                let batch = kg.train[(step * 40)..<(step * 40 + 40)]
                var copy = rng, dirs: [Direction] = [], negs: [Int32] = []
                sampler.sample(batch, k: c.negatives, rng: &copy, directions: &dirs, negatives: &negs)
                probe.setTables(entities: trainer.model.entities, relations: trainer.model.relations)
                let (_, ge, _) = probe.lossAndGradients(Array(batch), directions: dirs, negatives: negs)
                _ = trainer.step(batch, sampler: sampler, rng: &rng)
                for e in 0..<kg.entityCount {
                    let g = (0..<W).map { Double(ge[e * W + $0]) }
                    guard g.contains(where: { $0 != 0 }) else { continue }
                    sums[e] += g.reduce(0) { $0 + $1 * $1 } / live
                    let scale = Double(c.learningRate) / (sums[e].squareRoot() + 1e-10)
                    for j in 0..<W { reference[e * W + j] -= scale * g[j] }
                }
                for i in reference.indices {
                    XCTAssertEqual(
                        Double(trainer.model.entities[i]), reference[i], accuracy: 1e-5 * max(1, abs(reference[i])),
                        "threads \(threads) step \(step) entity value \(i)")
                    if abs(Double(trainer.model.entities[i]) - reference[i]) > 1e-3 { return }
                }
                // Padding columns stay exactly zero.
                let padding = (0..<W).filter { j in !f.entityColumns.contains { $0.contains(j) } }
                XCTAssertFalse(padding.isEmpty)
                for e in 0..<kg.entityCount {
                    for j in padding { XCTAssertEqual(trainer.model.entities[e * W + j], 0) }
                }
            }
        }
    }

    func testSharedNegativesAreOneDrawPerChunk() throws {
        let kg = try SyntheticGraph.make()
        let sampler = NegativeSampler(graph: kg, mode: .bernoulli, filter: false)
        var rng = SplitMix64(seed: 4), dirs: [Direction] = [], negs: [Int32] = []
        let batch = kg.train[0..<50], k = 7
        sampler.sample(batch, k: k, shared: 16, rng: &rng, directions: &dirs, negatives: &negs)
        XCTAssertEqual(dirs.count, 50)
        XCTAssertEqual(negs.count, 50 * k)
        for chunk in 0..<4 {
            let first = Array(negs[(chunk * 16 * k)..<(chunk * 16 * k + k)])
            for i in (chunk * 16)..<min(chunk * 16 + 16, 50) {
                XCTAssertEqual(Array(negs[(i * k)..<(i * k + k)]), first, "positive \(i) shares its chunk's draw")
            }
        }
        XCTAssertNotEqual(Array(negs[0..<k]), Array(negs[(16 * k)..<(17 * k)]), "chunks draw anew")
        XCTAssertTrue(dirs.contains(.head) && dirs.contains(.tail))
        XCTAssertTrue(negs.allSatisfy { $0 >= 0 && Int($0) < kg.entityCount })

        var c = smallConfig(threads: 1); c.sharedNegatives = 8; c.filterNegatives = true
        assertDataError(.invalidArgument) { try c.validate() }
        var request = try ModelRequest(kind: "afme")
        XCTAssertThrowsError(try request.set("shared_negatives", "4")) {
            XCTAssert("\($0)".contains("shared_negatives"), "\($0)")
        }
    }

    /// A step with shared negatives is the per-positive kernel run on the replicated draw: same loss, and
    /// RotatE still learns with them.
    func testSharedNegativesTrainAndMatchTheExplicitDraw() throws {
        let kg = try SyntheticGraph.make()
        var c = smallConfig(threads: 2); c.sharedNegatives = 10; c.learningRate = 1e-3
        var initRng = SplitMix64(seed: 1)
        let f = ScoreFunction(kind: .rotatE, dim: c.dim, gamma: c.gamma, epsilon: c.epsilon)
        let model = KGEModel(score: f, entityCount: kg.entityCount, relationCount: kg.relationCount, rng: &initRng)
        let trainer = StructuralTrainer(model: model, config: c), probe = StructuralTrainer(model: model, config: c)
        let sampler = NegativeSampler(graph: kg, mode: .uniform, filter: false)
        var rng = SplitMix64(seed: 2), copy = rng, dirs: [Direction] = [], negs: [Int32] = []
        let batch = kg.train[0..<40]
        sampler.sample(batch, k: c.negatives, shared: 10, rng: &copy, directions: &dirs, negatives: &negs)
        let (expected, _, _) = probe.lossAndGradients(Array(batch), directions: dirs, negatives: negs)
        XCTAssertEqual(trainer.step(batch, sampler: sampler, rng: &rng), expected)

        var t = endToEnd(); t.sharedNegatives = 64
        let (trained, _) = try StructuralTraining.train(graph: kg, config: t)
        let m = FilteredRanker.evaluate(trained, triples: kg.test, filter: FilterIndex(graph: kg), threads: 2).metrics()
        XCTAssertGreaterThan(m.mrr, 20 * 2.0 / Double(kg.entityCount), "shared negatives: test MRR \(m.mrr)")
    }

    /// Row-wise Adagrad trains RotatE to well above chance on the built-in graph.
    func testRowwiseAdagradTrains() throws {
        let kg = try SyntheticGraph.make()
        var t = endToEnd(); t.entityOptimizer = .rowwiseAdagrad; t.learningRate = 0.1
        let (trained, _) = try StructuralTraining.train(graph: kg, config: t)
        let m = FilteredRanker.evaluate(trained, triples: kg.test, filter: FilterIndex(graph: kg), threads: 2).metrics()
        XCTAssertGreaterThan(m.mrr, 20 * 2.0 / Double(kg.entityCount), "row-wise Adagrad: test MRR \(m.mrr)")
    }

    /// The estimate of the Wikidata5M shape (RotatE, dim 250): Adam's moments do not fit 24 GB, row-wise
    /// Adagrad fits 20 GB; and a request beyond the available memory is refused before allocating.
    func testMemoryEstimateAndRefusal() throws {
        var c = TrainingConfig(); c.dim = 250; c.threads = 2; c.validateEvery = 0
        let adam = StructuralTraining.estimatedBytes(c, entities: 4_594_485, relations: 822, trainTriples: 20_614_279)
        c.entityOptimizer = .rowwiseAdagrad
        let lean = StructuralTraining.estimatedBytes(c, entities: 4_594_485, relations: 822, trainTriples: 20_614_279)
        XCTAssertGreaterThan(adam, 28e9)
        XCTAssertLessThan(lean, 12e9)
        XCTAssertGreaterThan(lean, 9.4e9, "the table alone is 4.6 M × 512 floats")

        let kg = try SyntheticGraph.make()
        var request = try ModelRequest(kind: "rotate")
        request.training = endToEnd(epochs: 1)
        setenv("AFME_MEMORY_LIMIT_BYTES", "1000000", 1)
        defer { unsetenv("AFME_MEMORY_LIMIT_BYTES") }
        XCTAssertThrowsError(try ModelRegistry.train(graph: kg, request: request)) {
            XCTAssert("\($0)".contains("needs about") && "\($0)".contains("GB of memory is available"), "\($0)")
        }
        unsetenv("AFME_MEMORY_LIMIT_BYTES")
        XCTAssertNoThrow(try ModelRegistry.train(graph: kg, request: request))
    }
}
