// Structural rows for entities that have no training triple (cold-start entities).
//
// Such an entity never receives a positive gradient: its structural row starts random and is only
// pushed away from queries as a negative, so its joint row scores near random, both as a query's known
// side and as a candidate (MKG-Y: 612 such entities, 388 of the 2 663 test triples touch one, MRR
// 1.3 % on those). Its structure is a missing modality; what is known about it is its features. After
// training, its row becomes
//
//     e_u ← keep · e_u + Σ_j w_j · e_{n_j},   w = softmax(τ · cos(x_u, x_{n_j})) over the k nearest
//
// where n_1…n_k are the k entities *with* training triples whose features are most similar (cosine,
// averaged over the modalities u has; a neighbour lacking one counts 0 for it). The kept share of the
// trained row matters: it is what training learned about u (never a positive), and without it the
// placed rows sit among the typical answers and crowd the true answers of other queries (measured:
// −2 MRR on queries without cold-start entities at keep = 0; docs/experiments/afme-mkg-y-levers.md "Fourth pass").
// Whether neighbours place entities well depends on the graph, so AFMETraining keeps the placement only
// if it raises the validation MRR (docs/MODEL.md "Cold-start entities").

public enum UnseenPlacement {
    /// Softmax sharpness on cosine similarities in [−1, 1]: neighbours 0.05 less similar weigh e⁻¹ less.
    static let temperature: Float = 20
    /// Similarities are computed for a block of cold-start rows at a time, the block sized so that its
    /// scratch (rows × |seen| floats) stays within 64 MiB on any graph.
    static func blockRows(seen: Int) -> Int { max(1, min(256, (16 << 20) / max(seen, 1))) }

    /// Entities with no training triple and at least one present feature row.
    public static func coldStartEntities(_ model: AFMEModel, train: [Triple]) -> (cold: [Int], seen: [Int]) {
        var seen = [Bool](repeating: false, count: model.entityCount)
        for t in train { seen[t.h] = true; seen[t.t] = true }
        var cold: [Int] = [], warm: [Int] = []
        for e in 0..<model.entityCount {
            if seen[e] { warm.append(e) } else if model.modalities.contains(where: { $0.present[e] }) { cold.append(e) }
        }
        return (cold, warm)
    }

    /// Rewrites the structural rows of the cold-start entities; returns how many were placed.
    /// `neighbors` ≥ 1 and `keep` in [0, 1] are checked by AFMEConfig.
    @discardableResult
    public static func apply(to model: AFMEModel, train: [Triple], neighbors: Int, keep: Float) -> Int {
        let (cold, seen) = coldStartEntities(model, train: train)
        if cold.isEmpty || seen.isEmpty { return 0 }
        let k = min(neighbors, seen.count), W = model.score.entityWidth
        // Unit rows per modality (zero where absent), for the seen entities once.
        let seenUnit = model.modalities.map { unitRows($0, seen) }
        var placed = model.structural
        let rowsPerBlock = blockRows(seen: seen.count)
        for start in stride(from: 0, to: cold.count, by: rowsPerBlock) {
            let block = Array(cold[start..<min(start + rowsPerBlock, cold.count)])
            var sim = [Float](repeating: 0, count: block.count * seen.count)
            var count = [Float](repeating: 0, count: block.count)
            for (m, mod) in model.modalities.enumerated() {
                let a = unitRows(mod, block)
                for (i, e) in block.enumerated() where mod.present[e] { count[i] += 1 }
                a.withUnsafeBufferPointer { ap in
                    seenUnit[m].withUnsafeBufferPointer { bp in
                        sim.withUnsafeMutableBufferPointer { cp in
                            BLAS.sgemm(
                                transA: false, transB: true, m: block.count, n: seen.count, k: mod.dim, alpha: 1,
                                a: ap.baseAddress!, lda: mod.dim, b: bp.baseAddress!, ldb: mod.dim,
                                beta: 1, c: cp.baseAddress!, ldc: seen.count)
                        }
                    }
                }
            }
            for (i, e) in block.enumerated() {
                let row = sim[(i * seen.count)..<((i + 1) * seen.count)]
                let best = topK(row, k: k, scale: 1 / count[i])
                let top = best.map(\.score).max() ?? 0
                var w = best.map { _expf(temperature * ($0.score - top)) }
                let total = w.reduce(0, +)
                for j in w.indices { w[j] /= total }
                for c in 0..<W { placed[e * W + c] = keep * model.structural[e * W + c] }
                for (j, n) in best.enumerated() {
                    let s = seen[n.index]
                    for c in 0..<W { placed[e * W + c] += w[j] * model.structural[s * W + c] }
                }
            }
        }
        model.structural = placed
        return cold.count
    }

    /// [rows.count, dim] L2-normalised feature rows; zero for absent or zero-norm rows.
    static func unitRows(_ mod: ModalityFeatures, _ rows: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * mod.dim)
        for (i, e) in rows.enumerated() where mod.present[e] {
            var n: Float = 0
            for c in 0..<mod.dim { let v = mod.values[e * mod.dim + c]; n += v * v }
            if !(n > 0) || !n.isFinite { continue }
            let inv = 1 / n.squareRoot()
            for c in 0..<mod.dim { out[i * mod.dim + c] = mod.values[e * mod.dim + c] * inv }
        }
        return out
    }

    /// The k largest scaled values of `row` with their positions (relative to the slice), best first.
    static func topK(_ row: ArraySlice<Float>, k: Int, scale: Float) -> [(index: Int, score: Float)] {
        var best: [(index: Int, score: Float)] = []
        best.reserveCapacity(k + 1)
        for (j, v) in row.enumerated() {
            let s = v * scale
            if !s.isFinite { continue }
            if best.count == k, let last = best.last, !(s > last.score) { continue }
            var p = best.count
            while p > 0 && best[p - 1].score < s { p -= 1 }
            best.insert((j, s), at: p)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
