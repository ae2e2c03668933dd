// The model registry: every model kind the library can train, save, load and score, keyed by name.
// A kind lives in its own folder (Models/<Name>/) and declares one `ModelKindEntry`; the line that lists
// it below is the only place outside that folder a new kind touches. The option table, the checkpoint
// reader, the C ABI, the CLI and Python all go through this list and know no kind by name.

/// A trained model as the shared layers see it.
public protocol TrainedModel {
    /// Registry name of the kind ("rotate", "afme", ...).
    var kindName: String { get }
    var entityCount: Int { get }
    var relationCount: Int { get }
    /// What scoring, top-k and evaluation read (`threads` 0 = all cores).
    func scorer(threads: Int) -> LinkScorer
    /// The options the model was built with; their kind's stored options go into the checkpoint's CONF section.
    var request: ModelRequest { get }
    /// The kind's own checkpoint sections (tables, layers), in a fixed order.
    func checkpointSections() -> [CheckpointSection]
    /// Entity rows as the kind defines its entity embedding ([E, entityEmbeddingWidth]).
    var entityEmbeddings: (values: [Float], width: Int) { get }
    /// Relation rows ([R, width]).
    var relationEmbeddings: (values: [Float], width: Int) { get }
    /// For models whose entity rows depend on the query relation (multi-modal fusion): every entity's
    /// row under relation `r`, [E, width], laid out as `entityEmbeddings`; nil for the other kinds.
    func jointEmbeddings(relation r: Int) -> (values: [Float], width: Int)?
    /// Names of the feature modalities the model reads, in order (empty for structure-only kinds).
    var modalityNames: [String] { get }
    /// For multi-modal models: every entity's vector of modality `m` (an index into `modalityNames`) under
    /// relation `r` as the fusion reads it, completed where the entity lacks the modality, [E, width]
    /// laid out as `entityEmbeddings`; and which rows were completed. Nil for the other kinds.
    func completedModality(_ m: Int, relation r: Int) -> (values: [Float], width: Int, completed: [Bool])?
    /// Names of the vectors the model weighs per entity ("structure", then the modalities); empty for
    /// models without modality weights.
    var weightNames: [String] { get }
    /// Mean weight of each of `weightNames` under each relation over all entities ([R, names], row-major);
    /// nil where the model has no weights (structure only, AFME's concat ablation).
    func meanModalityWeights() -> [Float]?
}

extension TrainedModel {
    public func jointEmbeddings(relation r: Int) -> (values: [Float], width: Int)? { nil }
    public var modalityNames: [String] { [] }
    public var weightNames: [String] { [] }
    public func meanModalityWeights() -> [Float]? { nil }
    public func completedModality(_ m: Int, relation r: Int) -> (values: [Float], width: Int, completed: [Bool])? {
        nil
    }
}

/// What a kind registers: its names, options, how to train one and how to rebuild one from its sections.
public struct ModelKindEntry {
    public let kinds: [ModelKinds.Kind]
    /// Options only this entry's kinds read (shared options are in OptionTable.shared).
    public let options: [OptionSpec]
    /// Section tags `decode` reads; a checkpoint holding another critical tag is refused.
    public let sectionTags: Set<String>
    /// Checks of option combinations the table's per-option domains cannot express.
    public let validate: (ModelRequest) throws -> Void
    /// Checks against the graph before anything is allocated (the memory a request needs, above all).
    public let preflight: (ModelRequest, KnowledgeGraph) throws -> Void
    public let train: (KnowledgeGraph, ModelRequest, ProgressHook?) throws -> (TrainedModel, TrainingResult)
    /// Rebuilds a model from its configuration (CONF, already applied to a request), the table sizes and
    /// its sections; must validate everything it reads and allocate nothing the sections cannot back.
    public let decode: (ModelRequest, _ entities: Int, _ relations: Int, CheckpointSections) throws -> TrainedModel
    /// Bytes a training run of the request allocates (tables, optimiser state, scratch), checked against
    /// the available memory before anything is allocated. The default counts a dense table of
    /// 2·dim + 16 floats per entity four times (values, two moments, the best snapshot) plus one per thread.
    public let estimatedBytes: (ModelRequest, KnowledgeGraph) -> Double
    /// Continues an interrupted run (nil: the kind cannot resume): the model decoded from its checkpoint
    /// (owned by the call), the state, the request it trained with, the history so far.
    public let resume: Resume?
    public typealias Resume = (
        KnowledgeGraph, TrainedModel, ResumeState, ModelRequest, [EpochReport], ProgressHook?
    ) throws -> (TrainedModel, TrainingResult)

    public init(
        kinds: [ModelKinds.Kind], options: [OptionSpec], sectionTags: Set<String>,
        validate: @escaping (ModelRequest) throws -> Void = { _ in },
        preflight: @escaping (ModelRequest, KnowledgeGraph) throws -> Void = { _, _ in },
        estimatedBytes: @escaping (ModelRequest, KnowledgeGraph) -> Double = ModelKindEntry.denseTableBytes,
        train: @escaping (KnowledgeGraph, ModelRequest, ProgressHook?) throws -> (TrainedModel, TrainingResult),
        decode: @escaping (ModelRequest, Int, Int, CheckpointSections) throws -> TrainedModel,
        resume: Resume? = nil
    ) {
        self.kinds = kinds; self.options = options; self.sectionTags = sectionTags; self.validate = validate;
        self.preflight = preflight; self.estimatedBytes = estimatedBytes; self.train = train; self.decode = decode
        self.resume = resume
    }

    public static func denseTableBytes(_ request: ModelRequest, _ graph: KnowledgeGraph) -> Double {
        let c = request.training
        return Double(graph.entityCount) * (Double(c.dim) * 2 + 16) * 4 * Double(4 + c.effectiveThreads)
    }
}

public enum ModelRegistry {
    public static let entries: [ModelKindEntry] = [
        StructuralKinds.entry,
        AFMEKind.entry,
        AdaMFMATKind.entry,
        NATIVEKind.entry,
        MoMoKKind.entry,
    ]

    public static func entry(for kind: String) -> ModelKindEntry? {
        entries.first { $0.kinds.contains { $0.name == kind } }
    }

    /// Trains the kind `request.kind` names. The whole request is validated and the memory it needs
    /// estimated and refused up front when too large; only then is anything allocated.
    public static func train(
        graph: KnowledgeGraph, request: ModelRequest,
        progress: ProgressHook? = nil
    ) throws -> (TrainedModel, TrainingResult) {
        try request.validate()
        guard let e = entry(for: request.kind) else {
            throw DataError(.invalidArgument, "unknown model kind \(quoted(request.kind))")
        }
        try checkShape(request, graph)
        try MemoryBudget.check(
            e.estimatedBytes(request, graph), for: "training \(request.kind) on \(graph.entityCount) entities")
        try e.preflight(request, graph)
        try checkCollective(request.training)
        return try succeeded(e.train(graph, request, progress))
    }

    /// A data-parallel request: a rank inside its group, and no time limit (ranks would stop at
    /// different batches and wait for each other forever).
    static func checkCollective(_ c: TrainingConfig) throws {
        guard let group = c.collective?.collective else { return }
        guard group.size >= 1, group.size <= 1 << 20, group.rank >= 0, group.rank < group.size else {
            throw DataError(.invalidArgument, "collective: rank \(group.rank) is not in 0..<\(group.size)")
        }
        if group.size > 1 && c.timeLimitSeconds > 0 {
            throw DataError(
                .invalidArgument, "time_limit_seconds cannot be used with data-parallel training (\(group.size) ranks)")
        }
    }

    /// The run, or the error that stopped a data-parallel one.
    static func succeeded(_ out: (TrainedModel, TrainingResult)) throws -> (TrainedModel, TrainingResult) {
        if let failure = out.1.failure { throw failure }
        return out
    }

    /// Scratch guards every kind shares: the negatives of a batch and one thread's distance cache must
    /// stay allocatable.
    static func checkShape(_ request: ModelRequest, _ graph: KnowledgeGraph) throws {
        let c = request.training
        func refuse(_ why: String) -> DataError { DataError(.invalidArgument, why) }
        if c.batchSize * c.negatives > 1 << 26 {
            throw refuse("batch_size × negatives = \(c.batchSize * c.negatives) exceeds 67108864")
        }
        if (c.negatives + 1) * c.dim > 1 << 26 { throw refuse("(negatives + 1) × dim exceeds 67108864") }
    }

    /// Continues the interrupted run `state` describes on `graph` (the dataset it trained on), to
    /// `epochs` in all (nil: the epochs it was asked for). `model` is the checkpoint's model, which the
    /// call takes over (decode a fresh one for it). For a fixed seed and thread count the result equals
    /// the uninterrupted run's, bit for bit. `collective` continues a data-parallel run (each rank from its
    /// own state).
    public static func resume(
        graph: KnowledgeGraph, model: TrainedModel, state: ResumeState, history: [EpochReport],
        epochs: Int? = nil, progress: ProgressHook? = nil, collective: CollectiveHandle? = nil
    ) throws -> (TrainedModel, TrainingResult) {
        guard let e = entry(for: model.kindName), let resume = e.resume else {
            throw DataError(.invalidArgument, "a \(model.kindName) model cannot resume training")
        }
        var request = try state.request(kind: model.kindName)
        for spec in OptionTable.stored(for: model.kindName) where spec.read(request) != spec.read(model.request) {
            throw DataError(
                .badFormat,
                "resume state: option \(spec.name) is \(spec.read(request)), the model's is \(spec.read(model.request))"
            )
        }
        if let epochs { request.training.epochs = epochs }
        request.training.collective = collective
        guard request.training.epochs > state.epochsDone else {
            throw DataError(
                .invalidArgument,
                "the run has trained \(state.epochsDone) epochs; ask for more than that (epochs = \(request.training.epochs))"
            )
        }
        try request.validate()
        try graph.validate()
        try state.check(against: graph)
        try checkShape(request, graph)
        try MemoryBudget.check(
            e.estimatedBytes(request, graph), for: "training \(request.kind) on \(graph.entityCount) entities")
        try e.preflight(request, graph)
        try checkCollective(request.training)
        return try succeeded(resume(graph, model, state, request, history, progress))
    }
}
