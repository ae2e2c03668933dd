// Score functions over entity/relation rows (afme.txt eq. 13; RotatE, Sun et al. 2019; TransE, Bordes et al. 2013).
//
// Every score here has the form score(h, r, t) = γ − dist(anchor, candidate): for tail prediction the
// anchor is built from (h, r) and the candidates are tails; for head prediction it is built from (t, r)
// and the candidates are heads. Building the anchor once per query and scanning candidates is what
// makes negative sampling and the all-entity evaluation cheap. AFME uses the same interface on its
// fused (joint) entity embeddings.

/// Which side of a triple is being predicted (and therefore corrupted when sampling negatives).
public enum Direction: Int, Sendable { case tail = 0, head = 1 }

/// Vector width used by the kernels: rows are padded to a multiple of it with zeros.
public let kernelLanes = 16
public typealias Lanes = SIMD16<Float>

@inline(__always) func paddedDim(_ d: Int) -> Int { (d + kernelLanes - 1) / kernelLanes * kernelLanes }

public enum ScoreFunctionKind: Int, Sendable, CaseIterable {
    /// RotatE as its reference code scores it: dist = Σ_d |a_d − c_d|, the sum of per-dimension complex moduli.
    case rotatE = 0
    case transE = 1
    /// RotatE with the Euclidean norm of afme.txt eq. 13: dist = √D·(Σ_d |a_d − c_d|²)^½ (see `euclideanScale`).
    /// Same rows and rotations as `rotatE`; only the distance differs (docs/MODEL.md "Scoring and loss").
    case rotatEEuclidean = 2
    public var name: String {
        switch self {
        case .rotatE: return "RotatE"
        case .transE: return "TransE"
        case .rotatEEuclidean: return "RotatE-L2"
        }
    }
    /// Complex rows rotated by relation phases (both RotatE distances).
    public var isRotation: Bool { self != .transE }
}

/// The geometry of one score function at one embedding dimension.
/// Entity rows have `entityWidth` floats, relation rows `relationWidth`; the padding stays zero.
public struct ScoreFunction: Sendable {
    public let kind: ScoreFunctionKind
    /// Embedding dimension D (complex dimensions for RotatE, real for TransE).
    public let dim: Int
    /// D rounded up to the kernel lane width.
    public let paddedDim: Int
    /// Margin γ.
    public let gamma: Float
    /// RotatE stores relation phases in units of the initialisation range (γ+ε)/D, as the reference code does;
    /// this is π divided by that range.
    public let phaseScale: Float
    /// ε of the initialisation range (kept so checkpoints restore the exact configuration).
    public let epsilon: Float

    public init(kind: ScoreFunctionKind, dim: Int, gamma: Float, epsilon: Float = 2) {
        self.kind = kind; self.dim = dim; self.gamma = gamma; self.epsilon = epsilon
        self.paddedDim = AFMECore.paddedDim(dim)
        self.phaseScale = Float.pi / ((gamma + epsilon) / Float(dim))
    }

    /// RotatE-L2 scores γ − √D·‖a − c‖₂: the factor √D keeps distances on the scale of the sum of moduli
    /// (√D‖x‖₂ ≥ Σ_d |x_d|, equal when all moduli are equal), so γ, ε, the initialisation and the learning
    /// rate mean what they mean for RotatE. Rankings are those of ‖·‖₂ itself.
    var euclideanScale: Float { Float(dim).squareRoot() }

    /// Floats per entity row: [re | im] blocks for RotatE, one block for TransE.
    public var entityWidth: Int { kind.isRotation ? 2 * paddedDim : paddedDim }
    /// Floats per relation row (phases for RotatE, translations for TransE).
    public var relationWidth: Int { paddedDim }
    /// Floats per anchor (same as an entity row).
    public var anchorWidth: Int { entityWidth }

    /// anchor = h∘e^{iφ} (tail) or t∘e^{−iφ} (head) for RotatE; h + r (tail) or t − r (head) for TransE.
    @inline(__always)
    public func anchor(
        entity e: UnsafePointer<Float>, relation r: UnsafePointer<Float>, direction: Direction,
        out a: UnsafeMutablePointer<Float>
    ) {
        let P = paddedDim
        switch kind {
        case .rotatE, .rotatEEuclidean:
            let sign: Float = direction == .tail ? 1 : -1
            for d in 0..<dim {
                let phase = r[d] * phaseScale
                let c = _cosf(phase), s = sign * _sinf(phase)
                let re = e[d], im = e[P + d]
                a[d] = re * c - im * s
                a[P + d] = re * s + im * c
            }
            for d in dim..<P { a[d] = 0; a[P + d] = 0 }
        case .transE:
            let sign: Float = direction == .tail ? 1 : -1
            for d in 0..<P { a[d] = e[d] + sign * r[d] }
        }
    }

    /// Adds the gradient of the anchor into the entity row and relation row gradients.
    @inline(__always)
    public func anchorBackward(
        entity e: UnsafePointer<Float>, relation r: UnsafePointer<Float>, direction: Direction,
        dAnchor ga: UnsafePointer<Float>,
        dEntity ge: UnsafeMutablePointer<Float>, dRelation gr: UnsafeMutablePointer<Float>
    ) {
        let P = paddedDim
        switch kind {
        case .rotatE, .rotatEEuclidean:
            let sign: Float = direction == .tail ? 1 : -1
            for d in 0..<dim {
                let phase = r[d] * phaseScale
                let c = _cosf(phase), s = sign * _sinf(phase)
                let re = e[d], im = e[P + d]
                let gre = ga[d], gim = ga[P + d]
                // a_re = re·c − im·s, a_im = re·s + im·c, with s = ±sin φ.
                ge[d] += gre * c + gim * s
                ge[P + d] += -gre * s + gim * c
                let aRe = re * c - im * s, aIm = re * s + im * c
                // ∂a/∂φ = sign·(−a_im, a_re)
                gr[d] += sign * phaseScale * (-gre * aIm + gim * aRe)
            }
        case .transE:
            let sign: Float = direction == .tail ? 1 : -1
            for d in 0..<P { ge[d] += ga[d]; gr[d] += sign * ga[d] }
        }
    }

    /// dist(anchor, candidate): Σ_d |a_d − c_d| with complex modulus (RotatE) or absolute value (TransE); the Euclidean
    /// norm over complex dimensions for RotatE-L2.
    @inline(__always)
    public func distance(_ a: UnsafePointer<Float>, _ c: UnsafePointer<Float>) -> Float {
        let P = paddedDim
        var acc = Lanes()
        switch kind {
        case .rotatE:
            var d = 0
            while d < P {
                let dr = load(a + d) - load(c + d), di = load(a + P + d) - load(c + P + d)
                acc += (dr * dr + di * di).squareRoot()
                d += kernelLanes
            }
        case .rotatEEuclidean:
            var d = 0
            while d < P {
                let dr = load(a + d) - load(c + d), di = load(a + P + d) - load(c + P + d)
                acc += dr * dr + di * di
                d += kernelLanes
            }
            return euclideanScale * acc.sum().squareRoot()
        case .transE:
            var d = 0
            while d < P {
                let x = load(a + d) - load(c + d)
                acc += x.replacing(with: -x, where: x .< Lanes())
                d += kernelLanes
            }
        }
        return acc.sum()
    }

    /// `distance` that also keeps each per-dimension modulus in `moduli` ([paddedDim]) for `distanceBackward`,
    /// so training takes one square root per element instead of two. TransE needs no cache.
    @inline(__always)
    public func distance(
        _ a: UnsafePointer<Float>, _ c: UnsafePointer<Float>, moduli: UnsafeMutablePointer<Float>
    ) -> Float {
        let P = paddedDim
        switch kind {
        case .transE: return distance(a, c)
        case .rotatEEuclidean:
            // dist = s‖x‖ (s = euclideanScale) has ∂dist/∂x_d = x_d / (dist / s²) for every d: storing
            // dist / s² as every dimension's "modulus" lets distanceBackward serve both RotatE distances.
            let dist = distance(a, c), v = Lanes(repeating: dist / (euclideanScale * euclideanScale))
            var d = 0
            while d < P { store(v, moduli + d); d += kernelLanes }
            return dist
        case .rotatE: break
        }
        var acc = Lanes()
        var d = 0
        while d < P {
            let dr = load(a + d) - load(c + d), di = load(a + P + d) - load(c + P + d)
            let mod = (dr * dr + di * di).squareRoot()
            store(mod, moduli + d)
            acc += mod
            d += kernelLanes
        }
        return acc.sum()
    }

    /// With g = ∂loss/∂dist: adds g·∂dist/∂a into `ga` and g·∂dist/∂c into `gc`. The subgradient at zero is zero.
    /// `moduli` is what `distance(_:_:moduli:)` stored for the same pair (ignored by TransE).
    @inline(__always)
    public func distanceBackward(
        _ a: UnsafePointer<Float>, _ c: UnsafePointer<Float>, g: Float, moduli: UnsafePointer<Float>,
        dAnchor ga: UnsafeMutablePointer<Float>, dCandidate gc: UnsafeMutablePointer<Float>
    ) {
        let P = paddedDim
        let gv = Lanes(repeating: g), zero = Lanes()
        switch kind {
        case .rotatE, .rotatEEuclidean:
            var d = 0
            while d < P {
                let dr = load(a + d) - load(c + d), di = load(a + P + d) - load(c + P + d)
                let mod = load(moduli + d)
                let inv = (gv / mod).replacing(with: zero, where: mod .== zero)
                let ur = dr * inv, ui = di * inv
                store(load(ga + d) + ur, ga + d); store(load(ga + P + d) + ui, ga + P + d)
                store(load(gc + d) - ur, gc + d); store(load(gc + P + d) - ui, gc + P + d)
                d += kernelLanes
            }
        case .transE:
            var d = 0
            while d < P {
                let x = load(a + d) - load(c + d)
                let sgn = Lanes(repeating: 0).replacing(with: gv, where: x .> zero).replacing(
                    with: -gv, where: x .< zero)
                store(load(ga + d) + sgn, ga + d); store(load(gc + d) - sgn, gc + d)
                d += kernelLanes
            }
        }
    }
}

@inline(__always) func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
@inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}
@inline(__always) func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}
