// Little-endian writing and bounded reading of checkpoint fields. Every read checks the bytes left
// before it touches them, so a length field in a crafted file can never make the reader run past its
// section or allocate more than the section itself holds.
#if canImport(Glibc)
import Glibc
#endif

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }

    /// Float32 bit patterns, copied in bulk (this library builds for little-endian targets only).
    mutating func put(floats v: [Float]) {
        #if _endian(big)
        for x in v { put(x.bitPattern) }
        #else
        v.withUnsafeBytes { bytes += $0 }
        #endif
    }

    /// u32 length, then UTF-8.
    mutating func put(string s: String) {
        let b = Array(s.utf8)
        put(UInt32(b.count)); bytes += b
    }
}

struct ByteReader {
    let bytes: [UInt8]
    private(set) var at: Int
    let end: Int
    /// What is being read, for messages ("section PARM").
    let context: String
    let path: String?

    init(_ bytes: [UInt8], from start: Int, to end: Int, context: String, path: String?) {
        self.bytes = bytes; at = start; self.end = end; self.context = context; self.path = path
    }

    var remaining: Int { end - at }

    func fail(_ kind: DataError.Kind, _ why: String) -> DataError { DataError(kind, "\(context): \(why)", path: path) }

    mutating func need(_ n: Int) throws {
        guard n >= 0, n <= end - at else { throw fail(.truncated, "ends inside a field at byte \(at)") }
    }

    mutating func u32() throws -> UInt32 { try need(4); defer { at += 4 }; return load(at) }
    mutating func u64() throws -> UInt64 { try need(8); defer { at += 8 }; return load(at) }

    /// A u64 count, refused unless it is at most `limit` (callers bound it by the bytes left).
    mutating func count(limit: Int, _ what: String) throws -> Int {
        let v = try u64()
        guard v <= UInt64(max(limit, 0)) else { throw fail(.badFormat, "\(what) \(v) exceeds \(limit)") }
        return Int(v)
    }

    mutating func raw(_ n: Int) throws -> ArraySlice<UInt8> {
        try need(n); defer { at += n }
        return bytes[at..<(at + n)]
    }

    /// `n` float32 values, every one finite.
    mutating func floats(_ n: Int) throws -> [Float] {
        guard n >= 0, n <= (end - at) / 4 else { throw fail(.truncated, "ends inside a table at byte \(at)") }
        var v = [Float](repeating: 0, count: n)
        #if _endian(big)
        for i in 0..<n { v[i] = Float(bitPattern: load(at + 4 * i)) }
        #else
        if n > 0 {
            bytes.withUnsafeBytes { src in
                v.withUnsafeMutableBytes { dst in _ = memcpy(dst.baseAddress!, src.baseAddress! + at, 4 * n) }
            }
        }
        #endif
        at += 4 * n
        if v.contains(where: { !$0.isFinite }) { throw fail(.nonFinite, "holds non-finite values") }
        return v
    }

    /// u32 length (at most `maxBytes`), then UTF-8.
    mutating func string(maxBytes: Int = 4096) throws -> String {
        let n = Int(try u32())
        guard n <= maxBytes else { throw fail(.badFormat, "a string of \(n) bytes (at most \(maxBytes))") }
        let b = try raw(n)
        guard let s = String(validating: b, as: UTF8.self) else { throw fail(.badFormat, "a string is not UTF-8") }
        return s
    }

    func expectEnd() throws {
        guard at == end else { throw fail(.badFormat, "\(end - at) unexpected bytes at the end") }
    }

    private func load<T: FixedWidthInteger>(_ offset: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
