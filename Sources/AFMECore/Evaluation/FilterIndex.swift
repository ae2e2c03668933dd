// Known true triples for the filtered setting (Bordes et al. 2013): train ∪ valid ∪ test.

public struct FilterIndex: Sendable {
    let relationCount: Int
    let entityCount: Int
    /// (h, r) → sorted true tails; (r, t) → sorted true heads.
    var tails: [Int: [Int32]] = [:]
    var heads: [Int: [Int32]] = [:]

    public init(graph: KnowledgeGraph, splits: [[Triple]]? = nil) {
        relationCount = graph.relationCount
        entityCount = graph.entityCount
        for list in splits ?? [graph.train, graph.valid, graph.test] {
            for t in list {
                tails[t.h * relationCount + t.r, default: []].append(t.tail)
                heads[t.t * relationCount + t.r, default: []].append(t.head)
            }
        }
        for k in tails.keys { tails[k] = Array(Set(tails[k]!)).sorted() }
        for k in heads.keys { heads[k] = Array(Set(heads[k]!)).sorted() }
    }

    /// Entities known to complete `q` (true tails of (h, r, ?) or true heads of (?, r, t)).
    public func known(_ q: Query) -> [Int32] {
        let key = Int(q.entity) * relationCount + Int(q.relation)
        return (q.direction == .tail ? tails[key] : heads[key]) ?? []
    }

    public func contains(_ t: Triple) -> Bool {
        guard let list = tails[t.h * relationCount + t.r] else { return false }
        return binarySearch(list, t.tail)
    }
}

func binarySearch(_ a: [Int32], _ x: Int32) -> Bool {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo < a.count && a[lo] == x
}
