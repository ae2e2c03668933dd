// Cold-start placement (UnseenPlacement): the formula on a constructed case, and that it helps the
// entities it is for without hurting the others.
import XCTest
import AFMECore

final class PlacementTests: XCTestCase {
    /// The built-in graph with the training triples of `cold` entities moved to the test split.
    func coldStartGraph(cold: Set<Int>) throws -> KnowledgeGraph {
        var kg = try SyntheticGraph.make()
        let touches = { (t: Triple) in cold.contains(t.h) || cold.contains(t.t) }
        kg.test = kg.train.filter(touches)
        kg.train = kg.train.filter { !touches($0) }
        kg.valid = kg.valid.filter { !touches($0) }
        return kg
    }

    func testPlacedRowIsTheKeptRowPlusTheNearestNeighbours() throws {
        var spec = SyntheticGraphSpec()
        spec.entities = 40; spec.relations = 3; spec.modalityDims = [6]; spec.missingFractions = [0]
        var kg = try SyntheticGraph.make(spec)
        // Entity 0 has no training triple and the features of entity 1 (cosine 1: its only neighbour
        // that matters at k = 1); entity 2 has no triple and no features (not placed).
        kg.train = kg.train.filter { ![0, 2].contains($0.h) && ![0, 2].contains($0.t) }
        kg.train.append(Triple(1, 0, 3))
        let d = kg.modalities[0].dim
        for c in 0..<d { kg.modalities[0].values[c] = kg.modalities[0].values[d + c] * 3 }
        kg.modalities[0].present[2] = false
        for c in 0..<d { kg.modalities[0].values[2 * d + c] = 0 }
        var t = TrainingConfig(); t.dim = 8; t.epochs = 1; t.validateEvery = 0; t.threads = 1; t.negatives = 4;
        t.batchSize = 16
        var a = AFMEConfig(); a.attentionLayers = 1; a.attentionTokens = 4; a.placementNeighbors = 0
        let (m, _) = try AFMETraining.train(graph: kg, training: t, config: a)
        let W = m.score.entityWidth
        let before = m.structural
        let (cold, _) = UnseenPlacement.coldStartEntities(m, train: kg.train)
        XCTAssertTrue(cold.contains(0)); XCTAssertFalse(cold.contains(2)); XCTAssertFalse(cold.contains(1))
        XCTAssertEqual(UnseenPlacement.apply(to: m, train: kg.train, neighbors: 1, keep: 0.25), cold.count)
        for c in 0..<W {
            XCTAssertEqual(m.structural[c], 0.25 * before[c] + before[W + c], accuracy: 1e-6)
            XCTAssertEqual(m.structural[2 * W + c], before[2 * W + c], "an entity without features keeps its row")
            XCTAssertEqual(m.structural[W + c], before[W + c], "an entity with triples keeps its row")
        }
    }

    /// 5 % of the built-in graph's entities lose every training triple; their triples become the test
    /// split. The features are noisy images of the latent vectors the facts come from, so feature
    /// neighbours are structural neighbours: placement must lift the cold entities' test MRR clearly,
    /// and must not cost the queries of the other entities (checked on the validation split).
    func testPlacementHelpsColdStartEntities() throws {
        let cold = Set(stride(from: 0, to: 2000, by: 20))
        let kg = try coldStartGraph(cold: cold)
        var c = TrainingConfig()
        c.dim = 64; c.epochs = 15; c.learningRate = 0.003; c.batchSize = 512; c.negatives = 16
        c.validateEvery = 0; c.threads = 2; c.seed = 3
        var a = AFMEConfig(); a.placementNeighbors = 0
        let (m, _) = try AFMETraining.train(graph: kg, training: c, config: a)
        let filter = FilterIndex(graph: kg)
        func mrr(_ triples: [Triple]) -> Double {
            FilteredRanker.evaluate(AFMEScorer(model: m), triples: triples, filter: filter, threads: 2).metrics().mrr
        }
        let coldBefore = mrr(kg.test), warmBefore = mrr(kg.valid)
        let placed = UnseenPlacement.apply(to: m, train: kg.train, neighbors: 10, keep: 0.5)
        let coldAfter = mrr(kg.test), warmAfter = mrr(kg.valid)
        print(
            "cold-start placement: \(placed) entities; their test MRR \(coldBefore) → \(coldAfter); others \(warmBefore) → \(warmAfter)"
        )
        XCTAssertEqual(
            placed, cold.filter { e in kg.modalities.contains { $0.present[e] } }.count, "cold entities with features")
        XCTAssertGreaterThan(coldAfter, coldBefore + 0.05)
        XCTAssertGreaterThan(warmAfter, warmBefore - 0.01)
    }

    /// Trains with placement and checks the decision against the validation MRR before and after, and
    /// that the returned model is the one the decision names (its validation MRR is the kept side's).
    func checkTrainedPlacement(_ kg: KnowledgeGraph, neighbors: Int, keep: Float, expectKept: Bool) throws {
        var c = TrainingConfig()
        c.dim = 64; c.epochs = 15; c.learningRate = 0.003; c.batchSize = 512; c.negatives = 16
        c.validateEvery = 15; c.threads = 2; c.seed = 3
        var a = AFMEConfig(); a.placementNeighbors = neighbors; a.placementKeep = keep
        let (m, r) = try AFMETraining.train(graph: kg, training: c, config: a)
        let p = try XCTUnwrap(r.postTraining.first { $0.name == "cold-start placement" })
        print("placement on validation: \(p.validationBefore.mrr) → \(p.validationAfter.mrr), kept \(p.kept)")
        XCTAssertEqual(p.kept, expectKept)
        XCTAssertEqual(p.validationAfter.mrr > p.validationBefore.mrr, expectKept)
        let now = FilteredRanker.evaluate(
            AFMEScorer(model: m), triples: kg.valid, filter: FilterIndex(graph: kg), threads: 2
        ).metrics()
        XCTAssertEqual(now.mrr, expectKept ? p.validationAfter.mrr : p.validationBefore.mrr, accuracy: 1e-12)
    }

    /// Training keeps the placement when the validation split (here holding half of the cold entities'
    /// triples) says it helps, and the model returned is the placed one.
    func testTrainingKeepsPlacementThatRaisesValidationMRR() throws {
        let cold = Set(stride(from: 0, to: 2000, by: 20))
        var kg = try coldStartGraph(cold: cold)
        let half = kg.test.count / 2
        kg.valid += kg.test[..<half]; kg.test = Array(kg.test[half...])
        try checkTrainedPlacement(kg, neighbors: 10, keep: 0.5, expectKept: true)
    }

    /// A harmful placement is reverted: cold entities whose features copy those of unrelated entities,
    /// placed as exact copies of them (k = 1, keep = 0), tie with those entities on every query.
    func testTrainingRevertsPlacementThatLowersValidationMRR() throws {
        let cold = Array(stride(from: 0, to: 2000, by: 20))
        var kg = try coldStartGraph(cold: Set(cold))
        for (i, u) in cold.enumerated() {
            let source = u + 1 + i % 7  // an entity with triples (cold ids are multiples of 20)
            for (m, mod) in kg.modalities.enumerated() {
                for c in 0..<mod.dim { kg.modalities[m].values[u * mod.dim + c] = mod.values[source * mod.dim + c] }
                kg.modalities[m].present[u] = mod.present[source]
            }
        }
        try checkTrainedPlacement(kg, neighbors: 1, keep: 0, expectKept: false)
    }

    func testPlacementSettingsAreValidated() {
        var a = AFMEConfig()
        a.placementNeighbors = 257
        XCTAssertThrowsError(try a.validate(entityWidth: 16))
        a.placementNeighbors = 10; a.placementKeep = .nan
        XCTAssertThrowsError(try a.validate(entityWidth: 16))
        a.placementKeep = 1.5
        XCTAssertThrowsError(try a.validate(entityWidth: 16))
        a.placementKeep = 0.5
        XCTAssertNoThrow(try a.validate(entityWidth: 16))
    }
}
