// The one training kernel of every distance model (score γ − dist(anchor, candidate)): for each query,
// the anchor from its kept row and relation, the distances to its true row and its k negative rows,
// the loss and its gradient, pushed back into the rows and the relation. The structural trainer runs it
// on the entity table, AFME on a batch's table of joint rows; they differ only in where the gradient
// rows live (`DistanceGradientSink`).

/// The queries of one batch, as rows of a table the kernel reads: each scores one anchor against its
/// true row and `k` negative rows.
public struct DistanceQueries {
    public var anchor: [Int32] = []  // row of the kept side
    public var truth: [Int32] = []  // row of the true missing side
    public var relation: [Int32] = []
    public var direction: [Direction] = []
    public var negatives: [Int32] = []  // k rows per query
    public var count: Int { anchor.count }

    public init() {}

    mutating func removeAll() {
        anchor.removeAll(keepingCapacity: true); truth.removeAll(keepingCapacity: true)
        relation.removeAll(keepingCapacity: true); direction.removeAll(keepingCapacity: true)
        negatives.removeAll(keepingCapacity: true)
    }
}

/// Where one thread's gradients go.
protocol DistanceGradientSink {
    func row(_ i: Int) -> UnsafeMutablePointer<Float>
    func relation(_ r: Int) -> UnsafeMutablePointer<Float>
}

enum DistanceLossKernel {
    /// Loss and gradients of the queries in `range` (one thread's share), each gradient scaled by
    /// `weight`; returns the sum of their unscaled losses. L2 (if `l2` > 0) applies to the head row, the
    /// tail row and the relation of each query, in that order.
    static func accumulate<Sink: DistanceGradientSink>(
        _ f: ScoreFunction, rows: UnsafePointer<Float>, relations: UnsafePointer<Float>,
        queries q: borrowing DistanceQueries, range: Range<Int>, k: Int, loss: DistanceLossSettings,
        l2: Float, weight: Float, sink: Sink
    ) -> Double {
        let W = f.entityWidth, RW = f.relationWidth, P = f.paddedDim
        let anchor = UnsafeMutablePointer<Float>.allocate(capacity: W)
        let dAnchor = UnsafeMutablePointer<Float>.allocate(capacity: W)
        let dist = UnsafeMutablePointer<Float>.allocate(capacity: k + 1)
        let dDist = UnsafeMutablePointer<Float>.allocate(capacity: k + 1)
        // The per-element moduli of each distance, so the backward pass takes no second square root.
        let moduli = UnsafeMutablePointer<Float>.allocate(capacity: (k + 1) * P)
        defer {
            anchor.deallocate(); dAnchor.deallocate(); dist.deallocate(); dDist.deallocate(); moduli.deallocate()
        }
        var total = 0.0
        q.anchor.withUnsafeBufferPointer { anchors in
            q.truth.withUnsafeBufferPointer { truths in
                q.relation.withUnsafeBufferPointer { rels in
                    q.direction.withUnsafeBufferPointer { dirs in
                        q.negatives.withUnsafeBufferPointer { negs in
                            for i in range {
                                let a = Int(anchors[i]), t = Int(truths[i]), r = Int(rels[i]), dir = dirs[i]
                                let keptRow = rows + a * W, relRow = relations + r * RW
                                f.anchor(entity: keptRow, relation: relRow, direction: dir, out: anchor)
                                dist[0] = f.distance(anchor, rows + t * W, moduli: moduli)
                                for j in 0..<k {
                                    dist[j + 1] = f.distance(
                                        anchor, rows + Int(negs[i * k + j]) * W, moduli: moduli + (j + 1) * P)
                                }
                                total += Double(loss.forwardBackward(dist: dist, k: k, weight: weight, dDist: dDist))
                                dAnchor.initialize(repeating: 0, count: W)
                                f.distanceBackward(
                                    anchor, rows + t * W, g: dDist[0], moduli: moduli, dAnchor: dAnchor,
                                    dCandidate: sink.row(t))
                                for j in 0..<k {
                                    let c = Int(negs[i * k + j])
                                    f.distanceBackward(
                                        anchor, rows + c * W, g: dDist[j + 1], moduli: moduli + (j + 1) * P,
                                        dAnchor: dAnchor, dCandidate: sink.row(c))
                                }
                                f.anchorBackward(
                                    entity: keptRow, relation: relRow, direction: dir, dAnchor: dAnchor,
                                    dEntity: sink.row(a), dRelation: sink.relation(r))
                                if l2 > 0 {
                                    let h = dir == .tail ? a : t, tail = dir == .tail ? t : a
                                    total += Double(addL2(l2, weight, rows + h * W, sink.row(h), W))
                                    total += Double(addL2(l2, weight, rows + tail * W, sink.row(tail), W))
                                    total += Double(addL2(l2, weight, relRow, sink.relation(r), RW))
                                }
                            }
                        }
                    }
                }
            }
        }
        return total
    }

    /// Adds 2λx·scale into the gradient and returns the unscaled loss term λ‖x‖².
    @inline(__always)
    static func addL2(
        _ lambda: Float, _ scale: Float, _ x: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ n: Int
    ) -> Float {
        var s: Float = 0
        for i in 0..<n { s += x[i] * x[i]; gx[i] += 2 * lambda * scale * x[i] }
        return lambda * s
    }
}
