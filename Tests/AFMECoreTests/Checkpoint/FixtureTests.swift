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

    func scores(_ model: TrainedModel, _ triples: [Triple]) -> [UInt32] {
        let scorer = model.scorer(threads: 0)
        var out = [Float](repeating: 0, count: triples.count)
        triples.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { scorer.scoreTriples(t, out: $0.baseAddress!) }
        }
        return out.map(\.bitPattern)
    }

    func testVersion020CheckpointsLoadAndScoreBitIdentically() throws {
        guard FileBytes.exists(Self.dir + "/v0.2.0-triples.txt") else {
            return XCTFail("fixtures missing: run from the package root")
        }
        let t = try triples()
        XCTAssertEqual(t.count, 64)
        for name in ["structural-rotate", "structural-transe", "afme"] {
            let file = try Checkpoint.loadFile(from: Self.dir + "/v0.2.0-\(name).afme")
            XCTAssertEqual(file.formatVersion, 2)
            XCTAssertNil(file.labels, "0.2.0 files carry no labels")
            XCTAssertEqual(
                file.model.kindName,
                ["structural-rotate": "rotate", "structural-transe": "transe", "afme": "afme"][name])
            XCTAssertEqual(scores(file.model, t), try expectedBits(name), "\(name): scores differ from 0.2.0's")
            // Re-saved in the current format, the same scores.
            let resaved = try Checkpoint.decodeFile(Checkpoint.encode(file.model))
            XCTAssertEqual(resaved.formatVersion, Checkpoint.formatVersion)
            XCTAssertEqual(scores(resaved.model, t), try expectedBits(name), "\(name): re-saved, the scores changed")
        }
    }
}
