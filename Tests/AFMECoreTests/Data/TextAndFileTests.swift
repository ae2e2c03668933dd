// Text lines as bytes (CRLF, BOM, invalid UTF-8 with its line), capped token quotes, bounded reads and
// the atomic save's temporary files.
import XCTest
import AFMECore
#if canImport(Glibc)
import Glibc
#endif

final class TextAndFileTests: XCTestCase {
    func testLinesSplitOnBytesAlikeForLFAndCRLF() throws {
        let lf = try TextLines.split(Array("2\na 0\nb 1\n".utf8), path: nil).map { String($0.text) }
        let crlf = try TextLines.split(Array("2\r\na 0\r\nb 1\r\n".utf8), path: nil).map { String($0.text) }
        XCTAssertEqual(lf, ["2", "a 0", "b 1"])
        XCTAssertEqual(crlf, lf)
        XCTAssertEqual(
            try TextLines.split(Array("x\ny".utf8), path: nil).map { String($0.text) }, ["x", "y"], "no final newline")
        XCTAssertEqual(try TextLines.split([], path: nil).count, 0)
        XCTAssertEqual(try TextLines.split(Array("\n\n".utf8), path: nil).map { String($0.text) }, ["", ""])
    }

    func testByteOrderMarkAtTheStartIsSkipped() throws {
        let lines = try TextLines.split([0xEF, 0xBB, 0xBF] + Array("1\nname 0\n".utf8), path: nil)
        XCTAssertEqual(lines.map { String($0.text) }, ["1", "name 0"])
        XCTAssertEqual(lines[0].line, 1)
    }

    func testInvalidUTF8NamesItsLine() {
        let bytes = Array("1\nok 0\n".utf8) + [0x61, 0xFF, 0x0A]
        assertDataError(.badToken, line: 3) { _ = try TextLines.split(bytes, path: "f.txt") }
    }

    func testQuotedCapsLongTokensAndShowsInvisibleCharacters() {
        let long = String(repeating: "x", count: 5_000_000)
        let q = quoted(long)
        XCTAssertLessThan(q.utf8.count, 120)
        XCTAssertTrue(q.hasSuffix("(5000000 bytes)"))
        XCTAssertEqual(quoted("\u{FEFF}7"), "'\\u{feff}7'")
        XCTAssertEqual(quoted("a\tb"), "'a\\u{9}b'")
        XCTAssertEqual(quoted("ok"), "'ok'")
    }

    func testOpenKEFolderWithCRLFAndBOMLoadsAsLF() throws {
        let a = makeTempDir(self), b = makeTempDir(self)
        writeTinyOpenKE(a)
        writeTinyOpenKE(b)
        for name in ["entity2id.txt", "relation2id.txt", "train2id.txt", "valid2id.txt", "test2id.txt"] {
            let text = try FileBytes.read(a + "/" + name)
            var crlf: [UInt8] = name == "entity2id.txt" ? [0xEF, 0xBB, 0xBF] : []
            for byte in text { if byte == 0x0A { crlf.append(0x0D) }; crlf.append(byte) }
            writeFile(b + "/" + name, bytes: crlf)
        }
        let x = try OpenKELoader.load(folder: a), y = try OpenKELoader.load(folder: b)
        XCTAssertEqual(x.train, y.train)
        XCTAssertEqual(x.entityNames, y.entityNames)
    }

    func testBadTokenMessageIsShortAndPositioned() throws {
        let dir = makeTempDir(self)
        writeTinyOpenKE(dir, train: "1\n0 " + String(repeating: "9x", count: 100_000) + " 0\n")
        do { _ = try OpenKELoader.load(folder: dir); XCTFail("accepted") } catch let e as DataError {
            XCTAssertEqual(e.line, 2)
            XCTAssertLessThan(e.description.utf8.count, 300)
            XCTAssertTrue(e.description.contains("field 2"), e.description)
        }
    }

    func testReadsRefuseDevicesAndFIFOsAndOversizedFiles() throws {
        assertDataError(.io) { _ = try FileBytes.read("/dev/zero") }
        let dir = makeTempDir(self)
        mkfifo(dir + "/fifo", 0o600)
        assertDataError(.io) { _ = try FileBytes.read(dir + "/fifo") }
        writeFile(dir + "/f", bytes: [1, 2, 3, 4])
        assertDataError(.io) { _ = try FileBytes.read(dir + "/f", maxBytes: 3) }
        XCTAssertEqual(try FileBytes.read(dir + "/f", maxBytes: 4), [1, 2, 3, 4])
        // Asked for, a device is read, but still only up to the limit: /dev/zero never ends, so it is refused.
        assertDataError(.io) { _ = try FileBytes.read("/dev/zero", maxBytes: 1 << 16, allowNonRegular: true) }
    }

    func testSaveRemovesTemporariesOfDeadWritersOnly() throws {
        let dir = makeTempDir(self)
        let dead = fork()
        if dead == 0 { _exit(0) }
        var status: Int32 = 0
        waitpid(dead, &status, 0)
        writeFile(dir + "/.m.afme.afme-tmp-\(dead)-abc", "partial")
        writeFile(dir + "/.m.afme.afme-tmp-1-abc", "pid 1 is alive")
        writeFile(dir + "/.other.afme-tmp-\(dead)-abc", "another target's")
        try FileBytes.writeAtomically([1, 2, 3], to: dir + "/m.afme")
        XCTAssertFalse(FileBytes.exists(dir + "/.m.afme.afme-tmp-\(dead)-abc"))
        XCTAssertTrue(FileBytes.exists(dir + "/.m.afme.afme-tmp-1-abc"))
        XCTAssertTrue(FileBytes.exists(dir + "/.other.afme-tmp-\(dead)-abc"))
        XCTAssertEqual(try FileBytes.read(dir + "/m.afme"), [1, 2, 3])
    }

    func testHugeNPYShapeReportsItsByteCountWithoutWrapping() {
        do {
            _ = try NPYLoader.parse(
                npyBytes(shape: "(4611686018427387904, 4)", data: floatBytes([1, 2])), path: "big.npy")
            XCTFail("accepted")
        } catch let e as DataError {
            XCTAssertEqual(e.kind, .truncated)
            XCTAssertTrue(e.reason.contains("more than \(Int.max)"), e.reason)
            XCTAssertFalse(e.reason.contains("needs 0 "), e.reason)
        } catch { XCTFail("\(error)") }
    }

    func testSyntheticFieldsAreValidatedByName() {
        var spec = SyntheticGraphSpec()
        spec.featureNoise = -1
        assertDataError(.invalidArgument) { _ = try SyntheticGraph.make(spec) }
        spec.featureNoise = .nan
        assertDataError(.invalidArgument) { _ = try SyntheticGraph.make(spec) }
    }
}
