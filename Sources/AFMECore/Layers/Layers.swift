// The small dense layers the multi-modal kinds are built from, on the autodiff engine. Each holds its
// parameters as leaf Vars registered in a ParameterStore, so optimisers and checkpoints see one flat list.

/// Which optimiser a parameter belongs to (eq. 17 trains the generator and discriminator with their own Adam).
public enum ParameterGroup: Int, Sendable { case fusion = 0, generator = 1, discriminator = 2 }

/// Named parameters in creation order; the order is the checkpoint order.
public final class ParameterStore {
    public private(set) var names: [String] = []
    public private(set) var vars: [Var] = []
    public private(set) var groups: [ParameterGroup] = []

    func add(_ name: String, _ t: Tensor, _ group: ParameterGroup) -> Var {
        let v = Var(t, requiresGrad: true, name: name)
        names.append(name); vars.append(v); groups.append(group)
        return v
    }

    public var count: Int { vars.reduce(0) { $0 + $1.value.count } }
    func indices(of group: ParameterGroup) -> [Int] { groups.indices.filter { groups[$0] == group } }
}

/// y = x·W (+ b).
struct Linear {
    let weight: Var
    let bias: Var?

    init(
        _ store: ParameterStore, _ name: String, _ fanIn: Int, _ fanOut: Int, bias: Bool = true,
        group: ParameterGroup, scale: Float = 1, rng: inout SplitMix64
    ) {
        var w = Tensor.xavier(fanIn, fanOut, rng: &rng)
        if scale != 1 { for i in 0..<w.count { w.data[i] *= scale } }
        weight = store.add(name + ".weight", w, group)
        self.bias = bias ? store.add(name + ".bias", Tensor(zeros: [fanOut]), group) : nil
    }

    /// PyTorch's default nn.Linear initialisation (weight and bias uniform in ±1/√fanIn), for layers that
    /// reproduce a released PyTorch model.
    init(
        torchDefault store: ParameterStore, _ name: String, _ fanIn: Int, _ fanOut: Int, group: ParameterGroup,
        rng: inout SplitMix64
    ) {
        let bound = 1 / Float(fanIn).squareRoot()
        weight = store.add(name + ".weight", Tensor.uniform([fanIn, fanOut], -bound, bound, rng: &rng), group)
        bias = store.add(name + ".bias", Tensor.uniform([fanOut], -bound, bound, rng: &rng), group)
    }

    private init(weight: Var, bias: Var?) { self.weight = weight; self.bias = bias }

    /// The same layer with its weights as constants: a graph through it computes no weight gradient
    /// (for a pass whose optimiser step leaves this layer alone).
    var frozen: Linear { Linear(weight: detached(weight), bias: bias.map(detached)) }

    func callAsFunction(_ x: Var) -> Var {
        bias.map { AFMECore.linear(x, weight, $0) } ?? matmul(x, weight)
    }
}

/// Scaled dot-product self-attention over T tokens of width W/T cut from each row (eq. 9), with a
/// residual connection so deep stacks (the paper tries up to 8 layers) keep the input signal.
struct SelfAttention {
    let query: Linear, key: Linear, value: Linear
    let tokens: Int, tokenWidth: Int

    init(_ store: ParameterStore, _ name: String, width: Int, tokens: Int, group: ParameterGroup, rng: inout SplitMix64)
    {
        self.tokens = tokens; tokenWidth = width / tokens
        query = Linear(store, name + ".q", tokenWidth, tokenWidth, bias: false, group: group, rng: &rng)
        key = Linear(store, name + ".k", tokenWidth, tokenWidth, bias: false, group: group, rng: &rng)
        value = Linear(store, name + ".v", tokenWidth, tokenWidth, bias: false, group: group, rng: &rng)
    }

    func callAsFunction(_ x: Var) -> Var {
        let n = x.shape[0]
        let t = reshape(x, [n * tokens, tokenWidth])
        let q = reshape(query(t), [n, tokens, tokenWidth])
        let k = reshape(key(t), [n, tokens, tokenWidth])
        let v = reshape(value(t), [n, tokens, tokenWidth])
        let a = softmax(scale(bmm(q, k, transB: true), 1 / Float(tokenWidth).squareRoot()))
        return x + reshape(bmm(a, v), [n, tokens * tokenWidth])
    }
}

/// A constant [1, W] row with ones on the columns an entity row uses and zeros on its padding.
func columnMask(_ f: ScoreFunction) -> Var {
    var m = Tensor(zeros: [1, f.entityWidth])
    for c in f.entityColumns { for j in c { m.data[j] = 1 } }
    return Var(m)
}

/// A graph-free copy: gradients stop here.
func detached(_ x: Var) -> Var { Var(x.value) }

/// A constant column [n, 1].
func constantColumn(_ values: [Float]) -> Var { Var(Tensor(shape: [values.count, 1], data: values)) }
