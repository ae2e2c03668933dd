// Registry entry of AFME (docs/MODEL.md): its options, training, checkpoint sections and decoding.

public enum AFMEKind {
    static let only = ["afme"]

    static let options: [OptionSpec] = [
        OptionTable.choice(
            "score_function", \.training.scoreFunction, ["rotate", "transe", "rotate_l2"], only,
            "score of the joint entity rows (structural kinds fix it by their name)"),
        OptionTable.choice(
            "fusion", \.afme.fusion, ["adaptive", "concat"], only,
            "MoIFu, or the w/o MoIFu ablation (concatenate and project)"),
        OptionTable.flag("enhancement", \.afme.enhancement, only, "MoIEn generator + discriminator (off: w/o MoIEn)"),
        OptionTable.flag("denoising", \.afme.denoising, only, "relation-driven gate, eq. 4-5"),
        OptionTable.real("denoise_strength", \.afme.denoiseStrength, 0...1, only, "α: 0 raw modality, 1 gated"),
        OptionTable.flag("confidence", \.afme.confidence, only, "confidence term of eq. 6"),
        OptionTable.flag("relation_smoothing", \.afme.relationSmoothing, only, "σ(τ_r) of eq. 6"),
        OptionTable.int("attention_layers", \.afme.attentionLayers, 0...8, only, "generator self-attention layers"),
        OptionTable.int(
            "attention_tokens", \.afme.attentionTokens, 1...64, only,
            "tokens per modality vector; must divide the row width"),
        OptionTable.int("noise_dim", \.afme.noiseDim, 1...1024, only, "generator noise z width"),
        OptionTable.choice(
            "gate_reading", \.afme.gateRelation, ["rotation", "phases"], only, "reading of eq. 4's h_m ⊙ r"),
        OptionTable.choice(
            "guide_reading", \.afme.guide, ["projected", "ones"], only, "reading of eq. 8's (e_s ⊕ z) ⊙ h̃_m"),
        OptionTable.flag(
            "intermodal_includes_self", \.afme.interModalIncludesSelf, only,
            "eq. 10 also attends to the modality itself"),
        OptionTable.choice(
            "missing_fill", \.afme.missingFill, ["generator", "random"], only, "what fills absent modality rows"),
        OptionTable.real("lambda_adversarial", \.afme.lambdaAdversarial, 0...1e6, only, "λ1 of eq. 17"),
        OptionTable.real("lambda_penalty", \.afme.lambdaPenalty, 0...1e6, only, "λ2 of eq. 17"),
        OptionTable.real("penalty_weight", \.afme.penaltyWeight, 0...1e6, only, "λ of eq. 16"),
        OptionTable.real(
            "generator_learning_rate", \.afme.generatorLearningRate, 0...10, lowerOpen: true, only,
            "generator Adam learning rate"),
        OptionTable.real(
            "discriminator_learning_rate", \.afme.discriminatorLearningRate, 0...10, lowerOpen: true, only,
            "discriminator Adam learning rate"),
        OptionTable.int(
            "adversarial_samples", \.afme.adversarialSamples, 1...65536, only, "rows per batch fed to the discriminator"
        ),
        OptionTable.int(
            "discriminator_hidden", \.afme.discriminatorHidden, 1...4096, only, "discriminator hidden width"),
        OptionTable.real(
            "noise_scale", \.afme.noiseScale, 0...1e4, only, "std of z in units of the structural init std"),
        OptionTable.flag(
            "completion_mix", \.afme.completionMix, only, "absent rows are prior + β ⊙ (G − prior), β learned from 0"),
        OptionTable.int(
            "negative_pool", \.afme.negativePool, 1...64, only, "per-relation negative pool, in multiples of negatives"),
        OptionTable.int(
            "placement_neighbors", \.afme.placementNeighbors, 0...256, only,
            "cold-start entities placed from this many feature neighbours after training; 0 = off"),
        OptionTable.real(
            "placement_keep", \.afme.placementKeep, 0...1, only, "share of a cold-start entity's own row kept"),
        OptionTable.flag(
            "experimental.enhance_all", \.afme.enhanceAll, only,
            "every modality vector is the generator's refinement (measured: a loss)"),
        OptionTable.real(
            "experimental.completion_dropout", \.afme.completionDropout, 0...1, upperOpen: true, only,
            "share of present rows completed as if absent per batch (measured: a loss)"),
        OptionTable.real(
            "experimental.synthetic_negative_weight", \.afme.syntheticNegativeWeight, 0...100, only,
            "weight of generated-modality negatives (measured: a loss)"),
    ]

    public static let entry = ModelKindEntry(
        kinds: [
            ModelKinds.Kind(
                name: "afme", scoreFunction: nil,
                doc: "AFME: structure + the dataset's feature modalities (docs/MODEL.md)")
        ],
        options: options,
        sectionTags: ["ENTS", "RELS", "MODS", "PARM"],
        validate: { r in
            let t = r.training
            try r.afme.validate(
                entityWidth: ScoreFunction(kind: t.scoreFunction, dim: t.dim, gamma: t.gamma, epsilon: t.epsilon)
                    .entityWidth)
        },
        preflight: { r, graph in
            let config = r.training, width = Double(config.dim) * 2 + 16
            // One batch's graph: about 2·batch + relations·negatives joint rows, some 40 tensors of them.
            let rows = Double(2 * config.batchSize + min(graph.relationCount, config.batchSize) * config.negatives)
            let graphBytes = rows * width * 4 * 40 + Double(graph.modalities.reduce(0) { $0 + $1.dim }) * width * 4 * 8
            if graphBytes > 16e9 {
                throw DataError(
                    .invalidArgument,
                    "batch_size \(config.batchSize), negatives \(config.negatives), dim \(config.dim) need about \(Int(graphBytes / 1e9)) GB per AFME step"
                )
            }
            // The layers: value, gradient, two Adam moments and the best-weights snapshot per parameter.
            let score = ScoreFunction(
                kind: config.scoreFunction, dim: config.dim, gamma: config.gamma, epsilon: config.epsilon)
            let parameters = AFMEModel.parameterCount(
                config: r.afme, score: score, modalityDims: graph.modalities.map(\.dim),
                relations: graph.relationCount)
            if Double(parameters) * 20 > 16e9 {
                throw DataError(
                    .invalidArgument,
                    "dim \(config.dim) with these modalities gives \(parameters) AFME layer parameters, about \(Int(Double(parameters) * 20 / 1e9)) GB to train"
                )
            }
        },
        train: { graph, request, progress in
            let (model, result) = try AFMETraining.train(
                graph: graph, training: request.training, config: request.afme, progress: progress, request: request)
            return (model, result)
        },
        decode: { request, E, R, sections in
            let t = request.training
            let f = ScoreFunction(kind: t.scoreFunction, dim: t.dim, gamma: t.gamma, epsilon: t.epsilon)
            let structural = try sections.floats("ENTS", count: E * f.entityWidth)
            let relations = try sections.floats("RELS", count: R * f.relationWidth)
            var mods = try sections.reader("MODS"), params = try sections.reader("PARM")
            let modalities = try Checkpoint.readModalities(&mods, entities: E)
            try mods.expectEnd()
            let model = try Checkpoint.readParameters(
                &params, config: request.afme, score: f, modalities: modalities,
                structural: structural, relations: relations)
            try params.expectEnd()
            return model
        },
        resume: { graph, model, state, request, history, progress in
            guard let m = model as? AFMEModel else { throw DataError(.invalidArgument, "not an AFME model") }
            return try AFMETraining.resume(
                model: m, graph: graph, state: state, request: request, history: history, progress: progress)
        })
}

extension AFMEModel: TrainedModel {
    public var kindName: String { "afme" }

    public func scorer(threads: Int) -> LinkScorer { AFMEScorer(model: self, threads: threads) }

    public var request: ModelRequest {
        var r = try! ModelRequest(kind: "afme")
        r.training.scoreFunction = score.kind
        r.training.dim = score.dim; r.training.gamma = score.gamma; r.training.epsilon = score.epsilon
        r.afme = config
        return r
    }

    public func checkpointSections() -> [CheckpointSection] {
        [
            .floats("ENTS", structural), .floats("RELS", relations.value.data),
            CheckpointSection("MODS", byteCount: Checkpoint.modalitiesSize(self)) {
                Checkpoint.writeModalities(&$0, self)
            },
            CheckpointSection("PARM", byteCount: Checkpoint.parametersSize(self)) {
                Checkpoint.writeParameters(&$0, self)
            },
        ]
    }

    /// The structural rows (the joint rows depend on the relation: `jointTable(relation:)`).
    public var entityEmbeddings: (values: [Float], width: Int) {
        let columns = score.entityColumns, width = columns.reduce(0) { $0 + $1.count }
        return (score.compactRows(structural, count: entityCount, stride: score.entityWidth, columns: columns), width)
    }

    /// The fused rows (eq. 6) every entity has under relation `r`: what the score reads.
    public func jointEmbeddings(relation r: Int) -> (values: [Float], width: Int)? {
        let columns = score.entityColumns, width = columns.reduce(0) { $0 + $1.count }
        let table = Parallel.withThreads(SystemInfo.coreCount) { AFMEModel.inference { jointTable(relation: r) } }
        return (score.compactRows(table, count: entityCount, stride: score.entityWidth, columns: columns), width)
    }

    public var relationEmbeddings: (values: [Float], width: Int) {
        (score.relationRows(relations.value.data, count: relationCount), score.dim)
    }

    public var modalityNames: [String] { modalities.map(\.name) }

    /// Modality m's vectors under relation r after the relation's gate (eq. 4–5), MoIEn's completion
    /// (eq. 15's generator) in the rows of entities that lack m; the same rows the fusion (eq. 6) weighs.
    public func completedModality(_ m: Int, relation r: Int) -> (values: [Float], width: Int, completed: [Bool])? {
        guard modalities.indices.contains(m), (0..<relationCount).contains(r) else { return nil }
        let columns = score.entityColumns, width = columns.reduce(0) { $0 + $1.count }
        let table = Parallel.withThreads(SystemInfo.coreCount) { modalityTable(m, relation: r) }
        let completed =
            completesWithGenerator ? modalities[m].present.map { !$0 } : Array(repeating: false, count: entityCount)
        return (
            score.compactRows(table, count: entityCount, stride: score.entityWidth, columns: columns), width, completed
        )
    }
}
