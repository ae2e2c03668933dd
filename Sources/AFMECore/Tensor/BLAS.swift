// The engine's products: OpenBLAS sgemm, and BLAS.matmul, which takes RowwiseProducts where it is faster or required.
import COpenBLAS

public enum BLAS {
    /// Row-major sgemm on raw buffers. `a` is [m, k] (or [k, m] if transA), `b` is [k, n] (or [n, k] if transB).
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched only if beta == 1; make the k == 0 case explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        // OpenBLAS runs single-threaded (its idle workers spin and steal the cores from the element-wise
        // work between products); large products are split here over rows, or columns, of C instead.
        let T = Parallel.elementwiseThreads
        if T > 1 && m * n * k >= 1 << 21 && (m >= 2 * T || n >= 2 * T) {
            let byRows = m >= n
            Parallel.forEachChunk(T) { chunk in
                let r = Parallel.range(of: chunk, chunks: T, count: byRows ? m : n)
                if r.isEmpty { return }
                if byRows {
                    call(
                        transA, transB, r.count, n, k, alpha, a + (transA ? r.lowerBound : r.lowerBound * lda), lda,
                        b, ldb, beta, c + r.lowerBound * ldc, ldc)
                } else {
                    call(
                        transA, transB, m, r.count, k, alpha, a, lda, b + (transB ? r.lowerBound * ldb : r.lowerBound),
                        ldb,
                        beta, c + r.lowerBound, ldc)
                }
            }
            return
        }
        call(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    @usableFromInline
    static func call(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Tensor matmul: op(A)[m,k] · op(B)[k,n] for 2-D tensors.
    public static func matmul(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        let (ar, ac) = (a.rows, a.cols), (br, bc) = (b.rows, b.cols)
        let m = transA ? ac : ar, k = transA ? ar : ac
        let k2 = transB ? bc : br, n = transB ? br : bc
        precondition(k == k2, "matmul inner dimensions \(k) and \(k2) differ")
        var out = Tensor(zeros: [m, n])
        // Inference: always the fixed-order kernel (bit-identical rows). Training: the same kernel wherever
        // its 64-column strips are mostly full — it runs at or above OpenBLAS's own AVX-512 kernels and at
        // twice the Haswell-pinned ones (docs/experiments/afme-mkg-y-levers.md "Eighth pass"); narrow products stay with sgemm.
        let rowwise =
            RowwiseProducts.isActive || (!RowwiseProducts.prefersSgemm && n >= RowwiseProducts.trainingMinColumns)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                out.data.withUnsafeMutableBufferPointer { pc in
                    if rowwise {
                        if m > 0 && n > 0 {
                            RowwiseProducts.product(
                                transA: transA, transB: transB, m: m, n: n, k: k, a: pa.baseAddress!, lda: ac,
                                b: pb.baseAddress!, ldb: bc, c: pc.baseAddress!, ldc: n)
                        }
                        return
                    }
                    sgemm(
                        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                        a: pa.baseAddress!, lda: ac, b: pb.baseAddress!, ldb: bc,
                        beta: 0, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
