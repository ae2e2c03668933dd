// Inference products: RowwiseProducts (row by row, bit-identical per row) against OpenBLAS sgemm on
// the shapes AFME inference runs, one thread. Compiled with AFMECore's sources by bench/products.sh.

func seconds(_ body: () -> Void) -> Double {
    body()   // warm-up: first touch of the output, caches
    var best = Double.infinity
    for _ in 0..<5 { let t0 = monotonicSeconds(); body(); best = min(best, monotonicSeconds() - t0) }
    return best
}

nonisolated(unsafe) var sink: Float = 0

@main
struct ProductsBench {
    static func main() {
        Parallel.setBLASThreads(1)
        // The core's ceiling: 16 independent vector accumulators, fused multiply-adds from registers only.
        var acc = [Lanes](repeating: Lanes(repeating: 0), count: 16)
        let x = Lanes(repeating: 0.999), y = Lanes(repeating: 1e-3), steps = 20_000_000
        let peak = seconds {
            var c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3], c4 = acc[4], c5 = acc[5], c6 = acc[6], c7 = acc[7]
            var c8 = acc[8], c9 = acc[9], c10 = acc[10], c11 = acc[11], c12 = acc[12], c13 = acc[13], c14 = acc[14], c15 = acc[15]
            for _ in 0..<(steps / 16) {
                c0.addProduct(c0, x); c1.addProduct(c1, x); c2.addProduct(c2, x); c3.addProduct(c3, x)
                c4.addProduct(c4, x); c5.addProduct(c5, x); c6.addProduct(c6, x); c7.addProduct(c7, x)
                c8.addProduct(c8, y); c9.addProduct(c9, y); c10.addProduct(c10, y); c11.addProduct(c11, y)
                c12.addProduct(c12, y); c13.addProduct(c13, y); c14.addProduct(c14, y); c15.addProduct(c15, y)
            }
            acc = [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15]
        }
        print("register-only fused multiply-adds (the core's ceiling): \((2.0 * 16 * Double(steps) / peak / 1e8).rounded() / 10) GFLOP/s")
        sink = acc.reduce(0) { $0 + $1.sum() }   // keeps the loop's results alive
        print("shape (M × K · K × N)        rowwise GFLOP/s   sgemm GFLOP/s   rowwise/sgemm")
        let shapes = [(4096, 384, 512, false, false, "text projection, first layer (384 → W = 512)"),
                      (4096, 512, 512, false, false, "second layer / relation gate (W × W)"),
                      (4096, 576, 512, false, false, "generator guide ((W + 64) → W)"),
                      (2, 512, 512, false, false, "one triple's two rows (W × W)"),
                      (4608, 512, 384, false, true, "training: input gradient dY·Wᵀ of the text projection"),
                      (4608, 512, 512, false, true, "training: input gradient dY·Wᵀ of a gate"),
                      (512, 4608, 512, true, false, "training: weight gradient Xᵀ·dY of a gate"),
                      (384, 4608, 512, true, false, "training: weight gradient Xᵀ·dY of the text projection")]
        var rng = SplitMix64(seed: 7)
        for (m, k, n, transA, transB, what) in shapes {
            let a = (0..<(m * k)).map { _ in rng.unit() - 0.5 }, b = (0..<(k * n)).map { _ in rng.unit() - 0.5 }
            let lda = transA ? m : k, ldb = transB ? k : n
            var c = [Float](repeating: 0, count: m * n)
            let reps = max(1, 4096 / m)
            let rowwise = seconds {
                for _ in 0..<reps {
                    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                        RowwiseProducts.product(transA: transA, transB: transB, m: m, n: n, k: k, a: pa.baseAddress!, lda: lda,
                                                b: pb.baseAddress!, ldb: ldb, c: pc.baseAddress!, ldc: n)
                    } } }
                }
            }
            let blas = seconds {
                for _ in 0..<reps {
                    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: lda,
                                   b: pb.baseAddress!, ldb: ldb, beta: 0, c: pc.baseAddress!, ldc: n)
                    } } }
                }
            }
            let flops = 2.0 * Double(m * n * k * reps)
            func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
            func col(_ x: Double, _ w: Int) -> String { pad("\((x * 100).rounded() / 100)", w) }
            let label = pad("\(m) × \(k) · \(k) × \(n)\(transA ? " (Aᵀ)" : transB ? " (Bᵀ)" : "")", 28)
            print("\(label) \(col(flops / rowwise / 1e9, 17)) \(col(flops / blas / 1e9, 15)) \(col(blas / rowwise, 6))  \(what)")
        }
    }
}
