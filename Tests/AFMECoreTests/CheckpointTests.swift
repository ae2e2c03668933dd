// Checkpoints: bit-identical round trip; every corruption refused with the right error.
import XCTest
import AFMECore

final class CheckpointTests: XCTestCase {
    func model(_ kind: ScoreFunctionKind = .rotatE) -> KGEModel {
        var rng = SplitMix64(seed: 4)
        return KGEModel(score: ScoreFunction(kind: kind, dim: 20, gamma: 3, epsilon: 1.5), entityCount: 30, relationCount: 4, rng: &rng)
    }

    func testRoundTripScoresBitIdentically() throws {
        for kind in ScoreFunctionKind.allCases {
            let m = model(kind)
            let bytes = Checkpoint.encode(m)
            XCTAssertEqual(bytes.count, Checkpoint.encodedSize(m))
            let back = try Checkpoint.decode(bytes)
            XCTAssertEqual(back.entities, m.entities)
            XCTAssertEqual(back.relations, m.relations)
            XCTAssertEqual(back.score.epsilon, 1.5)
            XCTAssertEqual(back.score.kind, kind)
            for (h, r, t) in [(0, 0, 1), (5, 3, 29), (29, 1, 0)] {
                XCTAssertEqual(back.score(h, r, t).bitPattern, m.score(h, r, t).bitPattern)
            }
            XCTAssertEqual(Checkpoint.encode(back), bytes, "encoding is deterministic")
        }
    }

    func testCorruptionsAreRefused() {
        let bytes = Checkpoint.encode(model())
        assertDataError(.truncated) { _ = try Checkpoint.decode([]) }
        var magic = bytes; magic[0] = UInt8(ascii: "X")
        assertDataError(.badFormat) { _ = try Checkpoint.decode(magic) }
        assertDataError(.truncated) { _ = try Checkpoint.decode(Array(bytes.prefix(30))) }
        assertDataError(.checksumMismatch) { _ = try Checkpoint.decode(Array(bytes.dropLast(9))) }
        // A single flipped bit anywhere after the magic and version fields is caught by the checksum.
        for offset in [12, 20, 33, 48, 100, bytes.count / 2, bytes.count - 5, bytes.count - 1] {
            var flipped = bytes
            flipped[offset] ^= 0x10
            assertDataError(.checksumMismatch) { _ = try Checkpoint.decode(flipped) }
        }
        // A future format version is refused by version, before the checksum.
        var future = bytes; future[8] = 3
        assertDataError(.unsupportedVersion) { _ = try Checkpoint.decode(future) }
    }

    func testAtomicSaveReplacesWholeFileAndLeavesNoTemporary() throws {
        let dir = makeTempDir(self)
        let path = dir + "/m.afme"
        try Checkpoint.save(model(.transE), to: path)
        try Checkpoint.save(model(.rotatE), to: path)
        XCTAssertEqual(try Checkpoint.load(from: path).score.kind, .rotatE)
        var listing = [String]()
        if let d = opendir(dir) {
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if !name.hasPrefix(".") { listing.append(name) }
            }
            closedir(d)
        }
        XCTAssertEqual(listing, ["m.afme"])
        assertDataError(.io) { try Checkpoint.save(self.model(), to: dir + "/missing-dir/m.afme") }
        assertDataError(.io) { _ = try Checkpoint.load(from: dir + "/absent.afme") }
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }
}

#if canImport(Glibc)
import Glibc
#endif
