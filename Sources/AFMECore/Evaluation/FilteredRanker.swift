// Filtered link-prediction evaluation: rank the true entity among all entities for (h, r, ?) and
// (?, r, t), ignoring other known true answers.

public enum FilteredRanker {
    /// Ranks of `triples` in both directions. Queries are grouped by relation and direction so a
    /// model that precomputes per-relation tables (AFME) reuses them across a block.
    public static func evaluate(
        _ scorer: LinkScorer, triples: [Triple], filter: FilterIndex, threads: Int,
        blockSize: Int = 64
    ) -> EvaluationReport {
        let start = monotonicSeconds()
        let E = scorer.entityCount
        // Query i (< n) is the tail query of triple i, query n + i its head query.
        let n = triples.count
        var queries: [Query] = []
        queries.reserveCapacity(2 * n)
        for t in triples { queries.append(Query(entity: t.h, relation: t.r, direction: .tail)) }
        for t in triples { queries.append(Query(entity: t.t, relation: t.r, direction: .head)) }
        let order = queries.indices.sorted {
            let a = queries[$0], b = queries[$1]
            return (a.relation, a.direction.rawValue, $0) < (b.relation, b.direction.rawValue, $1)
        }
        var optimistic = [Int32](repeating: 0, count: 2 * n), pessimistic = optimistic
        let blocks = (order.count + blockSize - 1) / blockSize
        let T = scorer.parallelizesInternally ? 1 : max(1, min(threads, blocks))
        optimistic.withUnsafeMutableBufferPointer { optBuf in
            pessimistic.withUnsafeMutableBufferPointer { pesBuf in
                let opt = optBuf.baseAddress!, pes = pesBuf.baseAddress!
                Parallel.forEachChunk(T) { chunk in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: blockSize * E)
                    defer { scores.deallocate() }
                    var block: [Query] = []
                    for b in Parallel.range(of: chunk, chunks: T, count: blocks) {
                        let ids = order[(b * blockSize)..<min((b + 1) * blockSize, order.count)]
                        block = ids.map { queries[$0] }
                        block.withUnsafeBufferPointer { scorer.scoreAllCandidates($0, out: scores) }
                        for (j, qi) in ids.enumerated() {
                            let truth = qi < n ? triples[qi].tail : triples[qi - n].head
                            let (o, p) = rank(
                                scores + j * E, count: E, truth: Int(truth), known: filter.known(queries[qi]))
                            opt[qi] = o; pes[qi] = p
                        }
                    }
                }
            }
        }
        var report = EvaluationReport()
        report.tailOptimistic = Array(optimistic[0..<n]); report.tailPessimistic = Array(pessimistic[0..<n])
        report.headOptimistic = Array(optimistic[n...]); report.headPessimistic = Array(pessimistic[n...])
        report.seconds = monotonicSeconds() - start
        return report
    }

    /// Optimistic and pessimistic filtered rank of `truth` among `count` scores (higher is better).
    /// Known true entities other than `truth` are skipped. A non-finite true score ranks last.
    @inline(__always)
    public static func rank(_ s: UnsafePointer<Float>, count: Int, truth: Int, known: [Int32]) -> (Int32, Int32) {
        let target = s[truth]
        if !target.isFinite { return (Int32(count), Int32(count)) }
        var better = 0, ties = 0
        for e in 0..<count {
            let v = s[e]
            better &+= v > target ? 1 : 0
            ties &+= v == target ? 1 : 0
        }
        ties -= 1  // the true entity itself
        for k in known where Int(k) != truth {
            let v = s[Int(k)]
            if v > target { better -= 1 } else if v == target { ties -= 1 }
        }
        return (Int32(1 + better), Int32(1 + better + ties))
    }
}
