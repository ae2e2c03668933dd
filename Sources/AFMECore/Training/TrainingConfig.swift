// Settings of structural training (RotatE/TransE) and of the training loop shared with AFME.

public enum NegativeSampling: Int, Sendable {
    /// Corrupt head or tail with probability 1/2 each.
    case uniform = 0
    /// Per-relation Bernoulli rule (Wang et al. 2014): corrupt the head with probability tph / (tph + hpt).
    case bernoulli = 1
}

public struct TrainingConfig: Sendable, Equatable {
    public var scoreFunction: ScoreFunctionKind = .rotatE
    /// Embedding dimension D (complex dimensions for RotatE).
    public var dim = 250
    /// Margin γ of the score γ − dist.
    public var gamma: Float = 4
    /// ε of the RotatE initialisation range (γ+ε)/D.
    public var epsilon: Float = 2
    /// Negatives per positive.
    public var negatives = 64
    public var batchSize = 1024
    public var epochs = 100
    public var learningRate: Float = 1e-3
    /// Self-adversarial temperature α (adamf-mat.txt eq. 7–8, β there); 0 weights negatives uniformly.
    public var adversarialTemperature: Float = 1
    /// The loss of distance models; the margin loss's m.
    public var loss: DistanceLoss = .selfAdversarial
    public var margin: Float = 1
    public var negativeSampling: NegativeSampling = .uniform
    /// Re-draw negatives that are known true triples (train set).
    public var filterNegatives = false
    /// L2 penalty on the embeddings of each positive triple (0 disables).
    public var l2: Float = 0
    public var seed: UInt64 = 0
    /// Threads for Swift kernels and OpenBLAS (0 = all cores).
    public var threads = 0
    /// Validate every N epochs (0 disables validation and early stopping).
    public var validateEvery = 5
    /// Stop after this many validations without improvement of filtered validation MRR (0 = never stop early).
    public var patience = 3
    /// Tie handling of the validation metric used for early stopping.
    public var validationTies: TieHandling = .realistic
    /// Cap on validation queries (0 = all); a subset keeps validation cheap on large graphs.
    public var validationLimit = 0

    /// The entity table's optimiser (structural kinds): lazy Adam or row-wise Adagrad.
    public var entityOptimizer: EntityOptimizer = .adam
    /// Positives per chunk that share one draw of `negatives` entities (structural kinds); 0 = every
    /// positive draws its own.
    public var sharedNegatives = 0

    /// Stop after the first epoch that ends past this many seconds of training (0 = no limit).
    public var timeLimitSeconds: Double = 0
    /// Data-parallel training: this process is one of `collective.size` replicas, each training its share
    /// of every epoch (TrainingLoop, docs/SCALE.md). Not an option: the host program supplies it.
    public var collective: CollectiveHandle? = nil

    public init() {}

    public func validate() throws {
        func bad(_ s: String) -> DataError { DataError(.invalidArgument, s) }
        if dim < 1 || dim > 65536 { throw bad("dim must be in 1...65536") }
        if !(gamma.isFinite && gamma > 0) { throw bad("gamma must be finite and > 0") }
        if !(epsilon.isFinite && epsilon >= 0) { throw bad("epsilon must be finite and >= 0") }
        if negatives < 1 || negatives > 4096 { throw bad("negatives must be in 1...4096") }
        if batchSize < 1 || batchSize > 1 << 20 { throw bad("batch_size must be in 1...1048576") }
        if epochs < 0 || epochs > 1_000_000 { throw bad("epochs must be in 0...1000000") }
        if !(learningRate.isFinite && learningRate > 0 && learningRate < 10) {
            throw bad("learning_rate must be finite, > 0 and < 10")
        }
        if !(adversarialTemperature.isFinite && adversarialTemperature >= 0) {
            throw bad("adversarial_temperature must be finite and >= 0")
        }
        if !(margin.isFinite && margin > 0 && margin <= 1e6) { throw bad("margin must be finite, > 0 and <= 1e6") }
        if !(l2.isFinite && l2 >= 0) { throw bad("l2 must be finite and >= 0") }
        if threads < 0 || threads > 1024 { throw bad("threads must be in 0...1024") }
        if !(timeLimitSeconds.isFinite && timeLimitSeconds >= 0) {
            throw bad("time_limit_seconds must be finite and >= 0")
        }
        if sharedNegatives < 0 || sharedNegatives > 1 << 20 { throw bad("shared_negatives must be in 0...1048576") }
        if sharedNegatives > 0 && filterNegatives {
            throw bad(
                "shared_negatives and filter_negatives cannot be combined: a shared draw cannot be filtered per positive"
            )
        }
        if validateEvery < 0 || patience < 0 || validationLimit < 0 {
            throw bad("validate_every, patience and validation_limit must be >= 0")
        }
    }

    /// What the distance-loss kernel reads, for a model whose score offset is `gamma`.
    public func lossSettings(gamma: Float) -> DistanceLossSettings {
        DistanceLossSettings(kind: loss, gamma: gamma, temperature: adversarialTemperature, margin: margin)
    }

    /// The thread count actually used.
    public var effectiveThreads: Int { threads > 0 ? threads : SystemInfo.coreCount }
}

public enum SystemInfo {
    public static var coreCount: Int {
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, n)
    }
}

#if canImport(Glibc)
import Glibc
#endif
