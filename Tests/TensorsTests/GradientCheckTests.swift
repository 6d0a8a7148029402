import Testing

@testable import Tensors

/// Every differentiable op and layer, checked against central finite differences in Double:
/// max relative error <= 1e-6 (the house style of gradient checks). Inputs stay away from kinks.
@Suite("Gradient checks")
struct GradientCheckTests {
    enum UnaryCase: String, CaseIterable {
        case negate, exp, log, log1p, sqrt, tanh, sigmoid, relu, leakyRelu, abs, square, pow, clamp, softplus,
            logSigmoid, scalarArithmetic

        /// The op, applied to inputs in (0.2, 1.2) moved to where the op is smooth.
        func apply(_ x: Tensor<Double>) -> Tensor<Double> {
            switch self {
            case .negate: return -x
            case .exp: return x.exp()
            case .log: return x.log()
            case .log1p: return x.log1p()
            case .sqrt: return x.sqrt()
            case .tanh: return (x - 0.7).tanh()
            case .sigmoid: return ((x - 0.7) * 4).sigmoid()
            case .relu: return (x - 0.7).relu()  // no element within 0.01 of the kink (see inputs)
            case .leakyRelu: return (x - 0.7).leakyRelu(slope: 0.2)
            case .abs: return (x - 0.7).abs()
            case .square: return x.squared()
            case .pow: return x.pow(2.5)
            case .clamp: return x.clamped(0.5, 1.0)
            case .softplus: return ((x - 0.7) * 8).softplus()
            case .logSigmoid: return ((x - 0.7) * 8).logSigmoid()
            case .scalarArithmetic:
                let affine: Tensor<Double> = ((x + 2) * 3 - 1) / 4
                let reciprocal: Tensor<Double> = 2 / x
                return affine + reciprocal - (1 - x)
            }
        }
    }

    /// Inputs in (0.2, 1.2), none within 0.01 of 0.5, 0.7 or 1.0 (the kinks used above).
    static func smoothInputs(_ shape: [Int], seed: UInt64) -> Tensor<Double> {
        var x = randomTensor(shape, seed: seed, low: 0.2, high: 1.2)
        for i in 0..<x.count {
            for kink in [0.5, 0.7, 1.0] where Swift.abs(x.scalars[i] - kink) < 0.01 { x.scalars[i] = kink + 0.05 }
        }
        return x
    }

    @Test(arguments: UnaryCase.allCases)
    func unary(_ op: UnaryCase) {
        expectGradientsMatch([Self.smoothInputs([3, 4], seed: 1)]) { op.apply($0[0]) }
    }

    /// Broadcasting pairs: same shape, row vector, column, scalar, leading axes missing.
    static let broadcastPairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3], [3]), ([2, 3], [2, 1]), ([2, 3], []), ([1, 3], [2, 1]), ([2, 1, 4], [3, 1]),
    ]

    @Test(arguments: broadcastPairs)
    func binaryBroadcasting(_ shapes: ([Int], [Int])) {
        let a = randomTensor(shapes.0, seed: 2, low: 0.5, high: 1.5)
        let b = randomTensor(shapes.1, seed: 3, low: 0.5, high: 1.5)
        expectGradientsMatch([a, b]) { $0[0] + $0[1] }
        expectGradientsMatch([a, b]) { $0[0] - $0[1] }
        expectGradientsMatch([a, b]) { $0[0] * $0[1] }
        expectGradientsMatch([a, b]) { $0[0] / $0[1] }
        expectGradientsMatch([a, b * 1.7]) { Tensor.maximum($0[0], $0[1]) }
        expectGradientsMatch([a]) { $0[0].broadcasted(to: broadcastShape(shapes.0, shapes.1)) }
    }

    @Test func reductions() {
        let x = randomTensor([2, 3, 4], seed: 4)
        expectGradientsMatch([x]) { $0[0].sum() }
        expectGradientsMatch([x]) { $0[0].mean() }
        expectGradientsMatch([x]) { $0[0].sum(alongAxes: [0, 2]) }
        expectGradientsMatch([x]) { $0[0].sum(alongAxis: 1, keepingDims: true) }
        expectGradientsMatch([x]) { $0[0].mean(alongAxes: [2]) }
        expectGradientsMatch([x]) { $0[0].max(alongAxis: 1) }
        expectGradientsMatch([x]) { $0[0].max(alongAxis: -1, keepingDims: true) }
        expectGradientsMatch([x * 5]) { $0[0].logSumExp(alongAxis: 2) }
        expectGradientsMatch([x * 5]) { $0[0].logSoftmax(alongAxis: 1) }
        expectGradientsMatch([x * 5]) { $0[0].softmax() }
        expectGradientsMatch([x]) { $0[0].gathering([0, 3, 2, 1, 1, 0]) }
    }

    @Test func shapeOps() {
        let x = randomTensor([2, 3, 4], seed: 5)
        let y = randomTensor([2, 2, 4], seed: 6)
        expectGradientsMatch([x]) { $0[0].reshaped([4, -1]) }
        expectGradientsMatch([x]) { $0[0].permuted([2, 0, 1]) }
        expectGradientsMatch([x]) { $0[0].transposed() }
        expectGradientsMatch([x]) { $0[0].slice(1..<3, alongAxis: 1) }
        expectGradientsMatch([x]) { $0[0].selecting(2, alongAxis: 2) }
        expectGradientsMatch([x]) { $0[0].padded([(0, 0), (1, 2), (2, 0)]) }
        expectGradientsMatch([x, y]) { Tensor.concatenate([$0[0], $0[1]], alongAxis: 1) }
    }

    @Test func matmul() {
        expectGradientsMatch([randomTensor([3, 4], seed: 7), randomTensor([4, 5], seed: 8)]) { $0[0] • $0[1] }
        expectGradientsMatch([randomTensor([2, 3, 4], seed: 9), randomTensor([4, 2], seed: 10)]) { $0[0] • $0[1] }
        expectGradientsMatch([randomTensor([2, 3, 4], seed: 11), randomTensor([2, 4, 5], seed: 12)]) { $0[0] • $0[1] }
    }

    struct ConvCase: CustomTestStringConvertible, Sendable {
        var channels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int, padding: Int
        var masked: Bool, bias: Bool
        var testDescription: String {
            "C\(channels)->\(outChannels) \(size)x\(size) k\(kernel) s\(stride) p\(padding)\(masked ? " masked" : "")\(bias ? " bias" : "")"
        }
    }

    @Test(arguments: [
        ConvCase(channels: 2, outChannels: 3, size: 5, kernel: 3, stride: 1, padding: 1, masked: false, bias: true),
        ConvCase(channels: 1, outChannels: 2, size: 6, kernel: 3, stride: 2, padding: 0, masked: false, bias: false),
        ConvCase(channels: 2, outChannels: 2, size: 5, kernel: 3, stride: 2, padding: 1, masked: true, bias: true),
        ConvCase(channels: 1, outChannels: 2, size: 4, kernel: 1, stride: 1, padding: 0, masked: false, bias: true),
    ])
    func conv2d(_ c: ConvCase) {
        let x = randomTensor([2, c.channels, c.size, c.size], seed: 13)
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], seed: 14)
        let b = randomTensor([c.outChannels], seed: 15)
        var rng = Random(seed: 16)
        let mask: Tensor<Double>? = c.masked ? .bernoulli(w.shape, p: 0.5, using: &rng) : nil
        let inputs = c.bias ? [x, w, b] : [x, w]
        expectGradientsMatch(inputs) { t in
            Tensor.conv2d(
                t[0], weight: t[1], bias: c.bias ? t[2] : nil, stride: c.stride, padding: c.padding, mask: mask)
        }
    }

    @Test func layers() {
        var rng = Random(seed: 17)
        let linear = Linear<Double>(4, 3, using: &rng)
        let x = randomTensor([5, 4], seed: 18)
        let linearCheck = GradientCheck.check(parameters: linear.parameters) { linear(x).tanh() }
        #expect(linearCheck.maxRelativeError <= 1e-6, "Linear: \(linearCheck)")

        let conv = Conv2d<Double>(2, 3, kernelSize: 3, padding: 1, using: &rng)
        let image = randomTensor([2, 2, 4, 4], seed: 19)
        let convCheck = GradientCheck.check(parameters: conv.parameters) { conv(image) }
        #expect(convCheck.maxRelativeError <= 1e-6, "Conv2d: \(convCheck)")

        let cell = LSTMCell<Double>(inputSize: 3, hiddenSize: 4, using: &rng)
        let xs = randomTensor([2, 3], seed: 20)
        let h0 = randomTensor([2, 4], seed: 21)
        let c0 = randomTensor([2, 4], seed: 22)
        let cellCheck = GradientCheck.check(parameters: cell.parameters) {
            // Two steps, so the recurrence through h and c is checked too.
            let s1 = cell(xs, .init(hidden: h0, cell: c0))
            let s2 = cell(xs * 0.5, s1)
            return Tensor.concatenate([s2.hidden, s2.cell], alongAxis: 1)
        }
        #expect(cellCheck.maxRelativeError <= 1e-6, "LSTMCell parameters: \(cellCheck)")
        expectGradientsMatch([xs, h0, c0]) { t in
            let s = cell(t[0], .init(hidden: t[1], cell: t[2]))
            return s.hidden + s.cell
        }
    }

    @Test func losses() {
        let logits = randomTensor([3, 5], seed: 23, low: -3, high: 3)
        let targets = Tensor<Double>.bernoulli([3, 5], p: 0.5, using: &Self.rng)
        expectGradientsMatch([logits]) { Tensor.binaryCrossEntropy(logits: $0[0], targets: targets) }
        expectGradientsMatch([logits]) { Tensor.crossEntropy(logits: $0[0], labels: [4, 0, 2]) }
        let mu = randomTensor([4], seed: 24)
        let lv = randomTensor([4], seed: 25)
        let mu2 = randomTensor([4], seed: 26)
        let lv2 = randomTensor([4], seed: 27)
        expectGradientsMatch([mu, lv]) { Tensor.gaussianKL(mean: $0[0], logVariance: $0[1]) }
        expectGradientsMatch([mu, lv, mu2, lv2]) {
            Tensor.gaussianKL(mean1: $0[0], logVariance1: $0[1], mean2: $0[2], logVariance2: $0[3])
        }
        let x = randomTensor([4], seed: 28)
        expectGradientsMatch([x, mu, lv]) { Tensor.gaussianLogDensity($0[0], mean: $0[1], logVariance: $0[2]) }
    }

    nonisolated(unsafe) static var rng = Random(seed: 99)

    /// The checker must be able to fail: an op whose backward rule is off by 1% is caught.
    @Test func checkerCatchesAWrongGradient() {
        func badSquare(_ x: Tensor<Double>) -> Tensor<Double> {
            Tensor.differentiable(op: "bad square", output: x.squared().detached, inputs: [x]) { g in [g * x * 2.02] }
        }
        let result = GradientCheck.check(at: [randomTensor([3], seed: 29)]) { badSquare($0[0]) }
        #expect(result.maxRelativeError > 1e-3)
        // And a rule that ignores its incoming gradient is caught because the output is weighted.
        func ignoresGradient(_ x: Tensor<Double>) -> Tensor<Double> {
            Tensor.differentiable(op: "ignores g", output: x.squared().detached, inputs: [x]) { _ in [x * 2] }
        }
        #expect(
            GradientCheck.check(at: [randomTensor([3], seed: 30)]) { ignoresGradient($0[0]) }.maxRelativeError > 1e-3)
    }

    /// softplus(x) = relu(x) + log1p(exp(-|x|)) is smooth, with derivative sigmoid(x), 1/2 at 0;
    /// composed from relu and abs, whose derivatives at exactly 0 are taken as 0, its autodiff
    /// gradient at exactly 0 is 0 (logSigmoid and the GAN losses inherit it). Known, not fixed
    /// here (Tensor+Elementwise.swift): the fix, a softplus op with backward g * sigmoid(x),
    /// changes the rounding of every GAN gradient. Inputs near but not at 0 are fine.
    @Test func softplusAtExactlyZero() {
        let near = GradientCheck.check(at: [Tensor<Double>([1e-3, -1e-3, 0.5])]) { $0[0].softplus() }
        #expect(near.maxRelativeError <= 1e-6, "\(near)")
        withKnownIssue("the composed softplus has gradient 0 at exactly 0, not 1/2") {
            let g = valueAndGradient(at: [Tensor<Double>([0])]) { $0[0].softplus().sum() }.gradients[0].item
            #expect(g == 0.5)
        }
    }

    /// A check that compares no element must fail, not pass vacuously: with no inputs, and with
    /// an empty one, the error is infinite; one element is enough to make it finite again.
    @Test func aCheckOverZeroElementsFails() {
        let none = GradientCheck.check(at: []) { _ in Tensor<Double>(shape: [1], scalars: [1]) }
        #expect(none.elements == 0 && none.maxRelativeError == .infinity, "\(none)")
        let empty = GradientCheck.check(at: [Tensor<Double>(shape: [0], scalars: [])]) { $0[0].sum() }
        #expect(empty.elements == 0 && !(empty.maxRelativeError <= 1e-6), "\(empty)")
        let one = GradientCheck.check(at: [randomTensor([1], seed: 31)]) { $0[0].squared() }
        #expect(one.elements == 1 && one.maxRelativeError <= 1e-6, "\(one)")
    }
}
