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

    /// Sets the number of threads OpenBLAS may use for the BLAS calls made between Swift parallel regions.
    public static func setBLASThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }
}
