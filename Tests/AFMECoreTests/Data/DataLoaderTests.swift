// OpenKE and .npy loading: the happy path, and every bad input reaching a specific error.
import XCTest
import AFMECore

final class DataLoaderTests: XCTestCase {
    func testLoadsTinyFolderWithRelationLastAndNamesWithSpaces() throws {
        let dir = makeTempDir(self)
        writeTinyOpenKE(dir)
        let kg = try OpenKELoader.load(folder: dir)
        XCTAssertEqual(kg.entityCount, 4)
        XCTAssertEqual(kg.relationCount, 2)
        XCTAssertEqual(kg.entityNames, ["a", "b b", "c", "d"])
        XCTAssertEqual(kg.train[1], Triple(1, 1, 2), "lines are head tail relation")
        XCTAssertEqual(kg.test, [Triple(3, 1, 0)])
    }

    func testDuplicateTrainingTriplesAreDroppedAndCounted() throws {
        let dir = makeTempDir(self)
        writeTinyOpenKE(dir, train: "4\n0 1 0\n1 2 1\n0 1 0\n2 3 0\n")
        let kg = try OpenKELoader.load(folder: dir)
        XCTAssertEqual(kg.train, [Triple(0, 0, 1), Triple(1, 1, 2), Triple(2, 0, 3)])
        XCTAssertEqual(kg.duplicateTrainTriplesRemoved, 1)
    }

    func testBadTriplesFiles() {
        let cases: [(String, DataError.Kind, Int?)] = [
            ("2\n0 1 0\n1 x 1\n", .badToken, 3),
            ("2\n0 1 0\n1 2\n", .wrongFieldCount, 3),
            ("2\n0 1 0\n1 2 1 5\n", .wrongFieldCount, 3),
            ("3\n0 1 0\n1 2 1\n", .countMismatch, 1),
            ("1\n0 1 0\n1 2 1\n", .countMismatch, 1),
            ("2\n0 1 0\n9 2 1\n", .idOutOfRange, 3),
            ("2\n0 1 0\n1 -1 1\n", .idOutOfRange, 3),
            ("2\n0 1 0\n1 2 2\n", .idOutOfRange, 3),
            ("", .emptyFile, nil),
            ("abc\n", .badToken, 1),
        ]
        for (text, kind, line) in cases {
            let dir = makeTempDir(self)
            writeTinyOpenKE(dir, train: text)
            assertDataError(kind, line: line) { _ = try OpenKELoader.load(folder: dir) }
        }
    }

    func testBadVocabularies() {
        let dir = makeTempDir(self)
        writeTinyOpenKE(dir)
        writeFile(dir + "/entity2id.txt", "2\na 0\nb 0\n")
        assertDataError(.idOutOfRange, line: 3) { _ = try OpenKELoader.load(folder: dir) }
        writeFile(dir + "/entity2id.txt", "2\na 0\nb\n")
        assertDataError(.wrongFieldCount, line: 3) { _ = try OpenKELoader.load(folder: dir) }
        writeFile(dir + "/entity2id.txt", "0\n")
        assertDataError(.emptyFile) { _ = try OpenKELoader.load(folder: dir) }
    }

    func testMissingFileNamesThePath() {
        let dir = makeTempDir(self)
        do { _ = try OpenKELoader.load(folder: dir); XCTFail() } catch let e as DataError {
            XCTAssertEqual(e.kind, .io)
            XCTAssertEqual(e.path, dir + "/entity2id.txt")
        } catch { XCTFail("\(error)") }
    }

    func testNPYFloat32AndFloat16AndVersion2() throws {
        let m = try NPYLoader.parse(npyBytes(shape: "(2, 3)", data: floatBytes([1, 2, 3, 4, 5, -6])))
        XCTAssertEqual(m.rows, 2); XCTAssertEqual(m.cols, 3); XCTAssertEqual(m.values, [1, 2, 3, 4, 5, -6])
        // float16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, smallest subnormal 0x0001 = 2^-24.
        let half: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x0001]
        let m16 = try NPYLoader.parse(
            npyBytes(descr: "<f2", shape: "(2, 2)", data: half.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
        XCTAssertEqual(m16.values, [1, -2, 0.5, 0x1p-24])
        let v2 = try NPYLoader.parse(npyBytes(shape: "(1, 2)", data: floatBytes([7, 8]), version: 2))
        XCTAssertEqual(v2.values, [7, 8])
    }

    func testNPYBadInputs() {
        assertDataError(.fortranOrder) {
            _ = try NPYLoader.parse(npyBytes(fortran: true, shape: "(1, 2)", data: floatBytes([1, 2])))
        }
        assertDataError(.unsupportedDType) {
            _ = try NPYLoader.parse(npyBytes(descr: "<f8", shape: "(1, 2)", data: floatBytes([1, 2, 3, 4])))
        }
        assertDataError(.unsupportedDType) {
            _ = try NPYLoader.parse(npyBytes(descr: "<i4", shape: "(1, 2)", data: floatBytes([1, 2])))
        }
        assertDataError(.unsupportedDType) {
            _ = try NPYLoader.parse(npyBytes(descr: ">f4", shape: "(1, 2)", data: floatBytes([1, 2])))
        }
        assertDataError(.truncated) { _ = try NPYLoader.parse(npyBytes(shape: "(2, 2)", data: floatBytes([1, 2, 3]))) }
        assertDataError(.truncated) { _ = try NPYLoader.parse(Array(npyBytes(shape: "(2, 2)", data: []).prefix(30))) }
        assertDataError(.badFormat) { _ = try NPYLoader.parse(Array("not a numpy file at all".utf8)) }
        assertDataError(.truncated) { _ = try NPYLoader.parse([]) }
        assertDataError(.shapeMismatch) {
            _ = try NPYLoader.parse(npyBytes(shape: "(4,)", data: floatBytes([1, 2, 3, 4])))
        }
        assertDataError(.nonFinite) { _ = try NPYLoader.parse(npyBytes(shape: "(1, 2)", data: floatBytes([1, .nan]))) }
        assertDataError(.nonFinite) {
            _ = try NPYLoader.parse(npyBytes(shape: "(1, 2)", data: floatBytes([.infinity, 1])))
        }
    }

    func testModalityRowsMustMatchEntitiesAndNothingIsHalfAdded() throws {
        let dir = makeTempDir(self)
        writeTinyOpenKE(dir)
        var kg = try OpenKELoader.load(folder: dir)
        writeFile(dir + "/bad.npy", bytes: npyBytes(shape: "(3, 2)", data: floatBytes([1, 2, 3, 4, 5, 6])))
        assertDataError(.shapeMismatch) { try kg.addModality(name: "text", npyPath: dir + "/bad.npy") }
        XCTAssertTrue(kg.modalities.isEmpty)
        assertDataError(.nonFinite) { try kg.addModality(name: "x", dim: 1, values: [1, .nan, 2, 3]) }
        assertDataError(.idOutOfRange) { try kg.addModality(name: "x", dim: 1, values: [1, 2, 3, 4], missingIds: [4]) }
        XCTAssertTrue(kg.modalities.isEmpty)
        writeFile(dir + "/ok.npy", bytes: npyBytes(shape: "(4, 2)", data: floatBytes([1, 2, 3, 4, 5, 6, 7, 8])))
        try kg.addModality(name: "text", npyPath: dir + "/ok.npy", missingIds: [2])
        XCTAssertEqual(kg.modalities[0].present, [true, true, false, true])
        XCTAssertEqual(Array(kg.modalities[0].values[4..<6]), [0, 0], "a missing row is zeroed, not an error")
    }

    func testSyntheticGraphIsDeterministicAndValid() throws {
        let a = try SyntheticGraph.make(), b = try SyntheticGraph.make()
        XCTAssertEqual(a.train, b.train)
        XCTAssertEqual(a.modalities[0].values, b.modalities[0].values)
        XCTAssertGreaterThan(a.modalities[1].entityCount - a.modalities[1].presentCount, 0, "some rows are missing")
        var spec = SyntheticGraphSpec(); spec.seed = 7
        XCTAssertNotEqual(try SyntheticGraph.make(spec).train, a.train)
        spec.entities = 3
        assertDataError(.invalidArgument) { _ = try SyntheticGraph.make(spec) }
    }

    func testRealDatasetsLoadWithDocumentedCounts() throws {
        let root = "../shared/datasets"
        guard FileBytes.exists(root + "/MKG-Y/train2id.txt") else {
            throw XCTSkip("../shared/datasets is not present beside this clone: real-data test skipped")
        }
        let y = try OpenKELoader.load(folder: root + "/MKG-Y")
        XCTAssertEqual(
            [y.entityCount, y.relationCount, y.train.count, y.valid.count, y.test.count],
            [15000, 28, 21310, 2665, 2663])
        var t = try OpenKELoader.load(folder: root + "/TIVA")
        XCTAssertEqual(t.entityCount, 11858)
        XCTAssertEqual(t.train.count, 11652, "TIVA's 8,419 duplicate training lines are dropped")
        try t.addModality(name: "text", npyPath: root + "/TIVA/text.npy")
        XCTAssertEqual(t.modalities[0].dim, 384)
    }
}
