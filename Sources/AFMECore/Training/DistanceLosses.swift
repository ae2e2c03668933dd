// Losses of distance models over one positive and its k negatives. Each takes the distances
// (`dist[0]` the positive's, `dist[1...k]` the negatives'), writes ∂L/∂dist into `dDist` scaled by
// `weight` (1/B for a batch mean), and returns the unscaled loss. Score s = γ − dist.

/// The loss a distance model trains with (option `loss`).
public enum DistanceLoss: Int, Sendable {
    /// Self-adversarial negative sampling (adamf-mat.txt eq. 7–8; afme.txt eq. 14 at α = 0).
    case selfAdversarial = 0
    /// Margin ranking (TransE): Σⱼ wⱼ max(0, m + d⁺ − dⱼ⁻), with the self-adversarial weights w.
    case margin = 1
}

/// The constants a loss reads, fixed for a training run.
public struct DistanceLossSettings: Sendable {
    public var kind: DistanceLoss
    public var gamma: Float
    /// Self-adversarial temperature α; 0 weights negatives uniformly.
    public var temperature: Float
    /// m of the margin loss.
    public var margin: Float

    public init(kind: DistanceLoss, gamma: Float, temperature: Float, margin: Float) {
        self.kind = kind; self.gamma = gamma; self.temperature = temperature; self.margin = margin
    }

    @inline(__always)
    func forwardBackward(
        dist: UnsafePointer<Float>, k: Int, weight: Float, dDist: UnsafeMutablePointer<Float>
    )
        -> Float
    {
        switch kind {
        case .selfAdversarial:
            return SelfAdversarialLoss.forwardBackward(
                dist: dist, k: k, gamma: gamma, temperature: temperature, weight: weight, dDist: dDist)
        case .margin:
            return MarginLoss.forwardBackward(
                dist: dist, k: k, gamma: gamma, temperature: temperature, margin: margin, weight: weight,
                dDist: dDist)
        }
    }
}

/// softmax(α s⁻) over the negatives, held constant (not differentiated): writes the unnormalised weights
/// into `w[1...k]` and returns their sum. α = 0 gives 1 each.
@inline(__always)
func adversarialWeights(
    dist: UnsafePointer<Float>, k: Int, gamma: Float, temperature: Float, w: UnsafeMutablePointer<Float>
) -> Float {
    var maxLogit = -Float.infinity
    for j in 1...k { maxLogit = max(maxLogit, temperature * (gamma - dist[j])) }
    var z: Float = 0
    for j in 1...k {
        let e = temperature == 0 ? 1 : _expf(temperature * (gamma - dist[j]) - maxLogit)
        w[j] = e; z += e
    }
    return z
}

/// L = ½ [ −log σ(s⁺) − Σ_j w_j log σ(−s⁻_j) ], w = softmax(α s⁻) treated as a constant. With α = 0 the
/// weights are uniform (1/k), i.e. afme.txt eq. 14 with δ = γ.
public enum SelfAdversarialLoss {
    @inline(__always)
    public static func forwardBackward(
        dist: UnsafePointer<Float>, k: Int, gamma: Float, temperature: Float,
        weight: Float, dDist: UnsafeMutablePointer<Float>
    ) -> Float {
        let sPos = gamma - dist[0]
        var loss = -logSigmoid(sPos)
        // ∂(−log σ(s))/∂s = −σ(−s); ∂s/∂dist = −1.
        dDist[0] = 0.5 * weight * sigmoid(-sPos)
        let z = adversarialWeights(dist: dist, k: k, gamma: gamma, temperature: temperature, w: dDist)
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

/// L = Σ_j w_j max(0, m + d⁺ − d⁻_j), w as above (uniform at α = 0: the mean hinge of TransE's loss).
public enum MarginLoss {
    @inline(__always)
    public static func forwardBackward(
        dist: UnsafePointer<Float>, k: Int, gamma: Float, temperature: Float, margin: Float,
        weight: Float, dDist: UnsafeMutablePointer<Float>
    ) -> Float {
        let z = adversarialWeights(dist: dist, k: k, gamma: gamma, temperature: temperature, w: dDist)
        var loss: Float = 0, dPositive: Float = 0
        for j in 1...k {
            let w = dDist[j] / z, hinge = margin + dist[0] - dist[j]
            if hinge > 0 {
                loss += w * hinge
                dPositive += w
                dDist[j] = -weight * w
            } else {
                dDist[j] = 0
            }
        }
        dDist[0] = weight * dPositive
        return loss
    }
}
