// Structural models (RotatE, TransE, RotatE-L2) in the shared training loop.

public enum StructuralTraining {
    /// Trains a RotatE/TransE model on `graph.train`; validates on `graph.valid` if configured.
    /// `request` (the options, for a resume state) makes an interrupted run resumable.
    public static func train(
        graph: KnowledgeGraph, config: TrainingConfig,
        progress: ProgressHook? = nil, request: ModelRequest? = nil
    ) throws -> (KGEModel, TrainingResult) {
        try config.validate()
        try graph.validate()
        if graph.train.isEmpty { throw DataError(.invalidArgument, "the training split is empty") }
        var rng = SplitMix64(seed: config.seed)
        let f = ScoreFunction(kind: config.scoreFunction, dim: config.dim, gamma: config.gamma, epsilon: config.epsilon)
        var initRng = rng.split()
        let model = KGEModel(
            score: f, entityCount: graph.entityCount, relationCount: graph.relationCount,
            epsilon: config.epsilon, rng: &initRng)
        return try train(
            model: consume model, graph: graph, config: config, rng: &rng, progress: progress, request: request)
    }

    /// Bytes a run allocates: the tables, the best-weights snapshot when it validates (a copy once the
    /// weights move on), the optimiser and the trainer's scratch, and the loop's copy of the triples.
    public static func estimatedBytes(_ c: TrainingConfig, _ graph: KnowledgeGraph) -> Double {
        estimatedBytes(c, entities: graph.entityCount, relations: graph.relationCount, trainTriples: graph.train.count)
    }

    public static func estimatedBytes(
        _ c: TrainingConfig, entities E: Int, relations R: Int, trainTriples: Int
    ) -> Double {
        let f = ScoreFunction(kind: c.scoreFunction, dim: c.dim, gamma: c.gamma, epsilon: c.epsilon)
        let tables = Double(E) * Double(f.entityWidth) * 4 + Double(R) * Double(f.relationWidth) * 4
        // Validation adds the best snapshot (a copy once the weights move on) and the filter index.
        return tables * (c.validateEvery > 0 ? 2 : 1)
            + (c.validateEvery > 0 ? FilterIndex.estimatedBytes(triples: trainTriples) : 0)
            + StructuralTrainer.scratchBytes(entities: E, relations: R, score: f, config: c)
            + Double(trainTriples) * Double(MemoryLayout<Triple>.stride)
    }

    /// Continues training an existing model. The trainer takes the model over: a caller that keeps its own
    /// copy of `model` makes the first step copy the tables (copy-on-write), so pass it with `consume`
    /// where the tables are large.
    public static func train(
        model: consuming KGEModel, graph: KnowledgeGraph, config: TrainingConfig, rng: inout SplitMix64,
        progress: ProgressHook? = nil, request: ModelRequest? = nil
    ) throws -> (KGEModel, TrainingResult) {
        try config.validate()
        // Built outside the closure below, which would otherwise hold a second reference to the tables.
        let trainer = StructuralTrainer(model: consume model, config: config)
        return Parallel.withThreads(config.effectiveThreads) {
            let session = StructuralSession(
                trainer: trainer,
                sampler: NegativeSampler(
                    graph: graph, mode: config.negativeSampling,
                    filter: config.filterNegatives))
            let result = TrainingLoop.run(
                session, graph: graph, config: config, rng: &rng, progress: progress, request: request)
            return (session.trainer.model, result)
        }
    }
}

/// RotatE/TransE in the shared loop: the fused step with the shared negative sampler; a snapshot is the
/// model value itself (its tables are copy-on-write arrays).
final class StructuralSession: TrainingSession, RowSparseParameters {
    let trainer: StructuralTrainer
    let sampler: NegativeSampler
    init(trainer: StructuralTrainer, sampler: NegativeSampler) { self.trainer = trainer; self.sampler = sampler }
    func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float {
        trainer.step(batch, sampler: sampler, rng: &rng)
    }
    func validationScorer(threads: Int) -> LinkScorer { trainer.model }
    func snapshot() -> KGEModel { trainer.model }
    func restore(_ snapshot: KGEModel) { trainer.restore(snapshot) }

    func parameterVector() -> [Float]? { trainer.model.entities + trainer.model.relations }
    func setParameterVector(_ values: [Float]) {
        var m = trainer.model
        let n = m.entities.count
        m.entities = Array(values[0..<n]); m.relations = Array(values[n...])
        trainer.restore(m)
    }

    // Data-parallel rounds sum only the entity rows a step touched (lazy Adam and row-wise Adagrad
    // change no other row).
    var rowTableShape: (rows: Int, width: Int) { (trainer.model.entityCount, trainer.model.score.entityWidth) }
    func keepRowsBeforeStep(_ on: Bool) { trainer.rowsBeforeStep.on = on }
    func lastStepRows() -> (rows: [Int32], before: [Float]) {
        (trainer.rowsBeforeStep.rows, trainer.rowsBeforeStep.before)
    }
    func withRowTable<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        trainer.withEntityTable(body)
    }
    func denseParameters() -> [Float] { trainer.model.relations }
    func setDenseParameters(_ values: [Float]) { trainer.setRelations(values) }

    func resumeBytes(best: KGEModel?) -> [UInt8]? {
        var w = ResumeWriter()
        w.put(floats: trainer.model.entities); w.put(floats: trainer.model.relations)
        trainer.entityAdam?.write(&w); trainer.entityAdagrad?.write(&w); trainer.relationAdam.write(&w)
        w.put(best == nil ? 0 : 1)
        if let best { w.put(floats: best.entities); w.put(floats: best.relations) }
        return w.bytes
    }

    func restoreResume(_ bytes: [UInt8]) throws -> KGEModel? {
        var r = ResumeReader(bytes)
        var current = trainer.model
        current.entities = try r.floats(count: current.entities.count)
        current.relations = try r.floats(count: current.relations.count)
        try trainer.entityAdam?.read(&r); try trainer.entityAdagrad?.read(&r); try trainer.relationAdam.read(&r)
        var best: KGEModel? = nil
        if try r.u64() == 1 {
            var b = current
            b.entities = try r.floats(count: b.entities.count); b.relations = try r.floats(count: b.relations.count)
            best = b
        }
        try r.expectEnd()
        trainer.restore(current)
        return best
    }
}
