// Model checkpoints. The current format (version 3, tagged sections) is described in
// SectionedCheckpoint.swift. This file keeps what every version shares (magic, version word, CRC-32)
// and the fixed layout of versions 1 and 2, which this library still reads (and writes for tests, so
// that reading them stays tested without hand-made bytes):
//
//   offset  size  field
//   0       8     magic "AFMECKPT"
//   8       4     format version (1 or 2)
//   12      4     model kind (0 = structural RotatE/TransE, 1 = AFME: see AFMECheckpoint)
//   16      4     score function (0 RotatE, 1 TransE, 2 RotatE-L2)
//   20      4     dim D
//   24      4     γ (float32)
//   28      4     ε (float32)
//   32      8     entity count E
//   40      8     relation count R
//   48      …     entity table, E × entityWidth float32; then relation table, R × relationWidth float32
//   end−4   4     CRC-32 (IEEE) of bytes [0, end−4)
//
// Decoding checks, in order: size, magic, version, checksum, then every field's domain and the
// payload size; a failure throws and builds nothing. Encoding is deterministic, and a decoded model
// scores bit-identically to the encoded one (floats are stored as their bit patterns).

public enum Checkpoint {
    public static let magic: [UInt8] = Array("AFMECKPT".utf8)
    /// The version `encode` writes.
    public static let formatVersion: UInt32 = 3
    /// The fixed-layout version `encodeVersion2` writes (libafme 0.1.0–0.2.0).
    static let fixedLayoutVersion: UInt32 = 2
    /// Versions this library reads. Structural files are the same in 1 and 2; AFME files of version 1 lack
    /// the last configuration word (completionMix) and load as the model they were: completion = G.
    static let readableVersions: ClosedRange<UInt32> = 1...3
    static let headerSize = 48

    /// The version-2 layout of libafme 0.2.0 (tests write old files with it).
    public static func encodeVersion2(_ model: KGEModel) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + 4 * (model.entities.count + model.relations.count) + 4)
        putHeader(&out, kind: 0, score: model.score, entities: model.entityCount, relations: model.relationCount)
        for v in model.entities { put(&out, v.bitPattern) }
        for v in model.relations { put(&out, v.bitPattern) }
        put(&out, CRC32.checksum(out))
        return out
    }

    /// A structural model in the version 1/2 layout.
    static func decode(_ bytes: [UInt8], path: String? = nil) throws -> KGEModel {
        func fail(_ k: DataError.Kind, _ why: String) -> DataError { DataError(k, why, path: path) }
        if bytes.isEmpty { throw fail(.truncated, "checkpoint is empty (0 bytes)") }
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw fail(.badFormat, "not a libafme checkpoint (bad magic)")
        }
        guard bytes.count >= headerSize + 4 else {
            throw fail(.truncated, "checkpoint is truncated (\(bytes.count) bytes)")
        }
        try verifyEnvelope(bytes, path: path)
        let modelKind: UInt32 = get(bytes, 12)
        guard modelKind == 0 else { throw fail(.badFormat, "unknown model kind \(modelKind)") }
        let kindRaw: UInt32 = get(bytes, 16), dim: UInt32 = get(bytes, 20)
        let gamma = Float(bitPattern: get(bytes, 24)), epsilon = Float(bitPattern: get(bytes, 28))
        let E: UInt64 = get(bytes, 32), R: UInt64 = get(bytes, 40)
        guard let kind = ScoreFunctionKind(rawValue: Int(kindRaw)) else {
            throw fail(.badFormat, "unknown score function \(kindRaw)")
        }
        // The option table's domains (a file the current format could not re-encode is refused).
        guard dim >= 1 && dim <= 65536, gamma.isFinite, gamma > 0, gamma <= 1e6, epsilon.isFinite, epsilon >= 0,
            epsilon <= 1e6
        else {
            throw fail(.badFormat, "configuration out of range (dim \(dim), γ \(gamma), ε \(epsilon))")
        }
        guard E >= 1, R >= 1, E < 1 << 32, R < 1 << 32 else {
            throw fail(.badFormat, "entity/relation counts out of range")
        }
        let f = ScoreFunction(kind: kind, dim: Int(dim), gamma: gamma, epsilon: epsilon)
        let ne = Int(E) * f.entityWidth, nr = Int(R) * f.relationWidth
        guard bytes.count == headerSize + 4 * (ne + nr) + 4 else {
            throw fail(
                .truncated, "payload is \(bytes.count - headerSize - 4) bytes, the header implies \(4 * (ne + nr))")
        }
        var entities = [Float](repeating: 0, count: ne), relations = [Float](repeating: 0, count: nr)
        for i in 0..<ne { entities[i] = Float(bitPattern: get(bytes, headerSize + 4 * i)) }
        for i in 0..<nr { relations[i] = Float(bitPattern: get(bytes, headerSize + 4 * (ne + i))) }
        if entities.contains(where: { !$0.isFinite }) || relations.contains(where: { !$0.isFinite }) {
            throw fail(.nonFinite, "checkpoint holds non-finite weights")
        }
        return KGEModel(score: f, entityCount: Int(E), relationCount: Int(R), entities: entities, relations: relations)
    }

    /// The 48-byte header both model kinds start with.
    static func putHeader(_ out: inout [UInt8], kind: UInt32, score f: ScoreFunction, entities: Int, relations: Int) {
        out += magic
        put(&out, fixedLayoutVersion)
        put(&out, kind)
        put(&out, UInt32(f.kind.rawValue))
        put(&out, UInt32(f.dim))
        put(&out, f.gamma.bitPattern)
        put(&out, f.epsilon.bitPattern)
        put(&out, UInt64(entities))
        put(&out, UInt64(relations))
    }

    /// Format version and CRC-32, shared by every model kind (the caller has checked magic and minimum size).
    @discardableResult
    static func verifyEnvelope(_ bytes: [UInt8], path: String?) throws -> UInt32 {
        let version: UInt32 = get(bytes, 8)
        guard readableVersions.contains(version) else {
            throw DataError(
                .unsupportedVersion,
                "checkpoint format version \(version); this library reads versions \(readableVersions.lowerBound)–\(readableVersions.upperBound)",
                path: path)
        }
        let stored: UInt32 = get(bytes, bytes.count - 4)
        let actual = CRC32.checksum(bytes[0..<(bytes.count - 4)])
        guard stored == actual else {
            throw DataError(
                .checksumMismatch,
                "checksum mismatch (stored \(hex(stored)), computed \(hex(actual))): the file is corrupted or truncated",
                path: path)
        }
        return version
    }

    static func put<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    static func get<T: FixedWidthInteger>(_ b: [UInt8], _ offset: Int) -> T {
        b.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as in zlib and PNG.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}
