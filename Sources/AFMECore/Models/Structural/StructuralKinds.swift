// Registry entry of the structural kinds: RotatE, TransE and RotatE-L2 share one model type (KGEModel)
// and differ only in their score function, which their kind name fixes.

public enum StructuralKinds {
    static let names: [(String, ScoreFunctionKind, String)] = [
        ("rotate", .rotatE, "RotatE on the triples only"),
        ("transe", .transE, "TransE on the triples only"),
        ("rotate_l2", .rotatEEuclidean, "RotatE with eq. 13's Euclidean norm, on the triples only"),
    ]

    public static let entry = ModelKindEntry(
        kinds: names.map { ModelKinds.Kind(name: $0.0, scoreFunction: $0.1, doc: $0.2) },
        options: [],
        sectionTags: ["ENTS", "RELS"],
        estimatedBytes: { request, graph in StructuralTraining.estimatedBytes(request.training, graph) },
        train: { graph, request, progress in
            let (model, result) = try StructuralTraining.train(
                graph: graph, config: request.training, progress: progress, request: request)
            return (model, result)
        },
        decode: { request, E, R, sections in
            let t = request.training
            let f = ScoreFunction(kind: t.scoreFunction, dim: t.dim, gamma: t.gamma, epsilon: t.epsilon)
            return KGEModel(
                score: f, entityCount: E, relationCount: R,
                entities: try sections.floats("ENTS", count: E * f.entityWidth),
                relations: try sections.floats("RELS", count: R * f.relationWidth))
        },
        resume: { graph, model, state, request, history, progress in
            guard let kge = model as? KGEModel else { throw DataError(.invalidArgument, "not a structural model") }
            let config = request.training
            return try Parallel.withThreads(config.effectiveThreads) {
                let session = StructuralSession(
                    trainer: StructuralTrainer(model: kge, config: config),
                    sampler: NegativeSampler(
                        graph: graph, mode: config.negativeSampling, filter: config.filterNegatives))
                let best = try session.restoreResume(state.session)
                var rng = SplitMix64(seed: config.seed)
                let result = TrainingLoop.run(
                    session, graph: graph, config: config, rng: &rng, progress: progress, request: request,
                    resume: Resumption(state: state, best: best, history: history))
                return (session.trainer.model, result)
            }
        })
}

extension KGEModel: TrainedModel {
    public var kindName: String { StructuralKinds.names.first { $0.1 == score.kind }!.0 }

    public func scorer(threads: Int) -> LinkScorer { self }

    public var request: ModelRequest {
        var r = try! ModelRequest(kind: kindName)
        r.training.dim = score.dim; r.training.gamma = score.gamma; r.training.epsilon = score.epsilon
        return r
    }

    public func checkpointSections() -> [CheckpointSection] {
        [.floats("ENTS", entities), .floats("RELS", relations)]
    }

    public var entityEmbeddings: (values: [Float], width: Int) {
        let columns = score.entityColumns, width = columns.reduce(0) { $0 + $1.count }
        return (score.compactRows(entities, count: entityCount, stride: score.entityWidth, columns: columns), width)
    }

    public var relationEmbeddings: (values: [Float], width: Int) {
        (score.relationRows(relations, count: relationCount), score.dim)
    }
}

extension ScoreFunction {
    /// Relation rows as users read them: RotatE phases in radians (stored in units of the initialisation
    /// range, see phaseScale), TransE offsets as stored.
    func relationRows(_ table: [Float], count: Int) -> [Float] {
        let rows = compactRows(table, count: count, stride: relationWidth, columns: [0..<dim])
        return kind.isRotation ? rows.map { $0 * phaseScale } : rows
    }

    /// The live columns of each row, padding dropped: [count, Σ columns].
    func compactRows(_ table: [Float], count: Int, stride: Int, columns: [Range<Int>]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(count * columns.reduce(0) { $0 + $1.count })
        for i in 0..<count {
            for c in columns { out += table[(i * stride + c.lowerBound)..<(i * stride + c.upperBound)] }
        }
        return out
    }
}
