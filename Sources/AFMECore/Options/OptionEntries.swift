// The entries of the option table (OptionTable.swift explains the table). Order: shared options, then
// AFME's; names are the C header's field names; `experimental.` marks levers that measured as losses
// (BENCHMARKS.md, docs/MODEL.md) and are kept only to reproduce those measurements.

public enum OptionTable {
    public static let all: [OptionSpec] = shared + afme
    private static let byName: [String: OptionSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    public static func named(_ name: String) -> OptionSpec? { byName[name] }

    static let every: [String] = []
    static let afmeOnly = ["afme"]

    static let shared: [OptionSpec] = [
        int("dim", \.training.dim, 1...65536, every, "embedding dim (complex dims for RotatE)"),
        real("gamma", \.training.gamma, 0...1e6, lowerOpen: true, every, "margin γ of the score γ − distance"),
        real("epsilon", \.training.epsilon, 0...1e6, every, "ε of the RotatE initialisation range (γ + ε) / dim"),
        int("negatives", \.training.negatives, 1...4096, every, "negatives per positive"),
        int("batch_size", \.training.batchSize, 1...(1 << 20), every, "positives per step"),
        int("epochs", \.training.epochs, 0...1_000_000, every, "maximum epochs"),
        real("learning_rate", \.training.learningRate, 0...10, lowerOpen: true, upperOpen: true, every, "Adam learning rate"),
        real("adversarial_temperature", \.training.adversarialTemperature, 0...1e6, every,
             "self-adversarial temperature α; 0 weights negatives uniformly"),
        real("l2", \.training.l2, 0...1e6, every, "L2 penalty on the rows of positive triples; 0 = off"),
        OptionSpec(name: "seed", type: .unsigned, kinds: every, doc: "random seed",
                   read: { String($0.training.seed) }, write: { r, v in if case .unsigned(let s) = v { r.training.seed = s } }),
        int("threads", \.training.threads, 0...1024, every, "threads of this model's training and evaluation; 0 = all cores"),
        int("validate_every", \.training.validateEvery, 0...1_000_000, every, "validate every N epochs; 0 = never"),
        int("patience", \.training.patience, 0...1_000_000, every, "validations without improvement before stopping; 0 = never"),
        choice("validation_ties", \.training.validationTies, ["realistic", "optimistic", "pessimistic", "openke"], every,
               "tie handling of the early-stopping metric"),
        int("validation_limit", \.training.validationLimit, 0...Int(Int32.max), every, "cap on validation triples; 0 = all"),
        double("time_limit_seconds", \.training.timeLimitSeconds, 0...1e9, every, "stop after the epoch that passes this; 0 = none"),
        flag("bernoulli_negatives", \.bernoulliNegatives, every, "per-relation Bernoulli corruption instead of uniform"),
        flag("filter_negatives", \.training.filterNegatives, every, "redraw negatives that are known training triples"),
    ]

    static let afme: [OptionSpec] = [
        choice("score_function", \.training.scoreFunction, ["rotate", "transe", "rotate_l2"], afmeOnly,
               "score of the joint entity rows (structural kinds fix it by their name)"),
        choice("fusion", \.afme.fusion, ["adaptive", "concat"], afmeOnly, "MoIFu, or the w/o MoIFu ablation (concatenate and project)"),
        flag("enhancement", \.afme.enhancement, afmeOnly, "MoIEn generator + discriminator (off: w/o MoIEn)"),
        flag("denoising", \.afme.denoising, afmeOnly, "relation-driven gate, eq. 4-5"),
        real("denoise_strength", \.afme.denoiseStrength, 0...1, afmeOnly, "α: 0 raw modality, 1 gated"),
        flag("confidence", \.afme.confidence, afmeOnly, "confidence term of eq. 6"),
        flag("relation_smoothing", \.afme.relationSmoothing, afmeOnly, "σ(τ_r) of eq. 6"),
        int("attention_layers", \.afme.attentionLayers, 0...8, afmeOnly, "generator self-attention layers"),
        int("attention_tokens", \.afme.attentionTokens, 1...64, afmeOnly, "tokens per modality vector; must divide the row width"),
        int("noise_dim", \.afme.noiseDim, 1...1024, afmeOnly, "generator noise z width"),
        choice("gate_reading", \.afme.gateRelation, ["rotation", "phases"], afmeOnly, "reading of eq. 4's h_m ⊙ r"),
        choice("guide_reading", \.afme.guide, ["projected", "ones"], afmeOnly, "reading of eq. 8's (e_s ⊕ z) ⊙ h̃_m"),
        flag("intermodal_includes_self", \.afme.interModalIncludesSelf, afmeOnly, "eq. 10 also attends to the modality itself"),
        choice("missing_fill", \.afme.missingFill, ["generator", "random"], afmeOnly, "what fills absent modality rows"),
        real("lambda_adversarial", \.afme.lambdaAdversarial, 0...1e6, afmeOnly, "λ1 of eq. 17"),
        real("lambda_penalty", \.afme.lambdaPenalty, 0...1e6, afmeOnly, "λ2 of eq. 17"),
        real("penalty_weight", \.afme.penaltyWeight, 0...1e6, afmeOnly, "λ of eq. 16"),
        real("generator_learning_rate", \.afme.generatorLearningRate, 0...10, lowerOpen: true, afmeOnly, "generator Adam learning rate"),
        real("discriminator_learning_rate", \.afme.discriminatorLearningRate, 0...10, lowerOpen: true, afmeOnly,
             "discriminator Adam learning rate"),
        int("adversarial_samples", \.afme.adversarialSamples, 1...65536, afmeOnly, "rows per batch fed to the discriminator"),
        int("discriminator_hidden", \.afme.discriminatorHidden, 1...4096, afmeOnly, "discriminator hidden width"),
        real("noise_scale", \.afme.noiseScale, 0...1e4, afmeOnly, "std of z in units of the structural init std"),
        flag("completion_mix", \.afme.completionMix, afmeOnly, "absent rows are prior + β ⊙ (G − prior), β learned from 0"),
        int("negative_pool", \.afme.negativePool, 1...64, afmeOnly, "per-relation negative pool, in multiples of negatives"),
        int("placement_neighbors", \.afme.placementNeighbors, 0...256, afmeOnly,
            "cold-start entities placed from this many feature neighbours after training; 0 = off"),
        real("placement_keep", \.afme.placementKeep, 0...1, afmeOnly, "share of a cold-start entity's own row kept"),
        flag("experimental.enhance_all", \.afme.enhanceAll, afmeOnly, "every modality vector is the generator's refinement (measured: a loss)"),
        real("experimental.completion_dropout", \.afme.completionDropout, 0...1, upperOpen: true, afmeOnly,
             "share of present rows completed as if absent per batch (measured: a loss)"),
        real("experimental.synthetic_negative_weight", \.afme.syntheticNegativeWeight, 0...100, afmeOnly,
             "weight of generated-modality negatives (measured: a loss)"),
    ]

    // MARK: Entry builders

    static func int(_ name: String, _ kp: WritableKeyPath<ModelRequest, Int>, _ range: ClosedRange<Int>, _ kinds: [String],
                    _ doc: String) -> OptionSpec {
        OptionSpec(name: name, type: .integer(range), kinds: kinds, doc: doc, read: { String($0[keyPath: kp]) },
                   write: { r, v in if case .integer(let x) = v { r[keyPath: kp] = x } })
    }

    static func real(_ name: String, _ kp: WritableKeyPath<ModelRequest, Float>, _ range: ClosedRange<Double>,
                     lowerOpen: Bool = false, upperOpen: Bool = false, _ kinds: [String], _ doc: String) -> OptionSpec {
        OptionSpec(name: name, type: .real(range, lowerOpen: lowerOpen, upperOpen: upperOpen), kinds: kinds, doc: doc,
                   read: { "\($0[keyPath: kp])" }, write: { r, v in if case .real(let x) = v { r[keyPath: kp] = Float(x) } })
    }

    static func double(_ name: String, _ kp: WritableKeyPath<ModelRequest, Double>, _ range: ClosedRange<Double>,
                       _ kinds: [String], _ doc: String) -> OptionSpec {
        OptionSpec(name: name, type: .real(range, lowerOpen: false, upperOpen: false), kinds: kinds, doc: doc,
                   read: { "\($0[keyPath: kp])" }, write: { r, v in if case .real(let x) = v { r[keyPath: kp] = x } })
    }

    static func flag(_ name: String, _ kp: WritableKeyPath<ModelRequest, Bool>, _ kinds: [String], _ doc: String) -> OptionSpec {
        OptionSpec(name: name, type: .flag, kinds: kinds, doc: doc, read: { $0[keyPath: kp] ? "true" : "false" },
                   write: { r, v in if case .flag(let x) = v { r[keyPath: kp] = x } })
    }

    /// A choice among an enum's cases; `names[i]` names the case with raw value i (the C enum's value).
    static func choice<E: RawRepresentable>(_ name: String, _ kp: WritableKeyPath<ModelRequest, E>, _ names: [String],
                                            _ kinds: [String], _ doc: String) -> OptionSpec where E.RawValue == Int {
        OptionSpec(name: name, type: .choice(names), kinds: kinds, doc: doc,
                   read: { names[$0[keyPath: kp].rawValue] },
                   write: { r, v in if case .choice(let i) = v, let e = E(rawValue: i) { r[keyPath: kp] = e } })
    }
}

extension ModelRequest {
    var bernoulliNegatives: Bool {
        get { training.negativeSampling == .bernoulli }
        set { training.negativeSampling = newValue ? .bernoulli : .uniform }
    }
}
