import XCTest
import AFMECore
#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory, removed at the end of the test.
func makeTempDir(_ test: XCTestCase) -> String {
    var template = Array("/tmp/afme-test-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    test.addTeardownBlock { _ = system("rm -rf '\(dir)'") }
    return dir
}

func writeFile(_ path: String, _ text: String) { try! FileBytes.writeAtomically(Array(text.utf8), to: path) }
func writeFile(_ path: String, bytes: [UInt8]) { try! FileBytes.writeAtomically(bytes, to: path) }

/// A 60-entity, 3-relation synthetic graph without modalities, for ranking tests.
func smallStructuralGraph() throws -> KnowledgeGraph {
    var spec = SyntheticGraphSpec()
    spec.entities = 60; spec.relations = 3; spec.factsPerEntity = 4; spec.modalityDims = []
    spec.missingFractions = []
    return try SyntheticGraph.make(spec)
}

/// A tiny valid OpenKE folder: 4 entities, 2 relations.
func writeTinyOpenKE(_ dir: String, train: String = "3\n0 1 0\n1 2 1\n2 3 0\n") {
    writeFile(dir + "/entity2id.txt", "4\na 0\nb b 1\nc\t2\nd 3\n")
    writeFile(dir + "/relation2id.txt", "2\nr0 0\nr1 1\n")
    writeFile(dir + "/train2id.txt", train)
    writeFile(dir + "/valid2id.txt", "1\n0 2 1\n")
    writeFile(dir + "/test2id.txt", "1\n3 0 1\n")
}

/// Bytes of a .npy file with the given header fields and raw data.
func npyBytes(descr: String = "<f4", fortran: Bool = false, shape: String, data: [UInt8], version: UInt8 = 1) -> [UInt8]
{
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
    let pre = version == 1 ? 10 : 12
    while (pre + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    let n = header.utf8.count
    if version == 1 {
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
    } else {
        out += [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), 0, 0]
    }
    return out + Array(header.utf8) + data
}

func floatBytes(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

func assertDataError(
    _ kind: DataError.Kind, line: Int? = nil, contains text: String? = nil, file: StaticString = #filePath,
    fline: UInt = #line, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected \(kind), got success", file: file, line: fline)
    } catch let e as DataError {
        XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: fline)
        if let line { XCTAssertEqual(e.line, line, "\(e)", file: file, line: fline) }
        if let text { XCTAssertTrue("\(e)".contains(text), "\(e) does not mention \(text)", file: file, line: fline) }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: fline)
    }
}
