import Foundation
import Testing
import Tensors
@testable import Models

/// The two PixelRNNs in small Double versions, for the checks that the chain rule is wired right.
enum PixelRNNKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case raster, rowK3, rowK5

    var testDescription: String { rawValue }

    /// A model of `height` x `width` images with `levels` levels and random (not small) weights,
    /// so that every connection that exists carries a clearly non-zero gradient.
    func make(height: Int, width: Int, levels: Int, seed: UInt64 = 7) -> any PixelRNN<Double> {
        var rng = Random(seed: seed)
        let model: any PixelRNN<Double>
        switch self {
        case .raster: model = RasterLSTM(height: height, width: width, levels: levels, hiddenSize: 4, using: &rng)
        case .rowK3:
            model = RowLSTM(height: height, width: width, levels: levels, features: 2, hiddenSize: 3, using: &rng)
        case .rowK5:
            model = RowLSTM(
                height: height, width: width, levels: levels, features: 2, hiddenSize: 3, inputKernel: 5, using: &rng)
        }
        // Scale the weights up (LSTM defaults are U(-1/sqrt(h), 1/sqrt(h))) and give the biases
        // random values, so no unit sits exactly at zero.
        for p in model.parameters {
            p.value = p.value * 1.5 + Tensor.uniform(p.shape, low: -0.3, high: 0.3, using: &rng)
        }
        // A ReLU unit that is off everywhere would cut a connection that exists; positive biases
        // in the Row LSTM's 1x1 ReLU layer keep its few units on.
        if let row = model as? RowLSTM<Double> { row.hiddenLayer.bias.value = row.hiddenLayer.bias.value + 2 }
        return model
    }
}

@Suite("PixelRNN: raster LSTM and Row LSTM")
struct PixelRNNTests {
    /// Seeded images of levels 0..<levels, N x D.
    static func randomPixels(count: Int, dimension: Int, levels: Int, seed: UInt64) -> [UInt8] {
        var rng = Random(seed: seed)
        return (0..<(count * dimension)).map { _ in UInt8(rng.index(below: levels)) }
    }

    /// d(logits of pixel i of image 0, reduced with seeded random weights) / d(inputs), summed in
    /// absolute value over each pixel's input vector: [N * D].
    static func inputGradient(_ model: any PixelRNN<Double>, _ x: Tensor<Double>, pixel i: Int) -> [Double] {
        let k = model.outputsPerPixel
        var rng = Random(seed: UInt64(100 + i))
        let weights = Tensor<Double>.normal([k], using: &rng)
        let g = valueAndGradient(at: [x]) { t in
            let a = model.logits(t[0]).reshaped([x.shape[0], model.dimension * k])
            return (a.slice(0..<1, alongAxis: 0).slice((i * k)..<((i + 1) * k), alongAxis: 1) * weights).sum()
        }.gradients[0]
        let e = x.shape[2]
        return (0..<(g.count / e)).map { p in (0..<e).reduce(0) { $0 + Swift.abs(g.scalars[p * e + $1]) } }
    }

    /// Causality by autodiff: the logits of pixel i do not depend on pixels j >= i at all (the
    /// gradient is exactly zero, not small), nor on any other image of the batch. And the
    /// dependencies that should exist do: every earlier pixel for the raster LSTM, exactly the
    /// architecture's triangle for the Row LSTM.
    @Test(arguments: PixelRNNKind.allCases, [2, 3])
    func logitsOfPixelIDependOnlyOnEarlierPixels(kind: PixelRNNKind, levels: Int) {
        let (height, width) = (4, 5)
        let model = kind.make(height: height, width: width, levels: levels)
        var rng = Random(seed: 3)
        // Inputs need not be valid codes for this: any values, so every input channel is exercised.
        let x = Tensor<Double>.uniform([2, height * width, model.encodingSize], low: 0.1, high: 0.9, using: &rng)
        for i in 0..<(height * width) {
            let g = Self.inputGradient(model, x, pixel: i)
            let own = Array(g[0..<model.dimension])
            let other = Array(g[model.dimension...])
            #expect(other.allSatisfy { $0 == 0 }, "pixel \(i) of image 0 depends on image 1")
            let future = (i..<model.dimension).filter { own[$0] != 0 }
            #expect(future.isEmpty, "\(kind): logits of pixel \(i) depend on pixels \(future)")
            let seen = Set((0..<i).filter { own[$0] != 0 })
            if let row = model as? RowLSTM<Double> {
                #expect(seen == row.receptiveField(row: i / width, column: i % width), "\(kind): pixel \(i) sees \(seen.sorted())")
            } else {
                #expect(seen == Set(0..<i), "raster LSTM: pixel \(i) sees only \(seen.sorted())")
            }
        }
    }

    /// The Row LSTM's field is a triangle with blind spots: for the last pixel of a row with the
    /// 3x3 mask-A input, the far left of its own row and the far right of the rows above are unseen.
    @Test func rowLSTMFieldIsATriangle() {
        var rng = Random(seed: 1)
        let model = RowLSTM<Float>(height: 8, width: 8, levels: 17, features: 2, hiddenSize: 2, using: &rng)
        let field = model.receptiveField(row: 5, column: 4)
        func has(_ r: Int, _ c: Int) -> Bool { field.contains(r * 8 + c) }
        // Current row: mask A (j - 1) then mask B (j - 1, j): columns 2 and 3, not 0 or 1.
        #expect(has(5, 2) && has(5, 3) && !has(5, 1) && !has(5, 0) && !has(5, 4))
        // One row up: columns 1...5; two rows up: 0...6; the width grows by one per side per row.
        #expect((1...5).allSatisfy { has(4, $0) } && !has(4, 0) && !has(4, 6))
        #expect((0...6).allSatisfy { has(3, $0) } && !has(3, 7))
        #expect((0...7).allSatisfy { has(0, $0) })
        #expect(field.allSatisfy { $0 < 5 * 8 + 4 })
    }

    /// log p(x) from one teacher-forced pass equals the sum of the per-step log-probabilities the
    /// sampler computed while drawing that same image, step by step (so the sampler feeds every
    /// pixel to the right place, and the fast training pass computes the model that is sampled).
    @Test(arguments: PixelRNNKind.allCases, [2, 4])
    func teacherForcedLikelihoodEqualsSamplingSteps(kind: PixelRNNKind, levels: Int) {
        let model = kind.make(height: 3, width: 4, levels: levels)
        var rng = Random(seed: 11)
        let samples = model.sample(count: 6, using: &rng)
        #expect(samples.count == 6)
        let forced = model.logLikelihoods(samples.pixels)
        for (a, b) in zip(forced, samples.logProbabilities) {
            #expect(Swift.abs(a - b) <= 1e-10 * Swift.max(1, Swift.abs(a)), "teacher forced \(a), sampled \(b)")
        }
        // Step by step too: log p(x_i | x_<i) read from the teacher-forced logits.
        let logits = withoutGradient { model.logits(model.inputs(samples.pixels)) }.scalars
        let k = model.outputsPerPixel
        for p in 0..<samples.pixels.count {
            let lp = PixelRNNSampling.logProbability(
                of: Int(samples.pixels[p]), logits[(p * k)..<((p + 1) * k)], levels: levels)
            #expect(Swift.abs(lp - samples.stepLogProbabilities[p]) <= 1e-10, "step \(p)")
        }
        // The samples differ from each other (the sampler draws, it does not copy).
        #expect(Set((0..<6).map { samples.pixels[($0 * 12)..<(($0 + 1) * 12)] }).count > 1)
    }

    /// The recurrence runs as often as the design says: H * W (raster) or H (rows) steps for one
    /// teacher-forced pass of a whole batch, H * W to sample a batch.
    @Test(arguments: PixelRNNKind.allCases)
    func sequentialStepsAreCounted(kind: PixelRNNKind) {
        let model = kind.make(height: 3, width: 5, levels: 3)
        let images = Self.randomPixels(count: 4, dimension: 15, levels: 3, seed: 1)
        model.steps.reset()
        _ = model.logLikelihoods(images)
        #expect(model.steps.teacherForced == model.trainingSteps && model.steps.sampling == 0)
        #expect(model.trainingSteps == (kind == .raster ? 15 : 3))
        var rng = Random(seed: 1)
        _ = model.sample(count: 4, using: &rng)
        #expect(model.steps.sampling == model.samplingSteps && model.samplingSteps == 15)
    }

    /// Completions keep the given pixels, draw the rest, and their log-probabilities are those of
    /// the completed images under the model.
    @Test(arguments: PixelRNNKind.allCases)
    func completionsKeepTheGivenPixels(kind: PixelRNNKind) {
        let model = kind.make(height: 4, width: 3, levels: 3)
        let images = Self.randomPixels(count: 2, dimension: 12, levels: 3, seed: 5)
        var rng = Random(seed: 2)
        let done = model.completions(of: images, keeping: 6, samplesPerImage: 3, using: &rng)
        #expect(done.count == 6)
        for c in 0..<6 {
            let source = c / 3
            #expect(Array(done.pixels[(c * 12)..<(c * 12 + 6)]) == Array(images[(source * 12)..<(source * 12 + 6)]))
        }
        let forced = model.logLikelihoods(done.pixels)
        for (a, b) in zip(forced, done.logProbabilities) { #expect(Swift.abs(a - b) <= 1e-10 * Swift.max(1, Swift.abs(a))) }
        // Keeping everything reproduces the images.
        let all = model.complete(images, keeping: 12, using: &rng)
        #expect(all.pixels == images)
    }

    /// The gradient of the whole model's loss with respect to every parameter, against central
    /// finite differences (Double, a tiny image).
    @Test(arguments: PixelRNNKind.allCases, [2, 3])
    func gradientCheckOfTheLoss(kind: PixelRNNKind, levels: Int) {
        let model = kind.make(height: 3, width: 3, levels: levels)
        let pixels = Self.randomPixels(count: 2, dimension: 9, levels: levels, seed: 9)
        let result = GradientCheck.check(parameters: model.parameters) { model.logLikelihood(pixels) }
        #expect(result.maxRelativeError <= 1e-6, "\(kind): \(result)")
        #expect(result.elements == model.parameters.reduce(0) { $0 + $1.value.count })
    }

    /// A model's probabilities sum to one over every image: all 2^9 binary 3x3 images.
    @Test(arguments: PixelRNNKind.allCases)
    func probabilitiesSumToOne(kind: PixelRNNKind) {
        let model = kind.make(height: 3, width: 3, levels: 2)
        var all: [UInt8] = []
        for code in 0..<512 { all += (0..<9).map { UInt8((code >> (8 - $0)) & 1) } }
        let total = model.logLikelihoods(all).reduce(0) { $0 + Foundation.exp($1) }
        #expect(Swift.abs(total - 1) < 1e-10, "\(kind): sum of p(x) = \(total)")
    }

    /// The predicted distribution of each pixel is a distribution, and the product over pixels
    /// of the probability it gives the observed level is p(x).
    @Test(arguments: [2, 5])
    func predictedDistributionsMultiplyToTheLikelihood(levels: Int) {
        let model = PixelRNNKind.rowK3.make(height: 2, width: 3, levels: levels)
        let images = Self.randomPixels(count: 3, dimension: 6, levels: levels, seed: 4)
        var sum = [Double](repeating: 0, count: 3)
        for i in 0..<6 {
            let p = model.predictedDistribution(ofPixel: i, in: images)
            #expect(p.count == 3 && p.allSatisfy { $0.count == levels && Swift.abs($0.reduce(0, +) - 1) < 1e-12 })
            for n in 0..<3 { sum[n] += Foundation.log(p[n][Int(images[n * 6 + i])]) }
        }
        for (a, b) in zip(sum, model.logLikelihoods(images)) { #expect(Swift.abs(a - b) < 1e-10) }
    }

    /// A small raster LSTM learns a dependency a pixel-independent model cannot: 2x2 images whose
    /// second row copies the first (entropy 2 ln 3 for 3 levels, uniform rows). The independent
    /// model needs 4 ln 3; after 100 Adam steps the LSTM is close to the true entropy.
    @Test(arguments: [PixelRNNKind.raster, .rowK3])
    func learnsACopyDependency(kind: PixelRNNKind) {
        var rng = Random(seed: 21)
        let model: any PixelRNN<Float> =
            kind == .raster
            ? RasterLSTM(height: 2, width: 2, levels: 3, hiddenSize: 8, using: &rng)
            : RowLSTM(height: 2, width: 2, levels: 3, features: 4, hiddenSize: 8, using: &rng)
        let adam = Adam<Float>(learningRate: 0.03)
        var rows: [UInt8] = []
        for a in 0..<3 { for b in 0..<3 { rows += [UInt8(a), UInt8(b), UInt8(a), UInt8(b)] } }
        for _ in 0..<100 {
            let (_, grads) = valueAndGradient(of: model.parameters) { model.loss(rows) }
            adam.update(model.parameters, with: grads)
        }
        let entropy = 2 * Foundation.log(3.0)
        let nll = model.meanNLL(rows)
        #expect(nll < entropy + 0.05, "\(kind): NLL \(nll) nats, entropy \(entropy)")
    }
}
