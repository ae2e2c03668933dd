// Element-wise arithmetic with explicit broadcasting (scalar, row vector, column vector).

/// How a smaller operand is spread over a larger 2-D view.
enum Broadcast {
    case same, scalar, row, column

    static func kind(_ small: [Int], to big: [Int]) -> Broadcast {
        let count = small.reduce(1, *)
        let bigRows = big.count <= 1 ? 1 : big.dropLast().reduce(1, *), bigCols = big.last ?? 1
        if small == big { return .same }
        if count == 1 { return .scalar }
        if count == bigCols && (small.count == 1 || small.dropLast().allSatisfy { $0 == 1 }) { return .row }
        if count == bigRows && small.last == 1 { return .column }
        preconditionFailure("cannot broadcast \(small) to \(big)")
    }
}

/// Spreads `x` to `shape` (scalar, row [n] or [1,n], column [m,1]); the backward pass sums back.
public func expand(_ x: Var, to shape: [Int]) -> Var {
    let kind = Broadcast.kind(x.shape, to: shape)
    if kind == .same { return x }
    var out = Tensor(zeros: shape)
    let cols = out.cols, rows = out.rows
    x.value.data.withUnsafeBufferPointer { src in
        out.data.withUnsafeMutableBufferPointer { dst in
            Parallel.elementwise(rows * cols) { range in
                for i in (range.lowerBound / max(cols, 1))..<(range.upperBound / max(cols, 1)) {
                    for j in 0..<cols {
                        switch kind {
                        case .scalar: dst[i * cols + j] = src[0]
                        case .row: dst[i * cols + j] = src[j]
                        case .column: dst[i * cols + j] = src[i]
                        case .same: break
                        }
                    }
                }
            }
        }
    }
    let xShape = x.shape
    return Var(out, parents: [x]) { g in [reduce(g, to: xShape)] }
}

/// Sums `g` down to `shape`, the adjoint of `expand`.
public func reduce(_ g: Var, to shape: [Int]) -> Var {
    switch Broadcast.kind(shape, to: g.shape) {
    case .same: return g
    case .scalar: return reshape(sum(g), shape)
    case .row: return reshape(sumRows(g), shape)
    case .column: return reshape(sumCols(g), shape)
    }
}

enum BinaryOp { case add, sub, mul, div }

private func binary(
    _ a: Var, _ b: Var, _ op: BinaryOp,
    _ backward: @escaping (Var, Var, Var) -> (Var?, Var?)
) -> Var {
    // The smaller operand is broadcast inside the kernel rather than materialised at the larger shape:
    // a bias row or a weight column would otherwise put a full-size copy into the graph (and the
    // backward pass would hold its gradient too).
    if a.shape != b.shape && a.value.count < b.value.count {
        switch op {
        case .add, .mul:
            return binary(b, a, op) { g, x, y in
                let (gy, gx) = backward(g, y, x); return (gx, gy)
            }
        case .sub, .div: return binary(expand(a, to: b.shape), b, op, backward)
        }
    }
    let kind = Broadcast.kind(b.shape, to: a.shape)
    var out = a.value
    let cols = max(out.cols, 1)
    b.value.data.withUnsafeBufferPointer { py in
        out.data.withUnsafeMutableBufferPointer { po in
            // One loop per operator and broadcast so each is a plain vectorisable loop, not a call per element.
            Parallel.elementwise(po.count) { range in
                switch kind {
                case .same:
                    switch op {
                    case .add: for i in range { po[i] += py[i] }
                    case .sub: for i in range { po[i] -= py[i] }
                    case .mul: for i in range { po[i] *= py[i] }
                    case .div: for i in range { po[i] /= py[i] }
                    }
                case .scalar:
                    let c = py[0]
                    switch op {
                    case .add: for i in range { po[i] += c }
                    case .sub: for i in range { po[i] -= c }
                    case .mul: for i in range { po[i] *= c }
                    case .div: for i in range { po[i] /= c }
                    }
                case .row, .column:
                    // Whole rows per chunk: chunk boundaries map to row boundaries that partition the rows.
                    for r in (range.lowerBound / cols)..<(range.upperBound / cols) {
                        let o = r * cols
                        if kind == .column {
                            let c = py[r]
                            switch op {
                            case .add: for j in 0..<cols { po[o + j] += c }
                            case .sub: for j in 0..<cols { po[o + j] -= c }
                            case .mul: for j in 0..<cols { po[o + j] *= c }
                            case .div: for j in 0..<cols { po[o + j] /= c }
                            }
                        } else {
                            switch op {
                            case .add: for j in 0..<cols { po[o + j] += py[j] }
                            case .sub: for j in 0..<cols { po[o + j] -= py[j] }
                            case .mul: for j in 0..<cols { po[o + j] *= py[j] }
                            case .div: for j in 0..<cols { po[o + j] /= py[j] }
                            }
                        }
                    }
                }
            }
        }
    }
    let aShape = a.shape, bShape = b.shape
    return Var(out, parents: [a, b]) { g in
        let (ga, gb) = backward(g, a, b)
        return [ga.map { reduce($0, to: aShape) }, gb.map { reduce($0, to: bShape) }]
    }
}

/// An affine map of one input whose gradient does not depend on the input.
@inline(__always)
private func affine(_ x: Var, _ f: (Float) -> Float, _ backward: @escaping (Var) -> Var) -> Var {
    var out = x.value
    out.data.withUnsafeMutableBufferPointer { p in
        Parallel.elementwise(p.count) { range in for i in range { p[i] = f(p[i]) } }
    }
    return Var(out, parents: [x]) { g in [backward(g)] }
}

public func + (a: Var, b: Var) -> Var { binary(a, b, .add) { g, _, _ in (g, g) } }
public func - (a: Var, b: Var) -> Var { binary(a, b, .sub) { g, _, _ in (g, -g) } }
public func * (a: Var, b: Var) -> Var { binary(a, b, .mul) { g, x, y in (g * y, g * x) } }
public func / (a: Var, b: Var) -> Var { binary(a, b, .div) { g, x, y in (g / y, -(g * x) / (y * y)) } }
public prefix func - (a: Var) -> Var { scale(a, -1) }

public func + (a: Var, c: Float) -> Var { affine(a, { $0 + c }) { g in g } }
public func - (a: Var, c: Float) -> Var { a + (-c) }
public func * (a: Var, c: Float) -> Var { scale(a, c) }
public func * (c: Float, a: Var) -> Var { scale(a, c) }
public func scale(_ a: Var, _ c: Float) -> Var { affine(a, { $0 * c }) { g in scale(g, c) } }
/// c - a
public func rsub(_ c: Float, _ a: Var) -> Var { affine(a, { c - $0 }) { g in -g } }
