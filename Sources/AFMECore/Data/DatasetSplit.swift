// A reproducible split when a pipeline has one set of triples: valid and test are drawn at random (by
// seed) among triples whose removal leaves every entity and relation of them in the training triples,
// so every valid/test query can be ranked by a model trained on train.

extension KnowledgeGraph {
    /// A new graph whose train is this graph's train minus the drawn valid and test triples (this graph's
    /// own valid and test are ignored; modalities and names are kept). Fewer triples than asked are drawn
    /// only when the graph has too few removable ones: `validCount`/`testCount` of the result say how many.
    public func split(validFraction: Double, testFraction: Double, seed: UInt64) throws -> KnowledgeGraph {
        guard validFraction.isFinite, testFraction.isFinite, validFraction >= 0, testFraction >= 0,
            validFraction + testFraction < 1
        else {
            throw DataError(
                .invalidArgument,
                "split fractions \(validFraction) and \(testFraction): each in [0, 1), their sum below 1")
        }
        var order = Array(train.indices)
        var rng = SplitMix64(seed: seed)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        var entityDegree = [Int](repeating: 0, count: entityCount),
            relationDegree = [Int](repeating: 0, count: relationCount)
        for t in train { entityDegree[t.h] += 1; entityDegree[t.t] += 1; relationDegree[t.r] += 1 }
        let wanted = [
            Int((validFraction * Double(train.count)).rounded()), Int((testFraction * Double(train.count)).rounded()),
        ]
        var drawn: [[Triple]] = [[], []]
        var kept = [Bool](repeating: true, count: train.count)
        var target = 0
        for i in order {
            while target < 2 && drawn[target].count >= wanted[target] { target += 1 }
            if target == 2 { break }
            let t = train[i]
            // Removing t must leave h, t (twice if h == t) and r in train.
            let need = t.h == t.t ? 2 : 1
            guard entityDegree[t.h] > need, entityDegree[t.t] > need, relationDegree[t.r] > 1 else { continue }
            entityDegree[t.h] -= 1; entityDegree[t.t] -= 1; relationDegree[t.r] -= 1
            kept[i] = false
            drawn[target].append(t)
        }
        var out = KnowledgeGraph(
            entityCount: entityCount, relationCount: relationCount, entityNames: entityNames,
            relationNames: relationNames, train: train.indices.filter { kept[$0] }.map { train[$0] },
            valid: drawn[0], test: drawn[1], modalities: modalities)
        out.duplicateTrainTriplesRemoved = duplicateTrainTriplesRemoved
        return out
    }
}
