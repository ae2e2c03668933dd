// The resume payload of a session whose model is an entity table, a relation table and a list of layer
// parameters, each with its Adam state, plus one random stream of its own (AFME, the weighted-fusion
// kinds): current weights, the optimisers, the stream, then the best snapshot if there is one.

/// Every learned value of such a model, for best-weight restore and resume.
public struct LayeredSnapshot {
    public let structural: [Float]
    public let relations: Tensor
    public let parameters: [Tensor]
}

extension LayeredSnapshot {
    /// Structural rows, relation rows, then each layer's values: the data-parallel parameter vector.
    var flattened: [Float] { structural + relations.data + parameters.flatMap(\.data) }

    /// Everything but the structural rows, laid out as in `flattened`.
    var denseFlattened: [Float] { relations.data + parameters.flatMap(\.data) }
    /// This snapshot with `values` (laid out as `denseFlattened`) in place of its relations and layers.
    func replacingDense(_ values: [Float]) -> LayeredSnapshot {
        let all = replacing(structural + values)
        return LayeredSnapshot(structural: structural, relations: all.relations, parameters: all.parameters)
    }

    /// The snapshot of this shape holding `values` (laid out as `flattened`).
    func replacing(_ values: [Float]) -> LayeredSnapshot {
        var at = structural.count
        func next(_ t: Tensor) -> Tensor {
            defer { at += t.data.count }
            return Tensor(shape: t.shape, data: [Float](values[at..<(at + t.data.count)]))
        }
        return LayeredSnapshot(
            structural: Array(values[0..<structural.count]), relations: next(relations),
            parameters: parameters.map(next))
    }
}

extension Array where Element == Tensor {
    /// The tensors' values end to end, and the tensors of these shapes holding `values`.
    var flattened: [Float] { flatMap(\.data) }
    func replacing(_ values: [Float]) -> [Tensor] {
        var at = 0
        return map { t in
            defer { at += t.data.count }
            return Tensor(shape: t.shape, data: [Float](values[at..<(at + t.data.count)]))
        }
    }
}

enum LayeredResume {
    static func encode(
        current: LayeredSnapshot, best: LayeredSnapshot?, structuralAdam: RowSparseAdam, relationAdam: AdamState,
        parameterAdam: [AdamState], rng: UInt64
    ) -> [UInt8] {
        var w = ResumeWriter()
        func put(_ s: LayeredSnapshot) {
            w.put(floats: s.structural); w.put(floats: s.relations.data)
            for p in s.parameters { w.put(floats: p.data) }
        }
        put(current)
        structuralAdam.write(&w); relationAdam.write(&w)
        for a in parameterAdam { a.write(&w) }
        w.put(rng)
        w.put(best == nil ? 0 : 1)
        if let best { put(best) }
        return w.bytes
    }

    /// Reads what `encode` wrote for a model shaped like `shape` into the optimisers and the stream;
    /// returns the current weights and the best snapshot. Nothing of the caller's model is touched.
    static func decode(
        _ bytes: [UInt8], shape: LayeredSnapshot, structuralAdam: RowSparseAdam, relationAdam: inout AdamState,
        parameterAdam: inout [AdamState], rng: inout UInt64
    ) throws -> (current: LayeredSnapshot, best: LayeredSnapshot?) {
        var r = ResumeReader(bytes)
        func get() throws -> LayeredSnapshot {
            LayeredSnapshot(
                structural: try r.floats(count: shape.structural.count),
                relations: Tensor(shape: shape.relations.shape, data: try r.floats(count: shape.relations.count)),
                parameters: try shape.parameters.map { Tensor(shape: $0.shape, data: try r.floats(count: $0.count)) })
        }
        let current = try get()
        try structuralAdam.read(&r); try relationAdam.read(&r)
        for i in parameterAdam.indices { try parameterAdam[i].read(&r) }
        rng = try r.u64()
        let best = try r.u64() == 1 ? try get() : nil
        try r.expectEnd()
        return (current, best)
    }
}
