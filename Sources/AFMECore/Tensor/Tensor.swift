// Dense row-major Float tensors: the value type under every differentiable op (Autodiff/).
// Dimension letters used across the engine: B batch, E entities, R relations, D embedding dim, M modalities.

/// A dense, row-major, contiguous array of `Float` with a shape. Value semantics (copy on write).
public struct Tensor: Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    public init(scalar: Float) { self.init(shape: [1], data: [scalar]) }

    /// Uniform samples in [lo, hi).
    public static func uniform(_ shape: [Int], _ lo: Float, _ hi: Float, rng: inout SplitMix64) -> Tensor {
        var t = Tensor(zeros: shape)
        for i in t.data.indices { t.data[i] = rng.uniform(lo, hi) }
        return t
    }

    /// Normal samples with the given standard deviation.
    public static func gaussian(_ shape: [Int], std: Float, rng: inout SplitMix64) -> Tensor {
        var t = Tensor(zeros: shape)
        for i in t.data.indices { t.data[i] = std * rng.gaussian() }
        return t
    }

    /// Xavier/Glorot uniform initialisation for a [fanIn, fanOut] weight.
    public static func xavier(_ fanIn: Int, _ fanOut: Int, rng: inout SplitMix64) -> Tensor {
        let a = (6.0 / Float(fanIn + fanOut)).squareRoot()
        return uniform([fanIn, fanOut], -a, a, rng: &rng)
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    /// Rows of a 2-D view: all leading dimensions folded together.
    public var rows: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }
    /// Size of the last dimension.
    public var cols: Int { shape.last ?? 1 }
    public var scalar: Float { data[0] }

    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, data: data) }

    public var isFinite: Bool { data.allSatisfy { $0.isFinite } }
}
