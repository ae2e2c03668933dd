// Checkpoint format version 3: tagged sections, the configuration as key/value text.
//
//   offset  size  field
//   0       8     magic "AFMECKPT"
//   8       4     format version (3)
//   12      4     section count N (1…64)
//   16      …     N sections: tag (4 ASCII letters or digits), payload length (u64), payload
//   end−4   4     CRC-32 (IEEE) of bytes [0, end−4)
//
// The envelope's sections: KIND (the registry name, UTF-8), CONF (`option=value` lines: the kind's stored
// options, see OptionTable.stored), SIZE (entity count u64, relation count u64) and, optionally, LABL
// (entity then relation labels: u64 count, then per label u32 length + UTF-8) and `hist` (the training
// history: u64 count, then per epoch: epoch u32, loss f32, seconds f64, validated u8, then the latest
// validation's count u64 (0 = none yet), mean rank, MRR, Hits@1, @3, @10 as f64). The kind's own sections
// follow (ModelKindEntry.sectionTags). A tag whose first character is an upper-case letter is critical: a
// reader that does not know it refuses the file; any other unknown tag is skipped, so later versions can
// add metadata older readers ignore. In CONF an unknown key is ignored, and a key added later must default
// to the behaviour of files written without it: new options never move old bytes.
//
// Versions 1 and 2 (fixed layouts, see Checkpoint and AFMECheckpoint) are still read; they carry no labels.

/// One section to write: its tag, its payload size and a writer for the payload.
public struct CheckpointSection {
    public let tag: String
    public let byteCount: Int
    let write: (inout ByteWriter) -> Void

    init(_ tag: String, byteCount: Int, write: @escaping (inout ByteWriter) -> Void) {
        precondition(tag.utf8.count == 4, "section tags are four ASCII characters")
        self.tag = tag; self.byteCount = byteCount; self.write = write
    }

    static func floats(_ tag: String, _ values: [Float]) -> CheckpointSection {
        CheckpointSection(tag, byteCount: 4 * values.count) { $0.put(floats: values) }
    }
}

/// The sections of a file being decoded, by tag.
public struct CheckpointSections {
    let bytes: [UInt8]
    let ranges: [String: Range<Int>]
    let path: String?

    public func has(_ tag: String) -> Bool { ranges[tag] != nil }

    /// A bounded reader over section `tag`; a missing section is a format error.
    func reader(_ tag: String) throws -> ByteReader {
        guard let r = ranges[tag] else { throw DataError(.badFormat, "checkpoint has no \(tag) section", path: path) }
        return ByteReader(bytes, from: r.lowerBound, to: r.upperBound, context: "section \(tag)", path: path)
    }

    /// The whole of section `tag` as float32 values, exactly `count` of them.
    func floats(_ tag: String, count: Int) throws -> [Float] {
        var r = try reader(tag)
        guard r.remaining == 4 * count else {
            throw r.fail(.badFormat, "holds \(r.remaining) bytes, the configuration implies \(count) floats")
        }
        return try r.floats(count)
    }
}

/// Entity and relation labels: what a model answers in, so that one file is enough to serve by name.
public struct Labels: Sendable, Equatable {
    public let entities: [String]
    public let relations: [String]
    private let entityIndex: [String: Int]
    private let relationIndex: [String: Int]

    /// Refuses an empty or repeated label: a label must name one id.
    public init(entities: [String], relations: [String]) throws {
        self.entities = entities; self.relations = relations
        entityIndex = try Labels.index(entities, "entity")
        relationIndex = try Labels.index(relations, "relation")
    }

    public func entityID(_ label: String) -> Int? { entityIndex[label] }
    public func relationID(_ label: String) -> Int? { relationIndex[label] }

    public static func == (a: Labels, b: Labels) -> Bool { a.entities == b.entities && a.relations == b.relations }

    static func index(_ labels: [String], _ what: String) throws -> [String: Int] {
        var index = [String: Int](minimumCapacity: labels.count)
        for (i, l) in labels.enumerated() {
            if l.isEmpty { throw DataError(.badToken, "\(what) \(i) has an empty label") }
            if let j = index.updateValue(i, forKey: l) {
                throw DataError(.idOutOfRange, "\(what) label \(quoted(l)) names both id \(j) and id \(i)")
            }
        }
        return index
    }
}

/// A decoded checkpoint: the model, its labels when the file has them, its training history (empty when
/// the file has none), and the format version read.
public struct ModelFile {
    public var model: TrainedModel
    public var labels: Labels?
    public var history: [EpochReport] = []
    public var formatVersion: UInt32
    /// Where an interrupted run can continue from (section `rsum`), if the file has it.
    public var resume: ResumeState? = nil
}

extension Checkpoint {
    static let sectionedVersion: UInt32 = 3
    static let maxSections = 64
    static let envelopeTags: Set<String> = ["KIND", "CONF", "SIZE", "LABL"]
    static let maxLabelBytes = 1 << 16
    static let historyEntrySize = 4 + 4 + 8 + 1 + 8 + 5 * 8

    /// The current format: KIND, CONF, SIZE, LABL (when given), then the kind's sections.
    public static func encode(
        _ model: TrainedModel, labels: Labels? = nil, history: [EpochReport] = [], resume: ResumeState? = nil
    ) -> [UInt8] {
        precondition(
            labels.map { $0.entities.count == model.entityCount && $0.relations.count == model.relationCount } ?? true,
            "labels must match the model's tables")
        let kind = Array(model.kindName.utf8)
        let conf = Array(
            OptionTable.stored(for: model.kindName).map { "\($0.name)=\($0.read(model.request))\n" }.joined().utf8)
        var sections = [
            CheckpointSection("KIND", byteCount: kind.count) { $0.bytes += kind },
            CheckpointSection("CONF", byteCount: conf.count) { $0.bytes += conf },
            CheckpointSection("SIZE", byteCount: 16) {
                $0.put(UInt64(model.entityCount)); $0.put(UInt64(model.relationCount))
            },
        ]
        if let labels {
            let size = 16 + (labels.entities + labels.relations).reduce(0) { $0 + 4 + $1.utf8.count }
            sections.append(
                CheckpointSection("LABL", byteCount: size) { w in
                    for list in [labels.entities, labels.relations] {
                        w.put(UInt64(list.count))
                        for l in list { w.put(string: l) }
                    }
                })
        }
        if !history.isEmpty {
            sections.append(
                CheckpointSection("hist", byteCount: 8 + history.count * historyEntrySize) { w in
                    w.put(UInt64(history.count))
                    for e in history {
                        w.put(UInt32(e.epoch)); w.put(e.meanLoss.bitPattern); w.put(e.seconds.bitPattern);
                        w.bytes.append(e.validated ? 1 : 0)
                        let v = e.validation
                        w.put(UInt64(v?.count ?? 0))
                        for x in [v?.meanRank ?? 0, v?.mrr ?? 0, v?.hits1 ?? 0, v?.hits3 ?? 0, v?.hits10 ?? 0] {
                            w.put(x.bitPattern)
                        }
                    }
                })
        }
        if let resume {
            let bytes = resume.encode()
            sections.append(CheckpointSection("rsum", byteCount: bytes.count) { $0.bytes += bytes })
        }
        sections += model.checkpointSections()
        var w = ByteWriter()
        w.bytes.reserveCapacity(16 + sections.reduce(0) { $0 + 12 + $1.byteCount } + 4)
        w.bytes += magic
        w.put(sectionedVersion)
        w.put(UInt32(sections.count))
        for s in sections {
            w.bytes += Array(s.tag.utf8)
            w.put(UInt64(s.byteCount))
            let start = w.bytes.count
            s.write(&w)
            precondition(
                w.bytes.count - start == s.byteCount,
                "section \(s.tag) wrote \(w.bytes.count - start) bytes, declared \(s.byteCount)")
        }
        w.put(CRC32.checksum(w.bytes))
        return w.bytes
    }

    /// Any readable version. Checks, in order: size, magic, version, checksum, then every section.
    public static func decodeFile(_ bytes: [UInt8], path: String? = nil) throws -> ModelFile {
        func fail(_ k: DataError.Kind, _ why: String) -> DataError { DataError(k, why, path: path) }
        if bytes.isEmpty { throw fail(.truncated, "checkpoint is empty (0 bytes)") }
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw fail(.badFormat, "not a libafme checkpoint (bad magic)")
        }
        guard bytes.count >= 20 else { throw fail(.truncated, "checkpoint is truncated (\(bytes.count) bytes)") }
        let version = try verifyEnvelope(bytes, path: path)
        if version < sectionedVersion {
            guard bytes.count >= headerSize + 4 else {
                throw fail(.truncated, "checkpoint is truncated (\(bytes.count) bytes)")
            }
            let kind: UInt32 = get(bytes, 12)
            let model: TrainedModel =
                kind == afmeKind ? try decodeAFME(bytes, path: path) : try decode(bytes, path: path)
            return ModelFile(model: model, labels: nil, formatVersion: version)
        }
        let sections = try readSections(bytes, path: path)
        var kindReader = try sections.reader("KIND")
        let kindName = String(decoding: try kindReader.raw(kindReader.remaining), as: UTF8.self)
        guard let entry = ModelRegistry.entry(for: kindName) else {
            throw fail(
                .badFormat,
                "model kind \(quoted(kindName)) is not one this libafme \(AFMEVersion.string) knows (\(ModelKinds.names.joined(separator: ", ")))"
            )
        }
        for tag in sections.ranges.keys.sorted()
        where tag.first!.isUppercase && !envelopeTags.contains(tag) && !entry.sectionTags.contains(tag) {
            throw fail(
                .badFormat,
                "critical section \(tag) is not one this libafme \(AFMEVersion.string) reads for model \(kindName)")
        }
        let request = try configuration(sections, kind: kindName)
        var size = try sections.reader("SIZE")
        let E = try size.u64(), R = try size.u64()
        try size.expectEnd()
        guard E >= 1, R >= 1, E < 1 << 32, R < 1 << 32 else {
            throw fail(.badFormat, "entity/relation counts out of range (\(E), \(R))")
        }
        let model = try entry.decode(request, Int(E), Int(R), sections)
        let labels = sections.has("LABL") ? try readLabels(sections, entities: Int(E), relations: Int(R)) : nil
        let history = sections.has("hist") ? try readHistory(sections) : []
        var resume: ResumeState? = nil
        if sections.has("rsum") {
            var r = try sections.reader("rsum")
            resume = try ResumeState.decode(Array(try r.raw(r.remaining)), path: path)
        }
        return ModelFile(model: model, labels: labels, history: history, formatVersion: version, resume: resume)
    }

    public static func loadFile(from path: String) throws -> ModelFile {
        try decodeFile(FileBytes.read(path), path: path)
    }

    /// Atomic save (temporary file, fsync, rename): the previous file survives any failure.
    public static func save(
        _ model: TrainedModel, labels: Labels? = nil, history: [EpochReport] = [], resume: ResumeState? = nil,
        to path: String
    ) throws {
        try FileBytes.writeAtomically(encode(model, labels: labels, history: history, resume: resume), to: path)
    }

    static func readHistory(_ sections: CheckpointSections) throws -> [EpochReport] {
        var r = try sections.reader("hist")
        let n = try r.count(limit: Int(Int32.max), "history length")
        guard n * historyEntrySize == r.remaining else {
            throw r.fail(.badFormat, "\(n) entries need \(n * historyEntrySize) bytes, the section has \(r.remaining)")
        }
        var out: [EpochReport] = []
        for _ in 0..<n {
            let epoch = Int(try r.u32()), loss = Float(bitPattern: try r.u32()),
                seconds = Double(bitPattern: try r.u64())
            let flag = try r.raw(1).first!
            let count = try r.u64()
            let v = try (0..<5).map { _ in Double(bitPattern: try r.u64()) }
            guard flag <= 1, count < 1 << 40, seconds.isFinite, !loss.isNaN, v.allSatisfy(\.isFinite) else {
                throw r.fail(.badFormat, "an entry is out of range")
            }
            let m =
                count == 0
                ? nil
                : RankingMetrics(count: Int(count), meanRank: v[0], mrr: v[1], hits1: v[2], hits3: v[3], hits10: v[4])
            out.append(EpochReport(epoch: epoch, meanLoss: loss, seconds: seconds, validation: m, validated: flag == 1))
        }
        try r.expectEnd()
        return out
    }

    static func readSections(_ bytes: [UInt8], path: String?) throws -> CheckpointSections {
        var r = ByteReader(bytes, from: 12, to: bytes.count - 4, context: "section list", path: path)
        let n = Int(try r.u32())
        guard n >= 1 && n <= maxSections else { throw r.fail(.badFormat, "\(n) sections (1…\(maxSections) allowed)") }
        var ranges: [String: Range<Int>] = [:]
        for _ in 0..<n {
            let tagBytes = try r.raw(4)
            guard
                tagBytes.allSatisfy({
                    (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                })
            else {
                throw r.fail(.badFormat, "a section tag is not four ASCII letters or digits")
            }
            let tag = String(decoding: tagBytes, as: UTF8.self)
            let length = try r.count(limit: r.remaining - 8 >= 0 ? r.remaining - 8 : 0, "section \(tag) length")
            let payload = try r.raw(length)
            guard ranges.updateValue(payload.startIndex..<payload.endIndex, forKey: tag) == nil else {
                throw r.fail(.badFormat, "section \(tag) appears twice")
            }
        }
        try r.expectEnd()
        return CheckpointSections(bytes: bytes, ranges: ranges, path: path)
    }

    /// CONF applied to a fresh request of the kind: known keys through the option table's domain checks.
    static func configuration(_ sections: CheckpointSections, kind: String) throws -> ModelRequest {
        var r = try sections.reader("CONF")
        let raw = try r.raw(r.remaining)
        guard let text = String(validating: raw, as: UTF8.self) else { throw r.fail(.badFormat, "is not UTF-8") }
        var request = try ModelRequest(kind: kind)
        var seen = Set<String>()
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else {
                throw r.fail(.badFormat, "line \(quoted(line)) is not key=value")
            }
            let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
            guard seen.insert(key).inserted else { throw r.fail(.badFormat, "key \(quoted(key)) appears twice") }
            guard let spec = OptionTable.named(key, kind: kind), spec.applies(to: kind) else { continue }  // a later version's key
            do { try request.set(key, value) } catch let e as DataError { throw r.fail(.badFormat, e.reason) }
        }
        for key in OptionTable.sharedStored where !seen.contains(key) { throw r.fail(.badFormat, "has no \(key)") }
        return request
    }

    static func readLabels(_ sections: CheckpointSections, entities: Int, relations: Int) throws -> Labels {
        var r = try sections.reader("LABL")
        var lists: [[String]] = []
        for (what, expected) in [("entity", entities), ("relation", relations)] {
            let n = try r.count(limit: r.remaining / 4, "\(what) label count")
            guard n == expected else { throw r.fail(.badFormat, "\(n) \(what) labels for \(expected) \(what)s") }
            var list: [String] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(try r.string(maxBytes: maxLabelBytes)) }
            lists.append(list)
        }
        try r.expectEnd()
        do { return try Labels(entities: lists[0], relations: lists[1]) } catch let e as DataError {
            throw r.fail(.badFormat, e.reason)
        }
    }
}
