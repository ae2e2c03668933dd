// Eq. 13–14 on a batch's own table of joint rows: the engine's distance-loss kernel, reading rows from a
// small local table instead of the global one.
//
// A joint embedding depends on the (entity, relation) pair, so each row of the local table is one
// such pair. Queries of one relation draw their negatives from a pool of rows shared by the relation
// (the sampler's per-relation pools), so a batch needs about 2·B + groups·pool rows instead of B·(k + 2).

/// Gradients of one thread into its own local-table and relation buffers.
struct LocalGradients: DistanceGradientSink {
    let table: UnsafeMutablePointer<Float>, relations: UnsafeMutablePointer<Float>
    let width: Int, relationWidth: Int
    @inline(__always) func row(_ i: Int) -> UnsafeMutablePointer<Float> { table + i * width }
    @inline(__always) func relation(_ r: Int) -> UnsafeMutablePointer<Float> { relations + r * relationWidth }
}

enum JointScoreLoss {
    /// Mean loss over the queries; gradients with respect to every local row and the relation table.
    static func evaluate(
        _ f: ScoreFunction, table: [Float], rows: Int, relations: [Float], queries q: DistanceQueries,
        k: Int, loss: DistanceLossSettings, l2: Float = 0, threads: Int
    ) -> (loss: Float, dTable: [Float], dRelations: [Float]) {
        let W = f.entityWidth, B = q.count
        let T = max(1, min(threads, B))
        var tableGrads = [[Float]](repeating: [], count: T)
        var relationGrads = [[Float]](repeating: [], count: T)
        var losses = [Double](repeating: 0, count: T)
        let invB = 1 / Float(max(B, 1))
        table.withUnsafeBufferPointer { tb in
            relations.withUnsafeBufferPointer { rb in
                tableGrads.withUnsafeMutableBufferPointer { tg in
                    relationGrads.withUnsafeMutableBufferPointer { rg in
                        losses.withUnsafeMutableBufferPointer { lb in
                            Parallel.forEachChunk(T) { chunk in
                                var gTable = [Float](repeating: 0, count: rows * W),
                                    gRel = [Float](repeating: 0, count: relations.count)
                                var sum = 0.0
                                gTable.withUnsafeMutableBufferPointer { gtb in
                                    gRel.withUnsafeMutableBufferPointer { grb in
                                        sum = DistanceLossKernel.accumulate(
                                            f, rows: tb.baseAddress!, relations: rb.baseAddress!, queries: q,
                                            range: Parallel.range(of: chunk, chunks: T, count: B), k: k, loss: loss,
                                            l2: l2, weight: invB,
                                            sink: LocalGradients(
                                                table: gtb.baseAddress!, relations: grb.baseAddress!, width: W,
                                                relationWidth: f.relationWidth))
                                    }
                                }
                                tg[chunk] = gTable; rg[chunk] = gRel; lb[chunk] = sum
                            }
                        }
                    }
                }
            }
        }
        var dTable = tableGrads[0], dRel = relationGrads[0]
        for t in 1..<T {
            for j in 0..<dTable.count { dTable[j] += tableGrads[t][j] }
            for j in 0..<dRel.count { dRel[j] += relationGrads[t][j] }
        }
        return (Float(losses.reduce(0, +) / Double(max(B, 1))), dTable, dRel)
    }
}
