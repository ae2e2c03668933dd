// Matrix products whose every output row depends on its own input row alone, bit for bit.
//
// OpenBLAS picks its micro-kernels by the shape of the call: measured here (OpenBLAS 0.3.21), row 0 of
// A·B with K = 384, N = 512 differs in the last bits in 455 of 512 columns between M = 1 and M = 16, and
// in 25 between M = 1 and M = 100. Inference fuses whichever rows a call needs — the two entities of
// one triple, the distinct entities of a 10 000-triple call, a 4096-row block of a relation table, a
// thread's share of it — so through sgemm the score of one triple would depend on what else was in
// the call, on which tables happened to be cached, and on the thread count. Under `withRowwise` every
// product C = A·B instead sums each element in one fixed order (k ascending, one fused multiply-add per
// term, from +0), whatever the number of rows, the row's position and the thread split.

import Glibc

public enum RowwiseProducts {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// True inside `withRowwise` on this thread.
    public static var isActive: Bool { pthread_getspecific(key) != nil }

    /// Runs `body` with every `BLAS.matmul` on this thread computed row by row (inference).
    public static func withRowwise<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }

    /// C[m, n] = A[m, k]·B[k, n], row-major, C overwritten. Rows are split over the threads of
    /// `Parallel.elementwiseThreads`; the split cannot change a result.
    static func product(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                        c: UnsafeMutablePointer<Float>, ldc: Int) {
        let T = Parallel.elementwiseThreads
        if T > 1 && m * n * k >= 1 << 21 && m >= 2 * T {
            Parallel.forEachChunk(T) { chunk in
                let r = Parallel.range(of: chunk, chunks: T, count: m)
                if !r.isEmpty { rows(r, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) }
            }
        } else {
            rows(0..<m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
        }
    }

    /// Tiles of 4 rows × 64 columns keep 16 accumulators in registers while B's rows stream past; the
    /// leftover rows (a pair, then one) and columns take narrower loops with the same per-element arithmetic.
    static func rows(_ range: Range<Int>, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
        @inline(__always) func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self) }
        let vectorCols = n / 16 * 16
        var i = range.lowerBound
        while i + 4 <= range.upperBound {
            let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
            var j = 0
            while j + 64 <= vectorCols {
                var c00 = Lanes(), c01 = Lanes(), c02 = Lanes(), c03 = Lanes()
                var c10 = Lanes(), c11 = Lanes(), c12 = Lanes(), c13 = Lanes()
                var c20 = Lanes(), c21 = Lanes(), c22 = Lanes(), c23 = Lanes()
                var c30 = Lanes(), c31 = Lanes(), c32 = Lanes(), c33 = Lanes()
                for p in 0..<k {
                    let bp = b + p * ldb + j
                    let b0 = load(bp), b1 = load(bp + 16), b2 = load(bp + 32), b3 = load(bp + 48)
                    let x0 = Lanes(repeating: a0[p]), x1 = Lanes(repeating: a1[p])
                    let x2 = Lanes(repeating: a2[p]), x3 = Lanes(repeating: a3[p])
                    c00.addProduct(x0, b0); c01.addProduct(x0, b1); c02.addProduct(x0, b2); c03.addProduct(x0, b3)
                    c10.addProduct(x1, b0); c11.addProduct(x1, b1); c12.addProduct(x1, b2); c13.addProduct(x1, b3)
                    c20.addProduct(x2, b0); c21.addProduct(x2, b1); c22.addProduct(x2, b2); c23.addProduct(x2, b3)
                    c30.addProduct(x3, b0); c31.addProduct(x3, b1); c32.addProduct(x3, b2); c33.addProduct(x3, b3)
                }
                let r0 = c + i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc
                store(c00, r0); store(c01, r0 + 16); store(c02, r0 + 32); store(c03, r0 + 48)
                store(c10, r1); store(c11, r1 + 16); store(c12, r1 + 32); store(c13, r1 + 48)
                store(c20, r2); store(c21, r2 + 16); store(c22, r2 + 32); store(c23, r2 + 48)
                store(c30, r3); store(c31, r3 + 16); store(c32, r3 + 32); store(c33, r3 + 48)
                j += 64
            }
            for r in i..<(i + 4) { tail(row: r, from: j, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) }
            i += 4
        }
        // Two leftover rows share each load of B (a one-triple call fuses exactly two rows).
        if i + 2 <= range.upperBound {
            let a0 = a + i * lda, a1 = a0 + lda
            var j = 0
            while j + 64 <= vectorCols {
                var c00 = Lanes(), c01 = Lanes(), c02 = Lanes(), c03 = Lanes()
                var c10 = Lanes(), c11 = Lanes(), c12 = Lanes(), c13 = Lanes()
                for p in 0..<k {
                    let bp = b + p * ldb + j
                    let b0 = load(bp), b1 = load(bp + 16), b2 = load(bp + 32), b3 = load(bp + 48)
                    let x0 = Lanes(repeating: a0[p]), x1 = Lanes(repeating: a1[p])
                    c00.addProduct(x0, b0); c01.addProduct(x0, b1); c02.addProduct(x0, b2); c03.addProduct(x0, b3)
                    c10.addProduct(x1, b0); c11.addProduct(x1, b1); c12.addProduct(x1, b2); c13.addProduct(x1, b3)
                }
                let r0 = c + i * ldc + j, r1 = r0 + ldc
                store(c00, r0); store(c01, r0 + 16); store(c02, r0 + 32); store(c03, r0 + 48)
                store(c10, r1); store(c11, r1 + 16); store(c12, r1 + 32); store(c13, r1 + 48)
                j += 64
            }
            for r in i..<(i + 2) { tail(row: r, from: j, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) }
            i += 2
        }
        while i < range.upperBound {
            tail(row: i, from: 0, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
            i += 1
        }
    }

    /// Columns from `from` of one row: 16-wide vectors, then single columns (a lane of a vector fused
    /// multiply-add and a scalar one round alike, so the width of the loop never shows in the result).
    @inline(__always)
    static func tail(row i: Int, from j0: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        let ar = a + i * lda, cr = c + i * ldc
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
        var j = j0
        // Four independent accumulators: one would wait on its own fused multiply-add every step.
        while j + 64 <= n {
            var c0 = Lanes(), c1 = Lanes(), c2 = Lanes(), c3 = Lanes()
            for p in 0..<k {
                let bp = b + p * ldb + j, x = Lanes(repeating: ar[p])
                c0.addProduct(x, load(bp)); c1.addProduct(x, load(bp + 16)); c2.addProduct(x, load(bp + 32)); c3.addProduct(x, load(bp + 48))
            }
            let out = UnsafeMutableRawPointer(cr + j)
            out.storeBytes(of: c0, as: Lanes.self); out.storeBytes(of: c1, toByteOffset: 64, as: Lanes.self)
            out.storeBytes(of: c2, toByteOffset: 128, as: Lanes.self); out.storeBytes(of: c3, toByteOffset: 192, as: Lanes.self)
            j += 64
        }
        while j + 16 <= n {
            var acc = Lanes()
            for p in 0..<k { acc.addProduct(Lanes(repeating: ar[p]), UnsafeRawPointer(b + p * ldb + j).loadUnaligned(as: Lanes.self)) }
            UnsafeMutableRawPointer(cr + j).storeBytes(of: acc, as: Lanes.self)
            j += 16
        }
        while j < n {
            var acc: Float = 0
            for p in 0..<k { acc.addProduct(ar[p], b[p * ldb + j]) }
            cr[j] = acc
            j += 1
        }
    }
}
