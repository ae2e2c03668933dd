// The one place the core calls OpenBLAS: C = alpha * op(A) * op(B) + beta * C, row-major.
import COpenBLAS

public enum BLAS {
    /// Row-major sgemm on raw buffers. `a` is [m, k] (or [k, m] if transA), `b` is [k, n] (or [n, k] if transB).
    @inlinable
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched only if beta == 1; make the k == 0 case explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Tensor matmul: op(A)[m,k] · op(B)[k,n] for 2-D tensors.
    public static func matmul(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        let (ar, ac) = (a.rows, a.cols), (br, bc) = (b.rows, b.cols)
        let m = transA ? ac : ar, k = transA ? ar : ac
        let k2 = transB ? bc : br, n = transB ? br : bc
        precondition(k == k2, "matmul inner dimensions \(k) and \(k2) differ")
        var out = Tensor(zeros: [m, n])
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                out.data.withUnsafeMutableBufferPointer { pc in
                    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                          a: pa.baseAddress!, lda: ac, b: pb.baseAddress!, ldb: bc,
                          beta: 0, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
