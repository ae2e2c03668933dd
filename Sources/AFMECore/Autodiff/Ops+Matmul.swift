// Matrix products (BLAS.matmul: the engine's own kernel or OpenBLAS sgemm), and the batched form used by attention.

/// op(A)·op(B) for 2-D tensors (leading dims of a rank-3 input are folded into rows).
public func matmul(_ a: Var, _ b: Var, transA: Bool = false, transB: Bool = false) -> Var {
    let out = BLAS.matmul(a.value, b.value, transA: transA, transB: transB)
    return Var(out, parents: [a, b]) { g in
        // C = A·B: dA = g·Bᵀ, dB = Aᵀ·g, with the transposes folded in. A constant operand (a feature
        // matrix) gets no product: it would be a full sgemm thrown away.
        let ga =
            !a.requiresGrad
            ? nil : transA ? matmul(b, g, transA: transB, transB: true) : matmul(g, b, transA: false, transB: !transB)
        let gb =
            !b.requiresGrad
            ? nil : transB ? matmul(g, a, transA: true, transB: transA) : matmul(a, g, transA: !transA, transB: false)
        return [ga.map { reshape($0, a.shape) }, gb.map { reshape($0, b.shape) }]
    }
}

/// Batched product over a leading batch dimension: a [n, p, q], b [n, q', r'] with transposes → [n, m, k].
public func bmm(_ a: Var, _ b: Var, transA: Bool = false, transB: Bool = false) -> Var {
    precondition(a.shape.count == 3 && b.shape.count == 3 && a.shape[0] == b.shape[0], "bmm needs [n, *, *] operands")
    let n = a.shape[0]
    let (ar, ac) = (a.shape[1], a.shape[2]), (br, bc) = (b.shape[1], b.shape[2])
    let m = transA ? ac : ar, k = transA ? ar : ac
    let k2 = transB ? bc : br, cols = transB ? br : bc
    precondition(k == k2, "bmm inner dimensions \(k) and \(k2) differ")
    var out = Tensor(zeros: [n, m, cols])
    a.value.data.withUnsafeBufferPointer { pa in
        b.value.data.withUnsafeBufferPointer { pb in
            out.data.withUnsafeMutableBufferPointer { pc in
                for i in 0..<n {
                    BLAS.sgemm(
                        transA: transA, transB: transB, m: m, n: cols, k: k, alpha: 1,
                        a: pa.baseAddress! + i * ar * ac, lda: ac,
                        b: pb.baseAddress! + i * br * bc, ldb: bc,
                        beta: 0, c: pc.baseAddress! + i * m * cols, ldc: cols)
                }
            }
        }
    }
    return Var(out, parents: [a, b]) { g in
        let ga =
            !a.requiresGrad
            ? nil : transA ? bmm(b, g, transA: transB, transB: true) : bmm(g, b, transA: false, transB: !transB)
        let gb =
            !b.requiresGrad
            ? nil : transB ? bmm(g, a, transA: true, transB: transA) : bmm(a, g, transA: !transA, transB: false)
        return [ga, gb]
    }
}
