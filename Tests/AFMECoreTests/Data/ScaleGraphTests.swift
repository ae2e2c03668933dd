// The scale generator: sizes, determinism, power-law degrees, planted signal in triples and features,
// and the cache that keeps a generated graph on disk.
import XCTest
import AFMECore

final class ScaleGraphTests: XCTestCase {
    func spec() throws -> ScaleGraphSpec {
        try ScaleGraphSpec(
            parsing: "entities=3000 relations=20 triples=40000 valid=500 test=500 clusters=30 feature_dim=16 seed=7")
    }

    func testSizesDeterminismAndPowerLawDegrees() throws {
        let s = try spec()
        let a = try ScaleGraph.make(s), b = try ScaleGraph.make(s)
        XCTAssertEqual(a.train, b.train); XCTAssertEqual(a.test, b.test)
        XCTAssertEqual(a.modalities[0].values, b.modalities[0].values)
        XCTAssertEqual(a.entityCount, 3000); XCTAssertEqual(a.relationCount, 20)
        let total = a.train.count + a.valid.count + a.test.count
        XCTAssertGreaterThan(total, 30000); XCTAssertLessThanOrEqual(total, 40000)
        XCTAssertGreaterThan(a.test.count, 400); XCTAssertLessThanOrEqual(a.test.count, 500)
        XCTAssertEqual(Set(a.train).count, a.train.count, "no repeated fact")
        XCTAssertTrue(Set(a.train).isDisjoint(with: a.test))
        var degree = [Int](repeating: 0, count: a.entityCount)
        for t in a.train { degree[t.h] += 1; degree[t.t] += 1 }
        let sorted = degree.sorted(by: >)
        let top = sorted[0..<30].reduce(0, +), all = sorted.reduce(0, +)
        XCTAssertGreaterThan(Double(top) / Double(all), 0.05, "the top 1 % of entities hold > 5 % of the degree")
        var other = s; other.seed = 8
        XCTAssertNotEqual(try ScaleGraph.make(other).train, a.train)
    }

    /// Tails of facts that share head and relation come from one cluster, so their feature rows are much
    /// closer than random pairs; and RotatE learns the relations far above chance.
    func testTriplesAndFeaturesCarrySignal() throws {
        let kg = try ScaleGraph.make(try spec())
        let m = kg.modalities[0], D = m.dim
        func distance(_ a: Int, _ b: Int) -> Float {
            var s: Float = 0
            for j in 0..<D { let d = m.values[a * D + j] - m.values[b * D + j]; s += d * d }
            return s
        }
        var byQuery: [Int: [Int]] = [:]
        for t in kg.train { byQuery[t.h * kg.relationCount + t.r, default: []].append(t.t) }
        var same: [Float] = [], random: [Float] = []
        var rng = SplitMix64(seed: 1)
        for (_, tails) in byQuery where tails.count >= 2 {
            same.append(distance(tails[0], tails[1]))
            random.append(distance(rng.below(kg.entityCount), rng.below(kg.entityCount)))
        }
        let meanSame = same.reduce(0, +) / Float(same.count), meanRandom = random.reduce(0, +) / Float(random.count)
        XCTAssertLessThan(meanSame, 0.5 * meanRandom, "tails of one query: \(meanSame) vs random pairs \(meanRandom)")

        var c = TrainingConfig()
        c.dim = 32; c.epochs = 20; c.learningRate = 0.01; c.batchSize = 512; c.negatives = 32
        c.validateEvery = 0; c.threads = 2; c.seed = 1
        let (model, _) = try StructuralTraining.train(graph: kg, config: c)
        let metrics = FilteredRanker.evaluate(model, triples: kg.test, filter: FilterIndex(graph: kg), threads: 2)
            .metrics()
        XCTAssertGreaterThan(metrics.mrr, 30 * 2.0 / Double(kg.entityCount), "RotatE test MRR \(metrics.mrr)")
    }

    func testCacheIsWrittenOnceReusedAndRegeneratedWhenCorrupt() throws {
        let dir = makeTempDir(self), s = try spec()
        let (first, hit1) = try ScaleGraph.cached(s, directory: dir)
        XCTAssertFalse(hit1)
        let (second, hit2) = try ScaleGraph.cached(s, directory: dir)
        XCTAssertTrue(hit2)
        XCTAssertEqual(first.train, second.train); XCTAssertEqual(first.valid, second.valid)
        XCTAssertEqual(first.modalities[0].values, second.modalities[0].values)
        XCTAssertEqual(first.modalities[0].present, second.modalities[0].present)
        let path = ScaleGraph.cachePath(s, directory: dir)
        var bytes = try FileBytes.read(path)
        bytes[bytes.count / 2] ^= 0x40
        writeFile(path, bytes: bytes)
        let (third, hit3) = try ScaleGraph.cached(s, directory: dir)
        XCTAssertFalse(hit3, "a corrupt cache is regenerated, not trusted")
        XCTAssertEqual(third.train, first.train)
        XCTAssertTrue(try ScaleGraph.cached(s, directory: dir).fromCache)
        var other = s; other.noise = 0.2
        XCTAssertNotEqual(ScaleGraph.cachePath(other, directory: dir), path)
    }

    /// The largest spec the domains allow would need far more memory than a machine has: refused with the
    /// estimate, before allocating.
    func testSpecBeyondMemoryIsRefusedUpFront() throws {
        let huge = try ScaleGraphSpec(parsing: "entities=100000000 triples=200000000 feature_dim=40")
        XCTAssertGreaterThan(ScaleGraph.estimatedBytes(huge), 30e9)
        XCTAssertThrowsError(try ScaleGraph.make(huge)) {
            XCTAssert("\($0)".contains("needs about") && "\($0)".contains("available"), "\($0)")
        }
        let small = try spec()
        XCTAssertLessThan(ScaleGraph.estimatedBytes(small), 50e6)
    }

    func testBadSpecsAreRefused() {
        for text in [
            "entities=5", "relations=0", "zipf=-1", "noise=2", "bogus=1", "entities", "triples=1e9",
            "valid=30000 test=30000 triples=100000", "clusters=0", "feature_dim=-3", "seed=-1",
        ] {
            assertDataError(.invalidArgument) { _ = try ScaleGraphSpec(parsing: text) }
        }
    }
}
