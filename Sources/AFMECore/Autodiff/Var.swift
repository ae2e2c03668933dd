// Reverse-mode differentiation over Tensor ops, micrograd style: every op builds its output and
// a local backward closure in one place. Backward closures are written with the same
// differentiable ops, so a gradient is itself a graph when asked for (createGraph: true) and can
// be differentiated again: the WGAN-GP penalty of afme.txt eq. 16 needs exactly that.

/// A node of the computation graph: a tensor value plus how to send gradients to its inputs.
public final class Var {
    public private(set) var value: Tensor
    /// True if gradients flow to or through this node.
    public let requiresGrad: Bool
    let parents: [Var]
    /// Maps the gradient of this node to one gradient (or nil) per parent, in parent order.
    let backward: ((Var) -> [Var?])?
    public var name: String?

    /// A leaf: a constant (`requiresGrad: false`) or a parameter/input to differentiate with respect to.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String? = nil) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backward = nil
        self.name = name
    }

    /// An interior node. It records its parents only while gradient recording is on and some parent needs a gradient.
    init(_ value: Tensor, parents: [Var], backward: @escaping (Var) -> [Var?]) {
        self.value = value
        let record = GradMode.isEnabled && parents.contains { $0.requiresGrad }
        self.requiresGrad = record
        self.parents = record ? parents : []
        self.backward = record ? backward : nil
    }

    public var shape: [Int] { value.shape }
    public var isLeaf: Bool { backward == nil }

    /// Replaces a leaf's value in place (parameter updates); interior nodes are immutable.
    public func assign(_ t: Tensor) {
        precondition(isLeaf && t.shape == value.shape, "assign to a leaf of the same shape only")
        value = t
    }

    /// Direct mutable access to a leaf's storage, for optimisers.
    public func withMutableData<R>(_ body: (inout [Float]) -> R) -> R {
        precondition(isLeaf, "only leaves can be updated in place")
        return body(&value.data)
    }
}

/// Whether ops record the graph. Thread-local, so trainers on different threads do not interfere.
public enum GradMode {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Recording is on unless disabled on this thread.
    public static var isEnabled: Bool { pthread_getspecific(key) == nil }

    /// Runs `body` with graph recording off on this thread (inference, optimiser steps, plain gradients).
    public static func withDisabled<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }

    /// Runs `body` with recording on (used inside a disabled region for create-graph backward passes).
    public static func withEnabled<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, nil)
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
