// Fuzz target: labeled triples, what afme_dataset_load_tsv runs on its files. The first input byte picks
// the path: even, the rest is a gzip file (Gzip.decompress, capped at 1 MiB here) whose content is then
// parsed as a training file; odd, the rest is cut at 0xFF bytes into train, valid and test files, loaded
// with LabeledTriples.load (unseen=drop, header=auto). Properties: no trap and no allocation beyond the
// cap; a decompressed output never exceeds the cap; an accepted graph validates, every id in range.
import Glibc

let folder = scratchFolder("afme-fuzz-tsv")

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    // Gzip seeds are written by scripts/fuzz.sh (Python's gzip module); plain ones here.
    writeSeeds([
        (
            "plain.txt",
            [1] + Array("head\trelation\ttail\nParis\tcapital of\tFrance\nBerlin\tcapital of\tGermany\n".utf8) + [0xFF]
                + Array("Paris\tcapital of\tGermany\r\n".utf8) + [0xFF] + Array("Rome\tcapital of\tItaly\n".utf8)
        )
    ])
    return 0
}

func check(_ kg: KnowledgeGraph) {
    require((try? kg.validate()) != nil, "an accepted graph does not validate")
    for t in kg.train + kg.valid + kg.test {
        require(
            t.h >= 0 && t.h < kg.entityCount && t.t >= 0 && t.t < kg.entityCount && t.r >= 0 && t.r < kg.relationCount,
            "an accepted triple has an id out of range")
    }
    require(
        kg.entityNames.count == kg.entityCount && kg.relationNames.count == kg.relationCount,
        "labels do not match the counts")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    let paths = ["train.tsv", "valid.tsv", "test.tsv"].map { joinPath(folder, $0) }
    if mode % 2 == 0 {
        guard let text = try? Gzip.decompress(rest, limit: 1 << 20) else { return 0 }
        require(text.count <= 1 << 20, "decompressed past the cap")
        try! FileBytes.writeAtomically(text, to: paths[0])
        if let kg = try? LabeledTriples.load(train: paths[0], valid: nil, test: nil) { check(kg) }
        return 0
    }
    let parts = rest.split(separator: 0xFF, maxSplits: 2, omittingEmptySubsequences: false)
    for (i, p) in paths.enumerated() { try! FileBytes.writeAtomically(i < parts.count ? Array(parts[i]) : [], to: p) }
    if let kg = try? LabeledTriples.load(train: paths[0], valid: paths[1], test: paths[2]) { check(kg) }
    return 0
}
