// NumPy .npy reader for 2-D float32/float16 matrices in C order (format versions 1.0, 2.0 and 3.0).

public enum NPYLoader {
    /// A 2-D matrix read from a .npy file, converted to Float.
    public struct Matrix {
        public var rows: Int
        public var cols: Int
        public var values: [Float]
    }

    public static func load(_ path: String) throws -> Matrix {
        try parse(FileBytes.read(path), path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String? = nil) throws -> Matrix {
        func fail(_ kind: DataError.Kind, _ why: String) -> DataError { DataError(kind, why, path: path) }
        if bytes.isEmpty {
            throw fail(.truncated, "file is empty (0 bytes; a .npy file starts with a 10-byte preamble)")
        }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10 else { throw fail(.truncated, "file is shorter than a .npy preamble") }
        guard Array(bytes[0..<6]) == magic else { throw fail(.badFormat, "not a .npy file (bad magic)") }
        let major = bytes[6]
        let headerLen: Int, headerStart: Int
        switch major {
        case 1:
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(.truncated, "file ends inside the .npy preamble") }
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24;
            headerStart = 12
        default:
            throw fail(.badFormat, "unsupported .npy format version \(major)")
        }
        guard headerStart + headerLen <= bytes.count else { throw fail(.truncated, "file ends inside the .npy header") }
        guard let header = String(validating: bytes[headerStart..<(headerStart + headerLen)], as: UTF8.self) else {
            throw fail(.badFormat, "the .npy header is not text")
        }
        let descr = try field(header, "descr", path: path)
        let fortran = try field(header, "fortran_order", path: path)
        let shapeText = try field(header, "shape", path: path)

        let elementSize: Int
        switch descr {
        case "'<f4'", "\"<f4\"": elementSize = 4
        case "'<f2'", "\"<f2\"": elementSize = 2
        default: throw fail(.unsupportedDType, "dtype \(quoted(descr)) is not little-endian float32 or float16")
        }
        if fortran.hasPrefix("True") {
            throw fail(.fortranOrder, "array is in Fortran (column-major) order; save it C-contiguous")
        }
        guard fortran.hasPrefix("False") else { throw fail(.badFormat, "fortran_order is neither True nor False") }

        let inner = shapeText.drop(while: { $0 == "(" }).prefix(while: { $0 != ")" })
        let dims = inner.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard dims.count == 2, let rows = Int(dims[0]), let cols = Int(dims[1]), rows >= 0, cols >= 0 else {
            throw fail(.shapeMismatch, "expected a 2-D shape (rows, cols), found \(quoted(shapeText))")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        let dataStart = headerStart + headerLen
        guard !overflow, count <= (bytes.count - dataStart) / elementSize else {
            let (needed, tooBig) = count.multipliedReportingOverflow(by: elementSize)
            let need = overflow || tooBig ? "more than \(Int.max)" : "\(needed)"
            throw fail(
                .truncated, "shape (\(rows), \(cols)) needs \(need) data bytes, file has \(bytes.count - dataStart)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + dataStart
            if elementSize == 4 {
                for i in 0..<count {
                    values[i] = Float(
                        bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            } else {
                for i in 0..<count {
                    values[i] = halfToFloat(
                        UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail(.nonFinite, "non-finite value at row \(bad / max(cols, 1)), column \(bad % max(cols, 1))")
        }
        return Matrix(rows: rows, cols: cols, values: values)
    }

    /// The value text of `key` in the header dict, up to the next top-level comma.
    static func field(_ header: String, _ key: String, path: String?) throws -> Substring {
        guard let r = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else {
            throw DataError(.badFormat, "the .npy header has no '\(key)'", path: path)
        }
        var rest = header[r.upperBound...].drop(while: { $0 == " " })
        var depth = 0, end = rest.startIndex
        while end < rest.endIndex {
            let c = rest[end]
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if (c == "," && depth == 0) || c == "}" { break }
            end = rest.index(after: end)
        }
        rest = rest[..<end]
        return rest.trimmingWhitespace()
    }

    /// IEEE 754 binary16 → binary32, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F), mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let v = Float(mant) * 0x1p-24
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }
}

extension String {
    func range(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty, needle.count <= count else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

extension KnowledgeGraph {
    /// Adds a modality from a .npy file; `missingIds` lists entities whose row is absent (kept as zeros).
    public mutating func addModality(name: String, npyPath: String, missingIds: [Int] = []) throws {
        let m = try NPYLoader.load(npyPath)
        if m.rows != entityCount {
            throw DataError(.shapeMismatch, "\(m.rows) feature rows for \(entityCount) entities", path: npyPath)
        }
        do {
            try addModality(name: name, dim: m.cols, values: m.values, missingIds: missingIds)
        } catch var e as DataError {
            if e.path == nil { e.path = npyPath }
            throw e
        }
    }

    /// Adds a modality from memory ([entityCount, dim] row-major). Validates before changing anything.
    public mutating func addModality(
        name: String, dim: Int, values: [Float], present: [Bool]? = nil, missingIds: [Int] = []
    ) throws {
        var mask = present ?? [Bool](repeating: true, count: entityCount)
        for id in missingIds {
            guard id >= 0 && id < entityCount else {
                throw DataError(.idOutOfRange, "missing id \(id) outside 0..<\(entityCount)")
            }
            mask[id] = false
        }
        var vals = values
        let m = FeatureModality(name: name, dim: dim, values: vals, present: mask)
        try m.validate(entityCount: entityCount)
        for e in 0..<entityCount where !mask[e] { for j in 0..<dim { vals[e * dim + j] = 0 } }
        modalities.append(FeatureModality(name: name, dim: dim, values: vals, present: mask))
    }
}
