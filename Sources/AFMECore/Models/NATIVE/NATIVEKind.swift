// NATIVE (Zhang et al., SIGIR 2024, "NativE: multi-modal knowledge graph completion in the wild";
// docs/models/native.md): two-layer projections of the features, relation-guided fusion
// α = softmax(w · tanh(e_m) / σ(g_r)) with one temperature per relation, RotatE with the
// self-adversarial sigmoid loss, and a Wasserstein game: one generator over [z; e_s; e_1; …; e_M]
// makes every modality of a synthetic entity; the KGC model (the critic) scores real triples above
// the fakes (h*, r, t), (h, r, t*), (h*, r, t*), the generator pulls the fakes' scores up.

public struct NATIVEConfig: KindConfiguration, Equatable {
    public static let key = KindConfigurationKey<NATIVEConfig>("native")
    /// μ of the Wasserstein terms (the released scripts: 1e-4).
    public var adversarialWeight: Float = 1e-4
    public var generatorLearningRate: Float = 1e-4
    public var noiseDim = 64
    public var generatorHidden = 512
    /// σ(g_r) in the fusion (off: AdaMF's relation-free weights, an ablation).
    public var relationTemperature = true
    public var negativePool = 1
    public var missingFill: FusionMissingFill = .random
    public init() {}

    public var spec: WeightedFusionSpec {
        WeightedFusionSpec(
            projection: .twoLayer, attention: .shared, relationTemperature: relationTemperature, generator: .joint,
            generatorHidden: generatorHidden, noiseDim: noiseDim)
    }

    public var settings: WeightedFusionTraining {
        WeightedFusionTraining(
            objective: WassersteinObjective(), weight: adversarialWeight, generatorLearningRate: generatorLearningRate,
            groups: 1, negativePool: negativePool)
    }
}

/// The critic is the KGC score γ − F. Its loss per fake kind is −mean(score real) + mean(score fake) =
/// mean F(real) − mean F(fake), summed over the three kinds; the generator minimises mean F(fake) / 3.
///
/// No gradient penalty term: the released code's penalty is taken with respect to the interpolated
/// head only, and RotatE's ‖∂F/∂h‖₂ is √dim for every input (each complex coordinate contributes a unit
/// vector, |r_j| = 1), so the penalty (‖∂F/∂h‖ − 1)² is the constant (√dim − 1)² and moves no weight
/// (NATIVETests checks the norm; docs/models/native.md has the derivation).
public struct WassersteinObjective: FakeTripleObjective {
    public init() {}
    public func discriminator(real: Var, fakes: [Var], gamma: Float) -> Var {
        let r = mean(real)
        return fakes.dropFirst().reduce(r - mean(fakes[0])) { $0 + (r - mean($1)) }
    }

    public func generator(fakes: [Var], gamma: Float) -> Var {
        fakes.dropFirst().reduce(mean(fakes[0])) { $0 + mean($1) } * (1 / Float(fakes.count))
    }
}

public enum NATIVEKind {
    static let only = ["native"]
    static let key = NATIVEConfig.key

    static let options: [OptionSpec] = [
        OptionTable.real(
            "adversarial_weight", \ModelRequest.[key].adversarialWeight, 0...1e6, only,
            "μ of the Wasserstein terms (released scripts 1e-4); 0 = no fakes"),
        OptionTable.real(
            "generator_learning_rate", \ModelRequest.[key].generatorLearningRate, 0...10, lowerOpen: true, only,
            "generator Adam learning rate"),
        OptionTable.int("noise_dim", \ModelRequest.[key].noiseDim, 1...1024, only, "generator noise z width"),
        OptionTable.int(
            "generator_hidden", \ModelRequest.[key].generatorHidden, 1...8192, only, "generator hidden width"),
        OptionTable.flag(
            "relation_temperature", \ModelRequest.[key].relationTemperature, only,
            "σ(g_r) divides the fusion scores (off: relation-free weights)"),
        OptionTable.int(
            "negative_pool", \ModelRequest.[key].negativePool, 1...64, only,
            "per-relation negative pool, in multiples of negatives"),
        OptionTable.choice(
            "missing_fill", \ModelRequest.[key].missingFill, ["random", "mean"], only,
            "absent feature rows: random at the mean norm or the mean feature"),
    ]

    public static let entry = ModelKindEntry(
        kinds: [
            ModelKinds.Kind(
                name: "native", scoreFunction: .rotatE,
                doc: "NATIVE: relation-guided fusion + Wasserstein adversarial training (docs/models/native.md)")
        ],
        options: options,
        sectionTags: ["ENTS", "RELS", "MODS", "PARM"],
        preflight: { r, graph in
            let c = r[key]
            try WeightedFusionModel.preflight(
                kind: "native", request: r, spec: c.spec, pooled: c.negativePool, graph: graph)
        },
        train: { graph, request, progress in
            let c = request[key]
            let (model, result) = try WeightedFusionModel.train(
                kind: "native", graph: graph, request: request, spec: c.spec, randomFill: c.missingFill == .random,
                settings: c.settings, progress: progress)
            return (model, result)
        },
        decode: { request, E, R, sections in
            try WeightedFusionModel.decode(
                kind: "native", request: request, spec: request[key].spec, entities: E, relations: R, sections: sections
            )
        },
        resume: { graph, model, state, request, history, progress in
            guard let m = model as? WeightedFusionModel else { throw DataError(.invalidArgument, "not a native model") }
            return try m.resume(
                graph: graph, state: state, request: request, settings: request[key].settings, history: history,
                progress: progress)
        })
}
