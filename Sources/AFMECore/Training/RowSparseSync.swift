// Data-parallel rounds for sessions whose entity table changes only in the rows a step touched: the
// ranks exchange (row, change) pairs instead of the whole table when that is smaller (docs/SCALE.md).

/// A session whose trained values are a row table (the entities), which a step changes only in the rows
/// it touched, and a dense rest (relations). Data-parallel training sums the dense rest as a whole and
/// the table row by row.
public protocol RowSparseParameters: AnyObject {
    /// Rows of the table and floats per row.
    var rowTableShape: (rows: Int, width: Int) { get }
    /// While on, every step keeps the values the rows it touches had before it.
    func keepRowsBeforeStep(_ on: Bool)
    /// The distinct rows the last step changed and, row after row, their values before it.
    func lastStepRows() -> (rows: [Int32], before: [Float])
    /// Runs `body` on the table (rows × width floats, row-major).
    func withRowTable<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R
    /// Every trained value outside the table, in a fixed order.
    func denseParameters() -> [Float]
    func setDenseParameters(_ values: [Float])
}

/// The values the rows a step touches had before it, kept while data-parallel rounds need them.
public struct RowsBeforeStep {
    public var on = false
    public private(set) var rows: [Int32] = []
    public private(set) var before: [Float] = []
    public init() {}
    /// Keeps `rows` of `table` (distinct rows of `width` floats) if `on`.
    public mutating func keep<I: BinaryInteger>(_ rows: [I], of table: UnsafeBufferPointer<Float>, width: Int) {
        guard on else { return }
        self.rows = rows.map { Int32($0) }
        before.removeAll(keepingCapacity: true)
        for r in rows { before.append(contentsOf: table[(Int(r) * width)..<(Int(r) * width + width)]) }
    }
}

/// A model with a structural entity table (AFME, the weighted-fusion kinds).
protocol StructuralTableModel: AnyObject {
    var structural: [Float] { get set }
    var score: ScoreFunction { get }
}

/// A trainer that keeps the touched structural rows' values before each step.
protocol KeepsRowsBeforeStep: AnyObject {
    var rowsBeforeStep: RowsBeforeStep { get set }
}

/// A session whose model is a `LayeredSnapshot` (an entity table changed row-sparsely by its Adam, a
/// relation table, layer parameters): the table is its row table, the rest its dense part.
protocol LayeredRowSparseSession: TrainingSession, RowSparseParameters where Snapshot == LayeredSnapshot {
    associatedtype Model: StructuralTableModel
    associatedtype Trainer: KeepsRowsBeforeStep
    var model: Model { get }
    var trainer: Trainer { get }
}

extension LayeredRowSparseSession {
    var rowTableShape: (rows: Int, width: Int) {
        let W = model.score.entityWidth
        return (model.structural.count / W, W)
    }
    func keepRowsBeforeStep(_ on: Bool) { trainer.rowsBeforeStep.on = on }
    func lastStepRows() -> (rows: [Int32], before: [Float]) {
        (trainer.rowsBeforeStep.rows, trainer.rowsBeforeStep.before)
    }
    func withRowTable<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        model.structural.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
    func denseParameters() -> [Float] { snapshot().denseFlattened }
    func setDenseParameters(_ values: [Float]) { restore(snapshot().replacingDense(values)) }
}

/// How a round sums a row-sparse session's table: the whole table's change (dense), the touched rows'
/// changes as (row, values) pairs (sparse), or whichever is smaller this round (automatic: every rank
/// decides alike, from the all-reduced row counts).
public enum RowSync: String, Sendable, CaseIterable { case automatic, dense, sparse }

extension DataParallel {
    /// A row id or count (< 2^31) as two floats of 16 bits each, both exact.
    static func encode(_ v: Int, _ p: UnsafeMutablePointer<Float>) {
        p[0] = Float(v & 0xFFFF); p[1] = Float(v >> 16)
    }
    /// The value `encode` wrote, or nil for anything else (the sums come from the host's code).
    static func decode(_ p: UnsafePointer<Float>, below limit: Int) -> Int? {
        guard let lo = halfWord(p[0]), let hi = halfWord(p[1]), hi < 1 << 15 else { return nil }
        let v = lo | (hi << 16)
        return v < limit ? v : nil
    }
    private static func halfWord(_ x: Float) -> Int? {
        x >= 0 && x < 65536 && x.rounded(.towardZero) == x ? Int(x) : nil
    }

    /// One epoch as `epoch` runs it, for a session whose parameters `rows` (the same object) exposes row
    /// by row. A round first all-reduces the dense rest's change together with every rank's count of
    /// touched rows; then either the touched rows' changes, each rank writing its (row, change) pairs into
    /// its own segment of a buffer that holds all ranks' pairs (a gather made of the one collective
    /// operation), or the whole table's change. Each row's changes are summed in rank order and added to
    /// its value before the round, so both ways give the same bits (for two ranks, d0 + d1 either way).
    /// Nil when the communication failed or returned sums no rank could have sent.
    static func rowSparseEpoch<S: TrainingSession>(
        _ session: S, rows table: any RowSparseParameters, order: [Triple], batchSize: Int, stream: UInt64,
        collective c: Collective, mode: RowSync
    ) -> (lossSum: Double, batches: Int)? {
        var rng = stepStream(stream, rank: c.rank)
        let batches = (order.count + batchSize - 1) / batchSize
        let (E, W) = table.rowTableShape
        table.keepRowsBeforeStep(true)
        defer { table.keepRowsBeforeStep(false) }
        var base = table.denseParameters()
        let D = base.count, P = c.size
        var head = [Float](repeating: 0, count: 2 * P + D)
        var tableDelta: [Float] = []
        var loss: Float = 0
        var round = 0
        while round * P < batches {
            let b = round * P + c.rank
            var touched: [Int32] = [], before: [Float] = []
            for i in 0..<head.count { head[i] = 0 }
            if b < batches {
                loss += session.step(order[(b * batchSize)..<min((b + 1) * batchSize, order.count)], rng: &rng)
                (touched, before) = table.lastStepRows()
                let now = table.denseParameters()
                for i in 0..<D { head[2 * P + i] = now[i] - base[i] }
            }
            head.withUnsafeMutableBufferPointer { encode(touched.count, $0.baseAddress! + 2 * c.rank) }
            guard head.withUnsafeMutableBufferPointer({ c.allReduceSum($0) }) else { return nil }
            for i in 0..<D { base[i] += head[2 * P + i] }
            table.setDenseParameters(base)
            let counts = head.withUnsafeBufferPointer { h in
                (0..<P).compactMap { decode(h.baseAddress! + 2 * $0, below: E + 1) }
            }
            guard counts.count == P, counts[c.rank] == touched.count else { return nil }
            let total = counts.reduce(0, +)
            // Counts come from the host's sum: even forced, pairs never take more than twice the table, so
            // a sum that claims every row for each of many ranks cannot make an allocation fail.
            let pairFloats = total * (W + 2)
            let sparse = pairFloats <= 2 * E * W && (mode == .sparse || (mode == .automatic && pairFloats < E * W))
            let ok = table.withRowTable { t -> Bool in
                if sparse {
                    var pairs = [Float](repeating: 0, count: total * (W + 2))
                    let first = counts[0..<c.rank].reduce(0, +)
                    pairs.withUnsafeMutableBufferPointer { p in
                        for (k, r) in touched.enumerated() {
                            let at = p.baseAddress! + (first + k) * (W + 2)
                            encode(Int(r), at)
                            for j in 0..<W { at[2 + j] = t[Int(r) * W + j] - before[k * W + j] }
                        }
                    }
                    guard pairs.withUnsafeMutableBufferPointer({ c.allReduceSum($0) }),
                        let order = rowOrder(pairs, count: total, rows: E, width: W)
                    else { return false }
                    restore(touched, before, t, W)
                    addPairs(pairs, in: order, t, W)
                } else {
                    if tableDelta.isEmpty { tableDelta = [Float](repeating: 0, count: E * W) }
                    for i in 0..<tableDelta.count { tableDelta[i] = 0 }
                    for (k, r) in touched.enumerated() {
                        for j in 0..<W { tableDelta[Int(r) * W + j] = t[Int(r) * W + j] - before[k * W + j] }
                    }
                    guard tableDelta.withUnsafeMutableBufferPointer({ c.allReduceSum($0) }) else { return false }
                    restore(touched, before, t, W)
                    for i in 0..<tableDelta.count { t[i] += tableDelta[i] }
                }
                return true
            }
            guard ok else { return nil }
            round += 1
        }
        var total: [Float] = [loss]
        guard total.withUnsafeMutableBufferPointer({ c.allReduceSum($0) }) else { return nil }
        return (Double(total[0]), batches)
    }

    /// Puts back the values this rank's step changed, so every rank adds the sums to the same values.
    private static func restore(_ rows: [Int32], _ before: [Float], _ table: UnsafeMutablePointer<Float>, _ W: Int) {
        for (k, r) in rows.enumerated() { for j in 0..<W { table[Int(r) * W + j] = before[k * W + j] } }
    }

    /// The gathered pairs' (row, index) sorted by row, a row's pairs in rank order; nil if a row id is
    /// not one of the table's.
    private static func rowOrder(_ pairs: [Float], count: Int, rows E: Int, width W: Int) -> [(row: Int, index: Int)]? {
        pairs.withUnsafeBufferPointer { p in
            var out: [(row: Int, index: Int)] = []
            out.reserveCapacity(count)
            for i in 0..<count {
                guard let r = decode(p.baseAddress! + i * (W + 2), below: E) else { return nil }
                out.append((r, i))
            }
            out.sort { $0.row != $1.row ? $0.row < $1.row : $0.index < $1.index }
            return out
        }
    }

    /// Adds each row's changes, summed in rank order first, to the table.
    private static func addPairs(
        _ pairs: [Float], in order: [(row: Int, index: Int)], _ table: UnsafeMutablePointer<Float>, _ W: Int
    ) {
        pairs.withUnsafeBufferPointer { p in
            var sum = [Float](repeating: 0, count: W)
            var i = 0
            while i < order.count {
                let row = order[i].row
                for j in 0..<W { sum[j] = 0 }
                while i < order.count && order[i].row == row {
                    let d = p.baseAddress! + order[i].index * (W + 2) + 2
                    for j in 0..<W { sum[j] += d[j] }
                    i += 1
                }
                for j in 0..<W { table[row * W + j] += sum[j] }
            }
        }
    }
}
