import Foundation
import XCTest

import AFMECore

/// Ranks as threads of one process: the sum is taken in rank order, so every rank gets the same bits.
final class ThreadGroup: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var slots: [[Float]]
    private var arrived = 0, generation = 0
    private var sum: [Float] = []
    private(set) var calls = 0
    /// Floats summed by one rank over all calls.
    private(set) var floats = 0
    init(size: Int) { self.size = size; slots = Array(repeating: [], count: size) }

    func allReduce(rank: Int, _ v: UnsafeMutableBufferPointer<Float>) {
        condition.lock()
        let mine = generation
        slots[rank] = Array(v)
        arrived += 1
        if arrived == size {
            var s = slots[0]
            for r in 1..<size { for i in s.indices { s[i] += slots[r][i] } }
            sum = s; arrived = 0; generation += 1; calls += 1; floats += v.count
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        let out = sum
        condition.unlock()
        for i in 0..<v.count { v[i] = out[i] }
    }
}

final class ThreadRank: Collective {
    let rank: Int
    let group: ThreadGroup
    /// Fails (returns false) from this call on; nil never.
    var failAt: Int?
    private var count = 0
    init(_ rank: Int, _ group: ThreadGroup, failAt: Int? = nil) {
        self.rank = rank; self.group = group; self.failAt = failAt
    }
    var size: Int { group.size }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) -> Bool {
        count += 1
        if let failAt, count >= failAt { return false }
        group.allReduce(rank: rank, values)
        return true
    }
}

/// Rank 0 of 2 whose partner sends nothing (its sums are its own values), except where `corrupt` changes them.
final class Tampering: Collective {
    let corrupt: (Int, UnsafeMutableBufferPointer<Float>) -> Void
    private var calls = 0
    /// Floats of each call, in order.
    private(set) var counts: [Int] = []
    let size: Int
    init(size: Int = 2, _ corrupt: @escaping (Int, UnsafeMutableBufferPointer<Float>) -> Void) {
        self.size = size; self.corrupt = corrupt
    }
    var rank: Int { 0 }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) -> Bool {
        calls += 1
        counts.append(values.count)
        corrupt(calls, values)
        return true
    }
}

final class DataParallelTests: XCTestCase {
    func request(epochs: Int = 60) throws -> ModelRequest {
        var r = try ModelRequest(kind: "rotate")
        r.training = TrainingTests.config(epochs: epochs)
        r.training.threads = 1
        return r
    }

    /// Trains `size` ranks on threads; returns each rank's model and result.
    func trainRanks(
        _ kg: KnowledgeGraph, _ r: ModelRequest, size: Int, rowSync: RowSync = .automatic,
        group: ThreadGroup? = nil
    ) throws -> [(TrainedModel, TrainingResult)] {
        let group = group ?? ThreadGroup(size: size)
        final class Results: @unchecked Sendable {
            var items: [Result<(TrainedModel, TrainingResult), Error>?]
            let lock = NSLock()
            init(_ n: Int) { items = Array(repeating: nil, count: n) }
        }
        let out = Results(size)
        let threads = (0..<size).map { rank in
            Thread {
                var mine = r
                mine.training.collective = CollectiveHandle(ThreadRank(rank, group), rowSync: rowSync)
                let result = Result { try ModelRegistry.train(graph: kg, request: mine) }
                out.lock.withLock { out.items[rank] = result }
            }
        }
        for t in threads { t.stackSize = 8 << 20; t.start() }
        while out.lock.withLock({ out.items.contains { $0 == nil } }) { usleep(2000) }
        return try out.items.map { try $0!.get() }
    }

    func testOneRankIsTheSingleProcessRunBitForBit() throws {
        let kg = try SyntheticGraph.make()
        let plain = try request(epochs: 6)
        var alone = plain
        alone.training.collective = CollectiveHandle(ThreadRank(0, ThreadGroup(size: 1)))
        let (a, ra) = try ModelRegistry.train(graph: kg, request: plain)
        let (b, rb) = try ModelRegistry.train(graph: kg, request: alone)
        XCTAssertEqual(ra.history.map(\.meanLoss.bitPattern), rb.history.map(\.meanLoss.bitPattern))
        XCTAssertEqual(a.entityEmbeddings.values.map(\.bitPattern), b.entityEmbeddings.values.map(\.bitPattern))
    }

    /// Two ranks each train half of every epoch's batches; after each round they sum their changes, so
    /// they end with the same weights and losses, and the model learns as the single-process one does.
    func testTwoRanksAgreeAndLearnAsOneProcessDoes() throws {
        let kg = try SyntheticGraph.make()
        let r = try request()
        let ranks = try trainRanks(kg, r, size: 2)
        let (m0, r0) = ranks[0], (m1, r1) = ranks[1]
        XCTAssertEqual(r0.history.map(\.meanLoss.bitPattern), r1.history.map(\.meanLoss.bitPattern))
        XCTAssertEqual(m0.entityEmbeddings.values.map(\.bitPattern), m1.entityEmbeddings.values.map(\.bitPattern))
        XCTAssertEqual(m0.relationEmbeddings.values.map(\.bitPattern), m1.relationEmbeddings.values.map(\.bitPattern))
        XCTAssertEqual(r0.history.count, 60)
        let filter = FilterIndex(graph: kg)
        let (single, _) = try ModelRegistry.train(graph: kg, request: r)
        let one = FilteredRanker.evaluate(single.scorer(threads: 2), triples: kg.test, filter: filter, threads: 2)
            .metrics()
        let two = FilteredRanker.evaluate(m0.scorer(threads: 2), triples: kg.test, filter: filter, threads: 2)
            .metrics()
        let random = 2.0 / Double(kg.entityCount)
        XCTAssertGreaterThan(two.mrr, 20 * random, "2-rank test MRR \(two.mrr)")
        XCTAssertEqual(two.mrr, one.mrr, accuracy: 0.03, "2 ranks \(two.mrr) vs one process \(one.mrr)")
    }

    /// Small batches touch few entity rows: the ranks then sum only those rows' changes. That is the
    /// same arithmetic as summing the whole table's change, so both give the same bits, with a fraction
    /// of the floats.
    func testSparseRowSumsEqualDenseOnesBitForBitWithFewerFloats() throws {
        let kg = try SyntheticGraph.make()
        var r = try request(epochs: 2)
        r.training.batchSize = 16; r.training.negatives = 8; r.training.validateEvery = 0
        var floats: [RowSync: Int] = [:]
        var runs: [RowSync: [(TrainedModel, TrainingResult)]] = [:]
        for mode in RowSync.allCases {
            let group = ThreadGroup(size: 2)
            runs[mode] = try trainRanks(kg, r, size: 2, rowSync: mode, group: group)
            floats[mode] = group.floats
        }
        let bits = { (m: TrainedModel) in
            m.entityEmbeddings.values.map(\.bitPattern) + m.relationEmbeddings.values.map(\.bitPattern)
        }
        let reference = bits(runs[.dense]![0].0)
        for mode in RowSync.allCases {
            for rank in 0..<2 {
                XCTAssertEqual(bits(runs[mode]![rank].0), reference, "\(mode) rank \(rank)")
                XCTAssertEqual(
                    runs[mode]![rank].1.history.map(\.meanLoss.bitPattern),
                    runs[.dense]![0].1.history.map(\.meanLoss.bitPattern))
            }
        }
        XCTAssertEqual(floats[.automatic], floats[.sparse])
        XCTAssertLessThan(Double(floats[.sparse]!), 0.25 * Double(floats[.dense]!), "\(floats)")
        print("floats summed per rank, 2 epochs: \(floats)")
        // The runs learned (the comparison is not between untouched tables).
        let losses = runs[.sparse]![0].1.history.map(\.meanLoss)
        XCTAssertLessThan(losses[1], losses[0])
    }

    /// The multimodal kinds whose entity table changes row-sparsely (AFME, AdaMF-MAT, NATIVE) sum only
    /// touched rows too, with the same bits as the dense sum; their layers travel dense.
    func testLayeredKindsSumTouchedRowsWithTheDenseBits() throws {
        let kg = try SyntheticGraph.make()
        for kind in ["afme", "adamf_mat", "native"] {
            var r = try ModelRequest(kind: kind)
            r.training.dim = 8; r.training.negatives = 4; r.training.batchSize = 16; r.training.epochs = 1
            r.training.validateEvery = 0; r.training.threads = 1; r.training.seed = 9
            try r.set("noise_dim", "4")
            var out: [RowSync: (bits: [UInt32], floats: Int)] = [:]
            for mode in [RowSync.dense, .sparse] {
                let group = ThreadGroup(size: 2)
                let ranks = try trainRanks(kg, r, size: 2, rowSync: mode, group: group)
                let bits = ranks.map { (m, _) in
                    m.entityEmbeddings.values.map(\.bitPattern) + m.relationEmbeddings.values.map(\.bitPattern)
                }
                XCTAssertEqual(bits[0], bits[1], "\(kind) \(mode): ranks differ")
                out[mode] = (bits[0], group.floats)
            }
            XCTAssertEqual(out[.sparse]!.bits, out[.dense]!.bits, kind)
            // Their layers (all summed whole) are large next to this tiny table: the saving is smaller.
            XCTAssertLessThan(Double(out[.sparse]!.floats), 0.7 * Double(out[.dense]!.floats), kind)
        }
    }

    /// The sums come from the host's code: counts or row ids no rank could have sent stop training with
    /// an error instead of writing outside the table.
    func testImpossibleSumsAreRefused() throws {
        let kg = try SyntheticGraph.make()
        var r = try request(epochs: 1)
        r.training.batchSize = 16; r.training.negatives = 8; r.training.validateEvery = 0
        // Untampered, the same run trains: the failures below are the tampering's.
        r.training.collective = CollectiveHandle(Tampering { _, _ in }, rowSync: .sparse)
        XCTAssertNoThrow(try ModelRegistry.train(graph: kg, request: r))
        for (name, corrupt) in [
            ("NaN counts", { (call: Int, v: UnsafeMutableBufferPointer<Float>) in if call == 1 { v[0] = .nan } }),
            ("huge count", { call, v in if call == 1 { v[3] = 30000 } }),
            ("row id out of range", { call, v in if call == 2 { v[0] = 65535; v[1] = 100 } }),
            ("fractional row id", { call, v in if call == 2 { v[0] += 0.5 } }),
        ] as [(String, (Int, UnsafeMutableBufferPointer<Float>) -> Void)] {
            r.training.collective = CollectiveHandle(Tampering(corrupt), rowSync: .sparse)
            XCTAssertThrowsError(try ModelRegistry.train(graph: kg, request: r), name) { e in
                XCTAssertEqual((e as? DataError)?.kind, .io, name)
            }
        }
    }

    /// Counts claiming every row for every other rank would make the pair buffer many tables large (a failed
    /// allocation traps): past twice the table the round sums the whole table instead, even when forced.
    func testClaimsOfEveryRowFallBackToTheWholeTable() throws {
        let kg = try SyntheticGraph.make()
        var r = try request(epochs: 1)
        r.training.batchSize = 16; r.training.negatives = 8; r.training.validateEvery = 0
        let E = kg.entityCount
        // Ranks 1 and 2 each claim all E rows (a count is two 16-bit halves after rank 0's).
        let tamper = Tampering(size: 3) { call, v in
            if call == 1 { for at in [2, 4] { v[at] = Float(E & 0xFFFF); v[at + 1] = Float(E >> 16) } }
        }
        r.training.collective = CollectiveHandle(tamper, rowSync: .sparse)
        _ = try ModelRegistry.train(graph: kg, request: r)
        let W = ScoreFunction(kind: .rotatE, dim: r.training.dim, gamma: r.training.gamma).entityWidth
        XCTAssertGreaterThanOrEqual(tamper.counts.count, 2)
        XCTAssertEqual(tamper.counts[1], E * W, "the second call must be the whole table, not (row, change) pairs")
    }

    func testAFailedAllReduceStopsTrainingWithAnError() throws {
        let kg = try SyntheticGraph.make()
        var r = try request(epochs: 3)
        let group = ThreadGroup(size: 2)
        r.training.collective = CollectiveHandle(ThreadRank(0, group, failAt: 1))
        XCTAssertThrowsError(try ModelRegistry.train(graph: kg, request: r)) { e in
            XCTAssertEqual((e as? DataError)?.kind, .io)
            XCTAssert("\(e)".contains("all-reduce failed in epoch 1 (rank 0 of 2)"), "\(e)")
        }
    }

    func testBadGroupsAndTimeLimitsAreRefused() throws {
        let kg = try SyntheticGraph.make()
        var r = try request(epochs: 2)
        r.training.collective = CollectiveHandle(ThreadRank(2, ThreadGroup(size: 2)))
        XCTAssertThrowsError(try ModelRegistry.train(graph: kg, request: r)) { XCTAssert("\($0)".contains("0..<2")) }
        r.training.collective = CollectiveHandle(ThreadRank(0, ThreadGroup(size: 2)))
        r.training.timeLimitSeconds = 5
        XCTAssertThrowsError(try ModelRegistry.train(graph: kg, request: r)) {
            XCTAssert("\($0)".contains("time_limit_seconds"))
        }
    }
}
