// Structural embeddings: the entity and relation tables of a RotatE or TransE model.

/// Learnable entity and relation tables plus the score function that reads them.
public struct KGEModel: Sendable {
    public let score: ScoreFunction
    public let entityCount: Int
    public let relationCount: Int
    /// [E, score.entityWidth], padding columns zero.
    public var entities: [Float]
    /// [R, score.relationWidth], padding columns zero.
    public var relations: [Float]

    /// Uniform initialisation in ±(γ+ε)/D, the range of the RotatE reference code.
    public init(score: ScoreFunction, entityCount: Int, relationCount: Int, epsilon: Float = 2, rng: inout SplitMix64) {
        self.score = score
        self.entityCount = entityCount
        self.relationCount = relationCount
        let range = (score.gamma + epsilon) / Float(score.dim)
        entities = [Float](repeating: 0, count: entityCount * score.entityWidth)
        relations = [Float](repeating: 0, count: relationCount * score.relationWidth)
        for e in 0..<entityCount {
            for c in score.entityColumns {
                for j in c { entities[e * score.entityWidth + j] = rng.uniform(-range, range) }
            }
        }
        for r in 0..<relationCount {
            for j in 0..<score.dim { relations[r * score.relationWidth + j] = rng.uniform(-range, range) }
        }
    }

    public init(score: ScoreFunction, entityCount: Int, relationCount: Int, entities: [Float], relations: [Float]) {
        self.score = score; self.entityCount = entityCount; self.relationCount = relationCount
        self.entities = entities; self.relations = relations
    }

    /// Score of one triple (higher is more plausible).
    public func score(_ h: Int, _ r: Int, _ t: Int) -> Float {
        var anchor = [Float](repeating: 0, count: score.anchorWidth)
        return entities.withUnsafeBufferPointer { E in
            relations.withUnsafeBufferPointer { R in
                anchor.withUnsafeMutableBufferPointer { A in
                    score.anchor(
                        entity: E.baseAddress! + h * score.entityWidth,
                        relation: R.baseAddress! + r * score.relationWidth,
                        direction: .tail, out: A.baseAddress!)
                    return score.gamma - score.distance(A.baseAddress!, E.baseAddress! + t * score.entityWidth)
                }
            }
        }
    }
}

extension ScoreFunction {
    /// Column ranges of an entity row that hold live values (the rest is padding).
    public var entityColumns: [Range<Int>] {
        kind.isRotation ? [0..<dim, paddedDim..<(paddedDim + dim)] : [0..<dim]
    }
}
