// Sampled ranking (the OGB wikikg2 protocol): the true entity against N random candidates per query
// instead of every entity. It is an estimate for graphs too large to rank in full, not the filtered
// full-ranking number, and every output that carries it says so (RankingProtocol.label).

/// How the ranks of a report were made.
public enum RankingProtocol: Sendable, Equatable {
    /// Every entity is a candidate; other known true answers are skipped (Bordes et al. 2013).
    case full
    /// `candidates` entities drawn uniformly with replacement per query from a stream seeded by `seed` and
    /// the query's index, so the draw does not depend on the thread count. Draws equal to the true entity
    /// are not counted; with `filtered`, neither are draws that are other known answers (OGB's wikikg2
    /// candidate lists are not filtered: `filtered: false` is that reading).
    case sampled(candidates: Int, seed: UInt64, filtered: Bool)

    public var label: String {
        switch self {
        case .full: return "filtered full ranking"
        case let .sampled(n, seed, filtered):
            return "sampled ranking: \(n) random candidates per query (OGB wikikg2 protocol), "
                + (filtered ? "known answers filtered" : "unfiltered") + ", seed \(seed)"
        }
    }
}

public enum SampledRanker {
    /// Ranks of `triples` in both directions, each against its own sample of candidates.
    public static func evaluate(
        _ scorer: LinkScorer, triples: [Triple], filter: FilterIndex, candidates n: Int, seed: UInt64,
        filtered: Bool, threads: Int
    ) -> EvaluationReport {
        precondition(n > 0, "a sample needs at least one candidate")
        let start = monotonicSeconds()
        let count = triples.count
        var optimistic = [Int32](repeating: 0, count: 2 * count), pessimistic = optimistic
        let T = max(1, min(threads, 2 * count))
        optimistic.withUnsafeMutableBufferPointer { optBuf in
            pessimistic.withUnsafeMutableBufferPointer { pesBuf in
                let opt = optBuf.baseAddress!, pes = pesBuf.baseAddress!
                Parallel.forEachChunk(T) { chunk in
                    var ids = [Int32](repeating: 0, count: n + 1)
                    var scores = [Float](repeating: 0, count: n + 1)
                    for qi in Parallel.range(of: chunk, chunks: T, count: 2 * count) {
                        let t = triples[qi % count]
                        let query =
                            qi < count
                            ? Query(entity: t.h, relation: t.r, direction: .tail)
                            : Query(entity: t.t, relation: t.r, direction: .head)
                        let truth = qi < count ? t.tail : t.head
                        draw(query: qi, seed: seed, entities: scorer.entityCount, into: &ids, truth: truth)
                        ids.withUnsafeBufferPointer { idBuf in
                            scores.withUnsafeMutableBufferPointer {
                                scorer.scoreCandidates(query, idBuf, out: $0.baseAddress!)
                            }
                        }
                        let known = filtered ? filter.known(query) : []
                        let (o, p) = known.withUnsafeBufferPointer { rank(scores, ids, known: $0) }
                        opt[qi] = o; pes[qi] = p
                    }
                }
            }
        }
        var report = EvaluationReport()
        report.tailOptimistic = Array(optimistic[0..<count]); report.tailPessimistic = Array(pessimistic[0..<count])
        report.headOptimistic = Array(optimistic[count...]); report.headPessimistic = Array(pessimistic[count...])
        report.ranking = .sampled(candidates: n, seed: seed, filtered: filtered)
        report.seconds = monotonicSeconds() - start
        return report
    }

    /// The candidates of query `index` (tail queries are 0..<n, head queries n..<2n): `ids[0]` is the
    /// truth, `ids[1...]` the draw.
    public static func draw(query index: Int, seed: UInt64, entities: Int, into ids: inout [Int32], truth: Int32) {
        var rng = SplitMix64(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        ids[0] = truth
        for i in 1..<ids.count { ids[i] = Int32(rng.below(entities)) }
    }

    /// Optimistic and pessimistic rank of `scores[0]` (the truth) among the other scores. Draws equal to the
    /// truth and draws in `known` (sorted) are not counted; a non-finite true score ranks last.
    static func rank(_ scores: [Float], _ ids: [Int32], known: UnsafeBufferPointer<Int32>) -> (Int32, Int32) {
        let target = scores[0]
        if !target.isFinite { return (Int32(scores.count), Int32(scores.count)) }
        var better = 0, ties = 0
        for i in 1..<scores.count where ids[i] != ids[0] && !binarySearch(known, ids[i]) {
            if scores[i] > target { better += 1 } else if scores[i] == target { ties += 1 }
        }
        return (Int32(1 + better), Int32(1 + better + ties))
    }
}

extension LinkScorer {
    /// Default: the model's triple scores. A model whose triple score is not bit-identical to its
    /// candidate scan should override this (KGEModel does).
    public func scoreCandidates(_ query: Query, _ ids: UnsafeBufferPointer<Int32>, out: UnsafeMutablePointer<Float>) {
        let e = Int(query.entity), r = Int(query.relation)
        let triples = ids.map { query.direction == .tail ? Triple(e, r, Int($0)) : Triple(Int($0), r, e) }
        triples.withUnsafeBufferPointer { scoreTriples($0, out: out) }
    }
}
