// AdaMF-MAT (Zhang et al., 2024; ../shared/papers/adamf-mat.txt, docs/models/adamf_mat.md): linear
// projections of the features (eq. 2–3), adaptive fusion α = softmax(w_m · tanh(e_m)) (eq. 4–5),
// RotatE (eq. 6) with the self-adversarial sigmoid loss (eq. 7–8), and modality-adversarial training
// (eq. 9–11): per-modality generators from [z; e_s] make synthetic entities whose triples (h*, r, t),
// (h, r, t*), (h*, r, t*) the KGC model learns to score below the real ones.

public enum GeneratorObjective: Int, Sendable, CaseIterable {
    /// max_G λ·L_adv as eq. 11 writes it: G minimises the mean of log σ(F(fake) − γ).
    case saturating = 0
    /// The released code's: G minimises the sigmoid loss with its fakes as positives, −log σ(γ − F(fake)).
    case nonSaturating = 1
}

public struct AdaMFMATConfig: KindConfiguration, Equatable {
    public static let key = KindConfigurationKey<AdaMFMATConfig>("adamf_mat")
    public var attention: FusionAttention = .perModality
    /// λ of eq. 11. The paper searches {0.1, 0.01, 0.001}; its released MKG scripts run 0.
    public var adversarialWeight: Float = 0.01
    public var generatorObjective: GeneratorObjective = .saturating
    public var generatorLearningRate: Float = 1e-4
    /// L groups of synthetic triples per positive (§4.1.4: 1).
    public var groups = 1
    public var noiseDim = 64
    /// Width of the generator's hidden layer (the released code: 512).
    public var generatorHidden = 512
    public var missingFill: FusionMissingFill = .random
    public init() {}

    public var spec: WeightedFusionSpec {
        WeightedFusionSpec(
            projection: .linear, attention: attention, relationTemperature: false, generator: .perModality,
            generatorHidden: generatorHidden, noiseDim: noiseDim)
    }

    public var settings: WeightedFusionTraining {
        WeightedFusionTraining(
            objective: ModalityAdversarialObjective(generator: generatorObjective), weight: adversarialWeight,
            generatorLearningRate: generatorLearningRate, groups: groups, negativePool: nil)
    }
}

/// Eq. 10 (the discriminator is the KGC model's score) and the generator's side of eq. 11.
public struct ModalityAdversarialObjective: FakeTripleObjective {
    public let generator: GeneratorObjective
    public init(generator: GeneratorObjective) { self.generator = generator }

    /// L_adv = mean −log σ(γ − F(h, r, t)) − (1/|S|) Σ_S log σ(F(h*, r*, t*) − γ).
    public func discriminator(real: Var, fakes: [Var], gamma: Float) -> Var {
        let fake = fakes.dropFirst().reduce(mean(logSigmoid(fakes[0] - gamma))) { $0 + mean(logSigmoid($1 - gamma)) }
        return (mean(logSigmoid(rsub(gamma, real))) + fake * (1 / Float(fakes.count))) * -1
    }

    public func generator(fakes: [Var], gamma: Float) -> Var {
        let terms = fakes.map { f -> Var in
            switch generator {
            case .saturating: return mean(logSigmoid(f - gamma))
            case .nonSaturating: return mean(logSigmoid(rsub(gamma, f))) * -1
            }
        }
        return terms.dropFirst().reduce(terms[0], +) * (1 / Float(fakes.count))
    }
}

public enum AdaMFMATKind {
    static let only = ["adamf_mat"]
    static let key = AdaMFMATConfig.key

    static let options: [OptionSpec] = [
        OptionTable.choice(
            "attention_vectors", \ModelRequest.[key].attention, ["per_modality", "shared"], only,
            "eq. 4's w_m: one vector per modality (paper) or one shared (released code)"),
        OptionTable.real(
            "adversarial_weight", \ModelRequest.[key].adversarialWeight, 0...1e6, only,
            "λ of eq. 11 (paper grid 0.1/0.01/0.001; released scripts 0 = no MAT)"),
        OptionTable.choice(
            "generator_objective", \ModelRequest.[key].generatorObjective, ["saturating", "non_saturating"], only,
            "G's loss: eq. 11's max of L_adv, or the released code's fakes-as-positives"),
        OptionTable.real(
            "generator_learning_rate", \ModelRequest.[key].generatorLearningRate, 0...10, lowerOpen: true, only,
            "generator Adam learning rate"),
        OptionTable.int(
            "adversarial_groups", \ModelRequest.[key].groups, 1...16, only, "L: synthetic triple groups per positive"),
        OptionTable.int("noise_dim", \ModelRequest.[key].noiseDim, 1...1024, only, "generator noise z width"),
        OptionTable.int(
            "generator_hidden", \ModelRequest.[key].generatorHidden, 1...8192, only, "generator hidden width"),
        OptionTable.choice(
            "missing_fill", \ModelRequest.[key].missingFill, ["random", "mean"], only,
            "absent feature rows: random at the mean norm (paper's study) or the mean feature"),
    ]

    public static let entry = ModelKindEntry(
        kinds: [
            ModelKinds.Kind(
                name: "adamf_mat", scoreFunction: .rotatE,
                doc: "AdaMF-MAT: adaptive fusion + modality-adversarial training (docs/models/adamf_mat.md)")
        ],
        options: options,
        sectionTags: ["ENTS", "RELS", "MODS", "PARM"],
        preflight: { r, graph in
            try WeightedFusionModel.preflight(
                kind: "adamf_mat", request: r, spec: r[key].spec, pooled: nil, graph: graph)
        },
        train: { graph, request, progress in
            let c = request[key]
            let (model, result) = try WeightedFusionModel.train(
                kind: "adamf_mat", graph: graph, request: request, spec: c.spec, randomFill: c.missingFill == .random,
                settings: c.settings, progress: progress)
            return (model, result)
        },
        decode: { request, E, R, sections in
            try WeightedFusionModel.decode(
                kind: "adamf_mat", request: request, spec: request[key].spec, entities: E, relations: R,
                sections: sections)
        },
        resume: { graph, model, state, request, history, progress in
            guard let m = model as? WeightedFusionModel else {
                throw DataError(.invalidArgument, "not a adamf_mat model")
            }
            return try m.resume(
                graph: graph, state: state, request: request, settings: request[key].settings, history: history,
                progress: progress)
        })
}
