// One optimisation step of a structural model (RotatE/TransE) as a fused kernel: score, loss and
// gradient of a batch with all its negatives without building a graph node per operation.
//
// Work split: positives are divided into one contiguous chunk per thread; each thread accumulates
// gradients into its own entity/relation buffers and records the rows it touched. The merge and the
// lazy Adam update then run over the union of touched rows, split by row ranges. Chunking depends only
// on the thread count, so results are bit-identical for a given seed and thread count.

final class ThreadGradients: DistanceGradientSink {
    let entityGrad: UnsafeMutablePointer<Float>
    let relationGrad: UnsafeMutablePointer<Float>
    let touched: UnsafeMutablePointer<Bool>
    var touchedRows: [Int32] = []
    let entityCount: Int, width: Int, relationSize: Int, relationWidth: Int
    var loss = 0.0

    init(entities: Int, width: Int, relationSize: Int, relationWidth: Int) {
        entityCount = entities; self.width = width; self.relationSize = relationSize
        self.relationWidth = relationWidth
        entityGrad = .allocate(capacity: entities * width); entityGrad.initialize(repeating: 0, count: entities * width)
        relationGrad = .allocate(capacity: relationSize); relationGrad.initialize(repeating: 0, count: relationSize)
        touched = .allocate(capacity: entities); touched.initialize(repeating: false, count: entities)
    }

    deinit { entityGrad.deallocate(); relationGrad.deallocate(); touched.deallocate() }

    @inline(__always) func row(_ e: Int) -> UnsafeMutablePointer<Float> {
        if !touched[e] { touched[e] = true; touchedRows.append(Int32(e)) }
        return entityGrad + e * width
    }

    @inline(__always) func relation(_ r: Int) -> UnsafeMutablePointer<Float> { relationGrad + r * relationWidth }
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
    var queries = DistanceQueries()

    public init(model: KGEModel, config: TrainingConfig) {
        self.model = model
        self.config = config
        threads = config.effectiveThreads
        let W = model.score.entityWidth
        entityAdam = RowSparseAdam(rows: model.entityCount, width: W)
        relationAdam = AdamState(count: model.relations.count)
        buffers = (0..<threads).map { _ in
            ThreadGradients(
                entities: model.entityCount, width: W, relationSize: model.relations.count,
                relationWidth: model.score.relationWidth)
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
        let B = positives.count, f = model.score
        let T = min(threads, B)
        queries.removeAll()
        for (p, dir) in zip(positives, directions) {
            queries.anchor.append(Int32(dir == .tail ? p.h : p.t));
            queries.truth.append(Int32(dir == .tail ? p.t : p.h))
            queries.relation.append(Int32(p.r))
        }
        queries.direction = directions; queries.negatives = negatives
        let settings = config.lossSettings(gamma: f.gamma)
        let k = config.negatives, invB = 1 / Float(B), l2 = config.l2
        model.entities.withUnsafeBufferPointer { entBuf in
            model.relations.withUnsafeBufferPointer { relBuf in
                Parallel.forEachChunk(T) { chunk in
                    buffers[chunk].loss = DistanceLossKernel.accumulate(
                        f, rows: entBuf.baseAddress!, relations: relBuf.baseAddress!, queries: queries,
                        range: Parallel.range(of: chunk, chunks: T, count: B), k: k, loss: settings, l2: l2,
                        weight: invB, sink: buffers[chunk])
                }
            }
        }
        return Float(buffers[0..<T].reduce(0.0) { $0 + $1.loss } / Double(B))
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
