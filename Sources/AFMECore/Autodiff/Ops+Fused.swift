// Ops that compose from the basic ones but would then leave several full-size intermediates in the
// graph. AFME's fusion runs them on thousands of (entity, relation) rows per batch, where every
// intermediate is megabytes that the backward pass keeps alive and a fresh process pays to fault in.
// Each backward is written in differentiable ops, so second-order gradients still exist.

/// x·W + b with the bias added in place (no broadcast copy in the graph). Leading dims of x fold into rows.
public func linear(_ x: Var, _ weight: Var, _ bias: Var) -> Var {
    var out = BLAS.matmul(x.value, weight.value, transA: false, transB: false)
    let cols = weight.value.cols
    precondition(bias.value.count == cols, "bias width \(bias.value.count) differs from the output width \(cols)")
    bias.value.data.withUnsafeBufferPointer { pb in
        out.data.withUnsafeMutableBufferPointer { po in
            Parallel.elementwise(po.count) { range in
                for r in (range.lowerBound / cols)..<(range.upperBound / cols) {
                    for j in 0..<cols { po[r * cols + j] += pb[j] }
                }
            }
        }
    }
    let xShape = x.shape, bShape = bias.shape
    return Var(out, parents: [x, weight, bias]) { g in
        [
            x.requiresGrad ? reshape(matmul(g, weight, transB: true), xShape) : nil,
            weight.requiresGrad ? matmul(x, g, transA: true) : nil,
            bias.requiresGrad ? reshape(sumRows(g), bShape) : nil,
        ]
    }
}

/// Σ_m w[:, m] ⊙ v_m for M tensors v_m [n, d] and weights w [n, M]: the joint rows of eq. 6.
public func weightedSum(_ vectors: [Var], weights w: Var) -> Var {
    let M = vectors.count, n = w.value.rows
    precondition(M > 0 && w.value.cols == M, "weightedSum needs one weight column per tensor")
    let shape = vectors[0].shape, d = vectors[0].value.cols
    precondition(
        vectors.allSatisfy { $0.shape == shape } && vectors[0].value.rows == n, "weightedSum needs equal shapes")
    var out = Tensor(zeros: shape)
    w.value.data.withUnsafeBufferPointer { pw in
        out.data.withUnsafeMutableBufferPointer { po in
            for (m, v) in vectors.enumerated() {
                v.value.data.withUnsafeBufferPointer { pv in
                    Parallel.elementwise(n * d) { range in
                        for i in (range.lowerBound / d)..<(range.upperBound / d) {
                            let c = pw[i * M + m], o = i * d
                            for j in 0..<d { po[o + j] += c * pv[o + j] }
                        }
                    }
                }
            }
        }
    }
    return Var(out, parents: vectors + [w]) { g in
        let dv: [Var?] = (0..<M).map { g * sliceCols(w, $0, 1) }
        return dv + [concatCols(vectors.map { sumCols(g * $0) })]
    }
}

/// `x` [n, d] with row `rows[i]` replaced by row i of `y` [k, d]; the rows must be distinct.
public func replaceRows(_ x: Var, _ rows: [Int], with y: Var) -> Var {
    let n = x.value.rows, d = x.value.cols
    precondition(y.value.rows == rows.count && y.value.cols == d, "replaceRows needs one row of y per replaced row")
    precondition(
        rows.allSatisfy { $0 >= 0 && $0 < n } && Set(rows).count == rows.count,
        "replaceRows needs distinct rows in range")
    var out = x.value
    y.value.data.withUnsafeBufferPointer { py in
        out.data.withUnsafeMutableBufferPointer { po in
            for (k, r) in rows.enumerated() { for j in 0..<d { po[r * d + j] = py[k * d + j] } }
        }
    }
    var keep = [Float](repeating: 1, count: n)
    for r in rows { keep[r] = 0 }
    let mask = Var(Tensor(shape: [n, 1], data: keep))
    return Var(out, parents: [x, y]) { g in [g * mask, gatherRows(g, rows)] }
}

/// Σ a ⊙ b over all elements, shape [1], without materialising the product.
public func dot(_ a: Var, _ b: Var) -> Var {
    precondition(a.shape == b.shape, "dot needs equal shapes")
    var acc = 0.0
    a.value.data.withUnsafeBufferPointer { pa in
        b.value.data.withUnsafeBufferPointer { pb in for i in 0..<pa.count { acc += Double(pa[i] * pb[i]) } }
    }
    return Var(Tensor(scalar: Float(acc)), parents: [a, b]) { g in [b * g, a * g] }
}

/// h ⊙ σ(logits): the relation gate of eq. 5 as one op. σ is ½ + ½·tanh(x/2) through the vectorised
/// tanh (within 2e-7 of the exact logistic), computed again in the backward pass rather than stored.
public func gatedProduct(_ h: Var, logits: Var) -> Var {
    precondition(h.shape == logits.shape, "gatedProduct needs equal shapes")
    var out = logits.value
    h.value.data.withUnsafeBufferPointer { ph in
        out.data.withUnsafeMutableBufferPointer { po in
            Parallel.elementwise(po.count) { range in
                for i in range { po[i] = ph[i] * fastSigmoid(po[i]) }
            }
        }
    }
    return Var(out, parents: [h, logits]) { g in
        if GradMode.isEnabled {
            let s = sigmoid(logits)
            return [g * s, g * h * s * rsub(1, s)]
        }
        var dh = g.value, dl = g.value
        h.value.data.withUnsafeBufferPointer { ph in
            logits.value.data.withUnsafeBufferPointer { pl in
                dh.data.withUnsafeMutableBufferPointer { pdh in
                    dl.data.withUnsafeMutableBufferPointer { pdl in
                        Parallel.elementwise(pdh.count) { range in
                            for i in range {
                                let s = fastSigmoid(pl[i]), gi = pdh[i]
                                pdh[i] = gi * s
                                pdl[i] = gi * ph[i] * s * (1 - s)
                            }
                        }
                    }
                }
            }
        }
        return [Var(dh), Var(dl)]
    }
}

/// A scalar loss computed outside the graph from x's values (the 1-to-N cross-entropy of every
/// (query, entity) cell, in one kernel): its value is `value`, its gradient with respect to x `gradient`.
/// The gradient is a constant, so this loss has no second derivative through x.
public func externalLoss(_ x: Var, gradient: Tensor, value: Float) -> Var {
    precondition(gradient.shape == x.shape, "externalLoss: the gradient's shape differs from x's")
    return Var(Tensor(scalar: value), parents: [x]) { g in [Var(gradient) * g] }
}
