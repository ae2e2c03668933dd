// Epochs, validation, early stopping with best-weight restore, and the progress hook.

/// What the progress hook sees after each epoch.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var meanLoss: Float
    public var seconds: Double
    /// Filtered validation metrics of the most recent validation (nil before the first one).
    public var validation: RankingMetrics?
    /// True if this epoch ran a validation.
    public var validated: Bool
}

public struct TrainingResult: Sendable {
    public var epochsRun: Int
    public var bestEpoch: Int
    /// Best filtered validation MRR (under `config.validationTies`), nil if validation was off.
    public var bestValidation: RankingMetrics?
    public var stoppedEarly: Bool
    public var stoppedByCallback: Bool
    public var history: [EpochReport]
    public var seconds: Double
    /// AFME cold-start placement, when it was tried (UnseenPlacement); nil otherwise.
    public var placement: PlacementOutcome? = nil
}

/// What cold-start placement did: how many entities it placed, the validation metrics of the restored
/// model without and with it, and whether it was kept (only if it raised the validation MRR).
public struct PlacementOutcome: Sendable {
    public var entities: Int
    public var validationBefore: RankingMetrics
    public var validationAfter: RankingMetrics
    public var kept: Bool
}

/// Return false to stop training after this epoch (the best weights so far are kept).
public typealias ProgressHook = (EpochReport) -> Bool

/// Early stopping bookkeeping shared by the structural and AFME loops.
struct EarlyStopping<Snapshot> {
    let patience: Int
    var best: RankingMetrics?
    var bestEpoch = 0
    var snapshot: Snapshot?
    var misses = 0

    /// Records a validation; returns true if training should stop.
    mutating func record(_ m: RankingMetrics, epoch: Int, snapshot take: () -> Snapshot) -> Bool {
        if best == nil || m.mrr > best!.mrr {
            best = m; bestEpoch = epoch; snapshot = take(); misses = 0
            return false
        }
        misses += 1
        return patience > 0 && misses >= patience
    }
}

public enum StructuralTraining {
    /// Trains a RotatE/TransE model on `graph.train`; validates on `graph.valid` if configured.
    public static func train(graph: KnowledgeGraph, config: TrainingConfig,
                             progress: ProgressHook? = nil) throws -> (KGEModel, TrainingResult) {
        try config.validate()
        try graph.validate()
        if graph.train.isEmpty { throw DataError(.invalidArgument, "the training split is empty") }
        var rng = SplitMix64(seed: config.seed)
        let f = ScoreFunction(kind: config.scoreFunction, dim: config.dim, gamma: config.gamma, epsilon: config.epsilon)
        var initRng = rng.split()
        let model = KGEModel(score: f, entityCount: graph.entityCount, relationCount: graph.relationCount,
                             epsilon: config.epsilon, rng: &initRng)
        return try train(model: model, graph: graph, config: config, rng: &rng, progress: progress)
    }

    /// Continues training an existing model.
    public static func train(model: KGEModel, graph: KnowledgeGraph, config: TrainingConfig, rng: inout SplitMix64,
                             progress: ProgressHook? = nil) throws -> (KGEModel, TrainingResult) {
        try config.validate()
        let threads = config.effectiveThreads
        Parallel.setBLASThreads(threads)
        let start = monotonicSeconds()
        let trainer = StructuralTrainer(model: model, config: config)
        let sampler = NegativeSampler(graph: graph, mode: config.negativeSampling, filter: config.filterNegatives)
        let filter = FilterIndex(graph: graph)
        let validation = config.validationLimit > 0 ? Array(graph.valid.prefix(config.validationLimit)) : graph.valid
        var order = graph.train
        var stopper = EarlyStopping<KGEModel>(patience: config.patience)
        var history: [EpochReport] = []
        var stoppedEarly = false, stoppedByCallback = false, epochsRun = 0
        for epoch in 1...max(config.epochs, 1) where config.epochs > 0 {
            let t0 = monotonicSeconds()
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            var lossSum = 0.0, batches = 0
            var s = 0
            while s < order.count {
                let batch = order[s..<min(s + config.batchSize, order.count)]
                lossSum += Double(trainer.step(batch, sampler: sampler, rng: &rng))
                batches += 1
                s += config.batchSize
            }
            epochsRun = epoch
            var report = EpochReport(epoch: epoch, meanLoss: Float(lossSum / Double(max(batches, 1))),
                                     seconds: monotonicSeconds() - t0, validation: history.last?.validation, validated: false)
            var stop = false
            if config.validateEvery > 0 && !validation.isEmpty && (epoch % config.validateEvery == 0 || epoch == config.epochs) {
                let m = FilteredRanker.evaluate(trainer.model, triples: validation, filter: filter, threads: threads)
                    .metrics(config.validationTies)
                report.validation = m; report.validated = true
                stop = stopper.record(m, epoch: epoch) { trainer.model }
                stoppedEarly = stop
            }
            history.append(report)
            if let progress, !progress(report) { stoppedByCallback = true; break }
            if stop { break }
            if config.timeLimitSeconds > 0 && monotonicSeconds() - start >= config.timeLimitSeconds { break }
        }
        let final = stopper.snapshot ?? trainer.model
        let result = TrainingResult(epochsRun: epochsRun, bestEpoch: stopper.snapshot == nil ? epochsRun : stopper.bestEpoch,
                                    bestValidation: stopper.best, stoppedEarly: stoppedEarly,
                                    stoppedByCallback: stoppedByCallback, history: history, seconds: monotonicSeconds() - start)
        return (final, result)
    }
}
