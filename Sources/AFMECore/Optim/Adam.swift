// Adam (Kingma & Ba 2015) with bias correction, in a dense form and a row-sparse ("lazy") form.
//
// Row-sparse parameters (entity and relation tables) use lazy Adam, as PyTorch's SparseAdam does:
// only the rows a batch touched have their moments and values updated, with the global step count in
// the bias correction. Why: a dense update of a 15,000 × 500 table costs six full passes over memory
// per step even when a batch touches few rows, and for rows a batch did not touch dense Adam would keep
// moving them along stale momentum. On the benchmarks a batch of 1024 positives with 64 negatives touches
// nearly every row, so the two forms give nearly the same trajectory there.

public struct AdamConfig: Sendable, Equatable {
    public var learningRate: Float = 1e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public init(learningRate: Float = 1e-3) { self.learningRate = learningRate }
}

/// Moments for one parameter buffer of `count` floats.
public struct AdamState: Sendable {
    public var m: [Float]
    public var v: [Float]
    public var step: Int = 0
    public init(count: Int) {
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    func write(_ w: inout ResumeWriter) { w.put(UInt64(step)); w.put(floats: m); w.put(floats: v) }

    mutating func read(_ r: inout ResumeReader) throws {
        let s = try r.u64()
        let mm = try r.floats(count: m.count), vv = try r.floats(count: v.count)
        guard s < 1 << 40, vv.allSatisfy({ $0 >= 0 }) else {
            throw DataError(.badFormat, "resume state: optimiser step or second moments out of range")
        }
        step = Int(s); m = mm; v = vv
    }
}

public enum Adam {
    /// One dense step on `param` with gradient `grad` (same count). Increments `state.step`.
    public static func step(
        _ param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, count: Int,
        state: inout AdamState, config: AdamConfig
    ) {
        state.step += 1
        let (c1, c2) = corrections(state.step, config)
        state.m.withUnsafeMutableBufferPointer { m in
            state.v.withUnsafeMutableBufferPointer { v in
                update(param, grad, m.baseAddress!, v.baseAddress!, 0..<count, c1, c2, config)
            }
        }
    }

    /// Bias-correction factors: lr / (1 − β1^t) and 1 / (1 − β2^t).
    @inline(__always)
    static func corrections(_ t: Int, _ c: AdamConfig) -> (Float, Float) {
        let b1 = Float(_exp(Double(t) * _log(Double(c.beta1))))
        let b2 = Float(_exp(Double(t) * _log(Double(c.beta2))))
        return (c.learningRate / (1 - b1), 1 / (1 - b2))
    }

    @inline(__always)
    static func update(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
        _ range: Range<Int>, _ lrCorr: Float, _ v2Corr: Float, _ c: AdamConfig
    ) {
        let b1 = c.beta1, b2 = c.beta2, eps = c.epsilon
        for i in range {
            let gi = g[i]
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi; v[i] = vi
            p[i] -= lrCorr * mi / ((vi * v2Corr).squareRoot() + eps)
        }
    }
}

/// Lazy Adam over the rows of a [rows, width] table. Moments live in raw buffers so disjoint row
/// ranges can be updated from several threads at once.
public final class RowSparseAdam {
    public let rows: Int
    public let width: Int
    public private(set) var step = 0
    let m: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>

    public init(rows: Int, width: Int) {
        self.rows = rows; self.width = width
        m = .allocate(capacity: rows * width); m.initialize(repeating: 0, count: rows * width)
        v = .allocate(capacity: rows * width); v.initialize(repeating: 0, count: rows * width)
    }

    deinit { m.deallocate(); v.deallocate() }

    /// The moments and step counter, for a resume state.
    func write(_ w: inout ResumeWriter) {
        w.put(UInt64(step))
        w.put(floats: Array(UnsafeBufferPointer(start: m, count: rows * width)))
        w.put(floats: Array(UnsafeBufferPointer(start: v, count: rows * width)))
    }

    func read(_ r: inout ResumeReader) throws {
        let s = try r.u64()
        let mm = try r.floats(count: rows * width), vv = try r.floats(count: rows * width)
        guard s < 1 << 40, vv.allSatisfy({ $0 >= 0 }) else {
            throw DataError(.badFormat, "resume state: optimiser step or second moments out of range")
        }
        step = Int(s)
        mm.withUnsafeBufferPointer { m.update(from: $0.baseAddress!, count: rows * width) }
        vv.withUnsafeBufferPointer { v.update(from: $0.baseAddress!, count: rows * width) }
    }

    /// Advances the shared step counter once per optimiser step (call before `updateRows`).
    public func beginStep() { step += 1 }

    /// Updates one row of `table` with the sum of the gradient rows in `grads` (each already offset to
    /// the row), then zeroes those gradient rows: merge, step and clear in one pass over memory.
    /// Needs `width` to be a multiple of the kernel lane width. Padding columns (gradient, moments and
    /// value all zero) stay exactly zero. Disjoint rows may run concurrently.
    @inline(__always)
    public func updateRowSummingGradients(
        _ row: Int, table: UnsafeMutablePointer<Float>,
        grads: UnsafeBufferPointer<UnsafeMutablePointer<Float>>,
        lrCorrection c1: Float, v2Correction c2: Float, config: AdamConfig
    ) {
        let base = row * width
        let b1 = Lanes(repeating: config.beta1), b2 = Lanes(repeating: config.beta2)
        let ob1 = Lanes(repeating: 1 - config.beta1), ob2 = Lanes(repeating: 1 - config.beta2)
        let lr = Lanes(repeating: c1), vc = Lanes(repeating: c2), eps = Lanes(repeating: config.epsilon)
        let zero = Lanes()
        var d = 0
        while d < width {
            var g = zero
            for gp in grads { g += load(gp + d); store(zero, gp + d) }
            let mi = b1 * load(m + base + d) + ob1 * g
            let vi = b2 * load(v + base + d) + ob2 * g * g
            store(mi, m + base + d); store(vi, v + base + d)
            store(load(table + base + d) - lr * mi / ((vi * vc).squareRoot() + eps), table + base + d)
            d += kernelLanes
        }
    }

    /// One optimiser step on the rows `entities` of `table` from their gradient rows in `gradients`
    /// ([entities.count, width], consumed: zeroed on the way): the update of a batch's gathered rows.
    public func step(rows entities: [Int], gradients: inout [Float], table: inout [Float], config: AdamConfig) {
        beginStep()
        let (c1, c2) = corrections(config)
        table.withUnsafeMutableBufferPointer { t in
            gradients.withUnsafeMutableBufferPointer { g in
                for (i, e) in entities.enumerated() {
                    let p = g.baseAddress! + i * width
                    withUnsafePointer(to: p) { pp in
                        updateRowSummingGradients(
                            e, table: t.baseAddress!, grads: UnsafeBufferPointer(start: pp, count: 1),
                            lrCorrection: c1, v2Correction: c2, config: config)
                    }
                }
            }
        }
    }

    /// Bias corrections for the current step.
    public func corrections(_ config: AdamConfig) -> (Float, Float) { Adam.corrections(step, config) }

    /// Updates the given rows of `table` with their gradients in `grad` (both [rows, width]), only the
    /// live `columns` of each row (padding columns stay zero). Disjoint `rows` may run concurrently.
    public func updateRows(
        _ rowIds: UnsafeBufferPointer<Int32>, table: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
        config: AdamConfig, columns: [Range<Int>]
    ) {
        let (c1, c2) = Adam.corrections(step, config)
        for r in rowIds {
            let base = Int(r) * width
            for cols in columns {
                Adam.update(table + base, grad + base, m + base, v + base, cols, c1, c2, config)
            }
        }
    }
}
