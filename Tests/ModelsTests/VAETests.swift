import Datasets
import Foundation
import Testing
import Tensors
@testable import Models

/// A tiny VAE in Double with weights drawn from a seed: D pixels, one hidden layer, K latents.
func tinyVAE(dataSize: Int = 5, hidden: Int = 4, latent: Int = 2, activation: Activation = .tanh, seed: UInt64 = 3) -> VAE<Double> {
    var rng = Random(seed: seed)
    let vae = VAE<Double>(
        dataSize: dataSize, hiddenSizes: [hidden], latentSize: latent, encoderActivation: activation, decoderActivation: activation,
        using: &rng)
    // Larger weights than the default, and non-zero biases, so that every unit does something.
    for p in vae.parameters { p.value = p.value * 2 + Tensor.uniform(p.shape, low: -0.5, high: 0.5, using: &rng) }
    return vae
}

/// Seeded binary images, N x D.
func binaryImages(count: Int, dataSize: Int, seed: UInt64) -> Tensor<Double> {
    var rng = Random(seed: seed)
    return .bernoulli([count, dataSize], p: 0.5, using: &rng)
}

/// |a - b| <= tolerance, reported at the caller's line.
func expectClose(
    _ a: Double, _ b: Double, within tolerance: Double, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(Swift.abs(a - b) <= tolerance, "\(what): \(a) vs \(b), difference \(Swift.abs(a - b)) > \(tolerance)", sourceLocation: sourceLocation)
}

@Suite("VAE: the ELBO, its gradient, the importance-weighted bound")
struct VAETests {
    /// KL(N(mu, sigma^2) || N(0, 1)) in closed form against a Monte-Carlo average of
    /// log q(z) - log p(z) over 200,000 draws from q, within 5 standard errors.
    @Test(arguments: [(0.0, 0.0), (1.5, -1.0), (-0.7, 1.2), (3.0, -4.0)])
    func gaussianKLMatchesMonteCarlo(mean: Double, logVariance: Double) {
        let closed = Tensor.gaussianKL(mean: Tensor(mean), logVariance: Tensor(logVariance)).item
        var rng = Random(seed: 11)
        let sigma = Foundation.exp(0.5 * logVariance)
        let n = 200_000
        var sum = 0.0, sumSquares = 0.0
        for _ in 0..<n {
            let eps = rng.normal()
            let z = mean + sigma * eps
            // log q - log p = -(logvar + eps^2)/2 + z^2/2
            let v = -0.5 * (logVariance + eps * eps) + 0.5 * z * z
            sum += v
            sumSquares += v * v
        }
        let estimate = sum / Double(n)
        let standardError = ((sumSquares / Double(n) - estimate * estimate) / Double(n)).squareRoot()
        expectClose(closed, estimate, within: 5 * standardError + 1e-12, "KL closed form vs Monte Carlo")
    }

    /// The same for full-covariance Gaussians (`GaussianDensity.kl`), against draws z = m + L eps.
    @Test func fullCovarianceKLMatchesMonteCarlo() {
        let q = GaussianDensity(mean: [0.3, -1.2], covariance: [0.5, 0.3, 0.3, 0.4])
        let p = GaussianDensity(mean: [1.0, 0.5], covariance: [2.0, -0.6, -0.6, 1.0])
        var rng = Random(seed: 5)
        let n = 200_000
        var sum = 0.0, sumSquares = 0.0
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

    /// Gradient check of the VAE's per-image ELBO (the loss of a training step) with respect to
    /// every weight of a tiny network, the noise held fixed.
    @Test(arguments: [Activation.tanh, .relu])
    func elboGradientMatchesFiniteDifferences(activation: Activation) {
        let vae = tinyVAE(activation: activation)
        let x = binaryImages(count: 3, dataSize: 5, seed: 1)
        var rng = Random(seed: 2)
        let noise = Tensor<Double>.normal([3, 2], using: &rng)
        let result = GradientCheck.check(parameters: vae.parameters) { vae.elboTerms(x, noise: noise).elbo }
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    /// The reparameterized gradient is the gradient of the Monte-Carlo ELBO as a function of the
    /// encoder's outputs with eps held fixed: autodiff through z = mu + sigma * eps against central
    /// differences of the same estimate (S = 4 samples per image) in mu and log sigma^2.
    @Test func reparameterizedGradientIsTheDerivativeAtFixedNoise() {
        let vae = tinyVAE()
        let x = binaryImages(count: 2, dataSize: 5, seed: 4)
        var rng = Random(seed: 6)
        let noise = Tensor<Double>.normal([4, 2, 2], using: &rng)
        let mean = Tensor<Double>.normal([2, 2], using: &rng)
        let logVariance = Tensor<Double>.uniform([2, 2], low: -1, high: 0.5, using: &rng)
        let result = GradientCheck.check(at: [mean, logVariance]) { t in
            let z = VAE<Double>.reparameterize(mean: t[0], logVariance: t[1], noise: noise)
            let reconstruction = VAE<Double>.bernoulliLogLikelihood(logits: vae.decode(z), images: x.broadcasted(to: [4, 2, 5])).mean(alongAxes: [0])
            return reconstruction - Tensor.gaussianKL(mean: t[0], logVariance: t[1]).sum(alongAxis: 1)
        }
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    /// The reparameterized gradient is unbiased: on a linear-Gaussian VAE, whose ELBO is a
    /// formula, the mean of one-sample gradients over 40,000 draws equals the central difference
    /// of the exact ELBO, within 5 standard errors, for every encoder parameter.
    @Test(arguments: LinearGaussianEncoder<Double>.Family.allCases)
    func reparameterizedGradientIsUnbiased(family: LinearGaussianEncoder<Double>.Family) {
        var rng = Random(seed: 21)
        let model = LinearGaussianModel(dataDimension: 3, latentDimension: 2, noiseStandardDeviation: 0.7, using: &rng)
        let encoder = LinearGaussianEncoder<Double>(dataDimension: 3, latentDimension: 2, family: family, using: &rng)
        encoder.logScale.value = Tensor([-0.4, 0.2])
        encoder.lowerScale.value = Tensor(shape: [2, 2], scalars: [0, 0, 0.3, 0])
        encoder.bias.value = Tensor([0.2, -0.1])
        let xs = (0..<2).map { _ in (0..<3).map { _ in rng.normal() } }
        // The exact ELBO, averaged over the two x, as a function of the parameters.
        func exactELBO() -> Double { xs.reduce(0) { $0 + model.elbo($1, q: encoder.density(for: $1)).elbo } / Double(xs.count) }
        let batches = 20, perBatch = 2000
        let x = Tensor<Double>(shape: [xs.count * perBatch, 3], scalars: (0..<perBatch).flatMap { _ in xs.flatMap { $0 } })
        var gradients: [[Double]] = []
        for _ in 0..<batches {
            let noise = Tensor<Double>.normal([xs.count * perBatch, 2], using: &rng)
            let g = valueAndGradient(of: encoder.parameters) { encoder.elboEstimate(x, noise: noise, model: model).mean() }.gradients
            gradients.append(g.flatMap(\.scalars))
        }
        var flat = 0
        for p in encoder.parameters {
            for i in 0..<p.value.count {
                defer { flat += 1 }
                // Entries of L on and above the diagonal are masked out: their gradient is 0.
                if p === encoder.lowerScale && !(i / 2 > i % 2) {
                    #expect(gradients.allSatisfy { $0[flat] == 0 })
                    continue
                }
                let original = p.value
                let h = 1e-5
                func moved(_ delta: Double) -> Double {
                    var scalars = original.scalars
                    scalars[i] += delta
                    p.value = Tensor(shape: original.shape, scalars: scalars)
                    defer { p.value = original }
                    return exactELBO()
                }
                let (plus, minus) = (moved(h), moved(-h))
                let exact = (plus - minus) / (2 * h)
                let values = gradients.map { $0[flat] }
                let mean = values.reduce(0, +) / Double(batches)
                let standardError = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1) / Double(batches)).squareRoot()
                expectClose(mean, exact, within: 5 * standardError + 1e-7, "d ELBO / d \(p.name)[\(i)]")
            }
        }
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
        let standardError = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
        expectClose(mean, model.elbo(x, q: encoder.density(for: x)).elbo, within: 5 * standardError, "Monte-Carlo ELBO vs formula")
    }

    /// The lecture's identity on the linear-Gaussian model, for random encoders of both families,
    /// the prior and the exact posterior: log p(x) = ELBO + KL(q || p(z|x)) to 1e-9; the KL is
    /// positive except for the exact posterior, where it is 0.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func logMarginalIsELBOPlusPosteriorKL(seed: UInt64) {
        var rng = Random(seed: seed)
        let model = LinearGaussianModel(dataDimension: 5, latentDimension: 2, using: &rng)
        var encoders: [(String, ([Double]) -> GaussianDensity)] = [("prior", { _ in .standard(dimension: 2) })]
        for family in LinearGaussianEncoder<Double>.Family.allCases {
            let e = LinearGaussianEncoder<Double>(dataDimension: 5, latentDimension: 2, family: family, using: &rng)
            e.lowerScale.value = Tensor(shape: [2, 2], scalars: [0, 0, 0.3, 0])
            encoders.append((family.rawValue, e.density))
        }
        let exact = LinearGaussianEncoder<Double>.exactPosterior(of: model)
        for _ in 0..<5 {
            let x = (0..<5).map { _ in 2 * rng.normal() }
            for (name, density) in encoders {
                let q = density(x)
                let kl = q.kl(to: model.exactPosterior(x))
                expectClose(model.logMarginal(x), model.elbo(x, q: q).elbo + kl, within: 1e-9, "\(name)")
                #expect(kl > 1e-6, "\(name): KL(q || p(z|x)) = \(kl)")
            }
            let q = exact.density(for: x)
            #expect(Swift.abs(q.kl(to: model.exactPosterior(x))) < 1e-10)
            expectClose(model.logMarginal(x), model.elbo(x, q: q).elbo, within: 1e-9, "exact posterior: ELBO = log p(x)")
        }
    }

    /// Quadrature over z on a linear-Gaussian model with K = 2: log p(x), E_q[log p(x|z)],
    /// KL(q || p(z)) and KL(q || p(z|x)) against their formulas.
    @Test(arguments: [(0.5, [0.1, -0.3], [0.4, 0.7]), (0.2, [1.0, 1.0], [0.05, 0.2]), (1.0, [-2.0, 0.5], [1.0, 1.0])])
    func quadratureMatchesTheLinearGaussianFormulas(noise: Double, qMean: [Double], qStd: [Double]) {
        var rng = Random(seed: 17)
        let model = LinearGaussianModel(dataDimension: 3, latentDimension: 2, noiseStandardDeviation: noise, using: &rng)
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
        for i in 0..<4 { expectClose(r.posteriorCovariance[i], posterior.covariance[i], within: 1e-7, "posterior covariance") }
    }

    /// p(x) of a tiny VAE with a 2-D latent space, by quadrature, sums to 1 over all 2^4 binary
    /// images: the decoder's Bernoulli p(x|z) sums to 1 at every z, and the prior integrates to 1.
    @Test func quadratureMarginalSumsToOneOverAllImages() {
        let vae = tinyVAE(dataSize: 4, hidden: 3)
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
        let vae = tinyVAE(dataSize: 6, hidden: 5, seed: 9)
        let x = binaryImages(count: 3, dataSize: 6, seed: 10)
        var rng = Random(seed: 12)
        let samples = 64_000
        let e = vae.evaluate(x, samples: samples, ks: [1, 4, 16, 64], using: &rng)
        for n in 0..<3 {
            let logP = vae.quadrature(of: x.slice(n..<(n + 1), alongAxis: 0)).logMarginal
            let bounds = [1, 4, 16, 64].map { e.importanceWeighted[$0]![n] }
            // E[IWAE_1] = E[log w] = ELBO; the ELBO with the closed-form KL has lower variance.
            expectClose(bounds[0], e.elbo[n], within: 0.03, "IWAE-1 vs ELBO, image \(n)")
            for (a, b) in zip(bounds, bounds.dropFirst()) { #expect(b > a + 1e-3, "image \(n): IWAE-k does not grow: \(bounds)") }
            #expect(bounds.last! < logP + 1e-3, "image \(n): IWAE-64 \(bounds.last!) above log p(x) \(logP)")
            #expect(logP - bounds[0] > 0.01, "image \(n): the ELBO is not below log p(x)")
        }
    }

    /// The grouped log-mean-exp used for E[IWAE_k] equals the naive formula, and stays finite for
    /// weights of -1000 nats where exp underflows.
    @Test func groupedLogMeanExp() {
        let w = [-1.0, 0.5, 2.0, -3.0, 0.0, 1.0]
        let naive = stride(from: 0, to: 6, by: 3).map { g in Foundation.log(w[g..<(g + 3)].reduce(0) { $0 + Foundation.exp($1) } / 3) }
        expectClose(VAE<Double>.meanOfGroupedLogMeanExp(w, groupSize: 3), naive.reduce(0, +) / 2, within: 1e-12, "k = 3")
        expectClose(VAE<Double>.meanOfGroupedLogMeanExp(w, groupSize: 1), w.reduce(0, +) / 6, within: 1e-12, "k = 1")
        expectClose(VAE<Double>.meanOfGroupedLogMeanExp([-1000, -1000 + Foundation.log(3.0)], groupSize: 2), -1000 + Foundation.log(2.0), within: 1e-9, "underflow")
    }
}

@Suite("Gradient estimators of E_q[f(z)]: reparameterization and score function")
struct GradientEstimatorTests {
    /// f(z) = sum_k (z_k - c_k)^2 under N(mu, diag sigma^2): E f = sum_k (mu_k - c_k)^2 + sigma_k^2,
    /// so d/dmu = 2 (mu - c) and d/dsigma = 2 sigma exactly. Every estimator's mean over 200
    /// estimates of S = 50 samples is within 5 standard errors of that.
    @Test(arguments: GaussianGradientEstimator.allCases)
    func everyEstimatorIsUnbiased(estimator: GaussianGradientEstimator) {
        let (mu, sigma, c) = ([0.5, -1.0], [0.8, 0.3], [2.0, 1.0])
        let target = Tensor<Double>(shape: [1, 2], scalars: c)
        let f: (Tensor<Double>) -> Tensor<Double> = { z in (z - target).squared().sum(alongAxis: 1) }
        let exact = [2 * (mu[0] - c[0]), 2 * (mu[1] - c[1]), 2 * sigma[0], 2 * sigma[1]]
        var rng = Random(seed: 31)
        let repeats = 200
        let estimates = (0..<repeats).map { _ in
            let g = estimator.estimate(of: f, mean: mu, std: sigma, noise: .normal([50, 2], using: &rng))
            return g.mean + g.std
        }
        for i in 0..<4 {
            let values = estimates.map { $0[i] }
            let mean = values.reduce(0, +) / Double(repeats)
            let standardError = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(repeats - 1) / Double(repeats)).squareRoot()
            expectClose(mean, exact[i], within: 5 * standardError, "\(estimator.name), component \(i)")
        }
    }

    /// With f shifted by a large constant (as log p(x|z) is about -100 nats), the score function's
    /// variance explodes and the reparameterized one's does not move: more than 1000 times apart.
    @Test func scoreFunctionVarianceIsFarLarger() {
        let target = Tensor<Double>(shape: [1, 2], scalars: [1, 1])
        let f: (Tensor<Double>) -> Tensor<Double> = { z in (z - target).squared().sum(alongAxis: 1) - 100 }
        func variance(_ estimator: GaussianGradientEstimator) -> Double {
            var rng = Random(seed: 41)
            let values = (0..<300).map { _ in estimator.estimate(of: f, mean: [0, 0], std: [1, 1], noise: .normal([10, 2], using: &rng)).mean[0] }
            let mean = values.reduce(0, +) / Double(values.count)
            return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        }
        let (reparameterized, score, baseline) = (variance(.reparameterization), variance(.scoreFunction), variance(.scoreFunctionWithBaseline))
        #expect(score > 1000 * reparameterized, "score \(score) vs reparameterization \(reparameterized)")
        #expect(baseline < score / 100, "the baseline does not remove the constant: \(baseline) vs \(score)")
    }
}
