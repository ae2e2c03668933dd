// Labeled triples, as KG pipelines hold them: `head<TAB>relation<TAB>tail` text (PyKEEN's and DGL-KE's
// raw format; gzip accepted), or label arrays from memory. Ids are given in order of first appearance in
// the training triples. A valid or test triple naming a label the training triples do not have cannot
// be ranked by a model trained on them: by policy it is dropped (and counted) or the load is refused.

public struct LabeledLoadOptions: Equatable, Sendable {
    public enum Header: String, Sendable { case auto, yes, no }
    public enum Unseen: String, Sendable { case drop, refuse }
    /// `auto` skips a first line whose fields are column names (head/relation/tail, subject/predicate/object,
    /// h/r/t, source/relation/target, in any case).
    public var header: Header = .auto
    public var unseen: Unseen = .drop
    public init() {}

    /// `key=value` items separated by spaces, commas or newlines ("header=no unseen=refuse"); unknown keys
    /// and values are refused with the valid ones.
    public init(parsing text: String) throws {
        for item in text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" }) {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw DataError(.invalidArgument, "load option \(quoted(item)) is not key=value")
            }
            switch parts[0].lowercased() {
            case "header":
                guard let h = Header(rawValue: parts[1].lowercased()) else {
                    throw DataError(.invalidArgument, "header = \(quoted(parts[1])): expected auto, yes or no")
                }
                header = h
            case "unseen":
                guard let u = Unseen(rawValue: parts[1].lowercased()) else {
                    throw DataError(.invalidArgument, "unseen = \(quoted(parts[1])): expected drop or refuse")
                }
                unseen = u
            default:
                throw DataError(
                    .invalidArgument, "unknown load option \(quoted(parts[0])); valid options: header, unseen")
            }
        }
    }
}

public enum LabeledTriples {
    static let headerNames: [[String]] = [
        ["head", "relation", "tail"], ["subject", "predicate", "object"], ["h", "r", "t"],
        ["source", "relation", "target"], ["head", "rel", "tail"],
    ]

    /// One labeled triple and where it came from (for messages).
    public struct Row {
        public var labels: (Substring, Substring, Substring)
        public var line: Int
    }

    /// Loads train (and optionally valid and test) files. Nothing is returned unless every file parsed.
    /// `scan: false` skips the byte scanner (`TripleScan.labeled`) and runs only the general reader, which
    /// must give the same graph or throw; tests compare the two.
    public static func load(
        train: String, valid: String?, test: String?, options: LabeledLoadOptions = .init(), scan: Bool = true
    ) throws -> KnowledgeGraph {
        var texts: [[UInt8]?] = []
        for path in [train, valid, test] {
            guard let path else { texts.append(nil); continue }
            var bytes = try FileBytes.read(path)
            if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, path: path) }
            texts.append(bytes)
        }
        if scan, let g = TripleScan.labeled(texts.map { $0 ?? [] }, options: options) {
            texts = []  // the text is no longer needed; deduplication below needs the room
            return try assemble(
                entities: g.entityNames, relations: g.relationNames, splits: g.splits, dropped: g.dropped)
        }
        var rows: [[Row]] = []
        for (path, text) in zip([train, valid, test], texts) {
            guard let path, let text else { rows.append([]); continue }
            rows.append(try parse(text, path: path, header: options.header))
        }
        return try build(
            rows[0], rows[1], rows[2], options: options, sources: [train, valid ?? "valid", test ?? "test"])
    }

    /// Whether the first non-blank line of a file is a header under the `header` option.
    static func isHeader(_ fields: [Substring], _ header: LabeledLoadOptions.Header) -> Bool {
        let names = fields.map { $0.trimmingWhitespace().lowercased() }
        return header == .yes || (header == .auto && headerNames.contains(names))
    }

    /// `head<TAB>relation<TAB>tail` lines; blank lines skipped. The rows refer into `bytes`' decoded lines.
    static func parse(_ bytes: [UInt8], path: String, header: LabeledLoadOptions.Header) throws -> [Row] {
        var rows: [Row] = []
        var first = true
        for (line, text) in try TextLines.split(bytes, path: path) {
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = text.split(separator: "\t", omittingEmptySubsequences: false)
            defer { first = false }
            if first && isHeader(fields, header) { continue }
            guard fields.count == 3 else {
                throw DataError(
                    .wrongFieldCount,
                    "expected 3 tab-separated fields 'head<TAB>relation<TAB>tail', found \(fields.count)",
                    path: path, line: line)
            }
            for (k, f) in fields.enumerated() where f.trimmingWhitespace().isEmpty {
                throw DataError(
                    .badToken, "field \(k + 1) (\(["head", "relation", "tail"][k])) is empty", path: path, line: line)
            }
            rows.append(Row(labels: (fields[0], fields[1], fields[2]), line: line))
        }
        return rows
    }

    /// Builds the graph from labeled rows: ids by first appearance in train; valid/test rows with an
    /// unseen label dropped (counted) or refused, as the options say.
    public static func build(
        _ train: [Row], _ valid: [Row], _ test: [Row], options: LabeledLoadOptions,
        sources: [String]
    ) throws -> KnowledgeGraph {
        var entityIndex: [Substring: Int] = [:], relationIndex: [Substring: Int] = [:]
        var entities: [String] = [], relations: [String] = []
        func entity(_ s: Substring) -> Int {
            if let i = entityIndex[s] { return i }
            entityIndex[s] = entities.count; entities.append(String(s)); return entities.count - 1
        }
        func relation(_ s: Substring) -> Int {
            if let i = relationIndex[s] { return i }
            relationIndex[s] = relations.count; relations.append(String(s)); return relations.count - 1
        }
        var trainTriples: [Triple] = []
        trainTriples.reserveCapacity(train.count)
        for row in train {
            trainTriples.append(Triple(entity(row.labels.0), relation(row.labels.1), entity(row.labels.2)))
        }
        if trainTriples.isEmpty { throw DataError(.emptyFile, "no training triples", path: sources[0]) }
        var dropped = [0, 0]
        var splits: [[Triple]] = [[], []]
        for (s, rows) in [valid, test].enumerated() {
            for row in rows {
                let (h, r, t) = (entityIndex[row.labels.0], relationIndex[row.labels.1], entityIndex[row.labels.2])
                if let h, let r, let t { splits[s].append(Triple(h, r, t)); continue }
                if options.unseen == .drop { dropped[s] += 1; continue }
                let label = h == nil ? row.labels.0 : r == nil ? row.labels.1 : row.labels.2
                let what = h == nil ? "head" : r == nil ? "relation" : "tail"
                throw DataError(
                    .idOutOfRange, "\(what) \(quoted(label)) does not occur in the training triples (unseen=refuse)",
                    path: sources[s + 1], line: row.line)
            }
        }
        return try assemble(
            entities: entities, relations: relations, splits: [trainTriples] + splits, dropped: dropped)
    }

    static func assemble(
        entities: [String], relations: [String], splits: [[Triple]], dropped: [Int]
    ) throws
        -> KnowledgeGraph
    {
        var kg = KnowledgeGraph(
            entityCount: entities.count, relationCount: relations.count, entityNames: entities,
            relationNames: relations, train: splits[0], valid: splits[1], test: splits[2])
        kg.unseenDropped = (valid: dropped[0], test: dropped[1])
        try kg.validate()
        return kg
    }

    /// Rows from label arrays in memory (3 labels per triple), for the C ABI and Python.
    public static func rows(_ labels: [String], what: String) throws -> [Row] {
        var rows: [Row] = []
        rows.reserveCapacity(labels.count / 3)
        for i in stride(from: 0, to: labels.count - 2, by: 3) {
            for k in 0..<3 where labels[i + k].isEmpty {
                throw DataError(
                    .badToken, "\(what) triple \(i / 3): the \(["head", "relation", "tail"][k]) label is empty")
            }
            rows.append(
                Row(labels: (Substring(labels[i]), Substring(labels[i + 1]), Substring(labels[i + 2])), line: i / 3 + 1)
            )
        }
        return rows
    }
}

extension KnowledgeGraph {
    /// Adds a modality whose rows are keyed by entity label: row i belongs to `labels[i]`. Entities
    /// without a row are missing rows; rows whose label the graph does not know are skipped and counted,
    /// or, with `refuseUnknown`, refused. A label given twice is refused. Returns the unknown rows' count.
    @discardableResult
    public mutating func addModality(
        name: String, dim: Int, values: [Float], labels: [String], refuseUnknown: Bool
    ) throws -> Int {
        guard dim > 0, values.count == labels.count * dim else {
            throw DataError(
                .shapeMismatch,
                "modality \(quoted(name)): \(values.count) values for \(labels.count) labels × dim \(dim)")
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(entityCount)
        for (i, n) in entityNames.enumerated() where index[n] == nil { index[n] = i }
        var rows = [Float](repeating: 0, count: entityCount * dim)
        var present = [Bool](repeating: false, count: entityCount)
        var unknown = 0
        for (row, label) in labels.enumerated() {
            guard let e = index[label] else {
                if refuseUnknown {
                    throw DataError(
                        .idOutOfRange,
                        "modality \(quoted(name)): row \(row) is labelled \(quoted(label)), which the graph does not have"
                    )
                }
                unknown += 1
                continue
            }
            if present[e] {
                throw DataError(
                    .idOutOfRange,
                    "modality \(quoted(name)): label \(quoted(label)) has two rows (\(row) and an earlier one)")
            }
            present[e] = true
            for j in 0..<dim { rows[e * dim + j] = values[row * dim + j] }
        }
        try addModality(name: name, dim: dim, values: rows, present: present)
        return unknown
    }
}
