import Foundation
import Tensors

/// A linear-Gaussian latent variable model (probabilistic PCA, Tipping and Bishop 1999), the one
/// latent model whose marginal and posterior are exact, to check a VAE's ELBO and encoder against.
///
///     z ~ N(0, I_K),   x = W z + mu + eps,   eps ~ N(0, sigma^2 I_D)          (W is D x K)
///
/// Marginal:   p(x) = N(x; mu, C),            C = W W^T + sigma^2 I_D
///     log p(x) = -(D log 2 pi + log det C + (x - mu)^T C^-1 (x - mu)) / 2
/// Posterior:  p(z | x) = N(z; M^-1 W^T (x - mu), sigma^2 M^-1),   M = W^T W + sigma^2 I_K
///
/// Vectors are `[Double]`, matrices row-major `[Double]`; both Cholesky factors are computed once.
public struct LinearGaussianModel: Sendable {
    /// D, the size of x.
    public let dataDimension: Int
    /// K, the size of z.
    public let latentDimension: Int
    /// W, D x K row-major.
    public let loadings: [Double]
    /// mu, D values.
    public let mean: [Double]
    /// sigma^2.
    public let noiseVariance: Double
    /// C = W W^T + sigma^2 I_D, D x D row-major.
    public let marginalCovariance: [Double]
    /// C, factorised.
    public let marginalFactor: Cholesky
    /// M = W^T W + sigma^2 I_K, factorised.
    let posteriorFactor: Cholesky

    public init(loadings: [Double], dataDimension d: Int, latentDimension k: Int, mean: [Double], noiseVariance: Double)
    {
        precondition(loadings.count == d * k && mean.count == d, "W must be \(d)x\(k) and mu \(d) long")
        precondition(noiseVariance > 0, "the noise variance must be positive")
        self.dataDimension = d
        self.latentDimension = k
        self.loadings = loadings
        self.mean = mean
        self.noiseVariance = noiseVariance
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d {
                c[i * d + j] = (0..<k).reduce(i == j ? noiseVariance : 0) {
                    $0 + loadings[i * k + $1] * loadings[j * k + $1]
                }
            }
        }
        var m = [Double](repeating: 0, count: k * k)
        for a in 0..<k {
            for b in 0..<k {
                m[a * k + b] = (0..<d).reduce(a == b ? noiseVariance : 0) {
                    $0 + loadings[$1 * k + a] * loadings[$1 * k + b]
                }
            }
        }
        // Both are positive definite for sigma^2 > 0 (a Gram matrix plus sigma^2 I).
        self.marginalCovariance = c
        self.marginalFactor = Cholesky(c, n: d)!
        self.posteriorFactor = Cholesky(m, n: k)!
    }

    /// A seeded random model: W_ij ~ N(0, 1), mu_i ~ N(0, 1), noise standard deviation sigma.
    public init(
        dataDimension d: Int, latentDimension k: Int, noiseStandardDeviation sigma: Double = 0.5,
        using rng: inout Random
    ) {
        let w = (0..<d * k).map { _ in rng.normal() }
        let mu = (0..<d).map { _ in rng.normal() }
        self.init(loadings: w, dataDimension: d, latentDimension: k, mean: mu, noiseVariance: sigma * sigma)
    }

    /// W z + mu.
    public func decode(_ z: [Double]) -> [Double] {
        precondition(z.count == latentDimension)
        let k = latentDimension
        return (0..<dataDimension).map { i in (0..<k).reduce(mean[i]) { $0 + loadings[i * k + $1] * z[$1] } }
    }

    /// log p(x) = log N(x; mu, W W^T + sigma^2 I), exact.
    public func logMarginal(_ x: [Double]) -> Double {
        precondition(x.count == dataDimension)
        return marginalFactor.logNormalDensity(x, mean: mean)
    }

    /// log p(z) = log N(z; 0, I).
    public func logPrior(_ z: [Double]) -> Double {
        precondition(z.count == latentDimension)
        return -Double(latentDimension) * halfLog2Pi - 0.5 * z.reduce(0) { $0 + $1 * $1 }
    }

    /// log p(x | z) = log N(x; W z + mu, sigma^2 I).
    public func logLikelihood(_ x: [Double], given z: [Double]) -> Double {
        precondition(x.count == dataDimension)
        let r2 = zip(x, decode(z)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return -Double(dataDimension) * (halfLog2Pi + 0.5 * Foundation.log(noiseVariance)) - 0.5 * r2 / noiseVariance
    }

    /// The exact posterior p(z | x) = N(mean, covariance): mean = M^-1 W^T (x - mu) (K values),
    /// covariance = sigma^2 M^-1 (K x K row-major).
    public func posterior(_ x: [Double]) -> (mean: [Double], covariance: [Double]) {
        precondition(x.count == dataDimension)
        let k = latentDimension
        let wtx = (0..<k).map { a in (0..<dataDimension).reduce(0) { $0 + loadings[$1 * k + a] * (x[$1] - mean[$1]) } }
        return (posteriorFactor.solve(wtx), posteriorFactor.inverse().map { noiseVariance * $0 })
    }

    /// log p(z | x) from the closed-form posterior.
    public func logPosterior(_ z: [Double], given x: [Double]) -> Double {
        let (m, s) = posterior(x)
        return Cholesky(s, n: latentDimension)!.logNormalDensity(z, mean: m)
    }

    /// `count` draws of (x, z): x as a tensor [count, D], z as a tensor [count, K].
    public func samples(_ count: Int, using rng: inout Random) -> (x: Tensor<Float>, z: Tensor<Float>) {
        var xs: [Float] = []
        var zs: [Float] = []
        let sigma = noiseVariance.squareRoot()
        for _ in 0..<count {
            let z = (0..<latentDimension).map { _ in rng.normal() }
            xs += decode(z).map { Float($0 + sigma * rng.normal()) }
            zs += z.map { Float($0) }
        }
        return (
            Tensor(shape: [count, dataDimension], scalars: xs), Tensor(shape: [count, latentDimension], scalars: zs)
        )
    }
}
