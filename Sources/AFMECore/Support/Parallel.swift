// Work splitting for the Swift kernels. The split of work into chunks depends only on the
// thread count, never on timing, so results are bit-identical for a given thread count.
import Dispatch
import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

public enum Parallel {
    /// Runs `body(chunk)` for chunk in 0..<chunks, on up to `chunks` threads at once.
    /// BLAS is never called from inside `body`: the caller's BLAS thread pool and these threads
    /// would otherwise oversubscribe the cores.
    @inlinable
    public static func forEachChunk(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
    }

    /// The half-open range of `count` items that chunk `i` of `chunks` owns.
    @inlinable
    public static func range(of i: Int, chunks: Int, count: Int) -> Range<Int> {
        let lo = count * i / chunks, hi = count * (i + 1) / chunks
        return lo..<hi
    }

    /// Runs `body` with `n` threads for the large products (BLAS.sgemm, RowwiseProducts) and element-wise
    /// graph ops it calls on this thread. The count is per calling thread, so two models trained or scored
    /// at once with different settings do not see each other's; outside any scope it is 1.
    public static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        keepOpenBLASSingleThreaded
        let key = threadsKey, old = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: max(1, n)))
        defer { pthread_setspecific(key, old) }
        return try body()
    }

    /// Threads of the current `withThreads` scope on this thread (1 outside any).
    public static var elementwiseThreads: Int {
        let v = Int(bitPattern: pthread_getspecific(threadsKey))
        return v > 0 ? v : 1
    }

    private static let threadsKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// OpenBLAS's own pool stays at one thread, process-wide (OpenBLAS has no per-thread setting): the
    /// library splits products over its threads itself, and two pools would oversubscribe the cores.
    /// Set once, the first time a model trains or scores; include/afme.h states it.
    private static let keepOpenBLASSingleThreaded: Void = { openblas_set_num_threads(1) }()

    /// Runs `body` over `0..<count` split into one range per thread when the work is large enough to pay
    /// for the hand-off. Element-wise work has no cross-element reduction, so the split never changes results.
    @inlinable
    public static func elementwise(_ count: Int, _ body: (Range<Int>) -> Void) {
        let T = count >= 1 << 15 ? elementwiseThreads : 1
        if T <= 1 { body(0..<count); return }
        forEachChunk(T) { body(range(of: $0, chunks: T, count: count)) }
    }
}

/// Graph training allocates and frees tensors of several MB per op. With glibc's defaults each of them
/// comes back as fresh pages the kernel zeroes on first touch (see BENCHMARKS.md, "heap tuning");
/// keeping such blocks on one heap lets them be reused. It changes the process's malloc settings, so the
/// library never calls it by itself: the host opts in (afme_tune_heap(), afme.tune_heap(), the CLI does).
public enum HeapTuning {
    nonisolated(unsafe) static var done = false
    public static func reuseLargeBlocks() {
        if done { return }
        done = true
        #if os(Linux)
        _ = glibcMallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD (malloc.h is not in the Glibc module)
        _ = glibcMallopt(-1, 512 << 20)  // M_TRIM_THRESHOLD
        // M_ARENA_MAX: worker threads otherwise get arenas of their own, whose heaps glibc shrinks with
        // MADV_DONTNEED after every large free, so every tensor faults its pages in again.
        _ = glibcMallopt(-8, 1)
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
