// One optimisation step of a weighted-fusion model: the batch's KGC loss in the fused distance kernel
// over a local table of joint rows, the fake-triple objective on the batch's positives, one backward
// pass into the structural rows, relations and fusion layers (the KGC model, which is also the
// discriminator), then the generator's own step on freshly computed fakes (Algorithm 1 of AdaMF-MAT:
// D first, then G with the updated D).
//
// Each distinct entity of a batch is projected once per step: the local table holds one row per
// distinct entity (per-positive negatives, relation-free fusion) or per distinct (entity, relation)
// pair drawn from per-relation negative pools (relation temperature), never one per batch slot.

extension Var {
    /// One Adam step of this parameter from `grad`.
    func adamStep(_ grad: [Float], state: inout AdamState, config: AdamConfig) {
        withMutableData { p in
            p.withUnsafeMutableBufferPointer { pp in
                grad.withUnsafeBufferPointer {
                    Adam.step(pp.baseAddress!, grad: $0.baseAddress!, count: $0.count, state: &state, config: config)
                }
            }
        }
    }
}

public final class WeightedFusionTrainer: KeepsRowsBeforeStep {
    public let model: WeightedFusionModel
    let training: TrainingConfig
    let settings: WeightedFusionTraining
    let sampler: NegativeSampler
    let structuralAdam: RowSparseAdam
    var relationAdam: AdamState
    /// The structural rows' values before each step, kept for data-parallel rounds.
    var rowsBeforeStep = RowsBeforeStep()
    var parameterAdam: [AdamState]
    /// Generator noise comes from its own stream, so the weight of the fake-triple objective (0 or not)
    /// leaves the batches and negatives of the KGC loss unchanged: paired comparisons.
    var adversarialRNG: SplitMix64
    private var directions: [Direction] = [], negatives: [Int32] = []

    public init(
        model: WeightedFusionModel, training: TrainingConfig, settings: WeightedFusionTraining, graph: KnowledgeGraph
    ) {
        precondition(
            !model.spec.relationTemperature || settings.negativePool != nil,
            "relation-dependent joint rows need per-relation negative pools")
        self.model = model; self.training = training; self.settings = settings
        sampler = NegativeSampler(graph: graph, mode: training.negativeSampling, filter: training.filterNegatives)
        structuralAdam = RowSparseAdam(rows: model.entityCount, width: model.score.entityWidth)
        relationAdam = AdamState(count: model.relations.value.count)
        parameterAdam = model.parameters.vars.map { AdamState(count: $0.value.count) }
        adversarialRNG = SplitMix64(seed: training.seed ^ 0xFA4E_7219_0C3D_55A1)
    }

    /// A batch's local table: distinct entities, the rows (entity index, relation) and the queries.
    struct Layout {
        var entities: [Int] = []
        /// Entity index of each row; nil = row i is entity i (relation-free rows).
        var rowEntity: [Int]? = nil
        var rowRelation: [Int] = []
        var queries = DistanceQueries()
        var rows: Int { rowEntity?.count ?? entities.count }
        func entityIndex(ofRow i: Int) -> Int { rowEntity?[i] ?? i }
    }

    func layout(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Layout {
        var out = Layout()
        var entityIndex: [Int: Int] = [:]
        func entity(_ e: Int) -> Int {
            if let i = entityIndex[e] { return i }
            entityIndex[e] = out.entities.count; out.entities.append(e); return out.entities.count - 1
        }
        let k = training.negatives
        guard let pool = settings.negativePool else {
            sampler.sample(batch, k: k, rng: &rng, directions: &directions, negatives: &negatives)
            for (i, p) in batch.enumerated() {
                let dir = directions[i]
                out.queries.anchor.append(Int32(entity(dir == .tail ? p.h : p.t)))
                out.queries.truth.append(Int32(entity(dir == .tail ? p.t : p.h)))
                out.queries.relation.append(Int32(p.r)); out.queries.direction.append(dir)
                for j in 0..<k { out.queries.negatives.append(Int32(entity(Int(negatives[i * k + j])))) }
            }
            out.rowRelation = [Int](repeating: 0, count: out.entities.count)
            return out
        }
        var rowEntity: [Int] = []
        func row(_ e: Int, _ r: Int) -> Int32 {
            rowEntity.append(entity(e)); out.rowRelation.append(r)
            return Int32(rowEntity.count - 1)
        }
        var groupOf: [Int: Int] = [:], groups: [(relation: Int, triples: [Triple])] = []
        for t in batch {
            if let g = groupOf[t.r] {
                groups[g].triples.append(t)
            } else {
                groupOf[t.r] = groups.count; groups.append((t.r, [t]))
            }
        }
        for (r, members) in groups {
            var rowOf: [Int: Int32] = [:]
            func pairRow(_ e: Int) -> Int32 {
                if let i = rowOf[e] { return i }
                let i = row(e, r); rowOf[e] = i; return i
            }
            let drawn = sampler.drawPool(size: max(k, min(model.entityCount, pool * k)), rng: &rng)
            let negStart = rowEntity.count
            for e in drawn { _ = row(e, r) }
            for t in members {
                let dir = sampler.poolDirection(relation: r, rng: &rng)
                out.queries.anchor.append(pairRow(dir == .tail ? t.h : t.t))
                out.queries.truth.append(pairRow(dir == .tail ? t.t : t.h))
                out.queries.relation.append(Int32(r)); out.queries.direction.append(dir)
                sampler.drawFromPool(
                    drawn, positive: t, direction: dir, k: k, rng: &rng, into: &out.queries.negatives, offset: negStart)
            }
        }
        out.rowEntity = rowEntity
        return out
    }

    /// The batch's positives as rows of the local table: head row, tail row, relation.
    func positives(_ L: Layout) -> (head: [Int], tail: [Int], relation: [Int]) {
        var h: [Int] = [], t: [Int] = [], r: [Int] = []
        let q = L.queries
        for i in 0..<q.count {
            let a = Int(q.anchor[i]), b = Int(q.truth[i])
            if q.direction[i] == .tail { h.append(a); t.append(b) } else { h.append(b); t.append(a) }
            r.append(Int(q.relation[i]))
        }
        return (h, t, r)
    }

    /// The local table's vectors, attention scores and joint rows for structural rows `s`.
    func forward(_ L: Layout, structural s: Var) -> (vectors: [Var], joint: Var) {
        let vectors = [s] + model.modalityVectors(L.entities)
        let joint = model.fuse(
            vectors, scores: model.attentionScores(vectors), rowEntity: L.rowEntity, rowRelation: L.rowRelation
        ).joint
        return (vectors, joint)
    }

    /// One step on `batch`; returns the KGC loss of the batch.
    public func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float {
        let L = layout(batch, rng: &rng)
        let W = model.score.entityWidth
        let s = Var(model.structuralRows(L.entities), requiresGrad: true)
        let (vectors, joint) = forward(L, structural: s)
        let (loss, dJoint, dRelScore) = JointScoreLoss.evaluate(
            model.score, table: joint.value.data, rows: L.rows, relations: model.relations.value.data,
            queries: L.queries, k: training.negatives, loss: training.lossSettings(gamma: model.score.gamma),
            l2: training.l2, threads: training.effectiveThreads)
        var root = dot(joint, Var(Tensor(shape: [L.rows, W], data: dJoint)))
        let adversarial = settings.weight > 0
        let (head, tail, relation) = positives(L)
        if adversarial {
            let (real, fakes) = model.fakeTripleDistances(
                entityOfRow: L.entityIndex(ofRow:), head: head, tail: tail, relation: relation, joint: joint,
                vectors: vectors, groups: settings.groups, frozenGenerator: true, rng: &adversarialRNG)
            root =
                root + settings.objective.discriminator(real: real, fakes: fakes, gamma: model.score.gamma)
                * settings.weight
        }
        let params = model.parameters.vars
        let fusion = model.parameters.indices(of: .fusion)
        let grads = gradients(of: root, wrt: [s, model.relations] + fusion.map { params[$0] })

        let cfg = AdamConfig(learningRate: training.learningRate)
        var sGrad = grads[0].value.data
        model.structural.withUnsafeBufferPointer { rowsBeforeStep.keep(L.entities, of: $0, width: W) }
        structuralAdam.step(rows: L.entities, gradients: &sGrad, table: &model.structural, config: cfg)
        var relGrad = grads[1].value.data
        for j in 0..<relGrad.count { relGrad[j] += dRelScore[j] }
        model.relations.adamStep(relGrad, state: &relationAdam, config: cfg)
        for (j, i) in fusion.enumerated() {
            params[i].adamStep(grads[2 + j].value.data, state: &parameterAdam[i], config: cfg)
        }
        if adversarial { generatorStep(L, head: head, tail: tail, relation: relation) }
        return loss
    }

    /// The generator's step against the updated KGC model, on the batch's positives.
    func generatorStep(_ L: Layout, head: [Int], tail: [Int], relation: [Int]) {
        // A layout of the positives' entities only, one row per (positive, side).
        var sub = Layout(), index: [Int: Int] = [:]
        var rowEntity: [Int] = []
        for row in head + tail {
            let e = L.entities[L.entityIndex(ofRow: row)]
            if index[e] == nil { index[e] = sub.entities.count; sub.entities.append(e) }
            rowEntity.append(index[e]!)
        }
        sub.rowEntity = rowEntity
        sub.rowRelation = relation + relation
        let n = head.count
        // The real side as constants: G's step moves only G, so no gradient is taken through the fusion.
        let (vectors, joint) = GradMode.withDisabled {
            forward(sub, structural: Var(model.structuralRows(sub.entities)))
        }
        let (_, fakes) = model.fakeTripleDistances(
            entityOfRow: sub.entityIndex(ofRow:), head: Array(0..<n), tail: Array(n..<(2 * n)), relation: relation,
            joint: joint, vectors: vectors, groups: settings.groups, rng: &adversarialRNG)
        let objective = settings.objective.generator(fakes: fakes, gamma: model.score.gamma)
        let params = model.parameters.vars
        let generator = model.parameters.indices(of: .generator)
        let grads = gradients(of: objective, wrt: generator.map { params[$0] })
        let cfg = AdamConfig(learningRate: settings.generatorLearningRate)
        for (j, i) in generator.enumerated() {
            params[i].adamStep(grads[j].value.data, state: &parameterAdam[i], config: cfg)
        }
    }
}

/// A weighted-fusion model in the shared loop.
final class WeightedFusionSession: LayeredRowSparseSession {
    let trainer: WeightedFusionTrainer
    var model: WeightedFusionModel { trainer.model }
    init(trainer: WeightedFusionTrainer) { self.trainer = trainer }

    typealias Snapshot = LayeredSnapshot

    func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float { trainer.step(batch, rng: &rng) }
    func validationScorer(threads: Int) -> LinkScorer { model.scorer(threads: threads) }
    func snapshot() -> Snapshot {
        Snapshot(
            structural: model.structural, relations: model.relations.value,
            parameters: model.parameters.vars.map(\.value))
    }
    func restore(_ s: Snapshot) {
        model.structural = s.structural
        model.relations.assign(s.relations)
        for (v, t) in zip(model.parameters.vars, s.parameters) { v.assign(t) }
    }

    func parameterVector() -> [Float]? { snapshot().flattened }
    func setParameterVector(_ values: [Float]) { restore(snapshot().replacing(values)) }

    /// Current weights, every optimiser's moments, the generator's noise stream and the best snapshot.
    func resumeBytes(best: Snapshot?) -> [UInt8]? {
        LayeredResume.encode(
            current: snapshot(), best: best, structuralAdam: trainer.structuralAdam, relationAdam: trainer.relationAdam,
            parameterAdam: trainer.parameterAdam, rng: trainer.adversarialRNG.state)
    }

    func restoreResume(_ bytes: [UInt8]) throws -> Snapshot? {
        let (current, best) = try LayeredResume.decode(
            bytes, shape: snapshot(), structuralAdam: trainer.structuralAdam, relationAdam: &trainer.relationAdam,
            parameterAdam: &trainer.parameterAdam, rng: &trainer.adversarialRNG.state)
        restore(current)
        return best
    }
}

extension WeightedFusionModel {
    /// Trains a fresh model of `kind` on `graph`.
    public static func train(
        kind: String, graph: KnowledgeGraph, request: ModelRequest, spec: WeightedFusionSpec, randomFill: Bool,
        settings: WeightedFusionTraining, progress: ProgressHook?
    ) throws -> (WeightedFusionModel, TrainingResult) {
        let training = request.training
        try training.validate()
        try graph.validate()
        if graph.train.isEmpty { throw DataError(.invalidArgument, "the training split is empty") }
        let model = try WeightedFusionModel(
            kind: kind, graph: graph, request: request, spec: spec, randomFill: randomFill)
        var rng = SplitMix64(seed: training.seed)
        return Parallel.withThreads(training.effectiveThreads) {
            let session = WeightedFusionSession(
                trainer: WeightedFusionTrainer(model: model, training: training, settings: settings, graph: graph))
            let result = TrainingLoop.run(
                session, graph: graph, config: training, rng: &rng, progress: progress, request: request)
            return (model, result)
        }
    }

    /// Continues an interrupted run on this model (see ModelRegistry.resume).
    public func resume(
        graph: KnowledgeGraph, state: ResumeState, request: ModelRequest, settings: WeightedFusionTraining,
        history: [EpochReport], progress: ProgressHook?
    ) throws -> (WeightedFusionModel, TrainingResult) {
        let training = request.training
        return try Parallel.withThreads(training.effectiveThreads) {
            let session = WeightedFusionSession(
                trainer: WeightedFusionTrainer(model: self, training: training, settings: settings, graph: graph))
            let best = try session.restoreResume(state.session)
            var rng = SplitMix64(seed: training.seed)
            let result = TrainingLoop.run(
                session, graph: graph, config: training, rng: &rng, progress: progress, request: request,
                resume: Resumption(state: state, best: best, history: history))
            return (self, result)
        }
    }
}
