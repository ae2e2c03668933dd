// Inference products (RowwiseProducts, reached through BLAS.matmul inside withRowwise) against their
// contract, bit for bit: every element is one chain of fused multiply-adds over k ascending from +0.
// The shapes cross every boundary of the kernel: row tiles of 4/2/1, packed strips of 64 columns and
// the 16-wide and scalar column tails, blocks of 128 rows of B (partial sums carried through C), the
// row count from which B is packed, and the split of rows over threads.
import XCTest
import AFMECore

final class RowwiseProductTests: XCTestCase {
    func reference(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) -> [Float] {
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1],
            n = transB ? b.shape[0] : b.shape[1]
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k {
                    acc.addProduct(
                        transA ? a.data[p * m + i] : a.data[i * k + p], transB ? b.data[j * k + p] : b.data[p * n + j])
                }
                c[i * n + j] = acc
            }
        }
        return c
    }

    func check(
        m: Int, k: Int, n: Int, transA: Bool = false, transB: Bool = false, seed: UInt64,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var rng = SplitMix64(seed: seed)
        let a = Tensor.gaussian(transA ? [k, m] : [m, k], std: 1, rng: &rng),
            b = Tensor.gaussian(transB ? [n, k] : [k, n], std: 1, rng: &rng)
        let got = RowwiseProducts.withRowwise { BLAS.matmul(a, b, transA: transA, transB: transB) }
        let want = reference(a, b, transA: transA, transB: transB)
        XCTAssertEqual(got.shape, [m, n], file: file, line: line)
        let mismatches = zip(got.data, want).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertEqual(
            mismatches, 0,
            "\(m) × \(k) · \(k) × \(n) (transA \(transA), transB \(transB)): \(mismatches) elements differ from the fused chain",
            file: file, line: line)
    }

    func testEveryElementIsOneFusedChainInAscendingK() {
        var seed: UInt64 = 1
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            for m in [1, 2, 3, 5, 15, 16, 19] {
                for k in [0, 1, 127, 128, 129, 300] {
                    for n in [1, 17, 64, 65, 150] {
                        check(m: m, k: k, n: n, transA: transA, transB: transB, seed: seed)
                        seed += 1
                    }
                }
            }
        }
    }

    func testThreadSplitDoesNotChangeAnyBit() {
        for threads in [1, 2, 3] {
            Parallel.withThreads(threads) {
                XCTAssertEqual(Parallel.elementwiseThreads, threads)
                for (transA, transB) in [(false, false), (true, false), (false, true)] {
                    // Above the size from which rows are split over threads.
                    check(m: 37, k: 300, n: 200, transA: transA, transB: transB, seed: 99)
                }
            }
        }
        XCTAssertEqual(Parallel.elementwiseThreads, 1, "outside a scope the count is 1 again")
    }
}
