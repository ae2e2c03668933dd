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
}

public enum Adam {
    /// One dense step on `param` with gradient `grad` (same count). Increments `state.step`.
    public static func step(_ param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, count: Int,
                            state: inout AdamState, config: AdamConfig) {
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
    static func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                       _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                       _ range: Range<Int>, _ lrCorr: Float, _ v2Corr: Float, _ c: AdamConfig) {
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

/// Lazy Adam over the rows of a [rows, width] table.
public struct RowSparseAdam: Sendable {
    public var state: AdamState
    public let width: Int
    public init(rows: Int, width: Int) { state = AdamState(count: rows * width); self.width = width }

    /// Advances the shared step counter once per optimiser step (call before `updateRows`).
    public mutating func beginStep() { state.step += 1 }

    /// Updates the given rows of `table` with their gradients in `grad` (both [rows, width]),
    /// the first `liveWidth` columns of each row only (padding columns stay zero).
    public func updateRows(_ rows: UnsafeBufferPointer<Int32>, table: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                           m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, config: AdamConfig,
                           columns: [Range<Int>]) {
        let (c1, c2) = Adam.corrections(state.step, config)
        for r in rows {
            let base = Int(r) * width
            for cols in columns {
                Adam.update(table + base, grad + base, m + base, v + base, cols, c1, c2, config)
            }
        }
    }
}
