import Foundation
import ModelFixtures
import Tensors
import Testing

@testable import Models

@Suite("PixelCNN: masks, blind spot, gated stacks, samplers")
struct PixelCNNTests {
    // MARK: The masks

    /// The masks derived from raster order, independently of `CausalMask`: tap (i, j) of a k x k
    /// kernel centred on pixel (r, c) reads pixel (r + i - k/2, c + j - k/2), whose raster index
    /// on an image of width w >= k is that of the centre plus (i - k/2) w + (j - k/2). Mask A
    /// opens exactly the taps whose index is smaller (pixels before the centre), mask B those
    /// not larger. The lecture's printed 5x5 mask A is this derivation for k = 5.
    @Test func lectureMaskA() {
        func derived(_ mask: CausalMask, _ k: Int, width w: Int) -> [[Int]] {
            (0..<k).map { i in
                (0..<k).map { j in
                    let offset = (i - k / 2) * w + (j - k / 2)
                    return (mask == .a ? offset < 0 : offset <= 0) ? 1 : 0
                }
            }
        }
        for k in [1, 3, 5, 7] {
            for mask in CausalMask.allCases {
                #expect(mask.matrix(kernelSize: k) == derived(mask, k, width: k + 4), "mask \(mask), k = \(k)")
            }
        }
        let lecture = derived(.a, 5, width: 28)
        #expect(CausalMask.lecture5x5 == lecture)
        #expect(CausalMask.a.matrix(kernelSize: 5) == lecture)
        // The derivation can tell the two masks apart: they differ in the centre tap only.
        #expect(derived(.a, 5, width: 9) != derived(.b, 5, width: 9))
        var b = lecture
        b[2][2] = 1
        #expect(CausalMask.b.matrix(kernelSize: 5) == b)
        // The conv2d weight mask repeats the pattern for every channel pair.
        let t: Tensor<Double> = CausalMask.a.tensor(outChannels: 2, inChannels: 3, kernelSize: 5)
        #expect(t.shape == [2, 3, 5, 5])
        for pair in 0..<6 {
            #expect(Array(t.scalars[(pair * 25)..<((pair + 1) * 25)]) == lecture.flatMap { $0.map(Double.init) })
        }
        #expect(CausalMask.a.matrix(kernelSize: 1) == [[0]] && CausalMask.b.matrix(kernelSize: 1) == [[1]])
    }

    /// RGB channel groups: at the centre tap output group g reads input groups g' < g (mask A) or
    /// g' <= g (mask B); before the centre every group reads every group, after it none.
    @Test(arguments: CausalMask.allCases)
    func colourGroupsAtTheCentre(mask: CausalMask) {
        let (out, inn, k) = (6, 9, 3)
        let t: Tensor<Double> = mask.tensor(outChannels: out, inChannels: inn, kernelSize: k, channelGroups: 3)
        for o in 0..<out {
            for c in 0..<inn {
                let taps = Array(t.scalars[((o * inn + c) * k * k)..<((o * inn + c + 1) * k * k)])
                let (g, h) = (o / 2, c / 3)
                let centre: Double = mask == .a ? (h < g ? 1 : 0) : (h <= g ? 1 : 0)
                #expect(taps == [1, 1, 1, 1, centre, 0, 0, 0, 0], "out \(o) (group \(g)), in \(c) (group \(h))")
            }
        }
    }

    // MARK: Causality and the blind spot, by autodiff

    static func holes(in field: Set<Int>, row: Int, column: Int, width: Int) -> Set<Int> {
        ReceptiveField.blindSpot(of: field, row: row, column: column, width: width)
    }

    /// For stacks of depth 1...6: the logits of pixel i depend on no pixel j >= i (the gradient is
    /// exactly zero), nor on another image of the batch; they depend on exactly the pixels the
    /// masks allow; the plain stack has a blind spot from depth 2 on, the gated stack none.
    @Test(arguments: PixelCNNKind.allCases, 1...6)
    func causalityAndBlindSpot(kind: PixelCNNKind, depth: Int) {
        let (height, width) = (6, 7)
        let model = kind.make(height: height, width: width, levels: 3, depth: depth)
        let x = Fixtures.randomInputs(model)
        let m = model.dependencyMatrix(at: x)
        #expect(m.rows == model.dimension && m.columns == model.dimension)
        #expect(m.nonCausalEntries.isEmpty, "\(kind) depth \(depth): \(m.nonCausalEntries.prefix(5))")
        // Image 1 does not reach image 0: the batch copies are independent.
        let (d, e, n) = (model.dimension, model.encodingSize, x.shape[0])
        let crossed = DependencyMatrix.of(
            { t in model.logits(t.reshaped([n * t.shape[0], d, e])).reshaped([t.shape[0], n * d, 3]) },
            at: x.reshaped([1, n * d, e]), outputs: [d / 2, d - 1])
        #expect((0..<2).allSatisfy { i in (d..<(n * d)).allSatisfy { crossed[i, $0] == 0 } })
        var blind = 0
        for i in 0..<model.dimension {
            let (r, c) = (i / width, i % width)
            let field = kind.field(model, row: r, column: c)
            #expect(
                m.dependencies(of: i) == field,
                "\(kind) depth \(depth): pixel \(i) sees \(m.dependencies(of: i).sorted()), masks allow \(field.sorted())"
            )
            let holes = Self.holes(in: field, row: r, column: c, width: width)
            if kind == .gated {
                #expect(holes.isEmpty, "gated depth \(depth): pixel (\(r), \(c)) misses \(holes.sorted())")
            }
            blind += holes.count
        }
        if kind != .gated && depth >= 2 { #expect(blind > 0, "\(kind) depth \(depth) has no blind spot") }
    }

    /// The classic blind spot of a plain 3x3 stack at depth 2: pixel (r - 1, c + 2) is unseen
    /// although (r - 2, c + 2) above it is seen; the gated stack of the same depth sees both.
    @Test func theBlindSpotOfTwoLayers() {
        let width = 7
        let plain = PixelCNNKind.plain.make(height: 6, width: width, levels: 2, depth: 2)
        let gated = PixelCNNKind.gated.make(height: 6, width: width, levels: 2, depth: 2)
        let (r, c) = (4, 3)
        let i = r * width + c
        let seenPlain = plain.dependencyMatrix(at: Fixtures.randomInputs(plain), outputs: [i]).dependencies(of: 0)
        let seenGated = gated.dependencyMatrix(at: Fixtures.randomInputs(gated), outputs: [i]).dependencies(of: 0)
        #expect(!seenPlain.contains((r - 1) * width + c + 2) && seenPlain.contains((r - 2) * width + c + 2))
        #expect(seenGated.contains((r - 1) * width + c + 2) && seenGated.contains((r - 2) * width + c + 2))
        // The gated field is the full rectangle: rows r-2, r-1 over columns c-2...c+2, and (r, c-2), (r, c-1).
        var rectangle = ((r - 2)..<r).flatMap { y in ((c - 2)...(c + 2)).map { y * width + $0 } }
        rectangle += [r * width + c - 2, r * width + c - 1]
        #expect(seenGated == Set(rectangle))
    }

    /// The larger first kernel of the chapter's nets (7x7 mask A) leaves a blind spot too.
    @Test func blindSpotWithALargeFirstKernel() {
        let width = 12
        let model = PixelCNNKind.plain.make(height: 10, width: width, levels: 2, depth: 4, firstKernel: 7)
        let (r, c) = (9, 5)
        let seen = model.dependencyMatrix(at: Fixtures.randomInputs(model), outputs: [r * width + c]).dependencies(
            of: 0)
        #expect(seen == (model as! PixelCNN<Double>).receptiveField(row: r, column: c))
        #expect(!Self.holes(in: seen, row: r, column: c, width: width).isEmpty)
    }

    /// RGB: a stack of masked convolutions with three channel groups is causal in raster order
    /// and, inside a pixel, in channel order: R of pixel i sees nothing of pixel i, G sees R, B
    /// sees R and G.
    @Test func colourStackIsCausalInChannelOrder() {
        var rng = Random(seed: 5)
        let (h, w, k) = (3, 4, 2)
        let layers = [
            MaskedConv2d<Double>(3, 6, kernelSize: 3, mask: .a, channelGroups: 3, using: &rng),
            MaskedConv2d<Double>(6, 6, kernelSize: 3, mask: .b, channelGroups: 3, using: &rng),
            MaskedConv2d<Double>(6, 3 * k, kernelSize: 1, mask: .b, channelGroups: 3, using: &rng),
        ]
        for l in layers { l.conv.bias.value = l.conv.bias.value + 0.5 }
        // Positions in the model's order, value 3 p + c: pixel p, colour c.
        func net(_ x: Tensor<Double>) -> Tensor<Double> {
            let n = x.shape[0]
            var y = x.reshaped([n, h * w, 3]).permuted([0, 2, 1]).reshaped([n, 3, h, w])
            y = layers[1](layers[0](y).relu()).relu()
            y = layers[2](y)  // [n, 3k, h, w]: colour c's k values are channels c k ..< (c + 1) k
            return y.reshaped([n, 3, k, h * w]).permuted([0, 3, 1, 2]).reshaped([n, 3 * h * w, k])
        }
        let x = Tensor<Double>.uniform([2, 3 * h * w, 1], low: 0.1, high: 0.9, using: &rng)
        let m = DependencyMatrix.of(net, at: x)
        #expect(m.nonCausalEntries.isEmpty, "\(m.nonCausalEntries.prefix(5))")
        for p in 0..<(h * w) {
            #expect(
                m[3 * p, 3 * p] == 0 && m[3 * p + 1, 3 * p] != 0 && m[3 * p + 2, 3 * p] != 0
                    && m[3 * p + 2, 3 * p + 1] != 0)
            // Every colour of the pixel to the left is seen by every colour.
            if p % w > 0 { for c in 0..<3 { for c2 in 0..<3 { #expect(m[3 * p + c, 3 * (p - 1) + c2] != 0) } } }
        }
    }

    /// The check can fail: an ordinary (unmasked) 3x3 convolution reads the pixel itself and the
    /// ones after it, and the dependency matrix says so.
    @Test func anUnmaskedConvolutionIsCaught() {
        var rng = Random(seed: 2)
        let conv = Conv2d<Double>(1, 1, kernelSize: 3, padding: 1, using: &rng)
        let m = DependencyMatrix.of(
            { conv($0.reshaped([$0.shape[0], 1, 3, 3])).reshaped([$0.shape[0], 9]) },
            at: Tensor.uniform([1, 9, 1], low: 0.1, high: 0.9, using: &rng))
        // Output i reads its 3x3 neighbourhood: every neighbour j >= i is a violation.
        var expected = 0
        for i in 0..<9 {
            for j in i..<9 where Swift.abs(j / 3 - i / 3) <= 1 && Swift.abs(j % 3 - i % 3) <= 1 { expected += 1 }
        }
        #expect(m.nonCausalEntries.count == expected && expected == 29)
        #expect(m[4, 4] != 0 && m[4, 8] != 0)
    }

    /// Multiply-adds per pixel count every weight the masks let through, once.
    @Test func multiplyAddsPerPixel() {
        var rng = Random(seed: 1)
        let plain = PixelCNN<Float>(
            height: 4, width: 4, levels: 2, channels: 2, maskedLayers: 1, firstKernel: 3, using: &rng)
        // Mask A 3x3: 4 taps x 1 x 2; mask B 3x3: 5 taps x 2 x 2; the 1x1 output: 2 x 1.
        #expect(plain.multiplyAddsPerPixel == 8 + 20 + 2)
        let gated = GatedPixelCNN<Float>(
            height: 4, width: 4, levels: 2, channels: 2, layers: 2, firstKernel: 3, outputHidden: 3, using: &rng)
        // Layer 1 (masks A): vertical 3 taps x 1 x 4, horizontal 1 x 1 x 4, v -> h 4 x 4, out 2 x 2;
        // layer 2 (masks B): vertical 6 x 2 x 4, horizontal 2 x 2 x 4, 4 x 4, 2 x 2; head 2 x 3, 3 x 1.
        #expect(gated.multiplyAddsPerPixel == (12 + 4 + 16 + 4) + (48 + 16 + 16 + 4) + 6 + 3)
        // The raster LSTM reads E + 1 + H + W = 4 + 1 + 2 + 3 = 10 inputs: 10 x 4h + h x 4h + h x K.
        let raster = RasterLSTM<Float>(height: 2, width: 3, levels: 3, hiddenSize: 4, using: &rng)
        #expect(raster.multiplyAddsPerPixel == 160 + 64 + 12)
        // The Row LSTM: mask A 3x3 (4 taps x E 4 x C 2), K^is taps j-1, j (2C x 4h), K^ss (3h x 4h), h x h, h x K.
        let row = RowLSTM<Float>(height: 2, width: 3, levels: 3, features: 2, hiddenSize: 3, using: &rng)
        #expect(row.multiplyAddsPerPixel == 32 + 48 + 108 + 9 + 9)
    }

    // MARK: The likelihood and the samplers

    /// The gradient of the whole model's loss with respect to every parameter, against central
    /// finite differences (Double, a tiny image).
    @Test(arguments: PixelCNNKind.allCases, [2, 3])
    func gradientCheckOfTheLoss(kind: PixelCNNKind, levels: Int) {
        let model = kind.make(height: 3, width: 4, levels: levels, depth: 2, channels: 3)
        let pixels = Fixtures.randomPixels(count: 2, dimension: 12, levels: levels, seed: 9)
        let result = GradientCheck.check(parameters: model.parameters) { model.logLikelihood(pixels) }
        #expect(result.maxRelativeError <= 1e-6, "\(kind): \(result)")
        #expect(result.elements == model.parameters.reduce(0) { $0 + $1.value.count })
    }

    /// A model's probabilities sum to one over every image: all 2^9 binary 3x3 images.
    @Test(arguments: PixelCNNKind.allCases)
    func probabilitiesSumToOne(kind: PixelCNNKind) {
        let model = kind.make(height: 3, width: 3, levels: 2, depth: 2)
        let all = allImages(dimension: 9, levels: 2)
        let total = model.logLikelihoods(all).reduce(0) { $0 + Foundation.exp($1) }
        #expect(Swift.abs(total - 1) < 1e-10, "\(kind): sum of p(x) = \(total)")
    }

    static func withSampler(_ model: any AutoregressiveImageModel<Double>, _ sampler: PixelCNNSampler)
        -> any AutoregressiveImageModel<Double>
    {
        if var m = model as? PixelCNN<Double> {
            m.sampler = sampler
            return m
        }
        var m = model as! GatedPixelCNN<Double>
        m.sampler = sampler
        return m
    }

    /// log p(x) from one parallel pass equals the sum of the per-step log-probabilities the
    /// sampler computed while drawing that same image, for both samplers; and the cached sampler
    /// draws exactly the images of the naive one (same generator, same numbers bit for bit).
    @Test(arguments: PixelCNNKind.allCases, [2, 4])
    func samplersAgreeWithTheOnePassLikelihood(kind: PixelCNNKind, levels: Int) {
        let model = kind.make(height: 4, width: 5, levels: levels, depth: 3)
        var draws: [PixelSamples] = []
        for sampler in PixelCNNSampler.allCases {
            var rng = Random(seed: 11)
            let samples = Self.withSampler(model, sampler).sample(count: 5, using: &rng)
            let forced = model.logLikelihoods(samples.pixels)
            for (a, b) in zip(forced, samples.logProbabilities) {
                #expect(
                    Swift.abs(a - b) <= 1e-10 * Swift.max(1, Swift.abs(a)), "\(sampler): one pass \(a), sampled \(b)")
            }
            draws.append(samples)
        }
        #expect(draws[0].pixels == draws[1].pixels)
        #expect(draws[0].stepLogProbabilities == draws[1].stepLogProbabilities)
        #expect(Set((0..<5).map { draws[0].pixels[($0 * 20)..<(($0 + 1) * 20)] }).count > 1)
    }

    /// The same in Float, the precision the chapter samples in: bit-identical draws, and the
    /// completions keep their given pixels.
    @Test(arguments: [false, true])
    func cachedSamplerMatchesTheNaiveOneInFloat(gated: Bool) {
        var rng = Random(seed: 3)
        var model: any AutoregressiveImageModel<Float> =
            gated
            ? GatedPixelCNN<Float>(height: 5, width: 4, levels: 3, channels: 4, layers: 3, firstKernel: 5, using: &rng)
            : PixelCNN<Float>(height: 5, width: 4, levels: 3, channels: 6, maskedLayers: 2, firstKernel: 5, using: &rng)
        let images = Fixtures.randomPixels(count: 2, dimension: 20, levels: 3, seed: 8)
        var results: [PixelSamples] = []
        for sampler in PixelCNNSampler.allCases {
            if var m = model as? PixelCNN<Float> {
                m.sampler = sampler
                model = m
            }
            if var m = model as? GatedPixelCNN<Float> {
                m.sampler = sampler
                model = m
            }
            var draw = Random(seed: 17)
            let done = model.completions(of: images, keeping: 7, samplesPerImage: 3, using: &draw)
            for c in 0..<6 {
                #expect(Array(done.pixels[(c * 20)..<(c * 20 + 7)]) == Array(images[(c / 3 * 20)..<(c / 3 * 20 + 7)]))
            }
            results.append(done)
        }
        #expect(results[0].pixels == results[1].pixels)
        #expect(results[0].stepLogProbabilities == results[1].stepLogProbabilities)
    }

    /// One parallel pass to train, H * W steps to sample, whichever sampler.
    @Test(arguments: PixelCNNKind.allCases)
    func sequentialStepsAreCounted(kind: PixelCNNKind) {
        let model = kind.make(height: 3, width: 5, levels: 3, depth: 2)
        let images = Fixtures.randomPixels(count: 4, dimension: 15, levels: 3, seed: 1)
        model.steps.reset()
        _ = model.logLikelihoods(images)
        #expect(model.steps.teacherForced == 1 && model.trainingSteps == 1 && model.steps.sampling == 0)
        for sampler in PixelCNNSampler.allCases {
            model.steps.reset()
            var rng = Random(seed: 1)
            _ = Self.withSampler(model, sampler).sample(count: 4, using: &rng)
            #expect(model.steps.sampling == 15 && model.samplingSteps == 15, "\(sampler)")
        }
    }

    /// A small PixelCNN learns a dependency a pixel-independent model cannot: 2x2 images whose
    /// second row copies the first (entropy 2 ln 3); the independent model needs 4 ln 3.
    @Test(arguments: [false, true])
    func learnsACopyDependency(gated: Bool) {
        var rng = Random(seed: 21)
        let model: any AutoregressiveImageModel<Float> =
            gated
            ? GatedPixelCNN(height: 2, width: 2, levels: 3, channels: 6, layers: 2, firstKernel: 3, using: &rng)
            : PixelCNN(height: 2, width: 2, levels: 3, channels: 8, maskedLayers: 1, firstKernel: 3, using: &rng)
        let adam = Adam<Float>(learningRate: 0.03)
        var rows: [UInt8] = []
        for a in 0..<3 { for b in 0..<3 { rows += [UInt8(a), UInt8(b), UInt8(a), UInt8(b)] } }
        for _ in 0..<100 {
            let (_, grads) = valueAndGradient(of: model.parameters) { model.loss(rows) }
            adam.update(model.parameters, with: grads)
        }
        let entropy = 2 * Foundation.log(3.0)
        #expect(model.meanNLL(rows) < entropy + 0.05, "NLL \(model.meanNLL(rows)) nats, entropy \(entropy)")
    }
}
