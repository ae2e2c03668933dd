// Inference on a trained AFME model. Everything that does not depend on the query is computed once:
// the modality projections of all entities once per scorer, and per relation the joint table of all
// entities under r (gates, completion, weights). A query block of relation r then costs one anchor per
// query and one scan of that table, exactly like a structural model. Every product runs row by row
// (RowwiseProducts), so a triple's score is the same bits whichever path, call or thread computes it.
// A scorer assumes the model's weights do not change while it lives (training makes a new one).
import Dispatch

public final class AFMEScorer: LinkScorer {
    public let model: AFMEModel
    public var entityCount: Int { model.entityCount }
    public var relationCount: Int { model.relationCount }
    /// Tables kept at once. FilteredRanker walks queries sorted by relation with one contiguous range per
    /// thread, so a few tables give every thread its current relation.
    let capacity: Int
    private var tables: [Int: [Float]] = [:]
    /// The model's projected modality vectors, shared by every table and by triple scoring (computed
    /// with the first table, or by the first triple-scoring call touching an eighth of the entities).
    private var projected: [[Float]]? = nil
    private var recent: [Int] = []
    private let lock = DispatchSemaphore(value: 1)

    /// Threads for the candidate scan; table computation splits its products over rows the same way.
    let threads: Int
    public var parallelizesInternally: Bool { true }

    public init(model: AFMEModel, threads: Int = 0, cachedRelations: Int = 4) {
        self.model = model
        self.threads = threads > 0 ? threads : SystemInfo.coreCount
        capacity = max(1, cachedRelations)
    }

    /// The joint table of relation r, computed on first use (one computation at a time: it runs BLAS).
    public func table(relation r: Int) -> [Float] {
        lock.wait(); defer { lock.signal() }
        if let t = tables[r] {
            recent.removeAll { $0 == r }; recent.append(r)
            return t
        }
        let t = Parallel.withThreads(threads) {
            model.jointTable(relation: r, projected: projectedLocked(compute: true))
        }
        tables[r] = t; recent.append(r)
        if recent.count > capacity { tables[recent.removeFirst()] = nil }
        return t
    }

    /// `projected`, computed now if `compute` and not yet there. The caller holds `lock`.
    private func projectedLocked(compute: Bool) -> [[Float]]? {
        if projected == nil && compute { projected = model.projectedFeatures() }
        return projected
    }

    public func scoreAllCandidates(_ queries: UnsafeBufferPointer<Query>, out: UnsafeMutablePointer<Float>) {
        let f = model.score, W = f.entityWidth, RW = f.relationWidth, E = entityCount
        var start = 0
        let anchors = UnsafeMutablePointer<Float>.allocate(capacity: max(queries.count, 1) * W)
        defer { anchors.deallocate() }
        model.relations.value.data.withUnsafeBufferPointer { rel in
            while start < queries.count {
                // Runs of one relation share a table.
                let r = Int(queries[start].relation)
                var end = start
                while end < queries.count && Int(queries[end].relation) == r { end += 1 }
                let table = self.table(relation: r)
                table.withUnsafeBufferPointer { tb in
                    for i in start..<end {
                        let q = queries[i]
                        f.anchor(
                            entity: tb.baseAddress! + Int(q.entity) * W, relation: rel.baseAddress! + r * RW,
                            direction: q.direction, out: anchors + i * W)
                    }
                    let n = end - start, T = max(1, min(threads, n))
                    Parallel.forEachChunk(T) { chunk in
                        let r = Parallel.range(of: chunk, chunks: T, count: n)
                        CandidateScan.scores(
                            f, anchors: anchors + (start + r.lowerBound) * W, count: r.count, table: tb.baseAddress!,
                            rows: E, out: out + (start + r.lowerBound) * E)
                    }
                }
                start = end
            }
        }
    }

    public func scoreTriples(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>) {
        Parallel.withThreads(threads) { scoreTriplesInScope(triples, out: out) }
    }

    private func scoreTriplesInScope(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>) {
        let f = model.score, W = f.entityWidth, RW = f.relationWidth
        // Group by relation so each relation's rows are fused once per call.
        let order = triples.indices.sorted { (triples[$0].r, $0) < (triples[$1].r, $1) }
        // Projecting every entity pays once a call touches a good share of them; a small call projects
        // only its own rows (unless the projections are already there).
        var touched = Set<Int>()
        for t in triples { touched.insert(t.h); touched.insert(t.t) }
        let projected: [[Float]]? = {
            lock.wait(); defer { lock.signal() }; return projectedLocked(compute: touched.count * 8 >= entityCount)
        }()
        var anchor = [Float](repeating: 0, count: W)
        var s = 0
        while s < order.count {
            let r = triples[order[s]].r
            var e = s
            while e < order.count && triples[order[e]].r == r { e += 1 }
            let idx = order[s..<e]
            // Distinct entities of the run, and each triple's head and tail row among them.
            var ents: [Int] = [], local: [Int: Int] = [:], headRow: [Int] = [], tailRow: [Int] = []
            func rowOf(_ x: Int) -> Int {
                if let i = local[x] { return i }
                local[x] = ents.count; ents.append(x); return ents.count - 1
            }
            for i in idx { headRow.append(rowOf(triples[i].h)); tailRow.append(rowOf(triples[i].t)) }
            let rows = AFMEModel.inference { () -> [Float] in
                var none: SplitMix64? = nil
                let pairs = PairRows(
                    entities: ents, rowEntity: Array(0..<ents.count),
                    rowRelation: [Int](repeating: r, count: ents.count))
                return model.fuse(
                    pairs, structural: Var(model.structuralRows(ents)), relations: model.relations, noise: &none,
                    projected: projected
                ).joint.value.data
            }
            rows.withUnsafeBufferPointer { jb in
                model.relations.value.data.withUnsafeBufferPointer { rel in
                    anchor.withUnsafeMutableBufferPointer { a in
                        for (j, i) in idx.enumerated() {
                            f.anchor(
                                entity: jb.baseAddress! + headRow[j] * W, relation: rel.baseAddress! + r * RW,
                                direction: .tail, out: a.baseAddress!)
                            out[i] = f.gamma - f.distance(a.baseAddress!, jb.baseAddress! + tailRow[j] * W)
                        }
                    }
                }
            }
            s = e
        }
    }
}
