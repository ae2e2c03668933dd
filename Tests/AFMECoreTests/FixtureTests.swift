// Checkpoints written by libafme 0.2.0 (Tests/fixtures, made by make_v0_2_0.py) still load and score
// bit-identically: a change of the format or of inference that breaks old files fails here.
import XCTest
import AFMECore

final class FixtureTests: XCTestCase {
    static let dir = "Tests/fixtures"

    func triples() throws -> [Triple] {
        let text = String(decoding: try FileBytes.read(Self.dir + "/v0.2.0-triples.txt"), as: UTF8.self)
        return text.split(separator: "\n").map { line in
            let v = line.split(separator: " ").map { Int($0)! }
            return Triple(v[0], v[1], v[2])
        }
    }

    func expectedBits(_ name: String) throws -> [UInt32] {
        let text = String(decoding: try FileBytes.read(Self.dir + "/v0.2.0-\(name).scores.txt"), as: UTF8.self)
        return text.split(separator: "\n").map { UInt32($0, radix: 16)! }
    }

    func scores(_ model: Checkpoint.AnyModel, _ triples: [Triple]) -> [UInt32] {
        let scorer: LinkScorer
        switch model {
        case .structural(let m): scorer = m
        case .afme(let m): scorer = AFMEScorer(model: m)
        }
        var out = [Float](repeating: 0, count: triples.count)
        triples.withUnsafeBufferPointer { t in out.withUnsafeMutableBufferPointer { scorer.scoreTriples(t, out: $0.baseAddress!) } }
        return out.map(\.bitPattern)
    }

    func testVersion020CheckpointsLoadAndScoreBitIdentically() throws {
        guard FileBytes.exists(Self.dir + "/v0.2.0-triples.txt") else { return XCTFail("fixtures missing: run from the package root") }
        let t = try triples()
        XCTAssertEqual(t.count, 64)
        for name in ["structural-rotate", "structural-transe", "afme"] {
            let model = try Checkpoint.loadAny(from: Self.dir + "/v0.2.0-\(name).afme")
            if case .afme = model { XCTAssertEqual(name, "afme") }
            XCTAssertEqual(scores(model, t), try expectedBits(name), "\(name): scores differ from 0.2.0's")
        }
    }
}
