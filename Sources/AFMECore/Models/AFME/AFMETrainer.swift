// One AFME optimisation step (eq. 17): the KGC loss of a batch through the fused kernel on joint rows,
// its gradient pushed back through the fusion graph, then the discriminator and generator updates.
//
// Negative sampling. A joint row depends on (entity, relation), so per-triple negatives would need
// B·k fusions per batch. Instead the sampler's per-relation pools are used: each relation of the batch
// gets a pool of negativePool·k entities, fused once under that relation, from which every positive of
// the relation draws its k negatives. What is lost is some independence between the negatives of
// positives that share a relation within a batch; negativePool sets the trade (BENCHMARKS.md).

public final class AFMETrainer: KeepsRowsBeforeStep {
    public let model: AFMEModel
    let training: TrainingConfig
    let structuralAdam: RowSparseAdam
    var relationAdam: AdamState
    /// The structural rows' values before each step, kept for data-parallel rounds.
    var rowsBeforeStep = RowsBeforeStep()
    var parameterAdam: [AdamState]
    /// Bernoulli head/tail choice and known-triple filtering, as for structural models.
    let sampler: NegativeSampler
    /// MoIEn's draws (discriminator samples, interpolation weights, generator noise) come from their own
    /// stream, so switching MoIEn off or on leaves the batches, negatives and fusion noise of the KGC loss
    /// unchanged: an ablation is a paired comparison, and where no entity lacks a modality (MoIEn then has
    /// no row to complete) AFME and w/o MoIEn train the same fusion bit for bit.
    var adversarialRNG: SplitMix64

    public init(model: AFMEModel, training: TrainingConfig, graph: KnowledgeGraph) {
        self.model = model
        self.training = training
        sampler = NegativeSampler(graph: graph, mode: training.negativeSampling, filter: training.filterNegatives)
        structuralAdam = RowSparseAdam(rows: model.entityCount, width: model.score.entityWidth)
        relationAdam = AdamState(count: model.relations.value.count)
        parameterAdam = model.parameters.vars.map { AdamState(count: $0.value.count) }
        adversarialRNG = SplitMix64(seed: training.seed ^ 0xAD5E_12A1_0F3E_7C01)
    }

    /// The rows and queries of one batch: relation groups, their rows and shared negatives.
    struct BatchLayout {
        var pairs = PairRows()
        var queries = DistanceQueries()
        /// Same positives, one negative each: the synthetic (generated-modality) version of the truth.
        var synthetic = DistanceQueries()
    }

    func layout(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> BatchLayout {
        let k = training.negatives, E = model.entityCount
        var out = BatchLayout()
        var entityIndex: [Int: Int] = [:]
        let synthesize = model.config.enhancement && model.config.syntheticNegativeWeight > 0
        // Synthetic negatives for a random share of the batch's positives, about `adversarialSamples` of
        // them (as for the discriminator): the term is an estimate over a sample, and a synthetic row costs
        // a generator pass per modality on top of the fusion.
        let syntheticShare = Float(model.config.adversarialSamples) / Float(max(batch.count, 1))
        func row(_ e: Int, _ r: Int, synthetic: Bool = false) -> Int32 {
            let local: Int
            if let i = entityIndex[e] {
                local = i
            } else {
                local = out.pairs.entities.count; entityIndex[e] = local; out.pairs.entities.append(e)
            }
            out.pairs.rowEntity.append(local); out.pairs.rowRelation.append(r)
            if synthesize { out.pairs.synthetic.append(synthetic) }
            return Int32(out.pairs.rowEntity.count - 1)
        }
        // Relation groups in order of first appearance (deterministic).
        var groupOf: [Int: Int] = [:], groups: [(relation: Int, triples: [Triple])] = []
        for t in batch {
            if let g = groupOf[t.r] {
                groups[g].triples.append(t)
            } else {
                groupOf[t.r] = groups.count; groups.append((t.r, [t]))
            }
        }
        for (r, members) in groups {
            var rowOf: [Int: Int32] = [:]
            func pairRow(_ e: Int) -> Int32 {
                if let i = rowOf[e] { return i }
                let i = row(e, r); rowOf[e] = i; return i
            }
            // A pool of `negativePool`·k rows per relation; each query draws its k from it.
            let pool = sampler.drawPool(size: max(k, min(E, model.config.negativePool * k)), rng: &rng)
            let negStart = out.pairs.count
            for e in pool { _ = row(e, r) }
            for t in members {
                let dir = sampler.poolDirection(relation: r, rng: &rng)
                let kept = dir == .tail ? t.h : t.t, truth = dir == .tail ? t.t : t.h
                out.queries.anchor.append(pairRow(kept)); out.queries.truth.append(pairRow(truth))
                out.queries.relation.append(Int32(r)); out.queries.direction.append(dir)
                sampler.drawFromPool(
                    pool, positive: t, direction: dir, k: k, rng: &rng, into: &out.queries.negatives,
                    offset: negStart)
                if synthesize, syntheticShare >= 1 || rng.unit() < syntheticShare {
                    let q = out.queries
                    out.synthetic.anchor.append(q.anchor[q.count - 1]); out.synthetic.truth.append(q.truth[q.count - 1])
                    out.synthetic.relation.append(Int32(r)); out.synthetic.direction.append(dir)
                    out.synthetic.negatives.append(row(truth, r, synthetic: true))
                }
            }
        }
        return out
    }

    /// One step on `batch`; returns the KGC loss (eq. 14) of the batch.
    public func step(_ batch: ArraySlice<Triple>, rng: inout SplitMix64) -> Float {
        let L = layout(batch, rng: &rng)
        let s = Var(model.structuralRows(L.pairs.entities), requiresGrad: true)
        var noise: SplitMix64? = rng.split()
        let out = model.fuse(L.pairs, structural: s, relations: model.relations, noise: &noise)
        let W = model.score.entityWidth
        let (loss, dJoint, dRelScore) = JointScoreLoss.evaluate(
            model.score, table: out.joint.value.data, rows: L.pairs.count,
            relations: model.relations.value.data, queries: L.queries,
            k: training.negatives, loss: training.lossSettings(gamma: model.score.gamma),
            l2: training.l2,
            threads: training.effectiveThreads)
        var seed = dJoint, relScore = dRelScore
        if L.synthetic.count > 0 {
            let w = model.config.syntheticNegativeWeight
            let (_, dSyn, dRelSyn) = JointScoreLoss.evaluate(
                model.score, table: out.joint.value.data, rows: L.pairs.count,
                relations: model.relations.value.data, queries: L.synthetic, k: 1,
                loss: DistanceLossSettings(kind: .selfAdversarial, gamma: model.score.gamma, temperature: 0, margin: 0),
                threads: training.effectiveThreads)
            for j in 0..<seed.count { seed[j] += w * dSyn[j] }
            for j in 0..<relScore.count { relScore[j] += w * dRelSyn[j] }
        }
        let params = model.parameters.vars
        let seedVar = Var(Tensor(shape: [L.pairs.count, W], data: seed))
        var paramGrads: [[Float]], grads: [Var]
        if model.config.enhancement && !out.syntheticRows.isEmpty {
            // The synthetic rows' generator passes double as the adversarial samples: the generator's
            // eq. 15 term joins the main backward pass (one traversal of G for both uses), and the
            // discriminator gets its own gradient, as below.
            let (gLoss, dGrads) = sharedAdversarialTerms(out, L.pairs, rng: &adversarialRNG)
            let root = gLoss.map { dot(out.joint, seedVar) + $0 } ?? dot(out.joint, seedVar)
            grads = gradients(of: root, wrt: [s, model.relations] + params)
            paramGrads = grads[2...].map { $0.value.data }
            // The generator term reaches D's parameters too; D follows only its own loss.
            for i in model.parameters.indices(of: .discriminator) {
                paramGrads[i] = dGrads[i] ?? [Float](repeating: 0, count: params[i].value.count)
            }
        } else {
            grads = gradients(of: out.joint, wrt: [s, model.relations] + params, seed: seedVar)
            paramGrads = grads[2...].map { $0.value.data }
            if model.config.enhancement { adversarialGradients(out, L.pairs, into: &paramGrads, rng: &adversarialRNG) }
        }

        // Updates: structural rows (row-sparse Adam), relations, then each parameter with its group's rate.
        let lr = training.learningRate
        var sGrad = grads[0].value.data
        // Padding columns must stay zero (the kernels assume it); the generator's guide matrix would
        // otherwise send them a gradient.
        let padding = (0..<W).filter { j in !model.score.entityColumns.contains { $0.contains(j) } }
        for i in 0..<L.pairs.entities.count { for j in padding { sGrad[i * W + j] = 0 } }
        let cfg = AdamConfig(learningRate: lr)
        model.structural.withUnsafeBufferPointer { rowsBeforeStep.keep(L.pairs.entities, of: $0, width: W) }
        structuralAdam.step(rows: L.pairs.entities, gradients: &sGrad, table: &model.structural, config: cfg)
        var relGrad = grads[1].value.data
        for j in 0..<relGrad.count { relGrad[j] += relScore[j] }
        model.relations.withMutableData { r in
            r.withUnsafeMutableBufferPointer { rp in
                relGrad.withUnsafeBufferPointer {
                    Adam.step(
                        rp.baseAddress!, grad: $0.baseAddress!, count: $0.count, state: &relationAdam, config: cfg)
                }
            }
        }
        for (i, v) in params.enumerated() {
            let rate: Float
            switch model.parameters.groups[i] {
            case .fusion: rate = lr
            case .generator: rate = model.config.generatorLearningRate
            case .discriminator: rate = model.config.discriminatorLearningRate
            }
            let c = AdamConfig(learningRate: rate)
            v.withMutableData { p in
                p.withUnsafeMutableBufferPointer { pp in
                    paramGrads[i].withUnsafeBufferPointer {
                        Adam.step(
                            pp.baseAddress!, grad: $0.baseAddress!, count: $0.count, state: &parameterAdam[i], config: c
                        )
                    }
                }
            }
        }
        return loss
    }

    /// Adds the discriminator's gradient of λ1·(−L_adv) + λ2·L_gp and the generator's gradient of λ1·L_adv
    /// (eq. 15–17) into `into`, per modality, on up to `adversarialSamples` rows where the modality is present.
    func adversarialGradients(_ out: FusionOutput, _ pairs: PairRows, into: inout [[Float]], rng: inout SplitMix64) {
        let c = model.config
        let params = model.parameters.vars
        for m in model.modalities.indices {
            var rows = (0..<pairs.count).filter { model.modalities[m].present[pairs.entities[pairs.rowEntity[$0]]] }
            if rows.isEmpty { continue }
            for i in stride(from: rows.count - 1, to: 0, by: -1) { rows.swapAt(i, rng.below(i + 1)) }
            rows = Array(rows.prefix(c.adversarialSamples))
            let real = detached(gatherRows(out.denoisedVectors[m], rows))
            let es = detached(gatherRows(out.structural, rows))
            let others =
                out.denoisedVectors.indices.filter { $0 != m }.map {
                    detached(gatherRows(out.denoisedVectors[$0], rows))
                } + [es]
            var noise: SplitMix64? = rng.split()
            let fake = model.generators[m](
                structural: es, noise: model.noiseRows(rows.count, &noise),
                input: model.prior(m, relationRows: rows.map { pairs.rowRelation[$0] }), others: others)
            let (dLoss, gLoss) = adversarialLosses(m, real: real, fake: fake, rng: &rng)
            let dIdx = model.parameters.indices(of: .discriminator), gIdx = model.parameters.indices(of: .generator)
            let dGrads = gradients(of: dLoss, wrt: dIdx.map { params[$0] })
            let gGrads = gradients(of: gLoss, wrt: gIdx.map { params[$0] })
            for (j, i) in dIdx.enumerated() { add(&into[i], dGrads[j].value.data) }
            for (j, i) in gIdx.enumerated() { add(&into[i], gGrads[j].value.data) }
        }
    }

    /// Eq. 15–16 on the synthetic rows (real = their denoised vectors where the entity has the modality,
    /// fake = the generator's output already computed for them): the generator's loss as a graph, for
    /// the caller's backward pass, and the discriminator's gradients by parameter index.
    func sharedAdversarialTerms(_ out: FusionOutput, _ pairs: PairRows, rng: inout SplitMix64) -> (Var?, [Int: [Float]])
    {
        let params = model.parameters.vars
        let dIdx = model.parameters.indices(of: .discriminator)
        var gLoss: Var? = nil, dGrads: [Int: [Float]] = [:]
        for m in model.modalities.indices {
            let local = out.syntheticRows.indices.filter {
                model.modalities[m].present[pairs.entities[pairs.rowEntity[out.syntheticRows[$0]]]]
            }
            if local.isEmpty { continue }
            let real = detached(gatherRows(out.denoisedVectors[m], local.map { out.syntheticRows[$0] }))
            let (dLoss, g) = adversarialLosses(
                m, real: real, fake: gatherRows(out.syntheticGenerated[m], local), rng: &rng)
            for (j, g) in gradients(of: dLoss, wrt: dIdx.map { params[$0] }).enumerated() {
                let i = dIdx[j], v = g.value.data
                if var acc = dGrads[i] {
                    for k in 0..<acc.count { acc[k] += v[k] }; dGrads[i] = acc
                } else {
                    dGrads[i] = v
                }
            }
            gLoss = gLoss.map { $0 + g } ?? g
        }
        return (gLoss, dGrads)
    }

    /// Eq. 15–16 for modality m: the discriminator's loss (on a detached fake, with fresh interpolation
    /// weights) and the generator's (through `fake`'s graph).
    private func adversarialLosses(
        _ m: Int, real: Var, fake: Var, rng: inout SplitMix64
    ) -> (discriminator: Var, generator: Var) {
        let c = model.config, d = model.discriminators[m]
        let eps = (0..<real.shape[0]).map { _ in rng.unit() }
        let dLoss = AdversarialLoss.discriminator(
            d, real: real, fake: detached(fake), epsilon: eps, lambdaAdversarial: c.lambdaAdversarial,
            lambdaPenalty: c.lambdaPenalty, penaltyWeight: c.penaltyWeight)
        return (dLoss, AdversarialLoss.generator(d, fake: fake, lambdaAdversarial: c.lambdaAdversarial))
    }

    private func add(_ a: inout [Float], _ b: [Float]) { for j in 0..<a.count { a[j] += b[j] } }
}
