import Foundation
import Tensors

/// A random "teacher": a fully visible autoregressive model of binary H x W images whose log p(x)
/// is exact, to train students on and to measure how far they stay from the truth.
///
/// With the pixels in raster order x_1 ... x_D (D = H * W, row by row), each conditional is logistic:
///
///     p(x_i = 1 | x_<i) = sigmoid(a_i),   a_i = b_i + sum_{j<i} w_ij x_j
///     log p(x) = sum_i [x_i log sigmoid(a_i) + (1 - x_i) log sigmoid(-a_i)]
///
/// This is the FVSBN (Frey 1998) / NADE family without hidden units. Sampling is ancestral: draw
/// x_1, then x_2 given x_1, and so on. The entropy has no closed form for large D; estimate it as
/// the mean of -log p(x) over samples (`entropyEstimate`), or enumerate for D <= 20 or so.
public struct TeacherAutoregressive: Sendable {
    public let height: Int
    public let width: Int
    /// `weights[i]` holds w_i1 ... w_i(i-1): i entries for pixel i (0-based), empty for the first.
    public let weights: [[Double]]
    /// b_i, one per pixel.
    public let biases: [Double]

    /// A teacher with the given weights (`weights[i].count == i`) and biases (D of each).
    public init(height: Int, width: Int, weights: [[Double]], biases: [Double]) {
        let d = height * width
        precondition(biases.count == d && weights.count == d, "need \(d) biases and \(d) weight rows")
        precondition(weights.indices.allSatisfy { weights[$0].count == $0 }, "weights[i] must have i entries")
        self.height = height
        self.width = width
        self.weights = weights
        self.biases = biases
    }

    /// A seeded random teacher: w_ij ~ N(0, weightScale^2 / i) and b_i ~ N(0, biasScale^2).
    /// Dividing the weight variance by the number of parents i keeps the logits' spread about the
    /// same for every pixel (about weightScale / sqrt(2) with half the parents on), so late pixels
    /// are not all nearly deterministic. With the defaults the entropy is about 0.42 nats per pixel
    /// at any size (ln 2 = 0.69 would be coin flips) and about half the pixels are on.
    public init(height: Int, width: Int, weightScale: Double = 3, biasScale: Double = 1, using rng: inout Random) {
        let d = height * width
        var weights: [[Double]] = []
        var biases: [Double] = []
        for i in 0..<d {
            let std = i == 0 ? 0 : weightScale / Double(i).squareRoot()
            weights.append((0..<i).map { _ in std * rng.normal() })
            biases.append(biasScale * rng.normal())
        }
        self.init(height: height, width: width, weights: weights, biases: biases)
    }

    /// D = H * W.
    public var dimension: Int { height * width }

    /// p(x_i = 1 | x_<i) for every i: D values (each uses only the pixels before it).
    public func conditionals<C: Collection>(_ x: C) -> [Double] where C.Element == UInt8 {
        logits(Array(x)).map { 1 / (1 + Foundation.exp(-$0)) }
    }

    /// log p(x) in nats for one image of D values 0/1, row-major.
    public func logProbability<C: Collection>(_ x: C) -> Double where C.Element == UInt8 {
        let v = Array(x)
        precondition(v.count == dimension && v.allSatisfy { $0 <= 1 }, "need \(dimension) binary pixels")
        var total = 0.0
        for (i, a) in logits(v).enumerated() {
            total += logSigmoid(v[i] == 1 ? a : -a)
        }
        return total
    }

    /// log p(x) of every image of a binary set with this teacher's size.
    public func logProbabilities(_ images: ImageSet) -> [Double] {
        precondition(
            images.levels == 2 && images.height == height && images.width == width,
            "need binary \(height)x\(width) images")
        return (0..<images.count).map { logProbability(images.image($0)) }
    }

    /// log p(x) of every image of a tensor [N, ...] with D elements per image, read as 1 where >= 0.5
    /// (the shape a model's samples come in: [N, 1, H, W] or [N, D]).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func logProbabilities<S: TensorScalar>(_ images: Tensor<S>) -> [Double] {
        precondition(
            images.rank >= 1 && images.count == images.shape[0] * dimension,
            "need [N, ...] with \(dimension) pixels per image")
        let bits = images.scalars.map { $0 >= 0.5 ? UInt8(1) : 0 }
        return (0..<images.shape[0]).map { logProbability(bits[$0 * dimension..<($0 + 1) * dimension]) }
    }

    /// `count` ancestral samples, pixel by pixel in raster order (labels all 0).
    public func sample(count: Int, using rng: inout Random) -> ImageSet {
        var pixels = [UInt8](repeating: 0, count: count * dimension)
        for n in 0..<count {
            let base = n * dimension
            for i in 0..<dimension {
                var a = biases[i]
                for (j, w) in weights[i].enumerated() where pixels[base + j] == 1 { a += w }
                if rng.uniform() < 1 / (1 + Foundation.exp(-a)) { pixels[base + i] = 1 }
            }
        }
        return ImageSet(unchecked: height, width, 2, pixels, [Int](repeating: 0, count: count))
    }

    /// The Monte-Carlo entropy estimate H ~ mean of -log p(x) over `samples` fresh samples, with its
    /// standard error (standard deviation / sqrt(samples)).
    public func entropyEstimate(samples: Int, using rng: inout Random) -> (entropy: Double, standardError: Double) {
        let nll = logProbabilities(sample(count: samples, using: &rng)).map { -$0 }
        let mean = nll.reduce(0, +) / Double(samples)
        let variance = nll.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(samples - 1, 1))
        return (mean, (variance / Double(samples)).squareRoot())
    }

    /// a_i = b_i + sum_{j<i} w_ij x_j for every i.
    private func logits(_ x: [UInt8]) -> [Double] {
        (0..<dimension).map { i in
            var a = biases[i]
            for (j, w) in weights[i].enumerated() where x[j] == 1 { a += w }
            return a
        }
    }
}

/// log sigmoid(a) = -log(1 + e^(-a)), computed without overflow for large |a|.
func logSigmoid(_ a: Double) -> Double {
    -(Swift.max(-a, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(a))))
}
