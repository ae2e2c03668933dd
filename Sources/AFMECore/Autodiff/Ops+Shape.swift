// Shape ops: reshape, transpose, concatenation and column slices, row gather/scatter.

public func reshape(_ x: Var, _ shape: [Int]) -> Var {
    if x.shape == shape { return x }
    let old = x.shape
    return Var(x.value.reshaped(shape), parents: [x]) { g in [reshape(g, old)] }
}

/// Transpose of a 2-D tensor.
public func transpose(_ x: Var) -> Var {
    let m = x.value.rows, n = x.value.cols
    var out = Tensor(zeros: [n, m])
    x.value.data.withUnsafeBufferPointer { p in
        out.data.withUnsafeMutableBufferPointer { o in
            for i in 0..<m { for j in 0..<n { o[j * m + i] = p[i * n + j] } }
        }
    }
    return Var(out, parents: [x]) { g in [transpose(g)] }
}

/// Concatenates 2-D tensors with equal row counts along the last dimension.
public func concatCols(_ xs: [Var]) -> Var {
    precondition(!xs.isEmpty)
    let rows = xs[0].value.rows
    precondition(xs.allSatisfy { $0.value.rows == rows }, "concatCols needs equal row counts")
    let widths = xs.map { $0.value.cols }, total = widths.reduce(0, +)
    var out = Tensor(zeros: [rows, total])
    var offset = 0
    for (x, w) in zip(xs, widths) {
        x.value.data.withUnsafeBufferPointer { p in
            out.data.withUnsafeMutableBufferPointer { o in
                for i in 0..<rows { for j in 0..<w { o[i * total + offset + j] = p[i * w + j] } }
            }
        }
        offset += w
    }
    var offsets: [Int] = []
    var acc = 0
    for w in widths { offsets.append(acc); acc += w }
    return Var(out, parents: xs) { g in
        zip(offsets, widths).map { sliceCols(g, $0, $1) }
    }
}

/// Columns `start ..< start + width` of a 2-D tensor.
public func sliceCols(_ x: Var, _ start: Int, _ width: Int) -> Var {
    let rows = x.value.rows, cols = x.value.cols
    precondition(start >= 0 && width >= 0 && start + width <= cols)
    var out = Tensor(zeros: [rows, width])
    x.value.data.withUnsafeBufferPointer { p in
        out.data.withUnsafeMutableBufferPointer { o in
            for i in 0..<rows { for j in 0..<width { o[i * width + j] = p[i * cols + start + j] } }
        }
    }
    return Var(out, parents: [x]) { g in [padCols(g, start, cols)] }
}

/// Places a [m, w] tensor at column `start` of a zero [m, total] tensor (the adjoint of `sliceCols`).
public func padCols(_ x: Var, _ start: Int, _ total: Int) -> Var {
    let rows = x.value.rows, w = x.value.cols
    var out = Tensor(zeros: [rows, total])
    x.value.data.withUnsafeBufferPointer { p in
        out.data.withUnsafeMutableBufferPointer { o in
            for i in 0..<rows { for j in 0..<w { o[i * total + start + j] = p[i * w + j] } }
        }
    }
    return Var(out, parents: [x]) { g in [sliceCols(g, start, w)] }
}

/// Rows of `table` [n, d] picked by `indices` → [count, d] (embedding lookup).
public func gatherRows(_ table: Var, _ indices: [Int]) -> Var {
    let d = table.value.cols, n = table.value.rows
    var out = Tensor(zeros: [indices.count, d])
    table.value.data.withUnsafeBufferPointer { p in
        out.data.withUnsafeMutableBufferPointer { o in
            for (k, i) in indices.enumerated() {
                precondition(i >= 0 && i < n, "row index \(i) out of range 0..<\(n)")
                for j in 0..<d { o[k * d + j] = p[i * d + j] }
            }
        }
    }
    return Var(out, parents: [table]) { g in [scatterAddRows(g, indices, rows: n)] }
}

/// Adds row k of `x` into row `indices[k]` of a zero [rows, d] tensor (the adjoint of `gatherRows`).
public func scatterAddRows(_ x: Var, _ indices: [Int], rows: Int) -> Var {
    let d = x.value.cols
    var out = Tensor(zeros: [rows, d])
    x.value.data.withUnsafeBufferPointer { p in
        out.data.withUnsafeMutableBufferPointer { o in
            for (k, i) in indices.enumerated() { for j in 0..<d { o[i * d + j] += p[k * d + j] } }
        }
    }
    return Var(out, parents: [x]) { g in [gatherRows(g, indices)] }
}
