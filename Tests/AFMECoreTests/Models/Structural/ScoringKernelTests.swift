// The fused RotatE/TransE loss kernel against an independent, unfused Double-precision reference:
// scores written as in the papers (rotate h, subtract t), loss written out term by term.
import XCTest
import AFMECore

final class ScoringKernelTests: XCTestCase {
    /// Reference batch loss in Double, straight from the definitions (no anchors, no caching).
    func referenceLoss(
        _ f: ScoreFunction, E: [Double], R: [Double], batch: [Triple], dirs: [Direction], negs: [Int32],
        k: Int, temperature: Double, l2: Double, margin: Double? = nil
    ) -> Double {
        let W = f.entityWidth, RW = f.relationWidth, P = f.paddedDim, g = Double(f.gamma)
        func dist(_ h: Int, _ r: Int, _ t: Int) -> Double {
            var s = 0.0
            for d in 0..<f.dim {
                if f.kind.isRotation {
                    let ph = R[r * RW + d] * Double(f.phaseScale)
                    let hr = E[h * W + d], hi = E[h * W + P + d]
                    let re = hr * _cos(ph) - hi * _sin(ph) - E[t * W + d]
                    let im = hr * _sin(ph) + hi * _cos(ph) - E[t * W + P + d]
                    // Sum of moduli (RotatE's code) or the Euclidean norm (eq. 13 read literally).
                    s += f.kind == .rotatE ? (re * re + im * im).squareRoot() : re * re + im * im
                } else {
                    s += abs(E[h * W + d] + R[r * RW + d] - E[t * W + d])
                }
            }
            return f.kind == .rotatEEuclidean ? Double(f.dim).squareRoot() * s.squareRoot() : s
        }
        func logSig(_ x: Double) -> Double { -log1p(exp(-x)) }
        var total = 0.0
        for (i, p) in batch.enumerated() {
            let sPos = g - dist(p.h, p.r, p.t)
            var negScores: [Double] = []
            for j in 0..<k {
                let c = Int(negs[i * k + j])
                negScores.append(g - (dirs[i] == .tail ? dist(p.h, p.r, c) : dist(c, p.r, p.t)))
            }
            let m = negScores.max()!
            let w = negScores.map { temperature == 0 ? 1 : exp(temperature * ($0 - m)) }
            let z = w.reduce(0, +)
            if let margin {
                // max(0, m + d⁺ − d⁻) with d = γ − s.
                for j in 0..<k { total += w[j] / z * max(0, margin - sPos + negScores[j]) }
            } else {
                var negLoss = 0.0
                for j in 0..<k { negLoss -= w[j] / z * logSig(-negScores[j]) }
                total += 0.5 * (-logSig(sPos) + negLoss)
            }
            if l2 > 0 {
                for e in [p.h, p.t] { for j in 0..<W { total += l2 * E[e * W + j] * E[e * W + j] } }
                for j in 0..<RW { total += l2 * R[p.r * RW + j] * R[p.r * RW + j] }
            }
        }
        return total / Double(batch.count)
    }

    @discardableResult
    func check(_ kind: ScoreFunctionKind, temperature: Float, l2: Float, threads: Int, margin: Float? = nil) -> Float {
        var config = TrainingConfig()
        if let margin { config.loss = .margin; config.margin = margin }
        config.scoreFunction = kind; config.dim = 5; config.gamma = 2; config.negatives = 3
        config.adversarialTemperature = temperature; config.l2 = l2; config.threads = threads
        var rng = SplitMix64(seed: 11)
        let f = ScoreFunction(kind: kind, dim: config.dim, gamma: config.gamma)
        // Larger init than training uses, so distances are O(1) and away from the |x| kink.
        var model = KGEModel(score: f, entityCount: 6, relationCount: 2, rng: &rng)
        for i in model.entities.indices where model.entities[i] != 0 { model.entities[i] *= 40 }
        for i in model.relations.indices where model.relations[i] != 0 { model.relations[i] *= 10 }
        let batch = [Triple(0, 0, 1), Triple(2, 1, 3), Triple(1, 0, 4), Triple(5, 1, 0)]
        let dirs: [Direction] = [.tail, .head, .head, .tail]
        let negs: [Int32] = [2, 3, 5, 0, 4, 4, 2, 3, 0, 1, 2, 3]
        let trainer = StructuralTrainer(model: model, config: config)
        let (loss, ge, gr) = trainer.lossAndGradients(batch, directions: dirs, negatives: negs)

        var E = model.entities.map(Double.init), R = model.relations.map(Double.init)
        let ref = {
            self.referenceLoss(
                f, E: E, R: R, batch: batch, dirs: dirs, negs: negs, k: 3,
                temperature: Double(temperature), l2: Double(l2), margin: margin.map(Double.init))
        }
        XCTAssertEqual(Double(loss), ref(), accuracy: 1e-5 * max(1, abs(ref())), "\(kind) loss")
        let h = 1e-6
        for (name, count) in [("entity", E.count), ("relation", R.count)] {
            for i in 0..<count {
                let analytic = Double(name == "entity" ? ge[i] : gr[i])
                if name == "entity" { E[i] += h } else { R[i] += h }
                let lp = ref()
                if name == "entity" { E[i] -= 2 * h } else { R[i] -= 2 * h }
                let lm = ref()
                if name == "entity" { E[i] += h } else { R[i] += h }
                let numeric = (lp - lm) / (2 * h)
                // Float32 kernel vs Double reference: relative error of the kernel's sums is ~1e-6.
                XCTAssertEqual(
                    analytic, numeric, accuracy: 1e-4 + 1e-3 * abs(numeric),
                    "\(kind) α=\(temperature) l2=\(l2) threads=\(threads): d loss / d \(name)[\(i)]")
            }
        }
        return loss
    }

    /// The margin loss through the same kernel, at margins that leave some hinges inactive and one that
    /// makes every hinge active. Uniform weights (α = 0): the kernel holds self-adversarial weights
    /// constant, the reference would differentiate through them.
    func testMarginLossGradientsMatchReference() {
        for kind in [ScoreFunctionKind.rotatE, .transE] {
            for margin: Float in [5, 40] { check(kind, temperature: 0, l2: 0, threads: 2, margin: margin) }
            XCTAssertGreaterThan(check(kind, temperature: 0, l2: 0, threads: 1, margin: 1000), 100)
        }
        check(.transE, temperature: 0, l2: 0.01, threads: 1, margin: 40)
    }

    func testRotatEGradientsMatchReference() {
        check(.rotatE, temperature: 1, l2: 0, threads: 1)
        check(.rotatE, temperature: 0, l2: 0.01, threads: 2)
    }

    func testEuclideanRotatEGradientsMatchReference() {
        check(.rotatEEuclidean, temperature: 1, l2: 0, threads: 2)
        check(.rotatEEuclidean, temperature: 0, l2: 0.01, threads: 1)
    }

    func testTransEGradientsMatchReference() {
        check(.transE, temperature: 1, l2: 0, threads: 2)
        check(.transE, temperature: 0.5, l2: 0.01, threads: 1)
    }

    func testAnchorFormOfHeadScoreEqualsDirectScore() {
        // Head prediction scores h' via t∘conj(r); it must equal the direct score of (h', r, t).
        var rng = SplitMix64(seed: 2)
        let f = ScoreFunction(kind: .rotatE, dim: 7, gamma: 3)
        let model = KGEModel(score: f, entityCount: 5, relationCount: 2, rng: &rng)
        var out = [Float](repeating: 0, count: 5)
        [Query(entity: 3, relation: 1, direction: .head)].withUnsafeBufferPointer { q in
            out.withUnsafeMutableBufferPointer { model.scoreAllCandidates(q, out: $0.baseAddress!) }
        }
        for e in 0..<5 { XCTAssertEqual(out[e], model.score(e, 1, 3), accuracy: 1e-5) }
    }
}

#if canImport(Glibc)
import Glibc
func _cos(_ x: Double) -> Double { Glibc.cos(x) }
func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#endif
