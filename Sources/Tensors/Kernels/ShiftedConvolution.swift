// The products of the stride-1 convolution (Convolution.swift, "shifted rows") with the output
// positions as the rows of the micro-tile and the channels as its columns.
//
// An image padded for a stride-1 kernel (PaddedImage) holds, for row k = (channel, tap) of the
// shifted-rows matrix S and output position (oy, ox), the value padded[starts[k] + oy*Wp + ox].
// Only the OH*OW kept positions q = oy*OW + ox are computed, at padded-width offset
// offset(q) = oy*Wp + ox:
//
//   forward and input gradient:  out (P, N) = S^T (P, K) . B (K, N)
//     P = OH*OW positions, K = C*T (forward: B = W'^T) or O*T (input gradient: B = Wflip^T),
//     N = the output channels. B is packed once per call into the micro-kernel's panels and read
//     by every image and every block of positions; the panel of six positions at one row k of S
//     is six consecutive floats of the padded plane (or two runs, where the six straddle the end
//     of an output row), so packing it is a copy. Six positions by sixteen channels per tile: the
//     32 channels of the workbook's layers are two whole tiles, and 784 positions waste 2 of 786
//     rows, where the channels-by-positions layout wasted 4 of 36 rows on the channels and 2 of 30
//     columns on the dropped border of the padded width.
//   weight gradient:  dW'^T (K, O) += S (K, P) . g^T (P, O), six rows of S by sixteen channels.
//
// Bit for bit the same sums as the plain GEMM of the padded-width layout (C^T of it, with the
// dropped columns left out): every element is summed over k in the same order with the same fused
// multiply-adds, in the same slices of k (SGEMMBlocking.slice), each slice summed from zero and
// added onto the ones before. In the weight gradient the slices are those of the padded-width
// positions, OH*Wp of them; the dropped columns, whose gradient is zero, add nothing to a sum, so
// leaving them out changes no bit. ShiftedConvolutionTests holds both formulations side by side.

extension PaddedImage {
    /// The OH*OW kept output positions.
    var keptPositions: Int { outHeight * outWidth }

    /// Where kept position q = oy*OW + ox lies in the padded-width layout: oy*Wp + ox.
    @inline(__always) func offset(_ q: Int) -> Int { (q / outWidth) * paddedWidth + q % outWidth }

    /// How many kept positions lie before padded-width index i.
    @inline(__always) func keptBefore(_ i: Int) -> Int { (i / paddedWidth) * outWidth + min(i % paddedWidth, outWidth) }
}

/// The packed blocks of one thread's position-major products.
struct ShiftedScratch {
    /// Rows (positions or rows of S) per packed block of A.
    static let blockRows = 72
    let packedA: UnsafeMutablePointer<Float>
    let packedB: UnsafeMutablePointer<Float>
    let edge: UnsafeMutablePointer<Float>

    /// Room for a block of A over a slice of k of at most `kc` and, when `columns` > 0, such a
    /// slice of B of that many columns.
    init(slice kc: Int, columns: Int = 0) {
        typealias B = SGEMMBlocking
        packedA = .allocate(capacity: (Self.blockRows + B.mr) * kc * B.copies)
        packedB = .allocate(capacity: columns == 0 ? 0 : kc * ((columns + B.nr - 1) / B.nr) * B.nr)
        edge = .allocate(capacity: B.mr * B.nr)
    }

    func deallocate() {
        packedA.deallocate()
        packedB.deallocate()
        edge.deallocate()
    }
}

/// Writes v `SGEMMBlocking.copies` times at d and moves d on.
@inline(__always) private func put(_ v: Float, _ d: inout UnsafeMutablePointer<Float>) {
    #if WORKBOOK_FMA
        d.pointee = v
        d += 1
    #else
        UnsafeMutableRawPointer(d).storeBytes(of: Float4(repeating: v), as: Float4.self)
        d += 4
    #endif
}

// Kept positions q0..<q0+mc (of `count`) and rows p0..<p0+kc of S, as micro-panels of MR
// positions: for each k, the MR values padded[starts[k] + offset(q)]. Positions past the end are
// zeros.
private func packPositions(
    _ image: PaddedImage, _ padded: UnsafePointer<Float>, _ starts: UnsafePointer<Int>, positions q0: Int, _ mc: Int,
    of count: Int, depth p0: Int, _ kc: Int, into dst: UnsafeMutablePointer<Float>
) {
    let mr = SGEMMBlocking.mr
    var d = dst
    for i in stride(from: q0, to: q0 + mc, by: mr) {
        let rows = min(mr, count - i)
        let first = image.offset(i)
        if rows == mr && image.offset(i + mr - 1) == first + mr - 1 {
            // One run of the padded plane.
            for p in 0..<kc {
                let src = padded + starts[p0 + p] + first
                for r in 0..<mr { put(src[r], &d) }
            }
        } else {
            var offsets = (0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &offsets) { raw in
                let o = raw.baseAddress!.assumingMemoryBound(to: Int.self)
                for r in 0..<mr { o[r] = r < rows ? image.offset(i + r) : -1 }
                for p in 0..<kc {
                    let src = padded + starts[p0 + p]
                    for r in 0..<mr { put(o[r] < 0 ? 0 : src[o[r]], &d) }
                }
            }
        }
    }
}

/// y (N, P) = (S^T (P, K) . B (K, N))^T + bias (+ 0 without one) for the kept positions of
/// `image` (see the top of this file); `weights` holds B packed, K = weights.k, N = weights.n;
/// `product` (P, N) is scratch for a K of several slices.
func shiftedPositionProduct(
    _ image: PaddedImage, _ padded: UnsafePointer<Float>, starts: UnsafePointer<Int>, _ weights: SGEMMPanels,
    bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, product out: UnsafeMutablePointer<Float>,
    scratch: ShiftedScratch
) {
    typealias B = SGEMMBlocking
    let (k, n, count) = (weights.k, weights.n, image.keptPositions)
    let depth = B.slice(k)
    #if WORKBOOK_FMA
        if k <= depth {
            // One slice: the micro-kernel broadcasts the six positions' values straight from the
            // padded planes (six row pointers plus starts[k]) and writes its tile transposed
            // into y, the bias added.
            let tiles = (n + B.nr - 1) / B.nr
            var biases = [Float8](repeating: Float8(), count: 2 * tiles)
            for j in 0..<n { biases[j / 8][j % 8] = bias?[j] ?? 0 }
            for i in stride(from: 0, to: count, by: B.mr) {
                let rows = min(B.mr, count - i)
                let at = SixPointers { r in padded + image.offset(i + min(r, rows - 1)) }
                for jt in 0..<tiles {
                    let jr = jt * B.nr
                    var tile = positionKernel(k, at, starts, weights.panel(depth: 0, column: jr))
                    tile.addToColumns(biases[2 * jt], biases[2 * jt + 1])
                    tile.storeTransposed(y + jr * count + i, count, rows: rows, columns: min(B.nr, n - jr))
                }
            }
            return
        }
    #endif
    for pc in stride(from: 0, to: k, by: depth) {
        let kc = min(depth, k - pc)
        let add = pc > 0
        for ic in stride(from: 0, to: count, by: ShiftedScratch.blockRows) {
            let mc = min(ShiftedScratch.blockRows, count - ic)
            packPositions(image, padded, starts, positions: ic, mc, of: count, depth: pc, kc, into: scratch.packedA)
            for jr in stride(from: 0, to: n, by: B.nr) {
                let panelB = weights.panel(depth: pc, column: jr)
                for ir in stride(from: 0, to: mc, by: B.mr) {
                    microTile(
                        kc, scratch.packedA + ir * kc * B.copies, panelB, out + (ic + ir) * n + jr, n,
                        rows: min(B.mr, mc - ir), columns: min(B.nr, n - jr), add: add, edge: scratch.edge)
                }
            }
        }
    }
    transposePositions(out, positions: count, channels: n, bias: bias, into: y)
}

/// tile (rows x columns, row stride ldc) = [tile +] edge (MR x NR).
@inline(__always) private func copyEdge(
    _ edge: UnsafePointer<Float>, into tile: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, columns: Int, add: Bool
) {
    let nr = SGEMMBlocking.nr
    for r in 0..<rows {
        for q in 0..<columns { tile[r * ldc + q] = add ? tile[r * ldc + q] + edge[r * nr + q] : edge[r * nr + q] }
    }
}

/// Six pointers, one per row of a micro-tile.
struct SixPointers {
    let p0: UnsafePointer<Float>, p1: UnsafePointer<Float>, p2: UnsafePointer<Float>
    let p3: UnsafePointer<Float>, p4: UnsafePointer<Float>, p5: UnsafePointer<Float>

    @inline(__always) init(_ f: (Int) -> UnsafePointer<Float>) {
        (p0, p1, p2, p3, p4, p5) = (f(0), f(1), f(2), f(3), f(4), f(5))
    }
}

#if WORKBOOK_FMA
    /// A 6 x 16 tile of sums in twelve 8-lane registers (microKernelFMA's).
    struct Tile6x16 {
        var c00 = Float8(), c01 = Float8(), c10 = Float8(), c11 = Float8(), c20 = Float8(), c21 = Float8()
        var c30 = Float8(), c31 = Float8(), c40 = Float8(), c41 = Float8(), c50 = Float8(), c51 = Float8()

        /// Row r += a[r] * b (16 values at b), one fused multiply-add per 8 lanes, for r = 0..<6 with
        /// a[r] = p_r[i].
        @inline(__always) mutating func step(_ at: SixPointers, _ i: Int, _ b: UnsafePointer<Float>) {
            let b0 = load8(b)
            let b1 = load8(b + 8)
            var av = Float8(repeating: at.p0[i])
            c00.addProduct(av, b0)
            c01.addProduct(av, b1)
            av = Float8(repeating: at.p1[i])
            c10.addProduct(av, b0)
            c11.addProduct(av, b1)
            av = Float8(repeating: at.p2[i])
            c20.addProduct(av, b0)
            c21.addProduct(av, b1)
            av = Float8(repeating: at.p3[i])
            c30.addProduct(av, b0)
            c31.addProduct(av, b1)
            av = Float8(repeating: at.p4[i])
            c40.addProduct(av, b0)
            c41.addProduct(av, b1)
            av = Float8(repeating: at.p5[i])
            c50.addProduct(av, b0)
            c51.addProduct(av, b1)
        }

        /// Every row += (b0, b1).
        @inline(__always) mutating func addToColumns(_ b0: Float8, _ b1: Float8) {
            (c00, c01, c10, c11, c20, c21) = (c00 + b0, c01 + b1, c10 + b0, c11 + b1, c20 + b0, c21 + b1)
            (c30, c31, c40, c41, c50, c51) = (c30 + b0, c31 + b1, c40 + b0, c41 + b1, c50 + b0, c51 + b1)
        }

        /// y[j * ldy + r] = row r, column j of the tile, for r < rows and j < columns.
        @inline(__always) func storeTransposed(_ y: UnsafeMutablePointer<Float>, _ ldy: Int, rows: Int, columns: Int) {
            // The twelve registers in memory: row r, column j at f[16 * r + j].
            var copy = self
            withUnsafeBytes(of: &copy) { raw in
                let f = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                if rows == 6 && columns == 16 {
                    for j in 0..<16 {
                        let column = y + j * ldy
                        UnsafeMutableRawPointer(column).storeBytes(
                            of: Float4(f[j], f[16 + j], f[32 + j], f[48 + j]), as: Float4.self)
                        UnsafeMutableRawPointer(column + 4).storeBytes(
                            of: SIMD2<Float>(f[64 + j], f[80 + j]), as: SIMD2<Float>.self)
                    }
                    return
                }
                for r in 0..<rows {
                    for j in 0..<columns { y[j * ldy + r] = f[16 * r + j] }
                }
            }
        }

        /// c (6 x 16, row stride ldc) = [c +] the tile.
        @inline(__always) func store(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, add: Bool) {
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
    }

    /// The sum over k < kc of a_k (6) * b_k (16), with fused multiply-adds in order of k, where
    /// a_k[r] = at.p_r[starts[k]] (six positions of row k of S) and b_k is row k of the packed
    /// panel: microKernelFMA with the A panel read in place.
    @inline(__always)
    private func positionKernel(_ kc: Int, _ at: SixPointers, _ starts: UnsafePointer<Int>, _ b: UnsafePointer<Float>)
        -> Tile6x16
    {
        var tile = Tile6x16()
        var p = 0
        while p + 2 <= kc {
            tile.step(at, starts[p], b + 16 * p)
            tile.step(at, starts[p + 1], b + 16 * p + 16)
            p += 2
        }
        if p < kc { tile.step(at, starts[p], b + 16 * p) }
        return tile
    }

    /// c (6 x 16, row stride ldc) = [c +] sum over the kept positions q0..<q0+kc, in order, of
    /// a_q (6) * b_q (16) with fused multiply-adds, where a_q[r] = rows.p_r[offset(q)] (row r of S
    /// at position q) and b_q is row q - q0 of the packed panel: microKernelFMA with the A panel
    /// read in place, one output row of positions (one contiguous run) at a time.
    @inline(__always)
    private func rowsKernel(
        _ image: PaddedImage, positions q0: Int, _ kc: Int, _ rows: SixPointers, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, add: Bool
    ) {
        var tile = Tile6x16()
        var pb = b
        let (ow, wp) = (image.outWidth, image.paddedWidth)
        var (oy, ox) = (q0 / ow, q0 % ow)
        var left = kc
        while left > 0 {
            let run = min(ow - ox, left)
            var q = oy * wp + ox
            let end = q + run
            while q + 2 <= end {
                tile.step(rows, q, pb)
                tile.step(rows, q + 1, pb + 16)
                q += 2
                pb += 32
            }
            if q < end {
                tile.step(rows, q, pb)
                pb += 16
            }
            left -= run
            (oy, ox) = (oy + 1, 0)
        }
        tile.store(c, ldc, add: add)
    }
#endif

/// y (N, P) = out (P, N)^T + bias (0 without one, as the padded-width crop added).
func transposePositions(
    _ out: UnsafePointer<Float>, positions: Int, channels: Int, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>
) {
    let block = 64
    for q0 in stride(from: 0, to: positions, by: block) {
        let q1 = min(q0 + block, positions)
        for o in 0..<channels {
            let b = bias?[o] ?? 0
            var (src, dst) = (out + q0 * channels + o, y + o * positions + q0)
            for _ in q0..<q1 {
                dst.pointee = src.pointee + b
                (src, dst) = (src + channels, dst + 1)
            }
        }
    }
}

// Rows r0..<r0+mc (of `count`) of S over kept positions q0..<q0+kc, as micro-panels of MR rows: for
// each position, the MR values padded[starts[r] + offset(q)]. Rows past the end are zeros.
private func packShiftedRows(
    _ image: PaddedImage, _ padded: UnsafePointer<Float>, _ starts: UnsafePointer<Int>, rows r0: Int, _ mc: Int,
    of count: Int, positions q0: Int, _ kc: Int, into dst: UnsafeMutablePointer<Float>
) {
    let mr = SGEMMBlocking.mr
    let (ow, wp) = (image.outWidth, image.paddedWidth)
    var d = dst
    for i in stride(from: r0, to: r0 + mc, by: mr) {
        let rows = min(mr, count - i)
        var (oy, ox) = (q0 / ow, q0 % ow)
        if rows == mr {
            let (s0, s1, s2) = (padded + starts[i], padded + starts[i + 1], padded + starts[i + 2])
            let (s3, s4, s5) = (padded + starts[i + 3], padded + starts[i + 4], padded + starts[i + 5])
            var p = 0
            while p < kc {
                // The rest of output row oy, or of the slice.
                let run = min(ow - ox, kc - p)
                let at = oy * wp + ox
                for q in at..<(at + run) {
                    put(s0[q], &d)
                    put(s1[q], &d)
                    put(s2[q], &d)
                    put(s3[q], &d)
                    put(s4[q], &d)
                    put(s5[q], &d)
                }
                p += run
                (oy, ox) = (oy + 1, 0)
            }
        } else {
            for _ in 0..<kc {
                let at = oy * wp + ox
                for r in 0..<mr { put(r < rows ? padded[starts[i + r] + at] : 0, &d) }
                ox += 1
                if ox == ow { (oy, ox) = (oy + 1, 0) }
            }
        }
    }
}

/// partial (K, O) += S (K, P) . g^T (P, O) over the kept positions of `image`, K = starts' count,
/// g (O, P) the output gradient of one image, in the slices of the padded-width positions (see the
/// top of this file); `scratch` must have room for O columns of B.
func shiftedWeightProduct(
    _ image: PaddedImage, _ padded: UnsafePointer<Float>, starts: UnsafeBufferPointer<Int>, _ g: UnsafePointer<Float>,
    outChannels n: Int, _ partial: UnsafeMutablePointer<Float>, scratch: ShiftedScratch
) {
    typealias B = SGEMMBlocking
    let (k, count, wide) = (starts.count, image.keptPositions, image.positions)
    let gradient = MatrixOperand(base: g, transposed: true, stride: count)
    let slice = B.slice(wide)
    for lo in stride(from: 0, to: wide, by: slice) {
        let (q0, q1) = (image.keptBefore(lo), image.keptBefore(min(lo + slice, wide)))
        let kc = q1 - q0
        if kc == 0 { continue }
        packB(gradient, depth: q0, kc, columns: 0, n, into: scratch.packedB)
        #if WORKBOOK_FMA
            // No packing of S: the micro-kernel reads six of its rows in place.
            for jr in stride(from: 0, to: n, by: B.nr) {
                let panelB = UnsafePointer(scratch.packedB + jr * kc)
                let columns = min(B.nr, n - jr)
                for i in stride(from: 0, to: k, by: B.mr) {
                    let rows = min(B.mr, k - i)
                    let at = SixPointers { r in padded + starts[i + min(r, rows - 1)] }
                    let tile = partial + i * n + jr
                    if rows == B.mr && columns == B.nr {
                        rowsKernel(image, positions: q0, kc, at, panelB, tile, n, add: true)
                    } else {
                        rowsKernel(image, positions: q0, kc, at, panelB, scratch.edge, B.nr, add: false)
                        copyEdge(scratch.edge, into: tile, n, rows: rows, columns: columns, add: true)
                    }
                }
            }
        #else
            for ic in stride(from: 0, to: k, by: ShiftedScratch.blockRows) {
                let mc = min(ShiftedScratch.blockRows, k - ic)
                packShiftedRows(
                    image, padded, starts.baseAddress!, rows: ic, mc, of: k, positions: q0, kc, into: scratch.packedA)
                for jr in stride(from: 0, to: n, by: B.nr) {
                    for ir in stride(from: 0, to: mc, by: B.mr) {
                        microTile(
                            kc, scratch.packedA + ir * kc * B.copies, scratch.packedB + jr * kc,
                            partial + (ic + ir) * n + jr, n, rows: min(B.mr, mc - ir), columns: min(B.nr, n - jr),
                            add: true, edge: scratch.edge)
                    }
                }
            }
        #endif
    }
}
