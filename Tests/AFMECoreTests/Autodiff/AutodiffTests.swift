// Every differentiable op against central finite differences, plus second-order gradients.
import XCTest
import AFMECore
import Glibc

final class AutodiffTests: XCTestCase {
    struct Case {
        let name: String
        let shapes: [[Int]]
        var minAbs: Float = 0
        var positive = false
        let f: ([Var]) -> Var
    }

    // One row per op; inputs to div/log/sqrt/relu stay away from zero and kinks.
    static let cases: [Case] = [
        Case(name: "add", shapes: [[3, 4], [3, 4]]) { project($0[0] + $0[1]) },
        Case(name: "add row broadcast", shapes: [[3, 4], [4]]) { project($0[0] + $0[1]) },
        Case(name: "add column broadcast", shapes: [[3, 4], [3, 1]]) { project($0[0] + $0[1]) },
        Case(name: "add, small operand first", shapes: [[4], [3, 4]]) { project($0[0] + $0[1]) },
        Case(name: "sub", shapes: [[3, 4], [3, 4]]) { project($0[0] - $0[1]) },
        Case(name: "sub row broadcast", shapes: [[3, 4], [1, 4]]) { project($0[0] - $0[1]) },
        Case(name: "sub, small operand first", shapes: [[3, 1], [3, 4]]) { project($0[0] - $0[1]) },
        Case(name: "mul column broadcast", shapes: [[3, 4], [3, 1]]) { project($0[0] * $0[1]) },
        Case(name: "mul row broadcast, small first", shapes: [[1, 4], [3, 4]]) { project($0[0] * $0[1]) },
        Case(name: "div column broadcast", shapes: [[3, 4], [3, 1]], minAbs: 0.5) { project($0[0] / $0[1]) },
        Case(name: "mul", shapes: [[3, 4], [3, 4]]) { project($0[0] * $0[1]) },
        Case(name: "mul scalar broadcast", shapes: [[3, 4], [1]]) { project($0[0] * $0[1]) },
        Case(name: "div", shapes: [[3, 4], [3, 4]], minAbs: 0.5) { project($0[0] / $0[1]) },
        Case(name: "scale/addScalar/rsub", shapes: [[2, 3]]) { project(rsub(2, scale($0[0], 3) + 1)) },
        Case(name: "matmul", shapes: [[3, 4], [4, 5]]) { project(matmul($0[0], $0[1])) },
        Case(name: "matmul transA", shapes: [[4, 3], [4, 5]]) { project(matmul($0[0], $0[1], transA: true)) },
        Case(name: "matmul transB", shapes: [[3, 4], [5, 4]]) { project(matmul($0[0], $0[1], transB: true)) },
        Case(name: "matmul transA transB", shapes: [[4, 3], [5, 4]]) {
            project(matmul($0[0], $0[1], transA: true, transB: true))
        },
        Case(name: "bmm", shapes: [[2, 3, 4], [2, 4, 2]]) { project(bmm($0[0], $0[1])) },
        Case(name: "bmm transB", shapes: [[2, 3, 4], [2, 5, 4]]) { project(bmm($0[0], $0[1], transB: true)) },
        Case(name: "bmm transA", shapes: [[2, 4, 3], [2, 4, 2]]) { project(bmm($0[0], $0[1], transA: true)) },
        Case(name: "sigmoid", shapes: [[3, 4]]) { project(sigmoid(scale($0[0], 3))) },
        Case(name: "tanh", shapes: [[3, 4]]) { project(tanh(scale($0[0], 2))) },
        Case(name: "exp", shapes: [[3, 4]]) { project(exp($0[0])) },
        Case(name: "log", shapes: [[3, 4]], minAbs: 0.3, positive: true) { project(log($0[0])) },
        Case(name: "sqrt", shapes: [[3, 4]], minAbs: 0.3, positive: true) { project(sqrt($0[0])) },
        Case(name: "relu", shapes: [[3, 4]], minAbs: 0.1) { project(relu($0[0])) },
        Case(name: "leakyRelu", shapes: [[3, 4]], minAbs: 0.1) { project(leakyRelu($0[0], slope: 0.2)) },
        Case(name: "logSigmoid", shapes: [[3, 4]]) { project(logSigmoid(scale($0[0], 4))) },
        Case(name: "softmax", shapes: [[3, 5]]) { project(softmax(scale($0[0], 2))) },
        Case(name: "sum", shapes: [[3, 4]]) { sum(square($0[0])) },
        Case(name: "mean", shapes: [[3, 4]]) { mean(square($0[0])) },
        Case(name: "sumRows", shapes: [[3, 4]]) { project(sumRows($0[0])) },
        Case(name: "sumCols", shapes: [[3, 4]]) { project(sumCols($0[0])) },
        Case(name: "rowNorm", shapes: [[3, 4]], minAbs: 0.2) { project(rowNorm($0[0])) },
        Case(name: "transpose", shapes: [[3, 4]]) { project(transpose($0[0])) },
        Case(name: "reshape", shapes: [[3, 4]]) { project(reshape($0[0], [2, 6])) },
        Case(name: "concatCols", shapes: [[3, 2], [3, 3]]) { project(concatCols([$0[0], $0[1]])) },
        Case(name: "sliceCols", shapes: [[3, 5]]) { project(sliceCols($0[0], 1, 3)) },
        Case(name: "padCols", shapes: [[3, 2]]) { project(padCols($0[0], 1, 5)) },
        Case(name: "gatherRows (repeated rows)", shapes: [[4, 3]]) { project(gatherRows($0[0], [2, 0, 2, 3])) },
        Case(name: "scatterAddRows", shapes: [[4, 3]]) { project(scatterAddRows($0[0], [1, 1, 0, 3], rows: 5)) },
        Case(name: "expand", shapes: [[1, 3]]) { project(expand($0[0], to: [4, 3])) },
        Case(name: "linear (bias in place)", shapes: [[3, 4], [4, 5], [5]]) { project(linear($0[0], $0[1], $0[2])) },
        Case(name: "linear, rank-3 input", shapes: [[2, 3, 4], [4, 5], [5]]) { project(linear($0[0], $0[1], $0[2])) },
        Case(name: "weightedSum", shapes: [[3, 4], [3, 4], [3, 4], [3, 3]]) {
            project(weightedSum([$0[0], $0[1], $0[2]], weights: $0[3]))
        },
        Case(name: "replaceRows", shapes: [[5, 3], [2, 3]]) { project(replaceRows($0[0], [3, 1], with: $0[1])) },
        Case(name: "dot", shapes: [[3, 4], [3, 4]]) { dot($0[0], $0[1]) },
        Case(name: "gatedProduct", shapes: [[3, 4], [3, 4]]) { project(gatedProduct($0[0], logits: scale($0[1], 3))) },
        Case(name: "rotateRows (repeated relations)", shapes: [[4, 6], [2, 3]]) {
            project(rotateRows($0[0], phases: scale($0[1], 2), rows: [1, 0, 1, 1]))
        },
    ]

    func testEveryOpMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 1)
        for c in Self.cases {
            let inputs = c.shapes.map { randomTensor($0, &rng, minAbs: c.minAbs, positive: c.positive) }
            checkGradients(c.name, inputs: inputs, c.f)
        }
    }

    /// tanh is a rational approximation (fast, vectorised): it must stay within 1e-6 of libm's tanh,
    /// odd, bounded by 1 and saturate, across the whole float range.
    func testTanhMatchesLibm() {
        var xs: [Float] = stride(from: Float(-20), through: 20, by: 0.001).map { $0 }
        xs += [0, -0.0, 1e-30, -1e-30, 1e-8, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        let y = tanh(Var(Tensor(shape: [xs.count], data: xs))).value.data
        for (x, v) in zip(xs, y) {
            XCTAssertEqual(v, Float(Glibc.tanh(Double(x))), accuracy: 1e-6, "tanh(\(x))")
            XCTAssertLessThanOrEqual(abs(v), 1)
        }
        XCTAssertEqual(y[xs.count - 2], 1); XCTAssertEqual(y[xs.count - 1], -1)
    }

    func testGradientAccumulatesOverSharedInputs() {
        // x used three times: d/dx (x·x + x) = 2x + 1.
        let x = Var(Tensor(shape: [2], data: [1.5, -2]), requiresGrad: true)
        let g = gradients(of: sum(x * x + x), wrt: [x])[0]
        XCTAssertEqual(g.value.data, [4, -3])
    }

    func testConstantsGetNoGradientAndGraphIsNotRecordedWhenDisabled() {
        let x = Var(Tensor(shape: [2], data: [1, 2]), requiresGrad: true)
        let y = GradMode.withDisabled { x * x }
        XCTAssertFalse(y.requiresGrad)
        let c = Var(Tensor(shape: [2], data: [3, 4]))
        let g = gradients(of: sum(x * c), wrt: [x, c])
        XCTAssertEqual(g[0].value.data, [3, 4])
        XCTAssertEqual(g[1].value.data, [0, 0], "a constant's gradient is reported as zero")
    }

    /// Second order: the gradient of g(x) = ⟨∇f(x), v⟩ is the Hessian-vector product H v.
    func testSecondOrderHessianVectorProductMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 3)
        let w = Var(randomTensor([4, 3], &rng))
        let v = Var(randomTensor([2, 4], &rng))
        let x0 = randomTensor([2, 4], &rng)
        func f(_ x: Var) -> Var { sum(tanh(matmul(x, w)) * tanh(matmul(x, w))) + sum(sigmoid(x) * x) }
        checkGradients("Hessian-vector product", inputs: [x0]) { xs in
            let g = gradients(of: f(xs[0]), wrt: [xs[0]], createGraph: true)[0]
            return sum(g * v)
        }
    }

    /// The fused ops' backward passes are graphs too: a Hessian-vector product through all of them.
    func testFusedOpsHaveSecondDerivatives() {
        var rng = SplitMix64(seed: 4)
        let w = Var(randomTensor([6, 6], &rng)), b = Var(randomTensor([6], &rng))
        let theta = Var(randomTensor([2, 3], &rng)), other = Var(randomTensor([4, 6], &rng))
        let v = Var(randomTensor([4, 6], &rng)), seed = Var(randomTensor([4, 6], &rng))
        let x0 = randomTensor([4, 6], &rng)
        func f(_ x: Var) -> Var {
            let h = gatedProduct(tanh(linear(x, w, b)), logits: scale(x, 2))
            let r = rotateRows(h, phases: theta + gatherRows(sliceCols(x, 0, 3), [1, 3]), rows: [0, 1, 1, 0])
            let mixed = replaceRows(r, [2], with: gatherRows(x, [0]))
            let weights = softmax(concatCols([rowNorm(mixed), rowNorm(other * x)]))
            return dot(tanh(weightedSum([mixed, other], weights: weights)), seed)
        }
        // The create-graph backward (composed of ops) must give the same gradient as the direct one.
        let x = Var(x0, requiresGrad: true)
        let direct = gradients(of: f(x), wrt: [x])[0].value.data
        let composed = gradients(of: f(x), wrt: [x], createGraph: true)[0].value.data
        for (a, c) in zip(direct, composed) { XCTAssertEqual(a, c, accuracy: 1e-5 + 1e-4 * abs(a)) }
        checkGradients("Hessian-vector product through fused ops", inputs: [x0]) { xs in
            let g = gradients(of: f(xs[0]), wrt: [xs[0]], createGraph: true)[0]
            return sum(g * v)
        }
    }

    /// The WGAN-GP penalty (afme.txt eq. 16): λ(‖∇ₓD(x)‖ − 1)², differentiated with respect to D's weights.
    func testGradientPenaltyReachesDiscriminatorWeights() {
        var rng = SplitMix64(seed: 5)
        let x = Var(randomTensor([3, 4], &rng), requiresGrad: true)
        let w1 = randomTensor([4, 5], &rng), w2 = randomTensor([5, 1], &rng)
        checkGradients("gradient penalty", inputs: [w1, w2]) { ws in
            // tanh, not LeakyReLU: finite differences across a kink measure the jump, not the derivative.
            let d = sum(sigmoid(matmul(tanh(matmul(x, ws[0])), ws[1])))
            let gx = gradients(of: d, wrt: [x], createGraph: true)[0]
            let norms = rowNorm(gx)
            return scale(mean(square(norms - 1)), 10)
        }
    }
}
