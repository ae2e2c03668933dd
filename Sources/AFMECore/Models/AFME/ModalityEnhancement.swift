// MoIEn (afme.txt §4.3–4.4.2): a structure-guided generator that writes a modality vector for an
// entity, a discriminator that tells generated from real vectors, and their losses (eq. 15–16).

/// Generator for one target modality m (eq. 7–11).
struct ModalityGenerator {
    let guideProjection: Linear?  // GuideReading.projected: (W + z) → W
    let transform: Linear  // W_d, b_d of eq. 8
    let attention: [SelfAttention]  // eq. 9, L layers
    let reading: GuideReading
    let includeSelf: Bool
    let width: Int, noiseDim: Int
    let mask: Var

    init(_ store: ParameterStore, _ name: String, score f: ScoreFunction, config c: AFMEConfig, rng: inout SplitMix64) {
        let W = f.entityWidth
        width = W; noiseDim = c.noiseDim; reading = c.guide; includeSelf = c.interModalIncludesSelf
        switch c.guide {
        case .projected:
            guideProjection = Linear(
                store, name + ".guide", W + c.noiseDim, W, bias: false, group: .generator, rng: &rng)
            transform = Linear(store, name + ".transform", W, W, group: .generator, rng: &rng)
        case .onesExtended:
            guideProjection = nil
            transform = Linear(store, name + ".transform", W + c.noiseDim, W, group: .generator, rng: &rng)
        }
        attention = (0..<c.attentionLayers).map {
            SelfAttention(
                store, "\(name).attention\($0)", width: W, tokens: c.attentionTokens, group: .generator, rng: &rng)
        }
        mask = columnMask(f)
    }

    /// - Parameters:
    ///   - structural: e_s rows [n, W].
    ///   - noise: z rows [n, noiseDim] (zeros at inference).
    ///   - input: h̃_m, the denoised modality vector the generator starts from [n, W].
    ///   - others: the entity's other modality vectors (feature modalities n ≠ m, then e_s), for eq. 10–11.
    func callAsFunction(structural: Var, noise: Var, input: Var, others: [Var]) -> Var {
        let guide = concatCols([structural, noise])  // eq. 7
        let guided: Var
        switch reading {
        case .projected: guided = guideProjection!(guide) * input
        case .onesExtended:
            guided = guide * concatCols([input, Var(Tensor(repeating: 1, shape: [input.shape[0], noiseDim]))])
        }
        var h = tanh(transform(guided)) * mask  // eq. 8
        for layer in attention { h = layer(h) * mask }  // eq. 9
        // Eq. 10–11: the refined vector attends over the entity's other modality vectors (and itself
        // unless the printed n ≠ m form is asked for).
        let n = h.shape[0]
        let candidates = includeSelf ? [h] + others : others
        let tokens = reshape(concatCols(candidates), [n, candidates.count, width])
        let scores = scale(bmm(reshape(h, [n, 1, width]), tokens, transB: true), 1 / Float(width).squareRoot())
        return reshape(bmm(softmax(scores), tokens), [n, width])
    }
}

/// Discriminator for one modality (eq. 12): self-attention over the vector's tokens, then two fully
/// connected layers; returns the logit (D = σ(logit)).
struct ModalityDiscriminator {
    let attention: SelfAttention
    let hidden: Linear, output: Linear

    init(_ store: ParameterStore, _ name: String, width: Int, config c: AFMEConfig, rng: inout SplitMix64) {
        attention = SelfAttention(
            store, name + ".attention", width: width, tokens: c.attentionTokens, group: .discriminator, rng: &rng)
        hidden = Linear(store, name + ".hidden", width, c.discriminatorHidden, group: .discriminator, rng: &rng)
        output = Linear(store, name + ".output", c.discriminatorHidden, 1, group: .discriminator, rng: &rng)
    }

    // tanh rather than a piecewise-linear unit: the gradient penalty differentiates D's input gradient,
    // which a kinked activation makes discontinuous in the weights.
    func logit(_ x: Var) -> Var { output(tanh(hidden(attention(x)))) }
}

/// The adversarial terms of eq. 15–17 for one modality.
enum AdversarialLoss {
    /// Discriminator side: −(E log D(real) + E log(1 − D(fake))) times λ1, plus λ2·λ·E(‖∇D(x̂)‖ − 1)² on
    /// interpolates x̂ = ε·real + (1 − ε)·fake (eq. 16). `real` and `fake` must carry no graph.
    static func discriminator(
        _ d: ModalityDiscriminator, real: Var, fake: Var, epsilon: [Float],
        lambdaAdversarial: Float, lambdaPenalty: Float, penaltyWeight: Float
    ) -> Var {
        let adv = -(mean(logSigmoid(d.logit(real))) + mean(logSigmoid(-d.logit(fake))))
        var loss = scale(adv, lambdaAdversarial)
        if lambdaPenalty > 0 && penaltyWeight > 0 {
            loss =
                loss
                + scale(gradientPenalty(d, real: real, fake: fake, epsilon: epsilon), lambdaPenalty * penaltyWeight)
        }
        return loss
    }

    /// E(‖∇_x̂ D(x̂)‖₂ − 1)², differentiable with respect to the discriminator's parameters.
    static func gradientPenalty(_ d: ModalityDiscriminator, real: Var, fake: Var, epsilon: [Float]) -> Var {
        let e = constantColumn(epsilon)
        let mixed = real * e + fake * (rsub(1, e))
        let x = Var(mixed.value, requiresGrad: true)
        let g = gradients(of: sum(sigmoid(d.logit(x))), wrt: [x], createGraph: true)[0]
        return mean(square(rowNorm(g) - 1))
    }

    /// Generator side of eq. 15: λ1·E log(1 − D(fake)), minimised by the generator.
    static func generator(_ d: ModalityDiscriminator, fake: Var, lambdaAdversarial: Float) -> Var {
        scale(mean(logSigmoid(-d.logit(fake))), lambdaAdversarial)
    }
}
