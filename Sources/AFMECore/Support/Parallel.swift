// Work splitting for the Swift kernels. The split of work into chunks depends only on the
// thread count, never on timing, so results are bit-identical for a given thread count.
import Dispatch
import COpenBLAS

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

    /// Sets the threads large products (BLAS.sgemm) and element-wise graph ops are split over.
    /// OpenBLAS itself is kept single-threaded: BLAS.sgemm does the splitting.
    public static func setBLASThreads(_ n: Int) {
        openblas_set_num_threads(1)
        elementwiseThreads = max(1, n)
    }

    /// Threads for element-wise ops on large tensors (set by setBLASThreads).
    nonisolated(unsafe) public static var elementwiseThreads = 1

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
/// comes back as fresh pages the kernel zeroes on first touch (13.5 M page faults and 40 % of the time
/// in system calls on AFME's MKG-Y step; 0.3 M with these settings); keeping such blocks on one heap
/// lets them be reused. Process-wide, so it runs once, when AFME training or scoring first starts.
public enum HeapTuning {
    nonisolated(unsafe) static var done = false
    public static func reuseLargeBlocks() {
        if done { return }
        done = true
        #if os(Linux)
        _ = glibcMallopt(-3, 32 << 20)   // M_MMAP_THRESHOLD (malloc.h is not in the Glibc module)
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
