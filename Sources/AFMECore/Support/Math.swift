// Scalar math without Foundation: the core links only the Swift stdlib and Glibc.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func _expf(_ x: Float) -> Float { expf(x) }
@inline(__always) func _logf(_ x: Float) -> Float { logf(x) }
@inline(__always) func _sinf(_ x: Float) -> Float { sinf(x) }
@inline(__always) func _cosf(_ x: Float) -> Float { cosf(x) }

/// tanh as a clamped odd rational function (degree 13 over 6; the minimax form Eigen uses for float):
/// within 4e-7 of tanh everywhere (|tanh| ≤ 1 exactly), branch-free, so loops over it vectorise.
/// libm's tanhf (via expm1f) was ~20 % of an AFME epoch (perf, BENCHMARKS.md).
@inline(__always) func fastTanh(_ v: Float) -> Float {
    let x = min(max(v, -7.90531110763549805), 7.90531110763549805)
    let x2 = x * x
    var p: Float = -2.76076847742355e-16
    p = p * x2 + 2.00018790482477e-13
    p = p * x2 - 8.60467152213735e-11
    p = p * x2 + 5.12229709037114e-08
    p = p * x2 + 1.48572235717979e-05
    p = p * x2 + 6.37261928875436e-04
    p = p * x2 + 4.89352455891786e-03
    var q: Float = 1.19825839466702e-06
    q = q * x2 + 1.18534705686654e-04
    q = q * x2 + 2.26843463243900e-03
    q = q * x2 + 4.89352518554385e-03
    return x * p / q
}

/// fastTanh over a buffer, in place.
func fastTanh(_ p: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) {
    guard let base = p.baseAddress else { return }
    for i in range { base[i] = fastTanh(base[i]) }
}

/// The logistic function through the vectorised tanh: σ(x) = ½ + ½·tanh(x/2), absolute error ≤ 2e-7
/// (relative accuracy is lost below σ ≈ 1e-6, where a gate is closed anyway).
@inline(__always) func fastSigmoid(_ x: Float) -> Float { 0.5 + 0.5 * fastTanh(0.5 * x) }

/// Numerically stable logistic function.
@inline(__always) func sigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

/// Numerically stable log σ(x).
@inline(__always) func logSigmoid(_ x: Float) -> Float {
    x >= 0 ? -log1pf(expf(-x)) : x - log1pf(expf(x))
}

/// Monotonic wall clock in seconds.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Peak resident set size of this process in bytes (from getrusage; Linux reports KiB).
public func peakRSSBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}
