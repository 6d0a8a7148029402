import Foundation
import Tensors
import Testing

@testable import Models

// The VAE's observation models beyond the Bernoulli decoder: the categorical decoder of the
// 17-level digits and the lecture's Gaussian decoder (a mean and a diagonal variance per pixel).
// Each log-likelihood is compared with an independent closed form written out per pixel in
// Double, and its gradient with central finite differences; negative controls show that the
// same checks reject a broken formula and a gradient that does not reach a parameter.
@Suite("VAE decoders: categorical and Gaussian log-likelihoods, their gradients, the variance floor")
struct VAEDecoderTests {
    /// log N(x; m, s^2) for one pixel, written as the log of the density itself.
    static func logNormalDensity(_ x: Double, mean m: Double, variance v: Double) -> Double {
        Foundation.log(Foundation.exp(-(x - m) * (x - m) / (2 * v)) / (2 * Double.pi * v).squareRoot())
    }

    /// A deliberately wrong Gaussian log-likelihood: the log-variance term without its factor 1/2.
    static func brokenGaussian(_ x: Tensor<Double>, mean: Tensor<Double>, logVariance: Tensor<Double>) -> Tensor<Double>
    {
        (((x - mean).squared() / logVariance.exp() + Foundation.log(2 * Double.pi)) * -0.5 - logVariance).sum(
            alongAxis: -1)
    }

    /// The largest |value - closed form| over the rows of a [N, D] batch.
    static func worstDeviation(
        _ values: Tensor<Double>, x: Tensor<Double>, mean: Tensor<Double>, logVariance: Tensor<Double>
    ) -> Double {
        let (n, d) = (x.shape[0], x.shape[1])
        return (0..<n).map { row in
            let expected = (0..<d).reduce(0.0) { sum, i in
                let j = row * d + i
                return sum
                    + logNormalDensity(
                        x.scalars[j], mean: mean.scalars[j], variance: Foundation.exp(logVariance.scalars[j]))
            }
            return Swift.abs(values.scalars[row] - expected)
        }.max()!
    }

    @Test func gaussianLogLikelihoodMatchesTheDensityWrittenOut() {
        var rng = Random(seed: 21)
        let x = Tensor<Double>.normal([3, 5], using: &rng)
        let mean = Tensor<Double>.normal([3, 5], using: &rng)
        let logVariance = Tensor<Double>.uniform([3, 5], low: -3, high: 1, using: &rng)
        let value = DecoderLogLikelihood.gaussian(x, mean: mean, logVariance: logVariance)
        #expect(value.shape == [3])
        #expect(Self.worstDeviation(value, x: x, mean: mean, logVariance: logVariance) < 1e-10)
        // Negative control: the same comparison rejects the formula with a wrong log-variance term.
        let broken = Self.brokenGaussian(x, mean: mean, logVariance: logVariance)
        #expect(Self.worstDeviation(broken, x: x, mean: mean, logVariance: logVariance) > 0.1)
    }

    @Test func categoricalLogLikelihoodMatchesTheSoftmaxWrittenOut() {
        var rng = Random(seed: 22)
        let (n, d, levels) = (2, 4, 5)
        let logits = Tensor<Double>.normal([n, d * levels], using: &rng)
        let x = Tensor<Double>(shape: [n, d], scalars: (0..<(n * d)).map { _ in Double(rng.index(below: levels)) })
        let value = DecoderLogLikelihood.categorical(logits: logits, levels: x, levelCount: levels)
        func byHand(normalised: Bool) -> [Double] {
            (0..<n).map { row in
                (0..<d).reduce(0.0) { sum, i in
                    let l = (0..<levels).map { logits.scalars[(row * d + i) * levels + $0] }
                    let k = Int(x.scalars[row * d + i])
                    let total = normalised ? l.reduce(0.0) { $0 + Foundation.exp($1) } : 1
                    return sum + Foundation.log(Foundation.exp(l[k]) / total)
                }
            }
        }
        let expected = byHand(normalised: true)
        for row in 0..<n { expectClose(value.scalars[row], expected[row], within: 1e-12, "row \(row)") }
        // Negative control: unnormalised logits (no softmax) differ from the likelihood by far more.
        let unnormalised = byHand(normalised: false)
        #expect((0..<n).allSatisfy { Swift.abs(unnormalised[$0] - value.scalars[$0]) > 0.1 })
    }

    @Test func categoricalMeanImageIsTheExpectedLevel() {
        var rng = Random(seed: 23)
        let vae = VAE<Double>(
            dataSize: 3, hiddenSizes: [4], latentSize: 2, likelihood: .categorical(levels: 4), using: &rng)
        let z = Tensor<Double>.normal([2, 2], using: &rng)
        let mean = vae.expectedImage(z)
        let logits = vae.decode(z)
        for j in 0..<6 {
            let l = (0..<4).map { logits.scalars[j * 4 + $0] }
            let total = l.reduce(0.0) { $0 + Foundation.exp($1) }
            let expected = (0..<4).reduce(0.0) { $0 + Double($1) * Foundation.exp(l[$1]) / total }
            expectClose(mean.scalars[j], expected, within: 1e-12, "pixel \(j)")
        }
    }

    @Test func varianceFloorBoundsTheVarianceFromBelow() {
        let raw = Tensor<Double>(shape: [4], scalars: [-50, -5, 0, 3])
        let floored = DecoderLogLikelihood.flooredLogVariance(raw: raw, floor: 0.01)
        for (r, v) in zip(raw.scalars, floored.scalars) {
            expectClose(v, Foundation.log(0.01 + Foundation.exp(r)), within: 1e-12, "raw \(r)")
            #expect(Foundation.exp(v) >= 0.01)
        }
        // Without a floor the raw value is the log-variance, free to run to -infinity.
        #expect(DecoderLogLikelihood.flooredLogVariance(raw: raw, floor: 0).scalars == raw.scalars)
    }

    @Test func gaussianLogLikelihoodGradientMatchesFiniteDifferences() {
        var rng = Random(seed: 24)
        let x = Tensor<Double>.normal([2, 3], using: &rng)
        let mean = Tensor<Double>.normal([2, 3], using: &rng)
        let raw = Tensor<Double>.uniform([2, 3], low: -2, high: 1, using: &rng)
        for floor in [0.0, 0.05] {
            let result = GradientCheck.check(at: [x, mean, raw]) { t in
                DecoderLogLikelihood.gaussian(
                    t[0], mean: t[1], logVariance: DecoderLogLikelihood.flooredLogVariance(raw: t[2], floor: floor))
            }
            #expect(result.elements == 18)
            #expect(result.maxRelativeError < 1e-6, "floor \(floor): \(result)")
        }
    }

    @Test func categoricalLogLikelihoodGradientMatchesFiniteDifferences() {
        var rng = Random(seed: 25)
        let logits = Tensor<Double>.normal([2, 3 * 4], using: &rng)
        let x = Tensor<Double>(shape: [2, 3], scalars: [0, 3, 1, 2, 2, 0])
        let result = GradientCheck.check(at: [logits]) { t in
            DecoderLogLikelihood.categorical(logits: t[0], levels: x, levelCount: 4)
        }
        #expect(result.elements == 24)
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    /// The whole ELBO of a small VAE with each new decoder, in every weight (the shared variance
    /// included), through the reparameterized sample.
    @Test(arguments: [
        VAELikelihood.categorical(levels: 3), .gaussian(variance: .learned(floor: 0)),
        .gaussian(variance: .learned(floor: 0.1)),
        .gaussian(variance: .shared),
    ])
    func elboGradientMatchesFiniteDifferences(likelihood: VAELikelihood) {
        var rng = Random(seed: 26)
        let vae = VAE<Double>(
            dataSize: 3, hiddenSizes: [4], latentSize: 2, decoderActivation: .tanh, likelihood: likelihood, using: &rng)
        var x = Tensor<Double>.uniform([2, 3], using: &rng)
        if case .categorical = likelihood { x = Tensor(shape: [2, 3], scalars: [0, 2, 1, 1, 0, 2]) }
        let noise = vae.noise(count: 2, using: &rng)
        let result = GradientCheck.check(parameters: vae.parameters) { vae.elboTerms(x, noise: noise).elbo }
        #expect(result.elements == vae.parameterCount)
        #expect(result.maxRelativeError < 1e-5, "\(likelihood.name): \(result)")
    }

    /// Negative control for the gradient check: a shared log-variance read through `detached`
    /// receives no gradient from autodiff, while moving it changes the ELBO; the check catches it.
    @Test func gradientCheckCatchesAVarianceThatIsNotTrained() {
        var rng = Random(seed: 27)
        let vae = VAE<Double>(
            dataSize: 3, hiddenSizes: [4], latentSize: 2, likelihood: .gaussian(variance: .shared), using: &rng)
        let x = Tensor<Double>.uniform([2, 3], using: &rng)
        let noise = vae.noise(count: 2, using: &rng)
        let shared = vae.sharedLogVariance!
        let result = GradientCheck.check(parameters: [shared]) {
            let (mean, logVariance) = vae.encode(x)
            let z = VAE<Double>.reparameterize(mean: mean, logVariance: logVariance, noise: noise)
            let m = vae.gaussianParameters(vae.decode(z)).mean
            return DecoderLogLikelihood.gaussian(
                x, mean: m, logVariance: shared.value.detached.broadcasted(to: m.shape))
        }
        #expect(result.maxRelativeError > 0.5, "\(result)")
    }

    /// The Bernoulli decoder, the default, still computes exactly the binary cross-entropy form.
    @Test func bernoulliDecoderIsUnchanged() {
        var rng = Random(seed: 28)
        let vae = VAE<Double>(dataSize: 4, hiddenSizes: [5], latentSize: 2, using: &rng)
        #expect(
            vae.likelihood == .bernoulli
                && vae.parameters.count == vae.encoder.parameters.count + vae.decoder.parameters.count)
        let logits = Tensor<Double>.normal([3, 4], using: &rng)
        let x = Tensor<Double>(shape: [3, 4], scalars: (0..<12).map { Double($0 % 3 == 0 ? 1 : 0) })
        let value = vae.logLikelihood(logits, images: x)
        for row in 0..<3 {
            let expected = (0..<4).reduce(0.0) { sum, i in
                let p = 1 / (1 + Foundation.exp(-logits.scalars[row * 4 + i]))
                return sum + Foundation.log(x.scalars[row * 4 + i] == 1 ? p : 1 - p)
            }
            expectClose(value.scalars[row], expected, within: 1e-12, "row \(row)")
        }
    }
}
