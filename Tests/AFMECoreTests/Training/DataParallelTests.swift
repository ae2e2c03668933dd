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
    init(size: Int) { self.size = size; slots = Array(repeating: [], count: size) }

    func allReduce(rank: Int, _ v: UnsafeMutableBufferPointer<Float>) {
        condition.lock()
        let mine = generation
        slots[rank] = Array(v)
        arrived += 1
        if arrived == size {
            var s = slots[0]
            for r in 1..<size { for i in s.indices { s[i] += slots[r][i] } }
            sum = s; arrived = 0; generation += 1; calls += 1
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

final class DataParallelTests: XCTestCase {
    func request(epochs: Int = 60) throws -> ModelRequest {
        var r = try ModelRequest(kind: "rotate")
        r.training = TrainingTests.config(epochs: epochs)
        r.training.threads = 1
        return r
    }

    /// Trains `size` ranks on threads; returns each rank's model and result.
    func trainRanks(_ kg: KnowledgeGraph, _ r: ModelRequest, size: Int) throws -> [(TrainedModel, TrainingResult)] {
        let group = ThreadGroup(size: size)
        final class Results: @unchecked Sendable {
            var items: [Result<(TrainedModel, TrainingResult), Error>?]
            let lock = NSLock()
            init(_ n: Int) { items = Array(repeating: nil, count: n) }
        }
        let out = Results(size)
        let threads = (0..<size).map { rank in
            Thread {
                var mine = r
                mine.training.collective = CollectiveHandle(ThreadRank(rank, group))
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
