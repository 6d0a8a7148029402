// What a VAE's decoder says about x given z: the observation model p(x|z). Every choice keeps the
// pixels independent given z, log p(x|z) = sum_i log p(x_i|z), and differs in what one pixel is:
//
// - Bernoulli (binary pixels): D logits l, p(x_i = 1|z) = sigmoid(l_i);
// - categorical (L gray levels, x_i in {0, ..., L-1}): D x L logits, p(x_i = k|z) = softmax(l_i)_k;
// - Gaussian (continuous pixels, the lecture's decoder): a mean mu_i(z) and a variance
//   sigma_i^2(z) per pixel,
//       log p(x|z) = -1/2 sum_i [log(2 pi sigma_i^2) + (x_i - mu_i)^2 / sigma_i^2].
//   Its log-density is unbounded above: a pixel that is (nearly) the same in every image is fitted
//   by mu_i = that value and sigma_i -> 0, where -1/2 log sigma_i^2 -> +infinity. Two ways to stop
//   it: a floor, sigma_i^2 = floor + e^(r_i) with r_i the decoder's raw output, or one variance
//   shared by every pixel and image (a parameter, not a function of z), which the many pixels
//   that vary keep away from 0.

import Foundation
import Tensors

/// How a Gaussian decoder gets its variances.
public enum GaussianDecoderVariance: Sendable, Equatable {
    /// Per pixel and a function of z: the decoder outputs D means and D raw values r, and
    /// sigma^2 = floor + e^r (floor 0: a log-variance, free to run to -infinity).
    case learned(floor: Double)
    /// One log-variance for all pixels and images, a trainable parameter of its own.
    case shared
}

/// The observation model p(x|z) of a VAE's decoder (see the file's comment).
public enum VAELikelihood: Sendable, Equatable {
    /// Binary pixels: one logit per pixel.
    case bernoulli
    /// Pixels with `levels` gray levels, given as the level 0..<levels: `levels` logits per pixel.
    case categorical(levels: Int)
    /// Continuous pixels: a mean per pixel, and the variance as `variance` says.
    case gaussian(variance: GaussianDecoderVariance)

    /// How many numbers the decoder network outputs per pixel.
    public var outputsPerPixel: Int {
        switch self {
        case .bernoulli: 1
        case .categorical(let levels): levels
        case .gaussian(.learned): 2
        case .gaussian(.shared): 1
        }
    }

    /// A short name for tables ("Bernoulli", "17-level categorical", "Gaussian, learned variance").
    public var name: String {
        switch self {
        case .bernoulli: "Bernoulli"
        case .categorical(let levels): "\(levels)-level categorical"
        case .gaussian(.learned(let floor)) where floor > 0: "Gaussian, learned variance >= \(floor)"
        case .gaussian(.learned): "Gaussian, learned variance"
        case .gaussian(.shared): "Gaussian, shared variance"
        }
    }
}

/// The log-likelihoods of the observation models, each summed over the last (pixel) axis, as
/// static functions of tensors so that tests can check them against closed forms and their
/// gradients against finite differences.
public enum DecoderLogLikelihood {
    /// log p(x|z) = sum_i log softmax(l_i)[x_i] for logits [..., D * L] (pixel i's L logits
    /// consecutive) and levels x [..., D] holding integers 0..<L: the shape [...].
    public static func categorical<S: TensorScalar>(logits: Tensor<S>, levels x: Tensor<S>, levelCount: Int) -> Tensor<
        S
    > {
        let d = x.shape.last!
        precondition(
            logits.shape.dropLast() == x.shape.dropLast() && logits.shape.last == d * levelCount,
            "categorical log-likelihood: logits \(logits.shape) do not hold \(levelCount) per pixel of \(x.shape)")
        let labels = x.scalars.map { value -> Int in
            let k = Int(Double(value).rounded())
            precondition(
                k >= 0 && k < levelCount && Double(k) == Double(value),
                "a level must be an integer in 0..<\(levelCount), got \(value)")
            return k
        }
        let perPixel = Tensor.crossEntropy(logits: logits.reshaped(x.shape + [levelCount]), labels: labels)  // [..., D]
        return -perPixel.sum(alongAxis: -1)
    }

    /// log p(x|z) = sum_i log N(x_i; mean_i, e^logVariance_i) for tensors of the same shape
    /// [..., D] (or a log-variance that broadcasts to it): the shape [...].
    public static func gaussian<S: TensorScalar>(_ x: Tensor<S>, mean: Tensor<S>, logVariance: Tensor<S>) -> Tensor<S> {
        Tensor.gaussianLogDensity(x, mean: mean, logVariance: logVariance).sum(alongAxis: -1)
    }

    /// The log-variance log(floor + e^r) of a learned variance with a floor (r itself when the
    /// floor is 0), elementwise.
    public static func flooredLogVariance<S: TensorScalar>(raw r: Tensor<S>, floor: Double) -> Tensor<S> {
        floor > 0 ? (r.exp() + S(floor)).log() : r
    }
}
