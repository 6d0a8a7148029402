import Datasets
import Foundation
import ModelFixtures
import Tensors
import Testing

@testable import Models

/// |a - b| <= tolerance, reported at the caller's line.
func expectClose(
    _ a: Double, _ b: Double, within tolerance: Double, _ what: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(
        Swift.abs(a - b) <= tolerance, "\(what): \(a) vs \(b), difference \(Swift.abs(a - b)) > \(tolerance)",
        sourceLocation: sourceLocation)
}

// The lecture's claims about the VAE (the closed-form KL, the reparameterized gradient, log p(x)
// = ELBO + KL, the two gradient estimators) are answered in
// Tests/ReviewQuestionsTests/Question2VAE.swift; here, the machinery they rest on.
@Suite("VAE: the ELBO, its gradient, the importance-weighted bound")
struct VAETests {
    /// The same for full-covariance Gaussians (`GaussianDensity.kl`), against draws z = m + L eps.
    @Test func fullCovarianceKLMatchesMonteCarlo() {
        let q = GaussianDensity(mean: [0.3, -1.2], covariance: [0.5, 0.3, 0.3, 0.4])
        let p = GaussianDensity(mean: [1.0, 0.5], covariance: [2.0, -0.6, -0.6, 1.0])
        var rng = Random(seed: 5)
        let n = 200_000
        var sum = 0.0
        var sumSquares = 0.0
        for _ in 0..<n {
            let z = zip(q.mean, q.factor.multiplyLower([rng.normal(), rng.normal()])).map { $0 + $1 }
            let v = q.logDensity(z) - p.logDensity(z)
            sum += v
            sumSquares += v * v
        }
        let estimate = sum / Double(n)
        let standardError = ((sumSquares / Double(n) - estimate * estimate) / Double(n)).squareRoot()
        expectClose(q.kl(to: p), estimate, within: 5 * standardError, "full-covariance KL vs Monte Carlo")
        #expect(Swift.abs(q.kl(to: q)) < 1e-12)
    }

    /// Gradient check of the linear-Gaussian encoder's reparameterized ELBO in A, b and L.
    @Test(arguments: LinearGaussianEncoder<Double>.Family.allCases)
    func linearGaussianELBOGradientMatchesFiniteDifferences(family: LinearGaussianEncoder<Double>.Family) {
        var rng = Random(seed: 8)
        let model = LinearGaussianModel(dataDimension: 4, latentDimension: 2, using: &rng)
        let encoder = LinearGaussianEncoder<Double>(dataDimension: 4, latentDimension: 2, family: family, using: &rng)
        encoder.lowerScale.value = Tensor(shape: [2, 2], scalars: [0, 0, 0.4, 0])
        let x = model.samples(3, using: &rng).x
        let noise = Tensor<Double>.normal([3, 2], using: &rng)
        let result = GradientCheck.check(parameters: encoder.parameters) {
            encoder.elboEstimate(Tensor<Double>(x), noise: noise, model: model)
        }
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    /// The tensor form of the one-sample ELBO (used for training) averages to the exact formula.
    @Test func linearGaussianMonteCarloELBOAveragesToTheFormula() {
        var rng = Random(seed: 13)
        let model = LinearGaussianModel(dataDimension: 4, latentDimension: 2, using: &rng)
        let encoder = LinearGaussianEncoder<Double>(dataDimension: 4, latentDimension: 2, family: .full, using: &rng)
        encoder.lowerScale.value = Tensor(shape: [2, 2], scalars: [0, 0, -0.5, 0])
        let x = (0..<4).map { _ in rng.normal() }
        let n = 100_000
        let batch = Tensor<Double>(shape: [n, 4], scalars: (0..<n).flatMap { _ in x })
        let values = encoder.elboEstimate(batch, noise: .normal([n, 2], using: &rng), model: model).scalars
        let mean = values.reduce(0, +) / Double(n)
        let standardError = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n))
            .squareRoot()
        expectClose(
            mean, model.elbo(x, q: encoder.density(for: x)).elbo, within: 5 * standardError,
            "Monte-Carlo ELBO vs formula")
    }

    /// Quadrature over z on a linear-Gaussian model with K = 2: log p(x), E_q[log p(x|z)],
    /// KL(q || p(z)) and KL(q || p(z|x)) against their formulas.
    @Test(arguments: [
        (0.5, [0.1, -0.3], [0.4, 0.7]), (0.2, [1.0, 1.0], [0.05, 0.2]), (1.0, [-2.0, 0.5], [1.0, 1.0]),
    ])
    func quadratureMatchesTheLinearGaussianFormulas(noise: Double, qMean: [Double], qStd: [Double]) {
        var rng = Random(seed: 17)
        let model = LinearGaussianModel(
            dataDimension: 3, latentDimension: 2, noiseStandardDeviation: noise, using: &rng)
        let x = model.samples(1, using: &rng).x.scalars.map(Double.init)
        let q = GaussianDensity(mean: qMean, covariance: [qStd[0] * qStd[0], 0, 0, qStd[1] * qStd[1]])
        let r = LatentQuadrature.fitted(qMean: qMean, qStd: qStd) { grid in
            let p = grid.points
            let zs = (0..<grid.pointCount).map { [p[2 * $0], p[2 * $0 + 1]] }
            return (zs.map { model.logLikelihood(x, given: $0) }, zs.map(model.logPrior), zs.map(q.logDensity))
        }
        expectClose(r.logMarginal, model.logMarginal(x), within: 1e-8, "log p(x)")
        expectClose(r.massOfQ, 1, within: 1e-9, "mass of q")
        expectClose(r.expectedLogLikelihood, model.expectedLogLikelihood(x, under: q), within: 1e-7, "E_q[log p(x|z)]")
        expectClose(r.klToPrior, q.kl(to: .standard(dimension: 2)), within: 1e-8, "KL(q || p(z))")
        expectClose(r.klToPosterior, q.kl(to: model.exactPosterior(x)), within: 1e-7, "KL(q || p(z|x))")
        let posterior = model.exactPosterior(x)
        for i in 0..<2 { expectClose(r.posteriorMean[i], posterior.mean[i], within: 1e-7, "posterior mean") }
        for i in 0..<4 {
            expectClose(r.posteriorCovariance[i], posterior.covariance[i], within: 1e-7, "posterior covariance")
        }
    }

    /// p(x) of a tiny VAE with a 2-D latent space, by quadrature, sums to 1 over all 2^4 binary
    /// images: the decoder's Bernoulli p(x|z) sums to 1 at every z, and the prior integrates to 1.
    @Test func quadratureMarginalSumsToOneOverAllImages() {
        let vae = Fixtures.tinyVAE(dataSize: 4, hidden: 3)
        var total = 0.0
        for code in 0..<16 {
            let image = Tensor<Double>(shape: [1, 4], scalars: (0..<4).map { Double((code >> $0) & 1) })
            total += Foundation.exp(vae.quadrature(of: image).logMarginal)
        }
        expectClose(total, 1, within: 1e-7, "sum of p(x) over all 16 images")
    }

    /// The importance-weighted bound on a tiny VAE: E[IWAE_1] is the ELBO, E[IWAE_k] grows with k
    /// (1, 4, 16, 64; each estimated from 64,000 weights) and stays below log p(x) by quadrature.
    @Test func importanceWeightedBoundIsAboveTheELBOAndGrowsWithK() {
        let vae = Fixtures.tinyVAE(dataSize: 6, hidden: 5, seed: 9)
        let x = Fixtures.binaryImages(count: 3, dataSize: 6, seed: 10)
        var rng = Random(seed: 12)
        let samples = 64_000
        let e = vae.evaluate(x, samples: samples, ks: [1, 4, 16, 64], using: &rng)
        for n in 0..<3 {
            let logP = vae.quadrature(of: x.slice(n..<(n + 1), alongAxis: 0)).logMarginal
            let bounds = [1, 4, 16, 64].map { e.importanceWeighted[$0]![n] }
            // E[IWAE_1] = E[log w] = ELBO; the ELBO with the closed-form KL has lower variance.
            expectClose(bounds[0], e.elbo[n], within: 0.03, "IWAE-1 vs ELBO, image \(n)")
            for (a, b) in zip(bounds, bounds.dropFirst()) {
                #expect(b > a + 1e-3, "image \(n): IWAE-k does not grow: \(bounds)")
            }
            #expect(bounds.last! < logP + 1e-3, "image \(n): IWAE-64 \(bounds.last!) above log p(x) \(logP)")
            #expect(logP - bounds[0] > 0.01, "image \(n): the ELBO is not below log p(x)")
        }
    }

    /// The grouped log-mean-exp used for E[IWAE_k] equals the naive formula, and stays finite for
    /// weights of -1000 nats where exp underflows.
    @Test func groupedLogMeanExp() {
        let w = [-1.0, 0.5, 2.0, -3.0, 0.0, 1.0]
        let naive = stride(from: 0, to: 6, by: 3).map { g in
            Foundation.log(w[g..<(g + 3)].reduce(0) { $0 + Foundation.exp($1) } / 3)
        }
        expectClose(
            VAE<Double>.meanOfGroupedLogMeanExp(w, groupSize: 3), naive.reduce(0, +) / 2, within: 1e-12, "k = 3")
        expectClose(VAE<Double>.meanOfGroupedLogMeanExp(w, groupSize: 1), w.reduce(0, +) / 6, within: 1e-12, "k = 1")
        expectClose(
            VAE<Double>.meanOfGroupedLogMeanExp([-1000, -1000 + Foundation.log(3.0)], groupSize: 2),
            -1000 + Foundation.log(2.0), within: 1e-9, "underflow")
    }
}
