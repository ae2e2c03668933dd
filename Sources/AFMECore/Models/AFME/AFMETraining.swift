// The AFME training loop: the same epochs, validation, early stopping and progress hook as the
// structural loop, over AFMETrainer steps.

extension AFMEModel {
    /// Every learned value, for best-weight restore.
    typealias Snapshot = LayeredSnapshot

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
final class AFMESession: LayeredRowSparseSession {
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

    func parameterVector() -> [Float]? { snapshot().flattened }
    func setParameterVector(_ values: [Float]) { restore(snapshot().replacing(values)) }

    func resumeBytes(best: AFMEModel.Snapshot?) -> [UInt8]? {
        LayeredResume.encode(
            current: model.snapshot(), best: best, structuralAdam: trainer.structuralAdam,
            relationAdam: trainer.relationAdam, parameterAdam: trainer.parameterAdam, rng: trainer.adversarialRNG.state)
    }

    func restoreResume(_ bytes: [UInt8]) throws -> AFMEModel.Snapshot? {
        let (current, best) = try LayeredResume.decode(
            bytes, shape: model.snapshot(), structuralAdam: trainer.structuralAdam,
            relationAdam: &trainer.relationAdam, parameterAdam: &trainer.parameterAdam,
            rng: &trainer.adversarialRNG.state)
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
