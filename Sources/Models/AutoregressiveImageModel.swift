import Foundation
import Tensors

/// An autoregressive model of images: the chain rule in raster order,
///
///     p(x) = prod_{i=1}^{D} p(x_i | x_1, ..., x_{i-1}),
///
/// whatever network computes the conditionals: a recurrent one that carries x_<i in its state
/// (`PixelRNN`: `RasterLSTM`, `RowLSTM`) or masked convolutions that see only x_<i (`PixelCNN`,
/// `GatedPixelCNN`). What differs between them is how many steps must wait for each other
/// (`trainingSteps`, `samplingSteps`); training, evaluation, sampling and completion are the same
/// and are written once, in the extension below. (Chapter 1's `AutoregressivePixelModel` is the
/// flat-vector cousin: inputs [N, D] of scaled levels, no notion of rows.)
///
/// Images are flat rows of D = height * width levels in `0..<levels`, row-major (the layout of
/// `ImageSet.pixels`). The network reads every pixel as a short vector e(v) (`inputs`): the level
/// scaled to [0, 1], v / (K - 1), followed by its one-hot code when K > 2, so that the network
/// can treat levels as ordered and as categories alike. With `levels == 2` each conditional is a
/// Bernoulli with one logit, p(x_i = 1 | x_<i) = sigmoid(a_i); with more levels it is a softmax
/// over `levels` logits.
public protocol AutoregressiveImageModel<Scalar>: Layer {
    /// Rows and columns of an image.
    var height: Int { get }
    var width: Int { get }
    /// K: levels of every pixel (2: Bernoulli).
    var levels: Int { get }
    /// The logits of every conditional in one teacher-forced pass, from inputs [N, D, E] (see
    /// `inputs`): [N, D] when K = 2, [N, D, K] otherwise. Logit i depends only on inputs j < i.
    func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar>
    /// Completes images pixel by pixel: of each image in `pixels` (N x D levels) the first `given`
    /// pixels in raster order are kept, the others are drawn from the model's conditionals.
    /// The result holds log p(x_i | x_<i) of every pixel, kept or drawn.
    func complete(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples
    /// Sequential network steps of one teacher-forced pass (training, evaluation), by design: D
    /// for the raster LSTM, H for the Row LSTM, 1 for a PixelCNN (one parallel pass).
    var trainingSteps: Int { get }
    /// Sequential network steps to sample one image (or a batch of images at once), by design.
    var samplingSteps: Int { get }
    /// The sequential steps the model actually ran, counted as they run (see `SequentialSteps`).
    var steps: SequentialSteps { get }
    /// Whether e(v) carries the one-hot code of v after the scaled level (when K > 2). True unless
    /// a model says otherwise.
    var oneHotInputs: Bool { get }
    /// Multiply-adds per pixel of one pass (the weights a pixel's computation touches, once):
    /// what makes the models' times comparable at equal arithmetic.
    var multiplyAddsPerPixel: Int { get }
}

/// A tally of the sequential steps a model runs: one per application of its recurrence (a pixel
/// for the raster LSTM, a row for the Row LSTM; one whole pass for a PixelCNN) in a
/// teacher-forced pass, one per pixel drawn or kept in sampling. Each step must wait for the one
/// before, so these counts, not the FLOPs, set the shortest possible time of a pass. A class,
/// shared by copies of the model.
public final class SequentialSteps: @unchecked Sendable {
    public internal(set) var teacherForced = 0
    public internal(set) var sampling = 0
    public init() {}
    public func reset() {
        teacherForced = 0
        sampling = 0
    }
}

extension AutoregressiveImageModel {
    public var oneHotInputs: Bool { true }

    /// D = height * width.
    public var dimension: Int { height * width }
    /// Logits per pixel: 1 for a Bernoulli, K otherwise.
    public var outputsPerPixel: Int { levels == 2 ? 1 : levels }

    /// E: the length of a pixel's input vector e(v), 1 for K = 2 (or without the one-hot code),
    /// K + 1 otherwise.
    public var encodingSize: Int { ImageSampling.encodingSize(levels: levels, oneHot: oneHotInputs) }

    /// e(v) of every pixel, row-major N x D x E: [v / (K - 1)] for K = 2 (or without the one-hot
    /// code), [v / (K - 1), one-hot(v)] otherwise.
    public func encoded(_ pixels: [UInt8]) -> [Scalar] {
        ImageSampling.encode(pixels, levels: levels, oneHot: oneHotInputs)
    }

    /// The number of images in `pixels` (N x D levels), after checking that they are whole images
    /// and that `given` (the pixels a completion keeps) is between 0 and D: what every sampler checks first.
    func imageCount(_ pixels: [UInt8], keeping given: Int) -> Int {
        precondition(
            pixels.count % dimension == 0, "\(pixels.count) levels is not a whole number of \(height)x\(width) images")
        precondition((0...dimension).contains(given), "can keep 0...\(dimension) pixels, not \(given)")
        return pixels.count / dimension
    }

    /// Network inputs for images given as levels: [N, D, E], e(v) for every pixel.
    public func inputs(_ pixels: [UInt8]) -> Tensor<Scalar> {
        precondition(
            pixels.count % dimension == 0, "\(pixels.count) levels is not a whole number of \(height)x\(width) images")
        precondition(pixels.allSatisfy { Int($0) < levels }, "a level is outside 0..<\(levels)")
        return Tensor(shape: [pixels.count / dimension, dimension, encodingSize], scalars: encoded(pixels))
    }

    /// log p(x) of every image, [N], in one teacher-forced pass: the sum over i of
    /// log p(x_i | x_<i) = -BCE(a_i, x_i) for K = 2, log softmax(a_i)[x_i] otherwise.
    /// Differentiable with respect to the parameters (this is the training objective).
    public func logLikelihood(_ pixels: [UInt8]) -> Tensor<Scalar> {
        let a = logits(inputs(pixels))
        if levels == 2 {
            let targets = Tensor<Scalar>(shape: a.shape, scalars: pixels.map { Scalar($0) })
            return -Tensor.binaryCrossEntropy(logits: a, targets: targets).sum(alongAxis: 1)
        }
        return -Tensor.crossEntropy(logits: a, labels: pixels.map { Int($0) }).sum(alongAxis: 1)
    }

    /// The training loss: mean negative log-likelihood in nats per image.
    public func loss(_ pixels: [UInt8]) -> Tensor<Scalar> { -logLikelihood(pixels).mean() }

    /// log p(x) of every image, evaluated in batches without recording gradients.
    public func logLikelihoods(_ pixels: [UInt8], batchSize: Int = 250) -> [Double] {
        perImage(pixels, dimension: dimension, batchSize: batchSize, logLikelihood)
    }

    /// Mean negative log-likelihood in nats per image.
    public func meanNLL(_ pixels: [UInt8], batchSize: Int = 250) -> Double {
        let lp = logLikelihoods(pixels, batchSize: batchSize)
        return -lp.reduce(0, +) / Double(Swift.max(lp.count, 1))
    }

    /// `count` images drawn pixel by pixel from nothing (ancestral sampling).
    public func sample(count: Int, using rng: inout Random) -> PixelSamples {
        complete([UInt8](repeating: 0, count: count * dimension), keeping: 0, using: &rng)
    }

    /// `samplesPerImage` completions of every image: the first `given` pixels kept, the rest drawn.
    /// Completions of image n are rows n * samplesPerImage ..< (n + 1) * samplesPerImage.
    public func completions(
        of pixels: [UInt8], keeping given: Int, samplesPerImage: Int, using rng: inout Random
    ) -> PixelSamples {
        let d = dimension
        var repeated: [UInt8] = []
        repeated.reserveCapacity(pixels.count * samplesPerImage)
        for n in 0..<(pixels.count / d) {
            for _ in 0..<samplesPerImage { repeated += pixels[n * d..<(n + 1) * d] }
        }
        return complete(repeated, keeping: given, using: &rng)
    }

    /// p(x_i = k | x_<i) for k in 0..<K, for pixel `index` of every image in `pixels`, read from
    /// the teacher-forced pass (for K = 2: [1 - p, p]).
    public func predictedDistribution(ofPixel index: Int, in pixels: [UInt8]) -> [[Double]] {
        let a = withoutGradient { logits(inputs(pixels)) }
        let n = pixels.count / dimension
        let k = outputsPerPixel
        return (0..<n).map { m in
            let row = a.scalars[(m * dimension + index) * k..<(m * dimension + index + 1) * k].map { Double($0) }
            return ImageSampling.probabilities(row, levels: levels)
        }
    }
}

/// The pixel code e(v) and the last step of every sampler: one level drawn from the conditional
/// given by its logits. (The loops over elements are pre-specialised for Float and Double: called
/// unspecialised from a chapter, generic element loops run 10-100x slower.)
enum ImageSampling {
    /// E: the length of e(v).
    static func encodingSize(levels: Int, oneHot: Bool = true) -> Int { levels == 2 || !oneHot ? 1 : levels + 1 }

    /// e(v) for every level in `pixels`, row-major [count, E] (see `AutoregressiveImageModel.encoded`).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func encode<S: TensorScalar>(_ pixels: [UInt8], levels: Int, oneHot: Bool = true) -> [S] {
        let e = encodingSize(levels: levels, oneHot: oneHot)
        var out = [S](repeating: 0, count: pixels.count * e)
        let scale = S(levels - 1)
        for (p, v) in pixels.enumerated() {
            out[p * e] = S(v) / scale
            if e > 1 { out[p * e + 1 + Int(v)] = 1 }
        }
        return out
    }

    /// e(v) of one pixel of each of N images as a feature [1, E, 1, N] (images side by side, as
    /// the cached samplers keep their features).
    static func codes<M: AutoregressiveImageModel>(of levels: [UInt8], _ model: M) -> Tensor<M.Scalar> {
        let (n, e) = (levels.count, model.encodingSize)
        let code = model.encoded(levels)
        return Tensor(shape: [1, e, 1, n], scalars: (0..<(e * n)).map { code[($0 % n) * e + $0 / n] })
    }

    /// p(level) for the logits of one pixel (one logit for K = 2, K otherwise).
    static func probabilities(_ logits: [Double], levels: Int) -> [Double] {
        if levels == 2 {
            let p = 1 / (1 + Foundation.exp(-logits[0]))
            return [1 - p, p]
        }
        let m = logits.max()!
        let w = logits.map { Foundation.exp($0 - m) }
        let z = w.reduce(0, +)
        return w.map { $0 / z }
    }

    /// log p(level) under the logits of one pixel, stably: log sigmoid(+-a) for K = 2,
    /// a_k - logsumexp(a) otherwise.
    static func logProbability(of level: Int, _ logits: ArraySlice<Double>, levels: Int) -> Double {
        if levels == 2 {
            let a = logits[logits.startIndex]
            let s = level == 1 ? a : -a
            return -(Swift.max(-s, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(s))))
        }
        let m = logits.max()!
        let z = logits.reduce(0) { $0 + Foundation.exp($1 - m) }
        return logits[logits.startIndex + level] - m - Foundation.log(z)
    }

    /// A level drawn from the logits of one pixel (a uniform draw for K = 2, `categorical` otherwise).
    static func draw(_ logits: ArraySlice<Double>, levels: Int, using rng: inout Random) -> Int {
        if levels == 2 {
            return rng.uniform() < 1 / (1 + Foundation.exp(-logits[logits.startIndex])) ? 1 : 0
        }
        let m = logits.max()!
        return rng.categorical(logits.map { Foundation.exp($0 - m) })
    }

    /// For pixel `index` of every image: keeps the given level (index < given) or draws one, writes
    /// it into `pixels`, and records its log-probability. `logits` is [N, outputs] for this pixel.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func step<S: TensorScalar>(
        _ logits: Tensor<S>, index: Int, given: Int, levels: Int, dimension: Int, pixels: inout [UInt8],
        logProbabilities: inout [Double], using rng: inout Random
    ) {
        let k = logits.shape[logits.rank - 1]
        let values = logits.scalars.map { Double($0) }
        for n in 0..<(logits.count / k) {
            let row = values[n * k..<(n + 1) * k]
            let at = n * dimension + index
            let level = index < given ? Int(pixels[at]) : draw(row, levels: levels, using: &rng)
            pixels[at] = UInt8(level)
            logProbabilities[at] = logProbability(of: level, row, levels: levels)
        }
    }
}
