// Weighted-fusion models: the family of AdaMF-MAT (Models/AdaMFMAT) and NATIVE (Models/NATIVE). Each
// entity has a structural row and one projected vector per feature modality; a softmax over one score
// per vector (w · tanh(v), optionally divided by a relation temperature σ(g_r)) weighs them into the
// joint row RotatE scores. A generator makes synthetic modality vectors from the structural row (and,
// for NATIVE, the real modality vectors) and noise; the kinds differ in the objective that contrasts the
// resulting fake triples with the real ones (FakeTripleObjective). docs/models/*.md map each equation here.

/// How a modality's feature becomes a vector of the entity space.
public enum FusionProjection: Int, Sendable, CaseIterable {
    /// e_m = W·f + b (AdaMF-MAT eq. 2–3).
    case linear = 0
    /// e_m = W₂·ReLU(W₁·f + b₁) + b₂ (NATIVE's released code).
    case twoLayer = 1
}

/// Whose vector w the attention score w · tanh(v) uses.
public enum FusionAttention: Int, Sendable, CaseIterable {
    /// One w per fused vector (structure and each modality): AdaMF-MAT eq. 4's w_m.
    case perModality = 0
    /// One w shared by all of them (both released codes: a bias-free Linear(W, 1)).
    case shared = 1
}

/// What the generator reads and writes.
public enum FakeGeneratorShape: Int, Sendable, CaseIterable {
    /// One generator per modality from [z; e_s] (AdaMF-MAT eq. 9).
    case perModality = 0
    /// One generator from [z; e_s; e_1; …; e_M] writing every modality at once (NATIVE).
    case joint = 1
}

/// The architecture a weighted-fusion kind fixes or its options choose.
public struct WeightedFusionSpec: Sendable, Equatable {
    public var projection: FusionProjection
    public var attention: FusionAttention
    /// Divide the attention scores by σ(g_r), one g per relation (NATIVE): the joint row then depends on
    /// the query relation.
    public var relationTemperature: Bool
    public var generator: FakeGeneratorShape
    public var generatorHidden: Int
    public var noiseDim: Int

    public init(
        projection: FusionProjection, attention: FusionAttention, relationTemperature: Bool,
        generator: FakeGeneratorShape, generatorHidden: Int, noiseDim: Int
    ) {
        self.projection = projection; self.attention = attention; self.relationTemperature = relationTemperature
        self.generator = generator; self.generatorHidden = generatorHidden; self.noiseDim = noiseDim
    }
}

public final class WeightedFusionModel: StructuralTableModel {
    public let kindName: String
    public let spec: WeightedFusionSpec
    public let score: ScoreFunction
    public let entityCount: Int
    public let relationCount: Int
    public let modalities: [ModalityFeatures]
    /// [E, W] structural rows (padding zero), trained by row-sparse Adam.
    public internal(set) var structural: [Float]
    /// [R, P] relation phases.
    public let relations: Var
    public let parameters: ParameterStore
    /// The options the model was built with (its kind's configuration and dim, γ, ε).
    public let request: ModelRequest

    let projections: [[Linear]]
    /// [W, 1] attention vectors: one, or one per fused vector (structure first).
    let attention: [Var]
    /// [R, 1] relation temperatures g_r (nil without relation temperature).
    let temperature: Var?
    /// (hidden, output) layers: one pair per modality, or one pair for all.
    let generators: [(Linear, Linear)]
    let mask: Var

    /// A freshly initialised model for `graph` (which must have a feature modality).
    public convenience init(
        kind: String, graph: KnowledgeGraph, request: ModelRequest, spec: WeightedFusionSpec, randomFill: Bool
    ) throws {
        let t = request.training
        let f = ScoreFunction(kind: .rotatE, dim: t.dim, gamma: t.gamma, epsilon: t.epsilon)
        guard !graph.modalities.isEmpty else {
            throw DataError(
                .invalidArgument,
                "\(kind) needs at least one feature modality; add one to the dataset or train a structural model")
        }
        var rng = SplitMix64(seed: t.seed ^ 0xADA3_F00D)
        var fillRng = rng.split()
        let mods = graph.modalities.map { ModalityFeatures.filling($0, randomly: randomFill, rng: &fillRng) }
        var initRng = rng.split()
        let base = KGEModel(
            score: f, entityCount: graph.entityCount, relationCount: graph.relationCount, epsilon: t.epsilon,
            rng: &initRng)
        self.init(
            kind: kind, request: request, spec: spec, score: f, modalities: mods, structural: base.entities,
            relations: Tensor(shape: [graph.relationCount, f.relationWidth], data: base.relations), seed: t.seed)
    }

    /// Builds the layers (fresh parameters from `seed`); checkpoints then overwrite the parameter values.
    init(
        kind: String, request r: ModelRequest, spec s: WeightedFusionSpec, score f: ScoreFunction,
        modalities mods: [ModalityFeatures], structural: [Float], relations: Tensor, seed: UInt64
    ) {
        kindName = kind; spec = s; score = f; modalities = mods
        var stored = try! ModelRequest(kind: kind)
        stored.training.dim = f.dim; stored.training.gamma = f.gamma; stored.training.epsilon = f.epsilon
        stored.kindConfigurations = r.kindConfigurations
        request = stored
        entityCount = structural.count / f.entityWidth
        relationCount = relations.rows
        self.structural = structural
        self.relations = Var(relations, requiresGrad: true, name: "relations")
        let store = ParameterStore()
        parameters = store
        var rng = SplitMix64(seed: seed ^ 0x5EED_ADA3)
        let W = f.entityWidth, M = mods.count
        mask = columnMask(f)
        projections = mods.map { m in
            switch s.projection {
            case .linear:
                return [Linear(torchDefault: store, "modality.\(m.name).proj", m.dim, W, group: .fusion, rng: &rng)]
            case .twoLayer:
                return [
                    Linear(torchDefault: store, "modality.\(m.name).proj1", m.dim, W, group: .fusion, rng: &rng),
                    Linear(torchDefault: store, "modality.\(m.name).proj2", W, W, group: .fusion, rng: &rng),
                ]
            }
        }
        // torch's default for a bias-free Linear(W, 1): uniform in ±1/√W.
        let bound = 1 / Float(W).squareRoot()
        let vectors = s.attention == .shared ? ["shared"] : ["structure"] + mods.map(\.name)
        attention = vectors.map {
            store.add("attention.\($0)", Tensor.uniform([W, 1], -bound, bound, rng: &rng), .fusion)
        }
        // NATIVE's g_r starts uniform in the entity initialisation range.
        let range = (f.gamma + f.epsilon) / Float(f.dim)
        temperature =
            s.relationTemperature
            ? store.add("temperature", Tensor.uniform([relations.rows, 1], -range, range, rng: &rng), .fusion) : nil
        switch s.generator {
        case .perModality:
            generators = mods.map { m in
                (
                    Linear(
                        torchDefault: store, "generator.\(m.name).hidden", s.noiseDim + W, s.generatorHidden,
                        group: .generator, rng: &rng),
                    Linear(
                        torchDefault: store, "generator.\(m.name).out", s.generatorHidden, W, group: .generator,
                        rng: &rng)
                )
            }
        case .joint:
            generators = [
                (
                    Linear(
                        torchDefault: store, "generator.hidden", s.noiseDim + (1 + M) * W, s.generatorHidden,
                        group: .generator, rng: &rng),
                    Linear(torchDefault: store, "generator.out", s.generatorHidden, M * W, group: .generator, rng: &rng)
                )
            ]
        }
    }

    /// Learned floats of the layers of this architecture (tables excluded), without building them; mirrors
    /// the constructor (a test checks it). Saturates at Int.max.
    public static func parameterCount(
        spec s: WeightedFusionSpec, score f: ScoreFunction, modalityDims: [Int], relations: Int
    )
        -> Int
    {
        let W = f.entityWidth, M = modalityDims.count
        var total = 0, overflow = false
        func add(_ terms: Int...) {
            var product = 1
            for t in terms {
                let (p, o) = product.multipliedReportingOverflow(by: t); product = p; overflow = overflow || o
            }
            let (sum, o) = total.addingReportingOverflow(product); total = sum; overflow = overflow || o
        }
        func linear(_ fanIn: Int, _ fanOut: Int) { add(fanIn, fanOut); add(fanOut) }
        for d in modalityDims {
            linear(d, W)
            if s.projection == .twoLayer { linear(W, W) }
        }
        add(W, s.attention == .shared ? 1 : 1 + M)
        if s.relationTemperature { add(relations) }
        switch s.generator {
        case .perModality: for _ in 0..<M { linear(s.noiseDim + W, s.generatorHidden); linear(s.generatorHidden, W) }
        case .joint: linear(s.noiseDim + (1 + M) * W, s.generatorHidden); linear(s.generatorHidden, M * W)
        }
        return overflow ? Int.max : total
    }

    /// Rows `entities` of a row-major table of the given width, as a [count, width] tensor.
    static func rows(_ entities: [Int], of table: [Float], width: Int) -> Tensor {
        var t = Tensor(zeros: [entities.count, width])
        table.withUnsafeBufferPointer { s in
            for (i, e) in entities.enumerated() { for j in 0..<width { t.data[i * width + j] = s[e * width + j] } }
        }
        return t
    }

    func structuralRows(_ entities: [Int]) -> Tensor { Self.rows(entities, of: structural, width: score.entityWidth) }

    /// Each modality's projected vectors of `entities` ([n, W] per modality, padding zero).
    func modalityVectors(_ entities: [Int]) -> [Var] {
        modalities.enumerated().map { m, mod in
            var x = Var(Self.rows(entities, of: mod.values, width: mod.dim))
            for (i, layer) in projections[m].enumerated() {
                x = layer(x)
                if i + 1 < projections[m].count { x = relu(x) }
            }
            return x * mask
        }
    }

    /// The attention scores [n, 1 + M] of the vectors (structure first) of n rows.
    func attentionScores(_ vectors: [Var]) -> Var {
        concatCols(vectors.enumerated().map { i, v in matmul(tanh(v), attention[spec.attention == .shared ? 0 : i]) })
    }

    /// Joint rows Σ α_m v_m, α = softmax(scores / σ(g_r)) (the temperature only with relationTemperature),
    /// for rows that pick entity `rowEntity[i]` of `vectors`/`scores` under relation `rowRelation[i]`;
    /// nil `rowEntity` = one row per entity row as given. Returns the joint rows and the weights.
    func fuse(_ vectors: [Var], scores: Var, rowEntity: [Int]?, rowRelation: [Int]) -> (joint: Var, weights: Var) {
        var v = vectors, z = scores
        if let rowEntity {
            v = vectors.map { gatherRows($0, rowEntity) }
            z = gatherRows(scores, rowEntity)
        }
        if let temperature { z = z / sigmoid(gatherRows(temperature, rowRelation)) }
        let w = softmax(z)
        return (weightedSum(v, weights: w), w)
    }

    /// Synthetic modality vectors (one [n, W] per modality) from the structural rows `es`, the real
    /// modality vectors (read by the joint generator only) and N(0, 1) noise.
    /// `frozen`: the generator's weights enter as constants (the discriminator's step, which does not
    /// update them, then computes no gradient for them).
    func generate(structural es: Var, real: [Var], frozen: Bool = false, rng: inout SplitMix64) -> [Var] {
        let n = es.shape[0], W = score.entityWidth
        func noise() -> Var { Var(Tensor.gaussian([n, spec.noiseDim], std: 1, rng: &rng)) }
        func net(_ g: (Linear, Linear), _ input: Var) -> Var {
            frozen ? g.1.frozen(leakyRelu(g.0.frozen(input))) : g.1(leakyRelu(g.0(input)))
        }
        switch spec.generator {
        case .perModality:
            return generators.map { net($0, concatCols([noise(), es])) * mask }
        case .joint:
            let out = net(generators[0], concatCols([noise(), es] + real))
            return modalities.indices.map { sliceCols(out, $0 * W, W) * mask }
        }
    }

    /// RotatE distance Σ_j |h_j ∘ r_j − t_j| of rows h, t [n, W] under relations `relationRows`, as a graph
    /// ([n, 1]): what the fake-triple objectives contrast (the batch's KGC loss runs in the fused kernel).
    func distance(_ h: Var, _ t: Var, relationRows: [Int]) -> Var {
        let u = rotateRows(h, phases: scale(relations, score.phaseScale), rows: relationRows) - t
        let P = score.relationWidth, D = score.dim
        let re = sliceCols(u, 0, D), im = sliceCols(u, P, D)
        return sumCols(sqrt(square(re) + square(im) + 1e-12))
    }

    /// Distances of the real positives (rows `head`/`tail` of `joint` under `relation`) and of every fake
    /// group's (h*, r, t), (h, r, t*), (h*, r, t*): a synthetic entity keeps its structural row and takes
    /// generated modality vectors, fused as the real ones are. `vectors` are per entity, `entityOfRow`
    /// maps a row of `joint` to its entity.
    func fakeTripleDistances(
        entityOfRow: (Int) -> Int, head: [Int], tail: [Int], relation: [Int], joint: Var, vectors: [Var], groups: Int,
        frozenGenerator: Bool = false, rng: inout SplitMix64
    ) -> (real: Var, fakes: [Var]) {
        let realH = gatherRows(joint, head), realT = gatherRows(joint, tail)
        let real = distance(realH, realT, relationRows: relation)
        func synthetic(_ rows: [Int]) -> Var {
            let own = vectors.map { gatherRows($0, rows.map(entityOfRow)) }
            let fused =
                [own[0]]
                + generate(structural: own[0], real: Array(own.dropFirst()), frozen: frozenGenerator, rng: &rng)
            return fuse(fused, scores: attentionScores(fused), rowEntity: nil, rowRelation: relation).joint
        }
        var fakes: [Var] = []
        for _ in 0..<groups {
            let fakeH = synthetic(head), fakeT = synthetic(tail)
            fakes += [
                distance(fakeH, realT, relationRows: relation), distance(realH, fakeT, relationRows: relation),
                distance(fakeH, fakeT, relationRows: relation),
            ]
        }
        return (real, fakes)
    }

    /// Inference: no graph, and every product row by row, so an entity's vectors never depend on what
    /// else a call computes.
    static func inference<T>(_ body: () -> T) -> T { GradMode.withDisabled { RowwiseProducts.withRowwise(body) } }

    /// Every entity's fused vectors (structure first) [E, W] each and attention scores [E, 1 + M], in
    /// blocks of 4096 entities: all the scorer needs.
    func entityTables() -> (vectors: [[Float]], scores: [Float]) {
        let W = score.entityWidth, M1 = modalities.count + 1, block = 4096
        var vectors = [[Float]](repeating: [Float](repeating: 0, count: entityCount * W), count: M1)
        var scores = [Float](repeating: 0, count: entityCount * M1)
        Self.inference {
            var start = 0
            while start < entityCount {
                let ents = Array(start..<min(start + block, entityCount))
                let v = [Var(structuralRows(ents))] + modalityVectors(ents)
                let z = attentionScores(v).value.data
                for m in 0..<M1 {
                    let d = v[m].value.data
                    vectors[m].withUnsafeMutableBufferPointer { t in for i in 0..<d.count { t[start * W + i] = d[i] } }
                }
                scores.withUnsafeMutableBufferPointer { s in for i in 0..<z.count { s[start * M1 + i] = z[i] } }
                start += ents.count
            }
        }
        return (vectors, scores)
    }

    /// σ(g_r) of every relation (ones without relation temperature).
    func temperatures() -> [Float] {
        guard let temperature else { return [Float](repeating: 1, count: relationCount) }
        return temperature.value.data.map { 1 / (1 + _expf(-$0)) }
    }

    /// Names of the fused vectors in weight order: "structure" first, then the feature modalities.
    public var weightNames: [String] { ["structure"] + modalities.map(\.name) }
}

/// Fake-triple objective of a weighted-fusion kind, on RotatE distances ([n, 1] graphs): the real
/// triples' and, per fake group, the fakes' (h*, r, t), (h, r, t*), (h*, r, t*).
public protocol FakeTripleObjective {
    /// What the KGC model (the discriminator) minimises, before the kind's weight.
    func discriminator(real: Var, fakes: [Var], gamma: Float) -> Var
    /// What the generator minimises.
    func generator(fakes: [Var], gamma: Float) -> Var
}

/// What a weighted-fusion kind passes to the shared trainer besides the architecture.
public struct WeightedFusionTraining {
    public var objective: FakeTripleObjective
    /// Weight of the objective in the KGC model's loss; 0 = no fake triples (no generator pass at all).
    public var weight: Float
    public var generatorLearningRate: Float
    /// Fake groups per positive (AdaMF-MAT's L).
    public var groups: Int
    /// Per-relation negative pools of this many × negatives (joint rows that depend on the relation need
    /// them); nil = per-positive negatives over the batch's distinct entities.
    public var negativePool: Int?

    public init(
        objective: FakeTripleObjective, weight: Float, generatorLearningRate: Float, groups: Int, negativePool: Int?
    ) {
        self.objective = objective; self.weight = weight; self.generatorLearningRate = generatorLearningRate
        self.groups = groups; self.negativePool = negativePool
    }
}

/// What a weighted-fusion model puts in the rows of entities that lack a modality.
public enum FusionMissingFill: Int, Sendable, CaseIterable {
    /// A fixed random vector per entity at the mean norm of the present rows (AdaMF-MAT's study, §4.3).
    case random = 0
    /// The modality's mean feature.
    case mean = 1
}

extension WeightedFusionModel {
    /// Memory checks before anything is allocated: one step's graph and the layers with their optimiser
    /// state (value, gradient, two moments, best snapshot).
    static func preflight(
        kind: String, request r: ModelRequest, spec: WeightedFusionSpec, pooled: Int?, graph: KnowledgeGraph
    ) throws {
        let t = r.training
        let f = ScoreFunction(kind: .rotatE, dim: t.dim, gamma: t.gamma, epsilon: t.epsilon)
        let W = Double(f.entityWidth), M = Double(graph.modalities.count)
        let rows =
            pooled.map { Double(2 * t.batchSize + min(graph.relationCount, t.batchSize) * $0 * t.negatives) }
            ?? Double(min(graph.entityCount, t.batchSize * (t.negatives + 2)))
        // About a dozen [rows, W] tensors per fused vector, and the generator's passes over the positives.
        let graphBytes =
            rows * W * 4 * 12 * (M + 1) + Double(t.batchSize) * 8 * (W * (M + 2) + Double(spec.generatorHidden)) * 4 * 8
        if graphBytes > 16e9 {
            throw DataError(
                .invalidArgument,
                "batch_size \(t.batchSize), negatives \(t.negatives), dim \(t.dim) need about \(Int(graphBytes / 1e9)) GB per \(kind) step"
            )
        }
        let parameters = parameterCount(
            spec: spec, score: f, modalityDims: graph.modalities.map(\.dim), relations: graph.relationCount)
        if Double(parameters) * 20 > 16e9 {
            throw DataError(
                .invalidArgument,
                "dim \(t.dim) with these modalities gives \(parameters) \(kind) layer parameters, about \(Int(Double(parameters) * 20 / 1e9)) GB to train"
            )
        }
    }
}

// Graph-connected views for gradient checks: each returns scalars whose graphs reach the parameters.
extension WeightedFusionModel {
    /// The distinct entities of `entities` and each one's index among them.
    private static func distinct(_ entities: [Int]) -> (entities: [Int], rowEntity: [Int]) {
        var out: [Int] = [], index: [Int: Int] = [:], rows: [Int] = []
        for e in entities {
            if index[e] == nil { index[e] = out.count; out.append(e) }
            rows.append(index[e]!)
        }
        return (out, rows)
    }

    /// Σ joint ⊙ P for fixed random P over (entity, relation) pairs: reaches projections, attention
    /// vectors and relation temperatures.
    public func fusionProbe(entities: [Int], relations rels: [Int], seed: UInt64) -> Var {
        let (ents, rowEntity) = Self.distinct(entities)
        let v = [Var(structuralRows(ents))] + modalityVectors(ents)
        let joint = fuse(v, scores: attentionScores(v), rowEntity: rowEntity, rowRelation: rels).joint
        var rng = SplitMix64(seed: seed)
        return sum(joint * Var(Tensor.gaussian(joint.shape, std: 1, rng: &rng)))
    }

    /// The RotatE distance the fake-triple objectives use ([n, 1]), through this model's relations.
    public func rotatEDistance(_ h: Var, _ t: Var, relationRows: [Int]) -> Var {
        distance(h, t, relationRows: relationRows)
    }

    /// The objective's discriminator and generator losses on `triples` with generator noise from `seed`.
    public func fakeTripleProbe(
        _ triples: [Triple], objective: FakeTripleObjective, groups: Int = 1, seed: UInt64
    )
        -> (discriminator: Var, generator: Var)
    {
        let n = triples.count
        let (ents, rowEntity) = Self.distinct(triples.map(\.h) + triples.map(\.t))
        let rels = triples.map(\.r)
        let v = [Var(structuralRows(ents))] + modalityVectors(ents)
        let joint = fuse(v, scores: attentionScores(v), rowEntity: rowEntity, rowRelation: rels + rels).joint
        var rng = SplitMix64(seed: seed)
        let (real, fakes) = fakeTripleDistances(
            entityOfRow: { rowEntity[$0] }, head: Array(0..<n), tail: Array(n..<(2 * n)), relation: rels, joint: joint,
            vectors: v, groups: groups, rng: &rng)
        return (
            objective.discriminator(real: real, fakes: fakes, gamma: score.gamma),
            objective.generator(fakes: fakes, gamma: score.gamma)
        )
    }
}
