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

/// Row b of x [n, p] times matrix `groups[b]` of `matrices` [G, p·q] (each row a row-major [p, q] matrix,
/// or its transpose [q, p] with `transposed`) → [n, q]. A TuckER core contracted with a relation gives one
/// matrix per relation; the rows of a batch that share a relation are one sgemm, never one copy per row.
public func groupedMatmul(_ x: Var, _ matrices: Var, groups: [Int], transposed: Bool = false) -> Var {
    let n = x.value.rows, p = x.value.cols, G = matrices.value.rows
    precondition(
        groups.count == n && groups.allSatisfy { (0..<G).contains($0) }, "groupedMatmul: a group id is out of range")
    precondition(matrices.value.cols % max(p, 1) == 0, "groupedMatmul: matrices do not have \(p) rows")
    let q = matrices.value.cols / max(p, 1)
    let members = GroupMembers(groups: groups, count: G)
    var out = Tensor(zeros: [n, q])
    x.value.data.withUnsafeBufferPointer { px in
        matrices.value.data.withUnsafeBufferPointer { pm in
            out.data.withUnsafeMutableBufferPointer { po in
                members.forEach { g, rows in
                    // Gather the group's rows, one product, scatter back.
                    var a = [Float](repeating: 0, count: rows.count * p),
                        c = [Float](repeating: 0, count: rows.count * q)
                    for (i, b) in rows.enumerated() { for j in 0..<p { a[i * p + j] = px[b * p + j] } }
                    // Inference sums each row in a fixed order (RowwiseProducts): a row's bits then do not
                    // depend on which other rows share its group.
                    if RowwiseProducts.isActive {
                        RowwiseProducts.product(
                            transA: false, transB: transposed, m: rows.count, n: q, k: p, a: a, lda: p,
                            b: pm.baseAddress! + g * p * q, ldb: transposed ? p : q, c: &c, ldc: q)
                    } else {
                        BLAS.sgemm(
                            transA: false, transB: transposed, m: rows.count, n: q, k: p, alpha: 1, a: a, lda: p,
                            b: pm.baseAddress! + g * p * q, ldb: transposed ? p : q, beta: 0, c: &c, ldc: q)
                    }
                    for (i, b) in rows.enumerated() { for j in 0..<q { po[b * q + j] = c[i * q + j] } }
                }
            }
        }
    }
    return Var(out, parents: [x, matrices]) { g in
        [
            x.requiresGrad ? groupedMatmul(g, matrices, groups: groups, transposed: !transposed) : nil,
            matrices.requiresGrad
                ? (transposed
                    ? groupedOuterSum(g, x, groups: groups, count: G) : groupedOuterSum(x, g, groups: groups, count: G))
                : nil,
        ]
    }
}

/// Σ over the rows b of group k of x_bᵀ·y_b, for x [n, p], y [n, q] → [count, p·q]: the gradient of
/// `groupedMatmul` with respect to its matrices.
public func groupedOuterSum(_ x: Var, _ y: Var, groups: [Int], count G: Int) -> Var {
    let n = x.value.rows, p = x.value.cols, q = y.value.cols
    precondition(y.value.rows == n && groups.count == n && groups.allSatisfy { (0..<G).contains($0) })
    let members = GroupMembers(groups: groups, count: G)
    var out = Tensor(zeros: [G, p * q])
    x.value.data.withUnsafeBufferPointer { px in
        y.value.data.withUnsafeBufferPointer { py in
            out.data.withUnsafeMutableBufferPointer { po in
                members.forEach { g, rows in
                    var a = [Float](repeating: 0, count: rows.count * p),
                        b = [Float](repeating: 0, count: rows.count * q)
                    for (i, r) in rows.enumerated() {
                        for j in 0..<p { a[i * p + j] = px[r * p + j] }
                        for j in 0..<q { b[i * q + j] = py[r * q + j] }
                    }
                    BLAS.sgemm(
                        transA: true, transB: false, m: p, n: q, k: rows.count, alpha: 1, a: a, lda: p, b: b, ldb: q,
                        beta: 0, c: po.baseAddress! + g * p * q, ldc: q)
                }
            }
        }
    }
    return Var(out, parents: [x, y]) { h in
        // d/dx_b = y_b·H_kᵀ, d/dy_b = x_b·H_k with H_k row k of h viewed as [p, q].
        [
            x.requiresGrad ? groupedMatmul(y, h, groups: groups, transposed: true) : nil,
            y.requiresGrad ? groupedMatmul(x, h, groups: groups) : nil,
        ]
    }
}

/// The rows of each group, in row order.
struct GroupMembers {
    let rows: [[Int]]
    init(groups: [Int], count: Int) {
        var r = [[Int]](repeating: [], count: count)
        for (b, g) in groups.enumerated() { r[g].append(b) }
        rows = r
    }
    func forEach(_ body: (Int, [Int]) -> Void) {
        for (g, members) in rows.enumerated() where !members.isEmpty { body(g, members) }
    }
}
