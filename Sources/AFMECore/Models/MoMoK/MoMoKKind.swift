// MoMoK (Zhang et al., 2024, "Mixture of Modality Knowledge Experts for Robust Multi-modal Knowledge
// Graph Completion"; ../shared/papers/momok.txt, docs/models/momok.md): per modality K relation-guided
// experts mixed by noisy gates (ReMoKE, eq. 1–2), an attention fusion of the modalities into a joint
// "modality" (eq. 3), one TuckER decoder per modality and the joint one trained 1-to-N with binary
// cross-entropy over inverse relations (MuJoD, eq. 4–6), and a CLUB bound on the mutual information
// between two experts of a modality (ExID, eq. 7–8), its variational network trained on its own.

/// The variational network's objective (eq. 8).
public enum CLUBLikelihood: Int, Sendable, CaseIterable {
    /// The Gaussian log-likelihood of eq. 8's KL term: −(μ − y)²/(2σ²) − log σ.
    case gaussian = 0
    /// The released code's: −(μ − y)²/(2σ²) without the log σ term (σ then only grows).
    case released = 1
}

public struct MoMoKConfig: KindConfiguration, Equatable {
    public static let key = KindConfigurationKey<MoMoKConfig>("momok")
    /// K experts per modality (the scripts: 3).
    public var experts = 3
    /// Width of each decoder's relation vectors (the scripts: 256).
    public var relationDim = 256
    /// μ of the CLUB term in eq. 9 (the scripts: 1e-4).
    public var miWeight: Float = 1e-4
    /// Gaussian noise of learned scale on the gate logits while training (eq. 2).
    public var noisyGates = true
    /// The query entity's gates are divided by σ(g_r) (eq. 2; off: ablation 2.1).
    public var relationGates = true
    /// ε of the 1-to-N targets y(1 − ε) + ε/N.
    public var labelSmoothing: Float = 0.1
    /// TuckER's dropouts (0.3 on the entity, 0.4 on the core, 0.5 on the output) and the fusion's 0.2.
    public var dropout = true
    public var clubLikelihood: CLUBLikelihood = .gaussian
    /// The feature tables are trained with the model (the released code); off: fixed features.
    public var featureTuning = true
    public var missingFill: FusionMissingFill = .random
    public init() {}
}

public enum MoMoKKind {
    static let only = ["momok"]
    static let key = MoMoKConfig.key

    static let options: [OptionSpec] = [
        OptionTable.int("experts", \ModelRequest.[key].experts, 1...16, only, "experts per modality (K)"),
        OptionTable.int(
            "relation_dim", \ModelRequest.[key].relationDim, 1...1024, only, "width of the decoders' relation vectors"),
        OptionTable.real(
            "mi_weight", \ModelRequest.[key].miWeight, 0...1e6, only, "μ of the CLUB mutual-information term (eq. 9)"),
        OptionTable.flag("noisy_gates", \ModelRequest.[key].noisyGates, only, "learned Gaussian noise on the gates"),
        OptionTable.flag(
            "relation_gates", \ModelRequest.[key].relationGates, only, "σ(g_r) divides the query's gate logits"),
        OptionTable.real(
            "label_smoothing", \ModelRequest.[key].labelSmoothing, 0...1, only, "ε of the 1-to-N targets"),
        OptionTable.flag("dropout", \ModelRequest.[key].dropout, only, "TuckER's and the fusion's dropouts"),
        OptionTable.choice(
            "club_likelihood", \ModelRequest.[key].clubLikelihood, ["gaussian", "released"], only,
            "the CLUB network's objective: Gaussian log-likelihood or the released code's (no log σ)"),
        OptionTable.flag(
            "feature_tuning", \ModelRequest.[key].featureTuning, only, "train the feature tables with the model"),
        OptionTable.choice(
            "missing_fill", \ModelRequest.[key].missingFill, ["random", "mean"], only,
            "absent feature rows: random at the mean norm or the mean feature"),
    ]

    public static let entry = ModelKindEntry(
        kinds: [
            ModelKinds.Kind(
                name: "momok", scoreFunction: nil,
                doc: "MoMoK: relation-guided modality experts + TuckER decoders per modality (docs/models/momok.md)")
        ],
        options: options,
        sectionTags: ["MODS", "PARM", "BNST"],
        preflight: { r, graph in try MoMoKModel.preflight(request: r, graph: graph) },
        train: { graph, request, progress in
            let (model, result) = try MoMoKModel.train(graph: graph, request: request, progress: progress)
            return (model, result)
        },
        decode: { request, E, R, sections in
            try MoMoKModel.decode(request: request, entities: E, relations: R, sections: sections)
        })
}
