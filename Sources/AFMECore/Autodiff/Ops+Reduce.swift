// Reductions. Sums accumulate in Double so long rows keep Float-level relative accuracy.

/// Sum of all elements, shape [1].
public func sum(_ x: Var) -> Var {
    var acc = 0.0
    for v in x.value.data { acc += Double(v) }
    let shape = x.shape
    return Var(Tensor(scalar: Float(acc)), parents: [x]) { g in [expand(g, to: shape)] }
}

/// Mean of all elements, shape [1].
public func mean(_ x: Var) -> Var { scale(sum(x), 1 / Float(max(x.value.count, 1))) }

/// Sum over rows: [m, n] → [n].
public func sumRows(_ x: Var) -> Var {
    let rows = x.value.rows, cols = x.value.cols
    var acc = [Double](repeating: 0, count: cols)
    x.value.data.withUnsafeBufferPointer { p in
        for i in 0..<rows { for j in 0..<cols { acc[j] += Double(p[i * cols + j]) } }
    }
    let shape = x.shape
    return Var(Tensor(shape: [cols], data: acc.map(Float.init)), parents: [x]) { g in [expand(g, to: shape)] }
}

/// Sum over the last dimension: [m, n] → [m, 1].
public func sumCols(_ x: Var) -> Var {
    let rows = x.value.rows, cols = x.value.cols
    var out = [Float](repeating: 0, count: rows)
    x.value.data.withUnsafeBufferPointer { p in
        for i in 0..<rows {
            var acc = 0.0
            for j in 0..<cols { acc += Double(p[i * cols + j]) }
            out[i] = Float(acc)
        }
    }
    let shape = x.shape
    return Var(Tensor(shape: [rows, 1], data: out), parents: [x]) { g in [expand(g, to: shape)] }
}

/// Mean over the last dimension: [m, n] → [m, 1].
public func meanCols(_ x: Var) -> Var { scale(sumCols(x), 1 / Float(max(x.value.cols, 1))) }

/// L2 norm of each row: [m, n] → [m, 1]. `eps` keeps the gradient finite at zero rows.
/// One op rather than sqrt(sumCols(x·x) + eps), so no squared copy of x enters the graph.
public func rowNorm(_ x: Var, eps: Float = 1e-12) -> Var {
    let rows = x.value.rows, cols = x.value.cols
    var out = [Float](repeating: 0, count: rows)
    x.value.data.withUnsafeBufferPointer { p in
        for i in 0..<rows {
            var acc = 0.0
            for j in 0..<cols { let v = Double(p[i * cols + j]); acc += v * v }
            out[i] = Float(acc + Double(eps)).squareRoot()
        }
    }
    let box = OutputBox()
    let node = Var(Tensor(shape: [rows, 1], data: out), parents: [x]) { g in [x * (g / box.node!)] }
    box.node = node
    return node
}
