// C ABI, Model group: training, scoring, top-k, evaluation. See include/afme.h.
import AFMECore
import CAFMEHeader

@_cdecl("afme_train_default_params")
public func cabi_train_default_params() -> afme_train_params {
    let c = TrainingConfig(), a = AFMEConfig()
    return afme_train_params(
        score_function: Int32(c.scoreFunction.rawValue), dim: Int32(c.dim), gamma: c.gamma,
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

/// Fields of the 0.2.0 struct whose option has another name in the table.
private let legacyNames = [
    "enhance_all": "experimental.enhance_all", "completion_dropout": "experimental.completion_dropout",
    "synthetic_negative_weight": "experimental.synthetic_negative_weight",
]

/// The 0.2.0 struct as a request: every field goes through the option table (so it is checked exactly as
/// afme_params_set checks it) before anything uses it. AFME's fields are not read for a structural model.
func request(fromLegacy p: afme_train_params) throws -> ModelRequest {
    let structural = ["rotate", "transe", "rotate_l2"]
    var r: ModelRequest
    switch p.model_kind {
    case Int32(AFME_MODEL_STRUCTURAL.rawValue):
        guard structural.indices.contains(Int(p.score_function)) else {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT, "score_function \(p.score_function) is not an afme_score_function")
        }
        r = try ModelRequest(kind: structural[Int(p.score_function)])
    case Int32(AFME_MODEL_AFME.rawValue): r = try ModelRequest(kind: "afme")
    default: throw ABIError(AFME_ERR_INVALID_ARGUMENT, "model_kind \(p.model_kind) is not an afme_model_kind")
    }
    for child in Mirror(reflecting: p).children {
        guard let field = child.label, field != "model_kind" else { continue }
        let name = legacyNames[field] ?? field
        guard let spec = OptionTable.named(name) else {
            throw ABIError(AFME_ERR_INTERNAL, "field \(field) has no option")
        }
        guard spec.applies(to: r.kind) else { continue }
        let text: String
        switch child.value {
        case let v as Int32:
            if case .flag = spec.type {
                text = v != 0 ? "true" : "false"
            } else {
                text = try choiceName(name, String(v))
            }
        case let v as Float: text = "\(v)"
        case let v as Double: text = "\(v)"
        case let v as UInt64: text = String(v)
        default: throw ABIError(AFME_ERR_INTERNAL, "field \(field) has an unexpected type")
        }
        try r.set(name, text)
    }
    return r
}

@_cdecl("afme_model_train")
public func cabi_model_train(
    _ dataset: OpaquePointer?, _ params: UnsafePointer<afme_train_params>?,
    _ progress: afme_progress_fn?, _ user: UnsafeMutableRawPointer?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_model_train") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let out = try nonNull(out, "out")
        let r = try request(fromLegacy: params?.pointee ?? cabi_train_default_params())
        return try train(box, r, progress, user, out, "afme_model_train")
    }
}

@_cdecl("afme_model_train_with")
public func cabi_model_train_with(
    _ dataset: OpaquePointer?, _ params: OpaquePointer?, _ progress: afme_progress_fn?,
    _ user: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_model_train_with") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let out = try nonNull(out, "out")
        let r =
            params == nil ? try ModelRequest(kind: "rotate") : try Handles.get(params, ParamsBox.self, "params").request
        return try train(box, r, progress, user, out, "afme_model_train_with")
    }
}

/// Training shared by both entry points: ModelRegistry.train validates the whole request and refuses
/// a shape beyond memory before anything is allocated.
func train(
    _ box: DatasetBox, _ r: ModelRequest, _ progress: afme_progress_fn?, _ user: UnsafeMutableRawPointer?,
    _ out: UnsafeMutablePointer<OpaquePointer?>, _ function: String
) throws -> afme_status {
    try finishTraining(
        box, try ModelRegistry.train(graph: box.graph, request: r, progress: hook(progress, user)), out, function)
}

/// The C callback as a progress hook.
func hook(_ progress: afme_progress_fn?, _ user: UnsafeMutableRawPointer?) -> ProgressHook {
    { r in
        guard let progress else { return true }
        var report = afme_epoch_report(
            epoch: Int32(r.epoch), mean_loss: r.meanLoss, seconds: r.seconds,
            validated: r.validated ? 1 : 0, valid_mrr: r.validation?.mrr ?? -1,
            valid_hits10: r.validation?.hits10 ?? -1)
        return progress(&report, user) == 0
    }
}

/// Registers a trained model (with its resume state when the run was interrupted) and maps the outcome.
func finishTraining(
    _ box: DatasetBox, _ trained: (TrainedModel, TrainingResult), _ out: UnsafeMutablePointer<OpaquePointer?>,
    _ function: String
) throws -> afme_status {
    let (model, result) = trained
    let g = box.graph
    out.pointee = Handles.register(
        ModelBox(
            model, labels: try? Labels(entities: g.entityNames, relations: g.relationNames),
            history: result.history, resume: result.resume))
    if result.stoppedByCallback {
        LastError.set("\(function): stopped by the progress callback after epoch \(result.epochsRun)")
        return AFME_ERR_CANCELLED
    }
    return AFME_OK
}

@_cdecl("afme_model_can_resume")
public func cabi_model_can_resume(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> afme_status {
    abiCall("afme_model_can_resume") {
        let m = try Handles.get(model, ModelBox.self, "model")
        try nonNull(out, "out").pointee = m.resume == nil ? 0 : 1
        return AFME_OK
    }
}

@_cdecl("afme_model_resume")
public func cabi_model_resume(
    _ model: OpaquePointer?, _ dataset: OpaquePointer?, _ epochs: Int64, _ progress: afme_progress_fn?,
    _ user: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_model_resume") {
        try resume(model, dataset, epochs, progress, user, out, nil, "afme_model_resume")
    }
}

/// Resumption shared by afme_model_resume and afme_model_resume_distributed.
func resume(
    _ model: OpaquePointer?, _ dataset: OpaquePointer?, _ epochs: Int64, _ progress: afme_progress_fn?,
    _ user: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?, _ collective: CollectiveHandle?,
    _ function: String
) throws -> afme_status {
    let m = try Handles.get(model, ModelBox.self, "model")
    let box = try Handles.get(dataset, DatasetBox.self, "dataset")
    let out = try nonNull(out, "out")
    let total = try count(epochs, "epochs", max: 1_000_000)
    guard let state = m.resume else {
        throw ABIError(
            AFME_ERR_INVALID_ARGUMENT,
            "the model holds no resume state: only a run stopped by its progress callback or time limit at the end of an epoch has one"
        )
    }
    // The caller's model stays as it is: the run continues on a fresh decoding of it.
    let fresh = try Checkpoint.decodeFile(m.encode())
    let trained = try ModelRegistry.resume(
        graph: box.graph, model: fresh.model, state: state, history: m.history, epochs: total == 0 ? nil : total,
        progress: hook(progress, user), collective: collective)
    return try finishTraining(box, trained, out, function)
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
public func cabi_model_score(
    _ model: OpaquePointer?, _ triples: UnsafePointer<Int64>?, _ n: Int64,
    _ scores: UnsafeMutablePointer<Float>?
) -> afme_status {
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
public func cabi_model_topk(
    _ model: OpaquePointer?, _ entity: Int64, _ relation: Int64, _ direction: afme_direction,
    _ k: Int64, _ exclude: OpaquePointer?, _ ids: UnsafeMutablePointer<Int64>?,
    _ scores: UnsafeMutablePointer<Float>?, _ written: UnsafeMutablePointer<Int64>?
) -> afme_status {
    abiCall("afme_model_topk") {
        let m = try Handles.get(model, ModelBox.self, "model").model
        let e = try id(entity, below: m.entityCount, "entity"), r = try id(relation, below: m.relationCount, "relation")
        guard let dir = Direction(rawValue: Int(direction.rawValue)) else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "direction \(direction.rawValue) is not an afme_direction")
        }
        let kk = try count(k, "k", max: Int64.max)  // any k >= 0: n_written = min(k, entities)
        let written = try nonNull(written, "n_written")
        let filter = try excludeFilter(exclude, m)
        let n = min(kk, m.entityCount)
        if n > 0 {
            let ids = try nonNull(ids, "out_ids"), scores = try nonNull(scores, "out_scores")
            let top = TopK.predict(m, queries: [Query(entity: e, relation: r, direction: dir)], k: n, exclude: filter)[
                0]
            for (i, s) in top.enumerated() { ids[i] = Int64(s.entity); scores[i] = s.score }
            written.pointee = Int64(top.count)
        } else {
            written.pointee = 0
        }
        return AFME_OK
    }
}

@_cdecl("afme_model_topk_batch")
public func cabi_model_topk_batch(
    _ model: OpaquePointer?, _ queries: UnsafePointer<Int64>?, _ n: Int64, _ k: Int64,
    _ exclude: OpaquePointer?, _ threads: Int32, _ ids: UnsafeMutablePointer<Int64>?,
    _ scores: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ counts: UnsafeMutablePointer<Int64>?
) -> afme_status {
    abiCall("afme_model_topk_batch") {
        let m = try Handles.get(model, ModelBox.self, "model").model
        let count = try AFMECABI.count(n, "n", max: maxElements / 3)
        let kk = min(try AFMECABI.count(k, "k", max: Int64.max), m.entityCount)
        let nThreads = try AFMECABI.count(Int64(threads), "threads", max: 1024)
        let filter = try excludeFilter(exclude, m)
        let cap = try AFMECABI.count(capacity, "capacity")
        guard count > 0 else { return AFME_OK }
        let (needed, overflow) = count.multipliedReportingOverflow(by: kk)
        guard !overflow, cap >= needed else {
            throw ABIError(AFME_ERR_SHAPE, "capacity \(cap) < \(count) queries × \(kk)")
        }
        let q = try nonNull(queries, "queries")
        var list: [Query] = []
        list.reserveCapacity(count)
        for i in 0..<count {
            let e = try id(q[3 * i], below: m.entityCount, "queries[\(i)].entity")
            let r = try id(q[3 * i + 1], below: m.relationCount, "queries[\(i)].relation")
            guard let dir = Direction(rawValue: Int(truncatingIfNeeded: q[3 * i + 2])), q[3 * i + 2] >= 0,
                q[3 * i + 2] <= 1
            else {
                throw ABIError(
                    AFME_ERR_INVALID_ARGUMENT, "queries[\(i)].direction = \(q[3 * i + 2]) is not an afme_direction")
            }
            list.append(Query(entity: e, relation: r, direction: dir))
        }
        if kk == 0 { for i in 0..<count { counts?[i] = 0 }; return AFME_OK }
        let ids = try nonNull(ids, "out_ids"), scores = try nonNull(scores, "out_scores")
        TopK.predictBatch(
            m, queries: list, k: kk, exclude: filter, threads: nThreads == 0 ? SystemInfo.coreCount : nThreads,
            ids: ids, scores: scores, counts: counts)
        return AFME_OK
    }
}

/// The filter of an `exclude` dataset, which must have the model's shape.
func excludeFilter(_ exclude: OpaquePointer?, _ m: LinkScorer) throws -> FilterIndex? {
    guard exclude != nil else { return nil }
    let box = try Handles.get(exclude, DatasetBox.self, "exclude")
    if box.graph.entityCount != m.entityCount || box.graph.relationCount != m.relationCount {
        throw ABIError(
            AFME_ERR_SHAPE,
            "exclude has \(box.graph.entityCount) entities / \(box.graph.relationCount) relations, the model \(m.entityCount) / \(m.relationCount)"
        )
    }
    return box.filter
}

@_cdecl("afme_model_history")
public func cabi_model_history(
    _ model: OpaquePointer?, _ out: UnsafeMutablePointer<afme_epoch_report>?, _ capacity: Int64,
    _ n: UnsafeMutablePointer<Int64>?
) -> afme_status {
    abiCall("afme_model_history") {
        let h = try Handles.get(model, ModelBox.self, "model").history
        let n = try nonNull(n, "n_epochs")
        let cap = try count(capacity, "capacity")
        n.pointee = Int64(h.count)
        guard let out else { return AFME_OK }
        guard cap >= h.count else { throw ABIError(AFME_ERR_SHAPE, "capacity \(cap) < \(h.count) epochs") }
        for (i, r) in h.enumerated() {
            out[i] = afme_epoch_report(
                epoch: Int32(r.epoch), mean_loss: r.meanLoss, seconds: r.seconds, validated: r.validated ? 1 : 0,
                valid_mrr: r.validation?.mrr ?? -1, valid_hits10: r.validation?.hits10 ?? -1)
        }
        return AFME_OK
    }
}

func fill(_ out: UnsafeMutablePointer<afme_metrics>?, _ m: RankingMetrics) {
    out?.pointee = afme_metrics(
        count: Int64(m.count), mr: m.meanRank, mrr: m.mrr, hits1: m.hits1, hits3: m.hits3, hits10: m.hits10)
}

@_cdecl("afme_model_evaluate")
public func cabi_model_evaluate(
    _ model: OpaquePointer?, _ dataset: OpaquePointer?, _ which: afme_split, _ tieMode: afme_ties,
    _ threads: Int32, _ both: UnsafeMutablePointer<afme_metrics>?,
    _ tail: UnsafeMutablePointer<afme_metrics>?, _ head: UnsafeMutablePointer<afme_metrics>?
) -> afme_status {
    abiCall("afme_model_evaluate") {
        var options = cabi_eval_default_options()
        options.ties = Int32(tieMode.rawValue); options.threads = threads
        return try evaluate(model, dataset, which, options, both, tail, head)
    }
}

@_cdecl("afme_eval_default_options")
public func cabi_eval_default_options() -> afme_eval_options {
    afme_eval_options(
        struct_size: UInt64(MemoryLayout<afme_eval_options>.size), ties: Int32(AFME_TIES_REALISTIC.rawValue),
        threads: 0, sampled_candidates: 0, seed: 0, keep_known: 0, reserved: 0)
}

@_cdecl("afme_model_evaluate_with")
public func cabi_model_evaluate_with(
    _ model: OpaquePointer?, _ dataset: OpaquePointer?, _ which: afme_split, _ options: UnsafeRawPointer?,
    _ both: UnsafeMutablePointer<afme_metrics>?, _ tail: UnsafeMutablePointer<afme_metrics>?,
    _ head: UnsafeMutablePointer<afme_metrics>?
) -> afme_status {
    abiCall("afme_model_evaluate_with") {
        let raw = try nonNull(options, "options")
        let size = raw.loadUnaligned(as: UInt64.self)
        let known = MemoryLayout<afme_eval_options>.size
        guard size >= UInt64(known), size <= 1 << 20 else {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT,
                "options->struct_size = \(size): set it to sizeof(afme_eval_options) (\(known))")
        }
        for i in known..<Int(size) where raw.load(fromByteOffset: i, as: UInt8.self) != 0 {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT,
                "options holds nonzero fields past byte \(known) that this library (\(AFMEVersion.string)) does not know"
            )
        }
        return try evaluate(model, dataset, which, raw.loadUnaligned(as: afme_eval_options.self), both, tail, head)
    }
}

/// The largest sample afme_eval_options accepts: a thread holds (N + 1) ids and scores.
let maxSampledCandidates: Int64 = 1 << 24

private func evaluate(
    _ model: OpaquePointer?, _ dataset: OpaquePointer?, _ which: afme_split, _ o: afme_eval_options,
    _ both: UnsafeMutablePointer<afme_metrics>?, _ tail: UnsafeMutablePointer<afme_metrics>?,
    _ head: UnsafeMutablePointer<afme_metrics>?
) throws -> afme_status {
    let m = try Handles.get(model, ModelBox.self, "model").model
    let box = try Handles.get(dataset, DatasetBox.self, "dataset")
    let s = try split(which), t = try ties(afme_ties(rawValue: UInt32(bitPattern: o.ties)))
    let nThreads = try count(Int64(o.threads), "threads", max: 1024)
    let sampled = try count(o.sampled_candidates, "sampled_candidates", max: maxSampledCandidates)
    guard o.keep_known == 0 || o.keep_known == 1 else {
        throw ABIError(AFME_ERR_INVALID_ARGUMENT, "keep_known = \(o.keep_known): must be 0 or 1")
    }
    guard o.reserved == 0 else { throw ABIError(AFME_ERR_INVALID_ARGUMENT, "reserved = \(o.reserved): must be 0") }
    let queries = triples(box.graph, s)
    if queries.isEmpty {
        throw ABIError(
            AFME_ERR_INVALID_ARGUMENT,
            "the \(["train", "valid", "test"][s]) split has no triples: there is nothing to rank")
    }
    if box.graph.entityCount != m.entityCount || box.graph.relationCount != m.relationCount {
        throw ABIError(
            AFME_ERR_SHAPE,
            "the dataset has \(box.graph.entityCount) entities / \(box.graph.relationCount) relations, the model \(m.entityCount) / \(m.relationCount)"
        )
    }
    let threads = nThreads == 0 ? SystemInfo.coreCount : nThreads
    let report =
        sampled > 0
        ? SampledRanker.evaluate(
            m, triples: queries, filter: box.filter, candidates: sampled, seed: o.seed, filtered: o.keep_known == 0,
            threads: threads)
        : FilteredRanker.evaluate(m, triples: queries, filter: box.filter, threads: threads)
    fill(both, report.metrics(t, .both)); fill(tail, report.metrics(t, .tail)); fill(head, report.metrics(t, .head))
    return AFME_OK
}

@_cdecl("afme_model_kind_of")
public func cabi_model_kind_of(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> afme_status {
    abiCall("afme_model_kind_of") {
        let m = try Handles.get(model, ModelBox.self, "model")
        let kind = m.trained.kindName
        try nonNull(out, "out").pointee = Int32(  // the 0.2.0 enum; later kinds are OTHER
            kind == "afme"
                ? AFME_MODEL_AFME.rawValue
                : ModelKinds.named(kind)?.scoreFunction != nil && m.trained is KGEModel
                    ? AFME_MODEL_STRUCTURAL.rawValue : AFME_MODEL_OTHER.rawValue)
        return AFME_OK
    }
}

@_cdecl("afme_model_modality_weights")
public func cabi_model_modality_weights(
    _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ columns: UnsafeMutablePointer<Int64>?
) -> afme_status {
    abiCall("afme_model_modality_weights") {
        let box = try Handles.get(model, ModelBox.self, "model")
        let columns = try nonNull(columns, "n_columns")
        let m = box.trained
        guard !m.weightNames.isEmpty else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "a structural model has no modality weights")
        }
        guard let w = m.meanModalityWeights() else {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT, "the concat-projection ablation (w/o MoIFu) has no modality weights")
        }
        let n = m.weightNames.count
        columns.pointee = Int64(n)
        guard let out else { return AFME_OK }
        let cap = try count(capacity, "capacity")
        guard cap >= m.relationCount * n else {
            throw ABIError(AFME_ERR_SHAPE, "capacity \(cap) < \(m.relationCount) relations × \(n) columns")
        }
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
