// Byte-level readers for the common shape of large triple files: ASCII, well-formed, ids in range. The
// general readers build a String per line and an array per field, which at 20 M lines costs minutes and
// gigabytes; these read the bytes in place. Each returns nil at the first thing outside the common shape
// (a sign, a letter, a stray carriage return, non-ASCII text, a count mismatch, an id out of range), and
// the caller then runs the general reader, which yields the same graph or the precise error. So a scanner
// never decides what a file means; it only skips work when the answer is already certain.

enum ByteClass {
    static let space: UInt8 = 0x20, tab: UInt8 = 0x09, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
    static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
}

/// A cursor over one buffer, following TextLines' rules: "\n" ends a line, one "\r" right before it (or
/// before the end of the buffer) belongs to the line ending, a UTF-8 byte-order mark at the start is skipped.
struct LineCursor {
    let p: UnsafeBufferPointer<UInt8>
    var i: Int

    init(_ p: UnsafeBufferPointer<UInt8>) {
        self.p = p
        i = p.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0
    }

    var atEnd: Bool { i >= p.count }

    /// True at "\n", "\r\n", "\r" before the end, or the end.
    var atLineEnd: Bool {
        if i >= p.count || p[i] == ByteClass.lf { return true }
        return p[i] == ByteClass.cr && (i + 1 == p.count || p[i + 1] == ByteClass.lf)
    }

    /// Steps over the line ending the cursor is at (see `atLineEnd`).
    mutating func consumeLineEnd() {
        if i < p.count && p[i] == ByteClass.cr { i += 1 }
        if i < p.count && p[i] == ByteClass.lf { i += 1 }
    }

    mutating func skipBlanks() { while i < p.count && ByteClass.isBlank(p[i]) { i += 1 } }

    /// A run of 1–18 decimal digits (so it cannot overflow), ending at a blank or a line end.
    mutating func unsignedInteger() -> Int? {
        var v = 0, digits = 0
        while i < p.count && ByteClass.isDigit(p[i]) {
            v = v &* 10 &+ Int(p[i] &- 0x30)
            digits += 1; i += 1
        }
        guard digits > 0 && digits <= 18 && (atLineEnd || ByteClass.isBlank(p[i])) else { return nil }
        return v
    }

    /// True when every remaining line is blank (spaces and tabs only), which the general readers drop.
    func restIsBlank() -> Bool {
        var c = self
        while !c.atEnd {
            c.skipBlanks()
            guard c.atLineEnd else { return false }
            c.consumeLineEnd()
        }
        return true
    }
}

public enum TripleScan {
    /// An OpenKE triple file (count line, then `head tail relation` lines): the triples, or nil when the
    /// file is not plainly well-formed (see the file comment).
    public static func openKE(_ bytes: [UInt8], entities: Int, relations: Int) -> [Triple]? {
        bytes.withUnsafeBufferPointer { p -> [Triple]? in
            var c = LineCursor(p)
            // The general reader trims spaces, tabs and carriage returns around the count.
            while !c.atEnd && (ByteClass.isBlank(p[c.i]) || p[c.i] == ByteClass.cr) { c.i += 1 }
            var count = 0, digits = 0
            while !c.atEnd && ByteClass.isDigit(p[c.i]) && digits < 18 {
                count = count * 10 + Int(p[c.i] - 0x30); digits += 1; c.i += 1
            }
            while !c.atEnd && (ByteClass.isBlank(p[c.i]) || p[c.i] == ByteClass.cr) { c.i += 1 }
            guard digits > 0, c.atEnd || p[c.i] == ByteClass.lf else { return nil }
            c.consumeLineEnd()
            var out: [Triple] = []
            out.reserveCapacity(min(count, p.count / 6 + 1))  // a record takes at least "0 0 0\n"
            while !c.atEnd {
                c.skipBlanks()
                if c.atLineEnd {
                    guard c.restIsBlank() else { return nil }
                    break
                }
                guard let h = c.unsignedInteger(), h < entities else { return nil }
                c.skipBlanks()
                guard let t = c.unsignedInteger(), t < entities else { return nil }
                c.skipBlanks()
                guard let r = c.unsignedInteger(), r < relations else { return nil }
                c.skipBlanks()
                guard c.atLineEnd else { return nil }
                c.consumeLineEnd()
                out.append(Triple(h, r, t))
            }
            return out.count == count ? out : nil
        }
    }
}

/// Labels interned by their bytes: ids in order of first appearance, each label's bytes kept as an
/// (offset, length) into the buffer it came from. Used only for ASCII text, where byte equality is the
/// String equality the general reader's dictionaries use.
struct ByteLabelTable {
    private var slots: [Int32] = [Int32](repeating: -1, count: 1024)
    private(set) var offsets: [Int] = []
    private(set) var lengths: [Int32] = []
    private var hashes: [UInt64] = []

    var count: Int { offsets.count }

    static func hash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for i in start..<end { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// The id of `p[start..<end]`, or nil when it has none and `insert` is false.
    mutating func id(
        _ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, insert: Bool, source: UnsafeBufferPointer<UInt8>
    ) -> Int? {
        let h = Self.hash(p, start, end), len = end - start
        var j = Int(truncatingIfNeeded: h) & (slots.count - 1)
        while true {
            let s = Int(slots[j])
            if s < 0 { break }
            if hashes[s] == h && Int(lengths[s]) == len {
                let o = offsets[s]
                var same = true
                for k in 0..<len where source[o + k] != p[start + k] { same = false; break }
                if same { return s }
            }
            j = (j + 1) & (slots.count - 1)
        }
        guard insert else { return nil }
        slots[j] = Int32(count)
        offsets.append(start); lengths.append(Int32(len)); hashes.append(h)
        if 2 * count > slots.count { grow() }
        return count - 1
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (s, h) in hashes.enumerated() {
            var j = Int(truncatingIfNeeded: h) & mask
            while slots[j] >= 0 { j = (j + 1) & mask }
            slots[j] = Int32(s)
        }
    }

    func names(_ source: UnsafeBufferPointer<UInt8>) -> [String] {
        (0..<count).map { s in
            String(
                decoding: UnsafeBufferPointer(rebasing: source[offsets[s]..<offsets[s] + Int(lengths[s])]),
                as: UTF8.self)
        }
    }
}

extension TripleScan {
    public struct LabeledGraph {
        public var entityNames: [String], relationNames: [String]
        public var splits: [[Triple]]
        public var dropped: [Int]
    }

    /// Labeled `head<TAB>relation<TAB>tail` texts (train, then valid and test, either possibly empty
    /// arrays meaning "not given"): the graph `LabeledTriples.build` would make, or nil when a text is not
    /// plain ASCII, a line is malformed, the first line needs the header rule, or an unseen label is to be
    /// refused — the general reader then gives the answer or the error.
    public static func labeled(_ texts: [[UInt8]], options: LabeledLoadOptions) -> LabeledGraph? {
        var entities = ByteLabelTable(), relations = ByteLabelTable()
        var splits: [[Triple]] = [[], [], []]
        var dropped = [0, 0]
        let ok = texts[0].withUnsafeBufferPointer { train -> Bool in
            for (s, text) in texts.enumerated() {
                let fine = text.withUnsafeBufferPointer { p -> Bool in
                    var lines = 0
                    for b in p where b == ByteClass.lf { lines += 1 }
                    splits[s].reserveCapacity(lines + 1)
                    var c = LineCursor(p)
                    var first = true
                    while !c.atEnd {
                        let start = c.i
                        var tabs = (0, 0), tabCount = 0, blank = true
                        while !c.atLineEnd {
                            let b = p[c.i]
                            if b >= 0x80 { return false }
                            if b == ByteClass.tab {
                                tabCount += 1
                                if tabCount == 1 { tabs.0 = c.i } else if tabCount == 2 { tabs.1 = c.i }
                            } else if b != ByteClass.space {
                                blank = false
                            }
                            c.i += 1
                        }
                        let end = c.i
                        c.consumeLineEnd()
                        if blank { continue }
                        if first {
                            first = false
                            let line = String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
                            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                            if LabeledTriples.isHeader(fields, options.header) { continue }
                        }
                        guard tabCount == 2 else { return false }
                        let fields = [(start, tabs.0), (tabs.0 + 1, tabs.1), (tabs.1 + 1, end)]
                        for (a, b) in fields {
                            // A field of spaces and carriage returns is empty to the general reader.
                            var empty = true
                            for k in a..<b where p[k] != ByteClass.space && p[k] != ByteClass.cr {
                                empty = false; break
                            }
                            if empty { return false }
                        }
                        let isTrain = s == 0
                        let h = entities.id(p, fields[0].0, fields[0].1, insert: isTrain, source: train)
                        let r = relations.id(p, fields[1].0, fields[1].1, insert: isTrain, source: train)
                        let t = entities.id(p, fields[2].0, fields[2].1, insert: isTrain, source: train)
                        guard entities.count < Int(Int32.max) - 2 else { return false }
                        if let h, let r, let t {
                            splits[s].append(Triple(h, r, t))
                        } else {
                            if options.unseen == .refuse { return false }
                            dropped[s - 1] += 1
                        }
                    }
                    return true
                }
                if !fine { return false }
            }
            return true
        }
        guard ok, !splits[0].isEmpty else { return nil }
        let (entityNames, relationNames) = texts[0].withUnsafeBufferPointer {
            (entities.names($0), relations.names($0))
        }
        return LabeledGraph(entityNames: entityNames, relationNames: relationNames, splits: splits, dropped: dropped)
    }
}

extension TripleScan {
    /// An OpenKE vocabulary (count line, then `name<SEP>id` lines, the id after the last space or tab):
    /// the names by id, or nil when the file is not plain ASCII and well-formed with every id once.
    public static func vocabulary(_ bytes: [UInt8]) -> [String]? {
        bytes.withUnsafeBufferPointer { p -> [String]? in
            var c = LineCursor(p)
            while !c.atEnd && (ByteClass.isBlank(p[c.i]) || p[c.i] == ByteClass.cr) { c.i += 1 }
            var count = 0, digits = 0
            while !c.atEnd && ByteClass.isDigit(p[c.i]) && digits < 18 {
                count = count * 10 + Int(p[c.i] - 0x30); digits += 1; c.i += 1
            }
            while !c.atEnd && (ByteClass.isBlank(p[c.i]) || p[c.i] == ByteClass.cr) { c.i += 1 }
            guard digits > 0, count > 0, count <= p.count / 4, c.atEnd || p[c.i] == ByteClass.lf else { return nil }
            c.consumeLineEnd()
            var names = [String?](repeating: nil, count: count)
            var seen = ByteLabelTable()
            var records = 0
            while !c.atEnd {
                let start = c.i
                var sep = -1, blank = true
                while !c.atLineEnd {
                    let b = p[c.i]
                    if b >= 0x80 { return nil }
                    if ByteClass.isBlank(b) { sep = c.i } else { blank = false }
                    c.i += 1
                }
                let end = c.i
                if blank {
                    guard c.restIsBlank() else { return nil }
                    break
                }
                c.consumeLineEnd()
                guard sep > start, sep + 1 < end else { return nil }
                var id = 0
                for k in (sep + 1)..<end {
                    guard ByteClass.isDigit(p[k]), k - sep <= 18 else { return nil }
                    id = id * 10 + Int(p[k] - 0x30)
                }
                guard id < count, names[id] == nil, seen.count == records else { return nil }
                _ = seen.id(p, start, sep, insert: true, source: p)
                guard seen.count == records + 1 else { return nil }  // the name was there already
                names[id] = String(decoding: UnsafeBufferPointer(rebasing: p[start..<sep]), as: UTF8.self)
                records += 1
            }
            guard records == count else { return nil }
            return names.map { $0! }
        }
    }
}
