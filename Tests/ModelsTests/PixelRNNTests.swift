import Foundation
import ModelFixtures
import Tensors
import Testing

@testable import Models

@Suite("PixelRNN: raster LSTM and Row LSTM")
struct PixelRNNTests {
    /// Causality by autodiff: the logits of pixel i do not depend on pixels j >= i at all (the
    /// gradient is exactly zero, not small), nor on any other image of the batch. And the
    /// dependencies that should exist do: every earlier pixel for the raster LSTM, exactly the
    /// architecture's triangle for the Row LSTM.
    @Test(arguments: PixelRNNKind.allCases, [2, 3])
    func logitsOfPixelIDependOnlyOnEarlierPixels(kind: PixelRNNKind, levels: Int) {
        let (height, width) = (4, 5)
        let model = kind.make(height: height, width: width, levels: levels)
        let x = Fixtures.randomInputs(model, count: 2)
        let m = model.dependencyMatrix(at: x)
        #expect(m.nonCausalEntries.isEmpty, "\(kind): \(m.nonCausalEntries.prefix(5))")
        for i in 0..<model.dimension {
            let field = kind.field(model, row: i / width, column: i % width)
            #expect(m.dependencies(of: i) == field, "\(kind): pixel \(i) sees \(m.dependencies(of: i).sorted())")
        }
        // Image 1 does not reach image 0: the batch rows of the recurrence stay apart.
        let (d, e) = (model.dimension, model.encodingSize)
        let k = model.outputsPerPixel
        let crossed = DependencyMatrix.of(
            { t in model.logits(t.reshaped([2 * t.shape[0], d, e])).reshaped([t.shape[0], 2 * d, k]) },
            at: x.reshaped([1, 2 * d, e]), outputs: [d / 2, d - 1])
        #expect((0..<2).allSatisfy { i in (d..<(2 * d)).allSatisfy { crossed[i, $0] == 0 } })
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
        let images = Fixtures.randomPixels(count: 4, dimension: 15, levels: 3, seed: 1)
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
        let images = Fixtures.randomPixels(count: 2, dimension: 12, levels: 3, seed: 5)
        var rng = Random(seed: 2)
        let done = model.completions(of: images, keeping: 6, samplesPerImage: 3, using: &rng)
        #expect(done.count == 6)
        for c in 0..<6 {
            let source = c / 3
            #expect(Array(done.pixels[(c * 12)..<(c * 12 + 6)]) == Array(images[(source * 12)..<(source * 12 + 6)]))
        }
        let forced = model.logLikelihoods(done.pixels)
        for (a, b) in zip(forced, done.logProbabilities) {
            #expect(Swift.abs(a - b) <= 1e-10 * Swift.max(1, Swift.abs(a)))
        }
        // Keeping everything reproduces the images.
        let all = model.complete(images, keeping: 12, using: &rng)
        #expect(all.pixels == images)
    }

    /// The gradient of the whole model's loss with respect to every parameter, against central
    /// finite differences (Double, a tiny image).
    @Test(arguments: PixelRNNKind.allCases, [2, 3])
    func gradientCheckOfTheLoss(kind: PixelRNNKind, levels: Int) {
        let model = kind.make(height: 3, width: 3, levels: levels)
        let pixels = Fixtures.randomPixels(count: 2, dimension: 9, levels: levels, seed: 9)
        let result = GradientCheck.check(parameters: model.parameters) { model.logLikelihood(pixels) }
        #expect(result.maxRelativeError <= 1e-6, "\(kind): \(result)")
        #expect(result.elements == model.parameters.reduce(0) { $0 + $1.value.count })
    }

    /// A model's probabilities sum to one over every image: all 2^9 binary 3x3 images.
    @Test(arguments: PixelRNNKind.allCases)
    func probabilitiesSumToOne(kind: PixelRNNKind) {
        let model = kind.make(height: 3, width: 3, levels: 2)
        let all = allImages(dimension: 9, levels: 2)
        let total = model.logLikelihoods(all).reduce(0) { $0 + Foundation.exp($1) }
        #expect(Swift.abs(total - 1) < 1e-10, "\(kind): sum of p(x) = \(total)")
    }

    /// The predicted distribution of each pixel is a distribution, and the product over pixels
    /// of the probability it gives the observed level is p(x).
    @Test(arguments: [2, 5])
    func predictedDistributionsMultiplyToTheLikelihood(levels: Int) {
        let model = PixelRNNKind.rowK3.make(height: 2, width: 3, levels: levels)
        let images = Fixtures.randomPixels(count: 3, dimension: 6, levels: levels, seed: 4)
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
