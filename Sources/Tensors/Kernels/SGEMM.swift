// Float matrix multiply, the way BLAS libraries do it (Goto and van de Geijn, 2008; BLIS):
//
//   C (m, n) = op(A) (m, k) . op(B) (k, n)  [+ C],   row-major, op(X) = X or X^T (GEMMShape).
//
// The work is cut into blocks that fit the caches, and each block is copied ("packed") into the
// order in which the innermost loop reads it:
//   for each block of NC columns of C:
//     for each slice of KC along k:        pack op(B)[slice, columns] into micro-panels of NR columns
//       for each block of MC rows of C:    pack op(A)[rows, slice] into micro-panels of MR rows
//         for each micro-panel pair:       C[MR x NR] += A-panel . B-panel   (the micro-kernel)
// Transposed operands are handled by the packing routines, which read them in their stored order:
// no transpose is materialised. There are two micro-kernels, chosen when the package is compiled
// (Package.swift):
//
// - With FMA (a CPU with AVX2 and FMA, `WORKBOOK_FMA`): a 6 x 16 tile of C in twelve 8-lane
//   registers, updated by fused multiply-adds, c += a * b in one instruction. Twelve independent
//   accumulators keep both FMA pipes busy through the instruction's latency (the tile of BLIS's
//   Haswell kernel). Per step of k it loads two vectors of the B panel and broadcasts six A values.
// - Otherwise (any x86-64 or ARM CPU): a 6 x 8 tile in six SIMD8 values, with separate multiplies
//   and adds. Each A value is stored four times in its panel, so the kernel loads it
//   ready-broadcast: without AVX a broadcast is a shuffle that competes with the arithmetic.
//
// Threads: C is split into T blocks of whole micro-tiles (rows, or columns when there are few
// rows), one per thread, each thread packing what it needs. Every element of C is summed in the
// same order whatever T is, so the result does not depend on the thread count at all.

typealias Float8 = SIMD8<Float>
typealias Float4 = SIMD4<Float>

enum SGEMMBlocking {
    #if WORKBOOK_FMA
        static let mr = 6, nr = 16
        /// How many times packA stores each A value (the FMA kernel broadcasts it from one copy).
        static let copies = 1
    #else
        static let mr = 6, nr = 8
        static let copies = 4
    #endif
    static let kc = 256, mc = 72, nc = 1024
    /// The slice of k per pass: KC, or all of k when k is at most 320. A convolution's depth of
    /// 32 channels x 9 taps = 288 would otherwise be cut into 256 + 32, and the short second pass
    /// loads and stores every tile of C again for a tenth of the work; a 288 x 16 panel of B
    /// (18 KB) and a 288 x 6 panel of A still fit the L1 cache together.
    @inline(__always) static func slice(_ k: Int) -> Int { k <= 320 ? k : kc }
    /// Below this many multiply-adds a second thread costs more than it saves.
    static let minimumParallelWork = 1 << 19
}

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> Float8 {
    UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
}
@inline(__always) func store8(_ v: Float8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self)
}
/// Four stored copies of one A value, as eight lanes.
@inline(__always) private func broadcast(_ p: UnsafePointer<Float>) -> Float8 {
    let v = UnsafeRawPointer(p).loadUnaligned(as: Float4.self)
    return Float8(lowHalf: v, highHalf: v)
}

/// One operand as stored: `transposed` means op(X) = X^T, and `stride` is the distance between
/// consecutive stored rows. With `rowStarts`, stored row r starts at base + rowStarts[r] instead:
/// an operand gathered from a larger array without copying it.
struct MatrixOperand {
    let base: UnsafePointer<Float>
    let transposed: Bool
    let stride: Int
    var rowStarts: UnsafePointer<Int>? = nil

    /// The first element of stored row r.
    @inline(__always) func row(_ r: Int) -> UnsafePointer<Float> {
        if let rowStarts { return base + rowStarts[r] }
        return base + r * stride
    }

    /// op(X)[row, col].
    @inline(__always) func at(_ row: Int, _ col: Int) -> Float {
        transposed ? self.row(col)[row] : self.row(row)[col]
    }
}

// c (6 x 8, row stride ldc) = [c +] a-panel (kc x 6 x 4, each value four times) . b-panel (kc x 8).
@inline(__always)
private func microKernel(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    add: Bool
) {
    var c0 = Float8()
    var c1 = Float8()
    var c2 = Float8()
    var c3 = Float8()
    var c4 = Float8()
    var c5 = Float8()
    var pa = a
    var pb = b
    for _ in 0..<kc {
        let bv = load8(pb)
        c0 += broadcast(pa) * bv
        c1 += broadcast(pa + 4) * bv
        c2 += broadcast(pa + 8) * bv
        c3 += broadcast(pa + 12) * bv
        c4 += broadcast(pa + 16) * bv
        c5 += broadcast(pa + 20) * bv
        pa += 24
        pb += 8
    }
    if add {
        c0 += load8(c)
        c1 += load8(c + ldc)
        c2 += load8(c + 2 * ldc)
        c3 += load8(c + 3 * ldc)
        c4 += load8(c + 4 * ldc)
        c5 += load8(c + 5 * ldc)
    }
    store8(c0, c)
    store8(c1, c + ldc)
    store8(c2, c + 2 * ldc)
    store8(c3, c + 3 * ldc)
    store8(c4, c + 4 * ldc)
    store8(c5, c + 5 * ldc)
}

// The same for the last, partial row tile of C: only the first `rows` (at most 4) rows of the
// panel are computed, four or two at a time, into the 8-wide scratch tile `c`.
@inline(__always)
private func microKernelPartial(
    _ rows: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>
) {
    var c0 = Float8()
    var c1 = Float8()
    var c2 = Float8()
    var c3 = Float8()
    var pa = a
    var pb = b
    if rows > 2 {
        for _ in 0..<kc {
            let bv = load8(pb)
            c0 += broadcast(pa) * bv
            c1 += broadcast(pa + 4) * bv
            c2 += broadcast(pa + 8) * bv
            c3 += broadcast(pa + 12) * bv
            pa += 24
            pb += 8
        }
    } else {
        for _ in 0..<kc {
            let bv = load8(pb)
            c0 += broadcast(pa) * bv
            c1 += broadcast(pa + 4) * bv
            pa += 24
            pb += 8
        }
    }
    store8(c0, c)
    store8(c1, c + 8)
    store8(c2, c + 16)
    store8(c3, c + 24)
}

#if WORKBOOK_FMA
    // c (6 x 16, row stride ldc) = [c +] a-panel (kc x 6) . b-panel (kc x 16), with fused multiply-adds.
    @inline(__always)
    private func microKernelFMA(
        _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
        add: Bool
    ) {
        var c00 = Float8()
        var c01 = Float8()
        var c10 = Float8()
        var c11 = Float8()
        var c20 = Float8()
        var c21 = Float8()
        var c30 = Float8()
        var c31 = Float8()
        var c40 = Float8()
        var c41 = Float8()
        var c50 = Float8()
        var c51 = Float8()
        var pa = a
        var pb = b
        for _ in 0..<kc {
            let b0 = load8(pb)
            let b1 = load8(pb + 8)
            var av = Float8(repeating: pa[0])
            c00.addProduct(av, b0)
            c01.addProduct(av, b1)
            av = Float8(repeating: pa[1])
            c10.addProduct(av, b0)
            c11.addProduct(av, b1)
            av = Float8(repeating: pa[2])
            c20.addProduct(av, b0)
            c21.addProduct(av, b1)
            av = Float8(repeating: pa[3])
            c30.addProduct(av, b0)
            c31.addProduct(av, b1)
            av = Float8(repeating: pa[4])
            c40.addProduct(av, b0)
            c41.addProduct(av, b1)
            av = Float8(repeating: pa[5])
            c50.addProduct(av, b0)
            c51.addProduct(av, b1)
            pa += 6
            pb += 16
        }
        @inline(__always) func put(_ v0: Float8, _ v1: Float8, _ row: UnsafeMutablePointer<Float>) {
            store8(add ? v0 + load8(row) : v0, row)
            store8(add ? v1 + load8(row + 8) : v1, row + 8)
        }
        put(c00, c01, c)
        put(c10, c11, c + ldc)
        put(c20, c21, c + 2 * ldc)
        put(c30, c31, c + 3 * ldc)
        put(c40, c41, c + 4 * ldc)
        put(c50, c51, c + 5 * ldc)
    }
#endif

// Rows i0..<i0+mc and k-slice p0..<p0+kc of op(A), as micro-panels of MR rows: for each p, the MR
// values of column p, each written `copies` times. Rows past the end are zeros.
private func packA(
    _ a: MatrixOperand, rows i0: Int, _ mc: Int, depth p0: Int, _ kc: Int, into dst: UnsafeMutablePointer<Float>
) {
    let mr = SGEMMBlocking.mr
    var d = dst
    @inline(__always) func put(_ v: Float) {
        #if WORKBOOK_FMA
            d.pointee = v
            d += 1
        #else
            UnsafeMutableRawPointer(d).storeBytes(of: Float4(repeating: v), as: Float4.self)
            d += 4
        #endif
    }
    for i in stride(from: 0, to: mc, by: mr) {
        let rows = min(mr, mc - i)
        if rows == mr && a.transposed {
            // Stored (k, m): the six values of a step of k are next to each other.
            for p in 0..<kc {
                let src = a.row(p0 + p) + i0 + i
                put(src[0])
                put(src[1])
                put(src[2])
                put(src[3])
                put(src[4])
                put(src[5])
            }
        } else if rows == mr {
            // Stored (m, k): six rows read side by side, each one contiguous.
            let (r0, r1, r2) = (a.row(i0 + i) + p0, a.row(i0 + i + 1) + p0, a.row(i0 + i + 2) + p0)
            let (r3, r4, r5) = (a.row(i0 + i + 3) + p0, a.row(i0 + i + 4) + p0, a.row(i0 + i + 5) + p0)
            for p in 0..<kc {
                put(r0[p])
                put(r1[p])
                put(r2[p])
                put(r3[p])
                put(r4[p])
                put(r5[p])
            }
        } else {
            for p in 0..<kc {
                for r in 0..<mr { put(r < rows ? a.at(i0 + i + r, p0 + p) : 0) }
            }
        }
    }
}

/// The tile rows x columns (at most MR x NR) of C at `tile` (row stride ldc) = [C +] A panel (kc x MR)
/// . B panel (kc x NR), both packed and zero-padded. A partial tile is computed into the scratch
/// tile `edge` (MR x NR; without FMA only the rows that exist, when there are at most four), then
/// the part inside C is copied (or added) over: every element gets the same sum either way.
@inline(__always)
func microTile(
    _ kc: Int, _ panelA: UnsafePointer<Float>, _ panelB: UnsafePointer<Float>, _ tile: UnsafeMutablePointer<Float>,
    _ ldc: Int, rows mr: Int, columns nr: Int, add: Bool, edge: UnsafeMutablePointer<Float>
) {
    typealias B = SGEMMBlocking
    if mr == B.mr && nr == B.nr {
        #if WORKBOOK_FMA
            microKernelFMA(kc, panelA, panelB, tile, ldc, add: add)
        #else
            microKernel(kc, panelA, panelB, tile, ldc, add: add)
        #endif
        return
    }
    #if WORKBOOK_FMA
        microKernelFMA(kc, panelA, panelB, edge, B.nr, add: false)
    #else
        if mr <= 4 {
            microKernelPartial(mr, kc, panelA, panelB, edge)
        } else {
            microKernel(kc, panelA, panelB, edge, B.nr, add: false)
        }
    #endif
    for r in 0..<mr {
        for q in 0..<nr {
            tile[r * ldc + q] = add ? tile[r * ldc + q] + edge[r * B.nr + q] : edge[r * B.nr + q]
        }
    }
}

// k-slice p0..<p0+kc and columns j0..<j0+nc of op(B), as micro-panels of NR columns: for each p,
// NR consecutive values of row p. Columns past the end are zeros.
func packB(
    _ b: MatrixOperand, depth p0: Int, _ kc: Int, columns j0: Int, _ nc: Int, into dst: UnsafeMutablePointer<Float>
) {
    let nr = SGEMMBlocking.nr
    var d = dst
    for j in stride(from: 0, to: nc, by: nr) {
        let cols = min(nr, nc - j)
        if cols == nr && !b.transposed {
            for p in 0..<kc {
                let src = b.row(p0 + p) + j0 + j
                for q in stride(from: 0, to: nr, by: 8) { store8(load8(src + q), d + q) }
                d += nr
            }
        } else if cols == nr {
            // Stored (n, k): eight rows at a time read side by side, each one contiguous.
            for q in stride(from: 0, to: nr, by: 8) {
                let first = j0 + j + q
                let (r0, r1, r2, r3) = (
                    b.row(first) + p0, b.row(first + 1) + p0, b.row(first + 2) + p0, b.row(first + 3) + p0
                )
                let (r4, r5, r6, r7) = (
                    b.row(first + 4) + p0, b.row(first + 5) + p0, b.row(first + 6) + p0, b.row(first + 7) + p0
                )
                var e = d + q
                for p in 0..<kc {
                    store8(Float8(r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]), e)
                    e += nr
                }
            }
            d += kc * nr
        } else {
            for p in 0..<kc {
                for q in 0..<nr { d[q] = q < cols ? b.at(p0 + p, j0 + j + q) : 0 }
                d += nr
            }
        }
    }
}

// The block rows x columns of C, through all of k. B is packed here, or read from `panels` where
// it was packed once for several products.
private func sgemmBlock(
    _ k: Int, _ a: MatrixOperand, _ b: MatrixOperand?, panels: SGEMMPanels?, _ c: UnsafeMutablePointer<Float>, ldc: Int,
    accumulate: Bool, rows: Range<Int>, columns: Range<Int>
) {
    typealias B = SGEMMBlocking
    let depth = B.slice(k)
    let mcMax = min(B.mc, rows.count)
    let kcMax = min(depth, k)
    let ncMax = min(B.nc, columns.count)
    let packedA = UnsafeMutablePointer<Float>.allocate(capacity: (mcMax + B.mr) * kcMax * B.copies)
    let packedB = UnsafeMutablePointer<Float>.allocate(capacity: b == nil ? 0 : kcMax * (ncMax + B.nr))
    let edge = UnsafeMutablePointer<Float>.allocate(capacity: B.mr * B.nr)
    defer {
        packedA.deallocate()
        packedB.deallocate()
        edge.deallocate()
    }
    for jc in stride(from: columns.lowerBound, to: columns.upperBound, by: B.nc) {
        let nc = min(B.nc, columns.upperBound - jc)
        for pc in stride(from: 0, to: k, by: depth) {
            let kc = min(depth, k - pc)
            // The first slice of k overwrites C unless asked to accumulate; later ones add.
            let add = accumulate || pc > 0
            if let b { packB(b, depth: pc, kc, columns: jc, nc, into: packedB) }
            for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: B.mc) {
                let mc = min(B.mc, rows.upperBound - ic)
                packA(a, rows: ic, mc, depth: pc, kc, into: packedA)
                for jr in stride(from: 0, to: nc, by: B.nr) {
                    let nr = min(B.nr, nc - jr)
                    let panelB = panels?.panel(depth: pc, column: jc + jr) ?? UnsafePointer(packedB + jr * kc)
                    for ir in stride(from: 0, to: mc, by: B.mr) {
                        let mr = min(B.mr, mc - ir)
                        let panelA = packedA + ir * kc * B.copies
                        let tile = c + (ic + ir) * ldc + jc + jr
                        microTile(kc, panelA, panelB, tile, ldc, rows: mr, columns: nr, add: add, edge: edge)
                    }
                }
            }
        }
    }
}

/// op(B) (k, n) packed once into the micro-kernel's panels, for products that share B (an LSTM's
/// hidden weight, at every step of a sequence). The panel of k-slice `pc` and columns j..<j + NR
/// (j a multiple of NR) is at `panel(depth: pc, column: j)`: the layout `packB` writes for any
/// block of whole tiles, so a product reads exactly the numbers it would have packed itself.
final class SGEMMPanels {
    let k: Int, n: Int
    private let storage: UnsafeMutablePointer<Float>
    private let columnTiles: Int

    init(_ b: MatrixOperand, k: Int, n: Int) {
        typealias B = SGEMMBlocking
        (self.k, self.n) = (k, n)
        columnTiles = (n + B.nr - 1) / B.nr
        storage = .allocate(capacity: k * columnTiles * B.nr)
        let depth = B.slice(k)
        for pc in stride(from: 0, to: k, by: depth) {
            packB(b, depth: pc, min(depth, k - pc), columns: 0, n, into: storage + pc * columnTiles * B.nr)
        }
    }

    deinit { storage.deallocate() }

    @inline(__always) func panel(depth pc: Int, column j: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage + pc * columnTiles * SGEMMBlocking.nr + j * min(SGEMMBlocking.slice(k), k - pc))
    }
}

/// C = op(A) . op(B) [+ C] in Float on `threads` threads (see the top of this file).
func sgemm(
    _ s: GEMMShape, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    threads: Int = Parallelism.threadCount
) {
    let opB = MatrixOperand(base: b, transposed: s.transB, stride: s.transB ? s.k : s.n)
    sgemm(s, a, opB, panels: nil, c, threads: threads)
}

/// The same with op(B) already packed (`SGEMMPanels` of the same k and n): the same numbers,
/// bit for bit, without packing B again.
func sgemm(
    _ s: GEMMShape, _ a: UnsafePointer<Float>, panels: SGEMMPanels, _ c: UnsafeMutablePointer<Float>,
    threads: Int = Parallelism.threadCount
) {
    precondition(
        panels.k == s.k && panels.n == s.n, "packed B is \(panels.k)x\(panels.n), the product needs \(s.k)x\(s.n)")
    sgemm(s, a, nil, panels: panels, c, threads: threads)
}

private func sgemm(
    _ s: GEMMShape, _ a: UnsafePointer<Float>, _ opB: MatrixOperand?, panels: SGEMMPanels?,
    _ c: UnsafeMutablePointer<Float>,
    threads: Int
) {
    let opA = MatrixOperand(base: a, transposed: s.transA, stride: s.transA ? s.m : s.k)
    sgemm(s, opA, opB, panels: panels, c, threads: threads)
}

/// C (m, n) = op(A) . op(B) [+ C] for operands described by MatrixOperand (s.transA and s.transB
/// are taken from them); op(B) is `b`, or already packed in `panels`.
func sgemm(
    _ s: GEMMShape, _ opA: MatrixOperand, _ opB: MatrixOperand?, panels: SGEMMPanels?, _ c: UnsafeMutablePointer<Float>,
    threads: Int
) {
    precondition((opB == nil) != (panels == nil), "sgemm needs op(B) either as an operand or packed, not both")
    typealias B = SGEMMBlocking
    let (m, n, k) = (s.m, s.n, s.k)
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !s.accumulate { c.update(repeating: 0, count: m * n) }
        return
    }
    let rowTiles = (m + B.mr - 1) / B.mr
    let columnTiles = (n + B.nr - 1) / B.nr
    // Split rows when there are enough of them: each thread then packs only its own rows of A
    // (the larger packed operand); otherwise split columns.
    let splitRows = rowTiles >= 2 * threads && n <= 4 * m
    let tiles = splitRows ? rowTiles : columnTiles
    let parts = m * n * k < B.minimumParallelWork ? 1 : min(threads, tiles)
    parallelFor(parts) { t in
        let range = share(t, of: parts, tiles)
        if splitRows {
            let rows = (range.lowerBound * B.mr)..<min(range.upperBound * B.mr, m)
            sgemmBlock(k, opA, opB, panels: panels, c, ldc: n, accumulate: s.accumulate, rows: rows, columns: 0..<n)
        } else {
            let columns = (range.lowerBound * B.nr)..<min(range.upperBound * B.nr, n)
            sgemmBlock(k, opA, opB, panels: panels, c, ldc: n, accumulate: s.accumulate, rows: 0..<m, columns: columns)
        }
    }
}
