import ModelFixtures
import Models
import Tensors
import Testing

/// Review question 1: **why does PixelCNN work better than PixelRNN, and what are the drawbacks
/// of both?**
///
/// Both compute the same thing, the chain rule p(x) = prod_i p(x_i | x_<i) over the pixels in
/// raster order, and both are exact: log p(x) is a sum of D = H * W log-conditionals. They differ
/// in how the conditionals are computed. The answer, one claim per test:
///
/// 1. Both are causal: the conditional of pixel i depends on no pixel j >= i, and one pass over a
///    known image gives all D conditionals, exactly the ones the step-by-step sampler computes.
/// 2. PixelCNN is better to train and to score: its masked convolutions compute all D conditionals
///    at once, 1 sequential step, where the raster LSTM needs D steps and the Row LSTM H, each
///    waiting for the state of the one before (chapter 3 measures the times).
/// 3. The drawback of both: sampling is sequential. Pixel i's conditional depends on pixel i - 1,
///    which must be drawn first: D steps for every model.
/// 4. The drawback of PixelCNN: it sees only what its stack of small kernels reaches, a window
///    that grows with depth, while the raster LSTM's state carries the whole past.
/// 5. And the plain PixelCNN misses part of even that window: the blind spot above and to the
///    right. The gated PixelCNN's vertical and horizontal stacks remove it.
///
/// Every dependency here is read off the gradients (`DependencyMatrix`): an entry is exactly zero
/// when the tape has no path from that input to that output. Chapters 2 and 3
/// (`swift run -c release ch2-pixelrnn`, `ch3-pixelcnn`) train the models and time them.
@Suite("Review question 1: why does PixelCNN work better than PixelRNN, and what are the drawbacks of both?")
struct Question1PixelCNNAndPixelRNN {
    /// The four models of chapters 2 and 3, small, in Double, on 4 x 5 images of 3 levels.
    enum Kind: String, CaseIterable, Sendable {
        case rasterLSTM, rowLSTM, pixelCNN, gatedPixelCNN

        func make(height: Int = 4, width: Int = 5, depth: Int = 3) -> any AutoregressiveImageModel<Double> {
            switch self {
            case .rasterLSTM: PixelRNNKind.raster.make(height: height, width: width, levels: 3)
            case .rowLSTM: PixelRNNKind.rowK3.make(height: height, width: width, levels: 3)
            case .pixelCNN: PixelCNNKind.plain.make(height: height, width: width, levels: 3, depth: depth)
            case .gatedPixelCNN: PixelCNNKind.gated.make(height: height, width: width, levels: 3, depth: depth)
            }
        }
    }

    // MARK: 1. The same chain rule

    /// Causal, and one pass gives every conditional: on images the sampler drew, log p(x) from
    /// one teacher-forced pass equals the sum of the D conditionals the sampler computed one
    /// pixel at a time.
    @Test(arguments: Kind.allCases)
    func bothAreCausalAndOnePassGivesEveryConditional(kind: Kind) {
        let model = kind.make()
        let m = model.dependencyMatrix(at: Fixtures.randomInputs(model, count: 2))
        #expect(m.nonCausalEntries.isEmpty, "\(kind): outputs depend on later pixels at \(m.nonCausalEntries.prefix(5))")
        var rng = Random(seed: 5)
        let drawn = model.sample(count: 4, using: &rng)
        let onePass = model.logLikelihoods(drawn.pixels)
        for (a, b) in zip(onePass, drawn.logProbabilities) {
            #expect(Swift.abs(a - b) <= 1e-10 * Swift.max(1, Swift.abs(a)), "\(kind): one pass \(a), step by step \(b)")
        }
    }

    // MARK: 2 and 3. Sequential steps to train and to sample

    /// The steps that must wait for one another, counted as the models run: to train (one pass
    /// over known images) PixelCNN needs 1, the Row LSTM H = 4, the raster LSTM D = 20; to sample,
    /// all of them need D = 20.
    @Test func trainingTakesOneStepForPixelCNNButSamplingTakesHWStepsForAll() {
        let (height, width) = (4, 5)
        let expected: [Kind: (train: Int, sample: Int)] = [
            .rasterLSTM: (20, 20), .rowLSTM: (4, 20), .pixelCNN: (1, 20), .gatedPixelCNN: (1, 20),
        ]
        for kind in Kind.allCases {
            let model = kind.make(height: height, width: width)
            model.steps.reset()
            _ = model.logLikelihoods(Fixtures.randomPixels(count: 8, dimension: height * width, levels: 3, seed: 2))
            var rng = Random(seed: 3)
            _ = model.sample(count: 8, using: &rng)
            #expect(model.steps.teacherForced == expected[kind]!.train, "\(kind) to train")
            #expect(model.steps.sampling == expected[kind]!.sample, "\(kind) to sample")
            #expect((model.trainingSteps, model.samplingSteps) == expected[kind]!, "\(kind) by design")
        }
    }

    /// Why sampling cannot be parallel, for either family: the conditional of every pixel depends
    /// on the pixel just before it in its row, so that pixel must be drawn first.
    @Test(arguments: Kind.allCases)
    func everyConditionalDependsOnThePixelJustBefore(kind: Kind) {
        let model = kind.make()
        let m = model.dependencyMatrix(at: Fixtures.randomInputs(model))
        for i in 0..<model.dimension where i % model.width > 0 {
            #expect(m[i, i - 1] != 0, "\(kind): pixel \(i) does not depend on pixel \(i - 1)")
        }
    }

    // MARK: 4 and 5. What each model sees

    /// The raster LSTM sees every earlier pixel. A PixelCNN sees a window its layers reach: on
    /// 8 x 6 images the last pixel's field grows with depth (each 3x3 layer adds a row above)
    /// and, with 2 or 3 layers, does not reach the top rows at all.
    @Test func theRasterLSTMSeesTheWholePastAPixelCNNOnlyAWindow() {
        let (height, width) = (8, 6)
        let last = height * width - 1
        let raster = PixelRNNKind.raster.make(height: height, width: width, levels: 2)
        let rasterField = raster.dependencyMatrix(at: Fixtures.randomInputs(raster), outputs: [last]).dependencies(of: 0)
        #expect(rasterField == Set(0..<last))
        for kind in [PixelCNNKind.plain, .gated] {
            var previous = 0
            for depth in 1...4 {
                let model = kind.make(height: height, width: width, levels: 2, depth: depth)
                let field = model.dependencyMatrix(at: Fixtures.randomInputs(model), outputs: [last]).dependencies(of: 0)
                #expect(field.count > previous, "\(kind): depth \(depth) sees \(field.count) pixels, depth \(depth - 1) \(previous)")
                previous = field.count
                // Rows more than `depth` above the pixel are out of reach.
                let topRow = field.map { $0 / width }.min()!
                #expect(topRow == height - 1 - depth, "\(kind) depth \(depth): top row \(topRow)")
            }
            #expect(previous < rasterField.count)
        }
    }

    /// Inside its window the plain PixelCNN misses pixels above and to the right (the blind spot,
    /// growing with depth); the gated PixelCNN, with the same kernels and depth, sees them all.
    @Test(arguments: 2...4)
    func thePlainPixelCNNHasABlindSpotTheGatedOneDoesNot(depth: Int) {
        let (height, width) = (7, 9)
        let (row, column) = (6, 4)
        let pixel = row * width + column
        func field(_ kind: PixelCNNKind) -> Set<Int> {
            let model = kind.make(height: height, width: width, levels: 2, depth: depth)
            return model.dependencyMatrix(at: Fixtures.randomInputs(model), outputs: [pixel]).dependencies(of: 0)
        }
        let plain = field(.plain), gated = field(.gated)
        let blindPlain = ReceptiveField.blindSpot(of: plain, row: row, column: column, width: width)
        #expect(!blindPlain.isEmpty, "depth \(depth): the plain stack has no blind spot")
        #expect(ReceptiveField.blindSpot(of: gated, row: row, column: column, width: width).isEmpty)
        // What the plain stack misses, the gated one sees; and the gated field holds the plain one.
        #expect(blindPlain.isSubset(of: gated) && plain.isSubset(of: gated))
        // The pixel just above and to the right is the first victim: unseen by the plain stack.
        #expect(!plain.contains((row - 1) * width + column + 2) && gated.contains((row - 1) * width + column + 2))
    }
}
