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
    /// What scoring, top-k and evaluation read.
    let model: LinkScorer
    let structural: KGEModel?
    let afme: AFMEModel?
    init(_ m: KGEModel) { model = m; structural = m; afme = nil }
    init(_ m: AFMEModel) { model = AFMEScorer(model: m); structural = nil; afme = m; ModelBox.prepareThreads() }
    init(_ any: Checkpoint.AnyModel) {
        switch any {
        case .structural(let m): model = m; structural = m; afme = nil
        case .afme(let m): model = AFMEScorer(model: m); structural = nil; afme = m; ModelBox.prepareThreads()
        }
    }

    /// AFME scoring splits its products over the cores itself (OpenBLAS single-threaded, see BLAS.sgemm).
    static func prepareThreads() {
        Parallel.setBLASThreads(SystemInfo.coreCount)
        HeapTuning.reuseLargeBlocks()
    }

    func encode() -> [UInt8] { afme.map { Checkpoint.encode($0) } ?? Checkpoint.encode(structural!) }
}

enum Handles {
    private static var lock = pthread_mutex_t()
    private static var live: [UnsafeMutableRawPointer: ObjectIdentifier] = [:]
    private static let once: Void = { pthread_mutex_init(&lock, nil) }()

    static func register<T: AnyObject>(_ object: T) -> OpaquePointer {
        _ = once
        let p = Unmanaged.passRetained(object).toOpaque()
        pthread_mutex_lock(&lock); live[p] = ObjectIdentifier(T.self); pthread_mutex_unlock(&lock)
        return OpaquePointer(p)
    }

    static func get<T: AnyObject>(_ handle: OpaquePointer?, _ type: T.Type, _ name: String) throws -> T {
        _ = once
        let h = try nonNull(handle, name)
        let p = UnsafeMutableRawPointer(h)
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        guard live[p] == ObjectIdentifier(T.self) else {
            throw ABIError(AFME_ERR_INVALID_HANDLE, "\(name) is not a live \(T.self == DatasetBox.self ? "afme_dataset" : "afme_model") (freed, or never created)")
        }
        return Unmanaged<T>.fromOpaque(p).takeUnretainedValue()
    }

    /// Unregisters and releases; NULL is a no-op.
    static func free<T: AnyObject>(_ handle: OpaquePointer?, _ type: T.Type, _ name: String) throws {
        _ = once
        guard let h = handle else { return }
        let p = UnsafeMutableRawPointer(h)
        pthread_mutex_lock(&lock)
        guard live[p] == ObjectIdentifier(T.self) else {
            pthread_mutex_unlock(&lock)
            throw ABIError(AFME_ERR_INVALID_HANDLE, "\(name) is not a live handle of this type (double free?)")
        }
        live[p] = nil
        pthread_mutex_unlock(&lock)
        Unmanaged<T>.fromOpaque(p).release()
    }
}
