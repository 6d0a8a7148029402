import Datasets
import Foundation
import ModelFixtures
import Models
import Tensors
import Testing

/// Review question 2: **how is a VAE built?**
///
/// From three parts and one identity:
///
/// - an **encoder**, a network from x to the mean mu(x) and log-variance log sigma^2(x) of a
///   Gaussian q(z|x) = N(mu(x), diag sigma^2(x)), the approximate posterior;
/// - **reparameterized sampling**, z = mu(x) + sigma(x) * eps with eps ~ N(0, I): the randomness is
///   moved into eps, which does not depend on the weights, so a sample of z is a differentiable
///   function of them;
/// - a **decoder**, a network from z to p(x|z), here a Bernoulli for every pixel; the prior is
///   p(z) = N(0, I).
///
/// The identity, for every q: log p(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) + KL(q(z|x) || p(z|x)).
/// The last KL is >= 0 and unknown, so the first two terms, the ELBO, are a lower bound on
/// log p(x), tight when q is the true posterior. Training maximises the ELBO in the encoder's and
/// the decoder's weights at once: E_q[log p(x|z)] by one reparameterized sample, the KL to the
/// prior in closed form. Each claim below is checked: gradients in Double against central finite
/// differences, the identity exactly on a linear-Gaussian model where every term is a formula, and
/// the reparameterized gradient against the score-function (REINFORCE) one it replaces. Negative
/// control: a sampler that cuts the gradient path to mu and sigma gives the same ELBO but fails
/// the gradient check that the reparameterized one passes.
/// Chapter 4 (`swift run -c release ch4-vae`) trains the VAE on digits and measures the same
/// things on it.
@Suite("Review question 2: how is a VAE built?")
struct Question2VAE {
    // MARK: The three parts, each differentiable

    /// The encoder: one network, D inputs to 2K outputs read as [mu, log sigma^2]. Both halves, on
    /// every row, equal the network computed by hand from its weight matrices (plain loops over
    /// the parameters' numbers, no tensor ops), and each half's gradient with respect to every
    /// weight of the encoder is exact.
    @Test func theEncoderMapsAnImageToTheMeanAndLogVarianceOfQ() {
        let (n, d, k) = (3, 5, 2)
        let vae = Fixtures.tinyVAE(dataSize: d, latent: k)
        let x = Fixtures.binaryImages(count: n, dataSize: d, seed: 1)
        let (mean, logVariance) = vae.encode(x)
        #expect(mean.shape == [n, k] && logVariance.shape == [n, k])
        // The reference: h = tanh(x W1 + b1), out = h W2 + b2, row-major weights [in, out].
        func dense(_ input: [Double], _ layer: Linear<Double>) -> [Double] {
            let (w, b) = (layer.weight.value, layer.bias.value.scalars)
            let (rows, columns) = (w.shape[0], w.shape[1])
            return (0..<columns).map { o in (0..<rows).reduce(b[o]) { $0 + input[$1] * w.scalars[$1 * columns + o] } }
        }
        #expect(vae.encoder.layers.count == 2)
        for row in 0..<n {
            let pixels = Array(x.scalars[(row * d)..<((row + 1) * d)])
            let out = dense(dense(pixels, vae.encoder.layers[0]).map(Foundation.tanh), vae.encoder.layers[1])
            for j in 0..<k {
                #expect(Swift.abs(mean.scalars[row * k + j] - out[j]) < 1e-12, "mu[\(row), \(j)]")
                #expect(Swift.abs(logVariance.scalars[row * k + j] - out[k + j]) < 1e-12, "log sigma^2[\(row), \(j)]")
            }
        }
        let weights = vae.encoder.parameterCount
        let ofMean = GradientCheck.check(parameters: vae.encoder.parameters) { vae.encode(x).mean }
        let ofLogVariance = GradientCheck.check(parameters: vae.encoder.parameters) { vae.encode(x).logVariance }
        #expect(ofMean.maxRelativeError <= 1e-6 && ofMean.elements == weights, "mu: \(ofMean)")
        #expect(
            ofLogVariance.maxRelativeError <= 1e-6 && ofLogVariance.elements == weights, "log sigma^2: \(ofLogVariance)"
        )
    }

    /// Negative control: a sampler that cuts the gradient to mu and sigma (z computed from
    /// detached mu and log sigma^2: the same numbers, no path back) gives the same ELBO, but the
    /// gradient check of the ELBO in the encoder's weights catches it (only the KL term's
    /// gradient is left); the reparameterized sampler passes the same check.
    @Test func aSamplerThatCutsTheGradientToMuAndSigmaIsCaught() {
        let vae = Fixtures.tinyVAE()
        let x = Fixtures.binaryImages(count: 3, dataSize: 5, seed: 1)
        var rng = Random(seed: 2)
        let noise = Tensor<Double>.normal([3, 2], using: &rng)
        func elbo(cut: Bool) -> Tensor<Double> {
            let (mean, logVariance) = vae.encode(x)
            let z =
                cut
                ? VAE<Double>.reparameterize(mean: mean.detached, logVariance: logVariance.detached, noise: noise)
                : VAE<Double>.reparameterize(mean: mean, logVariance: logVariance, noise: noise)
            return VAE<Double>.bernoulliLogLikelihood(logits: vae.decode(z), images: x)
                - Tensor.gaussianKL(mean: mean, logVariance: logVariance).sum(alongAxis: 1)
        }
        let reference = withoutGradient { vae.elboTerms(x, noise: noise).elbo }
        #expect(withoutGradient { elbo(cut: false) == reference && elbo(cut: true) == reference })
        let right = GradientCheck.check(parameters: vae.encoder.parameters) { elbo(cut: false) }
        let cut = GradientCheck.check(parameters: vae.encoder.parameters) { elbo(cut: true) }
        #expect(right.maxRelativeError <= 1e-6, "reparameterized: \(right)")
        #expect(cut.maxRelativeError > 1e-2, "a sampler without a gradient path passed: \(cut)")
    }

    /// Reparameterized sampling: z = mu + e^(logvar / 2) eps is distributed as N(mu, sigma^2)
    /// (mean and variance of 100,000 draws), and for fixed eps it is differentiable in mu and
    /// log sigma^2, dz/dmu = 1 and dz/dlogvar = sigma eps / 2 (checked against finite differences).
    @Test func reparameterizedSamplingIsADifferentiableFunctionOfTheEncodersOutputs() {
        let (mu, logVariance) = (0.7, -0.6)
        var rng = Random(seed: 4)
        let n = 100_000
        let eps = Tensor<Double>.normal([n], using: &rng)
        let z = VAE<Double>.reparameterize(
            mean: Tensor([Double](repeating: mu, count: n)),
            logVariance: Tensor([Double](repeating: logVariance, count: n)), noise: eps
        ).scalars
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let sigma2 = Foundation.exp(logVariance)
        #expect(Swift.abs(mean - mu) < 5 * (sigma2 / Double(n)).squareRoot(), "mean of z: \(mean)")
        #expect(Swift.abs(variance - sigma2) < 5 * sigma2 * (2 / Double(n)).squareRoot(), "variance of z: \(variance)")
        let fixed = Tensor<Double>.normal([4, 3], using: &rng)
        let check = GradientCheck.check(at: [
            Tensor.normal([4, 3], using: &rng), Tensor.uniform([4, 3], low: -1, high: 1, using: &rng),
        ]) { t in
            VAE<Double>.reparameterize(mean: t[0], logVariance: t[1], noise: fixed)
        }
        #expect(check.maxRelativeError <= 1e-6, "z = mu + sigma * eps: \(check)")
    }

    /// The decoder: logits of p(x|z), a Bernoulli per pixel, whose log-likelihood is exact in the
    /// decoder's weights and in z (the path the encoder's gradient takes); and p(x|z) is a
    /// distribution: it sums to 1 over all 2^4 images, at any z.
    @Test func theDecoderGivesANormalisedBernoulliLikelihoodDifferentiableInZ() {
        let vae = Fixtures.tinyVAE(dataSize: 4, latent: 2)
        let x = Fixtures.binaryImages(count: 3, dataSize: 4, seed: 2)
        var rng = Random(seed: 5)
        let z = Tensor<Double>.normal([3, 2], using: &rng)
        let inWeights = GradientCheck.check(parameters: vae.decoder.parameters) {
            VAE<Double>.bernoulliLogLikelihood(logits: vae.decode(z), images: x)
        }
        #expect(inWeights.maxRelativeError <= 1e-6, "decoder weights: \(inWeights)")
        let inZ = GradientCheck.check(at: [z]) {
            VAE<Double>.bernoulliLogLikelihood(logits: vae.decode($0[0]), images: x)
        }
        #expect(inZ.maxRelativeError <= 1e-6, "decoder input z: \(inZ)")
        let oneZ = z.slice(0..<1, alongAxis: 0)
        let total = (0..<16).reduce(0.0) { sum, code in
            let image = Tensor<Double>(shape: [1, 4], scalars: (0..<4).map { Double((code >> $0) & 1) })
            return sum
                + Foundation.exp(VAE<Double>.bernoulliLogLikelihood(logits: vae.decode(oneZ), images: image).item)
        }
        #expect(Swift.abs(total - 1) < 1e-12, "sum of p(x|z) over all images: \(total)")
    }

    // MARK: The loss

    /// KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - 1 - log sigma^2) / 2 in closed form,
    /// against a Monte-Carlo average of log q(z) - log p(z) over 200,000 draws from q, within 5
    /// standard errors.
    @Test(arguments: [(0.0, 0.0), (1.5, -1.0), (-0.7, 1.2), (3.0, -4.0)])
    func theKLToThePriorHasAClosedForm(mean: Double, logVariance: Double) {
        let closed = Tensor.gaussianKL(mean: Tensor(mean), logVariance: Tensor(logVariance)).item
        #expect(Swift.abs(closed - 0.5 * (mean * mean + Foundation.exp(logVariance) - 1 - logVariance)) < 1e-12)
        var rng = Random(seed: 11)
        let sigma = Foundation.exp(0.5 * logVariance)
        let n = 200_000
        var (sum, sumSquares) = (0.0, 0.0)
        for _ in 0..<n {
            let eps = rng.normal()
            let z = mean + sigma * eps
            // log q(z) - log p(z) = -(logvar + eps^2) / 2 + z^2 / 2
            let v = -0.5 * (logVariance + eps * eps) + 0.5 * z * z
            (sum, sumSquares) = (sum + v, sumSquares + v * v)
        }
        let estimate = sum / Double(n)
        let standardError = ((sumSquares / Double(n) - estimate * estimate) / Double(n)).squareRoot()
        #expect(
            Swift.abs(closed - estimate) <= 5 * standardError + 1e-12, "closed form \(closed), Monte Carlo \(estimate)")
    }

    /// The whole loss, -ELBO = -log p(x|z) + KL(q || p(z)) with z reparameterized: its gradient
    /// with respect to every weight of encoder and decoder together is exact (noise held fixed),
    /// for smooth and for ReLU networks.
    @Test(arguments: [Activation.tanh, .relu])
    func theELBOIsDifferentiableInEveryWeight(activation: Activation) {
        let vae = Fixtures.tinyVAE(activation: activation)
        let x = Fixtures.binaryImages(count: 3, dataSize: 5, seed: 1)
        var rng = Random(seed: 2)
        let noise = Tensor<Double>.normal([3, 2], using: &rng)
        let result = GradientCheck.check(parameters: vae.parameters) { vae.elboTerms(x, noise: noise).elbo }
        #expect(result.maxRelativeError < 1e-6, "\(result)")
        #expect(result.elements == vae.parameterCount)
    }

    /// The reparameterized gradient is the derivative of the Monte-Carlo ELBO with eps held fixed:
    /// autodiff through z = mu + sigma * eps against central differences of the same estimate
    /// (4 samples per image) in mu and log sigma^2.
    @Test func theGradientPassesThroughTheSample() {
        let vae = Fixtures.tinyVAE()
        let x = Fixtures.binaryImages(count: 2, dataSize: 5, seed: 4)
        var rng = Random(seed: 6)
        let noise = Tensor<Double>.normal([4, 2, 2], using: &rng)
        let mean = Tensor<Double>.normal([2, 2], using: &rng)
        let logVariance = Tensor<Double>.uniform([2, 2], low: -1, high: 0.5, using: &rng)
        let result = GradientCheck.check(at: [mean, logVariance]) { t in
            let z = VAE<Double>.reparameterize(mean: t[0], logVariance: t[1], noise: noise)
            let reconstruction = VAE<Double>.bernoulliLogLikelihood(
                logits: vae.decode(z), images: x.broadcasted(to: [4, 2, 5])
            )
            .mean(alongAxes: [0])
            return reconstruction - Tensor.gaussianKL(mean: t[0], logVariance: t[1]).sum(alongAxis: 1)
        }
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    // MARK: The identity

    /// On the linear-Gaussian model (pPCA: z ~ N(0, I), x = W z + mu + noise) log p(x), p(z|x)
    /// and the ELBO of any Gaussian q are formulas. For random encoders of both families (diagonal
    /// and full covariance) and the prior, log p(x) = ELBO + KL(q || p(z|x)) to 1e-9, with the KL
    /// positive: the ELBO is below log p(x). For the exact posterior the KL is 0 and the ELBO is
    /// log p(x): the bound is tight.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func logPxIsTheELBOPlusTheKLToTheTruePosterior(seed: UInt64) {
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
                let elbo = model.elbo(x, q: q).elbo
                #expect(
                    Swift.abs(model.logMarginal(x) - (elbo + kl)) < 1e-9,
                    "\(name): log p(x) \(model.logMarginal(x)), ELBO \(elbo), KL \(kl)")
                #expect(kl > 1e-6 && elbo < model.logMarginal(x), "\(name): KL(q || p(z|x)) = \(kl)")
            }
            let q = exact.density(for: x)
            #expect(Swift.abs(q.kl(to: model.exactPosterior(x))) < 1e-10)
            #expect(
                Swift.abs(model.logMarginal(x) - model.elbo(x, q: q).elbo) < 1e-9, "exact posterior: ELBO = log p(x)")
        }
    }

    // MARK: Why reparameterize

    /// The reparameterized gradient is unbiased: on a linear-Gaussian VAE, whose ELBO is a formula,
    /// the mean of one-sample gradients over 40,000 draws equals the central difference of the
    /// exact ELBO, within 5 standard errors, for every encoder parameter.
    @Test(arguments: LinearGaussianEncoder<Double>.Family.allCases)
    func theReparameterizedGradientIsUnbiased(family: LinearGaussianEncoder<Double>.Family) {
        var rng = Random(seed: 21)
        let model = LinearGaussianModel(dataDimension: 3, latentDimension: 2, noiseStandardDeviation: 0.7, using: &rng)
        let encoder = LinearGaussianEncoder<Double>(dataDimension: 3, latentDimension: 2, family: family, using: &rng)
        encoder.logScale.value = Tensor([-0.4, 0.2])
        encoder.lowerScale.value = Tensor(shape: [2, 2], scalars: [0, 0, 0.3, 0])
        encoder.bias.value = Tensor([0.2, -0.1])
        let xs = (0..<2).map { _ in (0..<3).map { _ in rng.normal() } }
        // The exact ELBO, averaged over the two x, as a function of the parameters.
        func exactELBO() -> Double {
            xs.reduce(0) { $0 + model.elbo($1, q: encoder.density(for: $1)).elbo } / Double(xs.count)
        }
        let batches = 20
        let perBatch = 2000
        let x = Tensor<Double>(
            shape: [xs.count * perBatch, 3], scalars: (0..<perBatch).flatMap { _ in xs.flatMap { $0 } })
        var gradients: [[Double]] = []
        for _ in 0..<batches {
            let noise = Tensor<Double>.normal([xs.count * perBatch, 2], using: &rng)
            let g = valueAndGradient(of: encoder.parameters) {
                encoder.elboEstimate(x, noise: noise, model: model).mean()
            }.gradients
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
                let exact = (moved(h) - moved(-h)) / (2 * h)
                let values = gradients.map { $0[flat] }
                let mean = values.reduce(0, +) / Double(batches)
                let standardError =
                    (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1) / Double(batches))
                    .squareRoot()
                #expect(
                    Swift.abs(mean - exact) <= 5 * standardError + 1e-7,
                    "d ELBO / d \(p.name)[\(i)]: \(mean) vs \(exact)")
            }
        }
    }

    /// Without the trick, the gradient of E_q[f(z)] in q's parameters is the score function
    /// E_q[f(z) d log q(z) / d theta] (REINFORCE): unbiased too. For f(z) = sum_k (z_k - c_k)^2 under
    /// N(mu, diag sigma^2), E f = sum_k (mu_k - c_k)^2 + sigma_k^2, so d/dmu = 2 (mu - c) and
    /// d/dsigma = 2 sigma exactly: every estimator's mean over 200 estimates of 50 samples is within
    /// 5 standard errors of that.
    @Test(arguments: GaussianGradientEstimator.allCases)
    func bothEstimatorsAreUnbiased(estimator: GaussianGradientEstimator) {
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
            let standardError =
                (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(repeats - 1) / Double(repeats))
                .squareRoot()
            #expect(
                Swift.abs(mean - exact[i]) <= 5 * standardError,
                "\(estimator.name), component \(i): \(mean) vs \(exact[i])")
        }
    }

    /// But not equally noisy. With f shifted by a large constant (as log p(x|z) is about -100
    /// nats), the score function's variance explodes and the reparameterized one's does not move:
    /// more than 1000 times apart, for the same number of samples. A baseline (subtracting from
    /// each f(z_s) the mean of f over the other samples) removes most of the constant, not the gap.
    @Test func theReparameterizedGradientIsFarLessNoisyThanTheScoreFunction() {
        let target = Tensor<Double>(shape: [1, 2], scalars: [1, 1])
        let f: (Tensor<Double>) -> Tensor<Double> = { z in (z - target).squared().sum(alongAxis: 1) - 100 }
        func variance(_ estimator: GaussianGradientEstimator) -> Double {
            var rng = Random(seed: 41)
            let values = (0..<300).map { _ in
                estimator.estimate(of: f, mean: [0, 0], std: [1, 1], noise: .normal([10, 2], using: &rng)).mean[0]
            }
            let mean = values.reduce(0, +) / Double(values.count)
            return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        }
        let (reparameterized, score, baseline) = (
            variance(.reparameterization), variance(.scoreFunction), variance(.scoreFunctionWithBaseline)
        )
        #expect(score > 1000 * reparameterized, "score \(score) vs reparameterization \(reparameterized)")
        #expect(baseline < score / 100, "the baseline does not remove the constant: \(baseline) vs \(score)")
        #expect(
            baseline > reparameterized, "the baseline beats the reparameterization: \(baseline) vs \(reparameterized)")
    }
}
