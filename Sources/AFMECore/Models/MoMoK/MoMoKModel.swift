// The MoMoK model: its parameters and the forward pass shared by training and scoring. A query (e, ρ)
// asks for the tails of (e, r, ?) with ρ = r, or for the heads of (?, r, e) with ρ = r + R (inverse
// relations, as the released code trains and ranks). `rng` non-nil means training: dropout, gate noise
// and batch statistics; nil means inference.

public final class MoMoKModel {
    public let entityCount: Int
    public let relationCount: Int
    public let config: MoMoKConfig
    /// Width of the structural rows (`dim`).
    public let dim: Int
    /// The options the model was built with (its configuration and dim).
    public let request: ModelRequest
    /// The features as read: absent rows filled, every row L2-normalised (the released code's input).
    public let modalities: [ModalityFeatures]
    /// The KGC model, trained by one Adam.
    let parameters: ParameterStore
    /// Batch-norm running averages (saved; not trained by gradients).
    let statistics: ParameterStore
    /// The CLUB networks, trained by their own Adam (not saved: scoring does not read them).
    let estimator: ParameterStore
    /// Entity tables, structure first, then one per modality ([E, F]); constants without feature tuning.
    let tables: [Var]
    /// Relation vectors of each expert branch's decoder ([2R, relation_dim]).
    let relationTables: [Var]
    /// g_ρ of the gates' relation temperature σ(g_ρ) ([2R, 1]).
    let relationGate: Var
    let experts: [ModalityExperts]
    let entityFusion: ModalityFusion
    let relationFusion: ModalityFusion
    /// Structure, each modality, then the joint decoder.
    let decoders: [TuckERDecoder]
    let club: [CLUBNetwork]
    /// Training normalises with batch statistics; a gradient probe may ask for the running averages.
    var normalisesWithBatchStatistics = true

    /// A fresh model for `graph`, which must have a feature modality.
    convenience init(graph: KnowledgeGraph, request: ModelRequest) throws {
        guard !graph.modalities.isEmpty else {
            throw DataError(
                .invalidArgument,
                "momok needs at least one feature modality; add one to the dataset or train a structural model")
        }
        let c = request[MoMoKConfig.key]
        var rng = SplitMix64(seed: request.training.seed ^ 0x30_306B)
        let mods = graph.modalities.map { m -> ModalityFeatures in
            var f = ModalityFeatures.filling(m, randomly: c.missingFill == .random, rng: &rng)
            Self.normaliseRows(&f.values, width: f.dim)
            return f
        }
        self.init(
            request: request, modalities: mods, entities: graph.entityCount, relations: graph.relationCount,
            seed: request.training.seed)
    }

    /// Builds every layer with fresh parameters from `seed`; a checkpoint then overwrites the values.
    init(request r: ModelRequest, modalities mods: [ModalityFeatures], entities E: Int, relations R: Int, seed: UInt64)
    {
        let c = r[MoMoKConfig.key], D = r.training.dim
        config = c; dim = D; entityCount = E; relationCount = R; modalities = mods
        var stored = try! ModelRequest(kind: "momok")
        stored.training.dim = D
        stored.kindConfigurations = r.kindConfigurations
        request = stored
        let store = ParameterStore(), stats = ParameterStore(), est = ParameterStore()
        parameters = store; statistics = stats; estimator = est
        var rng = SplitMix64(seed: seed ^ 0x303_0B0E)
        let branches: [(name: String, width: Int)] = [("structure", D)] + mods.map { ($0.name, $0.dim) }
        // nn.init.xavier_normal_ on [E, D] and [2R, r_dim]; features as read.
        var t = [
            store.add(
                "structure.table", Tensor.gaussian([E, D], std: (2 / Float(E + D)).squareRoot(), rng: &rng), .fusion)
        ]
        for m in mods {
            let table = Tensor(shape: [E, m.dim], data: m.values)
            t.append(c.featureTuning ? store.add("\(m.name).table", table, .fusion) : Var(table))
        }
        tables = t
        relationTables = branches.map {
            store.add(
                "\($0.0).relations",
                Tensor.gaussian(
                    [2 * R, c.relationDim], std: (2 / Float(2 * R + c.relationDim)).squareRoot(), rng: &rng),
                .fusion)
        }
        relationGate = store.add("relation_gate", Tensor.gaussian([2 * R, 1], std: 1, rng: &rng), .fusion)
        experts = branches.map { ModalityExperts(store, name: $0.0, width: $0.1, experts: c.experts, rng: &rng) }
        entityFusion = ModalityFusion(store, "fusion.entity", inputs: branches, width: D, rng: &rng)
        relationFusion = ModalityFusion(
            store, "fusion.relation", inputs: branches.map { ($0.0, c.relationDim) }, width: D, rng: &rng)
        decoders =
            branches.map {
                TuckERDecoder(
                    store, statistics: stats, "decoder.\($0.0)", width: $0.1, relationDim: c.relationDim, rng: &rng)
            } + [TuckERDecoder(store, statistics: stats, "decoder.joint", width: D, relationDim: D, rng: &rng)]
        club = branches.map { CLUBNetwork(est, "club.\($0.0)", width: $0.1, rng: &rng) }
    }

    static func normaliseRows(_ values: inout [Float], width d: Int) {
        for e in 0..<(values.count / max(d, 1)) {
            var s: Float = 0
            for j in 0..<d { s += values[e * d + j] * values[e * d + j] }
            let inv = 1 / max(s.squareRoot(), 1e-12)
            for j in 0..<d { values[e * d + j] *= inv }
        }
    }

    /// Learned floats of the KGC model (entity tables included), without building it; mirrors the
    /// constructor (a test checks it). Saturates at Int.max.
    public static func parameterCount(
        config c: MoMoKConfig, dim D: Int, modalityDims: [Int], entities E: Int, relations R: Int
    ) -> Int {
        var total = 0
        func add(_ terms: Int...) {
            let p = terms.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            total = total.addingReportingOverflow(p).overflow ? Int.max : total + p
        }
        let widths = [D] + modalityDims
        add(E, D)
        if c.featureTuning { for F in modalityDims { add(E, F) } }
        for F in widths {
            add(2 * R, c.relationDim)
            add(c.experts, F + F * F + 2 * F)  // biases, weights; gate and noise matrices [F, K]
            add(2, F * D + D)  // entity fusion branches
            add(2, c.relationDim * D + D)  // relation fusion branches
            add(c.relationDim, F, F); add(4, F)  // decoder core, two norms
        }
        add(2 * R); add(2, D)  // relation gate, the two attention vectors
        add(D, D, D); add(4, D)  // joint decoder
        return total
    }
}

/// What the queries of a step (or of a scorer) are compared with: every entity's expert outputs, gate
/// logits and, per decoder, its candidate rows (the gated mixtures, then the joint rows).
struct MoMoKCandidates {
    let experts: [[Var]]
    let clean: [Var]
    let scale: [Var?]
    let rows: [Var]
}

extension MoMoKModel {
    /// Every entity through every modality's experts (candidate gates carry no relation temperature, as
    /// the released code's) and the entity fusion.
    func candidates(rng: inout SplitMix64?) -> MoMoKCandidates {
        var outputs: [[Var]] = [], clean: [Var] = [], scale: [Var?] = [], rows: [Var] = []
        for (b, ex) in experts.enumerated() {
            let y = ex.outputs(tables[b])
            let (c, s) = ex.logits(tables[b], noisy: config.noisyGates && rng != nil)
            outputs.append(y); clean.append(c); scale.append(s)
            rows.append(weightedSum(y, weights: softmax(noisyLogits(c, scale: s, rng: &rng))))
        }
        rows.append(entityFusion(rows, dropoutRate: config.dropout ? 0.2 : 0, rng: &rng).joint)
        return MoMoKCandidates(experts: outputs, clean: clean, scale: scale, rows: rows)
    }

    /// The queries' entity rows per decoder (eq. 1–3), each modality's expert outputs at those rows
    /// (for CLUB) and the fusion weights.
    func queryRows(
        _ c: MoMoKCandidates, entities: [Int], relationRows: [Int], rng: inout SplitMix64?
    ) -> (rows: [Var], experts: [[Var]], weights: [Var]) {
        var rows: [Var] = [], picked: [[Var]] = []
        let temperature = config.relationGates ? sigmoid(gatherRows(relationGate, relationRows)) : nil
        for b in experts.indices {
            let y = c.experts[b].map { gatherRows($0, entities) }
            var logits = noisyLogits(
                gatherRows(c.clean[b], entities), scale: c.scale[b].map { gatherRows($0, entities) }, rng: &rng)
            if let temperature { logits = logits / temperature }
            rows.append(weightedSum(y, weights: softmax(logits)))
            picked.append(y)
        }
        let (joint, weights) = entityFusion(rows, dropoutRate: config.dropout ? 0.2 : 0, rng: &rng)
        return (rows + [joint], picked, weights)
    }

    /// Each decoder's relation vectors for the relation rows `rows` (the joint one through the relation fusion).
    func relationVectors(_ rows: [Int], rng: inout SplitMix64?) -> [Var] {
        let vectors = relationTables.map { gatherRows($0, rows) }
        return vectors + [relationFusion(vectors, dropoutRate: config.dropout ? 0.2 : 0, rng: &rng).joint]
    }

    /// Each decoder's core matrices for those relation vectors (dropout 0.4 on the cores while training,
    /// drawn once per relation and step).
    func coreMatrices(_ vectors: [Var], rng: inout SplitMix64?) -> [Var] {
        zip(decoders, vectors).map { dropout($0.0.matrices($0.1), config.dropout ? 0.4 : 0, rng: &rng) }
    }

    /// Each decoder's outputs for the query rows, row i through core matrix `groups[i]` (eq. 4 before the
    /// dot product with the candidates).
    func decoderOutputs(_ rows: [Var], matrices: [Var], groups: [Int], rng: inout SplitMix64?) -> [Var] {
        decoders.indices.map {
            decoders[$0](
                rows[$0], matrices: matrices[$0], groups: groups, training: rng != nil && normalisesWithBatchStatistics,
                dropout: config.dropout, rng: &rng)
        }
    }
}
