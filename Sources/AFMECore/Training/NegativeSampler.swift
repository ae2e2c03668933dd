// Negative sampling (afme.txt eq. 2): replace the head or the tail of each positive with random entities.

public struct NegativeSampler: Sendable {
    let entityCount: Int
    let mode: NegativeSampling
    /// P(corrupt head) per relation, for the Bernoulli rule.
    let headProbability: [Float]
    /// Known true triples (train), packed, when negatives are filtered.
    let known: Set<UInt64>?
    let relationCount: Int

    public init(graph: KnowledgeGraph, mode: NegativeSampling, filter: Bool) {
        entityCount = graph.entityCount
        relationCount = graph.relationCount
        self.mode = mode
        var tph = [Float](repeating: 0.5, count: graph.relationCount)
        if mode == .bernoulli {
            // tph: mean number of tails per (head, relation); hpt: mean heads per (relation, tail).
            var heads = [Set<Int>](repeating: [], count: graph.relationCount), tails = heads
            var count = [Int](repeating: 0, count: graph.relationCount)
            for t in graph.train { heads[t.r].insert(t.h); tails[t.r].insert(t.t); count[t.r] += 1 }
            for r in 0..<graph.relationCount where count[r] > 0 {
                let tp = Float(count[r]) / Float(max(heads[r].count, 1)),
                    hp = Float(count[r]) / Float(max(tails[r].count, 1))
                tph[r] = tp / (tp + hp)
            }
        }
        headProbability = tph
        known =
            filter
            ? Set(graph.train.map { NegativeSampler.pack($0.h, $0.r, $0.t, graph.relationCount, graph.entityCount) })
            : nil
    }

    @inline(__always)
    static func pack(_ h: Int, _ r: Int, _ t: Int, _ R: Int, _ E: Int) -> UInt64 {
        (UInt64(h) &* UInt64(R) &+ UInt64(r)) &* UInt64(E) &+ UInt64(t)
    }

    /// Fills `directions[i]` and `negatives[i*k ..< (i+1)*k]` for each positive.
    public func sample(
        _ batch: ArraySlice<Triple>, k: Int, rng: inout SplitMix64,
        directions: inout [Direction], negatives: inout [Int32]
    ) {
        directions.removeAll(keepingCapacity: true)
        negatives.removeAll(keepingCapacity: true)
        for p in batch {
            let corruptHead = rng.unit() < headProbability[p.r]
            directions.append(corruptHead ? .head : .tail)
            for _ in 0..<k {
                var e = rng.below(entityCount)
                if let known {
                    // Bounded retries: a relation can make almost every entity a true answer.
                    var tries = 0
                    while tries < 10
                        && known.contains(
                            corruptHead
                                ? NegativeSampler.pack(e, p.r, p.t, relationCount, entityCount)
                                : NegativeSampler.pack(p.h, p.r, e, relationCount, entityCount))
                    {
                        e = rng.below(entityCount); tries += 1
                    }
                }
                negatives.append(Int32(e))
            }
        }
    }
}
