import Foundation
import Tensors

/// A mixture of Gaussians on the line:
///
///     p(x) = sum_k pi_k N(x; mu_k, sigma_k^2),   N(x; mu, s^2) = exp(-(x - mu)^2 / (2 s^2)) / sqrt(2 pi s^2)
///
/// log p(x) is computed as a log-sum-exp, so it stays finite far in the tails.
public struct GaussianMixture1D: Sendable {
    /// pi_k, normalised to sum to 1.
    public let weights: [Double]
    public let means: [Double]
    public let standardDeviations: [Double]

    /// Weights need only be positive; they are normalised.
    public init(weights: [Double], means: [Double], standardDeviations: [Double]) {
        precondition(!weights.isEmpty && weights.count == means.count && means.count == standardDeviations.count)
        precondition(weights.allSatisfy { $0 > 0 } && standardDeviations.allSatisfy { $0 > 0 })
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
        self.means = means
        self.standardDeviations = standardDeviations
    }

    /// log p(x).
    public func logDensity(_ x: Double) -> Double {
        logSumExp(
            weights.indices.map { k in
                let z = (x - means[k]) / standardDeviations[k]
                return Foundation.log(weights[k]) - 0.5 * z * z - Foundation.log(standardDeviations[k]) - halfLog2Pi
            })
    }

    /// p(x).
    public func density(_ x: Double) -> Double { Foundation.exp(logDensity(x)) }

    /// One draw: a component k with probability pi_k, then mu_k + sigma_k * N(0, 1).
    public func sample(using rng: inout Random) -> Double {
        let k = rng.categorical(weights)
        return means[k] + standardDeviations[k] * rng.normal()
    }

    /// `count` draws as a tensor of shape [count, 1].
    public func samples(_ count: Int, using rng: inout Random) -> Tensor<Float> {
        Tensor(shape: [count, 1], scalars: (0..<count).map { _ in Float(sample(using: &rng)) })
    }
}

/// A Gaussian in the plane with full covariance [[varianceX, covarianceXY], [covarianceXY, varianceY]].
public struct Gaussian2D: Sendable, Equatable {
    public let mean: SIMD2<Double>
    public let varianceX: Double
    public let covarianceXY: Double
    public let varianceY: Double
    // The Cholesky factor [[l11, 0], [l21, l22]] of the covariance.
    private let l11: Double, l21: Double, l22: Double

    public init(mean: SIMD2<Double>, varianceX: Double, covarianceXY: Double = 0, varianceY: Double) {
        precondition(
            varianceX > 0 && varianceY > 0 && varianceX * varianceY > covarianceXY * covarianceXY,
            "the covariance must be positive definite")
        self.mean = mean
        self.varianceX = varianceX
        self.covarianceXY = covarianceXY
        self.varianceY = varianceY
        l11 = varianceX.squareRoot()
        l21 = covarianceXY / l11
        l22 = (varianceY - l21 * l21).squareRoot()
    }

    /// An isotropic Gaussian, covariance s^2 I.
    public init(mean: SIMD2<Double>, standardDeviation s: Double) {
        self.init(mean: mean, varianceX: s * s, varianceY: s * s)
    }

    /// log N(p; mean, Sigma) = -log(2 pi) - log det Sigma / 2 - |L^-1 (p - mean)|^2 / 2.
    public func logDensity(_ p: SIMD2<Double>) -> Double {
        let d = p - mean
        let u1 = d.x / l11
        let u2 = (d.y - l21 * u1) / l22
        return -Foundation.log(2 * Double.pi) - Foundation.log(l11 * l22) - 0.5 * (u1 * u1 + u2 * u2)
    }

    /// mean + L e with e ~ N(0, I).
    public func sample(using rng: inout Random) -> SIMD2<Double> {
        let e1 = rng.normal()
        let e2 = rng.normal()
        return mean + SIMD2(l11 * e1, l21 * e1 + l22 * e2)
    }
}

/// A mixture of Gaussians in the plane, p(x) = sum_k pi_k N(x; mu_k, Sigma_k). `ring` and `grid`
/// are the usual test beds for mode collapse in GANs.
public struct GaussianMixture2D: Sendable {
    /// pi_k, normalised to sum to 1.
    public let weights: [Double]
    public let components: [Gaussian2D]

    public init(weights: [Double], components: [Gaussian2D]) {
        precondition(!weights.isEmpty && weights.count == components.count && weights.allSatisfy { $0 > 0 })
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
        self.components = components
    }

    /// `count` equal Gaussians with covariance s^2 I, their means evenly on a circle of `radius`
    /// around the origin, the first at (radius, 0): mu_k = radius (cos 2 pi k / count, sin 2 pi k / count).
    /// The defaults are the ring of 8 of Metz et al. (2017), Unrolled GANs.
    public static func ring(count: Int = 8, radius: Double = 2, standardDeviation s: Double = 0.02) -> GaussianMixture2D
    {
        let components = (0..<count).map { k -> Gaussian2D in
            let angle = 2 * Double.pi * Double(k) / Double(count)
            return Gaussian2D(
                mean: SIMD2(radius * Foundation.cos(angle), radius * Foundation.sin(angle)), standardDeviation: s)
        }
        return GaussianMixture2D(weights: [Double](repeating: 1, count: count), components: components)
    }

    /// side x side equal Gaussians with covariance s^2 I, centred on a square grid with `spacing`
    /// around the origin. The defaults are the grid of 25 at -4, -2, 0, 2, 4 (VEEGAN, PacGAN).
    public static func grid(side: Int = 5, spacing: Double = 2, standardDeviation s: Double = 0.05) -> GaussianMixture2D
    {
        let offset = Double(side - 1) / 2
        let components = (0..<side * side).map { k in
            Gaussian2D(
                mean: SIMD2((Double(k % side) - offset) * spacing, (Double(k / side) - offset) * spacing),
                standardDeviation: s)
        }
        return GaussianMixture2D(weights: [Double](repeating: 1, count: side * side), components: components)
    }

    /// log p(x), as a log-sum-exp over components.
    public func logDensity(_ p: SIMD2<Double>) -> Double {
        logSumExp(components.indices.map { Foundation.log(weights[$0]) + components[$0].logDensity(p) })
    }

    /// p(x).
    public func density(_ p: SIMD2<Double>) -> Double { Foundation.exp(logDensity(p)) }

    /// One draw: a component k with probability pi_k, then a draw from it.
    public func sample(using rng: inout Random) -> SIMD2<Double> {
        components[rng.categorical(weights)].sample(using: &rng)
    }

    /// `count` draws as a tensor of shape [count, 2] (x, y per row).
    public func samples(_ count: Int, using rng: inout Random) -> Tensor<Float> {
        var out: [Float] = []
        out.reserveCapacity(2 * count)
        for _ in 0..<count {
            let p = sample(using: &rng)
            out += [Float(p.x), Float(p.y)]
        }
        return Tensor(shape: [count, 2], scalars: out)
    }
}

/// log(2 pi) / 2.
let halfLog2Pi = 0.5 * Foundation.log(2 * Double.pi)

/// log sum_k exp(a_k), shifted by the largest term so nothing overflows.
func logSumExp(_ a: [Double]) -> Double {
    guard let m = a.max(), m > -Double.infinity else { return -Double.infinity }
    return m + Foundation.log(a.reduce(0) { $0 + Foundation.exp($1 - m) })
}
