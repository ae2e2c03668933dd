// Known true triples for the filtered setting (Bordes et al. 2013): train ∪ valid ∪ test.

//
// Layout: for each direction, the sorted distinct query keys (entity·R + relation), an offset per key and
// the answers of all keys back to back, each key's sorted and distinct (compressed sparse rows). It is
// built by sorting one packed code per triple, so 20 M triples cost two sorts of 8-byte codes and about
// 12 bytes per triple and direction, instead of a hashed set per query.
public struct FilterIndex: Sendable {
    let relationCount: Int
    let entityCount: Int
    let tails: CompressedAnswers
    let heads: CompressedAnswers

    public init(graph: KnowledgeGraph, splits: [[Triple]]? = nil) {
        relationCount = graph.relationCount
        entityCount = graph.entityCount
        let lists = splits ?? [graph.train, graph.valid, graph.test]
        let R = relationCount, E = entityCount
        tails = CompressedAnswers(lists, entities: E, relations: R) { t in (t.h * R + t.r, Int32(t.t)) }
        heads = CompressedAnswers(lists, entities: E, relations: R) { t in (t.t * R + t.r, Int32(t.h)) }
    }

    /// Bytes an index of `triples` triples holds at its peak (the sort's codes plus both directions).
    public static func estimatedBytes(triples: Int) -> Double { Double(triples) * 32 }

    /// Entities known to complete `q` (true tails of (h, r, ?) or true heads of (?, r, t)).
    public func known(_ q: Query) -> [Int32] {
        let key = Int(q.entity) * relationCount + Int(q.relation)
        return Array(q.direction == .tail ? tails.answers(key) : heads.answers(key))
    }

    public func contains(_ t: Triple) -> Bool {
        tails.answers(t.h * relationCount + t.r).withUnsafeBufferPointer { binarySearch($0, Int32(t.t)) }
    }
}

/// Query key → sorted distinct answers, in compressed sparse rows.
struct CompressedAnswers: Sendable {
    let keys: [Int]
    /// Answers of keys[i] are values[offsets[i] ..< offsets[i + 1]].
    let offsets: [Int]
    let values: [Int32]

    /// Keys are below E·R and values below E.
    init(_ lists: [[Triple]], entities E: Int, relations R: Int, pair: (Triple) -> (Int, Int32)) {
        let n = lists.reduce(0) { $0 + $1.count }
        var keys: [Int] = [], offsets: [Int] = [], values: [Int32] = []
        values.reserveCapacity(n)
        func emit(_ key: Int, _ value: Int32) {
            if keys.last != key {
                keys.append(key); offsets.append(values.count)
            } else if values.last == value {
                return
            }
            values.append(value)
        }
        // key·E + value < E²·R packs into 63 bits up to Wikidata-like sizes (4.6 M² × 822 ≈ 1.7·10¹⁶); past
        // that, sort pairs.
        if Double(E) * Double(E) * Double(R) < 9e18 {
            var codes = [UInt64]()
            codes.reserveCapacity(n)
            for list in lists {
                for t in list { let (k, v) = pair(t); codes.append(UInt64(k) &* UInt64(E) &+ UInt64(v)) }
            }
            codes.sort()
            for c in codes { emit(Int(c / UInt64(E)), Int32(c % UInt64(E))) }
        } else {
            var pairs = [(Int, Int32)]()
            pairs.reserveCapacity(n)
            for list in lists { for t in list { pairs.append(pair(t)) } }
            pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            for (k, v) in pairs { emit(k, v) }
        }
        offsets.append(values.count)
        self.keys = keys; self.offsets = offsets; self.values = values
    }

    func answers(_ key: Int) -> ArraySlice<Int32> {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        guard lo < keys.count, keys[lo] == key else { return [] }
        return values[offsets[lo]..<offsets[lo + 1]]
    }
}

func binarySearch(_ a: UnsafeBufferPointer<Int32>, _ x: Int32) -> Bool {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo < a.count && a[lo] == x
}
