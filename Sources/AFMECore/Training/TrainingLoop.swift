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
    /// Positive triples trained in this epoch (fewer than the training split when the time limit cut it;
    /// 0 in histories read from a checkpoint, which do not record it).
    public var positives = 0

    public init(epoch: Int, meanLoss: Float, seconds: Double, validation: RankingMetrics?, validated: Bool) {
        self.epoch = epoch; self.meanLoss = meanLoss; self.seconds = seconds; self.validation = validation;
        self.validated = validated
    }
}

public struct TrainingResult: Sendable {
    public var epochsRun: Int
    public var bestEpoch: Int
    /// Best filtered validation MRR (under `config.validationTies`), nil if validation was off.
    public var bestValidation: RankingMetrics?
    public var stoppedEarly: Bool
    public var stoppedByCallback: Bool
    /// True if `timeLimitSeconds` ended training: the rest of an epoch, a validation or a post-training
    /// step was not started because the time left could not hold it.
    public var stoppedByTimeLimit = false
    public var history: [EpochReport]
    public var seconds: Double
    /// What the model's post-training steps did (AFME: cold-start placement), in order; empty if none ran.
    public var postTraining: [PostTrainingOutcome] = []
    /// Set when the progress hook or the time limit stopped the run at an epoch boundary and the kind can
    /// resume: what `ModelRegistry.resume` continues from.
    public var resume: ResumeState? = nil
    /// Why a data-parallel run stopped before its end (the collective failed, or the kind cannot train
    /// data-parallel); the registry turns it into an error.
    public var failure: DataError? = nil
}

/// A post-training step of a model (TrainingSession.finish): a change tried on the restored best model
/// and kept only if it raised the validation MRR.
public struct PostTrainingOutcome: Sendable {
    /// The step's name, e.g. "cold-start placement".
    public var name: String
    /// What it did, in words (e.g. "412 entities without training triples placed from 10 feature neighbours").
    public var detail: String
    public var validationBefore: RankingMetrics
    public var validationAfter: RankingMetrics
    public var kept: Bool

    public init(
        name: String, detail: String, validationBefore: RankingMetrics, validationAfter: RankingMetrics, kept: Bool
    ) {
        self.name = name; self.detail = detail
        self.validationBefore = validationBefore; self.validationAfter = validationAfter; self.kept = kept
    }
}

/// One model's side of the shared training loop (`TrainingLoop.run`): its optimisation step, the scorer
/// validation ranks with, best-weight snapshots, and its post-training steps. The loop owns the epochs,
/// shuffling, validation, early stopping, progress and time limit, and knows no model by name.
public protocol TrainingSession: AnyObject {
    associatedtype Snapshot
    /// One optimisation step on a batch of positives (the session draws its negatives from `rng`); its mean loss.
    func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float
    /// The scorer of the current weights, for validation.
    func validationScorer(threads: Int) -> LinkScorer
    func snapshot() -> Snapshot
    func restore(_ snapshot: Snapshot)
    /// Runs once the best validated weights are restored. `validate` ranks the validation triples with
    /// the current weights; `best` is the restored model's validation (nil without validation).
    func finish(best: RankingMetrics?, validate: () -> RankingMetrics) -> [PostTrainingOutcome]
    /// The session's part of a resume state: its current weights, optimiser moments and own random
    /// streams, and `best` (early stopping's snapshot). Nil if the kind cannot resume.
    func resumeBytes(best: Snapshot?) -> [UInt8]?
    /// Restores what `resumeBytes` wrote (every value checked) and returns the snapshot it held.
    func restoreResume(_ bytes: [UInt8]) throws -> Snapshot?
    /// Every trained value as one flat vector in a fixed order (data-parallel training sums its changes
    /// across replicas); nil if the kind cannot train data-parallel.
    func parameterVector() -> [Float]?
    /// Writes back a vector of the length and order `parameterVector` returns.
    func setParameterVector(_ values: [Float])
}

extension TrainingSession {
    public func finish(best: RankingMetrics?, validate: () -> RankingMetrics) -> [PostTrainingOutcome] { [] }
    public func resumeBytes(best: Snapshot?) -> [UInt8]? { nil }
    public func restoreResume(_ bytes: [UInt8]) throws -> Snapshot? {
        throw DataError(.invalidArgument, "this model kind cannot resume training")
    }
    public func parameterVector() -> [Float]? { nil }
    public func setParameterVector(_ values: [Float]) {}
}

/// Where a resumed run continues: the decoded state, the snapshot the session restored from it, and the
/// history of the epochs already trained.
public struct Resumption<Snapshot> {
    public var state: ResumeState
    public var best: Snapshot?
    public var history: [EpochReport]
}

public enum TrainingLoop {
    /// Epochs over `graph.train` in a shuffled order drawn from `rng`, validation every
    /// `config.validateEvery` epochs (and at the last), early stopping after `config.patience` validations
    /// without a better MRR, the best validated weights restored at the end, then the session's
    /// post-training steps.
    /// `request` (the options the run trains with) makes an interrupted run resumable; `resume` continues
    /// one (the session has already restored its part).
    public static func run<S: TrainingSession>(
        _ session: S, graph: KnowledgeGraph, config: TrainingConfig,
        rng: inout SplitMix64, progress: ProgressHook?, request: ModelRequest? = nil,
        resume: Resumption<S.Snapshot>? = nil
    ) -> TrainingResult {
        let threads = config.effectiveThreads
        let start = monotonicSeconds()
        // Built at the first validation: a run that never validates never holds it.
        var filterIndex: FilterIndex? = nil
        let validation = config.validationLimit > 0 ? Array(graph.valid.prefix(config.validationLimit)) : graph.valid
        func validate() -> RankingMetrics {
            let filter = filterIndex ?? FilterIndex(graph: graph)
            filterIndex = filter
            return FilteredRanker.evaluate(
                session.validationScorer(threads: threads), triples: validation, filter: filter,
                threads: threads
            ).metrics(config.validationTies)
        }
        var order = resume?.state.order ?? graph.train
        var stopper = EarlyStopping<S.Snapshot>(patience: config.patience)
        var history = resume?.history ?? []
        var stoppedEarly = false, stoppedByCallback = false, epochsRun = resume?.state.epochsDone ?? 0
        if let resume {
            rng.state = resume.state.rng
            stopper.best = resume.state.best; stopper.bestEpoch = resume.state.bestEpoch
            stopper.misses = resume.state.misses; stopper.snapshot = resume.best
        }
        let first = epochsRun + 1
        var resumeState: ResumeState? = nil
        // The state after a completed epoch, taken before the best snapshot is restored.
        func capture(_ epoch: Int) {
            guard let request, let bytes = session.resumeBytes(best: stopper.snapshot) else { return }
            resumeState = ResumeState(
                epochsDone: epoch, order: order, rng: rng.state, best: stopper.best, bestEpoch: stopper.bestEpoch,
                misses: stopper.misses, options: ResumeState.options(of: request),
                fingerprint: ResumeState.fingerprint(
                    graph.train, entities: graph.entityCount, relations: graph.relationCount),
                session: bytes)
        }
        // The time limit bounds the whole run: nothing is started that the time left cannot hold, judged
        // by how long the last one of its kind took (a batch, a validation).
        let deadline = config.timeLimitSeconds > 0 ? start + config.timeLimitSeconds : Double.infinity
        var outOfTime = false
        func fits(_ seconds: Double) -> Bool {
            if monotonicSeconds() + seconds <= deadline { return true }
            outOfTime = true
            return false
        }
        var batchSeconds = 0.0, validationSeconds = 0.0
        // Data-parallel (more than one replica): the loop's stream only shuffles, so every rank draws the
        // same order; the time limit is refused up front (ranks would stop at different batches).
        let group = config.collective.map(\.collective).flatMap { $0.size > 1 ? $0 : nil }
        let rowSync = config.collective?.rowSync ?? .automatic
        var failure: DataError? = nil
        if group != nil, session.parameterVector() == nil {
            failure = DataError(.invalidArgument, "this model kind cannot train data-parallel")
        }
        for epoch in first...max(config.epochs, first) where epoch <= config.epochs && !outOfTime && failure == nil {
            let t0 = monotonicSeconds()
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            var lossSum = 0.0, batches = 0, s = 0
            if let group {
                guard
                    let done = DataParallel.epoch(
                        session, order: order, batchSize: config.batchSize, stream: rng.state, collective: group,
                        rowSync: rowSync)
                else {
                    failure = DataError(
                        .io,
                        "the collective's all-reduce failed in epoch \(epoch) (rank \(group.rank) of \(group.size))")
                    break
                }
                (lossSum, batches, s) = (done.lossSum, done.batches, order.count)
            }
            while group == nil && s < order.count && (batches == 0 || fits(batchSeconds)) {
                let b0 = monotonicSeconds()
                lossSum += Double(session.step(order[s..<min(s + config.batchSize, order.count)], rng: &rng))
                batchSeconds = monotonicSeconds() - b0
                batches += 1
                s += config.batchSize
            }
            epochsRun = epoch
            var report = EpochReport(
                epoch: epoch, meanLoss: Float(lossSum / Double(max(batches, 1))),
                seconds: monotonicSeconds() - t0, validation: history.last?.validation, validated: false)
            report.positives = min(s, order.count)
            var stop = false
            if config.validateEvery > 0 && !validation.isEmpty
                && (epoch % config.validateEvery == 0 || epoch == config.epochs)
                && fits(validationSeconds)
            {
                let v0 = monotonicSeconds()
                let m = validate()
                validationSeconds = monotonicSeconds() - v0
                report.validation = m; report.validated = true
                stop = stopper.record(m, epoch: epoch) { session.snapshot() }
                stoppedEarly = stop
            }
            history.append(report)
            let completed = s >= order.count
            var wantsStop = progress.map { !$0(report) } ?? false
            if let group {
                // One rank's callback stops every rank at the same epoch (the others would wait forever).
                guard let any = DataParallel.anyRank(wantsStop, group) else {
                    failure = DataError(
                        .io,
                        "the collective's all-reduce failed after epoch \(epoch) (rank \(group.rank) of \(group.size))")
                    break
                }
                wantsStop = any
            }
            if wantsStop {
                stoppedByCallback = true
                if completed && !stop { capture(epoch) }
                break
            }
            if stop { break }
            if !fits(0) {
                if completed { capture(epoch) }
                break
            }
        }
        if let best = stopper.snapshot { session.restore(best) }
        // A post-training step validates at least twice (before and after its change).
        let post =
            failure == nil && fits(2 * validationSeconds)
            ? session.finish(best: stopper.snapshot == nil ? nil : stopper.best, validate: validate) : []
        return TrainingResult(
            epochsRun: epochsRun, bestEpoch: stopper.snapshot == nil ? epochsRun : stopper.bestEpoch,
            bestValidation: stopper.best, stoppedEarly: stoppedEarly, stoppedByCallback: stoppedByCallback,
            stoppedByTimeLimit: outOfTime, history: history, seconds: monotonicSeconds() - start, postTraining: post,
            resume: resumeState, failure: failure)
    }
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
