// 1-to-N training (TuckER, MoMoK): a query (h, r, ?) is scored against every entity at once and trained
// with binary cross-entropy against its set of true answers, targets smoothed to y(1 − ε) + ε/N. Used by
// models whose scores are not distances, so it takes logits, not distances.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum OneToNLoss {
    /// Mean over the `n` candidates of −[y log σ(s) + (1 − y) log σ(−s)]; writes ∂L/∂s · `weight` into
    /// `dScores` and returns the unscaled loss. `answers` are the candidates with y = 1 (any order,
    /// repeats ignored).
    public static func binaryCrossEntropy(
        logits s: UnsafePointer<Float>, n: Int, answers: UnsafeBufferPointer<Int32>, smoothing: Float,
        weight: Float, dScores: UnsafeMutablePointer<Float>
    ) -> Float {
        precondition(n > 0 && (0...1).contains(smoothing))
        let off = smoothing / Float(n), on = 1 - smoothing + off
        for j in 0..<n { dScores[j] = off }
        for a in answers { dScores[Int(a)] = on }
        var loss = 0.0
        let scale = weight / Float(n)
        for j in 0..<n {
            let y = dScores[j], x = s[j]
            // −[y log σ(x) + (1 − y) log σ(−x)] = softplus(x) − y·x, and its derivative σ(x) − y, from one
            // exponential: softplus(x) = max(x, 0) + log(1 + e^−|x|) (1 + e is in (1, 2]: logf is exact enough there).
            let e = expf(-abs(x))
            loss += Double(max(x, 0) + logf(1 + e) - y * x)
            let sigma = x >= 0 ? 1 / (1 + e) : e / (1 + e)
            dScores[j] = scale * (sigma - y)
        }
        return Float(loss / Double(n))
    }
}
