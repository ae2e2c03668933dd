// MoIFu (afme.txt §4.1–4.2): project each modality into the entity space, denoise it under the
// query relation, and mix structural and feature vectors with relation-dependent weights.

/// Two-layer projection of a modality's pre-computed feature (eq. 3 produced the inputs) into entity rows.
struct ModalityProjection {
    let first: Linear, second: Linear
    let mask: Var

    init(_ store: ParameterStore, _ name: String, featureDim: Int, score f: ScoreFunction, rng: inout SplitMix64) {
        let W = f.entityWidth
        first = Linear(store, name + ".proj1", featureDim, W, group: .fusion, rng: &rng)
        // Start in the scale of the structural rows (±(γ+ε)/D) so neither side dominates the first epochs.
        let range = (f.gamma + f.epsilon) / Float(f.dim)
        second = Linear(store, name + ".proj2", W, W, group: .fusion, scale: range * 4, rng: &rng)
        mask = columnMask(f)
    }

    // tanh: smooth, so finite differences check it, and bounded for unit-norm inputs.
    func callAsFunction(_ x: Var) -> Var { second(tanh(first(x))) * mask }
}

/// How the query relation enters a gate: per-row relation context multiplied into the modality vector.
struct RelationContext {
    let score: ScoreFunction
    let reading: GateRelationReading

    /// h ⊙ r for rows `h` [n, W], row i under relation `rows[i]` of the relation table [R, P] (eq. 4's product).
    /// Trigonometry runs on the R table rows, not on the n gathered ones.
    func apply(_ h: Var, table: Var, rows: [Int]) -> Var {
        switch score.kind {
        case .transE:
            return h * gatherRows(table, rows)
        case .rotatE, .rotatEEuclidean:
            let theta = scale(table, score.phaseScale)
            switch reading {
            case .phases:
                let t = gatherRows(theta, rows)
                return h * concatCols([t, t])
            case .rotation:
                return rotateRows(h, phases: theta, rows: rows)
            }
        }
    }
}

/// Relation-driven denoising (eq. 4–5) with strength α (§5.5): h̃ = (1 − α)·h + α·gate ⊙ h.
struct RelationGate {
    let linear: Linear
    let strength: Float

    init(_ store: ParameterStore, _ name: String, width: Int, strength: Float, rng: inout SplitMix64) {
        linear = Linear(store, name + ".gate", width, width, group: .fusion, rng: &rng)
        self.strength = strength
    }

    /// `context` is h ⊙ r from RelationContext.
    func callAsFunction(_ h: Var, context: Var) -> Var {
        if strength == 1 { return gatedProduct(h, logits: linear(context)) }
        return h * (scale(sigmoid(linear(context)), strength) + (1 - strength))
    }
}

/// Dynamic weight allocation (eq. 6) over the structural vector and every feature modality.
struct ModalityWeighting {
    /// U, one learnable vector shared by all modalities, as printed.
    let u: Var
    /// τ_r per relation.
    let tau: Var
    let confidence: Bool, smoothing: Bool
    /// Expected L2 norm of a freshly initialised structural row: the confidence α_m = ‖v_m‖₂ / norm0.
    let norm0: Float
    /// U restricted to the columns rows use, so padding never receives a gradient through the weights.
    let mask: Var

    init(
        _ store: ParameterStore, score f: ScoreFunction, relations: Int, confidence: Bool, smoothing: Bool,
        rng: inout SplitMix64
    ) {
        let W = f.entityWidth
        u = store.add("weighting.u", Tensor.uniform([W, 1], -0.1, 0.1, rng: &rng), .fusion)
        tau = store.add("weighting.tau", Tensor(zeros: [relations, 1]), .fusion)
        self.confidence = confidence; self.smoothing = smoothing
        let range = (f.gamma + f.epsilon) / Float(f.dim)
        let valid = f.entityColumns.reduce(0) { $0 + $1.count }
        norm0 = range * (Float(valid) / 3).squareRoot()
        mask = Var(Tensor(shape: [W, 1], data: columnMask(f).value.data))
    }

    /// Returns the joint rows Σ_n w_n·v_n and the weights [n, modalities].
    func callAsFunction(_ vectors: [Var], relationRows: [Int]) -> (joint: Var, weights: Var) {
        var logits: [Var] = []
        for v in vectors {
            var s = matmul(tanh(v), u * mask)
            if confidence { s = s * scale(rowNorm(v), 1 / norm0) }
            logits.append(s)
        }
        var z = concatCols(logits)
        if smoothing { z = z / sigmoid(gatherRows(tau, relationRows)) }
        let w = softmax(z)
        return (weightedSum(vectors, weights: w), w)
    }
}

/// "w/o MoIFu": [v_S ⊕ v_1 ⊕ … ⊕ v_M]·W_c, no gate, no weights.
struct ConcatProjectionFusion {
    let linear: Linear
    let mask: Var

    init(_ store: ParameterStore, score f: ScoreFunction, modalities: Int, rng: inout SplitMix64) {
        let W = f.entityWidth
        linear = Linear(store, "concat.proj", (modalities + 1) * W, W, bias: false, group: .fusion, rng: &rng)
        mask = columnMask(f)
    }

    func callAsFunction(_ vectors: [Var]) -> Var { linear(concatCols(vectors)) * mask }
}
