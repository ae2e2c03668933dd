// Inference on a weighted-fusion model. Every entity's vectors and attention scores are computed once
// per scorer (the projections are nearly all the work); the joint row of (e, r) is then a softmax over
// 1 + M numbers and a weighted sum, done in one fixed order by `jointRow`, so a triple scores the same
// bits through any call. Relation-free models fuse one table for all queries; with relation
// temperature a table per relation is fused on first use and a few are kept.
import Dispatch

public final class WeightedFusionScorer: LinkScorer {
    public let model: WeightedFusionModel
    public var entityCount: Int { model.entityCount }
    public var relationCount: Int { model.relationCount }
    let vectors: [[Float]]
    let scores: [Float]
    let temperatures: [Float]
    /// The joint table of a relation-free model (every relation's table is this one).
    private let shared: KGEModel?
    private var tables: [Int: KGEModel] = [:]
    private var recent: [Int] = []
    private let lock = DispatchSemaphore(value: 1)
    let capacity = 4

    public init(model: WeightedFusionModel) {
        self.model = model
        let (v, z) = model.entityTables(), temps = model.temperatures()
        (vectors, scores, temperatures) = (v, z, temps)
        shared =
            model.spec.relationTemperature
            ? nil
            : KGEModel(
                score: model.score, entityCount: model.entityCount, relationCount: model.relationCount,
                entities: Self.fusedTable(
                    relation: 0, vectors: v, scores: z, temperatures: temps, width: model.score.entityWidth),
                relations: model.relations.value.data)
    }

    /// Entity e's joint row under relation r into `out` (W floats).
    func jointRow(_ e: Int, relation r: Int, into out: UnsafeMutablePointer<Float>) {
        Self.jointRow(
            e, relation: r, vectors: vectors, scores: scores, temperatures: temperatures,
            width: model.score.entityWidth, into: out)
    }

    static func jointRow(
        _ e: Int, relation r: Int, vectors: [[Float]], scores: [Float], temperatures: [Float], width W: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let M1 = vectors.count
        var w = [Float](repeating: 0, count: M1)
        var top = -Float.infinity
        for m in 0..<M1 { w[m] = scores[e * M1 + m] / temperatures[r]; top = max(top, w[m]) }
        var total: Float = 0
        for m in 0..<M1 { w[m] = _expf(w[m] - top); total += w[m] }
        for j in 0..<W { out[j] = 0 }
        for m in 0..<M1 {
            let a = w[m] / total
            vectors[m].withUnsafeBufferPointer { v in for j in 0..<W { out[j] += a * v[e * W + j] } }
        }
    }

    /// Every entity's joint row under relation r, [E, W].
    func fusedTable(relation r: Int) -> [Float] {
        Self.fusedTable(
            relation: r, vectors: vectors, scores: scores, temperatures: temperatures, width: model.score.entityWidth)
    }

    static func fusedTable(
        relation r: Int, vectors: [[Float]], scores: [Float], temperatures: [Float], width W: Int
    ) -> [Float] {
        let E = vectors[0].count / W
        var t = [Float](repeating: 0, count: E * W)
        t.withUnsafeMutableBufferPointer { p in
            for e in 0..<E {
                jointRow(
                    e, relation: r, vectors: vectors, scores: scores, temperatures: temperatures, width: W,
                    into: p.baseAddress! + e * W)
            }
        }
        return t
    }

    private func kge(table: [Float]) -> KGEModel {
        KGEModel(
            score: model.score, entityCount: entityCount, relationCount: relationCount, entities: table,
            relations: model.relations.value.data)
    }

    /// The structural-model view of relation r's joint table (cached).
    func table(relation r: Int) -> KGEModel {
        if let shared { return shared }
        lock.wait(); defer { lock.signal() }
        if let t = tables[r] {
            recent.removeAll { $0 == r }; recent.append(r)
            return t
        }
        let t = kge(table: fusedTable(relation: r))
        tables[r] = t; recent.append(r)
        if recent.count > capacity { tables[recent.removeFirst()] = nil }
        return t
    }

    public func scoreAllCandidates(_ queries: UnsafeBufferPointer<Query>, out: UnsafeMutablePointer<Float>) {
        var start = 0
        while start < queries.count {
            let r = Int(queries[start].relation)
            var end = start
            while end < queries.count && Int(queries[end].relation) == r { end += 1 }
            table(relation: r).scoreAllCandidates(
                UnsafeBufferPointer(rebasing: queries[start..<end]), out: out + start * entityCount)
            start = end
        }
    }

    public func scoreTriples(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>) {
        if let shared { return shared.scoreTriples(triples, out: out) }
        // Per triple, a two-row table of its head and tail under its relation, scored as a structural
        // model scores (the same arithmetic as the candidate tables).
        let W = model.score.entityWidth
        var rows = [Float](repeating: 0, count: 2 * W)
        for (i, t) in triples.enumerated() {
            rows.withUnsafeMutableBufferPointer { p in
                jointRow(t.h, relation: t.r, into: p.baseAddress!)
                jointRow(t.t, relation: t.r, into: p.baseAddress! + W)
            }
            let pair = KGEModel(
                score: model.score, entityCount: 2, relationCount: relationCount, entities: rows,
                relations: model.relations.value.data)
            let local = [Triple(0, t.r, 1)]
            local.withUnsafeBufferPointer { pair.scoreTriples($0, out: out + i) }
        }
    }
}

extension WeightedFusionModel: TrainedModel {
    public func scorer(threads: Int) -> LinkScorer { WeightedFusionScorer(model: self) }

    public func checkpointSections() -> [CheckpointSection] {
        [
            .floats("ENTS", structural), .floats("RELS", relations.value.data),
            CheckpointSection("MODS", byteCount: Checkpoint.modalitiesSize(modalities, entities: entityCount)) {
                Checkpoint.writeModalities(&$0, self.modalities)
            },
            CheckpointSection("PARM", byteCount: Checkpoint.parametersSize(parameters)) {
                Checkpoint.writeParameters(&$0, self.parameters)
            },
        ]
    }

    /// The structural rows (the joint rows: `jointEmbeddings(relation:)`).
    public var entityEmbeddings: (values: [Float], width: Int) {
        let columns = score.entityColumns, width = columns.reduce(0) { $0 + $1.count }
        return (score.compactRows(structural, count: entityCount, stride: score.entityWidth, columns: columns), width)
    }

    public var relationEmbeddings: (values: [Float], width: Int) {
        (score.relationRows(relations.value.data, count: relationCount), score.dim)
    }

    public func jointEmbeddings(relation r: Int) -> (values: [Float], width: Int)? {
        let columns = score.entityColumns, width = columns.reduce(0) { $0 + $1.count }
        let table = WeightedFusionScorer(model: self).fusedTable(relation: r)
        return (score.compactRows(table, count: entityCount, stride: score.entityWidth, columns: columns), width)
    }

    public var modalityNames: [String] { modalities.map(\.name) }

    /// Modality m's projected vectors (the same under every relation); `completed` marks the entities
    /// that lack m, whose vector is the projection of the fill (random or mean).
    public func completedModality(_ m: Int, relation r: Int) -> (values: [Float], width: Int, completed: [Bool])? {
        guard modalities.indices.contains(m), (0..<relationCount).contains(r) else { return nil }
        let columns = score.entityColumns, width = columns.reduce(0) { $0 + $1.count }
        let table = entityTables().vectors[m + 1]
        return (
            score.compactRows(table, count: entityCount, stride: score.entityWidth, columns: columns), width,
            modalities[m].present.map { !$0 }
        )
    }

    /// Mean weight of each fused vector under each relation over all entities ([R, 1 + M]).
    public func meanModalityWeights() -> [Float]? {
        let (_, scores) = entityTables()
        let temps = temperatures(), M1 = modalities.count + 1
        var out = [Float](repeating: 0, count: relationCount * M1)
        for r in 0..<relationCount {
            var acc = [Double](repeating: 0, count: M1), w = [Float](repeating: 0, count: M1)
            for e in 0..<entityCount {
                var top = -Float.infinity, total: Float = 0
                for m in 0..<M1 { w[m] = scores[e * M1 + m] / temps[r]; top = max(top, w[m]) }
                for m in 0..<M1 { w[m] = _expf(w[m] - top); total += w[m] }
                for m in 0..<M1 { acc[m] += Double(w[m] / total) }
            }
            for m in 0..<M1 { out[r * M1 + m] = Float(acc[m] / Double(max(entityCount, 1))) }
        }
        return out
    }

    /// Rebuilds a model of `kind` from its configuration and sections (ENTS, RELS, MODS, PARM).
    static func decode(
        kind: String, request: ModelRequest, spec: WeightedFusionSpec, entities E: Int, relations R: Int,
        sections: CheckpointSections
    ) throws -> WeightedFusionModel {
        let t = request.training
        let f = ScoreFunction(kind: .rotatE, dim: t.dim, gamma: t.gamma, epsilon: t.epsilon)
        let structural = try sections.floats("ENTS", count: E * f.entityWidth)
        let relations = try sections.floats("RELS", count: R * f.relationWidth)
        var mods = try sections.reader("MODS"), params = try sections.reader("PARM")
        let modalities = try Checkpoint.readModalities(&mods, entities: E)
        try mods.expectEnd()
        // Refuse a configuration whose layers the section cannot hold before allocating them.
        let implied = parameterCount(spec: spec, score: f, modalityDims: modalities.map(\.dim), relations: R)
        guard implied <= params.remaining / 4 else {
            throw params.fail(
                .truncated,
                "the \(kind) configuration implies \(implied) parameters; the section holds at most \(params.remaining / 4)"
            )
        }
        let model = WeightedFusionModel(
            kind: kind, request: request, spec: spec, score: f, modalities: modalities, structural: structural,
            relations: Tensor(shape: [R, f.relationWidth], data: relations), seed: 0)
        try Checkpoint.readParameterValues(&params, into: model.parameters)
        try params.expectEnd()
        return model
    }
}
