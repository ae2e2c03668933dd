// Negative sampling (afme.txt eq. 2): replace the head or the tail of each positive with random entities.
//
// Two strategies share the corruption rule (uniform or Bernoulli) and the known-triple filter:
// - per positive (`sample`): k entities drawn for each positive, for models whose candidate rows are
//   entity rows;
// - per-relation pools (`drawPool`, `poolDirection`, `drawFromPool`): the positives of one relation in a
//   batch draw their k negatives (with replacement) from one pool of uniformly drawn entities, for models
//   whose candidate rows depend on the relation (AFME's joint rows), so each (entity, relation) row is
//   computed once per batch however many positives use it.

public struct NegativeSampler: Sendable {
    let entityCount: Int
    let mode: NegativeSampling
    /// P(corrupt head) per relation, for the Bernoulli rule.
    let headProbability: [Float]
    /// Known true triples (train), packed, when negatives are filtered.
    let known: Set<UInt64>?
    let relationCount: Int
    /// Redraws of a negative that is a known triple: bounded, since a relation can make almost every
    /// entity a true answer.
    static let filterRetries = 10

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

    /// True if replacing the corrupted side of `p` with `e` gives a known training triple.
    @inline(__always)
    func isKnown(_ known: Set<UInt64>, _ p: Triple, _ direction: Direction, _ e: Int) -> Bool {
        known.contains(
            direction == .head
                ? NegativeSampler.pack(e, p.r, p.t, relationCount, entityCount)
                : NegativeSampler.pack(p.h, p.r, e, relationCount, entityCount))
    }

    /// Fills `directions[i]` and `negatives[i*k ..< (i+1)*k]` for each positive. With `shared` > 0 the
    /// positives go in chunks of `shared` (the last may be shorter) and each chunk draws its k entities
    /// once, after its directions: every positive of the chunk has the same negatives, so their rows are
    /// read from the table once per chunk (PyTorch-BigGraph's shared negatives; the filter does not apply).
    public func sample(
        _ batch: ArraySlice<Triple>, k: Int, shared: Int = 0, rng: inout SplitMix64,
        directions: inout [Direction], negatives: inout [Int32]
    ) {
        directions.removeAll(keepingCapacity: true)
        negatives.removeAll(keepingCapacity: true)
        if shared > 0 {
            var start = batch.startIndex
            while start < batch.endIndex {
                let end = min(start + shared, batch.endIndex)
                for p in batch[start..<end] { directions.append(rng.unit() < headProbability[p.r] ? .head : .tail) }
                let draw = (0..<k).map { _ in Int32(rng.below(entityCount)) }
                for _ in start..<end { negatives.append(contentsOf: draw) }
                start = end
            }
            return
        }
        for p in batch {
            let direction: Direction = rng.unit() < headProbability[p.r] ? .head : .tail
            directions.append(direction)
            for _ in 0..<k {
                var e = rng.below(entityCount)
                if let known {
                    var tries = 0
                    while tries < NegativeSampler.filterRetries && isKnown(known, p, direction, e) {
                        e = rng.below(entityCount); tries += 1
                    }
                }
                negatives.append(Int32(e))
            }
        }
    }

    /// A relation's pool: `size` uniformly drawn entities.
    public func drawPool(size: Int, rng: inout SplitMix64) -> [Int] {
        (0..<size).map { _ in rng.below(entityCount) }
    }

    /// The corrupted side of a positive under the pooled strategy. The uniform rule is a fair coin drawn
    /// as `below(2)` here (as AFME has always drawn it, so its runs stay bit-identical); the Bernoulli rule
    /// is the per-positive strategy's.
    public func poolDirection(relation r: Int, rng: inout SplitMix64) -> Direction {
        switch mode {
        case .uniform: return rng.below(2) == 0 ? .tail : .head
        case .bernoulli: return rng.unit() < headProbability[r] ? .head : .tail
        }
    }

    /// Appends k indices into `pool` (drawn with replacement) as the negatives of `p`, redrawing from the
    /// pool while a negative is a known triple.
    public func drawFromPool(
        _ pool: [Int], positive p: Triple, direction: Direction, k: Int, rng: inout SplitMix64,
        into indices: inout [Int32], offset: Int
    ) {
        for _ in 0..<k {
            var j = rng.below(pool.count)
            if let known {
                var tries = 0
                while tries < NegativeSampler.filterRetries && isKnown(known, p, direction, pool[j]) {
                    j = rng.below(pool.count); tries += 1
                }
            }
            indices.append(Int32(offset + j))
        }
    }
}
