// The negative-sampling loss with self-adversarial weighting (adamf-mat.txt eq. 7–8; afme.txt eq. 14):
//   L = ½ [ −log σ(s⁺) − Σ_j w_j log σ(−s⁻_j) ],  w = softmax(α s⁻) treated as a constant,
// where s = γ − dist is the score. With α = 0 the weights are uniform (1/k), i.e. eq. 14 with δ = γ.
// Returned: the loss of one positive and ∂L/∂dist for the positive and each negative.

public enum SelfAdversarialLoss {
    /// `dist[0]` is the positive's distance, `dist[1...k]` the negatives'. Writes ∂L/∂dist into `dDist`,
    /// scaled by `weight` (1/B for a batch mean), and returns the unscaled loss.
    @inline(__always)
    public static func forwardBackward(
        dist: UnsafePointer<Float>, k: Int, gamma: Float, temperature: Float,
        weight: Float, dDist: UnsafeMutablePointer<Float>
    ) -> Float {
        let sPos = gamma - dist[0]
        var loss = -logSigmoid(sPos)
        // ∂(−log σ(s))/∂s = −σ(−s); ∂s/∂dist = −1.
        dDist[0] = 0.5 * weight * sigmoid(-sPos)
        var maxLogit = -Float.infinity
        for j in 1...k { maxLogit = max(maxLogit, temperature * (gamma - dist[j])) }
        var z: Float = 0
        for j in 1...k {
            let w = temperature == 0 ? 1 : _expf(temperature * (gamma - dist[j]) - maxLogit)
            dDist[j] = w; z += w
        }
        var negLoss: Float = 0
        for j in 1...k {
            let w = dDist[j] / z, s = gamma - dist[j]
            negLoss -= w * logSigmoid(-s)
            // ∂(−w log σ(−s))/∂s = w σ(s); ∂s/∂dist = −1.
            dDist[j] = -0.5 * weight * w * sigmoid(s)
        }
        loss = 0.5 * (loss + negLoss)
        return loss
    }
}
