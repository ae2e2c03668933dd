// gzip (RFC 1952) and DEFLATE (RFC 1951) decoding, so labeled triple files can be read compressed
// without making libafme.so depend on zlib. Every read is bounded by the input; the output is capped
// (a decompression bomb is refused, not allocated); the CRC-32 and length of each member are checked.

public enum Gzip {
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// The concatenated content of every member. `limit` caps the decompressed size.
    public static func decompress(_ bytes: [UInt8], limit: Int = 16 << 30, path: String? = nil) throws -> [UInt8] {
        func fail(_ why: String) -> DataError { DataError(.badFormat, "gzip: \(why)", path: path) }
        var out: [UInt8] = []
        var at = 0
        repeat {
            guard bytes.count - at >= 18, bytes[at] == 0x1F, bytes[at + 1] == 0x8B else {
                throw fail("not a gzip member at byte \(at)")
            }
            guard bytes[at + 2] == 8 else { throw fail("compression method \(bytes[at + 2]) is not deflate") }
            let flags = bytes[at + 3]
            guard flags & 0xE0 == 0 else { throw fail("reserved flag bits set") }
            var p = at + 10
            func need(_ n: Int) throws { guard n >= 0, p + n <= bytes.count else { throw fail("header ends early") } }
            if flags & 4 != 0 {  // FEXTRA
                try need(2); let n = Int(bytes[p]) | Int(bytes[p + 1]) << 8; p += 2; try need(n); p += n
            }
            for bit: UInt8 in [8, 16] where flags & bit != 0 {  // FNAME, FCOMMENT: NUL-terminated
                while true { try need(1); p += 1; if bytes[p - 1] == 0 { break } }
            }
            if flags & 2 != 0 { try need(2); p += 2 }  // FHCRC
            let start = out.count
            var inflater = Inflater(bytes, from: p, limit: limit, path: path)
            try inflater.run(into: &out)
            p = inflater.endByte
            guard bytes.count - p >= 8 else { throw fail("member ends before its CRC and length") }
            let crc =
                UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
            let size =
                UInt32(bytes[p + 4]) | UInt32(bytes[p + 5]) << 8 | UInt32(bytes[p + 6]) << 16 | UInt32(bytes[p + 7])
                << 24
            guard CRC32.checksum(out[start...]) == crc else { throw fail("CRC-32 mismatch: the file is corrupted") }
            guard UInt32(truncatingIfNeeded: out.count - start) == size else {
                throw fail("length mismatch: the file is corrupted")
            }
            at = p + 8
        } while at < bytes.count && !(bytes[at...].allSatisfy { $0 == 0 })  // trailing zero padding is allowed
        return out
    }
}

/// A DEFLATE stream decoder: stored, fixed-Huffman and dynamic-Huffman blocks.
struct Inflater {
    let input: [UInt8]
    var byte: Int
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    let limit: Int
    let path: String?

    init(_ input: [UInt8], from start: Int, limit: Int, path: String?) {
        self.input = input; byte = start; self.limit = limit; self.path = path
    }

    /// The first byte after the stream (the bits of a partly used byte are dropped).
    var endByte: Int { byte - bitCount / 8 }

    func fail(_ why: String) -> DataError { DataError(.badFormat, "gzip: \(why)", path: path) }

    mutating func bits(_ n: Int) throws -> Int {
        while bitCount < n {
            guard byte < input.count else { throw fail("the compressed data ends early") }
            bitBuffer |= UInt64(input[byte]) << UInt64(bitCount)
            byte += 1; bitCount += 8
        }
        let v = Int(bitBuffer & ((1 << UInt64(n)) - 1))
        bitBuffer >>= UInt64(n); bitCount -= n
        return v
    }

    /// Canonical Huffman code from code lengths: counts per length and symbols sorted by code.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []
        init(lengths: [Int]) throws {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var left = 1
            for len in 1..<16 {  // over-subscribed sets are invalid
                left <<= 1; left -= counts[len]
                if left < 0 { throw DataError(.badFormat, "gzip: an over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (s, l) in lengths.enumerated() where l != 0 { symbols[offsets[l]] = s; offsets[l] += 1 }
        }
    }

    mutating func decode(_ h: Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for len in 1..<16 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count; first += count; first <<= 1; code <<= 1
        }
        throw fail("an invalid Huffman code")
    }

    static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
        3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ]
    static let distanceExtra = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]
    static let fixed: (Huffman, Huffman) = {
        var l = [Int](repeating: 8, count: 288)
        for i in 144..<256 { l[i] = 9 }
        for i in 256..<280 { l[i] = 7 }
        return (try! Huffman(lengths: l), try! Huffman(lengths: [Int](repeating: 5, count: 30)))
    }()

    mutating func run(into out: inout [UInt8]) throws {
        let base = out.count
        var last = false
        repeat {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0:
                bitBuffer = 0; bitCount = 0  // stored: to the byte boundary
                guard input.count - byte >= 4 else { throw fail("a stored block ends early") }
                let len = Int(input[byte]) | Int(input[byte + 1]) << 8,
                    nlen = Int(input[byte + 2]) | Int(input[byte + 3]) << 8
                guard len == (~nlen & 0xFFFF) else { throw fail("a stored block's length check fails") }
                byte += 4
                guard input.count - byte >= len else { throw fail("a stored block ends early") }
                guard out.count - base + len <= limit else { throw fail("decompresses to more than \(limit) bytes") }
                out += input[byte..<(byte + len)]; byte += len
            case 1: try codes(Inflater.fixed.0, Inflater.fixed.1, &out, base)
            case 2:
                let (lit, dist) = try dynamicTables()
                try codes(lit, dist, &out, base)
            default: throw fail("block type 3 is invalid")
            }
        } while !last
    }

    mutating func dynamicTables() throws -> (Huffman, Huffman) {
        let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw fail("too many length or distance codes") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { codeLengths[order[i]] = try bits(3) }
        let lengthCode = try Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < nlen + ndist {
            let sym = try decode(lengthCode)
            switch sym {
            case 0..<16: lengths.append(sym)
            case 16:
                guard let prev = lengths.last else { throw fail("a repeat with no previous length") }
                lengths += [Int](repeating: prev, count: 3 + (try bits(2)))
            case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
            default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
            }
        }
        guard lengths.count == nlen + ndist else { throw fail("code lengths overrun their table") }
        guard lengths[256] != 0 else { throw fail("no end-of-block code") }
        return (try Huffman(lengths: Array(lengths[0..<nlen])), try Huffman(lengths: Array(lengths[nlen...])))
    }

    mutating func codes(_ lit: Huffman, _ dist: Huffman, _ out: inout [UInt8], _ base: Int) throws {
        while true {
            let sym = try decode(lit)
            if sym < 256 {
                guard out.count - base < limit else { throw fail("decompresses to more than \(limit) bytes") }
                out.append(UInt8(sym))
            } else if sym == 256 {
                return
            } else {
                let s = sym - 257
                guard s < 29 else { throw fail("an invalid length code") }
                let len = Inflater.lengthBase[s] + (try bits(Inflater.lengthExtra[s]))
                let d = try decode(dist)
                guard d < 30 else { throw fail("an invalid distance code") }
                let distance = Inflater.distanceBase[d] + (try bits(Inflater.distanceExtra[d]))
                guard distance <= out.count - base else { throw fail("a distance reaches before the start") }
                guard out.count - base + len <= limit else { throw fail("decompresses to more than \(limit) bytes") }
                let from = out.count - distance
                for i in 0..<len { out.append(out[from + i]) }
            }
        }
    }
}
