// Row-wise Adagrad (as PyTorch-BigGraph keeps its entity tables): one accumulator per row, the running
// sum of the mean squared gradient of that row, instead of Adam's two moments per value. Why: at
// 4.6 M entities × 512 floats a table is 9.4 GB and Adam's moments add 18.8 GB; this state adds 18 MB.
// The update of row i with gradient g: s_i += mean_j g_ij², w_ij −= lr · g_ij / (√s_i + ε).
// The mean runs over the row's live columns (padding columns carry no gradient and stay zero).

/// Which optimiser updates the rows of a structural model's entity table.
public enum EntityOptimizer: Int, Sendable, CaseIterable {
    /// Lazy Adam (RowSparseAdam): two moments per value.
    case adam = 0
    /// Row-wise Adagrad: one accumulator per row.
    case rowwiseAdagrad = 1
}

public final class RowwiseAdagrad {
    public let rows: Int
    public let width: Int
    /// Columns holding values (the mean squared gradient divides by this, not by the padded width).
    public let liveColumns: Int
    /// PyTorch-BigGraph's ε.
    public static let epsilon: Float = 1e-10
    let sums: UnsafeMutablePointer<Float>

    public init(rows: Int, width: Int, liveColumns: Int) {
        precondition(liveColumns >= 1 && liveColumns <= width)
        self.rows = rows; self.width = width; self.liveColumns = liveColumns
        sums = .allocate(capacity: rows); sums.initialize(repeating: 0, count: rows)
    }

    deinit { sums.deallocate() }

    /// The accumulator of row `i` (for tests and inspection).
    public func accumulator(_ i: Int) -> Float { sums[i] }

    func write(_ w: inout ResumeWriter) { w.put(floats: Array(UnsafeBufferPointer(start: sums, count: rows))) }

    func read(_ r: inout ResumeReader) throws {
        let s = try r.floats(count: rows)
        guard s.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw DataError(.badFormat, "resume state: Adagrad accumulators out of range")
        }
        s.withUnsafeBufferPointer { sums.update(from: $0.baseAddress!, count: rows) }
    }

    /// Updates one row of `table` with the sum of the gradient rows in `grads` (each already offset to
    /// the row), then zeroes them. The first gradient row holds the sum between the two passes.
    /// Disjoint rows may run concurrently.
    @inline(__always)
    public func updateRowSummingGradients(
        _ row: Int, table: UnsafeMutablePointer<Float>,
        grads: UnsafeBufferPointer<UnsafeMutablePointer<Float>>, learningRate: Float
    ) {
        guard let first = grads.first else { return }
        let zero = Lanes()
        var squares = zero
        var d = 0
        while d < width {
            var g = load(first + d)
            for gp in grads.dropFirst() { g += load(gp + d); store(zero, gp + d) }
            store(g, first + d)
            squares += g * g
            d += kernelLanes
        }
        let s = sums[row] + squares.sum() / Float(liveColumns)
        sums[row] = s
        let scale = Lanes(repeating: learningRate / (s.squareRoot() + RowwiseAdagrad.epsilon))
        let p = table + row * width
        d = 0
        while d < width {
            store(load(p + d) - scale * load(first + d), p + d)
            store(zero, first + d)
            d += kernelLanes
        }
    }
}
