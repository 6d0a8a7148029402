import Testing

@testable import Tensors

/// The batched convolution kernels (im2col over active taps + GEMM, images over threads) against a
/// direct seven-loop convolution, in Float.
@Suite("Convolution kernels")
struct ConvKernelTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var batch: Int, channels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int, padding: Int
        /// "A" or "B" for a PixelCNN mask, "random" for a Bernoulli mask, "" for none.
        var mask: String
        var testDescription: String {
            "N\(batch) C\(channels)->\(outChannels) \(size)x\(size) k\(kernel) s\(stride) p\(padding) \(mask.isEmpty ? "unmasked" : "mask " + mask)"
        }
    }

    static let cases: [Case] = [
        Case(batch: 3, channels: 4, outChannels: 5, size: 7, kernel: 3, stride: 1, padding: 1, mask: "B"),
        Case(batch: 2, channels: 1, outChannels: 8, size: 9, kernel: 7, stride: 1, padding: 3, mask: "A"),
        Case(batch: 5, channels: 3, outChannels: 2, size: 6, kernel: 3, stride: 2, padding: 1, mask: ""),
        Case(batch: 1, channels: 6, outChannels: 1, size: 5, kernel: 1, stride: 1, padding: 0, mask: ""),
        Case(batch: 4, channels: 2, outChannels: 3, size: 8, kernel: 3, stride: 2, padding: 0, mask: "random"),
        Case(batch: 2, channels: 7, outChannels: 13, size: 4, kernel: 5, stride: 1, padding: 2, mask: "B"),
        // Stride 1 with at least 8 channels each way: the shifted-rows path forward and backward.
        Case(batch: 3, channels: 9, outChannels: 17, size: 6, kernel: 3, stride: 1, padding: 1, mask: "B"),
        Case(batch: 2, channels: 8, outChannels: 8, size: 5, kernel: 3, stride: 1, padding: 0, mask: ""),
        Case(batch: 5, channels: 10, outChannels: 16, size: 7, kernel: 5, stride: 1, padding: 2, mask: "random"),
        Case(batch: 1, channels: 12, outChannels: 20, size: 9, kernel: 7, stride: 1, padding: 3, mask: "A"),
        // Padding beyond K-1: shifted rows forward, im2col for the input gradient.
        Case(batch: 2, channels: 8, outChannels: 9, size: 4, kernel: 3, stride: 1, padding: 3, mask: ""),
        // The position-major products: 121 positions (20 tiles of six and one of one), one input
        // channel, a partial tile of 9 channels.
        Case(batch: 2, channels: 1, outChannels: 9, size: 11, kernel: 3, stride: 1, padding: 1, mask: ""),
        // Depth 37 * 9 = 333: the forward pass sums two slices of k.
        Case(batch: 2, channels: 37, outChannels: 11, size: 5, kernel: 3, stride: 1, padding: 1, mask: ""),
        // 19 * 21 = 399 padded-width positions: the weight gradient sums two slices of them.
        Case(batch: 3, channels: 13, outChannels: 31, size: 19, kernel: 3, stride: 1, padding: 1, mask: "B"),
    ]

    static func maskValues(_ c: Case) -> [Float]? {
        let k = c.kernel
        let centre = k / 2
        switch c.mask {
        case "A", "B":
            var tap = [Float](repeating: 0, count: k * k)
            for i in 0..<k {
                for j in 0..<k where i < centre || (i == centre && (j < centre || (c.mask == "B" && j == centre))) {
                    tap[i * k + j] = 1
                }
            }
            return (0..<(c.outChannels * c.channels)).flatMap { _ in tap }
        case "random":
            var rng = Random(seed: 5)
            return (0..<(c.outChannels * c.channels * k * k)).map { _ in rng.bernoulli(0.6) ? 1 : 0 }
        default: return nil
        }
    }

    /// The direct convolution and its gradients, accumulated in Double.
    static func reference(_ c: Case, x: [Float], w: [Float], mask: [Float]?, bias: [Float], g: [Float])
        -> (y: [Float], dx: [Float], dw: [Float])
    {
        let (k, s, p) = (c.kernel, c.stride, c.padding)
        let out = (c.size + 2 * p - k) / s + 1
        var y = [Double](repeating: 0, count: c.batch * c.outChannels * out * out)
        var dx = [Double](repeating: 0, count: x.count)
        var dw = [Double](repeating: 0, count: w.count)
        for n in 0..<c.batch {
            for o in 0..<c.outChannels {
                for oy in 0..<out {
                    for ox in 0..<out {
                        let yi = ((n * c.outChannels + o) * out + oy) * out + ox
                        var acc = Double(bias[o])
                        for ci in 0..<c.channels {
                            for i in 0..<k {
                                for j in 0..<k {
                                    let (ih, iw) = (oy * s - p + i, ox * s - p + j)
                                    guard ih >= 0, ih < c.size, iw >= 0, iw < c.size else { continue }
                                    let wi = ((o * c.channels + ci) * k + i) * k + j
                                    let xi = ((n * c.channels + ci) * c.size + ih) * c.size + iw
                                    let weight = Double(w[wi]) * Double(mask?[wi] ?? 1)
                                    acc += weight * Double(x[xi])
                                    dx[xi] += weight * Double(g[yi])
                                    dw[wi] += Double(x[xi]) * Double(g[yi]) * Double(mask?[wi] ?? 1)
                                }
                            }
                        }
                        y[yi] = acc
                    }
                }
            }
        }
        return (y.map(Float.init), dx.map(Float.init), dw.map(Float.init))
    }

    /// The op's kernels for one case and thread count: output, input gradient, weight gradient.
    static func fast(_ c: Case, x: [Float], w: [Float], mask: [Float]?, bias: [Float], g: [Float], threads: Int)
        -> (y: [Float], dx: [Float], dw: [Float])
    {
        let geometry = ConvGeometry(
            channels: c.channels, height: c.size, width: c.size, kernelHeight: c.kernel, kernelWidth: c.kernel,
            stride: c.stride, padding: c.padding)
        let (taps, packed) = packConvWeight(w, mask: mask, geometry, outChannels: c.outChannels)
        let problem = ConvProblem(geometry: geometry, taps: taps, batch: c.batch, outChannels: c.outChannels)
        var y = [Float](repeating: 0, count: c.batch * problem.outSize)
        var dx = [Float](repeating: .nan, count: x.count)
        var dPacked = [Float](repeating: .nan, count: packed.count)
        conv2dForward(problem, x, packed, bias, &y, threads: threads)
        conv2dBackward(problem, x, packed, g, dWeight: &dPacked, dInput: &dx, threads: threads)
        let dw = unpackConvWeight(dPacked, mask: mask, geometry, taps: taps, outChannels: c.outChannels)
        return (y, dx, dw)
    }

    static func operands(_ c: Case) -> (x: [Float], w: [Float], bias: [Float], g: [Float]) {
        var rng = Random(seed: UInt64(c.batch * 1000 + c.channels * 100 + c.kernel))
        let out = (c.size + 2 * c.padding - c.kernel) / c.stride + 1
        let x = Tensor<Float>.uniform([c.batch * c.channels * c.size * c.size], low: -1, high: 1, using: &rng).scalars
        let w = Tensor<Float>.uniform([c.outChannels * c.channels * c.kernel * c.kernel], low: -1, high: 1, using: &rng)
            .scalars
        let bias = Tensor<Float>.uniform([c.outChannels], low: -1, high: 1, using: &rng).scalars
        let g = Tensor<Float>.uniform([c.batch * c.outChannels * out * out], low: -1, high: 1, using: &rng).scalars
        return (x, w, bias, g)
    }

    @Test(arguments: cases)
    func matchesDirectConvolution(_ c: Case) {
        let (x, w, bias, g) = Self.operands(c)
        let mask = Self.maskValues(c)
        let ref = Self.reference(c, x: x, w: w, mask: mask, bias: bias, g: g)
        // Reductions over C*K*K terms (forward, dx) and N*OH*OW terms (dW), each of size <= 1.
        let out = (c.size + 2 * c.padding - c.kernel) / c.stride + 1
        let tolerance = Double(c.channels * c.kernel * c.kernel + c.batch * out * out) * 2e-7
        for threads in [1, 2] {
            let f = Self.fast(c, x: x, w: w, mask: mask, bias: bias, g: g, threads: threads)
            expectClose(f.y, ref.y, tolerance: tolerance)
            expectClose(f.dx, ref.dx, tolerance: tolerance)
            expectClose(f.dw, ref.dw, tolerance: tolerance)
        }
    }

    /// The cases above reach both ways to the sums: shifted rows (forward and input gradient) and
    /// im2col (forward and input gradient), so the equality test covers each.
    @Test func casesCoverBothPaths() {
        let problems = Self.cases.map { c in
            ConvProblem(
                geometry: ConvGeometry(
                    channels: c.channels, height: c.size, width: c.size, kernelHeight: c.kernel, kernelWidth: c.kernel,
                    stride: c.stride, padding: c.padding),
                taps: .all(
                    ConvGeometry(
                        channels: c.channels, height: c.size, width: c.size, kernelHeight: c.kernel,
                        kernelWidth: c.kernel, stride: c.stride, padding: c.padding)),
                batch: c.batch, outChannels: c.outChannels)
        }
        #expect(problems.filter(\.usesShiftedRows).count >= 4)
        #expect(problems.filter { $0.usesShiftedRows && $0.inputGradientUsesShiftedRows }.count >= 3)
        #expect(problems.filter { $0.usesShiftedRows && !$0.inputGradientUsesShiftedRows }.count >= 2)
        #expect(problems.filter { !$0.usesShiftedRows }.count >= 3)
    }

    /// The tap-restricted im2col with every tap is the plain im2col, and col2im is its adjoint.
    @Test func im2colOverTapsMatchesIm2col() {
        for (size, k, s, p) in [(5, 3, 1, 1), (6, 3, 2, 0), (7, 7, 1, 3), (4, 1, 1, 0), (9, 5, 2, 2)] {
            let g = ConvGeometry(
                channels: 2, height: size, width: size + 1, kernelHeight: k, kernelWidth: k, stride: s, padding: p)
            var rng = Random(seed: UInt64(size * k))
            let x = Tensor<Double>.uniform([2 * size * (size + 1)], using: &rng).scalars
            var plain = [Double](repeating: .nan, count: g.columnRows * g.columnCount)
            var overTaps = plain
            im2col(g, x, &plain)
            im2col(g, taps: .all(g), x, &overTaps)
            #expect(plain == overTaps)
            // Adjoint over a subset of taps: <im2col(x), y> == <x, col2im(y)>.
            let taps = ConvTaps(offsets: stride(from: 0, to: k * k, by: 2).map { $0 })
            var cols = [Double](repeating: 0, count: 2 * taps.count * g.columnCount)
            let y = Tensor<Double>.uniform([cols.count], using: &rng).scalars
            var back = [Double](repeating: 0, count: x.count)
            im2col(g, taps: taps, x, &cols)
            col2im(g, taps: taps, y, &back)
            let lhs = zip(cols, y).map(*).reduce(0, +)
            let rhs = zip(x, back).map(*).reduce(0, +)
            #expect(Swift.abs(lhs - rhs) < 1e-12)
        }
    }

    /// Images are split over threads and the partial weight gradients added in thread order:
    /// the same bits run after run for a given thread count.
    @Test func twoThreadResultsAreIdenticalRunToRun() {
        let c = Self.cases[0]
        let (x, w, bias, g) = Self.operands(c)
        let first = Self.fast(c, x: x, w: w, mask: Self.maskValues(c), bias: bias, g: g, threads: 2)
        for _ in 0..<3 {
            let again = Self.fast(c, x: x, w: w, mask: Self.maskValues(c), bias: bias, g: g, threads: 2)
            #expect(again.y == first.y && again.dx == first.dx && again.dw == first.dw)
        }
    }
}
