// What a run stopped at an epoch boundary (by the progress hook or the time limit) needs to continue as
// if it had never stopped: the loop's position (epochs done, the current order of the training triples,
// the random state, early stopping's bookkeeping), every option it trained with, and the session's own
// state (current weights, optimiser moments, its own random streams, the best snapshot). A checkpoint
// keeps it as the ancillary section `rsum`, so readers that do not know it skip it.

public struct ResumeState: Sendable {
    public var epochsDone: Int
    var order: [Triple]
    var rng: UInt64
    var best: RankingMetrics?
    var bestEpoch: Int
    var misses: Int
    /// Every option of the kind as `option=value` lines (the training options are not in CONF).
    var options: String
    /// Of the training triples, so a resume on another dataset is refused.
    var fingerprint: UInt64
    /// The session's bytes (`TrainingSession.resumeBytes`).
    var session: [UInt8]

    /// Order-independent digest of `triples` and the table sizes.
    static func fingerprint(_ triples: [Triple], entities: Int, relations: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ (UInt64(entities) &* 31) ^ UInt64(relations)
        for t in triples {
            var x = SplitMix64(seed: NegativeSampler.pack(t.h, t.r, t.t, relations, entities))
            h = h &+ x.next()
        }
        return h
    }

    /// Refuses a dataset other than the one the run trained on (or a state whose order is not a
    /// permutation of its training triples).
    func check(against g: KnowledgeGraph) throws {
        let mine = ResumeState.fingerprint(g.train, entities: g.entityCount, relations: g.relationCount)
        guard fingerprint == mine, order.count == g.train.count,
            order.allSatisfy({ $0.h < g.entityCount && $0.t < g.entityCount && $0.r < g.relationCount }),
            ResumeState.fingerprint(order, entities: g.entityCount, relations: g.relationCount) == mine
        else {
            throw DataError(
                .invalidArgument,
                "the resume state belongs to another dataset (its training triples differ from this one's)")
        }
    }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        w.put(UInt64(epochsDone)); w.put(rng); w.put(fingerprint)
        w.put(UInt64(bestEpoch)); w.put(UInt64(misses))
        w.bytes.append(best == nil ? 0 : 1)
        let b = best
        w.put(UInt64(b?.count ?? 0))
        for x in [b?.meanRank ?? 0, b?.mrr ?? 0, b?.hits1 ?? 0, b?.hits3 ?? 0, b?.hits10 ?? 0] { w.put(x.bitPattern) }
        w.put(string: options)
        w.put(UInt64(order.count))
        for t in order { w.put(UInt32(t.h)); w.put(UInt32(t.r)); w.put(UInt32(t.t)) }
        w.put(UInt64(session.count)); w.bytes += session
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], path: String?) throws -> ResumeState {
        var r = ByteReader(bytes, from: 0, to: bytes.count, context: "section rsum", path: path)
        let epochs = try r.count(limit: 1_000_000, "epochs done"), rng = try r.u64(), fingerprint = try r.u64()
        let bestEpoch = try r.count(limit: 1_000_000, "best epoch"), misses = try r.count(limit: 1_000_000, "misses")
        let hasBest = try r.raw(1).first!
        let count = try r.u64()
        let v = try (0..<5).map { _ in Double(bitPattern: try r.u64()) }
        guard hasBest <= 1, count < 1 << 40, v.allSatisfy(\.isFinite) else {
            throw r.fail(.badFormat, "best validation out of range")
        }
        let options = try r.string(maxBytes: 1 << 16)
        let triples = try r.count(limit: r.remaining / 12, "order length")
        var order: [Triple] = []
        order.reserveCapacity(triples)
        for _ in 0..<triples {
            let h = try r.u32(), rel = try r.u32(), t = try r.u32()
            guard h <= UInt32(Int32.max), rel <= UInt32(Int32.max), t <= UInt32(Int32.max) else {
                throw r.fail(.badFormat, "a triple of the order has an id beyond 2^31 - 1")
            }
            order.append(Triple(Int(h), Int(rel), Int(t)))
        }
        let s = try r.count(limit: r.remaining, "session bytes")
        let session = Array(try r.raw(s))
        try r.expectEnd()
        return ResumeState(
            epochsDone: epochs, order: order, rng: rng,
            best: hasBest == 1
                ? RankingMetrics(count: Int(count), meanRank: v[0], mrr: v[1], hits1: v[2], hits3: v[3], hits10: v[4])
                : nil,
            bestEpoch: bestEpoch, misses: misses, options: options, fingerprint: fingerprint, session: session)
    }

    /// The request it trained with, read back through the option table.
    func request(kind: String) throws -> ModelRequest {
        var req = try ModelRequest(kind: kind)
        for line in options.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else {
                throw DataError(.badFormat, "section rsum: option line \(quoted(String(line))) has no '='")
            }
            try req.set(String(line[..<eq]), String(line[line.index(after: eq)...]))
        }
        return req
    }

    static func options(of request: ModelRequest) -> String {
        OptionTable.all.filter { $0.applies(to: request.kind) }.map { "\($0.name)=\($0.read(request))\n" }.joined()
    }
}

/// Reads and writes of a session's resume bytes.
public struct ResumeWriter {
    var w = ByteWriter()
    public init() {}
    public mutating func put(_ v: UInt64) { w.put(v) }
    public mutating func put(floats v: [Float]) { w.put(UInt64(v.count)); w.put(floats: v) }
    public var bytes: [UInt8] { w.bytes }
}

public struct ResumeReader {
    var r: ByteReader
    init(_ bytes: [UInt8]) { r = ByteReader(bytes, from: 0, to: bytes.count, context: "resume state", path: nil) }
    public mutating func u64() throws -> UInt64 { try r.u64() }
    /// A float table that must have `count` values.
    public mutating func floats(count: Int) throws -> [Float] {
        let n = try r.count(limit: r.remaining / 4, "table length")
        guard n == count else { throw r.fail(.badFormat, "a table of \(n) values where \(count) belong") }
        return try r.floats(n)
    }
    public func expectEnd() throws { try r.expectEnd() }
}
