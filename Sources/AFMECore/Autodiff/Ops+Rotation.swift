// RotatE's rotation of complex rows by per-row relation phases, as one op. The denoising gate's context
// (afme.txt eq. 4) is h ⊙ r for every (entity, relation) row of a batch; composed from gathers, slices
// and products it put ten half-width intermediates per modality into the graph, and their gradients
// into the backward pass.

/// Row i of `h` [n, 2P] (real half, then imaginary half) rotated by row `rows[i]` of `phases` [R, P]:
/// (re + i·im)·e^{iθ}. Backward: dh is the rotation of g by −θ; dθ = g_im ⊙ y_re − g_re ⊙ y_im summed
/// per relation row. Under create-graph the backward is composed of differentiable ops.
public func rotateRows(_ h: Var, phases: Var, rows: [Int]) -> Var {
    let P = phases.value.cols, R = phases.value.rows, n = h.value.rows
    precondition(h.value.cols == 2 * P && rows.count == n, "rotateRows needs h [n, 2P] and one relation row per h row")
    precondition(rows.allSatisfy { $0 >= 0 && $0 < R }, "relation row out of range")
    let (c, s) = phaseTables(phases.value.data)
    var out = Tensor(zeros: [n, 2 * P])
    rotate(h.value.data, c, s, rows, P, inverse: false, into: &out.data)
    let box = OutputBox()
    let node = Var(out, parents: [h, phases]) { g in
        let y = box.node!
        if GradMode.isEnabled {
            let dRows = sliceCols(g, P, P) * sliceCols(y, 0, P) - sliceCols(g, 0, P) * sliceCols(y, P, P)
            return [rotateRows(g, phases: -phases, rows: rows), scatterAddRows(dRows, rows, rows: R)]
        }
        var dh = Tensor(zeros: [n, 2 * P])
        rotate(g.value.data, c, s, rows, P, inverse: true, into: &dh.data)
        var dTheta = Tensor(zeros: [R, P])
        g.value.data.withUnsafeBufferPointer { pg in
            y.value.data.withUnsafeBufferPointer { py in
                dTheta.data.withUnsafeMutableBufferPointer { pt in
                    for (i, r) in rows.enumerated() {
                        let o = i * 2 * P, t = r * P
                        for j in 0..<P { pt[t + j] += pg[o + P + j] * py[o + j] - pg[o + j] * py[o + P + j] }
                    }
                }
            }
        }
        return [Var(dh), Var(dTheta)]
    }
    box.node = node
    return node
}

/// cos and sin of every phase.
private func phaseTables(_ theta: [Float]) -> ([Float], [Float]) {
    var c = [Float](repeating: 0, count: theta.count), s = c
    for i in theta.indices { c[i] = _cosf(theta[i]); s[i] = _sinf(theta[i]) }
    return (c, s)
}

/// out[i] = x[i]·e^{±iθ[rows[i]]}, rows split over threads.
private func rotate(
    _ x: [Float], _ c: [Float], _ s: [Float], _ rows: [Int], _ P: Int, inverse: Bool, into out: inout [Float]
) {
    let sign: Float = inverse ? -1 : 1
    x.withUnsafeBufferPointer { px in
        c.withUnsafeBufferPointer { pc in
            s.withUnsafeBufferPointer { ps in
                out.withUnsafeMutableBufferPointer { po in
                    Parallel.elementwise(rows.count * 2 * P) { range in
                        for i in (range.lowerBound / (2 * P))..<(range.upperBound / (2 * P)) {
                            let o = i * 2 * P, t = rows[i] * P
                            for j in 0..<P {
                                let re = px[o + j], im = px[o + P + j], cj = pc[t + j], sj = sign * ps[t + j]
                                po[o + j] = re * cj - im * sj
                                po[o + P + j] = re * sj + im * cj
                            }
                        }
                    }
                }
            }
        }
    }
}
