// Matrix products whose every output row depends on its own input row alone, bit for bit.
//
// OpenBLAS picks its micro-kernels by the shape of the call: measured here (OpenBLAS 0.3.21), row 0 of
// A·B with K = 384, N = 512 differs in the last bits in 455 of 512 columns between M = 1 and M = 16, and
// in 25 between M = 1 and M = 100. Inference fuses whichever rows a call needs — the two entities of
// one triple, the distinct entities of a 10 000-triple call, a 4096-row block of a relation table, a
// thread's share of it — so through sgemm the score of one triple would depend on what else was in
// the call, on which tables happened to be cached, and on the thread count. Under `withRowwise` every
// product C = A·B instead sums each element in one fixed order (k ascending, one fused multiply-add per
// term, from +0), whatever the number of rows, the row's position and the thread split. Packed into
// L1-resident panels it also outruns sgemm here, so training uses it for its wide products too
// (BLAS.matmul).

import Glibc

public enum RowwiseProducts {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// True inside `withRowwise` on this thread.
    public static var isActive: Bool { pthread_getspecific(key) != nil }

    private static let sgemmKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// True inside `withSgemm` on this thread: training products go to OpenBLAS whatever their width.
    public static var prefersSgemm: Bool { pthread_getspecific(sgemmKey) != nil }

    /// Runs `body` with this thread's training products on sgemm (a kind whose products are few and large,
    /// MoMoK's [queries, entities] and [entities, width²] ones, where sgemm measured faster).
    public static func withSgemm<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(sgemmKey)
        pthread_setspecific(sgemmKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(sgemmKey, previous) }
        return try body()
    }

    /// Runs `body` with every `BLAS.matmul` on this thread computed row by row (inference).
    public static func withRowwise<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }

    /// C[m, n] = op(A)·op(B), row-major, C overwritten; `a` is [m, k] (or [k, m] if transA), `b` is
    /// [k, n] (or [n, k] if transB). Rows are split over the threads of `Parallel.elementwiseThreads`;
    /// the split cannot change a result.
    static func product(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let T = Parallel.elementwiseThreads
        let op = Operand(a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB)
        if T > 1 && m * n * k >= 1 << 21 && m >= 2 * T {
            Parallel.forEachChunk(T) { chunk in
                let r = Parallel.range(of: chunk, chunks: T, count: m)
                if !r.isEmpty { rows(r, n: n, k: k, op, c: c, ldc: ldc) }
            }
        } else {
            rows(0..<m, n: n, k: k, op, c: c, ldc: ldc)
        }
    }

    /// Where element (i, p) of op(A) and (p, j) of op(B) live.
    struct Operand {
        let a: UnsafePointer<Float>, lda: Int, transA: Bool
        let b: UnsafePointer<Float>, ldb: Int, transB: Bool
        /// Row i of op(A) from column p; its elements are `aStep` apart, consecutive rows `aNext` apart.
        func aRow(_ i: Int, _ p: Int) -> UnsafePointer<Float> { transA ? a + p * lda + i : a + i * lda + p }
        var aStep: Int { transA ? lda : 1 }
        var aNext: Int { transA ? 1 : lda }
    }

    /// Outside inference, BLAS.matmul takes this kernel for products at least this wide (narrower ones
    /// would waste most of a 64-column strip) and OpenBLAS sgemm for the rest.
    static let trainingMinColumns = 48

    /// Rows from this many on, B is packed into column strips (below); fewer rows (one triple's two)
    /// could not repay the copy of B. A transposed B is always packed (its columns are not contiguous).
    static let packingRows = 16
    /// Rows of B per packed block: 128 × 64 floats = 32 KiB, resident in a 48 KiB L1 while every row
    /// tile of the call streams past it.
    static let packedDepth = 128

    /// Strips of 64 columns, each in blocks of `packedDepth` rows of op(B) copied contiguous (the rows of
    /// B are ldb apart: at ldb = 512 a strip's rows alias a few L1 sets and evict each other; a
    /// transposed B is gathered), zero beyond the last column; then tiles of 4 rows × 64 columns keeping
    /// 16 accumulators in registers, a pair of rows, single rows. Between blocks an accumulator goes
    /// through C unchanged, and a partial strip computes in scratch and copies out only its columns, so
    /// every element is one chain of fused multiply-adds in ascending k from +0. Unpacked (few rows,
    /// B not transposed), full strips read B in place and the columns past them take `tail`.
    static func rows(_ range: Range<Int>, n: Int, k: Int, _ op: Operand, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let packing = (op.transB || range.count >= packingRows) && k > 0
        let strips = packing ? (n + 63) / 64 : n / 64
        let depth = packing ? packedDepth : max(k, 1)
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: packing ? depth * 64 : 0)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * 64)
        defer { panel.deallocate(); scratch.deallocate() }
        let aStep = op.aStep, aNext = op.aNext
        for s in 0..<strips {
            let j = s * 64, width = min(64, n - j)
            var p0 = 0
            repeat {
                let kc = min(depth, k - p0)
                let bb: UnsafePointer<Float>, bs: Int
                if packing {
                    pack(op, rows: p0..<(p0 + kc), columns: j..<(j + width), into: panel)
                    bb = UnsafePointer(panel); bs = 64
                } else {
                    bb = op.b + p0 * op.ldb + j; bs = op.ldb
                }
                let resume = p0 > 0
                // A tile of `count` rows at row i: straight into C for a full strip, else through scratch.
                func tile(_ i: Int, _ count: Int) {
                    let target = width == 64 ? c + i * ldc + j : scratch, stride = width == 64 ? ldc : 64
                    if width < 64 && resume {
                        for r in 0..<count { (scratch + r * 64).update(from: c + (i + r) * ldc + j, count: width) }
                    }
                    let ap = op.aRow(i, p0)
                    switch count {
                    case 4: tile4(ap, aNext, aStep, bb, bs, kc, target, stride, resume)
                    case 2: tile2(ap, aNext, aStep, bb, bs, kc, target, stride, resume)
                    default: tile1(ap, aStep, bb, bs, kc, target, resume)
                    }
                    if width < 64 {
                        for r in 0..<count { (c + (i + r) * ldc + j).update(from: scratch + r * 64, count: width) }
                    }
                }
                var i = range.lowerBound
                while i + 4 <= range.upperBound { tile(i, 4); i += 4 }
                if i + 2 <= range.upperBound { tile(i, 2); i += 2 }
                while i < range.upperBound { tile(i, 1); i += 1 }
                p0 += kc
            } while p0 < k
        }
        if !packing {
            for r in range {
                tail(
                    row: r, from: strips * 64, n: n, k: k, a: op.aRow(r, 0), aStep: aStep, b: op.b, ldb: op.ldb, c: c,
                    ldc: ldc)
            }
        }
    }

    /// Rows `rows` and columns `columns` of op(B) as a contiguous [rows, 64] panel, zero past the columns.
    @inline(__always)
    static func pack(_ op: Operand, rows: Range<Int>, columns: Range<Int>, into panel: UnsafeMutablePointer<Float>) {
        let w = columns.count
        if op.transB {
            // op(B)(p, j) = B[j, p]: walk each column of the panel along a row of B.
            for (jj, j) in columns.enumerated() {
                let src = op.b + j * op.ldb + rows.lowerBound
                for p in 0..<rows.count { panel[p * 64 + jj] = src[p] }
            }
        } else {
            for p in 0..<rows.count {
                (panel + p * 64).update(from: op.b + (rows.lowerBound + p) * op.ldb + columns.lowerBound, count: w)
            }
        }
        if w < 64 { for p in 0..<rows.count { (panel + p * 64 + w).update(repeating: 0, count: 64 - w) } }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }
    @inline(__always) static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    }
    /// The accumulator of a block: from +0 on the first, else the partial sum the previous block left in C.
    @inline(__always) static func start(_ p: UnsafeMutablePointer<Float>, _ resume: Bool) -> Lanes {
        resume ? load(UnsafePointer(p)) : Lanes()
    }

    /// C[4 rows, 64 columns] (+)= A[4 rows, kc] · B[kc, 64]; 8 loads per 16 fused multiply-adds.
    @inline(__always)
    static func tile4(
        _ a: UnsafePointer<Float>, _ lda: Int, _ step: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ kc: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ resume: Bool
    ) {
        let a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
        let r0 = c, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc
        var c00 = start(r0, resume), c01 = start(r0 + 16, resume), c02 = start(r0 + 32, resume),
            c03 = start(r0 + 48, resume)
        var c10 = start(r1, resume), c11 = start(r1 + 16, resume), c12 = start(r1 + 32, resume),
            c13 = start(r1 + 48, resume)
        var c20 = start(r2, resume), c21 = start(r2 + 16, resume), c22 = start(r2 + 32, resume),
            c23 = start(r2 + 48, resume)
        var c30 = start(r3, resume), c31 = start(r3 + 16, resume), c32 = start(r3 + 32, resume),
            c33 = start(r3 + 48, resume)
        for p in 0..<kc {
            let bp = b + p * ldb
            let b0 = load(bp), b1 = load(bp + 16), b2 = load(bp + 32), b3 = load(bp + 48)
            let x0 = Lanes(repeating: a0[p * step]), x1 = Lanes(repeating: a1[p * step])
            let x2 = Lanes(repeating: a2[p * step]), x3 = Lanes(repeating: a3[p * step])
            c00.addProduct(x0, b0); c01.addProduct(x0, b1); c02.addProduct(x0, b2); c03.addProduct(x0, b3)
            c10.addProduct(x1, b0); c11.addProduct(x1, b1); c12.addProduct(x1, b2); c13.addProduct(x1, b3)
            c20.addProduct(x2, b0); c21.addProduct(x2, b1); c22.addProduct(x2, b2); c23.addProduct(x2, b3)
            c30.addProduct(x3, b0); c31.addProduct(x3, b1); c32.addProduct(x3, b2); c33.addProduct(x3, b3)
        }
        store(c00, r0); store(c01, r0 + 16); store(c02, r0 + 32); store(c03, r0 + 48)
        store(c10, r1); store(c11, r1 + 16); store(c12, r1 + 32); store(c13, r1 + 48)
        store(c20, r2); store(c21, r2 + 16); store(c22, r2 + 32); store(c23, r2 + 48)
        store(c30, r3); store(c31, r3 + 16); store(c32, r3 + 32); store(c33, r3 + 48)
    }

    /// Two rows share each load of B (a one-triple call fuses exactly two rows).
    @inline(__always)
    static func tile2(
        _ a: UnsafePointer<Float>, _ lda: Int, _ step: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ kc: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ resume: Bool
    ) {
        let a0 = a, a1 = a0 + lda, r0 = c, r1 = r0 + ldc
        var c00 = start(r0, resume), c01 = start(r0 + 16, resume), c02 = start(r0 + 32, resume),
            c03 = start(r0 + 48, resume)
        var c10 = start(r1, resume), c11 = start(r1 + 16, resume), c12 = start(r1 + 32, resume),
            c13 = start(r1 + 48, resume)
        for p in 0..<kc {
            let bp = b + p * ldb
            let b0 = load(bp), b1 = load(bp + 16), b2 = load(bp + 32), b3 = load(bp + 48)
            let x0 = Lanes(repeating: a0[p * step]), x1 = Lanes(repeating: a1[p * step])
            c00.addProduct(x0, b0); c01.addProduct(x0, b1); c02.addProduct(x0, b2); c03.addProduct(x0, b3)
            c10.addProduct(x1, b0); c11.addProduct(x1, b1); c12.addProduct(x1, b2); c13.addProduct(x1, b3)
        }
        store(c00, r0); store(c01, r0 + 16); store(c02, r0 + 32); store(c03, r0 + 48)
        store(c10, r1); store(c11, r1 + 16); store(c12, r1 + 32); store(c13, r1 + 48)
    }

    /// One row; four independent accumulators (one would wait on its own fused multiply-add every step).
    @inline(__always)
    static func tile1(
        _ a: UnsafePointer<Float>, _ step: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ kc: Int,
        _ c: UnsafeMutablePointer<Float>, _ resume: Bool
    ) {
        var c0 = start(c, resume), c1 = start(c + 16, resume), c2 = start(c + 32, resume), c3 = start(c + 48, resume)
        for p in 0..<kc {
            let bp = b + p * ldb, x = Lanes(repeating: a[p * step])
            c0.addProduct(x, load(bp)); c1.addProduct(x, load(bp + 16)); c2.addProduct(x, load(bp + 32));
            c3.addProduct(x, load(bp + 48))
        }
        store(c0, c); store(c1, c + 16); store(c2, c + 32); store(c3, c + 48)
    }

    /// Columns from `from` of one row: 16-wide vectors, then single columns (a lane of a vector fused
    /// multiply-add and a scalar one round alike, so the width of the loop never shows in the result).
    @inline(__always)
    static func tail(
        row i: Int, from j0: Int, n: Int, k: Int, a ar: UnsafePointer<Float>, aStep: Int, b: UnsafePointer<Float>,
        ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let cr = c + i * ldc
        var j = j0
        while j + 16 <= n {
            var acc = Lanes()
            for p in 0..<k { acc.addProduct(Lanes(repeating: ar[p * aStep]), load(b + p * ldb + j)) }
            store(acc, cr + j)
            j += 16
        }
        while j < n {
            var acc: Float = 0
            for p in 0..<k { acc.addProduct(ar[p * aStep], b[p * ldb + j]) }
            cr[j] = acc
            j += 1
        }
    }
}
