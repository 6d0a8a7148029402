// Two ways to estimate the gradient of an expectation over a distribution that depends on the
// parameters, g = d/d(mu, sigma) E_{z ~ N(mu, diag sigma^2)}[f(z)], from S samples z_s:
//
// - reparameterization (pathwise): z = mu + sigma * eps, eps ~ N(0, I), so
//       d/dmu E[f] = E[f'(z)],   d/dsigma E[f] = E[f'(z) * eps];
//   it needs f to be differentiable in z, and it is what makes a VAE trainable by backpropagation;
// - the score function (REINFORCE, likelihood ratio): d/dtheta E[f] = E[f(z) d/dtheta log q(z)],
//       d/dmu    log q = (z - mu) / sigma^2 = eps / sigma,
//       d/dsigma log q = ((z - mu)^2 - sigma^2) / sigma^3 = (eps^2 - 1) / sigma;
//   it needs only values of f, and its variance grows with the size of f: every sample's value
//   multiplies a noisy score. A baseline b (a constant subtracted from f) leaves the mean unchanged,
//   since E[d log q] = 0; the leave-one-out mean of the other samples' f is such a constant for
//   each sample.

import Foundation
import Tensors

/// An estimator of d/d(mu, sigma) E_{N(mu, diag sigma^2)}[f(z)].
public enum GaussianGradientEstimator: String, CaseIterable, Sendable {
    case reparameterization
    case scoreFunction
    /// The score function with the leave-one-out mean of f as baseline (needs S >= 2).
    case scoreFunctionWithBaseline

    public var name: String {
        switch self {
        case .reparameterization: "reparameterization"
        case .scoreFunction: "score function"
        case .scoreFunctionWithBaseline: "score function + baseline"
        }
    }

    /// The estimate from the noise eps [S, K] (z_s = mu + sigma * eps_s): the gradient with
    /// respect to mu and to sigma, K values each. f maps z [S, K] to [S]; for the
    /// reparameterization it must be differentiable (its gradient comes from the tape).
    public func estimate<S: TensorScalar>(
        of f: (Tensor<S>) -> Tensor<S>, mean: [Double], std: [Double], noise: Tensor<S>
    ) -> (mean: [Double], std: [Double]) {
        let (count, k) = (noise.shape[0], noise.shape[1])
        precondition(mean.count == k && std.count == k && noise.rank == 2, "noise must be [S, \(mean.count)]")
        let mu = Tensor<S>(shape: [1, k], scalars: mean.map { S($0) })
        let sigma = Tensor<S>(shape: [1, k], scalars: std.map { S($0) })
        switch self {
        case .reparameterization:
            let g = valueAndGradient(at: [mu, sigma]) { t in f(t[0] + t[1] * noise).mean() }.gradients
            return (g[0].scalars.map(Double.init), g[1].scalars.map(Double.init))
        case .scoreFunction, .scoreFunctionWithBaseline:
            precondition(self == .scoreFunction || count >= 2, "a leave-one-out baseline needs at least 2 samples")
            let fz: Tensor<S> = withoutGradient { f(mu + sigma * noise) }
            let values = fz.scalars.map { Double($0) }
            let total = values.reduce(0, +)
            let eps = noise.scalars.map(Double.init)
            var gMean = [Double](repeating: 0, count: k)
            var gStd = [Double](repeating: 0, count: k)
            for s in 0..<count {
                let baseline = self == .scoreFunction ? 0 : (total - values[s]) / Double(count - 1)
                let weight = (values[s] - baseline) / Double(count)
                for a in 0..<k {
                    let e = eps[s * k + a]
                    gMean[a] += weight * e / std[a]
                    gStd[a] += weight * (e * e - 1) / std[a]
                }
            }
            return (gMean, gStd)
        }
    }
}
