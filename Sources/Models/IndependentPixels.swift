import Foundation
import Tensors

/// Independent pixels: the model without the chain rule, p(x) = prod_i p_i(x_i), one categorical
/// over K levels per pixel (a Bernoulli when K = 2).
///
/// Its maximum-likelihood fit is closed-form: p_i(k) = n_ik / N, the fraction of training images
/// whose pixel i has level k. With `pseudocount` alpha (add-alpha, Laplace smoothing for alpha = 1)
///
///     p_i(k) = (n_ik + alpha) / (N + K alpha),
///
/// so that a level never seen in training does not get probability 0 (an infinite test NLL).
public struct IndependentPixels: Sendable {
    public let dimension: Int
    public let levels: Int
    /// D x K probabilities, row i the categorical of pixel i.
    public let probabilities: [Double]

    /// Fits by counting the N x D levels of `pixels`.
    public init(counting pixels: [UInt8], dimension: Int, levels: Int, pseudocount: Double = 1) {
        precondition(
            dimension > 0 && pixels.count % dimension == 0,
            "\(pixels.count) levels is not a whole number of images of \(dimension)")
        precondition(pseudocount >= 0, "the pseudocount must be >= 0, got \(pseudocount)")
        let n = pixels.count / dimension
        var counts = [Double](repeating: 0, count: dimension * levels)
        for (index, v) in pixels.enumerated() {
            precondition(Int(v) < levels, "level \(v) is outside 0..<\(levels)")
            counts[(index % dimension) * levels + Int(v)] += 1
        }
        let denominator = Double(n) + Double(levels) * pseudocount
        precondition(denominator > 0, "no images and no pseudocount: nothing to estimate from")
        self.init(dimension: dimension, levels: levels, probabilities: counts.map { ($0 + pseudocount) / denominator })
    }

    /// A model with the given D x K probabilities (each row sums to 1).
    public init(dimension: Int, levels: Int, probabilities: [Double]) {
        precondition(probabilities.count == dimension * levels, "need \(dimension) x \(levels) probabilities")
        self.dimension = dimension
        self.levels = levels
        self.probabilities = probabilities
    }

    /// log p(x) = sum_i log p_i(x_i) for every image of `pixels` (N x D levels).
    public func logProbabilities(_ pixels: [UInt8]) -> [Double] {
        precondition(
            pixels.count % dimension == 0, "\(pixels.count) levels is not a whole number of images of \(dimension)")
        let logP = probabilities.map { Foundation.log($0) }
        return (0..<pixels.count / dimension).map { n in
            var total = 0.0
            for i in 0..<dimension { total += logP[i * levels + Int(pixels[n * dimension + i])] }
            return total
        }
    }

    /// Mean negative log-likelihood in nats per image.
    public func meanNLL(_ pixels: [UInt8]) -> Double {
        let lp = logProbabilities(pixels)
        return -lp.reduce(0, +) / Double(Swift.max(lp.count, 1))
    }

    /// The entropy of the model, sum_i H(p_i): its own expected NLL on its own samples. Fitted
    /// without smoothing, it is also the training NLL (the closed form of the counting MLE).
    public var entropy: Double {
        probabilities.reduce(0) { $0 - ($1 > 0 ? $1 * Foundation.log($1) : 0) }
    }

    /// The mean level of every pixel in [0, 1]: sum_k p_i(k) k / (K - 1) (the marginal heat map).
    public var meanIntensity: [Double] {
        (0..<dimension).map { i in
            (0..<levels).reduce(0) { $0 + probabilities[i * levels + $1] * Double($1) } / Double(levels - 1)
        }
    }

    /// `count` images, every pixel drawn on its own: N x D levels.
    public func sample(count: Int, using rng: inout Random) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count * dimension)
        for _ in 0..<count {
            for i in 0..<dimension {
                out.append(UInt8(rng.categorical(Array(probabilities[i * levels..<(i + 1) * levels]))))
            }
        }
        return out
    }
}
