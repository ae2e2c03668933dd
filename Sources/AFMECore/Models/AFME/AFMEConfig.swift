// Settings of the AFME model (afme.txt §4) on top of the shared training settings. Every ablation of
// Table 3 and every reading of an ambiguous equation is a field here; docs/MODEL.md says why each
// default was chosen.

/// How the modality vectors become one joint entity embedding.
public enum FusionMode: Int, Sendable, CaseIterable {
    /// MoIFu: relation-driven denoising (eq. 4–5) and dynamic weights (eq. 6).
    case adaptive = 0
    /// "w/o MoIFu": structural and projected feature vectors concatenated and linearly projected.
    case concatProjection = 1
}

/// Eq. 4 multiplies a modality vector (complex, 2·D floats) by a relation (D phases for RotatE).
public enum GateRelationReading: Int, Sendable, CaseIterable {
    /// h_m ⊙ r as the complex Hadamard product with r = e^{iθ}: the rotation eq. 13 applies.
    case rotation = 0
    /// h_m ⊙ [θ | θ]: the raw phases tiled over the real and imaginary halves.
    case phases = 1
}

/// Eq. 8 multiplies the guide e_s ⊕ z (width W + noise) by the modality vector (width W).
public enum GuideReading: Int, Sendable, CaseIterable {
    /// The guide is first mapped to width W by a learnable matrix, then multiplied element-wise.
    case projected = 0
    /// The modality vector is extended with ones over the noise part; W_d then maps W + noise → W.
    case onesExtended = 1
}

/// What fills the features of an entity that lacks a modality.
public enum MissingFill: Int, Sendable, CaseIterable {
    /// The generator's output (MoIEn); without MoIEn, the modality's mean feature.
    case generator = 0
    /// A fixed random vector per entity with the modality's mean norm (adamf-mat.txt §4.3 baseline).
    case random = 1
}

public struct AFMEConfig: Sendable, Equatable {
    public var fusion: FusionMode = .adaptive
    /// MoIEn: generator and discriminator (off = "w/o MoIEn").
    public var enhancement = true
    /// Relation-driven denoising (eq. 4–5); off = raw projected modality vectors.
    public var denoising = true
    /// α of §5.5: h̃ = (1 − α)·h + α·(gate ⊙ h). 0 keeps the raw modality, 1 the gated one.
    public var denoiseStrength: Float = 1
    /// Confidence α_m of eq. 6 (off: α_m = 1).
    public var confidence = true
    /// Relation smoothing σ(τ_r) of eq. 6 (off: divide by 1).
    public var relationSmoothing = true
    /// Self-attention layers of the generator (eq. 9), 0–8.
    public var attentionLayers = 4
    /// Tokens the modality vector is split into for self-attention (must divide the entity width).
    public var attentionTokens = 8
    /// Gaussian noise width z of eq. 7.
    public var noiseDim = 64
    /// Standard deviation of z in units of the standard deviation of a freshly initialised structural
    /// entry (docs/MODEL.md). The literal N(0, 1) is 1 / that std (≈ 72 at D = 250, γ = 4, ε = 2):
    /// z then drowns e_s in the guide, and the generator's training-time output is mostly noise.
    public var noiseScale: Float = 1
    public var gateRelation: GateRelationReading = .rotation
    public var guide: GuideReading = .projected
    /// Eq. 10 as printed sums over n ≠ m only; true also lets a modality attend to itself (with a single
    /// feature modality the printed form would replace it by the structural vector).
    public var interModalIncludesSelf = true
    public var missingFill: MissingFill = .generator
    /// Where the generator's output enters the fusion. false: only for entities lacking the modality
    /// (completion). true ("enhance all"): every entity's modality vector is replaced by the generator's
    /// refinement of it (eq. 8 starting from the entity's own denoised vector), so MoIEn also acts on
    /// entities that have the modality.
    public var enhanceAll = false
    /// Completion = prior + β ⊙ (generator output − prior) with a learned β starting at 0 (the model
    /// begins from the mean-feature fill and takes as much of the generator as the KGC loss finds
    /// useful); false: completion = the generator's output as is.
    public var completionMix = true
    /// λ1 (adversarial loss) and λ2 (gradient penalty) of eq. 17, and λ of eq. 16.
    public var lambdaAdversarial: Float = 1e-3
    public var lambdaPenalty: Float = 1e-3
    public var penaltyWeight: Float = 10
    public var generatorLearningRate: Float = 1e-4
    public var discriminatorLearningRate: Float = 1e-4
    /// Entity–relation rows per batch fed to the discriminator.
    public var adversarialSamples = 256
    /// Hidden width of the discriminator's fully connected layer.
    public var discriminatorHidden = 64
    /// Negatives per relation of a batch, as a multiple of `negatives`, from which each positive of
    /// that relation draws its own (AFMETrainer). Training-time only: not stored in checkpoints.
    public var negativePool = 1
    /// Share of the entities that have a modality which, per training batch, are completed by the
    /// generator as if they lacked it (modality dropout): trains completion on entities whose real
    /// features exist, and gives MoIEn work on graphs where no entity lacks a modality. Training only.
    public var completionDropout: Float = 0
    /// Weight λ of the synthetic-negative loss (adamf-mat.txt eq. 10, its "modality adversarial
    /// training"): per positive, the true entity with generated modalities is an extra negative; the
    /// fusion learns to rank it below the real one, the generator to make it realistic. 0 = off. Training only.
    public var syntheticNegativeWeight: Float = 0
    /// Cold-start entities (no training triple, some features) get, after training, a structural row
    /// placed from this many feature neighbours that have triples (UnseenPlacement); 0 = off. Training only.
    public var placementNeighbors = 10
    /// Share of the cold-start entity's own trained row kept by the placement, in [0, 1]. Training only.
    public var placementKeep: Float = 0.5

    public init() {}

    public func validate(entityWidth: Int) throws {
        func bad(_ s: String) -> DataError { DataError(.invalidArgument, s) }
        guard (0...8).contains(attentionLayers) else { throw bad("attention layers must be in 0...8") }
        guard attentionTokens >= 1, attentionTokens <= 64, entityWidth % attentionTokens == 0 else {
            throw bad("attention tokens must be in 1...64 and divide the entity width \(entityWidth)")
        }
        guard (1...1024).contains(noiseDim) else { throw bad("noise dim must be in 1...1024") }
        guard noiseScale.isFinite, (0...1e4).contains(noiseScale) else { throw bad("noise scale must be in [0, 1e4]") }
        guard denoiseStrength.isFinite, (0...1).contains(denoiseStrength) else {
            throw bad("denoise strength must be in [0, 1]")
        }
        for (v, n) in [
            (lambdaAdversarial, "lambda adversarial"), (lambdaPenalty, "lambda penalty"),
            (penaltyWeight, "penalty weight"),
        ] {
            guard v.isFinite, v >= 0, v <= 1e6 else { throw bad("\(n) must be finite and in [0, 1e6]") }
        }
        for (v, n) in [
            (generatorLearningRate, "generator learning rate"),
            (discriminatorLearningRate, "discriminator learning rate"),
        ] {
            guard v.isFinite, v > 0, v <= 10 else { throw bad("\(n) must be in (0, 10]") }
        }
        guard (1...65536).contains(adversarialSamples) else { throw bad("adversarial samples must be in 1...65536") }
        guard (1...4096).contains(discriminatorHidden) else {
            throw bad("discriminator hidden width must be in 1...4096")
        }
        guard (1...64).contains(negativePool) else { throw bad("negative pool must be in 1...64") }
        guard (0...256).contains(placementNeighbors) else { throw bad("placement neighbours must be in 0...256") }
        guard placementKeep.isFinite, (0...1).contains(placementKeep) else {
            throw bad("placement keep must be in [0, 1]")
        }
        guard syntheticNegativeWeight.isFinite, (0...100).contains(syntheticNegativeWeight) else {
            throw bad("synthetic negative weight must be in [0, 100]")
        }
        guard completionDropout.isFinite, completionDropout >= 0, completionDropout < 1 else {
            throw bad("completion dropout must be in [0, 1)")
        }
    }
}
