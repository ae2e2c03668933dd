// Opaque handles: retained Swift objects whose addresses are registered while live, so a freed or
// foreign pointer is refused instead of dereferenced. A call holds a strong reference for its whole
// duration, so a concurrent free cannot pull the object out from under it.
import AFMECore
import CAFMEHeader
#if canImport(Glibc)
import Glibc
#endif

final class DatasetBox {
    var graph: KnowledgeGraph
    private var cachedFilter: FilterIndex?
    private var lock = pthread_mutex_t()
    init(_ g: KnowledgeGraph) { graph = g; pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    /// The filter (train ∪ valid ∪ test), built once and shared by concurrent readers.
    var filter: FilterIndex {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        if let f = cachedFilter { return f }
        let f = FilterIndex(graph: graph)
        cachedFilter = f
        return f
    }
    func invalidateFilter() { pthread_mutex_lock(&lock); cachedFilter = nil; pthread_mutex_unlock(&lock) }
}

final class ModelBox {
    let trained: TrainedModel
    /// What scoring, top-k and evaluation read.
    let model: LinkScorer
    /// Entity and relation labels: from the dataset it was trained on, or from its checkpoint (none in 0.2.0 files).
    let labels: Labels?
    /// One report per epoch trained (kept in the checkpoint); empty for files without one.
    let history: [EpochReport]
    /// Where the interrupted run that made this model can continue (saved with it); nil otherwise.
    let resume: ResumeState?
    init(_ m: TrainedModel, labels: Labels?, history: [EpochReport] = [], resume: ResumeState? = nil) {
        trained = m; model = m.scorer(threads: 0); self.labels = labels; self.history = history
        self.resume = resume
    }
    convenience init(_ f: ModelFile) { self.init(f.model, labels: f.labels, history: f.history, resume: f.resume) }

    /// The 0.2.0 enum's view of the kind, for afme_model_kind_of and modality weights.
    var afme: AFMEModel? { trained as? AFMEModel }

    func encode() -> [UInt8] { Checkpoint.encode(trained, labels: labels, history: history, resume: resume) }
}

/// The registry of live handles. A handle is not an address but a token: a serial number, never reused
/// in the life of the process, times 8 plus a type tag. A freed handle therefore stays refused even when
/// the allocator gives its object's memory to a new one, and a handle of one type passed as the other is
/// refused as well.
enum Handles {
    private static var lock = pthread_mutex_t()
    private static var live: [UInt: AnyObject] = [:]
    private static var serial: UInt = 0
    private static let once: Void = { pthread_mutex_init(&lock, nil) }()

    static func tag<T: AnyObject>(_ type: T.Type) -> UInt {
        T.self == DatasetBox.self ? 1 : T.self == ModelBox.self ? 2 : 3
    }
    static func typeName<T: AnyObject>(_ type: T.Type) -> String {
        T.self == DatasetBox.self ? "afme_dataset" : T.self == ModelBox.self ? "afme_model" : "afme_params"
    }

    static func register<T: AnyObject>(_ object: T) -> OpaquePointer {
        _ = once
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        serial += 1
        let token = serial << 3 | tag(T.self)
        live[token] = object
        return OpaquePointer(bitPattern: token)!
    }

    static func get<T: AnyObject>(_ handle: OpaquePointer?, _ type: T.Type, _ name: String) throws -> T {
        _ = once
        let h = try nonNull(handle, name)
        let token = UInt(bitPattern: h)
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        guard token & 7 == tag(T.self), let object = live[token] as? T else {
            throw ABIError(
                AFME_ERR_INVALID_HANDLE, "\(name) is not a live \(typeName(T.self)) (freed, or never created)")
        }
        return object
    }

    /// Unregisters; the object goes when the last call using it returns. NULL is a no-op.
    static func free<T: AnyObject>(_ handle: OpaquePointer?, _ type: T.Type, _ name: String) throws {
        _ = once
        guard let h = handle else { return }
        let token = UInt(bitPattern: h)
        var object: AnyObject?
        pthread_mutex_lock(&lock)
        if token & 7 == tag(T.self) { object = live.removeValue(forKey: token) }
        pthread_mutex_unlock(&lock)
        guard object != nil else {
            throw ABIError(
                AFME_ERR_INVALID_HANDLE, "\(name) is not a live \(typeName(T.self)) (double free, or never created)")
        }
        object = nil  // released outside the lock: a model's deinit may take time
    }
}
