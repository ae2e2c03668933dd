// Inference products: RowwiseProducts (row by row, bit-identical per row) against OpenBLAS sgemm on
// the shapes AFME inference runs, one thread. Compiled with AFMECore's sources by bench/products.sh.

func seconds(_ body: () -> Void) -> Double {
    body()   // warm-up: first touch of the output, caches
    var best = Double.infinity
    for _ in 0..<5 { let t0 = monotonicSeconds(); body(); best = min(best, monotonicSeconds() - t0) }
    return best
}

@main
struct ProductsBench {
    static func main() {
        Parallel.setBLASThreads(1)
        print("shape (M × K · K × N)        rowwise GFLOP/s   sgemm GFLOP/s   rowwise/sgemm")
        let shapes = [(4096, 384, 512, "text projection, first layer (384 → W = 512)"),
                      (4096, 512, 512, "second layer / relation gate (W × W)"),
                      (4096, 576, 512, "generator guide ((W + 64) → W)"),
                      (2, 512, 512, "one triple's two rows (W × W)")]
        var rng = SplitMix64(seed: 7)
        for (m, k, n, what) in shapes {
            let a = (0..<(m * k)).map { _ in rng.unit() - 0.5 }, b = (0..<(k * n)).map { _ in rng.unit() - 0.5 }
            var c = [Float](repeating: 0, count: m * n)
            let reps = max(1, 4096 / m)
            let rowwise = seconds {
                for _ in 0..<reps {
                    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                        RowwiseProducts.product(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                    } } }
                }
            }
            let blas = seconds {
                for _ in 0..<reps {
                    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: k,
                                   b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
                    } } }
                }
            }
            let flops = 2.0 * Double(m * n * k * reps)
            func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
            func col(_ x: Double, _ w: Int) -> String { pad("\((x * 100).rounded() / 100)", w) }
            let label = pad("\(m) × \(k) · \(k) × \(n)", 28)
            print("\(label) \(col(flops / rowwise / 1e9, 17)) \(col(flops / blas / 1e9, 15)) \(col(blas / rowwise, 6))  \(what)")
        }
    }
}
