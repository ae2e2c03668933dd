// Inference: the k best entities for (h, r, ?) or (?, r, t).

public struct ScoredEntity: Equatable, Sendable {
    public var entity: Int32
    public var score: Float
}

public enum TopK {
    /// The `k` highest-scoring candidates for each query, best first; ties broken by lower entity id.
    /// With `exclude`, entities known to complete the query (per the filter) are skipped.
    public static func predict(_ scorer: LinkScorer, queries: [Query], k: Int, exclude: FilterIndex? = nil) -> [[ScoredEntity]] {
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

    /// Bounded selection: keeps a sorted list of the best k (k is small; insertion is cheap and branch-predictable).
    static func select(_ s: UnsafePointer<Float>, count: Int, k: Int, skip: Set<Int32>) -> [ScoredEntity] {
        if k == 0 { return [] }
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
