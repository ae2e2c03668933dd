// The AFME model (afme.txt §4): structural entity rows and relations, per-modality projections,
// MoIFu (gate + weights, or the concat ablation) and MoIEn (generator + discriminator). The joint
// embedding of an entity depends on the query relation, so the model computes joint rows for
// (entity, relation) pairs; docs/MODEL.md describes each step and the readings chosen.

/// (entity, relation) pairs whose joint rows are wanted; `entities` lists each distinct entity once.
struct PairRows {
    var entities: [Int] = []
    var rowEntity: [Int] = []  // index into `entities`
    var rowRelation: [Int] = []
    /// Rows whose feature modalities are all replaced by the generator's output (synthetic entities,
    /// training only); empty = none. Aligned with `rowEntity` when not empty.
    var synthetic: [Bool] = []
    var count: Int { rowEntity.count }
}

struct FusionOutput {
    let joint: Var
    /// [n, 1 + M] weights of (structural, modalities…); nil for the concat ablation.
    let weights: Var?
    /// Modality vectors as fused (after denoising and completion or enhancement), one [n, W] per modality.
    let modalityVectors: [Var]
    /// Modality vectors after denoising only (the discriminator's real samples where present).
    let denoisedVectors: [Var]
    let structural: Var
    /// Rows fused as synthetic entities and, per modality, the generator's output for them (before the
    /// gradient reversal): the trainer reuses these passes as the adversarial samples of eq. 15.
    var syntheticRows: [Int] = []
    var syntheticGenerated: [Var] = []
}

public final class AFMEModel: StructuralTableModel {
    public let config: AFMEConfig
    public let score: ScoreFunction
    public let entityCount: Int
    public let relationCount: Int
    public let modalities: [ModalityFeatures]
    /// [E, W] structural rows (padding zero), trained by row-sparse Adam.
    public internal(set) var structural: [Float]
    /// [R, P] relation rows.
    public let relations: Var
    public let parameters: ParameterStore

    let projections: [ModalityProjection]
    let gates: [RelationGate]
    let weighting: ModalityWeighting?
    let concat: ConcatProjectionFusion?
    let generators: [ModalityGenerator]
    let discriminators: [ModalityDiscriminator]
    /// Per modality, the learned mix β ([1, W], starts at 0) of completion = prior + β ⊙ (G − prior);
    /// empty when `completionMix` is off (completion = G).
    let completionMixes: [Var]
    let context: RelationContext

    /// A freshly initialised model for `graph` (which must have at least one modality).
    public convenience init(graph: KnowledgeGraph, training t: TrainingConfig, config c: AFMEConfig) throws {
        let f = ScoreFunction(kind: t.scoreFunction, dim: t.dim, gamma: t.gamma, epsilon: t.epsilon)
        try c.validate(entityWidth: f.entityWidth)
        guard !graph.modalities.isEmpty else {
            throw DataError(
                .invalidArgument,
                "AFME needs at least one feature modality; add one to the dataset or train a structural model")
        }
        var rng = SplitMix64(seed: t.seed ^ 0xAF3E)
        var fillRng = rng.split()
        let mods = graph.modalities.map { AFMEModel.fill($0, c.missingFill, rng: &fillRng) }
        var initRng = rng.split()
        let base = KGEModel(
            score: f, entityCount: graph.entityCount, relationCount: graph.relationCount, epsilon: t.epsilon,
            rng: &initRng)
        try self.init(
            config: c, score: f, modalities: mods, structural: base.entities,
            relations: Tensor(shape: [graph.relationCount, f.relationWidth], data: base.relations), seed: t.seed)
    }

    /// Builds the layers (fresh parameters from `seed`); checkpoints then overwrite the parameter values.
    init(
        config c: AFMEConfig, score f: ScoreFunction, modalities mods: [ModalityFeatures], structural: [Float],
        relations: Tensor, seed: UInt64
    ) throws {
        try c.validate(entityWidth: f.entityWidth)
        config = c; score = f; modalities = mods
        entityCount = structural.count / f.entityWidth
        relationCount = relations.rows
        self.structural = structural
        self.relations = Var(relations, requiresGrad: true, name: "relations")
        let store = ParameterStore()
        parameters = store
        var rng = SplitMix64(seed: seed ^ 0x5EED_AF3E)
        let W = f.entityWidth
        projections = mods.map {
            ModalityProjection(store, "modality.\($0.name)", featureDim: $0.dim, score: f, rng: &rng)
        }
        let adaptive = c.fusion == .adaptive
        gates =
            adaptive && c.denoising
            ? mods.map { RelationGate(store, "modality.\($0.name)", width: W, strength: c.denoiseStrength, rng: &rng) }
            : []
        weighting =
            adaptive
            ? ModalityWeighting(
                store, score: f, relations: relations.rows, confidence: c.confidence,
                smoothing: c.relationSmoothing, rng: &rng) : nil
        concat = adaptive ? nil : ConcatProjectionFusion(store, score: f, modalities: mods.count, rng: &rng)
        generators =
            c.enhancement
            ? mods.map { ModalityGenerator(store, "generator.\($0.name)", score: f, config: c, rng: &rng) } : []
        discriminators =
            c.enhancement
            ? mods.map { ModalityDiscriminator(store, "discriminator.\($0.name)", width: W, config: c, rng: &rng) } : []
        completionMixes =
            c.enhancement && c.completionMix
            ? mods.map { store.add("completion.\($0.name).mix", Tensor(zeros: [1, W]), .fusion) } : []
        context = RelationContext(score: f, reading: c.gateRelation)
    }

    /// Number of learned floats the layers of a model with this configuration hold (the structural and
    /// relation tables excluded), computed without building them. It mirrors the constructors above (a
    /// test checks it against `parameters.count` for every switch); callers use it to refuse a shape whose
    /// layers could not be allocated (a checkpoint whose file cannot hold them, a training request beyond
    /// memory) before anything is allocated. Saturates at Int.max rather than overflowing.
    public static func parameterCount(
        config c: AFMEConfig, score f: ScoreFunction, modalityDims: [Int], relations: Int
    ) -> Int {
        let W = f.entityWidth, M = modalityDims.count
        var total = 0, overflow = false
        func add(_ terms: Int...) {
            var product = 1
            for t in terms {
                let (p, o) = product.multipliedReportingOverflow(by: t); product = p; overflow = overflow || o
            }
            let (s, o) = total.addingReportingOverflow(product); total = s; overflow = overflow || o
        }
        func linear(_ fanIn: Int, _ fanOut: Int, bias: Bool = true) { add(fanIn, fanOut); if bias { add(fanOut) } }
        let tokenWidth = W / max(c.attentionTokens, 1)
        func attention() { for _ in 0..<3 { linear(tokenWidth, tokenWidth, bias: false) } }
        for d in modalityDims { linear(d, W); linear(W, W) }  // projections
        if c.fusion == .adaptive {
            if c.denoising { for _ in 0..<M { linear(W, W) } }  // gates
            add(W); add(relations)  // U, τ
        } else {
            linear((M + 1) * W, W, bias: false)  // concat projection
        }
        if c.enhancement {
            for _ in 0..<M {  // generators
                switch c.guide {
                case .projected: linear(W + c.noiseDim, W, bias: false); linear(W, W)
                case .onesExtended: linear(W + c.noiseDim, W)
                }
                for _ in 0..<c.attentionLayers { attention() }
            }
            for _ in 0..<M { attention(); linear(W, c.discriminatorHidden); linear(c.discriminatorHidden, 1) }
            if c.completionMix { for _ in 0..<M { add(W) } }
        }
        return overflow ? Int.max : total
    }

    /// Fills absent rows: the modality mean, or (MissingFill.random) a fixed random vector per entity
    /// scaled to the mean norm of the present rows.
    static func fill(_ m: FeatureModality, _ mode: MissingFill, rng: inout SplitMix64) -> ModalityFeatures {
        ModalityFeatures.filling(m, randomly: mode == .random, rng: &rng)
    }

    /// Standard deviation of z: `noiseScale` times that of a freshly initialised structural entry
    /// (uniform in ±(γ+ε)/D), so the two halves of the guide e_s ⊕ z start on the same scale.
    var noiseStd: Float { config.noiseScale * (score.gamma + score.epsilon) / Float(score.dim) / Float(3).squareRoot() }

    /// Whether absent modality rows are completed by the generator.
    var completesWithGenerator: Bool { config.enhancement && config.missingFill == .generator }

    /// Joint rows for `rows`. `structural` holds the rows of `rows.entities`; `noise` is nil at inference (z = 0).
    /// `projected` (inference only): every entity's projected modality vectors, from `projectedFeatures()`.
    func fuse(
        _ rows: PairRows, structural s: Var, relations rel: Var, noise: inout SplitMix64?,
        projected: [[Float]]? = nil
    ) -> FusionOutput {
        let n = rows.count
        let es = gatherRows(s, rows.rowEntity)
        var vectors: [Var] = []
        for (m, mod) in modalities.enumerated() {
            let projectedRows: Var
            if let projected {
                projectedRows = Var(Self.rows(rows.entities, of: projected[m], width: score.entityWidth))
            } else {
                projectedRows = projections[m](Var(Self.rows(rows.entities, of: mod.values, width: mod.dim)))
            }
            var h = gatherRows(projectedRows, rows.rowEntity)
            if !gates.isEmpty { h = gates[m](h, context: context.apply(h, table: rel, rows: rows.rowRelation)) }
            vectors.append(h)
        }
        let denoised = vectors
        if config.enhancement && config.enhanceAll {
            var noiseCopy = noise
            for m in modalities.indices {
                let others = vectors.indices.filter { $0 != m }.map { denoised[$0] } + [es]
                vectors[m] = generators[m](
                    structural: es, noise: noiseRows(n, &noiseCopy), input: denoised[m], others: others)
            }
            noise = noiseCopy
        } else if completesWithGenerator {
            for m in modalities.indices {
                // Rows completed by the generator: entities lacking m, and at training a random
                // `completionDropout` share of the entities that have it (treated as if they lacked it).
                var absent = rows.entities.map { !modalities[m].present[$0] }
                if var r = noise, config.completionDropout > 0 {
                    for i in absent.indices where !absent[i] { absent[i] = r.unit() < config.completionDropout }
                    noise = r
                }
                let missing = (0..<n).filter { absent[rows.rowEntity[$0]] }
                if missing.isEmpty { continue }
                let missingRelations = missing.map { rows.rowRelation[$0] }
                let others =
                    vectors.indices.filter { $0 != m }.map { gatherRows(vectors[$0], missing) } + [
                        gatherRows(es, missing)
                    ]
                let start = prior(m, relationRows: missingRelations, relations: rel)
                let gen = generators[m](
                    structural: gatherRows(es, missing), noise: noiseRows(missing.count, &noise),
                    input: start, others: others)
                vectors[m] = replaceRows(vectors[m], missing, with: completion(m, start: start, generated: gen))
            }
        }
        var syntheticRows: [Int] = [], syntheticGenerated: [Var] = []
        if config.enhancement, !rows.synthetic.isEmpty {
            // Synthetic entities (AdaMF-MAT's adversarial examples): every modality generated from the
            // entity's detached structural row. The generator's output passes a gradient reversal, so the
            // one backward pass trains the fusion to score these rows low (a hard negative) and the
            // generator to make them score high (realistic), as in a min-max game.
            let idx = (0..<n).filter { rows.synthetic[$0] }
            if !idx.isEmpty {
                let esIdx = detached(gatherRows(es, idx))
                var generated: [Var] = []
                for m in modalities.indices {
                    let others =
                        denoised.indices.filter { $0 != m }.map { detached(gatherRows(denoised[$0], idx)) } + [esIdx]
                    let gen = generators[m](
                        structural: esIdx, noise: noiseRows(idx.count, &noise),
                        input: prior(m, relationRows: idx.map { rows.rowRelation[$0] }), others: others)
                    generated.append(detached(gen) * 2 - gen)
                    syntheticGenerated.append(gen)
                }
                syntheticRows = idx
                for m in modalities.indices { vectors[m] = replaceRows(vectors[m], idx, with: generated[m]) }
            }
        }
        if let weighting {
            let (joint, w) = weighting([es] + vectors, relationRows: rows.rowRelation)
            return FusionOutput(
                joint: joint, weights: w, modalityVectors: vectors, denoisedVectors: denoised, structural: es,
                syntheticRows: syntheticRows, syntheticGenerated: syntheticGenerated)
        }
        return FusionOutput(
            joint: concat!([es] + vectors), weights: nil, modalityVectors: vectors, denoisedVectors: denoised,
            structural: es, syntheticRows: syntheticRows, syntheticGenerated: syntheticGenerated)
    }

    /// What an absent row of modality m is completed with, from the prior and the generator's output.
    func completion(_ m: Int, start: Var, generated: Var) -> Var {
        completionMixes.isEmpty ? generated : start + completionMixes[m] * (generated - start)
    }

    func noiseRows(_ count: Int, _ rng: inout SplitMix64?) -> Var {
        guard var r = rng else { return Var(Tensor(zeros: [count, config.noiseDim])) }
        defer { rng = r }
        return Var(Tensor.gaussian([count, config.noiseDim], std: noiseStd, rng: &r))
    }

    /// The denoised vector of modality m's mean feature under each relation of `relationRows`: the
    /// generator's starting point for an entity that lacks m (graph-free).
    func prior(_ m: Int, relationRows: [Int]) -> Var {
        detached(prior(m, relationRows: relationRows, relations: relations))
    }

    /// The same, graph-connected (to the projection, gate and `rel`): the input of completion, which the
    /// KGC loss differentiates through.
    func prior(_ m: Int, relationRows: [Int], relations rel: Var) -> Var {
        let mod = modalities[m]
        let base = projections[m](Var(Tensor(shape: [1, mod.dim], data: mod.mean)))
        var h = gatherRows(base, [Int](repeating: 0, count: relationRows.count))
        if !gates.isEmpty { h = gates[m](h, context: context.apply(h, table: rel, rows: relationRows)) }
        return h
    }

    /// Rows `entities` of a row-major table of the given width, as a [count, width] tensor.
    static func rows(_ entities: [Int], of table: [Float], width: Int) -> Tensor {
        var t = Tensor(zeros: [entities.count, width])
        table.withUnsafeBufferPointer { s in
            for (i, e) in entities.enumerated() { for j in 0..<width { t.data[i * width + j] = s[e * width + j] } }
        }
        return t
    }

    /// Inference: no graph, and every product row by row (RowwiseProducts), so an entity's fused vectors
    /// and a triple's score never depend on what else a call fuses, on cached tables or on threads.
    static func inference<R>(_ body: () -> R) -> R { GradMode.withDisabled { RowwiseProducts.withRowwise(body) } }

    /// Structural rows of `entities` as a [count, W] tensor.
    func structuralRows(_ entities: [Int]) -> Tensor { Self.rows(entities, of: structural, width: score.entityWidth) }

    /// Every entity's projected vector of each modality ([E, W] per modality), before the relation's gate.
    /// They do not depend on the relation, so a scorer computes them once for all its relation tables
    /// instead of once per table (the projections are most of a table's products).
    public func projectedFeatures() -> [[Float]] {
        Self.inference {
            modalities.enumerated().map { m, mod in
                inEntityBlocks { projections[m](Var(Self.rows(Array($0), of: mod.values, width: mod.dim))).value.data }
            }
        }
    }

    /// An [E, W] table assembled from `rows` of blocks of 4096 entities, to bound the temporaries.
    private func inEntityBlocks(_ rows: (Range<Int>) -> [Float]) -> [Float] {
        let W = score.entityWidth, block = 4096
        var table = [Float](repeating: 0, count: entityCount * W)
        var start = 0
        while start < entityCount {
            let end = min(start + block, entityCount)
            let part = rows(start..<end)
            table.withUnsafeMutableBufferPointer { t in for i in 0..<part.count { t[start * W + i] = part[i] } }
            start = end
        }
        return table
    }

    /// The fusion of entities `range` under relation `r` at inference. Graph-free.
    func fusedRows(relation r: Int, range: Range<Int>, projected: [[Float]]? = nil) -> FusionOutput {
        Self.inference {
            let ents = Array(range)
            let pairs = PairRows(
                entities: ents, rowEntity: Array(0..<ents.count), rowRelation: [Int](repeating: r, count: ents.count))
            var none: SplitMix64? = nil
            return fuse(
                pairs, structural: Var(structuralRows(ents)), relations: relations, noise: &none, projected: projected)
        }
    }

    /// Joint rows of entities `range` under relation `r` at inference, and the fusion weights.
    func jointRows(
        relation r: Int, range: Range<Int>, projected: [[Float]]? = nil
    ) -> (rows: [Float], weights: [Float]?) {
        let out = fusedRows(relation: r, range: range, projected: projected)
        return (out.joint.value.data, out.weights?.value.data)
    }

    /// Modality m's vectors [E, W] of every entity under relation `r` as the fusion reads them.
    func modalityTable(_ m: Int, relation r: Int) -> [Float] {
        inEntityBlocks { fusedRows(relation: r, range: $0).modalityVectors[m].value.data }
    }

    /// The joint table [E, W] of every entity under relation `r`, computed in blocks to bound memory.
    /// `projected`: `projectedFeatures()` of this model's current weights, if the caller keeps them.
    public func jointTable(relation r: Int, projected: [[Float]]? = nil) -> [Float] {
        inEntityBlocks { jointRows(relation: r, range: $0, projected: projected).rows }
    }

    /// Names of the fused modalities in weight order: "structure" first, then the feature modalities.
    public var weightNames: [String] { ["structure"] + modalities.map(\.name) }

    /// Mean fusion weight of each modality under each relation over all entities ([R, 1 + M], row-major):
    /// which modality each relation relies on. Nil for the concat ablation, which has no weights.
    public func meanModalityWeights() -> [Float]? {
        guard weighting != nil else { return nil }
        let M1 = modalities.count + 1, block = 4096
        var out = [Float](repeating: 0, count: relationCount * M1)
        let projected = projectedFeatures()
        for r in 0..<relationCount {
            var acc = [Double](repeating: 0, count: M1)
            var start = 0
            while start < entityCount {
                let end = min(start + block, entityCount)
                let w = jointRows(relation: r, range: start..<end, projected: projected).weights!
                for i in 0..<(end - start) { for j in 0..<M1 { acc[j] += Double(w[i * M1 + j]) } }
                start = end
            }
            for j in 0..<M1 { out[r * M1 + j] = Float(acc[j] / Double(max(entityCount, 1))) }
        }
        return out
    }

    /// Generated vector of modality `m` for `entity` under relation `r` with z = 0, and the vector the
    /// fusion actually uses (equal to it when the entity lacks m and the generator completes).
    public func modalityVector(entity: Int, relation r: Int, modality m: Int) -> (used: [Float], generated: [Float]?) {
        Self.inference {
            let pairs = PairRows(entities: [entity], rowEntity: [0], rowRelation: [r])
            var none: SplitMix64? = nil
            let es = Var(structuralRows([entity]))
            let out = fuse(pairs, structural: es, relations: relations, noise: &none)
            guard config.enhancement else { return (out.modalityVectors[m].value.data, nil) }
            if config.enhanceAll { return (out.modalityVectors[m].value.data, out.modalityVectors[m].value.data) }
            let others = out.modalityVectors.indices.filter { $0 != m }.map { out.modalityVectors[$0] } + [es]
            let start = prior(m, relationRows: [r])
            let gen = generators[m](structural: es, noise: noiseRows(1, &none), input: start, others: others)
            return (out.modalityVectors[m].value.data, completion(m, start: start, generated: gen).value.data)
        }
    }
}

// Graph-connected views of the model's parts, for gradient checks and diagnostics: each returns a
// scalar whose graph reaches the parameters in `parameters` (and `relations`).
extension AFMEModel {
    /// Σ joint ⊙ P for fixed random P over the given (entity, relation) pairs: reaches projections,
    /// gates, weights (or the concat projection) and, for entities lacking a modality, the generator.
    /// `synthetic` marks rows fused as synthetic entities (generated modalities behind a gradient reversal).
    public func fusionProbe(entities: [Int], relations rels: [Int], synthetic: [Bool] = [], seed: UInt64) -> Var {
        var ents: [Int] = [], local: [Int: Int] = [:], rowEntity: [Int] = []
        for e in entities {
            if let i = local[e] {
                rowEntity.append(i)
            } else {
                local[e] = ents.count; rowEntity.append(ents.count); ents.append(e)
            }
        }
        let pairs = PairRows(entities: ents, rowEntity: rowEntity, rowRelation: rels, synthetic: synthetic)
        var none: SplitMix64? = nil
        let out = fuse(pairs, structural: Var(structuralRows(ents)), relations: relations, noise: &none)
        var rng = SplitMix64(seed: seed)
        return sum(out.joint * Var(Tensor.gaussian(out.joint.shape, std: 1, rng: &rng)))
    }

    /// The discriminator's loss (λ1 adversarial + λ2·λ penalty, eq. 15–16) and the generator's (eq. 15)
    /// for modality `m` on the given pairs with fixed noise.
    public func adversarialProbe(
        modality m: Int, entities: [Int], relations rels: [Int], seed: UInt64
    ) -> (discriminator: Var, generator: Var) {
        let pairs = PairRows(entities: entities, rowEntity: Array(entities.indices), rowRelation: rels)
        var none: SplitMix64? = nil
        let out = GradMode.withDisabled {
            fuse(pairs, structural: Var(structuralRows(entities)), relations: relations, noise: &none)
        }
        var epsRng = SplitMix64(seed: seed)
        var rng: SplitMix64? = epsRng.split()
        let es = out.structural
        let others = out.denoisedVectors.indices.filter { $0 != m }.map { out.denoisedVectors[$0] } + [es]
        let fake = generators[m](
            structural: es, noise: noiseRows(entities.count, &rng), input: prior(m, relationRows: rels), others: others)
        let eps = (0..<entities.count).map { _ in epsRng.unit() }
        let c = config
        let d = AdversarialLoss.discriminator(
            discriminators[m], real: out.denoisedVectors[m], fake: detached(fake), epsilon: eps,
            lambdaAdversarial: c.lambdaAdversarial, lambdaPenalty: c.lambdaPenalty, penaltyWeight: c.penaltyWeight)
        return (d, AdversarialLoss.generator(discriminators[m], fake: fake, lambdaAdversarial: c.lambdaAdversarial))
    }
}
