// Checkpoints: bit-identical round trip in the current format (tagged sections) and the 0.2.0 layout;
// every corruption refused with the right error; unknown sections and keys handled as documented.
import XCTest
import AFMECore

final class CheckpointTests: XCTestCase {
    func model(_ kind: ScoreFunctionKind = .rotatE) -> KGEModel {
        var rng = SplitMix64(seed: 4)
        return KGEModel(
            score: ScoreFunction(kind: kind, dim: 20, gamma: 3, epsilon: 1.5), entityCount: 30, relationCount: 4,
            rng: &rng)
    }

    func labels() throws -> Labels {
        try Labels(entities: (0..<30).map { "entity \($0) — ü" }, relations: ["r0", "born in", "r2", "r3"])
    }

    func structural(_ file: ModelFile) throws -> KGEModel { try XCTUnwrap(file.model as? KGEModel) }

    func testRoundTripScoresBitIdentically() throws {
        for kind in ScoreFunctionKind.allCases {
            let m = model(kind)
            for (bytes, version) in [
                (Checkpoint.encode(m, labels: try labels()), UInt32(3)), (Checkpoint.encodeVersion2(m), 2),
            ] {
                let file = try Checkpoint.decodeFile(bytes)
                XCTAssertEqual(file.formatVersion, version)
                let back = try structural(file)
                XCTAssertEqual(back.entities, m.entities)
                XCTAssertEqual(back.relations, m.relations)
                XCTAssertEqual(back.score.epsilon, 1.5)
                XCTAssertEqual(back.score.kind, kind)
                for (h, r, t) in [(0, 0, 1), (5, 3, 29), (29, 1, 0)] {
                    XCTAssertEqual(back.score(h, r, t).bitPattern, m.score(h, r, t).bitPattern)
                }
                XCTAssertEqual(file.labels, version == 3 ? try labels() : nil)
                if version == 3 {
                    XCTAssertEqual(Checkpoint.encode(back, labels: file.labels), bytes, "encoding is deterministic")
                    XCTAssertEqual(file.labels?.entityID("entity 7 — ü"), 7)
                    XCTAssertEqual(file.labels?.relationID("born in"), 1)
                    XCTAssertNil(file.labels?.entityID("entity 7"))
                }
            }
        }
    }

    func testCorruptionsAreRefused() throws {
        for bytes in [Checkpoint.encode(model(), labels: try labels()), Checkpoint.encodeVersion2(model())] {
            assertDataError(.truncated) { _ = try Checkpoint.decodeFile([]) }
            var magic = bytes; magic[0] = UInt8(ascii: "X")
            assertDataError(.badFormat) { _ = try Checkpoint.decodeFile(magic) }
            assertDataError(.truncated) { _ = try Checkpoint.decodeFile(Array(bytes.prefix(16))) }
            assertDataError(.checksumMismatch) { _ = try Checkpoint.decodeFile(Array(bytes.dropLast(9))) }
            // A single flipped bit anywhere after the magic and version fields is caught by the checksum.
            for offset in [12, 20, 33, 48, 100, bytes.count / 2, bytes.count - 5, bytes.count - 1] {
                var flipped = bytes
                flipped[offset] ^= 0x10
                assertDataError(.checksumMismatch) { _ = try Checkpoint.decodeFile(flipped) }
            }
            // A future format version is refused by version, before the checksum.
            var future = bytes; future[8] = 4
            assertDataError(.unsupportedVersion) { _ = try Checkpoint.decodeFile(future) }
        }
    }

    // MARK: Sections, rewritten and re-sealed

    typealias Section = (tag: String, payload: [UInt8])

    func sections(_ bytes: [UInt8]) -> [Section] {
        var out: [Section] = [], at = 16
        let n = Int(bytes[12]) | Int(bytes[13]) << 8
        for _ in 0..<n {
            let tag = String(decoding: bytes[at..<(at + 4)], as: UTF8.self)
            var len = 0
            for i in 0..<8 { len |= Int(bytes[at + 4 + i]) << (8 * i) }
            out.append((tag, Array(bytes[(at + 12)..<(at + 12 + len)])))
            at += 12 + len
        }
        return out
    }

    func seal(_ sections: [Section]) -> [UInt8] {
        var out = Array("AFMECKPT".utf8)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        put(UInt32(3)); put(UInt32(sections.count))
        for s in sections { out += Array(s.tag.utf8); put(UInt64(s.payload.count)); out += s.payload }
        put(CRC32.checksum(out))
        return out
    }

    func testSectionsAreWhatTheFormatSays() throws {
        let s = sections(Checkpoint.encode(model(), labels: try labels()))
        XCTAssertEqual(s.map(\.tag), ["KIND", "CONF", "SIZE", "LABL", "ENTS", "RELS"])
        XCTAssertEqual(String(decoding: s[0].payload, as: UTF8.self), "rotate")
        XCTAssertEqual(String(decoding: s[1].payload, as: UTF8.self), "dim=20\ngamma=3.0\nepsilon=1.5\n")
        XCTAssertEqual(
            seal(s), Checkpoint.encode(model(), labels: try labels()), "the test's sealer matches the encoder")
    }

    func testUnknownSectionsAndKeys() throws {
        let m = model(), s = sections(Checkpoint.encode(m))
        // An ancillary (lower-case) section a later version might add is skipped.
        let withNote = try structural(Checkpoint.decodeFile(seal(s + [("note", Array("made by 9.0".utf8))])))
        XCTAssertEqual(withNote.entities, m.entities)
        // An unknown critical section is refused, naming it.
        assertDataError(.badFormat, contains: "XTRA") {
            _ = try Checkpoint.decodeFile(self.seal(s + [("XTRA", [1, 2, 3])]))
        }
        // An unknown CONF key (a later option) is ignored; a known key out of its domain is refused.
        var conf = s; conf[1].payload += Array("future_option=7\n".utf8)
        XCTAssertEqual(try structural(Checkpoint.decodeFile(seal(conf))).entities, m.entities)
        var bad = s; bad[1].payload = Array("dim=0\ngamma=3.0\nepsilon=1.5\n".utf8)
        assertDataError(.badFormat, contains: "dim") { _ = try Checkpoint.decodeFile(self.seal(bad)) }
        var missing = s; missing[1].payload = Array("gamma=3.0\nepsilon=1.5\n".utf8)
        assertDataError(.badFormat, contains: "no dim") { _ = try Checkpoint.decodeFile(self.seal(missing)) }
        // The configuration decides the table sizes: a CONF whose dim disagrees with ENTS is refused.
        var wrongDim = s; wrongDim[1].payload = Array("dim=40\ngamma=3.0\nepsilon=1.5\n".utf8)
        assertDataError(.badFormat, contains: "ENTS") { _ = try Checkpoint.decodeFile(self.seal(wrongDim)) }
        // Unknown kinds, repeated and missing sections, labels that do not fit.
        var kind = s; kind[0].payload = Array("tucker".utf8)
        assertDataError(.badFormat, contains: "tucker") { _ = try Checkpoint.decodeFile(self.seal(kind)) }
        assertDataError(.badFormat, contains: "twice") { _ = try Checkpoint.decodeFile(self.seal(s + [s[4]])) }
        assertDataError(.badFormat, contains: "RELS") { _ = try Checkpoint.decodeFile(self.seal(Array(s.prefix(4)))) }
        // Labels: one id per label, and as many as the tables have rows.
        let plain = sections(
            Checkpoint.encode(
                m, labels: try Labels(entities: (0..<30).map { "e\($0)" }, relations: ["a", "b", "c", "d"])))
        var rep = plain
        let at = try XCTUnwrap(
            (0..<(rep[3].payload.count - 2)).first { Array(rep[3].payload[$0..<($0 + 2)]) == Array("e5".utf8) })
        rep[3].payload.replaceSubrange(at..<(at + 2), with: Array("e2".utf8))
        assertDataError(.badFormat, contains: "names both") { _ = try Checkpoint.decodeFile(self.seal(rep)) }
        var fewer = plain; fewer[3].payload[0] = 29
        assertDataError(.badFormat, contains: "29 entity labels") { _ = try Checkpoint.decodeFile(self.seal(fewer)) }
    }

    func testHistoryTravelsInAnAncillarySection() throws {
        let m = model()
        let history = [
            EpochReport(epoch: 1, meanLoss: 0.5, seconds: 1.25, validation: nil, validated: false),
            EpochReport(
                epoch: 2, meanLoss: 0.25, seconds: 1.5,
                validation: RankingMetrics(count: 10, meanRank: 3.5, mrr: 0.4, hits1: 0.2, hits3: 0.5, hits10: 0.9),
                validated: true),
        ]
        let bytes = Checkpoint.encode(m, labels: try labels(), history: history)
        let back = try Checkpoint.decodeFile(bytes)
        XCTAssertEqual(back.history.map(\.epoch), [1, 2])
        XCTAssertEqual(back.history.map(\.meanLoss), [0.5, 0.25])
        XCTAssertEqual(back.history[1].validation, history[1].validation)
        XCTAssertNil(back.history[0].validation)
        XCTAssertEqual(Checkpoint.encode(back.model, labels: back.labels, history: back.history), bytes)
        // Ancillary: a reader may drop it — the same file without the section is the same model.
        let s = sections(bytes)
        XCTAssertEqual(s.map(\.tag), ["KIND", "CONF", "SIZE", "LABL", "hist", "ENTS", "RELS"])
        var cut = s; cut[4].payload.removeLast()
        assertDataError(.badFormat) { _ = try Checkpoint.decodeFile(self.seal(cut)) }
    }

    func testLabelsAreUniqueAndNonEmpty() {
        assertDataError(.idOutOfRange) { _ = try Labels(entities: ["a", "b", "a"], relations: ["r"]) }
        assertDataError(.badToken) { _ = try Labels(entities: ["a", ""], relations: ["r"]) }
    }

    func testAtomicSaveReplacesWholeFileAndLeavesNoTemporary() throws {
        let dir = makeTempDir(self)
        let path = dir + "/m.afme"
        try Checkpoint.save(model(.transE), to: path)
        try Checkpoint.save(model(.rotatE), to: path)
        XCTAssertEqual(try structural(Checkpoint.loadFile(from: path)).score.kind, .rotatE)
        var listing = [String]()
        if let d = opendir(dir) {
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
                if !name.hasPrefix(".") { listing.append(name) }
            }
            closedir(d)
        }
        XCTAssertEqual(listing, ["m.afme"])
        assertDataError(.io) { try Checkpoint.save(self.model(), to: dir + "/missing-dir/m.afme") }
        assertDataError(.io) { _ = try Checkpoint.loadFile(from: dir + "/absent.afme") }
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }
}

#if canImport(Glibc)
import Glibc
#endif
