// Inference: the k best entities for (h, r, ?) or (?, r, t).

public struct ScoredEntity: Equatable, Sendable {
    public var entity: Int32
    public var score: Float
}

public enum TopK {
    /// The `k` highest-scoring candidates for each query, best first; ties broken by lower entity id.
    /// With `exclude`, entities known to complete the query (per the filter) are skipped.
    public static func predict(
        _ scorer: LinkScorer, queries: [Query], k: Int, exclude: FilterIndex? = nil
    ) -> [[ScoredEntity]] {
        let E = scorer.entityCount
        let kk = max(0, min(k, E))
        var results: [[ScoredEntity]] = []
        results.reserveCapacity(queries.count)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: E)
        defer { scores.deallocate() }
        for q in queries {
            [q].withUnsafeBufferPointer { scorer.scoreAllCandidates($0, out: scores) }
            var skip = Set<Int32>()
            if let exclude { skip = Set(exclude.known(q)) }
            results.append(select(scores, count: E, k: kk, skip: skip))
        }
        return results
    }

    /// The `k` best candidates of many queries at once, into caller rows: `ids`/`scores` are
    /// [queries.count, k] row-major, row i for queries[i], best first; a row with fewer than k candidates
    /// left (filter, NaN) is padded with id −1 and score −∞, and `counts[i]` says how many are real.
    /// Queries are grouped by relation and direction as evaluation groups them, so a model with
    /// per-relation tables reuses them, and blocks of queries are spread over `threads` threads (unless
    /// the model parallelises a block itself). Each row equals `predict` for its query alone.
    public static func predictBatch(
        _ scorer: LinkScorer, queries: [Query], k: Int, exclude: FilterIndex?, threads: Int,
        ids: UnsafeMutablePointer<Int64>, scores: UnsafeMutablePointer<Float>,
        counts: UnsafeMutablePointer<Int64>?, blockSize: Int = 64
    ) {
        let E = scorer.entityCount, kk = max(0, min(k, E)), n = queries.count
        if n == 0 { return }
        let order = queries.indices.sorted {
            let a = queries[$0], b = queries[$1]
            return (a.relation, a.direction.rawValue, $0) < (b.relation, b.direction.rawValue, $1)
        }
        let blocks = (n + blockSize - 1) / blockSize
        let T = scorer.parallelizesInternally ? 1 : max(1, min(threads, blocks))
        Parallel.forEachChunk(T) { chunk in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: blockSize * E)
            defer { buffer.deallocate() }
            for b in Parallel.range(of: chunk, chunks: T, count: blocks) {
                let members = Array(order[(b * blockSize)..<min((b + 1) * blockSize, n)])
                members.map { queries[$0] }.withUnsafeBufferPointer { scorer.scoreAllCandidates($0, out: buffer) }
                for (j, qi) in members.enumerated() {
                    let skip = exclude.map { Set($0.known(queries[qi])) } ?? []
                    let best = select(buffer + j * E, count: E, k: kk, skip: skip)
                    for (c, s) in best.enumerated() {
                        ids[qi * kk + c] = Int64(s.entity); scores[qi * kk + c] = s.score
                    }
                    for c in best.count..<kk { ids[qi * kk + c] = -1; scores[qi * kk + c] = -.infinity }
                    counts?[qi] = Int64(best.count)
                }
            }
        }
    }

    /// The best k, best first, ties by lower id: insertion into a short sorted list for small k, a sort
    /// of every candidate for large k (insertion would cost k per candidate).
    static func select(_ s: UnsafePointer<Float>, count: Int, k: Int, skip: Set<Int32>) -> [ScoredEntity] {
        if k == 0 { return [] }
        if k > 64 {
            var all: [ScoredEntity] = []
            all.reserveCapacity(count)
            for e in 0..<count where !s[e].isNaN && !(skip.contains(Int32(e))) {
                all.append(ScoredEntity(entity: Int32(e), score: s[e]))
            }
            all.sort { ($0.score, -$0.entity) > ($1.score, -$1.entity) }
            return Array(all.prefix(k))
        }
        var best: [ScoredEntity] = []
        best.reserveCapacity(k + 1)
        for e in 0..<count {
            let v = s[e]
            if v.isNaN { continue }
            if best.count == k, !(v > best[k - 1].score) { continue }
            if !skip.isEmpty && skip.contains(Int32(e)) { continue }
            var pos = best.count
            while pos > 0 && best[pos - 1].score < v { pos -= 1 }
            best.insert(ScoredEntity(entity: Int32(e), score: v), at: pos)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
