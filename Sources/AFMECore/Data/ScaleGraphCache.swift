// A generated scale graph on disk, so benchmarks generate it once: magic "AFMEGRF1", the spec's text,
// the table sizes, the three splits as u32 triples, the feature modalities, then a CRC-32 of everything
// before it. A file whose spec differs from the one asked for, or whose bytes do not check out, is
// regenerated (atomically replaced), never trusted.

extension ScaleGraph {
    static let magic = Array("AFMEGRF1".utf8)

    /// The graph `spec` describes, from `directory`'s cache file when it holds exactly this spec, else
    /// generated and written there. Returns whether the cache was used.
    public static func cached(_ spec: ScaleGraphSpec, directory: String) throws -> (KnowledgeGraph, fromCache: Bool) {
        try spec.validate()
        let path = cachePath(spec, directory: directory)
        if FileBytes.exists(path), let kg = try? read(path, spec: spec) { return (kg, true) }
        let kg = try make(spec)
        try FileBytes.writeAtomically(encode(kg, spec: spec), to: path)
        return (kg, false)
    }

    /// The cache file of `spec` in `directory` (named by a digest of the spec's text).
    public static func cachePath(_ spec: ScaleGraphSpec, directory: String) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in spec.text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return joinPath(directory, "scale-\(String(h, radix: 16)).afmegraph")
    }

    static func encode(_ kg: KnowledgeGraph, spec: ScaleGraphSpec) -> [UInt8] {
        var w = ByteWriter()
        w.bytes = magic
        w.put(string: spec.text)
        w.put(UInt64(kg.entityCount)); w.put(UInt64(kg.relationCount))
        for split in [kg.train, kg.valid, kg.test] {
            w.put(UInt64(split.count))
            var packed = [UInt32](repeating: 0, count: split.count * 3)
            for (i, t) in split.enumerated() {
                packed[3 * i] = UInt32(t.h); packed[3 * i + 1] = UInt32(t.r); packed[3 * i + 2] = UInt32(t.t)
            }
            packed.withUnsafeBytes { w.bytes += $0 }
        }
        w.put(UInt64(kg.modalities.count))
        for m in kg.modalities {
            w.put(string: m.name); w.put(UInt64(m.dim))
            w.put(floats: m.values)
            w.bytes += m.present.map { $0 ? 1 : 0 }
        }
        w.put(CRC32.checksum(w.bytes))
        return w.bytes
    }

    static func read(_ path: String, spec: ScaleGraphSpec) throws -> KnowledgeGraph {
        let bytes = try FileBytes.read(path)
        guard bytes.count >= magic.count + 4, Array(bytes[0..<magic.count]) == magic else {
            throw DataError(.badFormat, "not a scale graph file", path: path)
        }
        var r = ByteReader(bytes, from: bytes.count - 4, to: bytes.count, context: "scale graph", path: path)
        guard try r.u32() == CRC32.checksum(bytes[0..<(bytes.count - 4)]) else {
            throw DataError(.checksumMismatch, "scale graph checksum mismatch", path: path)
        }
        r = ByteReader(bytes, from: magic.count, to: bytes.count - 4, context: "scale graph", path: path)
        guard try r.string() == spec.text else { throw DataError(.badFormat, "another spec's graph", path: path) }
        let E = try r.count(limit: 100_000_000, "entities"), R = try r.count(limit: 1_000_000, "relations")
        guard E == spec.entities, R == spec.relations else {
            throw DataError(.badFormat, "scale graph: table sizes differ from the spec's", path: path)
        }
        var splits: [[Triple]] = []
        for _ in 0..<3 {
            let n = try r.count(limit: r.remaining / 12, "triples")
            let raw = try r.raw(12 * n)
            var out = [Triple]()
            out.reserveCapacity(n)
            try raw.withUnsafeBytes { b in
                for i in 0..<n {
                    let h = Int(b.loadUnaligned(fromByteOffset: 12 * i, as: UInt32.self))
                    let rel = Int(b.loadUnaligned(fromByteOffset: 12 * i + 4, as: UInt32.self))
                    let t = Int(b.loadUnaligned(fromByteOffset: 12 * i + 8, as: UInt32.self))
                    guard h < E, t < E, rel < R else {
                        throw DataError(.idOutOfRange, "a triple id is out of range", path: path)
                    }
                    out.append(Triple(h, rel, t))
                }
            }
            splits.append(out)
        }
        var kg = KnowledgeGraph(entityCount: E, relationCount: R, train: splits[0], valid: splits[1], test: splits[2])
        let M = try r.count(limit: 16, "modalities")
        for _ in 0..<M {
            let name = try r.string(maxBytes: 256)
            let dim = try r.count(limit: 4096, "feature dim")
            guard dim > 0, Double(E) * Double(dim) * 4 <= Double(r.remaining) else {
                throw DataError(.truncated, "scale graph: features end early", path: path)
            }
            let values = try r.floats(E * dim)
            let present = try r.raw(E).map { $0 != 0 }
            try kg.addModality(name: name, dim: dim, values: values, present: present)
        }
        try r.expectEnd()
        try kg.validate()
        return kg
    }
}
