// The backward pass: topological order from the output, accumulate, call each node's closure.

/// Gradients of a scalar `output` with respect to `inputs` (like torch.autograd.grad).
/// - Parameters:
///   - createGraph: record the backward pass itself so the returned gradients can be differentiated again.
///   - seed: the upstream gradient of `output`; defaults to ones.
/// - Returns: one gradient per input, zeros where the input does not influence `output`.
public func gradients(of output: Var, wrt inputs: [Var], seed: Var? = nil, createGraph: Bool = false) -> [Var] {
    let order = topologicalOrder(from: output)
    var grads: [ObjectIdentifier: Var] = [:]
    let wanted = Set(inputs.map(ObjectIdentifier.init))
    let run = { () -> [Var] in
        grads[ObjectIdentifier(output)] = seed ?? Var(Tensor(repeating: 1, shape: output.shape))
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard let g = grads[id], let backward = node.backward else { continue }
            // Every child has already contributed (reverse topological order): release the buffer unless
            // it is asked for, so the pass holds only the gradient frontier, not one buffer per node.
            if !wanted.contains(id) { grads[id] = nil }
            let parentGrads = backward(g)
            for (parent, pg) in zip(node.parents, parentGrads) {
                guard let pg, parent.requiresGrad else { continue }
                let id = ObjectIdentifier(parent)
                if let existing = grads[id] { grads[id] = existing + pg } else { grads[id] = pg }
            }
        }
        return inputs.map { grads[ObjectIdentifier($0)] ?? Var(Tensor(zeros: $0.shape)) }
    }
    return createGraph ? GradMode.withEnabled(run) : GradMode.withDisabled(run)
}

/// Nodes reachable from `output` through recorded edges, parents before children.
private func topologicalOrder(from output: Var) -> [Var] {
    var order: [Var] = []
    var seen = Set<ObjectIdentifier>()
    // Iterative DFS: deep graphs (many attention layers) must not overflow the stack.
    var stack: [(Var, Bool)] = [(output, false)]
    while let (node, expanded) = stack.popLast() {
        if expanded { order.append(node); continue }
        if !seen.insert(ObjectIdentifier(node)).inserted { continue }
        stack.append((node, true))
        for p in node.parents where p.requiresGrad && !seen.contains(ObjectIdentifier(p)) {
            stack.append((p, false))
        }
    }
    return order
}
