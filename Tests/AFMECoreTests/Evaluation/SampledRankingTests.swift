// Sampled ranking (OGB wikikg2 protocol) against a brute-force reference over the same drawn candidates.
import XCTest
import AFMECore

final class SampledRankingTests: XCTestCase {
    /// Reference ranks of query `index` from whole-triple scores at the candidates the ranker draws.
    func bruteForce(
        _ score: (Int, Int, Int) -> Float, _ kg: KnowledgeGraph, index: Int, n: Int, seed: UInt64,
        filtered: Bool, known: Set<Triple>
    ) -> (Int32, Int32) {
        let count = kg.test.count, t = kg.test[index % count], tail = index < count
        var ids = [Int32](repeating: 0, count: n + 1)
        SampledRanker.draw(
            query: index, seed: seed, entities: kg.entityCount, into: &ids, truth: tail ? t.tail : t.head)
        let target = score(t.h, t.r, t.t)
        var better = 0, ties = 0
        for c in ids.dropFirst().map(Int.init) {
            let triple = tail ? Triple(t.h, t.r, c) : Triple(c, t.r, t.t)
            if c == (tail ? t.t : t.h) || (filtered && known.contains(triple)) { continue }
            let s = score(triple.h, triple.r, triple.t)
            if s > target { better += 1 } else if s == target { ties += 1 }
        }
        return (Int32(1 + better), Int32(1 + better + ties))
    }

    func testRanksEqualBruteForceAtTheDrawnCandidates() throws {
        let kg = try smallStructuralGraph()
        var rng = SplitMix64(seed: 9)
        let model = KGEModel(
            score: ScoreFunction(kind: .rotatE, dim: 6, gamma: 2), entityCount: kg.entityCount,
            relationCount: kg.relationCount, rng: &rng)
        let known = Set(kg.train + kg.valid + kg.test), filter = FilterIndex(graph: kg)
        for filtered in [true, false] {
            var reports: [EvaluationReport] = []
            for threads in [1, 2] {
                let r = SampledRanker.evaluate(
                    model, triples: kg.test, filter: filter, candidates: 25, seed: 77, filtered: filtered,
                    threads: threads)
                XCTAssertEqual(r.ranking, .sampled(candidates: 25, seed: 77, filtered: filtered))
                let n = kg.test.count
                for i in 0..<(2 * n) {
                    let (o, p) = bruteForce(
                        { model.score($0, $1, $2) }, kg, index: i, n: 25, seed: 77, filtered: filtered, known: known)
                    XCTAssertEqual(i < n ? r.tailOptimistic[i] : r.headOptimistic[i - n], o, "query \(i)")
                    XCTAssertEqual(i < n ? r.tailPessimistic[i] : r.headPessimistic[i - n], p, "query \(i)")
                }
                reports.append(r)
            }
            XCTAssertEqual(reports[0].metrics(), reports[1].metrics(), "the draw must not depend on threads")
        }
        // Another seed draws other candidates.
        let a = SampledRanker.evaluate(
            model, triples: kg.test, filter: filter, candidates: 25, seed: 77, filtered: true, threads: 1)
        let b = SampledRanker.evaluate(
            model, triples: kg.test, filter: filter, candidates: 25, seed: 78, filtered: true, threads: 1)
        XCTAssertNotEqual(a.tailOptimistic + a.headOptimistic, b.tailOptimistic + b.headOptimistic)
    }

    /// A scorer without its own scoreCandidates goes through scoreTriples: head queries must put the
    /// candidate on the head side. The reference is the full candidate row.
    func testTheTripleScorerPathPutsCandidatesOnTheRightSide() throws {
        let kg = try smallStructuralGraph()
        let g: (Int, Int, Int) -> Float = { h, r, t in Float((h * 31 + r * 7 + t * 13) % 17) }
        let scorer = TableScorer(entityCount: kg.entityCount) { q, e in
            q.direction == .tail ? g(Int(q.entity), Int(q.relation), e) : g(e, Int(q.relation), Int(q.entity))
        }
        struct Pair: LinkScorer {
            let inner: TableScorer, g: (Int, Int, Int) -> Float
            var entityCount: Int { inner.entityCount }
            var relationCount: Int { 3 }
            func scoreAllCandidates(_ q: UnsafeBufferPointer<Query>, out: UnsafeMutablePointer<Float>) {
                inner.scoreAllCandidates(q, out: out)
            }
            func scoreTriples(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>) {
                for (i, t) in triples.enumerated() { out[i] = g(t.h, t.r, t.t) }
            }
        }
        let r = SampledRanker.evaluate(
            Pair(inner: scorer, g: g), triples: kg.test, filter: FilterIndex(graph: kg), candidates: 40, seed: 5,
            filtered: true, threads: 2)
        let known = Set(kg.train + kg.valid + kg.test), n = kg.test.count
        for i in 0..<(2 * n) {
            let (o, p) = bruteForce(g, kg, index: i, n: 40, seed: 5, filtered: true, known: known)
            XCTAssertEqual(i < n ? r.tailOptimistic[i] : r.headOptimistic[i - n], o, "query \(i)")
            XCTAssertEqual(i < n ? r.tailPessimistic[i] : r.headPessimistic[i - n], p, "query \(i)")
        }
        // Ties are real here (17 score levels): the two tie rules must differ somewhere.
        XCTAssertNotEqual(r.metrics(.optimistic), r.metrics(.pessimistic))
    }

    func testNonFiniteTrueScoreRanksLastAndTheLabelSaysSampled() throws {
        let kg = try smallStructuralGraph()
        let scorer = TableScorer(entityCount: kg.entityCount) { _, _ in .nan }
        let r = SampledRanker.evaluate(
            scorer, triples: kg.test, filter: FilterIndex(graph: kg), candidates: 9, seed: 1, filtered: true,
            threads: 1)
        XCTAssertEqual(Set(r.tailOptimistic + r.headPessimistic), [10])
        XCTAssertTrue(r.ranking.label.contains("sampled ranking: 9 random candidates"))
        XCTAssertTrue(r.subset([Bool](repeating: true, count: kg.test.count)).ranking.label.hasPrefix("sampled"))
        XCTAssertEqual(EvaluationReport().ranking.label, "filtered full ranking")
    }
}
