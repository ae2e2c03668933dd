// The byte scanners for large triple files against the general readers: on thousands of mutated files
// the loaders give the same graph or the same error with the scanner as without it, and the scanner does
// take the well-formed files (otherwise it would be dead weight that no test could tell from working).
import XCTest
import AFMECore

final class TripleScanTests: XCTestCase {
    /// Random single-byte edits drawn from the bytes that matter to the readers.
    func mutate(_ text: [UInt8], _ rng: inout SplitMix64, alphabet: [[UInt8]]) -> [UInt8] {
        var t = text
        for _ in 0..<(1 + Int(rng.below(3))) {
            let at = Int(rng.below(t.count + 1))
            switch rng.below(3) {
            case 0: t.insert(contentsOf: alphabet[Int(rng.below(alphabet.count))], at: at)
            case 1: if at < t.count { t.remove(at: at) }
            default: if at < t.count { t.replaceSubrange(at...at, with: alphabet[Int(rng.below(alphabet.count))]) }
            }
        }
        return t
    }

    func outcome<T>(_ body: () throws -> T) -> Result<T, DataError> {
        do { return .success(try body()) } catch let e as DataError { return .failure(e) } catch {
            XCTFail("unexpected error \(error)"); return .failure(DataError(.io, "unexpected"))
        }
    }

    func assertSameError(_ a: DataError, _ b: DataError, _ context: String) {
        XCTAssertEqual(a.kind, b.kind, context)
        XCTAssertEqual(a.line, b.line, context)
        XCTAssertEqual(a.reason, b.reason, context)
    }

    func testOpenKEScannerAgreesWithTheGeneralReader() throws {
        let bases = [
            "3\n0 1 0\n1 2 1\n2 3 0\n", "3\r\n0 1 0\r\n1\t2  1\r\n002 3 0", "\u{FEFF} 2 \n0 1 0\n1 2 1\n\n  \n",
            "0\n", "1\n3 3 1 \n",
        ].map { Array($0.utf8) }
        let alphabet =
            ["0", "1", "3", "9", " ", "\t", "\r", "\n", "+", "-", "x", "\u{FEFF}", "é"].map { Array($0.utf8) }
            + [[0xFF]]
        var rng = SplitMix64(seed: 11)
        var scanned = 0, total = 0
        for base in bases {
            XCTAssertNotNil(TripleScan.openKE(base, entities: 4, relations: 2), String(decoding: base, as: UTF8.self))
            for _ in 0..<800 {
                let text = mutate(base, &rng, alphabet: alphabet)
                let context = String(decoding: text, as: UTF8.self).debugDescription
                let general = outcome {
                    try OpenKELoader.parseTriples(text, path: "f", entities: 4, relations: 2, scan: false)
                }
                let fast = outcome { try OpenKELoader.parseTriples(text, path: "f", entities: 4, relations: 2) }
                total += 1
                if TripleScan.openKE(text, entities: 4, relations: 2) != nil { scanned += 1 }
                switch (general, fast) {
                case (.success(let a), .success(let b)): XCTAssertEqual(a, b, context)
                case (.failure(let a), .failure(let b)): assertSameError(a, b, context)
                default: XCTFail("the scanner changed the outcome of \(context): \(general) vs \(fast)")
                }
            }
        }
        XCTAssertGreaterThan(scanned, total / 10, "the scanner takes the well-formed mutations")
    }

    func testVocabularyScannerAgreesWithTheGeneralReader() throws {
        let bases = ["3\na 0\nb b\t2\nc 1\n", "2\r\nQ1\t1\r\nQ2 0\r\n\n", "\u{FEFF}1\nx 0"].map { Array($0.utf8) }
        let alphabet =
            ["0", "1", "2", "a", " ", "\t", "\r", "\n", "+", "é", "e\u{301}"].map { Array($0.utf8) } + [[0xFF]]
        var rng = SplitMix64(seed: 14)
        var scanned = 0, total = 0
        for base in bases {
            XCTAssertNotNil(TripleScan.vocabulary(base), String(decoding: base, as: UTF8.self))
            for _ in 0..<800 {
                let text = mutate(base, &rng, alphabet: alphabet)
                let context = String(decoding: text, as: UTF8.self).debugDescription
                total += 1
                if TripleScan.vocabulary(text) != nil { scanned += 1 }
                switch (
                    outcome { try OpenKELoader.parseVocabulary(text, path: "v", scan: false) },
                    outcome { try OpenKELoader.parseVocabulary(text, path: "v") }
                ) {
                case (.success(let a), .success(let b)): XCTAssertEqual(a, b, context)
                case (.failure(let a), .failure(let b)): assertSameError(a, b, context)
                case (let a, let b): XCTFail("the scanner changed the outcome of \(context): \(a) vs \(b)")
                }
            }
        }
        XCTAssertGreaterThan(scanned, total / 10, "the scanner takes the well-formed mutations")
    }

    func testLabeledScannerAgreesWithTheGeneralReader() throws {
        let dir = makeTempDir(self)
        let bases = [
            "head\trelation\ttail\na\tr\tb\nb\ts\tc c\n", "a\tr\tb\r\n\r\nb\ts\ta\r\nc\tr\ta",
            "\u{FEFF}H\tR\tT\n a \tr\tb\n",
            "x\ty\tz\n",
        ].map { Array($0.utf8) }
        let alphabet = ["a", "b", "c", " ", "\t", "\r", "\n", "h", "\u{FEFF}", "é", "e\u{301}"].map { Array($0.utf8) }
        writeFile(dir + "/valid.tsv", "a\tr\tb\nzz\tr\ta\n")
        writeFile(dir + "/test.tsv", "b\ts\tc c\n")
        var rng = SplitMix64(seed: 12)
        var scanned = 0, total = 0
        for options in [
            LabeledLoadOptions(), try LabeledLoadOptions(parsing: "header=no unseen=refuse"),
            try LabeledLoadOptions(parsing: "header=yes"),
        ] {
            for base in bases {
                for trial in 0..<120 {
                    let text = trial == 0 ? base : mutate(base, &rng, alphabet: alphabet)
                    let context = String(decoding: text, as: UTF8.self).debugDescription + " \(options)"
                    writeFile(dir + "/train.tsv", bytes: text)
                    let load = { (scan: Bool) in
                        self.outcome {
                            try LabeledTriples.load(
                                train: dir + "/train.tsv", valid: dir + "/valid.tsv", test: dir + "/test.tsv",
                                options: options, scan: scan)
                        }
                    }
                    let valid = Array("a\tr\tb\nzz\tr\ta\n".utf8), test = Array("b\ts\tc c\n".utf8)
                    total += 1
                    if TripleScan.labeled([text, valid, test], options: options) != nil { scanned += 1 }
                    switch (load(false), load(true)) {
                    case (.success(let a), .success(let b)):
                        XCTAssertEqual(a.entityNames, b.entityNames, context)
                        XCTAssertEqual(a.relationNames, b.relationNames, context)
                        XCTAssertEqual([a.train, a.valid, a.test], [b.train, b.valid, b.test], context)
                        XCTAssertEqual(a.unseenDropped.valid, b.unseenDropped.valid, context)
                        XCTAssertEqual(a.duplicateTrainTriplesRemoved, b.duplicateTrainTriplesRemoved, context)
                    case (.failure(let a), .failure(let b)): assertSameError(a, b, context)
                    case (let a, let b): XCTFail("the scanner changed the outcome of \(context): \(a) vs \(b)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(scanned, total / 10, "the scanner takes the well-formed mutations")
    }

    func testDeduplicationKeepsFirstOccurrencesInOrder() {
        var rng = SplitMix64(seed: 13)
        for n in [0, 1, 2, 1000, 5000] {
            var triples = (0..<n).map { _ in Triple(Int(rng.below(40)), Int(rng.below(3)), Int(rng.below(40))) }
            if n > 10 { triples += triples[0..<10] }
            var seen = Set<Triple>()
            let reference = triples.filter { seen.insert($0).inserted }
            let (unique, removed) = TripleDeduplication.unique(triples)
            XCTAssertEqual(unique, reference)
            XCTAssertEqual(removed, triples.count - reference.count)
        }
        let distinct = (0..<3000).map { Triple($0, $0 % 7, ($0 * 31) % 3000) }
        XCTAssertEqual(TripleDeduplication.unique(distinct).0, distinct)
        XCTAssertEqual(TripleDeduplication.unique(distinct).removed, 0)
    }
}
