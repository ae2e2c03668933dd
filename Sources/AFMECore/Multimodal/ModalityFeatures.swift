// The features a multi-modal model holds: every entity's row of each modality, absent rows filled.

/// One feature modality as the model holds it: features for every entity, missing rows filled.
public struct ModalityFeatures: Sendable {
    public let name: String
    public let dim: Int
    /// [E, dim]; rows of absent entities hold the fill (mean feature, or a random vector for MissingFill.random).
    public internal(set) var values: [Float]
    public let present: [Bool]
    /// Mean of the present rows: the input the generator starts from when the modality is missing.
    public let mean: [Float]
}

extension ModalityFeatures {
    /// Fills absent rows: the modality mean, or (`randomly`) a fixed random vector per entity
    /// scaled to the mean norm of the present rows.
    public static func filling(_ m: FeatureModality, randomly: Bool, rng: inout SplitMix64) -> ModalityFeatures {
        let E = m.present.count, d = m.dim
        var mean = [Float](repeating: 0, count: d)
        var presentCount = 0, normSum: Float = 0
        for e in 0..<E where m.present[e] {
            presentCount += 1
            var s: Float = 0
            for j in 0..<d { let v = m.values[e * d + j]; mean[j] += v; s += v * v }
            normSum += s.squareRoot()
        }
        if presentCount > 0 { for j in 0..<d { mean[j] /= Float(presentCount) } }
        let meanNorm = presentCount > 0 ? normSum / Float(presentCount) : 0
        var values = m.values
        for e in 0..<E where !m.present[e] {
            if randomly {
                var v = (0..<d).map { _ in rng.gaussian() }
                let n = max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                for j in 0..<d { v[j] *= meanNorm / n }
                for j in 0..<d { values[e * d + j] = v[j] }
            } else {
                for j in 0..<d { values[e * d + j] = mean[j] }
            }
        }
        return ModalityFeatures(name: m.name, dim: d, values: values, present: m.present, mean: mean)
    }
}
