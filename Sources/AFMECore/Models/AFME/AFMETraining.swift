// The AFME training loop: the same epochs, validation, early stopping and progress hook as the
// structural loop, over AFMETrainer steps.

extension AFMEModel {
    /// Every learned value, for best-weight restore.
    struct Snapshot {
        let structural: [Float]
        let relations: Tensor
        let parameters: [Tensor]
    }

    func snapshot() -> Snapshot {
        Snapshot(structural: structural, relations: relations.value, parameters: parameters.vars.map(\.value))
    }

    func restore(_ s: Snapshot) {
        structural = s.structural
        relations.assign(s.relations)
        for (v, t) in zip(parameters.vars, s.parameters) { v.assign(t) }
    }
}

public enum AFMETraining {
    public static func train(
        graph: KnowledgeGraph, training: TrainingConfig, config: AFMEConfig,
        progress: ProgressHook? = nil, request: ModelRequest? = nil
    ) throws -> (AFMEModel, TrainingResult) {
        try training.validate()
        try graph.validate()
        if graph.train.isEmpty { throw DataError(.invalidArgument, "the training split is empty") }
        let model = try AFMEModel(graph: graph, training: training, config: config)
        var rng = SplitMix64(seed: training.seed)
        return train(model: model, graph: graph, training: training, rng: &rng, progress: progress, request: request)
    }

    public static func train(
        model: AFMEModel, graph: KnowledgeGraph, training: TrainingConfig, rng: inout SplitMix64,
        progress: ProgressHook? = nil, request: ModelRequest? = nil
    ) -> (AFMEModel, TrainingResult) {
        Parallel.withThreads(training.effectiveThreads) {
            let session = AFMESession(
                model: model, trainer: AFMETrainer(model: model, training: training, graph: graph), train: graph.train)
            let result = TrainingLoop.run(
                session, graph: graph, config: training, rng: &rng, progress: progress, request: request)
            return (model, result)
        }
    }

    /// Continues an interrupted run on `model` (see ModelRegistry.resume).
    static func resume(
        model: AFMEModel, graph: KnowledgeGraph, state: ResumeState, request: ModelRequest, history: [EpochReport],
        progress: ProgressHook?
    ) throws -> (AFMEModel, TrainingResult) {
        let training = request.training
        return try Parallel.withThreads(training.effectiveThreads) {
            let session = AFMESession(
                model: model, trainer: AFMETrainer(model: model, training: training, graph: graph), train: graph.train)
            let best = try session.restoreResume(state.session)
            var rng = SplitMix64(seed: training.seed)
            let result = TrainingLoop.run(
                session, graph: graph, config: training, rng: &rng, progress: progress, request: request,
                resume: Resumption(state: state, best: best, history: history))
            return (model, result)
        }
    }
}

/// AFME in the shared loop. Its post-training step is cold-start placement: model selection like early
/// stopping, kept only if the validation MRR of the restored model rises with it; without a validation
/// there is no evidence, and it is not applied.
final class AFMESession: TrainingSession {
    let model: AFMEModel
    let trainer: AFMETrainer
    let train: [Triple]
    init(model: AFMEModel, trainer: AFMETrainer, train: [Triple]) {
        self.model = model; self.trainer = trainer; self.train = train
    }

    func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float { trainer.step(batch, rng: &rng) }
    func validationScorer(threads: Int) -> LinkScorer { AFMEScorer(model: model, threads: threads) }
    func snapshot() -> AFMEModel.Snapshot { model.snapshot() }
    func restore(_ snapshot: AFMEModel.Snapshot) { model.restore(snapshot) }

    func resumeBytes(best: AFMEModel.Snapshot?) -> [UInt8]? {
        var w = ResumeWriter()
        func put(_ s: AFMEModel.Snapshot) {
            w.put(floats: s.structural); w.put(floats: s.relations.data)
            for p in s.parameters { w.put(floats: p.data) }
        }
        put(model.snapshot())
        trainer.structuralAdam.write(&w); trainer.relationAdam.write(&w)
        for a in trainer.parameterAdam { a.write(&w) }
        w.put(trainer.adversarialRNG.state)
        w.put(best == nil ? 0 : 1)
        if let best { put(best) }
        return w.bytes
    }

    func restoreResume(_ bytes: [UInt8]) throws -> AFMEModel.Snapshot? {
        var r = ResumeReader(bytes)
        let shape = model.snapshot()
        func get() throws -> AFMEModel.Snapshot {
            AFMEModel.Snapshot(
                structural: try r.floats(count: shape.structural.count),
                relations: Tensor(shape: shape.relations.shape, data: try r.floats(count: shape.relations.count)),
                parameters: try shape.parameters.map { Tensor(shape: $0.shape, data: try r.floats(count: $0.count)) })
        }
        let current = try get()
        try trainer.structuralAdam.read(&r); try trainer.relationAdam.read(&r)
        for i in trainer.parameterAdam.indices { try trainer.parameterAdam[i].read(&r) }
        trainer.adversarialRNG.state = try r.u64()
        let best = try r.u64() == 1 ? try get() : nil
        try r.expectEnd()
        model.restore(current)
        return best
    }

    func finish(best: RankingMetrics?, validate: () -> RankingMetrics) -> [PostTrainingOutcome] {
        guard model.config.placementNeighbors > 0, let before = best else { return [] }
        let trained = model.structural
        let placed = UnseenPlacement.apply(
            to: model, train: train, neighbors: model.config.placementNeighbors,
            keep: model.config.placementKeep)
        guard placed > 0 else { return [] }
        let after = validate()
        let kept = after.mrr > before.mrr
        if !kept { model.structural = trained }
        return [
            PostTrainingOutcome(
                name: "cold-start placement",
                detail:
                    "\(placed) entities without training triples placed from \(model.config.placementNeighbors) feature neighbours",
                validationBefore: before, validationAfter: after, kept: kept)
        ]
    }
}
