// Fuzz target: OpenKELoader.load, what afme_dataset_load_openke runs on a folder. The input is cut at
// 0xFF bytes (never part of UTF-8 text) into entity2id, relation2id, train2id, valid2id and test2id,
// written to a scratch folder. Properties: no trap, and an accepted graph validates and has every
// triple's ids in range.
import Glibc

let names = ["entity2id.txt", "relation2id.txt", "train2id.txt", "valid2id.txt", "test2id.txt"]
let folder = scratchFolder("afme-fuzz-openke")

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    func join(_ parts: [String]) -> [UInt8] { Array(parts.map { Array($0.utf8) }.joined(separator: [0xFF])) }
    writeSeeds([
        (
            "graph.txt",
            join([
                "3\nparis 0\nnew york 2\nfrance\t1\n", "2\ncapital_of 0\nlocated_in 1\n", "2\n0 1 0\n2 1 1\n",
                "1\n0 1 1\n", "0\n",
            ])
        ),
        ("crlf.txt", join(["1\r\na 0\r\n", "1\nr 0\n", "1\n0 0 0\r\n", "0", "0"])),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpenKE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let parts = bytes(data, size).split(separator: 0xFF, maxSplits: 4, omittingEmptySubsequences: false)
    for (i, name) in names.enumerated() {
        let path = joinPath(folder, name)
        if i < parts.count { try! FileBytes.writeAtomically(Array(parts[i]), to: path) } else { unlink(path) }
    }
    guard let kg = try? OpenKELoader.load(folder: folder) else { return 0 }
    require((try? kg.validate()) != nil, "an accepted graph does not validate")
    for t in kg.train + kg.valid + kg.test {
        require(
            t.h >= 0 && t.h < kg.entityCount && t.t >= 0 && t.t < kg.entityCount && t.r >= 0 && t.r < kg.relationCount,
            "an accepted triple has an id out of range")
    }
    return 0
}
