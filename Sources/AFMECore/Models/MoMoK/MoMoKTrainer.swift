// One MoMoK step: the batch's triples become their distinct queries in both directions ((h, r, ?) and
// (t, r⁻¹, ?)), each scored against every entity by every decoder; the loss is the sum over decoders of
// the 1-to-N binary cross-entropy (eq. 5–6) plus μ times the CLUB bound between two experts of each
// modality (eq. 7, 9), one backward pass and one Adam step of the KGC model; then the CLUB networks take
// their own step on the updated experts (eq. 8), as the released trainer alternates them.

final class MoMoKSession: TrainingSession {
    let model: MoMoKModel
    let adam: AdamConfig
    var moments: [AdamState]
    var estimatorMoments: [AdamState]
    /// The training answers of every query.
    let answers: [Query: [Int32]]

    init(model: MoMoKModel, training: TrainingConfig, graph: KnowledgeGraph) {
        self.model = model
        adam = AdamConfig(learningRate: training.learningRate)
        moments = model.parameters.vars.map { AdamState(count: $0.value.count) }
        estimatorMoments = model.estimator.vars.map { AdamState(count: $0.value.count) }
        var a: [Query: [Int32]] = [:]
        for t in graph.train {
            a[Query(entity: t.h, relation: t.r, direction: .tail), default: []].append(Int32(t.t))
            a[Query(entity: t.t, relation: t.r, direction: .head), default: []].append(Int32(t.h))
        }
        answers = a
    }

    typealias Snapshot = [Tensor]

    func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float {
        RowwiseProducts.withSgemm { train(batch, rng: &rng) }
    }

    private func train(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float {
        let (objective, loss, entities) = self.objective(batch, rng: &rng)
        let params = model.parameters.vars
        let grads = gradients(of: objective, wrt: params)
        GradMode.withDisabled {
            for i in params.indices { params[i].adamStep(grads[i].value.data, state: &moments[i], config: adam) }
        }
        // The released trainer draws a fresh pair for the estimator's step.
        if let pair = expertPair(&rng), model.config.miWeight > 0 {
            let loss = estimatorObjective(entities, pair)
            let params = model.estimator.vars
            let grads = gradients(of: loss, wrt: params)
            GradMode.withDisabled {
                for i in params.indices {
                    params[i].adamStep(grads[i].value.data, state: &estimatorMoments[i], config: adam)
                }
            }
        }
        return loss
    }

    /// The forward pass of a step: the batch's distinct queries, each decoder's logits against every
    /// entity ([Q, E]) and each modality's expert outputs at the queries' entities.
    func forward(
        _ batch: ArraySlice<Triple>, rng: inout SplitMix64
    ) -> (queries: [Query], logits: [Var], experts: [[Var]]) {
        var seen = Set<Query>(), queries: [Query] = []
        for t in batch {
            for q in [
                Query(entity: t.h, relation: t.r, direction: .tail),
                Query(entity: t.t, relation: t.r, direction: .head),
            ]
            where seen.insert(q).inserted { queries.append(q) }
        }
        let R = model.relationCount
        let entities = queries.map { Int($0.entity) }
        let relationRows = queries.map { Int($0.relation) + ($0.direction == .tail ? 0 : R) }
        let (distinct, groups) = Self.distinct(relationRows)
        var stream: SplitMix64? = rng.split()
        let c = model.candidates(rng: &stream)
        let q = model.queryRows(c, entities: entities, relationRows: relationRows, rng: &stream)
        let matrices = model.coreMatrices(model.relationVectors(distinct, rng: &stream), rng: &stream)
        let outputs = model.decoderOutputs(q.rows, matrices: matrices, groups: groups, rng: &stream)
        return (queries, outputs.indices.map { matmul(outputs[$0], c.rows[$0], transB: true) }, q.experts)
    }

    /// The KGC model's objective on a batch (a graph reaching every parameter of the model), its value,
    /// and the queries' entities.
    func objective(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> (Var, Float, [Int]) {
        let (queries, logits, experts) = forward(batch, rng: &rng)
        var lossValue: Float = 0
        var objective: Var? = nil
        for l in logits {
            let (loss, gradient) = bceGradient(l.value, queries)
            lossValue += loss
            let term = externalLoss(l, gradient: gradient, value: loss)
            objective = objective.map { $0 + term } ?? term
        }
        if let pair = expertPair(&rng), model.config.miWeight > 0 {
            let perm = permutation(queries.count, &rng)
            let bounds = model.club.indices.map {
                model.club[$0].frozen.upperBound(experts[$0][pair.0], experts[$0][pair.1], permutation: perm)
            }
            let club = bounds.dropFirst().reduce(bounds[0], +) * (model.config.miWeight / Float(bounds.count))
            lossValue += club.value.scalar
            objective = objective! + club
        }
        return (objective!, lossValue, queries.map { Int($0.entity) })
    }

    /// Mean binary cross-entropy over every (query, entity) cell and its gradient with respect to the
    /// logits; the queries are split over the cores (each query's sum is in a fixed order, so the bits do
    /// not depend on the thread count).
    func bceGradient(_ logits: Tensor, _ queries: [Query]) -> (Float, Tensor) {
        let E = model.entityCount, Q = queries.count
        var gradient = Tensor(zeros: logits.shape)
        var perQuery = [Double](repeating: 0, count: Q)
        let T = Parallel.elementwiseThreads
        logits.data.withUnsafeBufferPointer { s in
            gradient.data.withUnsafeMutableBufferPointer { g in
                perQuery.withUnsafeMutableBufferPointer { l in
                    Parallel.forEachChunk(T) { chunk in
                        for i in Parallel.range(of: chunk, chunks: T, count: Q) {
                            (answers[queries[i]] ?? []).withUnsafeBufferPointer { a in
                                l[i] = Double(
                                    OneToNLoss.binaryCrossEntropy(
                                        logits: s.baseAddress! + i * E, n: E, answers: a,
                                        smoothing: model.config.labelSmoothing, weight: 1 / Float(Q),
                                        dScores: g.baseAddress! + i * E))
                            }
                        }
                    }
                }
            }
        }
        return (Float(perQuery.reduce(0, +) / Double(Q)), gradient)
    }

    /// Two distinct experts, drawn afresh for each use (nil with a single expert: no CLUB term).
    func expertPair(_ rng: inout SplitMix64) -> (Int, Int)? {
        let K = model.config.experts
        guard K > 1 else { return nil }
        let i = rng.below(K)
        var j = rng.below(K - 1)
        if j >= i { j += 1 }
        return (i, j)
    }

    func permutation(_ n: Int, _ rng: inout SplitMix64) -> [Int] {
        var p = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, rng.below(i + 1)) }
        return p
    }

    /// Eq. 8 on the experts' outputs at the batch's query entities, taken as constants, averaged over modalities.
    func estimatorObjective(_ entities: [Int], _ pair: (Int, Int)) -> Var {
        let pairs = GradMode.withDisabled {
            model.experts.indices.map { b -> (Var, Var) in
                let y = model.experts[b].outputs(gatherRows(model.tables[b], entities))
                return (Var(y[pair.0].value), Var(y[pair.1].value))
            }
        }
        let terms = model.club.indices.map {
            model.club[$0].negativeLogLikelihood(pairs[$0].0, pairs[$0].1, model.config.clubLikelihood)
        }
        return terms.dropFirst().reduce(terms[0], +) * (1 / Float(terms.count))
    }

    /// The distinct values of `rows` in first-seen order and each row's index among them.
    static func distinct(_ rows: [Int]) -> (values: [Int], index: [Int]) {
        var at: [Int: Int] = [:], values: [Int] = []
        let index = rows.map { r -> Int in
            if let i = at[r] { return i }
            at[r] = values.count; values.append(r)
            return values.count - 1
        }
        return (values, index)
    }

    func validationScorer(threads: Int) -> LinkScorer { MoMoKScorer(model: model) }
    func snapshot() -> Snapshot { (model.parameters.vars + model.statistics.vars).map(\.value) }
    func restore(_ s: Snapshot) { for (v, t) in zip(model.parameters.vars + model.statistics.vars, s) { v.assign(t) } }

    func parameterVector() -> [Float]? { snapshot().flattened }
    func setParameterVector(_ values: [Float]) { restore(snapshot().replacing(values)) }
}

extension MoMoKModel {
    /// Trains a fresh model on `graph`.
    static func train(
        graph: KnowledgeGraph, request: ModelRequest, progress: ProgressHook?
    ) throws -> (
        MoMoKModel, TrainingResult
    ) {
        let training = request.training
        try training.validate()
        try graph.validate()
        if graph.train.isEmpty { throw DataError(.invalidArgument, "the training split is empty") }
        let model = try MoMoKModel(graph: graph, request: request)
        var rng = SplitMix64(seed: training.seed)
        return Parallel.withThreads(training.effectiveThreads) {
            let session = MoMoKSession(model: model, training: training, graph: graph)
            let result = TrainingLoop.run(
                session, graph: graph, config: training, rng: &rng, progress: progress, request: request)
            return (model, result)
        }
    }

    /// Memory checks before anything is allocated: the parameters with their gradient, two moments and
    /// the best snapshot; one step's score matrices; the scorer's per-relation core matrices.
    static func preflight(request r: ModelRequest, graph: KnowledgeGraph) throws {
        let c = r[MoMoKConfig.key], t = r.training
        guard !graph.modalities.isEmpty else {
            throw DataError(
                .invalidArgument,
                "momok needs at least one feature modality; add one to the dataset or train a structural model")
        }
        let dims = graph.modalities.map(\.dim)
        let params = Double(
            parameterCount(
                config: c, dim: t.dim, modalityDims: dims, entities: graph.entityCount, relations: graph.relationCount))
        let decoders = Double(dims.count + 2), E = Double(graph.entityCount)
        let queries = Double(min(2 * t.batchSize, 2 * graph.train.count))
        let widths = Double(t.dim * 2 + dims.reduce(0, +))
        let stepBytes = queries * E * decoders * 4 * 4 + E * widths * Double(c.experts + 4) * 4 * 4
        let coreBytes =
            Double(2 * graph.relationCount) * ([t.dim, t.dim] + dims).reduce(0.0) { $0 + Double($1 * $1) } * 4
        let bytes = params * 20 + stepBytes + coreBytes
        if bytes > 16e9 {
            throw DataError(
                .invalidArgument,
                "momok with dim \(t.dim), relation_dim \(c.relationDim), batch_size \(t.batchSize) on \(graph.entityCount) entities needs about \(Int(bytes / 1e9)) GB"
            )
        }
    }
}

// Graph-connected views for gradient checks: each returns the scalar the trainer differentiates.
extension MoMoKModel {
    /// The KGC objective of one step on `batch` with the random stream `seed` (dropout masks, gate noise,
    /// the CLUB pair and permutation), times `scale`.
    public func objectiveProbe(graph: KnowledgeGraph, batch: [Triple], seed: UInt64, scale: Float = 1) -> Var {
        let session = MoMoKSession(model: self, training: request.training, graph: graph)
        var rng = SplitMix64(seed: seed)
        return session.objective(batch[...], rng: &rng).0 * scale
    }

    /// Σ_d Σ w_d ⊙ logits_d with fixed random weights w_d: every layer of the forward pass of one step
    /// with the random stream `seed`, without the loss (whose constant part would swamp a finite
    /// difference). `batchStatistics` false normalises with the running averages instead.
    public func logitsProbe(graph: KnowledgeGraph, batch: [Triple], seed: UInt64, batchStatistics: Bool = true) -> Var {
        normalisesWithBatchStatistics = batchStatistics
        defer { normalisesWithBatchStatistics = true }
        let session = MoMoKSession(model: self, training: request.training, graph: graph)
        var rng = SplitMix64(seed: seed), weights = SplitMix64(seed: seed ^ 0x77)
        let logits = session.forward(batch[...], rng: &rng).logits
        let terms = logits.map { sum($0 * Var(Tensor.gaussian($0.shape, std: 1, rng: &weights))) }
        return terms.dropFirst().reduce(terms[0], +)
    }

    /// The CLUB networks' objective (eq. 8) at `entities` for experts i and j.
    public func estimatorProbe(graph: KnowledgeGraph, entities: [Int], experts pair: (Int, Int)) -> Var {
        MoMoKSession(model: self, training: request.training, graph: graph).estimatorObjective(entities, pair)
    }

    public var trainableParameters: [(name: String, value: Var)] {
        Array(zip(parameters.names, parameters.vars))
    }
    public var estimatorParameters: [(name: String, value: Var)] { Array(zip(estimator.names, estimator.vars)) }
    public var builtParameterCount: Int { parameters.count }
}
