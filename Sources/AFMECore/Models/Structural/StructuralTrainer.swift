// One optimisation step of a structural model (RotatE/TransE) as a fused kernel: score, loss and
// gradient of a batch with all its negatives without building a graph node per operation.
//
// Work split: positives are divided into one contiguous chunk per thread; each thread accumulates
// gradients into its own entity/relation buffers and records the rows it touched. The merge and the
// lazy Adam update then run over the union of touched rows, split by row ranges. Chunking depends only
// on the thread count, so results are bit-identical for a given seed and thread count.

final class ThreadGradients {
    let entityGrad: UnsafeMutablePointer<Float>
    let relationGrad: UnsafeMutablePointer<Float>
    let touched: UnsafeMutablePointer<Bool>
    var touchedRows: [Int32] = []
    let entityCount: Int, width: Int, relationSize: Int
    var loss = 0.0

    init(entities: Int, width: Int, relationSize: Int) {
        entityCount = entities; self.width = width; self.relationSize = relationSize
        entityGrad = .allocate(capacity: entities * width); entityGrad.initialize(repeating: 0, count: entities * width)
        relationGrad = .allocate(capacity: relationSize); relationGrad.initialize(repeating: 0, count: relationSize)
        touched = .allocate(capacity: entities); touched.initialize(repeating: false, count: entities)
    }

    deinit { entityGrad.deallocate(); relationGrad.deallocate(); touched.deallocate() }

    @inline(__always) func row(_ e: Int) -> UnsafeMutablePointer<Float> {
        if !touched[e] { touched[e] = true; touchedRows.append(Int32(e)) }
        return entityGrad + e * width
    }
}

public final class StructuralTrainer {
    public private(set) var model: KGEModel
    let config: TrainingConfig
    let threads: Int
    var entityAdam: RowSparseAdam
    var relationAdam: AdamState
    let buffers: [ThreadGradients]
    let merged: UnsafeMutablePointer<Bool>
    var mergedRows: [Int32] = []
    // Scratch reused across steps.
    var directions: [Direction] = []
    var negatives: [Int32] = []

    public init(model: KGEModel, config: TrainingConfig) {
        self.model = model
        self.config = config
        threads = config.effectiveThreads
        let W = model.score.entityWidth
        entityAdam = RowSparseAdam(rows: model.entityCount, width: W)
        relationAdam = AdamState(count: model.relations.count)
        buffers = (0..<threads).map { _ in
            ThreadGradients(entities: model.entityCount, width: W, relationSize: model.relations.count)
        }
        merged = .allocate(capacity: model.entityCount)
        merged.initialize(repeating: false, count: model.entityCount)
    }

    deinit { merged.deallocate() }

    /// Loss (mean over the batch) after sampling negatives for `batch` and taking one Adam step.
    public func step(_ batch: ArraySlice<Triple>, sampler: NegativeSampler, rng: inout SplitMix64) -> Float {
        sampler.sample(batch, k: config.negatives, rng: &rng, directions: &directions, negatives: &negatives)
        let T = min(threads, batch.count)
        let loss = accumulate(Array(batch), directions: directions, negatives: negatives)
        applyUpdates(usedThreads: T)
        return loss
    }

    /// The batch loss and its exact gradients with respect to the entity and relation tables, without
    /// updating anything (for gradient checks). `negatives` holds `config.negatives` ids per positive.
    public func lossAndGradients(
        _ batch: [Triple], directions: [Direction], negatives: [Int32]
    ) -> (loss: Float, entities: [Float], relations: [Float]) {
        precondition(directions.count == batch.count && negatives.count == batch.count * config.negatives)
        let T = min(threads, batch.count), W = model.score.entityWidth
        let loss = accumulate(batch, directions: directions, negatives: negatives)
        var ge = [Float](repeating: 0, count: model.entities.count),
            gr = [Float](repeating: 0, count: model.relations.count)
        for t in 0..<T {
            for r in buffers[t].touchedRows {
                for j in 0..<W { ge[Int(r) * W + j] += buffers[t].entityGrad[Int(r) * W + j] }
                (buffers[t].entityGrad + Int(r) * W).update(repeating: 0, count: W)
                buffers[t].touched[Int(r)] = false
            }
            buffers[t].touchedRows.removeAll()
            for j in 0..<gr.count { gr[j] += buffers[t].relationGrad[j] }
            buffers[t].relationGrad.update(repeating: 0, count: gr.count)
        }
        return (loss, ge, gr)
    }

    /// Fills the per-thread gradient buffers for one batch; returns the mean loss.
    func accumulate(_ positives: [Triple], directions: [Direction], negatives: [Int32]) -> Float {
        let k = config.negatives
        let B = positives.count, f = model.score, W = f.entityWidth, RW = f.relationWidth
        let T = min(threads, B)
        let invB = 1 / Float(B), l2 = config.l2, gamma = f.gamma, temp = config.adversarialTemperature
        model.entities.withUnsafeBufferPointer { entBuf in
            model.relations.withUnsafeBufferPointer { relBuf in
                directions.withUnsafeBufferPointer { dirs in
                    negatives.withUnsafeBufferPointer { negs in
                        let ent = entBuf.baseAddress!, rel = relBuf.baseAddress!
                        Parallel.forEachChunk(T) { chunk in
                            let g = buffers[chunk]
                            let anchor = UnsafeMutablePointer<Float>.allocate(capacity: W)
                            let dAnchor = UnsafeMutablePointer<Float>.allocate(capacity: W)
                            let dist = UnsafeMutablePointer<Float>.allocate(capacity: k + 1)
                            let dDist = UnsafeMutablePointer<Float>.allocate(capacity: k + 1)
                            let P = f.paddedDim
                            let moduli = UnsafeMutablePointer<Float>.allocate(capacity: (k + 1) * P)
                            defer {
                                anchor.deallocate(); dAnchor.deallocate(); dist.deallocate(); dDist.deallocate();
                                moduli.deallocate()
                            }
                            var loss = 0.0
                            for i in Parallel.range(of: chunk, chunks: T, count: B) {
                                let p = positives[i], dir = dirs[i]
                                let kept = dir == .tail ? p.h : p.t, truth = dir == .tail ? p.t : p.h
                                let keptRow = ent + kept * W, relRow = rel + p.r * RW
                                f.anchor(entity: keptRow, relation: relRow, direction: dir, out: anchor)
                                dist[0] = f.distance(anchor, ent + truth * W, moduli: moduli)
                                for j in 0..<k {
                                    dist[j + 1] = f.distance(
                                        anchor, ent + Int(negs[i * k + j]) * W, moduli: moduli + (j + 1) * P)
                                }
                                loss += Double(
                                    SelfAdversarialLoss.forwardBackward(
                                        dist: dist, k: k, gamma: gamma, temperature: temp,
                                        weight: invB, dDist: dDist))
                                dAnchor.initialize(repeating: 0, count: W)
                                f.distanceBackward(
                                    anchor, ent + truth * W, g: dDist[0], moduli: moduli, dAnchor: dAnchor,
                                    dCandidate: g.row(truth))
                                for j in 0..<k {
                                    let c = Int(negs[i * k + j])
                                    f.distanceBackward(
                                        anchor, ent + c * W, g: dDist[j + 1], moduli: moduli + (j + 1) * P,
                                        dAnchor: dAnchor, dCandidate: g.row(c))
                                }
                                f.anchorBackward(
                                    entity: keptRow, relation: relRow, direction: dir, dAnchor: dAnchor,
                                    dEntity: g.row(kept), dRelation: g.relationGrad + p.r * RW)
                                if l2 > 0 {
                                    // The loss is divided by B once at the end; the gradient is scaled here.
                                    loss += Double(StructuralTrainer.addL2(l2, invB, ent + p.h * W, g.row(p.h), W))
                                    loss += Double(StructuralTrainer.addL2(l2, invB, ent + p.t * W, g.row(p.t), W))
                                    loss += Double(
                                        StructuralTrainer.addL2(l2, invB, rel + p.r * RW, g.relationGrad + p.r * RW, RW)
                                    )
                                }
                            }
                            g.loss = loss
                        }
                    }
                }
            }
        }
        return Float(buffers[0..<T].reduce(0.0) { $0 + $1.loss } / Double(B))
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

    /// Sums thread gradients over the touched rows, applies lazy Adam to them, and clears the buffers.
    func applyUpdates(usedThreads T: Int) {
        let W = model.score.entityWidth
        mergedRows.removeAll(keepingCapacity: true)
        for t in 0..<T {
            for r in buffers[t].touchedRows where !merged[Int(r)] { merged[Int(r)] = true; mergedRows.append(r) }
        }
        entityAdam.beginStep()
        let cfg = AdamConfig(learningRate: config.learningRate)
        let P = threads, adam = entityAdam
        let (c1, c2) = adam.corrections(cfg)
        model.entities.withUnsafeMutableBufferPointer { entBuf in
            mergedRows.withUnsafeBufferPointer { rows in
                let ent = entBuf.baseAddress!
                let chunks = min(P, max(rows.count, 1))
                Parallel.forEachChunk(chunks) { chunk in
                    let grads = UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>.allocate(capacity: max(T, 1))
                    defer { grads.deallocate() }
                    for r in rows[Parallel.range(of: chunk, chunks: chunks, count: rows.count)] {
                        var n = 0
                        for t in 0..<T where buffers[t].touched[Int(r)] {
                            grads[n] = buffers[t].entityGrad + Int(r) * W; n += 1
                        }
                        adam.updateRowSummingGradients(
                            Int(r), table: ent, grads: UnsafeBufferPointer(rebasing: grads[0..<n]),
                            lrCorrection: c1, v2Correction: c2, config: cfg)
                    }
                }
            }
        }
        for t in 0..<T {
            for r in buffers[t].touchedRows { buffers[t].touched[Int(r)] = false }
            buffers[t].touchedRows.removeAll(keepingCapacity: true)
        }
        for r in mergedRows { merged[Int(r)] = false }
        // Relations: small and dense.
        let n = model.relations.count
        let g0 = buffers[0].relationGrad
        for t in 1..<max(T, 1) { let gt = buffers[t].relationGrad; for j in 0..<n { g0[j] += gt[j] } }
        model.relations.withUnsafeMutableBufferPointer { rel in
            Adam.step(rel.baseAddress!, grad: g0, count: n, state: &relationAdam, config: cfg)
        }
        // Padding columns of relation rows must stay zero: their gradient is zero, so Adam leaves them at zero.
        for t in 0..<T { buffers[t].relationGrad.update(repeating: 0, count: n) }
    }

    /// Replaces the tables the next `lossAndGradients` reads. Models whose entity embeddings are computed
    /// (from features, by fusion) use this to run the fused score kernel on their joint embeddings.
    public func setTables(entities: [Float], relations: [Float]) {
        precondition(entities.count == model.entities.count && relations.count == model.relations.count)
        model.entities = entities
        model.relations = relations
    }

    /// Replaces the model (restoring the best weights after early stopping).
    func restore(_ m: KGEModel) { model = m }
}
