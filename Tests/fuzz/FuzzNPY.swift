// Fuzz target: NPYLoader.parse, what afme_dataset_add_modality_npy runs on a file's bytes. Properties:
// no trap, no allocation beyond the input's size, and an accepted matrix has rows × cols finite values.

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    func npy(_ version: UInt8, _ descr: String, _ shape: String, _ payload: [UInt8]) -> [UInt8] {
        var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
        let preamble = version == 1 ? 10 : 12
        while (preamble + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let n = header.count
        out +=
            version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : (0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }
        return out + header + payload
    }
    let f4 = [Float](arrayLiteral: 1, -2, 0.5, 3, 0, 7).flatMap { v in
        (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) }
    }
    let f2: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38, 0x00, 0x42]  // 1, −2, 0.5, 3 as binary16
    writeSeeds([
        ("f4.npy", npy(1, "<f4", "(2, 3)", f4)), ("f2.npy", npy(2, "<f2", "(4, 1)", f2)),
        ("empty.npy", npy(3, "<f4", "(0, 5)", [])),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let m = try? NPYLoader.parse(input) else { return 0 }
    require(m.rows >= 0 && m.cols >= 0 && m.values.count == m.rows * m.cols, "accepted shape and value count disagree")
    require(m.values.allSatisfy(\.isFinite), "accepted a non-finite value")
    return 0
}
