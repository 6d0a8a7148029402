// The variational autoencoder (Kingma and Welling, 2014; Rezende et al., 2014).
//
// A latent-variable model p(x) = integral of p(x|z) p(z) dz, with p(z) = N(0, I) and a decoder
// network giving p(x|z), cannot be trained by maximum likelihood directly: the integral has no
// closed form. An encoder network q(z|x) = N(mu(x), diag sigma^2(x)) approximates the posterior,
// and for every q
//
//     log p(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) + KL(q(z|x) || p(z|x)).
//
// The last term is >= 0 and unknown; the first two are the evidence lower bound (ELBO), which is
// maximised in the decoder's and the encoder's weights together. Its first term needs samples
// z ~ q(z|x), and backpropagation cannot pass through "draw a sample". The reparameterization
// trick writes the draw as a deterministic function of the weights and of noise that does not
// depend on them,
//
//     z = mu(x) + sigma(x) * eps,   eps ~ N(0, I),
//
// so that d z / d mu = 1 and d z / d sigma = eps, and the ELBO's Monte-Carlo estimate is an
// ordinary differentiable function of the weights for fixed eps. The KL to the prior is closed
// form for Gaussians (`Tensor.gaussianKL`).

import Foundation
import Tensors

/// The ELBO of every image of a batch and its two terms, in nats, each of shape [N].
public struct ELBOTerms<Scalar: TensorScalar> {
    /// log p(x|z) at the sampled z: a one-sample estimate of E_q[log p(x|z)] (the negative
    /// reconstruction error).
    public let reconstruction: Tensor<Scalar>
    /// KL(q(z|x) || p(z)), in closed form.
    public let kl: Tensor<Scalar>
    /// reconstruction - kl.
    public var elbo: Tensor<Scalar> { reconstruction - kl }
}

/// A VAE: a Gaussian encoder and a decoder, both MLPs; by default a Bernoulli decoder for binary
/// images.
///
/// Images are rows of `dataSize` values (a batch is [N, D]): in {0, 1} for the Bernoulli decoder,
/// levels 0..<L for the categorical one, real numbers for the Gaussian one; latents are [N, K].
/// The encoder maps x to 2K numbers, the mean mu and the log-variance log sigma^2 of q(z|x) (a
/// log-variance is unconstrained, sigma = e^(logvar / 2) is always positive). The decoder maps z
/// to `likelihood.outputsPerPixel` numbers per pixel: for the Bernoulli decoder D logits l,
/// p(x_i = 1 | z) = sigmoid(l_i) (see `VAELikelihood` for the others).
public final class VAE<Scalar: TensorScalar>: Layer {
    /// D, pixels per image.
    public let dataSize: Int
    /// K, the size of z.
    public let latentSize: Int
    /// D -> hidden -> 2K: [mean, log-variance].
    public let encoder: MLP<Scalar>
    /// K -> hidden -> D * outputsPerPixel: the parameters of p(x|z).
    public let decoder: MLP<Scalar>
    /// The observation model p(x|z).
    public let likelihood: VAELikelihood
    /// The one log-variance of a Gaussian decoder with a shared variance ([1]); nil otherwise.
    public let sharedLogVariance: Parameter<Scalar>?

    /// Encoder D -> hiddenSizes -> 2K and decoder K -> reversed hiddenSizes -> D, with PyTorch's
    /// default initialisation: 784-400-(2x20) / 20-400-784 with ReLUs is the VAE of the reference
    /// run. A smooth decoder activation (tanh) makes log p(x|z) an analytic function of z, which
    /// quadrature over z integrates far more accurately than the kinks of a ReLU network.
    /// A shared Gaussian variance starts at 1 (log-variance 0).
    public init(
        dataSize: Int, hiddenSizes: [Int], latentSize: Int, encoderActivation: Activation = .relu,
        decoderActivation: Activation = .relu, likelihood: VAELikelihood = .bernoulli, using rng: inout Random
    ) {
        precondition(dataSize > 0 && latentSize > 0, "a VAE needs positive data and latent sizes")
        if case .categorical(let levels) = likelihood {
            precondition(levels >= 2, "a categorical decoder needs at least 2 levels")
        }
        if case .gaussian(.learned(let floor)) = likelihood {
            precondition(floor >= 0, "a variance floor must be >= 0, got \(floor)")
        }
        self.dataSize = dataSize
        self.latentSize = latentSize
        self.likelihood = likelihood
        encoder = MLP(sizes: [dataSize] + hiddenSizes + [2 * latentSize], activation: encoderActivation, using: &rng)
        decoder = MLP(
            sizes: [latentSize] + hiddenSizes.reversed() + [dataSize * likelihood.outputsPerPixel],
            activation: decoderActivation,
            using: &rng)
        sharedLogVariance =
            likelihood == .gaussian(variance: .shared)
            ? Parameter(Tensor(shape: [1], scalars: [0]), name: "log-variance") : nil
    }

    public var parameters: [Parameter<Scalar>] {
        encoder.parameters + decoder.parameters + (sharedLogVariance.map { [$0] } ?? [])
    }

    /// The number of trainable numbers.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// q(z|x) for a batch x [N, D]: mean and log-variance, [N, K] each.
    public func encode(_ x: Tensor<Scalar>) -> (mean: Tensor<Scalar>, logVariance: Tensor<Scalar>) {
        precondition(x.rank == 2 && x.shape[1] == dataSize, "the encoder takes [N, \(dataSize)], got \(x.shape)")
        let h = encoder(x)
        return (h.slice(0..<latentSize, alongAxis: 1), h.slice(latentSize..<(2 * latentSize), alongAxis: 1))
    }

    /// The reparameterization trick: z = mu + sigma * eps with sigma = e^(logvar / 2). `noise` (eps)
    /// has the shape of `mean` or a leading extra axis of samples ([S, N, K] for [N, K] means).
    public static func reparameterize(mean: Tensor<Scalar>, logVariance: Tensor<Scalar>, noise: Tensor<Scalar>)
        -> Tensor<Scalar>
    {
        mean + (logVariance * 0.5).exp() * noise
    }

    /// The decoder's output for z [..., K]: [..., D * outputsPerPixel] (for the Bernoulli decoder
    /// the D logits of p(x|z)).
    public func decode(_ z: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(z.shape.last == latentSize, "the decoder takes [..., \(latentSize)], got \(z.shape)")
        return decoder(z)
    }

    /// log p(x|z) = sum_i x_i log sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i)) = -sum_i BCE(l_i, x_i)
    /// for logits and images of the same shape [..., D]: the shape without its last axis.
    public static func bernoulliLogLikelihood(logits: Tensor<Scalar>, images x: Tensor<Scalar>) -> Tensor<Scalar> {
        -Tensor.binaryCrossEntropy(logits: logits, targets: x).sum(alongAxis: -1)
    }

    /// The mean and the log-variance of a Gaussian decoder's p(x|z) from its output [..., D * m]
    /// (means first, then the raw variances when they are learned): [..., D] each (the shared
    /// log-variance broadcast).
    public func gaussianParameters(_ output: Tensor<Scalar>) -> (mean: Tensor<Scalar>, logVariance: Tensor<Scalar>) {
        guard case .gaussian(let variance) = likelihood else {
            preconditionFailure("\(likelihood.name) decoder has no Gaussian parameters")
        }
        let axis = output.rank - 1
        let mean = output.slice(0..<dataSize, alongAxis: axis)
        switch variance {
        case .learned(let floor):
            return (
                mean,
                DecoderLogLikelihood.flooredLogVariance(
                    raw: output.slice(dataSize..<(2 * dataSize), alongAxis: axis), floor: floor)
            )
        case .shared:
            return (mean, sharedLogVariance!.value.broadcasted(to: mean.shape))
        }
    }

    /// log p(x|z) of images x [..., D] from the decoder's output at z [..., D * outputsPerPixel]:
    /// the shape [...]. Dispatches on `likelihood`: Bernoulli, categorical or Gaussian.
    public func logLikelihood(_ output: Tensor<Scalar>, images x: Tensor<Scalar>) -> Tensor<Scalar> {
        switch likelihood {
        case .bernoulli:
            return Self.bernoulliLogLikelihood(logits: output, images: x)
        case .categorical(let levels):
            return DecoderLogLikelihood.categorical(logits: output, levels: x, levelCount: levels)
        case .gaussian:
            let (mean, logVariance) = gaussianParameters(output)
            return DecoderLogLikelihood.gaussian(x, mean: mean, logVariance: logVariance)
        }
    }

    /// What the decoder expects at z [..., K], in the units of the images: the Bernoulli means
    /// sigmoid(l), the categorical mean level sum_k k softmax(l)_k, or the Gaussian mean: [..., D].
    public func expectedImage(_ z: Tensor<Scalar>) -> Tensor<Scalar> {
        let output = decode(z)
        switch likelihood {
        case .bernoulli:
            return output.sigmoid()
        case .categorical(let levels):
            let shape = Array(output.shape.dropLast()) + [dataSize, levels]
            let probabilities = output.reshaped(shape).logSoftmax().exp()
            let level = Tensor<Scalar>(shape: [levels], scalars: (0..<levels).map { Scalar($0) })
            return (probabilities * level.broadcasted(to: shape)).sum(alongAxis: -1)
        case .gaussian:
            return gaussianParameters(output).mean
        }
    }

    /// The ELBO of every image of x [N, D], with one reparameterized sample per image from
    /// `noise` [N, K] (eps ~ N(0, I)); differentiable in the weights.
    public func elboTerms(_ x: Tensor<Scalar>, noise: Tensor<Scalar>) -> ELBOTerms<Scalar> {
        let (mean, logVariance) = encode(x)
        precondition(noise.shape == mean.shape, "noise must be [N, K] = \(mean.shape), got \(noise.shape)")
        let z = Self.reparameterize(mean: mean, logVariance: logVariance, noise: noise)
        return ELBOTerms(
            reconstruction: logLikelihood(decode(z), images: x),
            kl: Tensor.gaussianKL(mean: mean, logVariance: logVariance).sum(alongAxis: 1))
    }

    /// The training loss: -ELBO averaged over the batch, in nats per image.
    public func loss(_ x: Tensor<Scalar>, noise: Tensor<Scalar>) -> Tensor<Scalar> {
        -elboTerms(x, noise: noise).elbo.mean()
    }

    /// eps ~ N(0, I) for `count` images: [count, K].
    public func noise(count: Int, using rng: inout Random) -> Tensor<Scalar> {
        .normal([count, latentSize], using: &rng)
    }

    /// The three log-densities behind the importance weights of S samples z_s = mu + sigma * eps_s
    /// per image, for x [N, D] and noise [S, N, K]: log p(x|z_s), log p(z_s) and log q(z_s|x), each
    /// [S, N]. Since z - mu = sigma * eps, log q(z|x) = -sum_k (log 2 pi + logvar_k + eps_k^2) / 2 exactly.
    public func logDensities(_ x: Tensor<Scalar>, noise: Tensor<Scalar>) -> (
        likelihood: Tensor<Scalar>, prior: Tensor<Scalar>, posterior: Tensor<Scalar>
    ) {
        let (mean, logVariance) = encode(x)
        let (s, n) = (noise.shape[0], x.shape[0])
        precondition(noise.shape == [s, n, latentSize], "noise must be [S, \(n), \(latentSize)], got \(noise.shape)")
        let z = Self.reparameterize(mean: mean, logVariance: logVariance, noise: noise)  // [S, N, K]
        let output = decode(z.reshaped([s * n, latentSize])).reshaped([s, n, dataSize * likelihood.outputsPerPixel])
        let log2Pi = Scalar(Foundation.log(2 * Double.pi))
        return (
            logLikelihood(output, images: x.broadcasted(to: [s, n, dataSize])),
            ((z.squared() + log2Pi) * -0.5).sum(alongAxis: 2),
            ((noise.squared() + logVariance + log2Pi) * -0.5).sum(alongAxis: 2)
        )
    }

    /// The log importance weights log w_s = log p(x|z_s) + log p(z_s) - log q(z_s|x), [S, N] (see
    /// `logDensities`).
    public func logImportanceWeights(_ x: Tensor<Scalar>, noise: Tensor<Scalar>) -> Tensor<Scalar> {
        let d = logDensities(x, noise: noise)
        return d.likelihood + d.prior - d.posterior
    }

    /// The importance-weighted bound (Burda et al., 2016) with k samples per image,
    ///     IWAE_k(x) = log (1/k) sum_s p(x, z_s) / q(z_s|x),  z_s ~ q(z|x),
    /// computed with a stable log-mean-exp: [N]. E[IWAE_1] is the ELBO, E[IWAE_k] grows with k and
    /// tends to log p(x).
    public func importanceWeightedBound(_ x: Tensor<Scalar>, samples k: Int, using rng: inout Random) -> Tensor<Scalar>
    {
        let w = logImportanceWeights(x, noise: .normal([k, x.shape[0], latentSize], using: &rng))
        return Likelihood.logMeanExp(w, alongAxis: 0)
    }

    /// Sampling: z ~ p(z) = N(0, I), then one decoder pass; what the decoder expects
    /// (`expectedImage`: for the Bernoulli decoder the means sigmoid(l)) [count, D].
    public func sampleMeans(count: Int, using rng: inout Random) -> Tensor<Scalar> {
        withoutGradient { expectedImage(.normal([count, latentSize], using: &rng)) }
    }

    /// Sampling: z ~ p(z), then x ~ p(x|z), pixel by pixel independently: [count, D] of 0 and 1
    /// (Bernoulli), of levels (categorical) or of real numbers (Gaussian).
    public func sample(count: Int, using rng: inout Random) -> Tensor<Scalar> {
        switch likelihood {
        case .bernoulli:
            let p = sampleMeans(count: count, using: &rng)
            return .bernoulli(probabilities: p, using: &rng)
        case .categorical(let levels):
            let logits = withoutGradient { decode(.normal([count, latentSize], using: &rng)) }
            let probabilities = logits.reshaped([count * dataSize, levels]).logSoftmax().exp().scalars
            let drawn = (0..<(count * dataSize)).map { i in
                Scalar(rng.categorical(Array(probabilities[(i * levels)..<((i + 1) * levels)])))
            }
            return Tensor(shape: [count, dataSize], scalars: drawn)
        case .gaussian:
            let (mean, logVariance) = withoutGradient {
                gaussianParameters(decode(.normal([count, latentSize], using: &rng)))
            }
            return withoutGradient { mean + (logVariance * 0.5).exp() * Tensor<Scalar>.normal(mean.shape, using: &rng) }
        }
    }
}

/// What `VAE.evaluate` measures on a set of images, per image in nats (Double).
public struct VAEEvaluation: Sendable {
    /// E_q[log p(x|z)], the mean over the S samples.
    public var reconstruction: [Double] = []
    /// KL(q(z|x) || p(z)), closed form.
    public var kl: [Double] = []
    /// The ELBO, reconstruction - kl.
    public var elbo: [Double] { zip(reconstruction, kl).map { $0 - $1 } }
    /// E[IWAE_k] for every k asked for: the S samples cut into S / k groups of k, the bound of each
    /// group averaged (for k = S, the single IWAE_S estimate).
    public var importanceWeighted: [Int: [Double]] = [:]
    /// The encoder's mean and log-variance of every image, N x K row-major.
    public var means: [Double] = []
    public var logVariances: [Double] = []

    public var count: Int { kl.count }

    /// The mean of a per-image quantity.
    public static func average(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
}

extension VAE {
    /// Evaluates the ELBO, its terms and E[IWAE_k] for every k in `ks` (each must divide
    /// `samples`) on the images x [N, D], with `samples` draws z ~ q(z|x) per image, in chunks of
    /// about `pointsPerChunk` decoder passes. No gradients are recorded.
    public func evaluate(
        _ x: Tensor<Scalar>, samples: Int, ks: [Int], pointsPerChunk: Int = 8192, using rng: inout Random
    ) -> VAEEvaluation {
        precondition(
            ks.allSatisfy { $0 > 0 && samples % $0 == 0 }, "every k in \(ks) must divide the \(samples) samples")
        let n = x.shape[0]
        let imagesPerChunk = Swift.max(1, Swift.min(n, pointsPerChunk / samples))
        var result = VAEEvaluation()
        for k in ks { result.importanceWeighted[k] = [] }
        withoutGradient {
            var start = 0
            while start < n {
                let end = Swift.min(start + imagesPerChunk, n)
                let batch = x.slice(start..<end, alongAxis: 0)
                let m = end - start
                let (mean, logVariance) = encode(batch)
                let noise = Tensor<Scalar>.normal([samples, m, latentSize], using: &rng)
                let d = logDensities(batch, noise: noise)
                let logLikelihood = d.likelihood.scalars.map(Double.init)  // [S, m]
                let w = (d.likelihood + d.prior - d.posterior).scalars.map(Double.init)
                let kl = Tensor.gaussianKL(mean: mean, logVariance: logVariance).sum(alongAxis: 1).scalars
                for j in 0..<m {
                    result.reconstruction.append(
                        (0..<samples).reduce(0.0) { $0 + logLikelihood[$1 * m + j] } / Double(samples))
                    result.kl.append(Double(kl[j]))
                    let weights = (0..<samples).map { w[$0 * m + j] }
                    for k in ks {
                        result.importanceWeighted[k]!.append(Self.meanOfGroupedLogMeanExp(weights, groupSize: k))
                    }
                }
                result.means += mean.scalars.map(Double.init)
                result.logVariances += logVariance.scalars.map(Double.init)
                start = end
            }
        }
        return result
    }

    /// The log weights cut into consecutive groups of `groupSize`; the mean over groups of
    /// log((1/k) sum exp(w)) of each group, computed stably (max subtracted).
    public static func meanOfGroupedLogMeanExp(_ w: [Double], groupSize k: Int) -> Double {
        precondition(k > 0 && w.count % k == 0, "\(w.count) weights do not split into groups of \(k)")
        var total = 0.0
        for g in stride(from: 0, to: w.count, by: k) {
            let group = w[g..<(g + k)]
            let top = group.max()!
            total += top + Foundation.log(group.reduce(0) { $0 + Foundation.exp($1 - top) } / Double(k))
        }
        return total / Double(w.count / k)
    }
}

extension VAE {
    /// log p(x|z), log p(z) and log q(z|x) of one image x ([1, D] or [D]) at every point of a 2-D
    /// latent grid (K must be 2), for `LatentQuadrature`. The decoder runs once per grid point, in
    /// chunks; the sums are in Double.
    public func densities(of image: Tensor<Scalar>, on grid: LatentGrid2D, pointsPerChunk: Int = 4096) -> (
        logLikelihood: [Double], logPrior: [Double], logQ: [Double]
    ) {
        precondition(latentSize == 2, "quadrature over z needs a 2-D latent space, this VAE has \(latentSize)")
        let x = image.reshaped([1, dataSize])
        let points = grid.points
        let g = grid.pointCount
        return withoutGradient {
            let (mean, logVariance) = encode(x)
            let (m, lv) = (mean.scalars.map(Double.init), logVariance.scalars.map(Double.init))
            var logLikelihood: [Double] = []
            logLikelihood.reserveCapacity(g)
            var start = 0
            while start < g {
                let end = Swift.min(start + pointsPerChunk, g)
                let z = Tensor<Scalar>(
                    shape: [end - start, 2], scalars: points[(2 * start)..<(2 * end)].map { Scalar($0) })
                let output = decode(z)
                logLikelihood += self.logLikelihood(output, images: x.broadcasted(to: [end - start, dataSize])).scalars
                    .map(Double.init)
                start = end
            }
            let log2Pi = Foundation.log(2 * Double.pi)
            var logPrior = [Double](repeating: 0, count: g)
            var logQ = [Double](repeating: 0, count: g)
            for j in 0..<g {
                for a in 0..<2 {
                    let z = points[2 * j + a]
                    logPrior[j] -= 0.5 * (log2Pi + z * z)
                    logQ[j] -= 0.5 * (log2Pi + lv[a] + (z - m[a]) * (z - m[a]) / Foundation.exp(lv[a]))
                }
            }
            return (logLikelihood, logPrior, logQ)
        }
    }

    /// log p(x), E_q[log p(x|z)], KL(q || p(z)) and KL(q || p(z|x)) of one image by quadrature on
    /// grids fitted to p(z|x) and to q(z|x) (`LatentQuadrature.fitted`: `count` points per axis,
    /// up to `maxCount` until the rule at twice the spacing agrees to `tolerance` nats). A smooth
    /// decoder (tanh) meets 1e-6 with few points; a ReLU decoder's kinks need more.
    public func quadrature(of image: Tensor<Scalar>, count: Int = 49, maxCount: Int = 193, tolerance: Double = 1e-6)
        -> LatentQuadratureResult
    {
        let (mean, logVariance) = withoutGradient { encode(image.reshaped([1, dataSize])) }
        let m = mean.scalars.map(Double.init)
        let s = logVariance.scalars.map { Foundation.exp(0.5 * Double($0)) }
        return LatentQuadrature.fitted(qMean: m, qStd: s, count: count, maxCount: maxCount, tolerance: tolerance) {
            densities(of: image, on: $0)
        }
    }
}

extension VAE {
    /// The active units of Burda et al. (2016): the latent dimensions k whose encoder mean varies
    /// over the images x [N, D], Var_x(E_q[z_k]) > `threshold` (population variance). A unit the
    /// encoder does not use keeps q(z_k|x) = p(z_k) for every x, and its mean stays at 0.
    public func activeUnits(_ x: Tensor<Scalar>, threshold: Double = 0.01) -> Int {
        let means = withoutGradient { encode(x).mean }
        let (n, k) = (means.shape[0], means.shape[1])
        return (0..<k).filter { j in
            let column = (0..<n).map { Double(means.scalars[$0 * k + j]) }
            let average = column.reduce(0, +) / Double(n)
            return column.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(n) > threshold
        }.count
    }
}

extension VAE {
    /// Decodes z ~ q(z|x) of each image of x [N, D] (one eps ~ N(0, I) [N, K] drawn from `rng`
    /// after encoding): the decoder's Bernoulli means sigmoid(l) [N, D], no gradients recorded.
    public func posteriorSampleMeans(_ x: Tensor<Scalar>, using rng: inout Random) -> Tensor<Scalar> {
        withoutGradient {
            let (mean, logVariance) = encode(x)
            return decode(
                Self.reparameterize(mean: mean, logVariance: logVariance, noise: noise(count: x.shape[0], using: &rng))
            ).sigmoid()
        }
    }
}

extension VAE {
    /// The straight line between the codes of two images in latent space, decoded: z_t = (1 - t)
    /// mu(a) + t mu(b) at `steps` evenly spaced t from 0 to 1 (mu the encoder's mean), each z_t
    /// passed through the decoder (`expectedImage`): [steps, D]. a and b are [1, D] or [D].
    public func interpolation(from a: Tensor<Scalar>, to b: Tensor<Scalar>, steps: Int) -> Tensor<Scalar> {
        precondition(steps >= 2, "an interpolation needs at least its two ends, got \(steps) steps")
        return withoutGradient {
            let mu = encode(Tensor(shape: [2, dataSize], scalars: a.scalars + b.scalars)).mean.scalars
            let k = latentSize
            let z = (0..<steps).flatMap { s -> [Scalar] in
                let t = Scalar(s) / Scalar(steps - 1)
                return (0..<k).map { (1 - t) * mu[$0] + t * mu[k + $0] }
            }
            return expectedImage(Tensor(shape: [steps, k], scalars: z))
        }
    }
}
