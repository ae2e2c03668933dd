// The AFME training loop: the same epochs, validation, early stopping and progress hook as the
// structural loop, over AFMETrainer steps.

extension AFMEModel {
    /// Every learned value, for best-weight restore.
    struct Snapshot {
        let structural: [Float]
        let relations: Tensor
        let parameters: [Tensor]
    }

    func snapshot() -> Snapshot { Snapshot(structural: structural, relations: relations.value, parameters: parameters.vars.map(\.value)) }

    func restore(_ s: Snapshot) {
        structural = s.structural
        relations.assign(s.relations)
        for (v, t) in zip(parameters.vars, s.parameters) { v.assign(t) }
    }
}

public enum AFMETraining {
    public static func train(graph: KnowledgeGraph, training: TrainingConfig, config: AFMEConfig,
                             progress: ProgressHook? = nil) throws -> (AFMEModel, TrainingResult) {
        try training.validate()
        try graph.validate()
        if graph.train.isEmpty { throw DataError(.invalidArgument, "the training split is empty") }
        let model = try AFMEModel(graph: graph, training: training, config: config)
        var rng = SplitMix64(seed: training.seed)
        return train(model: model, graph: graph, training: training, rng: &rng, progress: progress)
    }

    public static func train(model: AFMEModel, graph: KnowledgeGraph, training: TrainingConfig, rng: inout SplitMix64,
                             progress: ProgressHook? = nil) -> (AFMEModel, TrainingResult) {
        let threads = training.effectiveThreads
        Parallel.setBLASThreads(threads)
        HeapTuning.reuseLargeBlocks()
        let start = monotonicSeconds()
        let trainer = AFMETrainer(model: model, training: training, graph: graph)
        let filter = FilterIndex(graph: graph)
        let validation = training.validationLimit > 0 ? Array(graph.valid.prefix(training.validationLimit)) : graph.valid
        var order = graph.train
        var stopper = EarlyStopping<AFMEModel.Snapshot>(patience: training.patience)
        var history: [EpochReport] = []
        var stoppedEarly = false, stoppedByCallback = false, epochsRun = 0
        for epoch in 1...max(training.epochs, 1) where training.epochs > 0 {
            let t0 = monotonicSeconds()
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            var lossSum = 0.0, batches = 0, s = 0
            while s < order.count {
                lossSum += Double(trainer.step(order[s..<min(s + training.batchSize, order.count)], rng: &rng))
                batches += 1
                s += training.batchSize
            }
            epochsRun = epoch
            var report = EpochReport(epoch: epoch, meanLoss: Float(lossSum / Double(max(batches, 1))),
                                     seconds: monotonicSeconds() - t0, validation: history.last?.validation, validated: false)
            var stop = false
            if training.validateEvery > 0 && !validation.isEmpty && (epoch % training.validateEvery == 0 || epoch == training.epochs) {
                let m = FilteredRanker.evaluate(AFMEScorer(model: model, threads: threads), triples: validation, filter: filter, threads: threads)
                    .metrics(training.validationTies)
                report.validation = m; report.validated = true
                stop = stopper.record(m, epoch: epoch) { model.snapshot() }
                stoppedEarly = stop
            }
            history.append(report)
            if let progress, !progress(report) { stoppedByCallback = true; break }
            if stop { break }
            if training.timeLimitSeconds > 0 && monotonicSeconds() - start >= training.timeLimitSeconds { break }
        }
        if let best = stopper.snapshot { model.restore(best) }
        // Cold-start placement is model selection like early stopping: kept only if the validation MRR of
        // the restored model rises with it; without a validation there is no evidence, and it is not applied.
        var placement: PlacementOutcome? = nil
        if model.config.placementNeighbors > 0, let before = stopper.best, stopper.snapshot != nil {
            let trained = model.structural
            let placed = UnseenPlacement.apply(to: model, train: graph.train, neighbors: model.config.placementNeighbors,
                                               keep: model.config.placementKeep)
            if placed > 0 {
                let after = FilteredRanker.evaluate(AFMEScorer(model: model, threads: threads), triples: validation, filter: filter,
                                                    threads: threads).metrics(training.validationTies)
                let kept = after.mrr > before.mrr
                if !kept { model.structural = trained }
                placement = PlacementOutcome(entities: placed, validationBefore: before, validationAfter: after, kept: kept)
            }
        }
        let result = TrainingResult(epochsRun: epochsRun, bestEpoch: stopper.snapshot == nil ? epochsRun : stopper.bestEpoch,
                                    bestValidation: stopper.best, stoppedEarly: stoppedEarly,
                                    stoppedByCallback: stoppedByCallback, history: history, seconds: monotonicSeconds() - start,
                                    placement: placement)
        return (model, result)
    }
}
