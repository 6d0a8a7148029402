import ModelFixtures
import Tensors
import Testing

@testable import Models

/// Review question 1: **why does PixelCNN work better than PixelRNN, and what are the drawbacks
/// of both?**
///
/// Both compute the same thing, the chain rule p(x) = prod_i p(x_i | x_<i) over the pixels in
/// raster order, and both are exact: log p(x) is a sum of D = H * W log-conditionals. They differ
/// in how the conditionals are computed. The answer, one claim per test:
///
/// 1. Both are causal: the conditional of pixel i depends on no pixel j >= i, and one pass over a
///    known image gives all D conditionals, exactly the ones the step-by-step sampler computes.
///    The dependencies are read off autodiff and cross-checked by moving each pixel (finite
///    differences); a PixelCNN with mask B in its first layer, or with one unmasked layer, fails
///    the same check.
/// 2. PixelCNN is better to train and to score: the longest chain of ops from an input pixel to
///    the loss, read off the recorded autodiff tape, does not grow with the image for a PixelCNN,
///    grows as H for the Row LSTM and as H * W for the raster LSTM. Ops on one chain must wait for
///    each other, so that chain, not the arithmetic, bounds how parallel a pass can be (chapter 3
///    measures the times).
/// 3. The drawback of both: sampling is sequential. Pixel i's conditional depends on pixel i - 1,
///    which must be drawn first: the dependency graph has a chain of D draws for the raster LSTM,
///    of at least W + H - 1 for the others, and the samplers draw in raster order, D steps.
/// 4. The drawback of PixelCNN: it sees only what its stack of small kernels reaches, a window
///    that grows with depth, while the raster LSTM's state carries the whole past.
/// 5. And the plain PixelCNN misses part of even that window: the blind spot above and to the
///    right. The gated PixelCNN's vertical and horizontal stacks remove it.
///
/// The ops these answers rest on (the masked convolution with mask A and mask B, the LSTM step)
/// are gradient-checked here against finite differences. Chapters 2 and 3
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

    // MARK: The causality check, and two PixelCNNs that must fail it

    /// What moving input pixel j does to the logits, for every j: entry (i, j) is the largest
    /// change of any logit of pixel i when every input feature of pixel j (in every example) is
    /// moved by `step` in a seeded random direction. No autodiff: one forward pass per pixel.
    static func finiteDifferenceDependencies(
        _ f: (Tensor<Double>) -> Tensor<Double>, at x: Tensor<Double>, step: Double = 1e-4
    ) -> DependencyMatrix {
        let (m, d, e) = (x.shape[0], x.shape[1], x.shape[2])
        let base = withoutGradient { f(x) }.scalars
        let k = base.count / (m * d)
        var rng = Random(seed: 17)
        var values = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            var moved = x.scalars
            for n in 0..<m { for c in 0..<e { moved[(n * d + j) * e + c] += step * (rng.uniform() < 0.5 ? -1 : 1) } }
            let y = withoutGradient { f(Tensor(shape: x.shape, scalars: moved)) }.scalars
            for n in 0..<m {
                for i in 0..<d {
                    for c in 0..<k {
                        let change = Swift.abs(y[(n * d + i) * k + c] - base[(n * d + i) * k + c])
                        values[i * d + j] = Swift.max(values[i * d + j], change)
                    }
                }
            }
        }
        return DependencyMatrix(rows: d, columns: d, values: values)
    }

    /// The causality check, two independent ways. Autodiff: the dependency matrix (gradients of
    /// each pixel's logits) has no entry on or above the diagonal. Finite differences: moving
    /// pixel j leaves logit i bit for bit unchanged exactly where the autodiff entry is zero, and
    /// changes it (by more than 1e-12 for a move of 1e-4) exactly where it is not. Returns the
    /// non-causal entries autodiff finds, after recording any disagreement between the two.
    static func causalityCheck(
        _ f: (Tensor<Double>) -> Tensor<Double>, at x: Tensor<Double>, _ name: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [(row: Int, column: Int)] {
        let autodiff = DependencyMatrix.of(f, at: x)
        let moved = finiteDifferenceDependencies(f, at: x)
        var disagreements: [(Int, Int, Double, Double)] = []
        for i in 0..<autodiff.rows {
            for j in 0..<autodiff.columns {
                let (a, n) = (autodiff[i, j], moved[i, j])
                if a == 0 ? n != 0 : !(n > 1e-12) { disagreements.append((i, j, a, n)) }
            }
        }
        #expect(
            disagreements.isEmpty,
            "\(name): autodiff and finite differences disagree at (i, j, autodiff, moved) \(disagreements.prefix(4))",
            sourceLocation: sourceLocation)
        // Finite differences alone see the same violations.
        let movedViolations = (0..<moved.rows).flatMap { i in
            (i..<moved.columns).filter { moved[i, $0] != 0 }.map { (i, $0) }
        }
        #expect(movedViolations.count == autodiff.nonCausalEntries.count, "\(name)", sourceLocation: sourceLocation)
        return autodiff.nonCausalEntries
    }

    /// The plain PixelCNN's network rebuilt from its own layers, with the first layer's mask
    /// replaced by `firstMask` or the mask of mask-B layer `unmasked` removed (same weights):
    /// logits [N, D, K] from inputs [N, D, E]. With no change it is the model itself.
    static func rewired(_ model: PixelCNN<Double>, firstMask: CausalMask = .a, unmasked: Int? = nil) -> (Tensor<Double>)
        -> Tensor<Double>
    {
        var rng = Random(seed: 1)
        let first = model.firstLayer.conv
        let firstLayer = Conv2d<Double>(
            first.weight.shape[1], first.weight.shape[0], kernelSize: model.firstKernel, padding: model.firstKernel / 2,
            mask: firstMask.tensor(
                outChannels: first.weight.shape[0], inChannels: first.weight.shape[1], kernelSize: model.firstKernel),
            using: &rng)
        firstLayer.load(from: first)
        let layers = model.layers.enumerated().map { l, layer -> Conv2d<Double> in
            guard l == unmasked else { return layer.conv }
            let open = Conv2d<Double>(
                model.channels, model.channels, kernelSize: layer.kernelSize, padding: layer.kernelSize / 2, using: &rng
            )
            open.load(from: layer.conv)
            return open
        }
        return { inputs in
            let (n, d, k) = (inputs.shape[0], model.dimension, model.outputsPerPixel)
            var h = firstLayer(model.images(inputs)).relu()
            for layer in layers { h = model.residual ? h + layer(h).relu() : layer(h).relu() }
            return model.head(h).reshaped([n, k, d]).permuted([0, 2, 1])
        }
    }

    // MARK: 1. The same chain rule

    /// Causal, and one pass gives every conditional: on images the sampler drew, log p(x) from
    /// one teacher-forced pass equals the sum of the D conditionals the sampler computed one
    /// pixel at a time. Causality is read off autodiff and confirmed by finite differences.
    @Test(arguments: Kind.allCases)
    func bothAreCausalAndOnePassGivesEveryConditional(kind: Kind) {
        let model = kind.make()
        let violations = Self.causalityCheck(
            { model.logits($0) }, at: Fixtures.randomInputs(model, count: 2), "\(kind)")
        #expect(violations.isEmpty, "\(kind): outputs depend on later pixels at \(violations.prefix(5))")
        var rng = Random(seed: 5)
        let drawn = model.sample(count: 4, using: &rng)
        let onePass = model.logLikelihoods(drawn.pixels)
        for (a, b) in zip(onePass, drawn.logProbabilities) {
            #expect(Swift.abs(a - b) <= 1e-10 * Swift.max(1, Swift.abs(a)), "\(kind): one pass \(a), step by step \(b)")
        }
    }

    /// Negative controls: the same check rejects a PixelCNN whose first layer has mask B (logit i
    /// then reads pixel i itself: the diagonal) and one whose second layer has no mask (logit i
    /// reads pixels after i); the network rebuilt with the right masks passes and is the model.
    @Test func aPixelCNNWithMaskBFirstOrAnUnmaskedLayerFailsTheCausalityCheck() {
        let model = PixelCNNKind.plain.make(height: 4, width: 5, levels: 3, depth: 3) as! PixelCNN<Double>
        let x = Fixtures.randomInputs(model, count: 2)
        let same = Self.rewired(model)
        #expect(withoutGradient { same(x) == model.logits(x) }, "the rebuilt network is not the model")
        #expect(Self.causalityCheck(same, at: x, "rebuilt").isEmpty)

        let maskBFirst = Self.causalityCheck(Self.rewired(model, firstMask: .b), at: x, "mask B first")
        #expect(!maskBFirst.isEmpty, "a mask-B first layer passed the causality check")
        // Each pixel's logits now read the pixel itself.
        #expect((0..<model.dimension).allSatisfy { i in maskBFirst.contains { $0 == (i, i) } })

        let unmasked = Self.causalityCheck(Self.rewired(model, unmasked: 0), at: x, "unmasked layer")
        #expect(unmasked.contains { $0.column > $0.row }, "an unmasked layer passed the causality check")
    }

    // MARK: 2. The longest chain of ops to train

    /// The raster LSTM's teacher-forced pass with its recurrence written out step by step: the
    /// model's own cell (the fused one-step op) applied D times, then its output layer. The model
    /// runs the same recurrence as one fused sequence op, a single tape record that hides its D
    /// chained steps; unrolled, the tape shows them. The values are the model's (checked below).
    static func unrolledLogits(_ model: RasterLSTM<Double>, _ inputs: Tensor<Double>) -> Tensor<Double> {
        let (n, d, h, k) = (inputs.shape[0], model.dimension, model.hiddenSize, model.outputsPerPixel)
        let steps = model.stepInputs(inputs)
        var state = model.cell.zeroState(batchSize: n)
        var hiddens: [Tensor<Double>] = []
        for t in 0..<d {
            state = model.cell(steps.selecting(t), state)
            hiddens.append(state.hidden.reshaped([1, n, h]))
        }
        return model.head(Tensor.concatenate(hiddens, alongAxis: 0).reshaped([d * n, h])).reshaped([d, n, k]).permuted([
            1, 0, 2,
        ])
    }

    /// The longest chain of ops from the input pixels to the loss (the negative log-likelihood of
    /// `count` images), read off the recorded tape of one teacher-forced pass.
    static func criticalPath(
        _ logits: (Tensor<Double>) -> Tensor<Double>, _ model: any AutoregressiveImageModel<Double>
    ) -> Int {
        let pixels = Fixtures.randomPixels(count: 2, dimension: model.dimension, levels: model.levels, seed: 8)
        let tape = recordedTape(at: [model.inputs(pixels)]) { x in
            Tensor.crossEntropy(logits: logits(x[0]), labels: pixels.map { Int($0) }).sum()
        }
        return tape.criticalPath()!
    }

    /// Images of growing size, H x W from 2 x 2 to 5 x 4. The chain to the loss stays the same
    /// length for both PixelCNNs (one parallel pass), grows by a fixed number of ops per row for
    /// the Row LSTM whatever the width, and by a fixed number per pixel for the raster LSTM.
    @Test func theLongestChainOfOpsToTheLossIsConstantForPixelCNNAndGrowsWithTheImageForPixelRNNs() {
        let sizes = [(2, 2), (2, 5), (3, 3), (3, 4), (4, 4), (5, 4)]
        var paths: [Kind: [Int]] = [:]
        for kind in Kind.allCases {
            paths[kind] = sizes.map { (height, width) in
                let model = kind.make(height: height, width: width)
                guard let raster = model as? RasterLSTM<Double> else {
                    return Self.criticalPath({ model.logits($0) }, model)
                }
                let x = Fixtures.randomInputs(model)
                let (fused, unrolled) = withoutGradient { (raster.logits(x), Self.unrolledLogits(raster, x)) }
                #expect(
                    zip(fused.scalars, unrolled.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-12 },
                    "unrolled raster LSTM")
                return Self.criticalPath({ Self.unrolledLogits(raster, $0) }, model)
            }
        }
        let (pixels, rows) = (sizes.map { $0.0 * $0.1 }, sizes.map { $0.0 })
        /// path = a + b * n for every size, with b >= 1 op per unit of n.
        func growsLinearly(_ path: [Int], in n: [Int]) -> Bool {
            let b = Double(path[0] - path[2]) / Double(n[0] - n[2])
            return b >= 1 && zip(path, n).allSatisfy { p, m in Double(p - path[0]) == b * Double(m - n[0]) }
        }
        for kind in [Kind.pixelCNN, .gatedPixelCNN] {
            #expect(Set(paths[kind]!).count == 1, "\(kind): chain lengths \(paths[kind]!) over sizes \(sizes)")
        }
        #expect(growsLinearly(paths[.rowLSTM]!, in: rows), "Row LSTM: \(paths[.rowLSTM]!) for H = \(rows)")
        #expect(paths[.rowLSTM]![0] == paths[.rowLSTM]![1], "Row LSTM: the width changed the chain")
        #expect(growsLinearly(paths[.rasterLSTM]!, in: pixels), "raster LSTM: \(paths[.rasterLSTM]!) for D = \(pixels)")
        // The chains follow the sequential steps each model declares by design (`trainingSteps`:
        // D, H, 1; a constant of the architecture, not a count kept as it runs).
        for kind in Kind.allCases {
            let declared = sizes.map { kind.make(height: $0.0, width: $0.1).trainingSteps }
            let path = paths[kind]!
            if Set(declared) == [1] {
                #expect(Set(path).count == 1, "\(kind)")
            } else {
                #expect(growsLinearly(path, in: declared), "\(kind): chains \(path), declared steps \(declared)")
            }
        }
        // A wider image lengthens the raster LSTM's chain, not the Row LSTM's or a PixelCNN's.
        #expect(paths[.rasterLSTM]![1] > paths[.rasterLSTM]![0] && paths[.pixelCNN]![1] == paths[.pixelCNN]![0])
    }

    /// The measure can tell a chain from a fan: n (scale, tanh) pairs in a row lengthen the
    /// critical path by 2n; n of them side by side, concatenated, leave it as it is for one; and
    /// the raster LSTM as the model runs it (one fused sequence op) shows the same path for every
    /// D: a fused recurrence must be unrolled to be seen.
    @Test func theCriticalPathOfATapeCountsChainedOpsOnly() {
        let x = Tensor<Double>([0.1, 0.2, 0.3])
        func chain(_ n: Int) -> Int? {
            recordedTape(at: [x]) { t in
                var y = t[0]
                for _ in 0..<n { y = (y * 0.5).tanh() }
                return y.sum()
            }.criticalPath()
        }
        func fan(_ n: Int) -> Int? {
            recordedTape(at: [x]) { t in
                Tensor.concatenate((0..<n).map { k in (t[0] * Double(k + 1)).tanh() }, alongAxis: 0).sum()
            }
            .criticalPath()
        }
        for n in [4, 9] {
            #expect(chain(n)! - chain(1)! == 2 * (n - 1), "a chain of \(n) pairs: \(chain(n)!), of one: \(chain(1)!)")
            #expect(fan(n) == fan(1), "\(n) pairs side by side: \(fan(n)!), one: \(fan(1)!)")
        }
        // A loss that does not depend on the input has no path from it.
        #expect(recordedTape(at: [x]) { _ in Tensor<Double>([1.0]).sum() }.criticalPath() == nil)
        let fused = [(2, 2), (4, 4)].map { (h, w) in
            let model = Kind.rasterLSTM.make(height: h, width: w)
            return Self.criticalPath({ model.logits($0) }, model)
        }
        #expect(fused[0] == fused[1], "the fused sequence op is one record whatever D")
    }

    // MARK: 3. Sampling is a chain of draws for every model

    /// Why sampling cannot be parallel, for either family: the conditional of every pixel depends
    /// on the pixel just before it in its row, so that pixel must be drawn first. The fewest
    /// sequential draws any sampler could make is the longest chain in the dependency graph of
    /// the conditionals (pixel i waits for every pixel it depends on): D for the raster LSTM,
    /// whose every pixel sees all earlier ones; for the models with a bounded field at least a
    /// whole row and then one draw per row down, W + H - 1. (The samplers here draw in raster
    /// order, D steps.)
    @Test(arguments: Kind.allCases)
    func everyConditionalDependsOnThePixelJustBefore(kind: Kind) {
        let model = kind.make()
        let m = model.dependencyMatrix(at: Fixtures.randomInputs(model))
        for i in 1..<model.dimension where i % model.width > 0 {
            #expect(m[i, i - 1] != 0, "\(kind): pixel \(i) does not depend on pixel \(i - 1)")
        }
        var chain = [Int](repeating: 1, count: model.dimension)
        for i in 0..<model.dimension {
            for j in m.dependencies(of: i) where j < i { chain[i] = Swift.max(chain[i], chain[j] + 1) }
        }
        let longest = chain.max()!
        #expect(longest >= model.width + model.height - 1, "\(kind): the longest chain of draws is \(longest)")
        if kind == .rasterLSTM {
            #expect(longest == model.dimension, "raster LSTM: the longest chain of draws is \(longest), not D")
        }
    }

    // MARK: The ops, gradient-checked

    /// The masked convolution, mask A and mask B, gradient-checked in every element of input,
    /// weight and bias; the gradient of every weight the mask closes is exactly zero.
    @Test(arguments: CausalMask.allCases)
    func theMaskedConvolutionHasExactGradients(mask: CausalMask) {
        var rng = Random(seed: 31)
        let x = Tensor<Double>.uniform([2, 3, 4, 5], low: -1, high: 1, using: &rng)
        let w = Tensor<Double>.uniform([2, 3, 3, 3], low: -1, high: 1, using: &rng)
        let b = Tensor<Double>.uniform([2], low: -1, high: 1, using: &rng)
        let m: Tensor<Double> = mask.tensor(outChannels: 2, inChannels: 3, kernelSize: 3)
        let check = GradientCheck.check(at: [x, w, b]) {
            Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1, mask: m)
        }
        #expect(
            check.maxRelativeError <= 1e-6 && check.elements == x.count + w.count + b.count, "mask \(mask): \(check)")
        let g = valueAndGradient(at: [w]) {
            Tensor.conv2d(x, weight: $0[0], bias: b, padding: 1, mask: m).squared().sum()
        }.gradients[0]
        #expect(
            zip(g.scalars, m.scalars).allSatisfy { $1 == 0 ? $0 == 0 : $0 != 0 },
            "mask \(mask): a closed weight gets a gradient")
    }

    /// The LSTM step both PixelRNNs run, gradient-checked in input, state and weights; and the
    /// raster LSTM's whole loss in its parameters (through the fused sequence op).
    @Test func theLSTMStepHasExactGradients() {
        var rng = Random(seed: 32)
        let (batch, input, hidden) = (2, 3, 4)
        let inputs = [
            [batch, input], [batch, hidden], [batch, hidden], [input, 4 * hidden], [hidden, 4 * hidden], [4 * hidden],
        ].map {
            Tensor<Double>.uniform($0, low: -1, high: 1, using: &rng)
        }
        let step = GradientCheck.check(at: inputs) { t in
            Tensor.lstmStep(input: t[0], hidden: t[1], cell: t[2], inputWeight: t[3], hiddenWeight: t[4], bias: t[5])
        }
        #expect(step.maxRelativeError <= 1e-6, "LSTM step: \(step)")
        let model = Kind.rasterLSTM.make(height: 2, width: 3)
        let pixels = Fixtures.randomPixels(count: 2, dimension: 6, levels: 3, seed: 4)
        let whole = GradientCheck.check(parameters: model.parameters) { model.logLikelihood(pixels) }
        #expect(whole.maxRelativeError <= 1e-6, "raster LSTM loss: \(whole)")
    }

    // MARK: 4 and 5. What each model sees

    /// The raster LSTM sees every earlier pixel. A PixelCNN sees a window its layers reach: on
    /// 8 x 6 images the last pixel's field grows with depth (each 3x3 layer adds a row above)
    /// and, with 2 or 3 layers, does not reach the top rows at all.
    @Test func theRasterLSTMSeesTheWholePastAPixelCNNOnlyAWindow() {
        let (height, width) = (8, 6)
        let last = height * width - 1
        let raster = PixelRNNKind.raster.make(height: height, width: width, levels: 2)
        let rasterField = raster.dependencyMatrix(at: Fixtures.randomInputs(raster), outputs: [last]).dependencies(
            of: 0)
        #expect(rasterField == Set(0..<last))
        for kind in [PixelCNNKind.plain, .gated] {
            var previous = 0
            for depth in 1...4 {
                let model = kind.make(height: height, width: width, levels: 2, depth: depth)
                let field = model.dependencyMatrix(at: Fixtures.randomInputs(model), outputs: [last]).dependencies(
                    of: 0)
                #expect(
                    field.count > previous,
                    "\(kind): depth \(depth) sees \(field.count) pixels, depth \(depth - 1) \(previous)")
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
        let plain = field(.plain)
        let gated = field(.gated)
        let blindPlain = ReceptiveField.blindSpot(of: plain, row: row, column: column, width: width)
        #expect(!blindPlain.isEmpty, "depth \(depth): the plain stack has no blind spot")
        #expect(ReceptiveField.blindSpot(of: gated, row: row, column: column, width: width).isEmpty)
        // What the plain stack misses, the gated one sees; and the gated field holds the plain one.
        #expect(blindPlain.isSubset(of: gated) && plain.isSubset(of: gated))
        // The pixel just above and to the right is the first victim: unseen by the plain stack.
        #expect(!plain.contains((row - 1) * width + column + 2) && gated.contains((row - 1) * width + column + 2))
    }
}
