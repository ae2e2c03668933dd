// One optimisation step of a structural model (RotatE/TransE) as a fused kernel: score, loss and
// gradient of a batch with all its negatives without building a graph node per operation.
//
// Work split: positives are divided into one contiguous chunk per thread; each thread accumulates
// gradients into its own entity/relation buffers and records the rows it touched. The merge and the
// lazy Adam update then run over the union of touched rows, split by row ranges. Chunking depends only
// on the thread count, so results are bit-identical for a given seed and thread count.

/// One thread's gradients: a compact buffer of the rows it touched, found through a slot per entity, so
/// the memory is the table's rows a batch touches rather than a copy of the table per thread.
final class ThreadGradients: DistanceGradientSink {
    /// Slot of each entity's gradient row, −1 when untouched.
    let slot: UnsafeMutablePointer<Int32>
    private(set) var rowBuffer: UnsafeMutablePointer<Float>
    private(set) var capacity = 0
    let relationGrad: UnsafeMutablePointer<Float>
    var touchedRows: [Int32] = []
    let entityCount: Int, width: Int, relationSize: Int, relationWidth: Int
    var loss = 0.0

    init(entities: Int, width: Int, relationSize: Int, relationWidth: Int) {
        entityCount = entities; self.width = width; self.relationSize = relationSize
        self.relationWidth = relationWidth
        slot = .allocate(capacity: entities); slot.initialize(repeating: -1, count: entities)
        rowBuffer = .allocate(capacity: 0)
        relationGrad = .allocate(capacity: relationSize); relationGrad.initialize(repeating: 0, count: relationSize)
    }

    deinit { slot.deallocate(); rowBuffer.deallocate(); relationGrad.deallocate() }

    /// Makes room for `rows` distinct gradient rows (zeroed); call only while no row is touched, since
    /// row pointers handed out earlier would dangle.
    func reserve(rows: Int) {
        precondition(touchedRows.isEmpty)
        let need = min(rows, entityCount)
        guard need > capacity else { return }
        rowBuffer.deallocate()
        rowBuffer = .allocate(capacity: need * width); rowBuffer.initialize(repeating: 0, count: need * width)
        capacity = need
    }

    @inline(__always) func row(_ e: Int) -> UnsafeMutablePointer<Float> {
        var s = Int(slot[e])
        if s < 0 {
            s = touchedRows.count
            precondition(s < capacity, "gradient rows beyond the reserved capacity")
            slot[e] = Int32(s); touchedRows.append(Int32(e))
        }
        return rowBuffer + s * width
    }

    /// Entity `e`'s gradient row if this thread touched it.
    @inline(__always) func gradientRow(_ e: Int) -> UnsafeMutablePointer<Float>? {
        let s = Int(slot[e])
        return s < 0 ? nil : rowBuffer + s * width
    }

    /// Forgets the touched rows; their gradient rows must already be zero.
    func clearTouched() {
        for r in touchedRows { slot[Int(r)] = -1 }
        touchedRows.removeAll(keepingCapacity: true)
    }

    @inline(__always) func relation(_ r: Int) -> UnsafeMutablePointer<Float> { relationGrad + r * relationWidth }

    /// Bytes for `entities` slots and `rows` gradient rows of `width` floats.
    static func bytes(entities: Int, rows: Int, width: Int) -> Double {
        Double(entities) * 4 + Double(min(rows, entities)) * Double(width) * 4
    }
}

public final class StructuralTrainer {
    public private(set) var model: KGEModel
    let config: TrainingConfig
    let threads: Int
    /// The entity table's optimiser: exactly one of these is set (config.entityOptimizer).
    var entityAdam: RowSparseAdam?
    var entityAdagrad: RowwiseAdagrad?
    var relationAdam: AdamState
    let buffers: [ThreadGradients]
    let merged: UnsafeMutablePointer<Bool>
    var mergedRows: [Int32] = []
    /// The touched rows' values before each update, kept for data-parallel rounds.
    var rowsBeforeStep = RowsBeforeStep()
    // Scratch reused across steps.
    var directions: [Direction] = []
    var negatives: [Int32] = []
    var queries = DistanceQueries()

    public init(model: KGEModel, config: TrainingConfig) {
        self.model = model
        self.config = config
        threads = config.effectiveThreads
        let W = model.score.entityWidth
        switch config.entityOptimizer {
        case .adam: entityAdam = RowSparseAdam(rows: model.entityCount, width: W)
        case .rowwiseAdagrad:
            entityAdagrad = RowwiseAdagrad(
                rows: model.entityCount, width: W,
                liveColumns: model.score.entityColumns.reduce(0) { $0 + $1.count })
        }
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

    /// Bytes a trainer of this shape allocates besides the model's tables (optimiser state, per-thread
    /// gradient rows and slots, merge flags), for the up-front memory estimate.
    static func scratchBytes(
        entities E: Int, relations: Int, score f: ScoreFunction, config c: TrainingConfig
    ) -> Double {
        let W = Double(f.entityWidth), T = c.effectiveThreads
        let optimiser = c.entityOptimizer == .adam ? 2 * Double(E) * W * 4 : Double(E) * 4
        let rowsPerThread = (c.batchSize + T - 1) / T * (2 + c.negatives)
        let perThread =
            ThreadGradients.bytes(entities: E, rows: rowsPerThread, width: f.entityWidth)
            + Double(relations) * Double(f.relationWidth) * 4
        return optimiser + Double(T) * perThread + Double(E) + Double(relations * f.relationWidth) * 12
    }

    /// Loss (mean over the batch) after sampling negatives for `batch` and taking one Adam step.
    public func step(_ batch: ArraySlice<Triple>, sampler: NegativeSampler, rng: inout SplitMix64) -> Float {
        sampler.sample(
            batch, k: config.negatives, shared: config.sharedNegatives, rng: &rng, directions: &directions,
            negatives: &negatives)
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
                let g = buffers[t].gradientRow(Int(r))!
                for j in 0..<W { ge[Int(r) * W + j] += g[j] }
                g.update(repeating: 0, count: W)
            }
            buffers[t].clearTouched()
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
        for t in 0..<T { buffers[t].reserve(rows: Parallel.range(of: t, chunks: T, count: B).count * (2 + k)) }
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

    /// Sums thread gradients over the touched rows, applies the entity optimiser to them, and clears the
    /// buffers.
    func applyUpdates(usedThreads T: Int) {
        mergedRows.removeAll(keepingCapacity: true)
        for t in 0..<T {
            for r in buffers[t].touchedRows where !merged[Int(r)] { merged[Int(r)] = true; mergedRows.append(r) }
        }
        model.entities.withUnsafeBufferPointer {
            rowsBeforeStep.keep(mergedRows, of: $0, width: model.score.entityWidth)
        }
        let cfg = AdamConfig(learningRate: config.learningRate)
        entityAdam?.beginStep()
        let P = threads, adam = entityAdam, adagrad = entityAdagrad, buffers = self.buffers
        let (c1, c2) = adam?.corrections(cfg) ?? (0, 0)
        model.entities.withUnsafeMutableBufferPointer { entBuf in
            mergedRows.withUnsafeBufferPointer { rows in
                let ent = entBuf.baseAddress!
                let chunks = min(P, max(rows.count, 1))
                Parallel.forEachChunk(chunks) { chunk in
                    let grads = UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>.allocate(capacity: max(T, 1))
                    defer { grads.deallocate() }
                    for r in rows[Parallel.range(of: chunk, chunks: chunks, count: rows.count)] {
                        var n = 0
                        for t in 0..<T { if let g = buffers[t].gradientRow(Int(r)) { grads[n] = g; n += 1 } }
                        let used = UnsafeBufferPointer(rebasing: grads[0..<n])
                        if let adam {
                            adam.updateRowSummingGradients(
                                Int(r), table: ent, grads: used, lrCorrection: c1, v2Correction: c2, config: cfg)
                        } else {
                            adagrad!.updateRowSummingGradients(
                                Int(r), table: ent, grads: used, learningRate: cfg.learningRate)
                        }
                    }
                }
            }
        }
        for t in 0..<T { buffers[t].clearTouched() }
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

    /// Runs `body` on the entity table, for data-parallel rounds that write rows in place.
    func withEntityTable<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        model.entities.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    func setRelations(_ values: [Float]) {
        precondition(values.count == model.relations.count)
        model.relations = values
    }

    /// Replaces the model (restoring the best weights after early stopping).
    func restore(_ m: KGEModel) { model = m }
}
