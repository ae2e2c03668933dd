// OpenKE-format folders: entity2id.txt, relation2id.txt, {train,valid,test}2id.txt.
// First line of each file is a record count; triple lines are `head tail relation` (relation last).

public enum OpenKELoader {
    /// Loads a folder. Nothing is returned unless every file parsed and every id checked out.
    public static func load(folder: String) throws -> KnowledgeGraph {
        let entities = try readVocabulary(joinPath(folder, "entity2id.txt"))
        let relations = try readVocabulary(joinPath(folder, "relation2id.txt"))
        var splits: [[Triple]] = []
        for name in ["train2id.txt", "valid2id.txt", "test2id.txt"] {
            splits.append(try readTriples(joinPath(folder, name), entities: entities.count, relations: relations.count))
        }
        let kg = KnowledgeGraph(
            entityCount: entities.count, relationCount: relations.count,
            entityNames: entities, relationNames: relations,
            train: splits[0], valid: splits[1], test: splits[2])
        try kg.validate()
        return kg
    }

    /// Lines of a text file after the count header, checked against the header. Lines end in "\n" or
    /// "\r\n"; a UTF-8 byte-order mark at the start is skipped; trailing blank lines are ignored.
    static func records(_ path: String) throws -> [(line: Int, text: Substring)] {
        try records(FileBytes.read(path), path: path)
    }

    static func records(_ bytes: [UInt8], path: String) throws -> [(line: Int, text: Substring)] {
        if bytes.isEmpty {
            throw DataError(.emptyFile, "file is empty (expected a count on the first line)", path: path)
        }
        var lines = try TextLines.split(bytes, path: path)
        while let last = lines.last, last.text.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.removeLast() }
        guard let header = lines.first else { throw DataError(.emptyFile, "file has no count line", path: path) }
        let trimmed = header.text.trimmingWhitespace()
        guard let count = Int(trimmed), count >= 0 else {
            throw DataError(
                .badToken, "count header \(quoted(trimmed)) is not a non-negative integer", path: path, line: 1)
        }
        let body = lines.dropFirst()
        if body.count != count {
            throw DataError(
                .countMismatch, "header says \(count) records but the file has \(body.count)", path: path, line: 1)
        }
        return Array(body)
    }

    /// `name<SEP>id` per line, SEP a space or a tab; names may contain spaces, so the id is after the last separator.
    static func readVocabulary(_ path: String) throws -> [String] {
        try parseVocabulary(FileBytes.read(path), path: path)
    }

    /// The names of a vocabulary file's bytes; `scan: false` runs only the general reader (see `parseTriples`).
    public static func parseVocabulary(_ bytes: [UInt8], path: String, scan: Bool = true) throws -> [String] {
        if scan, let names = TripleScan.vocabulary(bytes) { return names }
        let recs = try records(bytes, path: path)
        if recs.isEmpty { throw DataError(.emptyFile, "no records", path: path, line: 1) }
        var names = [String?](repeating: nil, count: recs.count)
        var lineOf: [Substring: Int] = [:]
        for (line, text) in recs {
            guard let sep = text.lastIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw DataError(.wrongFieldCount, "expected '<name> <id>'", path: path, line: line)
            }
            let idText = text[text.index(after: sep)...]
            guard let id = Int(idText) else {
                throw DataError(.badToken, "id \(quoted(idText)) is not an integer", path: path, line: line)
            }
            guard id >= 0 && id < recs.count else {
                throw DataError(.idOutOfRange, "id \(id) outside 0..<\(recs.count)", path: path, line: line)
            }
            if names[id] != nil { throw DataError(.idOutOfRange, "id \(id) appears twice", path: path, line: line) }
            let name = text[..<sep]
            if let first = lineOf.updateValue(line, forKey: name) {
                throw DataError(
                    .badToken,
                    "name \(quoted(name)) appears twice (lines \(first) and \(line)): a label must name one id",
                    path: path, line: line)
            }
            names[id] = String(name)
        }
        return names.map { $0! }
    }

    static func readTriples(_ path: String, entities: Int, relations: Int) throws -> [Triple] {
        try parseTriples(FileBytes.read(path), path: path, entities: entities, relations: relations)
    }

    /// The triples of a triple file's bytes. `scan: false` skips the byte scanner (`TripleScan`) and runs
    /// only the general reader, which must give the same triples or throw; tests compare the two.
    public static func parseTriples(
        _ bytes: [UInt8], path: String, entities: Int, relations: Int, scan: Bool = true
    ) throws -> [Triple] {
        if scan, let triples = TripleScan.openKE(bytes, entities: entities, relations: relations) { return triples }
        let recs = try records(bytes, path: path)
        var out: [Triple] = []
        out.reserveCapacity(recs.count)
        for (line, text) in recs {
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count != 3 {
                throw DataError(
                    .wrongFieldCount, "expected 3 fields 'head tail relation', found \(fields.count)", path: path,
                    line: line)
            }
            var ids = [0, 0, 0]
            for k in 0..<3 {
                guard let v = Int(fields[k]) else {
                    throw DataError(
                        .badToken, "field \(k + 1), \(quoted(fields[k])), is not an integer id", path: path, line: line)
                }
                ids[k] = v
            }
            let (h, t, r) = (ids[0], ids[1], ids[2])
            if h < 0 || h >= entities {
                throw DataError(.idOutOfRange, "head id \(h) outside 0..<\(entities)", path: path, line: line)
            }
            if t < 0 || t >= entities {
                throw DataError(.idOutOfRange, "tail id \(t) outside 0..<\(entities)", path: path, line: line)
            }
            if r < 0 || r >= relations {
                throw DataError(.idOutOfRange, "relation id \(r) outside 0..<\(relations)", path: path, line: line)
            }
            out.append(Triple(h, r, t))
        }
        return out
    }

    /// Ids listed one per line (e.g. `missing_text.txt`): rows of a modality that are absent.
    public static func readIdList(_ path: String, entities: Int) throws -> [Int] {
        var ids: [Int] = []
        for (line, raw) in try TextLines.split(FileBytes.read(path), path: path) {
            let s = raw.trimmingWhitespace()
            if s.isEmpty { continue }
            guard let id = Int(s) else {
                throw DataError(.badToken, "\(quoted(s)) is not an integer id", path: path, line: line)
            }
            guard id >= 0 && id < entities else {
                throw DataError(.idOutOfRange, "entity id \(id) outside 0..<\(entities)", path: path, line: line)
            }
            ids.append(id)
        }
        return ids
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
