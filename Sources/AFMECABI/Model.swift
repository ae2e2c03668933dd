// C ABI, Model group: training, scoring, top-k, evaluation. See include/afme.h.
import AFMECore
import CAFMEHeader

@_cdecl("afme_train_default_params")
public func cabi_train_default_params() -> afme_train_params {
    let c = TrainingConfig(), a = AFMEConfig()
    return afme_train_params(score_function: Int32(c.scoreFunction.rawValue), dim: Int32(c.dim), gamma: c.gamma,
                             epsilon: c.epsilon, negatives: Int32(c.negatives), batch_size: Int32(c.batchSize),
                             epochs: Int32(c.epochs), learning_rate: c.learningRate,
                             adversarial_temperature: c.adversarialTemperature, l2: c.l2, seed: c.seed,
                             threads: Int32(c.threads), validate_every: Int32(c.validateEvery), patience: Int32(c.patience),
                             validation_ties: Int32(c.validationTies.rawValue), validation_limit: Int32(c.validationLimit),
                             time_limit_seconds: c.timeLimitSeconds,
                             bernoulli_negatives: c.negativeSampling == .bernoulli ? 1 : 0,
                             filter_negatives: c.filterNegatives ? 1 : 0,
                             model_kind: Int32(AFME_MODEL_STRUCTURAL.rawValue), fusion: Int32(a.fusion.rawValue),
                             enhancement: a.enhancement ? 1 : 0, denoising: a.denoising ? 1 : 0, denoise_strength: a.denoiseStrength,
                             confidence: a.confidence ? 1 : 0, relation_smoothing: a.relationSmoothing ? 1 : 0,
                             attention_layers: Int32(a.attentionLayers), attention_tokens: Int32(a.attentionTokens),
                             noise_dim: Int32(a.noiseDim), gate_reading: Int32(a.gateRelation.rawValue),
                             guide_reading: Int32(a.guide.rawValue), intermodal_includes_self: a.interModalIncludesSelf ? 1 : 0,
                             missing_fill: Int32(a.missingFill.rawValue), lambda_adversarial: a.lambdaAdversarial,
                             lambda_penalty: a.lambdaPenalty, penalty_weight: a.penaltyWeight,
                             generator_learning_rate: a.generatorLearningRate,
                             discriminator_learning_rate: a.discriminatorLearningRate,
                             adversarial_samples: Int32(a.adversarialSamples), discriminator_hidden: Int32(a.discriminatorHidden),
                             enhance_all: a.enhanceAll ? 1 : 0, completion_dropout: a.completionDropout,
                             synthetic_negative_weight: a.syntheticNegativeWeight, noise_scale: a.noiseScale,
                             completion_mix: a.completionMix ? 1 : 0, negative_pool: Int32(a.negativePool),
                             placement_neighbors: Int32(a.placementNeighbors), placement_keep: a.placementKeep)
}

/// The AFME part of the C parameters, or nil for a structural model; validated in full before it is
/// returned, so no field is used (to size layers, say) before its domain is checked.
func afmeConfig(_ p: afme_train_params, training c: TrainingConfig) throws -> AFMEConfig? {
    guard p.model_kind == Int32(AFME_MODEL_AFME.rawValue) else {
        if p.model_kind != Int32(AFME_MODEL_STRUCTURAL.rawValue) {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "model_kind \(p.model_kind) is not an afme_model_kind")
        }
        return nil
    }
    func flag(_ v: Int32) -> Bool { v != 0 }
    func choice<T: RawRepresentable>(_ v: Int32, _ name: String) throws -> T where T.RawValue == Int {
        guard let t = T(rawValue: Int(v)) else { throw ABIError(AFME_ERR_INVALID_ARGUMENT, "\(name) \(v) is out of range") }
        return t
    }
    for (name, v) in [("denoise_strength", p.denoise_strength), ("lambda_adversarial", p.lambda_adversarial),
                      ("lambda_penalty", p.lambda_penalty), ("penalty_weight", p.penalty_weight),
                      ("generator_learning_rate", p.generator_learning_rate),
                      ("discriminator_learning_rate", p.discriminator_learning_rate),
                      ("completion_dropout", p.completion_dropout),
                      ("synthetic_negative_weight", p.synthetic_negative_weight),
                      ("noise_scale", p.noise_scale), ("placement_keep", p.placement_keep)] where !v.isFinite {
        throw ABIError(AFME_ERR_NON_FINITE, "\(name) is not finite")
    }
    var a = AFMEConfig()
    a.fusion = try choice(p.fusion, "fusion"); a.enhancement = flag(p.enhancement); a.denoising = flag(p.denoising)
    a.denoiseStrength = p.denoise_strength; a.confidence = flag(p.confidence); a.relationSmoothing = flag(p.relation_smoothing)
    a.attentionLayers = Int(p.attention_layers); a.attentionTokens = Int(p.attention_tokens); a.noiseDim = Int(p.noise_dim)
    a.gateRelation = try choice(p.gate_reading, "gate_reading"); a.guide = try choice(p.guide_reading, "guide_reading")
    a.interModalIncludesSelf = flag(p.intermodal_includes_self); a.missingFill = try choice(p.missing_fill, "missing_fill")
    a.lambdaAdversarial = p.lambda_adversarial; a.lambdaPenalty = p.lambda_penalty; a.penaltyWeight = p.penalty_weight
    a.generatorLearningRate = p.generator_learning_rate; a.discriminatorLearningRate = p.discriminator_learning_rate
    a.adversarialSamples = Int(p.adversarial_samples); a.discriminatorHidden = Int(p.discriminator_hidden)
    a.enhanceAll = flag(p.enhance_all); a.completionDropout = p.completion_dropout
    a.syntheticNegativeWeight = p.synthetic_negative_weight; a.noiseScale = p.noise_scale
    a.completionMix = flag(p.completion_mix); a.negativePool = Int(p.negative_pool)
    a.placementNeighbors = Int(p.placement_neighbors); a.placementKeep = p.placement_keep
    let score = ScoreFunction(kind: c.scoreFunction, dim: c.dim, gamma: c.gamma, epsilon: c.epsilon)
    try a.validate(entityWidth: score.entityWidth)
    return a
}

/// C parameters → engine configuration; every field is checked (the engine re-checks its domain).
func trainingConfig(_ p: afme_train_params) throws -> TrainingConfig {
    var c = TrainingConfig()
    guard let kind = ScoreFunctionKind(rawValue: Int(p.score_function)) else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "score_function \(p.score_function) is not an afme_score_function")
    }
    guard let ties = TieHandling(rawValue: Int(p.validation_ties)) else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "validation_ties \(p.validation_ties) is not an afme_ties")
    }
    for (name, v) in [("gamma", Double(p.gamma)), ("epsilon", Double(p.epsilon)), ("learning_rate", Double(p.learning_rate)),
                      ("adversarial_temperature", Double(p.adversarial_temperature)), ("l2", Double(p.l2)),
                      ("time_limit_seconds", p.time_limit_seconds)] where !v.isFinite {
        throw ABIError(AFME_ERR_NON_FINITE, "\(name) is not finite")
    }
    c.scoreFunction = kind; c.dim = Int(p.dim); c.gamma = p.gamma; c.epsilon = p.epsilon
    c.negatives = Int(p.negatives); c.batchSize = Int(p.batch_size); c.epochs = Int(p.epochs)
    c.learningRate = p.learning_rate; c.adversarialTemperature = p.adversarial_temperature; c.l2 = p.l2
    c.seed = p.seed; c.threads = Int(p.threads); c.validateEvery = Int(p.validate_every); c.patience = Int(p.patience)
    c.validationTies = ties; c.validationLimit = Int(p.validation_limit); c.timeLimitSeconds = p.time_limit_seconds
    c.negativeSampling = p.bernoulli_negatives != 0 ? .bernoulli : .uniform
    c.filterNegatives = p.filter_negatives != 0
    try c.validate()
    // Scratch guards: the negatives of a batch and one thread's distance cache must stay allocatable.
    if c.batchSize * c.negatives > 1 << 26 {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "batch_size × negatives = \(c.batchSize * c.negatives) exceeds 67108864")
    }
    if (c.negatives + 1) * c.dim > 1 << 26 {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "(negatives + 1) × dim exceeds 67108864")
    }
    return c
}

@_cdecl("afme_model_train")
public func cabi_model_train(_ dataset: OpaquePointer?, _ params: UnsafePointer<afme_train_params>?,
                             _ progress: afme_progress_fn?, _ user: UnsafeMutableRawPointer?,
                             _ out: UnsafeMutablePointer<OpaquePointer?>?) -> afme_status {
    abiCall("afme_model_train") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let out = try nonNull(out, "out")
        let p = params?.pointee ?? cabi_train_default_params()
        let config = try trainingConfig(p)
        let afme = try afmeConfig(p, training: config)
        let width = Double(config.dim) * 2 + 16
        let bytes = Double(box.graph.entityCount) * width * 4 * Double(3 + config.effectiveThreads)
        if bytes > 16e9 { throw ABIError(AFME_ERR_INVALID_ARGUMENT, "dim \(config.dim) with \(box.graph.entityCount) entities needs \(Int(bytes / 1e9)) GB") }
        if let afme {
            // One batch's graph: about 2·batch + relations·negatives joint rows, some 40 tensors of them.
            let rows = Double(2 * config.batchSize + min(box.graph.relationCount, config.batchSize) * config.negatives)
            let graphBytes = rows * width * 4 * 40 + Double(box.graph.modalities.reduce(0) { $0 + $1.dim }) * width * 4 * 8
            if graphBytes > 16e9 {
                throw ABIError(AFME_ERR_INVALID_ARGUMENT, "batch_size \(config.batchSize), negatives \(config.negatives), dim \(config.dim) need about \(Int(graphBytes / 1e9)) GB per AFME step")
            }
            // The layers: value, gradient, two Adam moments and the best-weights snapshot per parameter.
            let score = ScoreFunction(kind: config.scoreFunction, dim: config.dim, gamma: config.gamma, epsilon: config.epsilon)
            let parameters = AFMEModel.parameterCount(config: afme, score: score, modalityDims: box.graph.modalities.map(\.dim),
                                                      relations: box.graph.relationCount)
            if Double(parameters) * 20 > 16e9 {
                throw ABIError(AFME_ERR_INVALID_ARGUMENT, "dim \(config.dim) with these modalities gives \(parameters) AFME layer parameters, about \(Int(Double(parameters) * 20 / 1e9)) GB to train")
            }
            HeapTuning.reuseLargeBlocks()
        }
        let hook: ProgressHook = { r in
            guard let progress else { return true }
            var report = afme_epoch_report(epoch: Int32(r.epoch), mean_loss: r.meanLoss, seconds: r.seconds,
                                           validated: r.validated ? 1 : 0, valid_mrr: r.validation?.mrr ?? -1,
                                           valid_hits10: r.validation?.hits10 ?? -1)
            return progress(&report, user) == 0
        }
        let result: TrainingResult
        if let afme {
            let (model, r) = try AFMETraining.train(graph: box.graph, training: config, config: afme, progress: hook)
            out.pointee = Handles.register(ModelBox(model)); result = r
        } else {
            let (model, r) = try StructuralTraining.train(graph: box.graph, config: config, progress: hook)
            out.pointee = Handles.register(ModelBox(model)); result = r
        }
        if result.stoppedByCallback {
            LastError.set("afme_model_train: stopped by the progress callback after epoch \(result.epochsRun)")
            return AFME_ERR_CANCELLED
        }
        return AFME_OK
    }
}

@_cdecl("afme_model_n_entities")
public func cabi_model_n_entities(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> afme_status {
    countGetter("afme_model_n_entities", model, ModelBox.self, "model", out) { m in m.model.entityCount }
}

@_cdecl("afme_model_n_relations")
public func cabi_model_n_relations(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> afme_status {
    countGetter("afme_model_n_relations", model, ModelBox.self, "model", out) { m in m.model.relationCount }
}

@_cdecl("afme_model_score")
public func cabi_model_score(_ model: OpaquePointer?, _ triples: UnsafePointer<Int64>?, _ n: Int64,
                             _ scores: UnsafeMutablePointer<Float>?) -> afme_status {
    abiCall("afme_model_score") {
        let m = try Handles.get(model, ModelBox.self, "model").model
        let count = try AFMECABI.count(n, "n", max: maxElements / 3)
        if count == 0 { return AFME_OK }
        let t = try nonNull(triples, "triples"), out = try nonNull(scores, "out_scores")
        // All ids are checked before any score is written, then scored in bounded chunks.
        for i in 0..<count {
            _ = try id(t[3 * i], below: m.entityCount, "triples[\(i)].head")
            _ = try id(t[3 * i + 1], below: m.relationCount, "triples[\(i)].relation")
            _ = try id(t[3 * i + 2], below: m.entityCount, "triples[\(i)].tail")
        }
        var chunk: [Triple] = []
        chunk.reserveCapacity(4096)
        var start = 0
        while start < count {
            let end = min(start + 4096, count)
            chunk.removeAll(keepingCapacity: true)
            for i in start..<end { chunk.append(Triple(Int(t[3 * i]), Int(t[3 * i + 1]), Int(t[3 * i + 2]))) }
            chunk.withUnsafeBufferPointer { m.scoreTriples($0, out: out + start) }
            start = end
        }
        return AFME_OK
    }
}

@_cdecl("afme_model_topk")
public func cabi_model_topk(_ model: OpaquePointer?, _ entity: Int64, _ relation: Int64, _ direction: afme_direction,
                            _ k: Int64, _ exclude: OpaquePointer?, _ ids: UnsafeMutablePointer<Int64>?,
                            _ scores: UnsafeMutablePointer<Float>?, _ written: UnsafeMutablePointer<Int64>?) -> afme_status {
    abiCall("afme_model_topk") {
        let m = try Handles.get(model, ModelBox.self, "model").model
        let e = try id(entity, below: m.entityCount, "entity"), r = try id(relation, below: m.relationCount, "relation")
        guard let dir = Direction(rawValue: Int(direction.rawValue)) else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "direction \(direction.rawValue) is not an afme_direction")
        }
        let kk = try count(k, "k", max: Int64.max)  // any k >= 0: n_written = min(k, entities)
        let written = try nonNull(written, "n_written")
        var filter: FilterIndex? = nil
        if exclude != nil {
            let box = try Handles.get(exclude, DatasetBox.self, "exclude")
            if box.graph.entityCount != m.entityCount || box.graph.relationCount != m.relationCount {
                throw ABIError(AFME_ERR_SHAPE, "exclude has \(box.graph.entityCount) entities / \(box.graph.relationCount) relations, the model \(m.entityCount) / \(m.relationCount)")
            }
            filter = box.filter
        }
        let n = min(kk, m.entityCount)
        if n > 0 {
            let ids = try nonNull(ids, "out_ids"), scores = try nonNull(scores, "out_scores")
            let top = TopK.predict(m, queries: [Query(entity: e, relation: r, direction: dir)], k: n, exclude: filter)[0]
            for (i, s) in top.enumerated() { ids[i] = Int64(s.entity); scores[i] = s.score }
            written.pointee = Int64(top.count)
        } else {
            written.pointee = 0
        }
        return AFME_OK
    }
}

func fill(_ out: UnsafeMutablePointer<afme_metrics>?, _ m: RankingMetrics) {
    out?.pointee = afme_metrics(count: Int64(m.count), mr: m.meanRank, mrr: m.mrr, hits1: m.hits1, hits3: m.hits3, hits10: m.hits10)
}

@_cdecl("afme_model_evaluate")
public func cabi_model_evaluate(_ model: OpaquePointer?, _ dataset: OpaquePointer?, _ which: afme_split, _ tieMode: afme_ties,
                                _ threads: Int32, _ both: UnsafeMutablePointer<afme_metrics>?,
                                _ tail: UnsafeMutablePointer<afme_metrics>?, _ head: UnsafeMutablePointer<afme_metrics>?) -> afme_status {
    abiCall("afme_model_evaluate") {
        let m = try Handles.get(model, ModelBox.self, "model").model
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let s = try split(which), t = try ties(tieMode)
        let nThreads = try count(Int64(threads), "threads", max: 1024)
        let queries = triples(box.graph, s)
        if queries.isEmpty {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "the \(["train", "valid", "test"][s]) split has no triples: there is nothing to rank")
        }
        if box.graph.entityCount != m.entityCount || box.graph.relationCount != m.relationCount {
            throw ABIError(AFME_ERR_SHAPE, "the dataset has \(box.graph.entityCount) entities / \(box.graph.relationCount) relations, the model \(m.entityCount) / \(m.relationCount)")
        }
        let report = FilteredRanker.evaluate(m, triples: queries, filter: box.filter,
                                             threads: nThreads == 0 ? SystemInfo.coreCount : nThreads)
        fill(both, report.metrics(t, .both)); fill(tail, report.metrics(t, .tail)); fill(head, report.metrics(t, .head))
        return AFME_OK
    }
}

@_cdecl("afme_model_kind_of")
public func cabi_model_kind_of(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> afme_status {
    abiCall("afme_model_kind_of") {
        let m = try Handles.get(model, ModelBox.self, "model")
        try nonNull(out, "out").pointee = Int32(m.afme == nil ? AFME_MODEL_STRUCTURAL.rawValue : AFME_MODEL_AFME.rawValue)
        return AFME_OK
    }
}

@_cdecl("afme_model_modality_weights")
public func cabi_model_modality_weights(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                        _ columns: UnsafeMutablePointer<Int64>?) -> afme_status {
    abiCall("afme_model_modality_weights") {
        let box = try Handles.get(model, ModelBox.self, "model")
        let columns = try nonNull(columns, "n_columns")
        guard let m = box.afme else { throw ABIError(AFME_ERR_INVALID_ARGUMENT, "a structural model has no modality weights") }
        guard m.config.fusion == .adaptive else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "the concat-projection ablation (w/o MoIFu) has no modality weights")
        }
        let n = m.weightNames.count
        columns.pointee = Int64(n)
        guard let out else { return AFME_OK }
        let cap = try count(capacity, "capacity")
        guard cap >= m.relationCount * n else {
            throw ABIError(AFME_ERR_SHAPE, "capacity \(cap) < \(m.relationCount) relations × \(n) columns")
        }
        let w = m.meanModalityWeights() ?? []
        for (i, v) in w.enumerated() { out[i] = v }
        return AFME_OK
    }
}

@_cdecl("afme_model_free")
public func cabi_model_free(_ model: OpaquePointer?) -> afme_status {
    abiCall("afme_model_free") {
        try Handles.free(model, ModelBox.self, "model")
        return AFME_OK
    }
}
