// The one interface evaluation and inference need from a model: score every entity as the missing
// side of a block of queries. Structural models and AFME both implement it.

/// (h, r, ?) when direction is .tail (entity = h), (?, r, t) when .head (entity = t).
public struct Query: Hashable, Sendable {
    public var entity: Int32
    public var relation: Int32
    public var direction: Direction
    public init(entity: Int, relation: Int, direction: Direction) {
        self.entity = Int32(entity); self.relation = Int32(relation); self.direction = direction
    }
}

public protocol LinkScorer {
    var entityCount: Int { get }
    var relationCount: Int { get }
    /// Writes the score of every entity for each query into `out` ([queries.count, entityCount], row-major).
    /// Must be safe to call from several threads at once (read-only on the model).
    func scoreAllCandidates(_ queries: UnsafeBufferPointer<Query>, out: UnsafeMutablePointer<Float>)
    /// Scores of explicit triples.
    func scoreTriples(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>)
    /// Scores of the entities `ids` as the missing side of `query` (sampled ranking; SampledRanker.swift).
    func scoreCandidates(_ query: Query, _ ids: UnsafeBufferPointer<Int32>, out: UnsafeMutablePointer<Float>)
    /// True if `scoreAllCandidates` spreads one call over the cores itself (callers then use one thread).
    var parallelizesInternally: Bool { get }
}

extension LinkScorer {
    public var parallelizesInternally: Bool { false }
}

extension KGEModel: LinkScorer {
    public func scoreAllCandidates(_ queries: UnsafeBufferPointer<Query>, out: UnsafeMutablePointer<Float>) {
        let W = score.anchorWidth, E = entityCount
        let anchors = UnsafeMutablePointer<Float>.allocate(capacity: max(queries.count, 1) * W)
        defer { anchors.deallocate() }
        entities.withUnsafeBufferPointer { Ebuf in
            relations.withUnsafeBufferPointer { Rbuf in
                let ent = Ebuf.baseAddress!, rel = Rbuf.baseAddress!
                for (i, q) in queries.enumerated() {
                    score.anchor(
                        entity: ent + Int(q.entity) * score.entityWidth,
                        relation: rel + Int(q.relation) * score.relationWidth,
                        direction: q.direction, out: anchors + i * W)
                }
                CandidateScan.scores(score, anchors: anchors, count: queries.count, table: ent, rows: E, out: out)
            }
        }
    }

    public func scoreTriples(_ triples: UnsafeBufferPointer<Triple>, out: UnsafeMutablePointer<Float>) {
        for (i, t) in triples.enumerated() { out[i] = score(t.h, t.r, t.t) }
    }

    /// The query's anchor against each candidate row: the same arithmetic as the full scan, bit for bit.
    public func scoreCandidates(_ query: Query, _ ids: UnsafeBufferPointer<Int32>, out: UnsafeMutablePointer<Float>) {
        let W = score.entityWidth
        var anchor = [Float](repeating: 0, count: score.anchorWidth)
        entities.withUnsafeBufferPointer { Ebuf in
            relations.withUnsafeBufferPointer { Rbuf in
                anchor.withUnsafeMutableBufferPointer { A in
                    let ent = Ebuf.baseAddress!, a = A.baseAddress!
                    score.anchor(
                        entity: ent + Int(query.entity) * W,
                        relation: Rbuf.baseAddress! + Int(query.relation) * score.relationWidth,
                        direction: query.direction, out: a)
                    for (i, id) in ids.enumerated() { out[i] = score.gamma - score.distance(a, ent + Int(id) * W) }
                }
            }
        }
    }
}

/// The evaluation hot loop: γ − dist(anchor_q, row_e) for a block of anchors against every table row.
public enum CandidateScan {
    /// Tiles rows so a tile of candidates stays in cache while every anchor of the block passes over it:
    /// the table is read from memory once per block of anchors instead of once per anchor.
    public static func scores(
        _ f: ScoreFunction, anchors: UnsafePointer<Float>, count q: Int,
        table: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>
    ) {
        let W = f.entityWidth, tile = 64
        var start = 0
        while start < rows {
            let end = min(start + tile, rows)
            for i in 0..<q {
                let a = anchors + i * W, o = out + i * rows
                for e in start..<end { o[e] = f.gamma - f.distance(a, table + e * W) }
            }
            start = end
        }
    }
}
