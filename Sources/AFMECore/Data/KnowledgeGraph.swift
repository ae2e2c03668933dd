// The in-memory multi-modal knowledge graph (afme.txt §3.1: G = (E, R, T, M, F)).

/// One (head, relation, tail) fact. Ids are dense, 0-based.
public struct Triple: Hashable, Sendable {
    public var head: Int32
    public var relation: Int32
    public var tail: Int32
    public init(_ head: Int, _ relation: Int, _ tail: Int) {
        self.head = Int32(head); self.relation = Int32(relation); self.tail = Int32(tail)
    }
    public var h: Int { Int(head) }
    public var r: Int { Int(relation) }
    public var t: Int { Int(tail) }
}

/// Per-entity features of one modality (text, image, audio, …): a row per entity plus a presence mask.
/// A missing row is data, not an error: its values are zero and `present[e]` is false.
public struct FeatureModality: Sendable {
    public var name: String
    public var dim: Int
    /// Row-major [entities, dim].
    public var values: [Float]
    public var present: [Bool]

    public init(name: String, dim: Int, values: [Float], present: [Bool]) {
        self.name = name; self.dim = dim; self.values = values; self.present = present
    }

    public var entityCount: Int { present.count }
    public var presentCount: Int { present.reduce(0) { $0 + ($1 ? 1 : 0) } }
}

/// A complete dataset: entity and relation vocabularies, the three splits and any feature modalities.
public struct KnowledgeGraph: Sendable {
    public var entityCount: Int
    public var relationCount: Int
    public var entityNames: [String]
    public var relationNames: [String]
    public var train: [Triple]
    public var valid: [Triple]
    public var test: [Triple]
    public var modalities: [FeatureModality]
    /// Duplicate training lines dropped at load time (see `TripleDeduplication`).
    public var duplicateTrainTriplesRemoved: Int
    /// Valid and test triples dropped at load time because a label did not occur in train (LabeledTriples).
    public var unseenDropped: (valid: Int, test: Int) = (0, 0)

    public init(
        entityCount: Int, relationCount: Int, entityNames: [String]? = nil, relationNames: [String]? = nil,
        train: [Triple], valid: [Triple], test: [Triple], modalities: [FeatureModality] = []
    ) {
        self.entityCount = entityCount
        self.relationCount = relationCount
        self.entityNames = entityNames ?? (0..<entityCount).map { "e\($0)" }
        self.relationNames = relationNames ?? (0..<relationCount).map { "r\($0)" }
        let (dedup, removed) = TripleDeduplication.unique(train)
        self.train = dedup
        self.valid = valid
        self.test = test
        self.modalities = modalities
        self.duplicateTrainTriplesRemoved = removed
    }

    /// Checks every id and every feature matrix; the loaders call this before handing a graph out.
    public func validate() throws {
        if entityCount <= 0 { throw DataError(.invalidArgument, "the graph has no entities") }
        if relationCount <= 0 { throw DataError(.invalidArgument, "the graph has no relations") }
        for (split, triples) in [("train", train), ("valid", valid), ("test", test)] {
            for (i, tr) in triples.enumerated() {
                if tr.h < 0 || tr.h >= entityCount || tr.t < 0 || tr.t >= entityCount {
                    throw DataError(.idOutOfRange, "\(split) triple \(i): entity id out of range 0..<\(entityCount)")
                }
                if tr.r < 0 || tr.r >= relationCount {
                    throw DataError(
                        .idOutOfRange, "\(split) triple \(i): relation id out of range 0..<\(relationCount)")
                }
            }
        }
        for m in modalities { try m.validate(entityCount: entityCount) }
    }
}

extension FeatureModality {
    func validate(entityCount: Int) throws {
        if dim <= 0 { throw DataError(.shapeMismatch, "modality \(quoted(name)): dimension must be positive") }
        if present.count != entityCount || values.count != entityCount * dim {
            throw DataError(
                .shapeMismatch,
                "modality \(quoted(name)): \(values.count / max(dim, 1)) rows for \(entityCount) entities")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(
                .nonFinite, "modality \(quoted(name)): non-finite value at row \(bad / dim), column \(bad % dim)")
        }
    }
}

/// The rule for repeated triples: a repeated *training* line is dropped (first occurrence kept), because it
/// would silently double that fact's weight in the loss; valid and test lines are kept as given, because each
/// line is one evaluation query (OpenKE's tester does the same), and the filter is a set anyway.
public enum TripleDeduplication {
    /// An open-addressing table of 4-byte indices into `triples` (at most half full), so 20 M triples take
    /// ~256 MB beside them instead of a Set's ~700 MB, and an input without repeats is returned as it is.
    public static func unique(_ triples: [Triple]) -> ([Triple], removed: Int) {
        let n = triples.count
        if n < 2 { return (triples, 0) }
        if n >= Int(Int32.max) { return uniqueBySet(triples) }
        var capacity = 1
        while capacity < 2 * n { capacity <<= 1 }
        let mask = capacity - 1
        var slots = [Int32](repeating: -1, count: capacity)
        var keep: [Bool]? = nil
        triples.withUnsafeBufferPointer { t in
            slots.withUnsafeMutableBufferPointer { slot in
                for i in 0..<n {
                    let x = t[i]
                    var k = UInt64(UInt32(bitPattern: x.head)) | UInt64(UInt32(bitPattern: x.tail)) << 32
                    k ^= UInt64(UInt32(bitPattern: x.relation)) &* 0x9E37_79B9_7F4A_7C15
                    k = (k ^ (k >> 30)) &* 0xBF58_476D_1CE4_E5B9  // SplitMix64's finaliser
                    k = (k ^ (k >> 27)) &* 0x94D0_49BB_1331_11EB
                    var j = Int(truncatingIfNeeded: k ^ (k >> 31)) & mask
                    while true {
                        let s = slot[j]
                        if s < 0 { slot[j] = Int32(i); break }
                        if t[Int(s)] == x {
                            if keep == nil { keep = [Bool](repeating: true, count: n) }
                            keep![i] = false
                            break
                        }
                        j = (j + 1) & mask
                    }
                }
            }
        }
        guard let keep else { return (triples, 0) }
        var out: [Triple] = []
        out.reserveCapacity(n)
        for i in 0..<n where keep[i] { out.append(triples[i]) }
        return (out, n - out.count)
    }

    static func uniqueBySet(_ triples: [Triple]) -> ([Triple], removed: Int) {
        var seen = Set<Triple>(minimumCapacity: triples.count)
        var out: [Triple] = []
        out.reserveCapacity(triples.count)
        for t in triples where seen.insert(t).inserted { out.append(t) }
        return (out, triples.count - out.count)
    }
}
