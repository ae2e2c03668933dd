// No hidden process-global state: two models trained at once with different thread settings each see
// their own thread count, and each gives the losses it gives alone, bit for bit.
import XCTest
import Dispatch
import AFMECore

final class ThreadIsolationTests: XCTestCase {
    struct Run { var losses: [UInt32] = []; var threadsSeen = Set<Int>() }

    func train(_ kind: String, threads: Int, graph: KnowledgeGraph) throws -> Run {
        var r = try ModelRequest(kind: kind)
        r.training.dim = 16; r.training.negatives = 8; r.training.batchSize = 64; r.training.epochs = 4
        r.training.validateEvery = 0; r.training.threads = threads; r.training.seed = 11
        r.afme.attentionTokens = 2; r.afme.noiseDim = 4; r.afme.discriminatorHidden = 8
        var run = Run()
        _ = try ModelRegistry.train(graph: graph, request: r) { report in
            run.losses.append(report.meanLoss.bitPattern)
            run.threadsSeen.insert(Parallel.elementwiseThreads)
            return true
        }
        return run
    }

    func testTwoModelsWithDifferentThreadSettingsDoNotInterfere() throws {
        var spec = SyntheticGraphSpec()
        spec.entities = 400; spec.relations = 5
        let graph = try SyntheticGraph.make(spec)
        for kind in ["rotate", "afme"] {
            let aloneOne = try train(kind, threads: 1, graph: graph),
                aloneTwo = try train(kind, threads: 2, graph: graph)
            XCTAssertEqual(aloneOne.threadsSeen, [1]); XCTAssertEqual(aloneTwo.threadsSeen, [2])
            var together: [Run?] = [nil, nil]
            let lock = NSLockLike()
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let run = try? self.train(kind, threads: i + 1, graph: graph)
                lock.locked { together[i] = run }
            }
            XCTAssertEqual(together[0]?.threadsSeen, [1], "\(kind): the 1-thread model saw another's setting")
            XCTAssertEqual(together[1]?.threadsSeen, [2], "\(kind): the 2-thread model saw another's setting")
            XCTAssertEqual(together[0]?.losses, aloneOne.losses, "\(kind): trained beside another, the losses changed")
            XCTAssertEqual(together[1]?.losses, aloneTwo.losses, "\(kind): trained beside another, the losses changed")
            XCTAssertEqual(Parallel.elementwiseThreads, 1, "no scope leaks out of training")
        }
    }
}

/// A minimal lock (Foundation is not a dependency of the tests).
final class NSLockLike: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 1)
    func locked(_ body: () -> Void) { semaphore.wait(); body(); semaphore.signal() }
}
