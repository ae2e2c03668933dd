// Shared helpers: central finite differences against reverse-mode gradients.
import XCTest
import AFMECore

/// Random tensor with entries in ±scale, kept at least `minAbs` away from zero (for div, log, sqrt, relu kinks).
func randomTensor(
    _ shape: [Int], _ rng: inout SplitMix64, scale: Float = 1, minAbs: Float = 0, positive: Bool = false
) -> Tensor {
    var t = Tensor(zeros: shape)
    for i in t.data.indices {
        var v = rng.uniform(-scale, scale)
        if minAbs > 0 && abs(v) < minAbs { v = v < 0 ? -minAbs - abs(v) : minAbs + v }
        if positive { v = abs(v) + minAbs }
        t.data[i] = v
    }
    return t
}

/// Compares the gradient of `f(inputs)` (a scalar) with central differences, element by element.
///
/// Tolerance: the loss is computed in Float32 (sums accumulate in Double), so evaluating it has a relative
/// error of about 1e-7·|f|; with step h = 1e-2 the difference quotient carries about 1e-7·|f|/h ≈ 1e-5·|f|
/// of rounding error plus O(h²·f''') truncation error. A bound of 2e-2 relative (or 2e-3 absolute
/// for small entries) sits well above both and far below any real error (a wrong sign or a missing
/// term is off by O(1)).
func checkGradients(
    _ name: String, inputs: [Tensor], h: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
    file: StaticString = #filePath, line: UInt = #line, _ f: ([Var]) -> Var
) {
    let vars = inputs.map { Var($0, requiresGrad: true) }
    let out = f(vars)
    XCTAssertEqual(out.value.count, 1, "\(name): f must be scalar", file: file, line: line)
    let grads = gradients(of: out, wrt: vars)
    for (k, input) in inputs.enumerated() {
        for i in input.data.indices {
            var plus = inputs, minus = inputs
            plus[k].data[i] += h
            minus[k].data[i] -= h
            // Inputs require gradients here too: f may itself differentiate (second-order cases).
            let fp = f(plus.map { Var($0, requiresGrad: true) }).value.scalar
            let fm = f(minus.map { Var($0, requiresGrad: true) }).value.scalar
            let numeric = (fp - fm) / (2 * h)
            let analytic = grads[k].value.data[i]
            let err = abs(numeric - analytic)
            if err > atol + rtol * abs(numeric) {
                XCTFail(
                    "\(name): input \(k)[\(i)] = \(input.data[i]): analytic \(analytic), numeric \(numeric), error \(err), tolerance \(atol + rtol * abs(numeric))",
                    file: file, line: line)
                return
            }
        }
    }
}

/// Projects an op's output onto fixed random weights so every output element reaches the scalar loss.
func project(_ y: Var, seed: UInt64 = 7) -> Var {
    var rng = SplitMix64(seed: seed)
    return sum(y * Var(randomTensor(y.shape, &rng)))
}
