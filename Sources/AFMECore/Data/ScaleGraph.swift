// The scale generator: graphs of the size users run (up to Wikidata5M's shape: 4.6 M entities, 822
// relations, 20.6 M training triples) with power-law degrees, planted structure a model can learn, and
// optionally a feature modality whose rows carry that structure. Generation is O(triples); a cache file
// keeps a generated graph so benchmarks pay for it once.
//
// The structure: entities are ranked by popularity (a random permutation of ids) and rank g belongs to
// cluster g mod C. A fact draws its relation and head by Zipf laws over relations and entity ranks; the
// tail comes from the cluster π_r(cluster(head)), with π_r(c) = (a_r·c + b_r) mod C a bijection, its rank
// in that cluster again Zipf-distributed; a fraction `noise` of tails is uniform instead. A relation is
// therefore a permutation of clusters, which rotation and translation models can represent, and
// popular entities have many facts. Feature rows are their cluster's random centroid plus noise.

public struct ScaleGraphSpec: Sendable, Equatable {
    public var entities = 100_000
    public var relations = 100
    /// Facts drawn before de-duplication; the splits take `valid` and `test` of them.
    public var triples = 1_000_000
    public var valid = 5000
    public var test = 5000
    /// Entity clusters (C); more clusters make the planted rule finer.
    public var clusters = 1000
    /// Exponent s of the Zipf laws (weight of rank k ∝ 1 / (k + 1)^s) for entities and relations.
    public var zipf: Double = 0.8
    /// Fraction of tails drawn uniformly.
    public var noise: Double = 0.1
    /// Dimension of the feature modality "text"; 0 = none.
    public var featureDim = 0
    /// Feature noise std relative to the unit-variance centroid.
    public var featureNoise: Float = 0.5
    public var seed: UInt64 = 1

    public init() {}

    /// Options in text form, `key=value` separated by spaces, commas or newlines (the C ABI, CLI and
    /// Python pass them so).
    public init(parsing text: String) throws {
        self.init()
        for item in text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" }) {
            guard let eq = item.firstIndex(of: "=") else {
                throw DataError(.invalidArgument, "scale graph option \(quoted(String(item))) is not key=value")
            }
            try set(String(item[..<eq]), String(item[item.index(after: eq)...]))
        }
        try validate()
    }

    static let keys = [
        "entities", "relations", "triples", "valid", "test", "clusters", "zipf", "noise", "feature_dim",
        "feature_noise", "seed",
    ]

    mutating func set(_ key: String, _ value: String) throws {
        func int() throws -> Int {
            guard let v = Int(value) else {
                throw DataError(.invalidArgument, "\(key) = \(quoted(value)) is not an integer")
            }
            return v
        }
        func real() throws -> Double {
            guard let v = Double(value), v.isFinite else {
                throw DataError(.invalidArgument, "\(key) = \(quoted(value)) is not a finite number")
            }
            return v
        }
        switch key {
        case "entities": entities = try int()
        case "relations": relations = try int()
        case "triples": triples = try int()
        case "valid": valid = try int()
        case "test": test = try int()
        case "clusters": clusters = try int()
        case "zipf": zipf = try real()
        case "noise": noise = try real()
        case "feature_dim": featureDim = try int()
        case "feature_noise": featureNoise = Float(try real())
        case "seed":
            guard let v = UInt64(value) else {
                throw DataError(.invalidArgument, "seed = \(quoted(value)) is not a uint64")
            }
            seed = v
        default:
            throw DataError(
                .invalidArgument,
                "unknown scale graph option \(quoted(key)); the options are \(ScaleGraphSpec.keys.joined(separator: ", "))"
            )
        }
    }

    /// The canonical text: every field, so equal specs give equal text (the cache's key).
    public var text: String {
        "entities=\(entities) relations=\(relations) triples=\(triples) valid=\(valid) test=\(test) "
            + "clusters=\(clusters) zipf=\(zipf) noise=\(noise) feature_dim=\(featureDim) "
            + "feature_noise=\(featureNoise) seed=\(seed)"
    }

    public func validate() throws {
        func bad(_ s: String) -> DataError { DataError(.invalidArgument, s) }
        if entities < 10 || entities > 100_000_000 { throw bad("entities = \(entities) must be in 10...100000000") }
        if relations < 1 || relations > 1_000_000 { throw bad("relations = \(relations) must be in 1...1000000") }
        if triples < 10 || triples > 200_000_000 { throw bad("triples = \(triples) must be in 10...200000000") }
        if valid < 0 || test < 0 || valid + test > triples / 2 {
            throw bad("valid and test must be >= 0 and together at most half of triples")
        }
        if clusters < 1 || clusters > entities { throw bad("clusters = \(clusters) must be in 1...entities") }
        if !(zipf >= 0 && zipf <= 3) { throw bad("zipf = \(zipf) must be in [0, 3]") }
        if !(noise >= 0 && noise <= 1) { throw bad("noise = \(noise) must be in [0, 1]") }
        if featureDim < 0 || featureDim > 4096 { throw bad("feature_dim = \(featureDim) must be in 0...4096") }
        if Double(entities) * Double(featureDim) > 4e9 {
            throw bad("entities × feature_dim = \(Double(entities) * Double(featureDim)) exceeds 4e9 floats")
        }
        if !(featureNoise.isFinite && featureNoise >= 0 && featureNoise <= 1e3) {
            throw bad("feature_noise = \(featureNoise) must be in [0, 1000]")
        }
    }
}

public enum ScaleGraph {
    /// Bytes generation holds at its peak: the rank permutation and Zipf tables, a packed code per fact,
    /// the splits as triples and the graph's de-duplication set over them, the entity names, and the
    /// feature matrix (built, then copied into the graph).
    public static func estimatedBytes(_ spec: ScaleGraphSpec) -> Double {
        let E = Double(spec.entities), T = Double(spec.triples), stride = Double(MemoryLayout<Triple>.stride)
        return E * (4 + 8 + 8 + 16) + T * (8 + 2 * stride + 2 * stride) + E * Double(spec.featureDim) * 4 * 2
    }

    /// Generates the graph `spec` describes. Deterministic in the spec. A spec whose generation would not
    /// fit in the memory available is refused before anything is allocated.
    public static func make(_ spec: ScaleGraphSpec) throws -> KnowledgeGraph {
        try spec.validate()
        try MemoryBudget.check(estimatedBytes(spec), for: "generating the scale graph")
        var rng = SplitMix64(seed: spec.seed)
        let E = spec.entities, R = spec.relations, C = spec.clusters
        var byRank = [Int32](0..<Int32(E))
        for i in stride(from: E - 1, to: 0, by: -1) { byRank.swapAt(i, rng.below(i + 1)) }
        let entityLaw = ZipfLaw(count: E, exponent: spec.zipf)
        let clusterSize = (E + C - 1) / C
        let memberLaw = ZipfLaw(count: clusterSize, exponent: spec.zipf)
        let relationLaw = ZipfLaw(count: R, exponent: spec.zipf)
        // π_r(c) = (a·c + b) mod C with a coprime to C: a bijection of the clusters.
        let maps: [(a: Int, b: Int)] = (0..<R).map { _ in
            var a = 1 + rng.below(max(C - 1, 1))
            while gcd(a, C) != 1 { a = 1 + rng.below(max(C - 1, 1)) }
            return (a, rng.below(C))
        }
        var codes = [UInt64]()
        codes.reserveCapacity(spec.triples)
        for _ in 0..<spec.triples {
            let r = relationLaw.draw(&rng), gh = entityLaw.draw(&rng)
            var gt: Int
            if rng.unitDouble() < spec.noise {
                gt = rng.below(E)
            } else {
                let target = (maps[r].a * (gh % C) + maps[r].b) % C
                repeat { gt = memberLaw.draw(&rng) * C + target } while gt >= E
            }
            let h = Int(byRank[gh]), t = Int(byRank[gt])
            if h == t { continue }
            codes.append(NegativeSampler.pack(h, r, t, R, E))
        }
        // De-duplicate, then shuffle so the splits are uniform over facts.
        codes.sort()
        var unique = 0
        for i in codes.indices where i == 0 || codes[i] != codes[i - 1] { codes[unique] = codes[i]; unique += 1 }
        codes.removeLast(codes.count - unique)
        for i in stride(from: codes.count - 1, to: 0, by: -1) { codes.swapAt(i, rng.below(i + 1)) }
        func triple(_ c: UInt64) -> Triple {
            let hr = c / UInt64(E)
            return Triple(Int(hr / UInt64(R)), Int(hr % UInt64(R)), Int(c % UInt64(E)))
        }
        let heldOut = min(spec.valid + spec.test, codes.count / 2)
        var train = codes[heldOut...].map(triple)
        var seen = [Bool](repeating: false, count: E)
        for f in train { seen[f.h] = true; seen[f.t] = true }
        var valid: [Triple] = [], test: [Triple] = []
        // Held-out facts with an entity never seen in train go to train (a transductive benchmark).
        for (i, c) in codes[0..<heldOut].enumerated() {
            let f = triple(c)
            if !seen[f.h] || !seen[f.t] { train.append(f); seen[f.h] = true; seen[f.t] = true; continue }
            if i < spec.valid { valid.append(f) } else { test.append(f) }
        }
        codes = []
        var kg = KnowledgeGraph(entityCount: E, relationCount: R, train: train, valid: valid, test: test)
        if spec.featureDim > 0 {
            let D = spec.featureDim
            var centroids = [Float](repeating: 0, count: C * D)
            for i in centroids.indices { centroids[i] = rng.gaussian() }
            var values = [Float](repeating: 0, count: E * D)
            for g in 0..<E {
                let e = Int(byRank[g]), c = g % C
                for j in 0..<D { values[e * D + j] = centroids[c * D + j] + spec.featureNoise * rng.gaussian() }
            }
            try kg.addModality(name: "text", dim: D, values: values, present: [Bool](repeating: true, count: E))
        }
        try kg.validate()
        return kg
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}

/// Draws ranks 0..<count with P(k) ∝ 1 / (k + 1)^s by inverse CDF (binary search over the cumulative
/// weights).
struct ZipfLaw {
    let cumulative: [Double]

    init(count: Int, exponent s: Double) {
        var c = [Double](repeating: 0, count: count), total = 0.0
        for k in 0..<count { total += _exp(-s * _log(Double(k + 1))); c[k] = total }
        cumulative = c.map { $0 / total }
    }

    func draw(_ rng: inout SplitMix64) -> Int {
        let u = rng.unitDouble()
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1) with 53 bits.
    mutating func unitDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
}
