import Testing

@testable import Tensors

/// The position-major products of the stride-1 convolution (ShiftedConvolution.swift) against the
/// plain GEMM of the padded-width layout they replace: every output channel times every padded-width
/// position, with the shifted-rows matrix written out in full, multiplied by `sgemm` and cropped.
/// The two must agree bit for bit (same sums in the same order), so that a model trained with either
/// gives the same numbers; the closeness to the direct convolution is ConvKernelTests' job.
@Suite("Shifted-rows convolution, position-major")
struct ShiftedConvolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var batch: Int, channels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, padding: Int
        /// Active taps (raster offsets ki * K + kj); nil for all of them.
        var taps: [Int]?
        var testDescription: String {
            "N\(batch) C\(channels)->\(outChannels) \(height)x\(width) k\(kernel) p\(padding) taps \(taps?.count ?? kernel * kernel)"
        }

        var problem: ConvProblem {
            let g = ConvGeometry(
                channels: channels, height: height, width: width, kernelHeight: kernel, kernelWidth: kernel, stride: 1,
                padding: padding)
            return ConvProblem(
                geometry: g, taps: taps.map { ConvTaps(offsets: $0) } ?? .all(g), batch: batch,
                outChannels: outChannels)
        }
    }

    static let cases: [Case] = [
        // The workbook's layer, 784 positions: 130 whole tiles of six and one of four.
        Case(batch: 3, channels: 32, outChannels: 32, height: 28, width: 28, kernel: 3, padding: 1),
        // Mask B (5 of 9 taps); mask A of a 7x7 kernel on one input channel (24 of 49 taps).
        Case(
            batch: 2, channels: 32, outChannels: 32, height: 12, width: 12, kernel: 3, padding: 1,
            taps: [0, 1, 2, 3, 4]),
        Case(batch: 2, channels: 1, outChannels: 32, height: 13, width: 13, kernel: 7, padding: 3, taps: Array(0..<24)),
        // Odd channel counts, a partial tile of channels, an image that is not square (77 positions).
        Case(batch: 3, channels: 9, outChannels: 17, height: 7, width: 11, kernel: 3, padding: 1),
        // Depth 40 * 9 = 360 > 320: the forward pass sums two slices of k (256 + 104).
        Case(batch: 2, channels: 40, outChannels: 9, height: 6, width: 5, kernel: 3, padding: 1),
        // 18 * 19 = 342 padded-width positions > 320: the weight gradient sums two slices; no padding.
        Case(batch: 3, channels: 11, outChannels: 8, height: 20, width: 19, kernel: 3, padding: 0),
        // Eight output channels and 5x5 kernels, 25 positions; a dx depth of 33 * 25 = 825 (four slices).
        Case(batch: 2, channels: 8, outChannels: 33, height: 5, width: 5, kernel: 5, padding: 2),
    ]

    static func operands(_ c: Case) -> (x: [Float], w: [Float], bias: [Float], g: [Float]) {
        let p = c.problem
        var rng = Random(seed: UInt64(c.channels * 100 + c.outChannels * 7 + c.height))
        func uniform(_ n: Int) -> [Float] { Tensor<Float>.uniform([n], low: -1, high: 1, using: &rng).scalars }
        return (
            uniform(p.batch * p.inSize), uniform(p.outChannels * p.depth), uniform(p.outChannels),
            uniform(p.batch * p.outSize)
        )
    }

    /// The shifted-rows matrix of one padded image written out: (rows, positions) with row k the
    /// run of `positions` values from padded[starts[k]] on.
    static func shiftedMatrix(_ padded: [Float], starts: [Int], positions: Int) -> [Float] {
        starts.flatMap { s in padded[s..<(s + positions)] }
    }

    static func padded(_ image: PaddedImage, _ src: ArraySlice<Float>) -> [Float] {
        var dst = [Float](repeating: 0, count: image.count)
        let (h, w) = (image.height, image.width)
        for c in 0..<image.channels {
            for y in 0..<h {
                for x in 0..<w {
                    dst[c * image.planeStride + (y + image.padHeight) * image.paddedWidth + image.padWidth + x] =
                        src[src.startIndex + (c * h + y) * w + x]
                }
            }
        }
        return dst
    }

    /// product (channels, OH*Wp) = weights (channels, K) . shifted (K, OH*Wp), then the kept columns
    /// plus the bias (plus 0 without one): the padded-width formulation of one image.
    static func paddedWidthProduct(
        _ image: PaddedImage, weights: [Float], channels: Int, shifted: [Float], depth: Int, bias: [Float]?
    ) -> [Float] {
        var product = [Float](repeating: 0, count: channels * image.positions)
        sgemm(GEMMShape(m: channels, n: image.positions, k: depth), weights, shifted, &product, threads: 1)
        var out: [Float] = []
        for c in 0..<channels {
            for oy in 0..<image.outHeight {
                for ox in 0..<image.outWidth {
                    out.append(product[c * image.positions + oy * image.paddedWidth + ox] + (bias?[c] ?? 0))
                }
            }
        }
        return out
    }

    /// y, dx and dW' by the padded-width formulation; `reversed` sums k (the rows of the shifted
    /// matrix) backwards, the negative control.
    static func paddedWidth(_ c: Case, threads: Int, reversed: Bool = false) -> (y: [Float], dx: [Float], dw: [Float]) {
        let p = c.problem
        let (x, w, bias, g) = operands(c)
        let (o, ch, taps) = (p.outChannels, p.geometry.channels, p.taps.count)
        func order(_ m: [Float], rows: Int, columns: Int, flipRows: Bool) -> [Float] {
            guard reversed else { return m }
            return (0..<rows).flatMap { r in
                (0..<columns).map { q in flipRows ? m[(rows - 1 - r) * columns + q] : m[r * columns + columns - 1 - q] }
            }
        }
        // Forward.
        let input = p.paddedInput
        let starts = input.rowStarts(p.taps)
        var y: [Float] = []
        for n in 0..<p.batch {
            let s = shiftedMatrix(padded(input, x[(n * p.inSize)...]), starts: starts, positions: input.positions)
            y += paddedWidthProduct(
                input, weights: order(w, rows: o, columns: p.depth, flipRows: false), channels: o,
                shifted: order(s, rows: p.depth, columns: input.positions, flipRows: true), depth: p.depth, bias: bias)
        }
        // Input gradient: Wflip (C, O*T) times the mirrored shifted rows of g padded by K-1-p.
        let gradient = p.paddedGradient
        var flipped = [Float](repeating: 0, count: ch * o * taps)
        for oc in 0..<o {
            for ic in 0..<ch {
                for t in 0..<taps { flipped[(ic * o + oc) * taps + t] = w[oc * p.depth + ic * taps + t] }
            }
        }
        let mirrored = gradient.rowStarts(p.taps, mirrored: true)
        var dx: [Float] = []
        for n in 0..<p.batch {
            let s = shiftedMatrix(
                padded(gradient, g[(n * p.outSize)...]), starts: mirrored, positions: gradient.positions)
            dx += paddedWidthProduct(
                gradient, weights: order(flipped, rows: ch, columns: o * taps, flipRows: false), channels: ch,
                shifted: order(s, rows: o * taps, columns: gradient.positions, flipRows: true), depth: o * taps,
                bias: nil)
        }
        // Weight gradient: per thread, dW'^T (K, O) += shifted (K, OH*Wp) . gw^T, gw = g with zero
        // dropped columns; the partials added in thread order.
        let parts = min(threads, p.batch)
        var total = [Float](repeating: 0, count: p.depth * o)
        for t in 0..<parts {
            var partial = [Float](repeating: 0, count: p.depth * o)
            for n in share(t, of: parts, p.batch) {
                let s = shiftedMatrix(padded(input, x[(n * p.inSize)...]), starts: starts, positions: input.positions)
                var gw = [Float](repeating: 0, count: o * input.positions)
                for oc in 0..<o {
                    for oy in 0..<input.outHeight {
                        for ox in 0..<input.outWidth {
                            gw[oc * input.positions + oy * input.paddedWidth + ox] =
                                g[n * p.outSize + (oc * input.outHeight + oy) * input.outWidth + ox]
                        }
                    }
                }
                sgemm(
                    GEMMShape(transB: true, m: p.depth, n: o, k: input.positions, accumulate: true),
                    order(s, rows: p.depth, columns: input.positions, flipRows: false),
                    order(gw, rows: o, columns: input.positions, flipRows: false), &partial, threads: 1)
            }
            if t == 0 { total = partial } else { for i in total.indices { total[i] += partial[i] } }
        }
        let dw = (0..<o).flatMap { oc in (0..<p.depth).map { r in total[r * o + oc] } }
        return (y, dx, dw)
    }

    static func positionMajor(_ c: Case, threads: Int) -> (y: [Float], dx: [Float], dw: [Float]) {
        let p = c.problem
        let (x, w, bias, g) = operands(c)
        var y = [Float](repeating: .nan, count: p.batch * p.outSize)
        var dx = [Float](repeating: .nan, count: x.count)
        var dw = [Float](repeating: .nan, count: w.count)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                g.withUnsafeBufferPointer { g in
                    shiftedForward(p, x.baseAddress!, w.baseAddress!, bias, &y, threads: threads)
                    shiftedInputGradient(p, w.baseAddress!, g.baseAddress!, &dx, threads: threads)
                    shiftedWeightGradient(p, x.baseAddress!, g.baseAddress!, &dw, threads: threads)
                }
            }
        }
        return (y, dx, dw)
    }

    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    @Test(arguments: cases)
    func identicalToPaddedWidthGEMM(_ c: Case) {
        #expect(c.problem.usesShiftedRows)
        for threads in [1, 2] {
            let fast = Self.positionMajor(c, threads: threads)
            let plain = Self.paddedWidth(c, threads: threads)
            #expect(Self.bits(fast.y) == Self.bits(plain.y))
            #expect(Self.bits(fast.dx) == Self.bits(plain.dx))
            #expect(Self.bits(fast.dw) == Self.bits(plain.dw))
        }
    }

    /// Negative control: the same sums in another order (k reversed, or the weight gradient's
    /// positions reversed) differ in some bits, so the equality above is a real check.
    @Test func reorderedSumsAreSeen() {
        let c = Self.cases[0]
        let fast = Self.positionMajor(c, threads: 1)
        let reordered = Self.paddedWidth(c, threads: 1, reversed: true)
        #expect(Self.bits(fast.y) != Self.bits(reordered.y))
        #expect(Self.bits(fast.dx) != Self.bits(reordered.dx))
        #expect(Self.bits(fast.dw) != Self.bits(reordered.dw))
        // Yet they are the same sums up to rounding.
        expectClose(fast.y, reordered.y, tolerance: 1e-4)
        expectClose(fast.dw, reordered.dw, tolerance: 1e-3)
    }
}
