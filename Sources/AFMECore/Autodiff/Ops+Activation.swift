// Non-linearities. Each backward is written in differentiable ops of the output or input,
// so second derivatives exist (needed by the gradient penalty, afme.txt eq. 16).

@inline(__always)
private func pointwise(
    _ x: Var, _ f: (Float) -> Float, derivative: @escaping (_ g: Var, _ x: Var, _ y: Var) -> Var
) -> Var {
    pointwise(x, kernel: { p, range in for i in range { p[i] = f(p[i]) } }, derivative: derivative)
}

/// The same with a kernel over a range of the buffer (for loops that vectorise).
@inline(__always)
private func pointwise(
    _ x: Var, kernel: (UnsafeMutableBufferPointer<Float>, Range<Int>) -> Void,
    derivative: @escaping (_ g: Var, _ x: Var, _ y: Var) -> Var
) -> Var {
    var out = x.value
    out.data.withUnsafeMutableBufferPointer { p in Parallel.elementwise(p.count) { range in kernel(p, range) } }
    // The closure needs the output node itself (y); a weak-free box breaks the reference cycle.
    let box = OutputBox()
    let node = Var(out, parents: [x]) { g in [derivative(g, x, box.node!)] }
    box.node = node
    return node
}

/// Holds an op's own output for its backward closure without a strong cycle.
final class OutputBox { weak var node: Var? }

/// Constant tensor from a function of `x` (masks, slopes): carries no gradient.
private func constantMap(_ x: Var, _ f: (Float) -> Float) -> Var {
    var out = x.value
    out.data.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = f(p[i]) } }
    return Var(out)
}

public func sigmoid(_ x: Var) -> Var { pointwise(x, sigmoid) { g, _, y in g * (y * rsub(1, y)) } }
public func tanh(_ x: Var) -> Var { pointwise(x, kernel: fastTanh) { g, _, y in g * rsub(1, y * y) } }
public func exp(_ x: Var) -> Var { pointwise(x, _expf) { g, _, y in g * y } }
public func log(_ x: Var) -> Var { pointwise(x, _logf) { g, x, _ in g / x } }
public func sqrt(_ x: Var) -> Var { pointwise(x, { $0.squareRoot() }) { g, _, y in g / (y * 2) } }
public func square(_ x: Var) -> Var { x * x }
public func relu(_ x: Var) -> Var { leakyRelu(x, slope: 0) }
/// log σ(x), stable for large |x|; d/dx = σ(-x).
public func logSigmoid(_ x: Var) -> Var { pointwise(x, logSigmoid) { g, x, _ in g * sigmoid(-x) } }

/// max(x, slope·x) for slope in [0, 1). The derivative is piecewise constant (a mask), so its own derivative is zero.
public func leakyRelu(_ x: Var, slope: Float = 0.01) -> Var {
    pointwise(x, { $0 > 0 ? $0 : slope * $0 }) { g, x, _ in g * constantMap(x) { $0 > 0 ? 1 : slope } }
}

/// Softmax over the last dimension; rows are independent.
public func softmax(_ x: Var) -> Var {
    var out = x.value
    let cols = out.cols
    out.data.withUnsafeMutableBufferPointer { p in
        for r in 0..<(p.count / max(cols, 1)) {
            let row = UnsafeMutableBufferPointer(rebasing: p[(r * cols)..<((r + 1) * cols)])
            let m = row.max() ?? 0
            var s: Float = 0
            for j in 0..<cols { row[j] = _expf(row[j] - m); s += row[j] }
            for j in 0..<cols { row[j] /= s }
        }
    }
    let box = OutputBox()
    let node = Var(out, parents: [x]) { g in
        let y = box.node!
        // dx = y ⊙ (g − Σ_j g_j y_j)
        return [y * (g - expand(sumCols(g * y), to: y.shape))]
    }
    box.node = node
    return node
}

/// Element-wise sine and cosine (the complex relation e^{iθ} of RotatE inside the denoising gate, eq. 4).
public func sin(_ x: Var) -> Var { pointwise(x, _sinf) { g, x, _ in g * cos(x) } }
public func cos(_ x: Var) -> Var { pointwise(x, _cosf) { g, x, _ in -(g * sin(x)) } }
