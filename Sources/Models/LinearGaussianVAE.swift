// A VAE whose every term is known in closed form: the decoder is a linear-Gaussian model
// (probabilistic PCA, `LinearGaussianModel`), z ~ N(0, I_K), x | z ~ N(W z + mu, sigma^2 I_D),
// and the encoder is linear, q(z|x) = N(A^T x + b, L L^T). Then log p(x), p(z|x), the ELBO and
// KL(q(z|x) || p(z|x)) are all exact, and the lecture's decomposition
//
//     log p(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) + KL(q(z|x) || p(z|x))
//
// can be checked to rounding error for any q, three terms computed by three separate formulas.
// The exact posterior N(M^-1 W^T (x - mu), sigma^2 M^-1) (M = W^T W + sigma^2 I) has a mean linear
// in x and a covariance that does not depend on x: a linear encoder with a full covariance can
// represent it exactly, one with a diagonal covariance (mean-field, as the VAE's) only when M is
// diagonal.

import Datasets
import Foundation
import Tensors

/// A Gaussian density N(mean, covariance) on R^K, in Double; `covariance` is K x K row-major and
/// positive definite.
public struct GaussianDensity: Sendable {
    public let mean: [Double]
    public let covariance: [Double]
    /// The Cholesky factor of the covariance.
    public let factor: Cholesky

    public init(mean: [Double], covariance: [Double]) {
        let k = mean.count
        precondition(covariance.count == k * k, "a \(k)-D Gaussian needs a \(k)x\(k) covariance")
        guard let factor = Cholesky(covariance, n: k) else {
            preconditionFailure("the covariance is not positive definite")
        }
        self.mean = mean
        self.covariance = covariance
        self.factor = factor
    }

    /// N(0, I_K).
    public static func standard(dimension k: Int) -> GaussianDensity {
        GaussianDensity(
            mean: [Double](repeating: 0, count: k), covariance: (0..<(k * k)).map { $0 % (k + 1) == 0 ? 1 : 0 })
    }

    /// K.
    public var dimension: Int { mean.count }

    /// log N(z; mean, covariance).
    public func logDensity(_ z: [Double]) -> Double { factor.logNormalDensity(z, mean: mean) }

    /// KL(self || other) = (tr(S2^-1 S1) + (m2 - m1)^T S2^-1 (m2 - m1) - K + log det S2 - log det S1) / 2.
    public func kl(to other: GaussianDensity) -> Double {
        let k = dimension
        precondition(other.dimension == k, "KL between Gaussians of dimensions \(k) and \(other.dimension)")
        var trace = 0.0
        for j in 0..<k {
            let column = (0..<k).map { covariance[$0 * k + j] }
            trace += other.factor.solve(column)[j]
        }
        let mahalanobis = other.factor.mahalanobisSquared(mean, mean: other.mean)
        return 0.5 * (trace + mahalanobis - Double(k) + other.factor.logDeterminant - factor.logDeterminant)
    }
}

extension LinearGaussianModel {
    /// p(z|x) as a `GaussianDensity`.
    public func exactPosterior(_ x: [Double]) -> GaussianDensity {
        let (m, s) = posterior(x)
        return GaussianDensity(mean: m, covariance: s)
    }

    /// E_q[log p(x|z)] for q = N(m, S), in closed form: with x - W z - mu = (x - W m - mu) - W (z - m),
    ///     -(D/2) log(2 pi sigma^2) - (|x - W m - mu|^2 + tr(W S W^T)) / (2 sigma^2).
    public func expectedLogLikelihood(_ x: [Double], under q: GaussianDensity) -> Double {
        let (d, k) = (dataDimension, latentDimension)
        precondition(x.count == d && q.dimension == k, "x must have \(d) values and q \(k) dimensions")
        let residual = zip(x, decode(q.mean)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        var trace = 0.0  // tr(W S W^T) = sum_i sum_ab W_ia S_ab W_ib
        for i in 0..<d {
            for a in 0..<k {
                for b in 0..<k { trace += loadings[i * k + a] * q.covariance[a * k + b] * loadings[i * k + b] }
            }
        }
        return -0.5 * Double(d) * Foundation.log(2 * Double.pi * noiseVariance) - 0.5 * (residual + trace)
            / noiseVariance
    }

    /// The ELBO of x under q and its two terms, in closed form.
    public func elbo(_ x: [Double], q: GaussianDensity) -> (reconstruction: Double, kl: Double, elbo: Double) {
        let reconstruction = expectedLogLikelihood(x, under: q)
        let kl = q.kl(to: .standard(dimension: latentDimension))
        return (reconstruction, kl, reconstruction - kl)
    }
}

/// The linear encoder q(z|x) = N(A^T x + b, L L^T) of a linear-Gaussian VAE. `weight` is A
/// [D, K], `bias` b [K]; L is lower triangular with diagonal e^logScale (family `.full`) or
/// diagonal (`.diagonal`, mean-field). The covariance does not depend on x, as the exact
/// posterior's does not.
public final class LinearGaussianEncoder<Scalar: TensorScalar>: Layer {
    public enum Family: String, Sendable, CaseIterable {
        /// L diagonal: independent latent coordinates, as in the VAE's encoder.
        case diagonal
        /// L lower triangular: any covariance.
        case full
    }

    public let family: Family
    public let dataDimension: Int
    public let latentDimension: Int
    /// A, [D, K].
    public let weight: Parameter<Scalar>
    /// b, [K].
    public let bias: Parameter<Scalar>
    /// log of the diagonal of L, [K].
    public let logScale: Parameter<Scalar>
    /// The strictly lower part of L, [K, K] (entries on and above the diagonal are masked out);
    /// used by `.full` only.
    public let lowerScale: Parameter<Scalar>

    /// A random start: A uniform in +-1/sqrt(D), b = 0, L = I.
    public init(dataDimension d: Int, latentDimension k: Int, family: Family, using rng: inout Random) {
        self.family = family
        dataDimension = d
        latentDimension = k
        weight = Parameter(Initializer.uniformFanIn.make([d, k], fanIn: d, fanOut: k, using: &rng), name: "A")
        bias = Parameter(.zeros([k]), name: "b")
        logScale = Parameter(.zeros([k]), name: "log diag L")
        lowerScale = Parameter(.zeros([k, k]), name: "lower L")
    }

    /// The encoder with the given A ([D, K] row-major), b and L (K x K row-major, lower triangular
    /// with a positive diagonal; `.diagonal` keeps only the diagonal).
    public init(
        weight a: [Double], bias b: [Double], scale l: [Double], dataDimension d: Int, latentDimension k: Int,
        family: Family
    ) {
        precondition(a.count == d * k && b.count == k && l.count == k * k, "A must be \(d)x\(k), b \(k), L \(k)x\(k)")
        self.family = family
        dataDimension = d
        latentDimension = k
        weight = Parameter(Tensor(shape: [d, k], scalars: a.map { Scalar($0) }), name: "A")
        bias = Parameter(Tensor(shape: [k], scalars: b.map { Scalar($0) }), name: "b")
        logScale = Parameter(
            Tensor(shape: [k], scalars: (0..<k).map { Scalar(Foundation.log(l[$0 * k + $0])) }), name: "log diag L")
        lowerScale = Parameter(
            Tensor(
                shape: [k, k], scalars: (0..<(k * k)).map { family == .full && $0 / k > $0 % k ? Scalar(l[$0]) : 0 }),
            name: "lower L")
    }

    /// The encoder that ignores x: q(z|x) = p(z) = N(0, I) for every x.
    public static func prior(dataDimension d: Int, latentDimension k: Int) -> LinearGaussianEncoder {
        LinearGaussianEncoder(
            weight: [Double](repeating: 0, count: d * k), bias: [Double](repeating: 0, count: k),
            scale: GaussianDensity.standard(dimension: k).covariance, dataDimension: d, latentDimension: k,
            family: .diagonal)
    }

    /// The encoder whose q(z|x) is the exact posterior of `model` for every x:
    /// A^T = M^-1 W^T, b = -A^T mu, L = cholesky(sigma^2 M^-1).
    public static func exactPosterior(of model: LinearGaussianModel) -> LinearGaussianEncoder {
        let (d, k) = (model.dataDimension, model.latentDimension)
        // Column i of A^T is the posterior mean of x = mu + e_i minus that of x = mu.
        let atMu = model.posterior(model.mean).mean  // = 0
        var a = [Double](repeating: 0, count: d * k)
        for i in 0..<d {
            var x = model.mean
            x[i] += 1
            let m = model.posterior(x).mean
            for j in 0..<k { a[i * k + j] = m[j] - atMu[j] }
        }
        let b = (0..<k).map { j in atMu[j] - (0..<d).reduce(0) { $0 + a[$1 * k + j] * model.mean[$1] } }
        let covariance = model.posterior(model.mean).covariance
        return LinearGaussianEncoder(
            weight: a, bias: b, scale: Cholesky(covariance, n: k)!.lower, dataDimension: d, latentDimension: k,
            family: .full)
    }

    public var parameters: [Parameter<Scalar>] {
        family == .full ? [weight, bias, logScale, lowerScale] : [weight, bias, logScale]
    }

    /// L as a tensor [K, K] (differentiable in the parameters).
    public func scaleMatrix() -> Tensor<Scalar> {
        let k = latentDimension
        let eye = Tensor<Scalar>(shape: [k, k], scalars: (0..<(k * k)).map { $0 % (k + 1) == 0 ? 1 : 0 })
        let diagonal = logScale.value.exp().reshaped([1, k]) * eye
        guard family == .full else { return diagonal }
        let strictlyLower = Tensor<Scalar>(shape: [k, k], scalars: (0..<(k * k)).map { $0 / k > $0 % k ? 1 : 0 })
        return diagonal + lowerScale.value * strictlyLower
    }

    /// The means of q(z|x) for x [N, D]: [N, K].
    public func mean(_ x: Tensor<Scalar>) -> Tensor<Scalar> { Tensor.matmul(x, weight.value) + bias.value }

    /// q(z|x) of one x, in Double.
    public func density(for x: [Double]) -> GaussianDensity {
        let k = latentDimension
        let a = weight.value.scalars.map(Double.init)
        let b = bias.value.scalars.map(Double.init)
        let m = (0..<k).map { j in (0..<dataDimension).reduce(b[j]) { $0 + x[$1] * a[$1 * k + j] } }
        let l: [Double] = withoutGradient { scaleMatrix() }.scalars.map { Double($0) }
        var s = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0..<k {
                var total = 0.0
                for c in 0..<k { total += l[i * k + c] * l[j * k + c] }
                s[i * k + j] = total
            }
        }
        return GaussianDensity(mean: m, covariance: s)
    }

    /// The one-sample ELBO of every row of x [N, D] under `model`, with the reparameterized draw
    /// z = m(x) + L eps (eps = a row of `noise` [N, K]): log p(x|z) - KL(q(z|x) || p(z)), [N],
    /// the KL in closed form, (tr(L L^T) + |m|^2 - K) / 2 - sum_k log L_kk. Differentiable in A, b, L.
    public func elboEstimate(_ x: Tensor<Scalar>, noise: Tensor<Scalar>, model: LinearGaussianModel) -> Tensor<Scalar> {
        let (d, k) = (dataDimension, latentDimension)
        precondition(
            model.dataDimension == d && model.latentDimension == k, "the model's sizes differ from the encoder's")
        let m = mean(x)
        let l = scaleMatrix()
        let z = m + Tensor.matmul(noise, l.transposed())
        let wT = Tensor<Scalar>(shape: [d, k], scalars: model.loadings.map { Scalar($0) }).transposed()
        let mu = Tensor<Scalar>(shape: [d], scalars: model.mean.map { Scalar($0) })
        let reconstructed = Tensor.matmul(z, wT) + mu
        let halfPrecision = Scalar(-0.5 / model.noiseVariance)
        let logNormaliser = Scalar(0.5 * Double(d) * Foundation.log(2 * Double.pi * model.noiseVariance))
        let logLikelihood: Tensor<Scalar> =
            (x - reconstructed).squared().sum(alongAxis: 1) * halfPrecision - logNormaliser
        let trace: Tensor<Scalar> = l.squared().sum()
        let kl: Tensor<Scalar> = (m.squared().sum(alongAxis: 1) + trace - Scalar(k)) * 0.5 - logScale.value.sum()
        return logLikelihood - kl
    }
}
