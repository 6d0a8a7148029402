import Foundation
import Tensors
import Testing

@testable import Models

// Chapter 1's models: independent pixels by counting, FVSBN, MADE and the colour orderings.
// The autoregressive models are tested with every parameter set to random values, masked entries
// included, so that only the masks can keep the order (a fresh model stores its masked entries as
// zero and would pass some checks without its masks).

/// The model kinds every structural test runs on: small enough to enumerate every image.
enum TinyModel: String, CaseIterable, CustomStringConvertible {
    case fvsbnBinary, fvsbnThreeLevels, madeBinary, madeThreeLevels, madeColourChained, madeColourIndependent

    var description: String { rawValue }

    /// A Double model with all parameters random in [-1, 1] (masked entries too).
    func make(seed: UInt64 = 7) -> any AutoregressivePixelModel<Double> {
        var rng = Random(seed: seed)
        let colours = CorrelatedColours(height: 1, width: 2, levels: 2)
        let model: any AutoregressivePixelModel<Double> =
            switch self {
            case .fvsbnBinary: FVSBN<Double>(dimension: 9, levels: 2, using: &rng)
            case .fvsbnThreeLevels: FVSBN<Double>(dimension: 4, levels: 3, using: &rng)
            case .madeBinary: MADE<Double>(dimension: 9, levels: 2, hiddenSize: 12, using: &rng)
            case .madeThreeLevels: MADE<Double>(dimension: 4, levels: 3, hiddenSize: 10, using: &rng)
            case .madeColourChained:
                MADE<Double>(degrees: colours.chainedChannelDegrees, levels: 2, hiddenSize: 10, using: &rng)
            case .madeColourIndependent:
                MADE<Double>(degrees: colours.independentChannelDegrees, levels: 2, hiddenSize: 10, using: &rng)
            }
        randomize(model.parameters, using: &rng)
        return model
    }

    /// Whether logit i may depend on input j.
    func allowed(_ i: Int, _ j: Int) -> Bool {
        self == .madeColourIndependent ? j / 3 < i / 3 : j < i
    }
}

func randomize(_ parameters: [Parameter<Double>], using rng: inout Random) {
    for p in parameters { p.value = .uniform(p.shape, low: -1, high: 1, using: &rng) }
}

@Suite("Independent pixels")
struct IndependentPixelsTests {
    @Test func addOneSmoothingByHand() {
        // Two pixels, three levels, three images: (0, 2), (0, 1), (1, 2).
        let model = IndependentPixels(counting: [0, 2, 0, 1, 1, 2], dimension: 2, levels: 3, pseudocount: 1)
        // Pixel 0 saw level 0 twice and level 1 once: (2+1, 1+1, 0+1) / (3 + 3).
        let expected: [Double] = [3, 2, 1, 1, 2, 3].map { $0 / 6 }
        #expect(model.probabilities == expected)
        let lp = model.logProbabilities([1, 0])[0]
        #expect(Swift.abs(lp - Foundation.log(2.0 / 6 * 1.0 / 6)) < 1e-12)
    }

    /// The counting MLE is the closed form: its training NLL is the sum of the empirical marginals'
    /// entropies, and the gradient of the NLL with respect to per-pixel softmax logits at log p_hat
    /// is zero (a stationary point; the NLL is convex in the logits, so it is the maximum).
    @Test func countingIsTheMaximumLikelihoodEstimate() {
        var rng = Random(seed: 3)
        let (n, d, k) = (40, 5, 4)
        var pixels = (0..<n * d).map { _ in UInt8(rng.index(below: k)) }
        for i in 0..<d * k { pixels[i] = UInt8(i % k) }  // every level seen at every pixel, so log p_hat is finite
        let model = IndependentPixels(counting: pixels, dimension: d, levels: k, pseudocount: 0)
        #expect(Swift.abs(model.meanNLL(pixels) - model.entropy) < 1e-10)

        let logits = Tensor<Double>(shape: [d, k], scalars: model.probabilities.map { Foundation.log($0) })
        let labels = pixels.map { Int($0) }
        let (_, grads) = valueAndGradient(at: [logits]) { t in
            let perImage = t[0].reshaped([1, d, k]).broadcasted(to: [n, d, k])
            return Tensor.crossEntropy(logits: perImage, labels: labels).sum()
        }
        #expect(grads[0].scalars.allSatisfy { Swift.abs($0) < 1e-10 }, "\(grads[0])")
        // Moving away from the counts raises the NLL.
        let other = IndependentPixels(
            dimension: d, levels: k,
            probabilities: model.probabilities.enumerated().map { i, p in p + (i % k == 0 ? 0.03 : -0.01) })
        #expect(other.meanNLL(pixels) > model.meanNLL(pixels))
    }

    /// `startFrom` sets the output biases so that, with zero weights, an autoregressive model is
    /// exactly the independent model (Bernoulli log-odds for K = 2, log-probabilities for K > 2).
    @Test(arguments: [2, 3]) func autoregressiveModelsStartAtTheIndependentModel(levels: Int) {
        var rng = Random(seed: 10)
        let pixels = (0..<50 * 4).map { _ in UInt8(rng.index(below: levels)) }
        let independent = IndependentPixels(counting: pixels, dimension: 4, levels: levels)
        let models: [any AutoregressivePixelModel<Double>] = [
            FVSBN<Double>(dimension: 4, levels: levels, using: &rng),
            MADE<Double>(dimension: 4, levels: levels, hiddenSize: 6, using: &rng),
        ]
        for model in models {
            for p in model.parameters where p.shape.count == 2 { p.value = .zeros(p.shape) }
            model.startFrom(independent)
            let worst = zip(model.logProbabilities(pixels), independent.logProbabilities(pixels)).map {
                Swift.abs($0 - $1)
            }.max()!
            #expect(worst < 1e-12, "\(type(of: model)) differs from the independent model by \(worst) nats")
        }
    }

    @Test func normalisesAndSamplesItsMarginals() {
        var rng = Random(seed: 4)
        let model = IndependentPixels(
            counting: (0..<60).map { _ in UInt8(rng.index(below: 3)) }, dimension: 3, levels: 3)
        let all = allImages(dimension: 3, levels: 3)
        #expect(Swift.abs(model.logProbabilities(all).map { Foundation.exp($0) }.reduce(0, +) - 1) < 1e-12)
        let samples = model.sample(count: 20_000, using: &rng)
        var counts = [Int](repeating: 0, count: 27)
        for s in 0..<20_000 {
            counts[Int(samples[3 * s]) * 9 + Int(samples[3 * s + 1]) * 3 + Int(samples[3 * s + 2])] += 1
        }
        let test = ChiSquareTest(
            observed: counts, probabilities: model.logProbabilities(all).map { Foundation.exp($0) })
        #expect(test.pValue > 1e-3, "\(test)")
    }
}

@Suite("Autoregressive pixel models")
struct AutoregressivePixelModelTests {
    /// The probabilities of every possible image sum to 1: the chain rule with correct masks is a
    /// distribution, whatever the parameters.
    @Test(arguments: TinyModel.allCases) func normalisesByEnumeration(kind: TinyModel) {
        let model = kind.make()
        let all = allImages(dimension: model.dimension, levels: model.levels)
        let total = model.logProbabilities(all).map { Foundation.exp($0) }.reduce(0, +)
        #expect(Swift.abs(total - 1) < 1e-12, "sum over \(all.count / model.dimension) images is \(total)")
    }

    /// d logit_i / d x_j is exactly zero where the order forbids it and not zero everywhere else.
    @Test(arguments: TinyModel.allCases) func conditionalsSeeOnlyEarlierValues(kind: TinyModel) {
        let model = kind.make()
        var rng = Random(seed: 11)
        let x = Tensor<Double>.uniform([1, model.dimension], low: 0.1, high: 0.9, using: &rng)
        for i in 0..<model.dimension {
            let (_, grads) = valueAndGradient(at: [x]) { t in
                model.logits(t[0]).slice(i..<(i + 1), alongAxis: 1).sum()
            }
            for j in 0..<model.dimension {
                let g = grads[0].scalars[j]
                if kind.allowed(i, j) {
                    #expect(g != 0, "logit \(i) should depend on input \(j)")
                } else {
                    #expect(g == 0, "logit \(i) depends on input \(j): gradient \(g)")
                }
            }
        }
    }

    @Test func fvsbnMaskIsStrictlyLowerTriangular() {
        var rng = Random(seed: 1)
        let binary = FVSBN<Float>(dimension: 6, levels: 2, using: &rng)
        #expect(binary.mask.shape == [6, 6])
        for i in 0..<6 { for j in 0..<6 { #expect(binary.mask[i, j] == (j < i ? 1 : 0)) } }
        // With K = 3 every value has three logits, each with the value's row of the mask.
        let three = FVSBN<Float>(dimension: 4, levels: 3, using: &rng)
        #expect(three.mask.shape == [12, 4])
        for row in 0..<12 { for j in 0..<4 { #expect(three.mask[row, j] == (j < row / 3 ? 1 : 0)) } }
        #expect(
            binary.weight.value.scalars.enumerated().allSatisfy { $0.element == 0 || $0.offset % 6 < $0.offset / 6 })
    }

    @Test func madeDegreesAndMasks() {
        var rng = Random(seed: 1)
        let made = MADE<Float>(dimension: 5, levels: 2, hiddenSize: 8, using: &rng)
        #expect(made.hiddenDegrees == [1, 1, 2, 2, 3, 3, 4, 4])
        // Hidden units of degree 4 see inputs 1...4 and feed only output 5.
        #expect((0..<5).map { made.inputMask[$0, 7] } == [1, 1, 1, 1, 0])
        #expect((0..<5).map { made.outputMask[7, $0] } == [0, 0, 0, 0, 1])
        #expect((0..<5).map { made.directMask[2, $0] } == [0, 0, 0, 1, 1])
    }

    /// log p(x) from one masked pass equals the sum of the step log-probabilities the incremental
    /// sampler computed while drawing x: two independent code paths agree.
    @Test(arguments: TinyModel.allCases) func onePassMatchesSamplingSteps(kind: TinyModel) {
        let model = kind.make()
        var rng = Random(seed: 5)
        let samples = model.sample(count: 50, using: &rng)
        let onePass = model.logProbabilities(samples.pixels)
        #expect(onePass.count == 50)
        let worst = zip(onePass, samples.logProbabilities).map { Swift.abs($0 - $1) }.max()!
        #expect(worst < 1e-10, "one pass and sampler differ by up to \(worst) nats")
    }

    /// The sampler draws from the distribution the model claims: chi-square on every image of the
    /// tiny size, and a check that the test rejects samples of a different model.
    @Test func samplesMatchProbabilities() {
        let model = TinyModel.madeBinary.make(seed: 8)
        let other = TinyModel.madeBinary.make(seed: 9)
        let all = allImages(dimension: 9, levels: 2)
        let p = model.logProbabilities(all).map { Foundation.exp($0) }
        var rng = Random(seed: 6)
        let n = 20_000
        let samples = model.sample(count: n, using: &rng).pixels
        var counts = [Int](repeating: 0, count: 512)
        for s in 0..<n { counts[(0..<9).reduce(0) { $0 * 2 + Int(samples[s * 9 + $1]) }] += 1 }
        let same = ChiSquareTest(observed: counts, probabilities: p)
        #expect(same.pValue > 1e-3, "\(same)")
        let wrong = ChiSquareTest(
            observed: counts, probabilities: other.logProbabilities(all).map { Foundation.exp($0) })
        #expect(wrong.pValue < 1e-6, "\(wrong)")
    }

    @Test(arguments: [TinyModel.fvsbnBinary, .fvsbnThreeLevels, .madeBinary, .madeThreeLevels, .madeColourChained])
    func lossGradientsMatchFiniteDifferences(kind: TinyModel) {
        let model = kind.make()
        var rng = Random(seed: 12)
        let batch = (0..<3 * model.dimension).map { _ in UInt8(rng.index(below: model.levels)) }
        let result = GradientCheck.check(parameters: model.parameters) { model.loss(batch) }
        #expect(result.maxRelativeError <= 1e-6, "\(result)")
    }

    /// An FVSBN fitted to samples of an FVSBN teacher (a 2x2 one written out by hand) reaches the
    /// teacher: its cross-entropy under the teacher, sum_x p(x) (-log q(x)) computed exactly over
    /// all 16 images, exceeds the teacher's entropy by KL(p || q) >= 0, and the KL is small (about
    /// parameters / 2N for a fit on N samples).
    @Test func fvsbnLearnsALogisticTeacher() {
        var rng = Random(seed: 2)
        let teacher = FVSBN<Double>(dimension: 4, levels: 2, using: &rng)
        teacher.weight.value = Tensor(shape: [4, 4], scalars: [0, 0, 0, 0, 3, 0, 0, 0, -2, 2, 0, 0, 1, 1, -3, 0])
        teacher.bias.value = Tensor([0.5, -1, 0, 1])
        let all = allImages(dimension: 4, levels: 2)
        let p = teacher.logProbabilities(all).map { Foundation.exp($0) }
        let entropy = -zip(p, p.map { Foundation.log($0) }).map(*).reduce(0, +)
        // The training NLL of N samples, -1/N sum_n log q(x_n), depends on them only through how
        // often each of the 16 images occurs: train on the 16 images weighted by their frequencies
        // (the same objective as the batch of all N samples, at the cost of 16).
        let n = 4000
        let train = teacher.sample(count: n, using: &rng).pixels
        var counts = [Float](repeating: 0, count: 16)
        for s in 0..<n { counts[(0..<4).reduce(0) { $0 * 2 + Int(train[s * 4 + $1]) }] += 1 }
        let frequencies = Tensor<Float>(shape: [16], scalars: counts.map { $0 / Float(n) })
        let student = FVSBN<Float>(dimension: 4, levels: 2, using: &rng)
        let untrained = -zip(p, student.logProbabilities(all)).map(*).reduce(0, +) - entropy
        let adam = Adam<Float>(learningRate: 0.1)
        for _ in 0..<300 {
            let (_, grads) = valueAndGradient(of: student.parameters) {
                -(student.logProbability(all) * frequencies).sum()
            }
            adam.update(student.parameters, with: grads)
        }
        let kl = -zip(p, student.logProbabilities(all)).map(*).reduce(0, +) - entropy
        #expect(
            kl > -1e-6 && kl < 0.01,
            "KL(teacher || student) = \(kl) nats (untrained: \(untrained)), teacher entropy \(entropy)")
        #expect(untrained > 0.3, "the untrained student is already close: \(untrained) nats")
    }
}

@Suite("Correlated colours")
struct CorrelatedColoursTests {
    @Test func densityNormalisesAndEntropyIsExact() {
        let data = CorrelatedColours(height: 1, width: 2, levels: 3, stay: 0.7, copy: 0.6)
        let all = allImages(dimension: 6, levels: 3)
        let p = (0..<all.count / 6).map { Foundation.exp(data.logProbability(all[$0 * 6..<($0 + 1) * 6])) }
        #expect(Swift.abs(p.reduce(0, +) - 1) < 1e-12)
        #expect(Swift.abs(entropyOf(p) - data.entropy) < 1e-12)
        // The channel-independent floor by brute force: the best factorised model of pixel 0 is the
        // product of its three marginals; of pixel 1 given R_0, the marginals given R_0.
        var floor = 0.0
        for r0 in 0..<3 {
            for (offset, condition) in [(0, false), (3, true)] {
                var m = [[Double]](repeating: [0, 0, 0], count: 3)
                var mass = 0.0
                for (index, q) in p.enumerated() where !condition || all[index * 6] == UInt8(r0) {
                    for c in 0..<3 { m[c][Int(all[index * 6 + offset + c])] += q }
                    mass += q
                }
                let h = m.map { entropyOf($0.map { $0 / mass }) }.reduce(0, +)
                floor += condition ? mass * h : h / 3  // pixel 0 counted once over the three r0
            }
        }
        #expect(Swift.abs(floor - data.channelIndependentFloor) < 1e-12)
        #expect(data.channelIndependentFloor > data.entropy + 0.1)
    }

    @Test func samplerMatchesDensity() {
        let data = CorrelatedColours(height: 1, width: 2, levels: 2, stay: 0.7, copy: 0.8)
        var rng = Random(seed: 9)
        let n = 20_000
        let samples = data.sample(count: n, using: &rng)
        var counts = [Int](repeating: 0, count: 64)
        for s in 0..<n { counts[(0..<6).reduce(0) { $0 * 2 + Int(samples[s * 6 + $1]) }] += 1 }
        let all = allImages(dimension: 6, levels: 2)
        let p = (0..<64).map { Foundation.exp(data.logProbability(all[$0 * 6..<($0 + 1) * 6])) }
        let test = ChiSquareTest(observed: counts, probabilities: p)
        #expect(test.pValue > 1e-3, "\(test)")
    }
}

@Suite("Chi-square test")
struct ChiSquareTests {
    @Test(arguments: [
        (3.841459, 1, 0.05), (18.307038, 10, 0.05), (6.634897, 1, 0.01), (124.342113, 100, 0.05),
        (2.0, 2, Foundation.exp(-1.0)), (0.5, 4, 0.9735009),
    ])
    func upperTailMatchesTables(x: Double, k: Int, p: Double) {
        #expect(Swift.abs(ChiSquareTest.upperTail(x, degreesOfFreedom: k) - p) < 1e-6)
    }

    @Test func poolsSmallCells() {
        // Expected counts 50, 45, 3, 2: the last two pool into one cell of 5.
        let test = ChiSquareTest(observed: [50, 45, 2, 3], probabilities: [0.5, 0.45, 0.03, 0.02])
        #expect(test.cells == 3 && test.degreesOfFreedom == 2)
        #expect(Swift.abs(test.statistic) < 1e-12)
    }
}
