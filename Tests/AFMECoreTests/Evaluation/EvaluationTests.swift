// Filtered ranking against a brute-force reference, tie handling, top-k.
import XCTest
import AFMECore

/// A scorer with fixed scores per query, for tie tests.
struct TableScorer: LinkScorer {
    let entityCount: Int
    let relationCount = 1
    let scoreOf: (Query, Int) -> Float
    func scoreAllCandidates(_ queries: UnsafeBufferPointer<Query>, out: UnsafeMutablePointer<Float>) {
        for (i, q) in queries.enumerated() { for e in 0..<entityCount { out[i * entityCount + e] = scoreOf(q, e) } }
    }
    func scoreTriples(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>) {
        for (i, t) in triples.enumerated() {
            out[i] = scoreOf(Query(entity: t.h, relation: t.r, direction: .tail), t.t)
        }
    }
}

final class EvaluationTests: XCTestCase {
    func testEveryRankMatchesBruteForce() throws {
        let kg = try smallStructuralGraph()
        var rng = SplitMix64(seed: 9)
        let model = KGEModel(
            score: ScoreFunction(kind: .rotatE, dim: 6, gamma: 2), entityCount: kg.entityCount,
            relationCount: kg.relationCount, rng: &rng)
        let all = Set(kg.train + kg.valid + kg.test)
        for threads in [1, 2] {
            let report = FilteredRanker.evaluate(
                model, triples: kg.test, filter: FilterIndex(graph: kg), threads: threads, blockSize: 7)
            for (i, t) in kg.test.enumerated() {
                // Brute force: every candidate scored as a whole triple, filter applied by set membership.
                var better = [0, 0], ties = [0, 0]
                for e in 0..<kg.entityCount {
                    let tail = Triple(t.h, t.r, e), head = Triple(e, t.r, t.t)
                    if e != t.t && !all.contains(tail) {
                        let s = model.score(t.h, t.r, e), s0 = model.score(t.h, t.r, t.t)
                        if s > s0 { better[0] += 1 } else if s == s0 { ties[0] += 1 }
                    }
                    if e != t.h && !all.contains(head) {
                        let s = model.score(e, t.r, t.t), s0 = model.score(t.h, t.r, t.t)
                        if s > s0 { better[1] += 1 } else if s == s0 { ties[1] += 1 }
                    }
                }
                XCTAssertEqual(Int(report.tailOptimistic[i]), 1 + better[0], "tail rank of test triple \(i)")
                XCTAssertEqual(Int(report.tailPessimistic[i]), 1 + better[0] + ties[0])
                XCTAssertEqual(Int(report.headOptimistic[i]), 1 + better[1], "head rank of test triple \(i)")
                XCTAssertEqual(Int(report.headPessimistic[i]), 1 + better[1] + ties[1])
            }
        }
    }

    /// The compressed filter answers every query exactly as per-query sets would (duplicates across splits
    /// kept once, answers sorted), and contains() agrees with set membership.
    func testFilterIndexEqualsPerQuerySets() throws {
        let kg = try smallStructuralGraph()
        let splits = [kg.train, kg.valid + Array(kg.train.prefix(5)), kg.test]
        let filter = FilterIndex(graph: kg, splits: splits)
        let all = Set(splits.flatMap { $0 })
        for e in 0..<kg.entityCount {
            for r in 0..<kg.relationCount {
                let tails = all.filter { $0.h == e && $0.r == r }.map { Int32($0.t) }.sorted()
                let heads = all.filter { $0.t == e && $0.r == r }.map { Int32($0.h) }.sorted()
                XCTAssertEqual(filter.known(Query(entity: e, relation: r, direction: .tail)), tails)
                XCTAssertEqual(filter.known(Query(entity: e, relation: r, direction: .head)), heads)
                for t in 0..<kg.entityCount {
                    XCTAssertEqual(filter.contains(Triple(e, r, t)), all.contains(Triple(e, r, t)))
                }
            }
        }
    }

    func testConstantScorerGetsHalfwayRankUnderRealistic() {
        let E = 1000
        let scorer = TableScorer(entityCount: E) { _, _ in 0.5 }
        let triples = (0..<50).map { Triple($0, 0, ($0 * 7 + 3) % E) }
        let kg = KnowledgeGraph(entityCount: E, relationCount: 1, train: [], valid: [], test: triples)
        let report = FilteredRanker.evaluate(scorer, triples: triples, filter: FilterIndex(graph: kg), threads: 2)
        let m = report.metrics(.realistic)
        XCTAssertEqual(m.mrr, 1 / (Double(E + 1) / 2), accuracy: 1e-4, "MRR ≈ 1/(E/2)")
        XCTAssertEqual(report.metrics(.optimistic).mrr, 1, "optimistic counts no tie as better")
        XCTAssertEqual(report.metrics(.openKE).mrr, report.metrics(.optimistic).mrr)
        XCTAssertEqual(report.metrics(.pessimistic).meanRank, Double(E))
        XCTAssertEqual(m.hits10, 0)
    }

    func testTiesAndFilterTogether() {
        // 6 entities; truth 2 scores 1.0; entity 4 scores 2.0 but is a known answer (filtered);
        // entities 0 and 5 tie with the truth; 1 and 3 are worse.
        let scores: [Float] = [1, 0, 1, 0.5, 2, 1]
        let scorer = TableScorer(entityCount: 6) { _, e in scores[e] }
        let test = [Triple(0, 0, 2)]
        let kg = KnowledgeGraph(entityCount: 6, relationCount: 1, train: [Triple(0, 0, 4)], valid: [], test: test)
        let r = FilteredRanker.evaluate(scorer, triples: test, filter: FilterIndex(graph: kg), threads: 1)
        XCTAssertEqual(r.tailOptimistic, [1])
        XCTAssertEqual(r.tailPessimistic, [3])
        XCTAssertEqual(r.ranks(.realistic, .tail), [2])
    }

    func testNonFiniteTrueScoreRanksLast() {
        let scorer = TableScorer(entityCount: 5) { _, e in e == 1 ? .nan : 0 }
        let test = [Triple(0, 0, 1)]
        let kg = KnowledgeGraph(entityCount: 5, relationCount: 1, train: [], valid: [], test: test)
        let r = FilteredRanker.evaluate(scorer, triples: test, filter: FilterIndex(graph: kg), threads: 1)
        XCTAssertEqual(r.tailOptimistic, [5])
    }

    func testTopKOrderAndExclusion() {
        let scores: [Float] = [0.1, 0.9, 0.5, 0.9, 0.7]
        let scorer = TableScorer(entityCount: 5) { _, e in scores[e] }
        let q = Query(entity: 0, relation: 0, direction: .tail)
        let top = TopK.predict(scorer, queries: [q], k: 3)[0]
        XCTAssertEqual(top.map(\.entity), [1, 3, 4], "ties keep the lower id first")
        let kg = KnowledgeGraph(entityCount: 5, relationCount: 1, train: [Triple(0, 0, 3)], valid: [], test: [])
        let filtered = TopK.predict(scorer, queries: [q], k: 3, exclude: FilterIndex(graph: kg))[0]
        XCTAssertEqual(filtered.map(\.entity), [1, 4, 2])
        XCTAssertEqual(TopK.predict(scorer, queries: [q], k: 99)[0].count, 5)
    }

    func testReportSubsetKeepsTheSelectedTriplesOfBothDirections() {
        var r = EvaluationReport()
        r.tailOptimistic = [1, 4, 2]; r.tailPessimistic = [1, 6, 2]
        r.headOptimistic = [3, 1, 10]; r.headPessimistic = [3, 1, 12]
        let s = r.subset([true, false, true])
        XCTAssertEqual(s.metrics(.realistic), RankingMetrics(ranks: [1, 2, 3, 11]))
        XCTAssertEqual(s.metrics(.optimistic, .head), RankingMetrics(ranks: [3, 10]))
        XCTAssertEqual(r.subset([false, true, false]).metrics(.pessimistic), RankingMetrics(ranks: [6, 1]))
    }
}
