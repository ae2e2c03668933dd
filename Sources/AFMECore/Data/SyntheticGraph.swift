// The built-in dataset: a deterministic multi-modal KG with planted structure, so the library runs
// (and is tested) with no external data.
//
// Generation: each entity has a latent vector z_e ~ N(0, I_k). Each relation r is a rotation A_r of the
// latent space made of 2×2 blocks in one shared basis (a diagonal complex rotation, the relation family
// RotatE can represent); a fact (h, r, t) picks the entity nearest to A_r z_h + noise.
// The graph is sparse, so many entities are seen in few training facts; every feature modality is a
// fixed random linear image of z_e plus Gaussian noise, with some rows missing. Features therefore
// carry the very signal the graph is built from, and a multi-modal model can beat a structure-only one.

public struct SyntheticGraphSpec: Sendable {
    public var entities = 2000
    public var relations = 12
    public var latentDim = 8
    /// Facts generated per entity before de-duplication and splitting.
    public var factsPerEntity = 6
    /// Dimension of each feature modality (one modality per entry).
    public var modalityDims: [Int] = [32, 16]
    /// Fraction of rows missing in each modality (same length as `modalityDims`).
    public var missingFractions: [Float] = [0.1, 0.3]
    /// Standard deviation of the feature noise relative to the signal.
    public var featureNoise: Float = 0.3
    /// Fractions of facts held out for validation and test.
    public var validFraction: Float = 0.1
    public var testFraction: Float = 0.1
    public var seed: UInt64 = 42

    public init() {}

    /// Every field's domain, checked before any is used; the message names the field.
    public func validate() throws {
        func bad(_ s: String) -> DataError { DataError(.invalidArgument, s) }
        if entities < 10 { throw bad("n_entities = \(entities) must be >= 10") }
        if relations < 1 { throw bad("n_relations = \(relations) must be >= 1") }
        if latentDim < 1 { throw bad("latent dim = \(latentDim) must be >= 1") }
        if factsPerEntity < 1 { throw bad("facts_per_entity = \(factsPerEntity) must be >= 1") }
        if modalityDims.count != missingFractions.count { throw bad("one missing fraction per modality is needed") }
        if let d = modalityDims.first(where: { $0 <= 0 }) { throw bad("modality dim = \(d) must be > 0") }
        if let f = missingFractions.first(where: { !($0 >= 0 && $0 < 1) }) {
            throw bad("missing fraction = \(f) must be in [0, 1)")
        }
        if !(featureNoise.isFinite && featureNoise >= 0 && featureNoise <= 1e6) {
            throw bad("feature_noise = \(featureNoise) must be finite and in [0, 1e6]")
        }
        if !(validFraction >= 0 && testFraction >= 0 && validFraction + testFraction < 0.9) {
            throw bad("valid and test fractions must be >= 0 and sum to < 0.9")
        }
    }
}

public enum SyntheticGraph {
    public static func make(_ spec: SyntheticGraphSpec = SyntheticGraphSpec()) throws -> KnowledgeGraph {
        try spec.validate()
        var rng = SplitMix64(seed: spec.seed)
        let E = spec.entities, k = spec.latentDim
        var z = [Float](repeating: 0, count: E * k)
        for i in z.indices { z[i] = rng.gaussian() }
        let rotations = (0..<spec.relations).map { _ in blockRotation(k, rng: &rng) }

        var facts: [Triple] = []
        var seen = Set<Triple>()
        let target = E * spec.factsPerEntity
        var q = [Float](repeating: 0, count: k)
        var attempts = 0
        while facts.count < target && attempts < target * 4 {
            attempts += 1
            let h = rng.below(E), r = rng.below(spec.relations)
            for i in 0..<k {
                var s: Float = 0
                for j in 0..<k { s += rotations[r][i * k + j] * z[h * k + j] }
                q[i] = s + 0.15 * rng.gaussian()
            }
            let t = nearest(q, z, k: k, excluding: h)
            let fact = Triple(h, r, t)
            if seen.insert(fact).inserted { facts.append(fact) }
        }
        // Shuffle, then split; held-out facts whose entities never appear in train are moved to train
        // so every evaluated entity has at least one structural fact (as in the real benchmarks, mostly).
        for i in stride(from: facts.count - 1, to: 0, by: -1) { facts.swapAt(i, rng.below(i + 1)) }
        let nValid = Int(Float(facts.count) * spec.validFraction), nTest = Int(Float(facts.count) * spec.testFraction)
        let heldOut = Array(facts[0..<(nValid + nTest)])
        var train = Array(facts[(nValid + nTest)...])
        var inTrain = [Bool](repeating: false, count: E)
        for f in train { inTrain[f.h] = true; inTrain[f.t] = true }
        var valid: [Triple] = [], test: [Triple] = []
        for (i, f) in heldOut.enumerated() {
            if !inTrain[f.h] || !inTrain[f.t] { train.append(f); inTrain[f.h] = true; inTrain[f.t] = true; continue }
            if i < nValid { valid.append(f) } else { test.append(f) }
        }

        var kg = KnowledgeGraph(entityCount: E, relationCount: spec.relations, train: train, valid: valid, test: test)
        let names = ["text", "image", "audio", "video"]
        for (m, dim) in spec.modalityDims.enumerated() {
            var proj = [Float](repeating: 0, count: dim * k)
            for i in proj.indices { proj[i] = rng.gaussian() / Float(k).squareRoot() }
            var values = [Float](repeating: 0, count: E * dim)
            var present = [Bool](repeating: true, count: E)
            for e in 0..<E {
                present[e] = rng.unit() >= spec.missingFractions[m]
                for i in 0..<dim {
                    var s: Float = 0
                    for j in 0..<k { s += proj[i * k + j] * z[e * k + j] }
                    values[e * dim + i] = s + spec.featureNoise * rng.gaussian()
                }
            }
            let name = m < names.count ? names[m] : "modality\(m)"
            try kg.addModality(name: name, dim: dim, values: values, present: present)
        }
        try kg.validate()
        return kg
    }

    /// A k×k rotation of 2×2 blocks with random angles (an odd last coordinate is kept fixed), row-major.
    static func blockRotation(_ k: Int, rng: inout SplitMix64) -> [Float] {
        var a = [Float](repeating: 0, count: k * k)
        var i = 0
        while i + 1 < k {
            let th = rng.uniform(0, 2 * Float.pi), c = _cosf(th), s = _sinf(th)
            a[i * k + i] = c; a[i * k + i + 1] = -s
            a[(i + 1) * k + i] = s; a[(i + 1) * k + i + 1] = c
            i += 2
        }
        if k % 2 == 1 { a[(k - 1) * k + k - 1] = 1 }
        return a
    }

    static func nearest(_ q: [Float], _ z: [Float], k: Int, excluding: Int) -> Int {
        var best = -1, bestD = Float.infinity
        for e in 0..<(z.count / k) where e != excluding {
            var d: Float = 0
            for j in 0..<k { let x = z[e * k + j] - q[j]; d += x * x }
            if d < bestD { bestD = d; best = e }
        }
        return best
    }
}
