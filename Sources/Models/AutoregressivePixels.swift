import Foundation
import Tensors

/// A model of discrete images by the chain rule over their values in a fixed order:
///
///     p(x) = prod_i p(x_i | x_1, ..., x_{i-1})
///
/// Images are flat rows of `dimension` levels in `0..<levels`, in the model's order (raster order
/// for gray images; pixel by pixel, R then G then B inside a pixel, for colour). The network reads
/// the levels scaled to [0, 1], v / (levels - 1), and outputs the parameters of every conditional
/// at once (one pass for log p(x), the point of masking); sampling is the slow direction, one value
/// after another.
///
/// With `levels == 2` each conditional is a Bernoulli with one logit,
/// p(x_i = 1 | x_<i) = sigmoid(a_i); with more levels it is a softmax over `levels` logits.
public protocol AutoregressivePixelModel<Scalar>: Layer {
    associatedtype Scalar
    /// D: values per image.
    var dimension: Int { get }
    /// K: levels of every value (2: Bernoulli).
    var levels: Int { get }
    /// The logits of every conditional from inputs [N, D] scaled to [0, 1]: [N, D] when K = 2,
    /// [N, D, K] otherwise. Logit i may depend only on the inputs before i in the model's order.
    func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar>
    /// The bias added to every logit, [D] or [D * K].
    var outputBias: Parameter<Scalar> { get }
    /// `count` ancestral samples drawn value by value, each with the log-probability of every step.
    func sample(count: Int, using rng: inout Random) -> PixelSamples
}

/// What an ancestral sampler drew: the images and log p(x_i | x_<i) of every step taken.
public struct PixelSamples: Sendable {
    /// N x D levels, row-major.
    public var pixels: [UInt8]
    /// N x D log-probabilities in nats, log p(x_i | x_<i) of the level drawn at step i.
    public var stepLogProbabilities: [Double]
    public let dimension: Int

    public init(pixels: [UInt8], stepLogProbabilities: [Double], dimension: Int) {
        self.pixels = pixels
        self.stepLogProbabilities = stepLogProbabilities
        self.dimension = dimension
    }

    public var count: Int { dimension == 0 ? 0 : pixels.count / dimension }

    /// log p(x) of every sample as the sampler saw it: the sum of its steps.
    public var logProbabilities: [Double] {
        (0..<count).map { n in stepLogProbabilities[n * dimension..<(n + 1) * dimension].reduce(0, +) }
    }
}

extension AutoregressivePixelModel {
    /// Sets the output biases to the log-odds (log-probabilities, for K > 2) of the independent
    /// model's marginals: with small weights the model starts at the independent model's NLL
    /// instead of near the uniform one, and training only has to learn the dependencies.
    public func startFrom(_ independent: IndependentPixels) {
        precondition(
            independent.dimension == dimension && independent.levels == levels, "the independent model has another size"
        )
        outputBias.value = Tensor(shape: outputBias.shape, scalars: independent.biasLogits.map { Scalar($0) })
    }

    /// Network inputs for images given as levels: [N, D] with values v / (K - 1).
    public func inputs(_ pixels: [UInt8]) -> Tensor<Scalar> {
        precondition(
            pixels.count % dimension == 0, "\(pixels.count) levels is not a whole number of images of \(dimension)")
        let table = (0..<levels).map { Scalar($0) / Scalar(levels - 1) }
        return Tensor(shape: [pixels.count / dimension, dimension], scalars: pixels.map { table[Int($0)] })
    }

    /// log p(x) of every image, [N], in one pass of the network: the sum over i of
    /// log p(x_i | x_<i) = -BCE(a_i, x_i) for K = 2, log softmax(a_i)[x_i] otherwise.
    /// Differentiable with respect to the parameters (this is the training objective).
    public func logProbability(_ pixels: [UInt8]) -> Tensor<Scalar> {
        precondition(pixels.allSatisfy { Int($0) < levels }, "a level is outside 0..<\(levels)")
        let x = inputs(pixels)
        let a = logits(x)
        if levels == 2 {
            return -Tensor.binaryCrossEntropy(logits: a, targets: x).sum(alongAxis: 1)
        }
        return -Tensor.crossEntropy(logits: a, labels: pixels.map { Int($0) }).sum(alongAxis: 1)
    }

    /// The training loss: mean negative log-likelihood in nats per image.
    public func loss(_ pixels: [UInt8]) -> Tensor<Scalar> { -logProbability(pixels).mean() }

    /// log p(x) of every image, evaluated in batches without recording gradients.
    public func logProbabilities(_ pixels: [UInt8], batchSize: Int = 500) -> [Double] {
        perImage(pixels, dimension: dimension, batchSize: batchSize, logProbability)
    }

    /// Mean negative log-likelihood in nats per image.
    public func meanNLL(_ pixels: [UInt8]) -> Double {
        let lp = logProbabilities(pixels)
        return -lp.reduce(0, +) / Double(Swift.max(lp.count, 1))
    }
}

extension IndependentPixels {
    /// The output biases that make an autoregressive model with zero weights equal to this
    /// model: log(p / (1 - p)) per value for K = 2, log p_k per value and level otherwise (a
    /// softmax is unchanged by adding a constant). D or D * K values.
    public var biasLogits: [Double] {
        if levels == 2 {
            return (0..<dimension).map { Foundation.log(probabilities[2 * $0 + 1] / probabilities[2 * $0]) }
        }
        return probabilities.map { Foundation.log($0) }
    }
}

extension Tensor {
    /// The elements as Doubles, for the samplers' scalar loops. Called through a generic model the
    /// conversion `Double(x)` runs unspecialised, one witness call per element (about 100 ns: a
    /// third of a second for MNIST MADE's weights), so Float and Double take a direct path.
    var doubleScalars: [Double] {
        if Scalar.self == Double.self { return unsafeBitCast(scalars, to: [Double].self) }
        if Scalar.self == Float.self { return unsafeBitCast(scalars, to: [Float].self).map { Double($0) } }
        return scalars.map { Double($0) }
    }
}

/// The last step of every sampler: one level drawn from the conditional given by its logits
/// (one logit for K = 2, K logits otherwise), with its log-probability.
func drawLevel(_ logits: ArraySlice<Double>, levels: Int, using rng: inout Random) -> (
    level: UInt8, logProbability: Double
) {
    if levels == 2 {
        let a = logits[logits.startIndex]
        let one = rng.uniform() < 1 / (1 + Foundation.exp(-a))
        // log sigmoid(+-a), stable for large |a|.
        let s = one ? a : -a
        return (one ? 1 : 0, -(Swift.max(-s, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(s)))))
    }
    let m = logits.max()!
    let weights = logits.map { Foundation.exp($0 - m) }
    let level = rng.categorical(weights)
    let logZ = Foundation.log(weights.reduce(0, +)) + m
    return (UInt8(level), logits[logits.startIndex + level] - logZ)
}

/// Every image of `dimension` values with `levels` levels, in counting order (the first value
/// changes slowest): levels^dimension rows. For checks that a model's probabilities sum to 1.
public func allImages(dimension: Int, levels: Int) -> [UInt8] {
    let total = Foundation.pow(Double(levels), Double(dimension))
    precondition(total <= Double(1 << 22), "\(levels)^\(dimension) images are too many to enumerate")
    let n = Int(total)
    var out = [UInt8](repeating: 0, count: n * dimension)
    for index in 0..<n {
        var rest = index
        for i in stride(from: dimension - 1, through: 0, by: -1) {
            out[index * dimension + i] = UInt8(rest % levels)
            rest /= levels
        }
    }
    return out
}

/// `f`, one value per image, of the images in `pixels` (N x D levels) taken `batchSize` at a time,
/// without recording gradients: how every model here scores a whole split.
func perImage<S: TensorScalar>(
    _ pixels: [UInt8], dimension d: Int, batchSize: Int, _ f: ([UInt8]) -> Tensor<S>
) -> [Double] {
    let n = pixels.count / d
    var out: [Double] = []
    out.reserveCapacity(n)
    withoutGradient {
        var start = 0
        while start < n {
            let end = Swift.min(start + batchSize, n)
            out += f(Array(pixels[start * d..<end * d])).doubleScalars
            start = end
        }
    }
    return out
}
