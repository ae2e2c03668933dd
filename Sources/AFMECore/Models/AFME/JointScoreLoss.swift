// Eq. 13–14 on a batch's own table of joint rows: the fused RotatE/TransE kernels of the engine,
// reading entity rows from a small local table instead of the global one.
//
// A joint embedding depends on the (entity, relation) pair, so each row of the local table is one
// such pair. Queries of one relation draw their negatives from a pool of rows shared by the relation
// (see AFMETrainer), so a batch needs about 2·B + groups·pool rows instead of B·(k + 2).

struct LocalQueries {
    var anchor: [Int32] = []  // local row of the kept side
    var truth: [Int32] = []  // local row of the true missing side
    var relation: [Int32] = []
    var direction: [Direction] = []
    var negatives: [Int32] = []  // k local negative rows per query
    var count: Int { anchor.count }
}

enum JointScoreLoss {
    /// Mean loss over the queries; gradients with respect to every local row and the relation table.
    static func evaluate(
        _ f: ScoreFunction, table: [Float], rows: Int, relations: [Float], queries q: LocalQueries,
        k: Int, temperature: Float, l2: Float = 0, threads: Int
    ) -> (loss: Float, dTable: [Float], dRelations: [Float]) {
        let W = f.entityWidth, RW = f.relationWidth, P = f.paddedDim, B = q.count
        let T = max(1, min(threads, B))
        var tableGrads = [[Float]](repeating: [], count: T)
        var relationGrads = [[Float]](repeating: [], count: T)
        var losses = [Double](repeating: 0, count: T)
        let invB = 1 / Float(max(B, 1)), gamma = f.gamma
        table.withUnsafeBufferPointer { tb in
            relations.withUnsafeBufferPointer { rb in
                let ent = tb.baseAddress!, rel = rb.baseAddress!
                tableGrads.withUnsafeMutableBufferPointer { tg in
                    relationGrads.withUnsafeMutableBufferPointer { rg in
                        losses.withUnsafeMutableBufferPointer { lb in
                            Parallel.forEachChunk(T) { chunk in
                                var gTable = [Float](repeating: 0, count: rows * W),
                                    gRel = [Float](repeating: 0, count: relations.count)
                                let anchor = UnsafeMutablePointer<Float>.allocate(capacity: W)
                                let dAnchor = UnsafeMutablePointer<Float>.allocate(capacity: W)
                                let dist = UnsafeMutablePointer<Float>.allocate(capacity: k + 1)
                                let dDist = UnsafeMutablePointer<Float>.allocate(capacity: k + 1)
                                let moduli = UnsafeMutablePointer<Float>.allocate(capacity: (k + 1) * P)
                                defer {
                                    anchor.deallocate(); dAnchor.deallocate(); dist.deallocate(); dDist.deallocate();
                                    moduli.deallocate()
                                }
                                var loss = 0.0
                                gTable.withUnsafeMutableBufferPointer { gtb in
                                    gRel.withUnsafeMutableBufferPointer { grb in
                                        let gt = gtb.baseAddress!, gr = grb.baseAddress!
                                        for i in Parallel.range(of: chunk, chunks: T, count: B) {
                                            let a = Int(q.anchor[i]), t = Int(q.truth[i]), r = Int(q.relation[i])
                                            let dir = q.direction[i]
                                            f.anchor(
                                                entity: ent + a * W, relation: rel + r * RW, direction: dir, out: anchor
                                            )
                                            dist[0] = f.distance(anchor, ent + t * W, moduli: moduli)
                                            for j in 0..<k {
                                                dist[j + 1] = f.distance(
                                                    anchor, ent + Int(q.negatives[i * k + j]) * W,
                                                    moduli: moduli + (j + 1) * P)
                                            }
                                            loss += Double(
                                                SelfAdversarialLoss.forwardBackward(
                                                    dist: dist, k: k, gamma: gamma, temperature: temperature,
                                                    weight: invB, dDist: dDist))
                                            dAnchor.initialize(repeating: 0, count: W)
                                            f.distanceBackward(
                                                anchor, ent + t * W, g: dDist[0], moduli: moduli, dAnchor: dAnchor,
                                                dCandidate: gt + t * W)
                                            for j in 0..<k {
                                                let c = Int(q.negatives[i * k + j])
                                                f.distanceBackward(
                                                    anchor, ent + c * W, g: dDist[j + 1], moduli: moduli + (j + 1) * P,
                                                    dAnchor: dAnchor, dCandidate: gt + c * W)
                                            }
                                            f.anchorBackward(
                                                entity: ent + a * W, relation: rel + r * RW, direction: dir,
                                                dAnchor: dAnchor,
                                                dEntity: gt + a * W, dRelation: gr + r * RW)
                                            if l2 > 0 {
                                                // As the structural trainer: the positive's two (joint) entity rows and its relation.
                                                loss += Double(
                                                    StructuralTrainer.addL2(l2, invB, ent + a * W, gt + a * W, W))
                                                loss += Double(
                                                    StructuralTrainer.addL2(l2, invB, ent + t * W, gt + t * W, W))
                                                loss += Double(
                                                    StructuralTrainer.addL2(l2, invB, rel + r * RW, gr + r * RW, RW))
                                            }
                                        }
                                    }
                                }
                                tg[chunk] = gTable; rg[chunk] = gRel; lb[chunk] = loss
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
