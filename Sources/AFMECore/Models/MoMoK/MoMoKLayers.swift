// The layers MoMoK is built from: a modality's relation-guided experts and noisy gates (eq. 1–2), the
// attention fusion of the modalities (eq. 3), a TuckER decoder with its batch normalisations (eq. 4) and
// the CLUB network (eq. 7–8). Each holds leaf Vars registered in the model's ParameterStore.

/// Inverted dropout: zero with probability p, scale the rest by 1/(1 − p). Identity when p is 0.
func dropout(_ x: Var, _ p: Float, rng: inout SplitMix64?) -> Var {
    guard p > 0, rng != nil else { return x }
    let keep = 1 / (1 - p)
    var mask = Tensor(zeros: x.shape)
    for i in 0..<mask.count { mask.data[i] = rng!.unit() < p ? 0 : keep }
    return x * Var(mask)
}

/// log(1 + eˣ), as −log σ(−x).
func softplus(_ x: Var) -> Var { -logSigmoid(-x) }

/// One modality's K experts and their gates (eq. 1–2). Expert k maps x to (x − b_k)·W_k (a whitening
/// layer without output bias, as the released code's); the gates are softmax((x·W_g + ε ⊙ softplus(x·W_n))
/// / τ) with ε ~ N(0, 1) while training and τ = σ(g_r) for the query's entity.
struct ModalityExperts {
    let name: String
    let width: Int
    let biases: [Var]
    let weights: [Var]
    let gate: Var
    let noise: Var

    init(_ store: ParameterStore, name: String, width: Int, experts K: Int, rng: inout SplitMix64) {
        self.name = name; self.width = width
        biases = (0..<K).map { store.add("experts.\(name).\($0).bias", Tensor(zeros: [width]), .fusion) }
        weights = (0..<K).map {
            store.add("experts.\(name).\($0).weight", Tensor.gaussian([width, width], std: 0.02, rng: &rng), .fusion)
        }
        // The released code starts both gate matrices at zero: uniform gates, noise of scale softplus(0).
        gate = store.add("experts.\(name).gate", Tensor(zeros: [width, K]), .fusion)
        noise = store.add("experts.\(name).noise", Tensor(zeros: [width, K]), .fusion)
    }

    var count: Int { weights.count }

    /// Every expert's output for rows x [n, width].
    func outputs(_ x: Var) -> [Var] { (0..<count).map { matmul(x - biases[$0], weights[$0]) } }

    /// Clean gate logits and, for noisy gates, the noise scale softplus(x·W_n) + 0.01.
    func logits(_ x: Var, noisy: Bool) -> (clean: Var, scale: Var?) {
        (matmul(x, gate), noisy ? softplus(matmul(x, noise)) + 0.01 : nil)
    }
}

/// Adds ε ⊙ scale to the logits (ε ~ N(0, 1)) when training with noisy gates.
func noisyLogits(_ clean: Var, scale: Var?, rng: inout SplitMix64?) -> Var {
    guard let scale, rng != nil else { return clean }
    return clean + Var(Tensor.gaussian(clean.shape, std: 1, rng: &rng!)) * scale
}

/// Eq. 3: per modality m and each of two branches b, z_mb = ReLU(W_mb · dropout(v_m) + c_mb); weights
/// α_b = softmax_m(a · z_mb) with one attention vector a; the joint vector Σ_b Σ_m α_mb z_mb.
struct ModalityFusion {
    let branches: [[Linear]]  // [2][modality]
    let attention: Var

    init(
        _ store: ParameterStore, _ name: String, inputs: [(name: String, width: Int)], width: Int,
        rng: inout SplitMix64
    ) {
        branches = (0..<2).map { b in
            inputs.map {
                Linear(torchDefault: store, "\(name).\($0.name).\(b)", $0.width, width, group: .fusion, rng: &rng)
            }
        }
        let bound = 1 / Float(width).squareRoot()
        attention = store.add("\(name).attention", Tensor.uniform([width, 1], -bound, bound, rng: &rng), .fusion)
    }

    /// The joint rows and the modality weights of each branch ([n, M] each).
    func callAsFunction(_ vectors: [Var], dropoutRate: Float, rng: inout SplitMix64?) -> (joint: Var, weights: [Var]) {
        var joint: Var?, weights: [Var] = []
        for layers in branches {
            let z = zip(layers, vectors).map { relu($0.0(dropout($0.1, dropoutRate, rng: &rng))) }
            let alpha = softmax(concatCols(z.map { matmul($0, attention) }))
            let fused = weightedSum(z, weights: alpha)
            joint = joint.map { $0 + fused } ?? fused
            weights.append(alpha)
        }
        return (joint!, weights)
    }
}

/// Batch normalisation over rows: batch statistics while training (running averages updated with
/// momentum 0.1, the variance unbiased), the running averages otherwise.
struct BatchNorm {
    let scale: Var, shift: Var
    let runningMean: Var, runningVariance: Var
    static let epsilon: Float = 1e-5

    init(_ store: ParameterStore, statistics: ParameterStore, _ name: String, width: Int) {
        scale = store.add(name + ".scale", Tensor(repeating: 1, shape: [width]), .fusion)
        shift = store.add(name + ".shift", Tensor(zeros: [width]), .fusion)
        runningMean = statistics.add(name + ".mean", Tensor(zeros: [width]), .fusion)
        runningVariance = statistics.add(name + ".variance", Tensor(repeating: 1, shape: [width]), .fusion)
    }

    func callAsFunction(_ x: Var, training: Bool) -> Var {
        guard training, x.value.rows > 1 else {
            return (x - Var(runningMean.value)) / sqrt(Var(runningVariance.value) + Self.epsilon) * scale + shift
        }
        let n = Float(x.value.rows)
        let centred = x - sumRows(x) * (1 / n)
        let variance = sumRows(centred * centred) * (1 / n)
        GradMode.withDisabled {
            let mean = sumRows(Var(x.value)).value.data, v = variance.value.data
            runningMean.withMutableData { m in for j in m.indices { m[j] = 0.9 * m[j] + 0.1 * mean[j] / n } }
            runningVariance.withMutableData { r in
                for j in r.indices { r[j] = 0.9 * r[j] + 0.1 * v[j] * n / (n - 1) }
            }
        }
        return centred / sqrt(variance + Self.epsilon) * scale + shift
    }
}

/// A TuckER decoder (eq. 4): the core 𝒲 [r_dim, F, F] contracted with a relation vector gives a
/// [F, F] matrix; the query's entity row, normalised, times that matrix, normalised again, is compared
/// with every candidate row by a dot product.
struct TuckERDecoder {
    let core: Var  // [r_dim, F·F]
    let inputNorm: BatchNorm, outputNorm: BatchNorm
    let width: Int

    init(
        _ store: ParameterStore, statistics: ParameterStore, _ name: String, width F: Int, relationDim: Int,
        rng: inout SplitMix64
    ) {
        width = F
        // torch's xavier_uniform_ on a [r_dim, F, F] tensor: fan_in = F·F, fan_out = r_dim·F.
        let bound = (6 / Float(F * F + relationDim * F)).squareRoot()
        core = store.add(name + ".core", Tensor.uniform([relationDim, F * F], -bound, bound, rng: &rng), .fusion)
        inputNorm = BatchNorm(store, statistics: statistics, name + ".norm0", width: F)
        outputNorm = BatchNorm(store, statistics: statistics, name + ".norm1", width: F)
    }

    /// One [F, F] matrix per relation vector ([G, r_dim] → [G, F·F]).
    func matrices(_ relations: Var) -> Var { matmul(relations, core) }

    /// The query rows' outputs [n, F], row i through matrix `group[i]` of `matrices`.
    func callAsFunction(
        _ entities: Var, matrices: Var, groups: [Int], training: Bool, dropout rate: Bool, rng: inout SplitMix64?
    ) -> Var {
        let x = dropout(inputNorm(entities, training: training), rate ? 0.3 : 0, rng: &rng)
        let y = groupedMatmul(x, matrices, groups: groups)
        return dropout(outputNorm(y, training: training), rate ? 0.5 : 0, rng: &rng)
    }
}

/// CLUB's variational network q(y | x) = N(μ(x), σ²(x)) for one modality (eq. 7–8): two two-layer MLPs
/// of hidden width F/2, log σ² squashed by tanh.
struct CLUBNetwork {
    let meanLayers: (Linear, Linear)
    let logVarianceLayers: (Linear, Linear)

    init(_ store: ParameterStore, _ name: String, width F: Int, rng: inout SplitMix64) {
        let h = max(F / 2, 1)
        meanLayers = (
            Linear(torchDefault: store, name + ".mean.0", F, h, group: .discriminator, rng: &rng),
            Linear(torchDefault: store, name + ".mean.1", h, F, group: .discriminator, rng: &rng)
        )
        logVarianceLayers = (
            Linear(torchDefault: store, name + ".logvar.0", F, h, group: .discriminator, rng: &rng),
            Linear(torchDefault: store, name + ".logvar.1", h, F, group: .discriminator, rng: &rng)
        )
    }

    /// The same network with its weights as constants (the KGC model's step does not train it).
    var frozen: CLUBNetwork {
        CLUBNetwork(
            meanLayers: (meanLayers.0.frozen, meanLayers.1.frozen),
            logVarianceLayers: (logVarianceLayers.0.frozen, logVarianceLayers.1.frozen))
    }
    private init(meanLayers: (Linear, Linear), logVarianceLayers: (Linear, Linear)) {
        self.meanLayers = meanLayers; self.logVarianceLayers = logVarianceLayers
    }

    func moments(_ x: Var) -> (mean: Var, logVariance: Var) {
        (meanLayers.1(relu(meanLayers.0(x))), tanh(logVarianceLayers.1(relu(logVarianceLayers.0(x)))))
    }

    /// Eq. 7, the sampled CLUB bound: mean over rows of ½ Σ_d [(μ − y_π)² − (μ − y)²] / σ², with y_π the
    /// rows of y in the order `permutation`.
    func upperBound(_ x: Var, _ y: Var, permutation: [Int]) -> Var {
        let (mu, logVar) = moments(x)
        let precision = exp(-logVar)
        let positive = square(mu - y) * precision, negative = square(mu - gatherRows(y, permutation)) * precision
        return mean(sumCols(negative - positive)) * 0.5
    }

    /// Eq. 8: the negative log-likelihood of y under q(· | x), averaged over rows.
    func negativeLogLikelihood(_ x: Var, _ y: Var, _ kind: CLUBLikelihood) -> Var {
        let (mu, logVar) = moments(x)
        var nll = square(mu - y) * exp(-logVar) * 0.5
        if kind == .gaussian { nll = nll + logVar * 0.5 }
        return mean(sumCols(nll))
    }
}
extension MoMoKModel {
    /// A fresh batch normalisation (scale 1, shift 0) in training mode on `x`, for gradient checks.
    public static func batchNormalisationProbe(_ x: Var) -> Var {
        BatchNorm(ParameterStore(), statistics: ParameterStore(), "probe", width: x.value.cols)(x, training: true)
    }
}
