// Scoring a trained MoMoK model: the candidates (every entity's expert outputs, mixtures and joint rows)
// and every relation's core matrices are computed once; a query then costs its gates, its fusion and one
// product per decoder. The score of a candidate is the mean over decoders of σ(logit) (§4.4).

public final class MoMoKScorer: LinkScorer {
    let model: MoMoKModel
    let candidates: MoMoKCandidates
    /// Per decoder, one core matrix per relation row (2R), when they fit in `precomputedLimit` floats;
    /// otherwise each block of queries computes those of its own relations.
    let matrices: [Var]?
    static let precomputedLimit = 1 << 26
    public var entityCount: Int { model.entityCount }
    public var relationCount: Int { model.relationCount }

    public init(model: MoMoKModel) {
        self.model = model
        (candidates, matrices) = Self.inference {
            var none: SplitMix64? = nil
            let c = model.candidates(rng: &none)
            let m = model.coreMatrices(
                model.relationVectors(Array(0..<(2 * model.relationCount)), rng: &none), rng: &none)
            return (c, m)
        }
    }

    /// Each decoder's outputs for a block of queries.
    func outputs(entities: [Int], relationRows: [Int]) -> [Var] {
        Self.inference {
            var none: SplitMix64? = nil
            let q = model.queryRows(candidates, entities: entities, relationRows: relationRows, rng: &none)
            if let matrices {
                return model.decoderOutputs(q.rows, matrices: matrices, groups: relationRows, rng: &none)
            }
            let (distinct, groups) = MoMoKSession.distinct(relationRows)
            let m = model.coreMatrices(model.relationVectors(distinct, rng: &none), rng: &none)
            return model.decoderOutputs(q.rows, matrices: m, groups: groups, rng: &none)
        }
    }

    func relationRow(_ q: Query) -> Int { Int(q.relation) + (q.direction == .tail ? 0 : model.relationCount) }

    static let block = 256

    /// No graph, and every product row by row in a fixed order: a score's bits do not depend on the call.
    static func inference<T>(_ body: () -> T) -> T { GradMode.withDisabled { RowwiseProducts.withRowwise(body) } }

    public func scoreAllCandidates(_ queries: UnsafeBufferPointer<Query>, out: UnsafeMutablePointer<Float>) {
        let E = model.entityCount, decoders = Float(model.decoders.count)
        for start in stride(from: 0, to: queries.count, by: Self.block) {
            let part = queries[start..<min(start + Self.block, queries.count)]
            let ys = outputs(entities: part.map { Int($0.entity) }, relationRows: part.map(relationRow))
            let base = out + start * E
            for i in 0..<(part.count * E) { base[i] = 0 }
            for (d, y) in ys.enumerated() {
                let logits = Self.inference { BLAS.matmul(y.value, candidates.rows[d].value, transB: true) }
                logits.data.withUnsafeBufferPointer { l in
                    for i in 0..<(part.count * E) { base[i] += sigmoid(l[i]) / decoders }
                }
            }
        }
    }

    /// The score of (h, r, t) is the tail query (h, r, ?)'s score of t.
    public func scoreTriples(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>) {
        let decoders = Float(model.decoders.count)
        for start in stride(from: 0, to: triples.count, by: Self.block) {
            let part = triples[start..<min(start + Self.block, triples.count)]
            let ys = outputs(entities: part.map { Int($0.h) }, relationRows: part.map { Int($0.r) })
            for (i, t) in part.enumerated() {
                var s: Float = 0
                for (d, y) in ys.enumerated() {
                    let F = y.value.cols, rows = candidates.rows[d].value
                    var dot: Float = 0
                    // The candidate scan's order: k ascending, one fused multiply-add per term, from +0.
                    for j in 0..<F { dot = dot.addingProduct(y.value.data[i * F + j], rows.data[Int(t.t) * F + j]) }
                    s += sigmoid(dot) / decoders
                }
                out[start + i] = s
            }
        }
    }
}

extension MoMoKModel: TrainedModel {
    public var kindName: String { "momok" }
    public func scorer(threads: Int) -> LinkScorer { MoMoKScorer(model: self) }

    public func checkpointSections() -> [CheckpointSection] {
        [
            CheckpointSection("MODS", byteCount: Checkpoint.modalitiesSize(modalities, entities: entityCount)) {
                Checkpoint.writeModalities(&$0, self.modalities)
            },
            CheckpointSection("PARM", byteCount: Checkpoint.parametersSize(parameters)) {
                Checkpoint.writeParameters(&$0, self.parameters)
            },
            CheckpointSection("BNST", byteCount: Checkpoint.parametersSize(statistics)) {
                Checkpoint.writeParameters(&$0, self.statistics)
            },
        ]
    }

    /// The learned structural rows (the joint rows: `jointEmbeddings(relation:)`).
    public var entityEmbeddings: (values: [Float], width: Int) { (tables[0].value.data, dim) }

    /// The structural decoder's relation vectors of the R forward relations.
    public var relationEmbeddings: (values: [Float], width: Int) {
        let w = config.relationDim
        return (Array(relationTables[0].value.data[0..<(relationCount * w)]), w)
    }

    /// The joint candidate rows (the same under every relation: candidates carry no relation temperature).
    public func jointEmbeddings(relation r: Int) -> (values: [Float], width: Int)? {
        guard (0..<relationCount).contains(r) else { return nil }
        return (MoMoKScorer(model: self).candidates.rows.last!.value.data, dim)
    }

    public var modalityNames: [String] { modalities.map(\.name) }
    public var weightNames: [String] { ["structure"] + modalities.map(\.name) }

    /// The entity fusion's weights (eq. 3, both branches averaged) of every entity as the head of a
    /// query under relation r, averaged over entities ([R, 1 + M]).
    public func meanModalityWeights() -> [Float]? {
        let scorer = MoMoKScorer(model: self)
        let M1 = modalities.count + 1, E = entityCount
        var out = [Float](repeating: 0, count: relationCount * M1)
        MoMoKScorer.inference {
            for r in 0..<relationCount {
                var acc = [Double](repeating: 0, count: M1)
                for start in stride(from: 0, to: E, by: 4096) {
                    let entities = Array(start..<min(start + 4096, E))
                    var none: SplitMix64? = nil
                    let w = queryRows(
                        scorer.candidates, entities: entities, relationRows: entities.map { _ in r }, rng: &none
                    ).weights
                    for branch in w { for (i, v) in branch.value.data.enumerated() { acc[i % M1] += Double(v) } }
                }
                for m in 0..<M1 { out[r * M1 + m] = Float(acc[m] / Double(2 * max(E, 1))) }
            }
        }
        return out
    }

    /// Rebuilds a model from its configuration and sections (MODS, PARM, BNST).
    static func decode(
        request: ModelRequest, entities E: Int, relations R: Int, sections: CheckpointSections
    ) throws
        -> MoMoKModel
    {
        var mods = try sections.reader("MODS"), params = try sections.reader("PARM"),
            stats = try sections.reader("BNST")
        let modalities = try Checkpoint.readModalities(&mods, entities: E)
        try mods.expectEnd()
        // Refuse a configuration whose layers the section cannot hold before allocating them.
        let implied = parameterCount(
            config: request[MoMoKConfig.key], dim: request.training.dim, modalityDims: modalities.map(\.dim),
            entities: E,
            relations: R)
        guard implied <= params.remaining / 4 else {
            throw params.fail(
                .truncated,
                "the momok configuration implies \(implied) parameters; the section holds at most \(params.remaining / 4)"
            )
        }
        let model = MoMoKModel(request: request, modalities: modalities, entities: E, relations: R, seed: 0)
        try Checkpoint.readParameterValues(&params, into: model.parameters)
        try params.expectEnd()
        try Checkpoint.readParameterValues(&stats, into: model.statistics)
        try stats.expectEnd()
        return model
    }
}
