// Generative adversarial networks (Goodfellow et al., 2014): a generator G maps noise z ~ p(z)
// to samples, a discriminator D maps a sample to the probability that it came from the data, and
// the two play
//
//     min_G max_D V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 - D(G(z)))].
//
// Discriminators here return a *logit* l with D(x) = sigmoid(l), so that every log D and
// log(1 - D) below is computed as a log-sigmoid, which stays finite when D rounds to 0 or 1:
//     log D = log sigmoid(l) = -softplus(-l),    log(1 - D) = log sigmoid(-l) = -softplus(l).

import Foundation
import Tensors

/// Polyak averaging of a generator's weights, average <- decay * average + (1 - decay) * current
/// after every step: the average moves along the training path without its step-to-step jitter,
/// and GAN samples from it are cleaner (Yazici et al., 2019, "The unusual effectiveness of
/// averaging in GAN training").
public func updateMovingAverage<S>(_ average: [Parameter<S>], toward current: [Parameter<S>], decay: S) {
    precondition(average.map(\.shape) == current.map(\.shape), "the averaged parameters' shapes differ")
    for (a, c) in zip(average, current) { a.value = a.value.detached * decay + c.value.detached * (1 - decay) }
}

extension Layer {
    /// Copies every parameter value of `other` (same shapes) into this layer's parameters: the
    /// way two experiments start from exactly the same weights.
    public func load(from other: Self) {
        precondition(
            parameters.map(\.shape) == other.parameters.map(\.shape), "the two layers' parameter shapes differ")
        for (p, q) in zip(parameters, other.parameters) { p.value = q.value.detached }
    }
}

/// The generator's half of the game, in the two forms of the GAN paper.
public enum GeneratorObjective: String, CaseIterable, Sendable {
    /// Minimise E_z[log(1 - D(G(z)))], the minimax game itself. Its gradient vanishes when D
    /// confidently rejects the samples (D(G(z)) near 0, early in training): it *saturates*.
    case minimax
    /// Maximise E_z[log D(G(z))] instead ("-log D trick"): the same fixed point, but strong
    /// gradients exactly when the generator is bad.
    case nonSaturating

    public var name: String { self == .minimax ? "minimax (saturating)" : "non-saturating" }
}

/// The losses of the game, from discriminator logits (D = sigmoid(logit)). Each is a mean over
/// the batch; every one is a loss to *minimise*.
public enum GANLoss {
    /// The Monte Carlo estimate of V(D, G) from logits of real samples [N, 1] and of generated
    /// samples [M, 1]: mean log D(x) + mean log(1 - D(G(z))).
    public static func value<S>(realLogits: Tensor<S>, fakeLogits: Tensor<S>) -> Tensor<S> {
        realLogits.logSigmoid().mean() + (-fakeLogits).logSigmoid().mean()
    }

    /// The discriminator maximises V, so it minimises -V: the binary cross-entropy of calling
    /// real samples 1 and generated ones 0,
    ///     mean softplus(-l_real) + mean softplus(l_fake).
    public static func discriminator<S>(realLogits: Tensor<S>, fakeLogits: Tensor<S>) -> Tensor<S> {
        (-realLogits).softplus().mean() + fakeLogits.softplus().mean()
    }

    /// The generator's loss from the logits of its samples [M, 1]:
    /// - minimax:        mean log(1 - D(G(z))) = -mean softplus(l)
    /// - non-saturating: -mean log D(G(z))     =  mean softplus(-l)
    /// With D = sigmoid(l), d/dl of the first is -D and of the second -(1 - D): when D(G(z)) is
    /// near 0 the minimax gradient is near 0 and the non-saturating one near -1.
    public static func generator<S>(fakeLogits: Tensor<S>, objective: GeneratorObjective) -> Tensor<S> {
        switch objective {
        case .minimax: -fakeLogits.softplus().mean()
        case .nonSaturating: (-fakeLogits).softplus().mean()
        }
    }
}

/// A generator and a discriminator trained together as in Algorithm 1 of the GAN paper:
/// `k` steps of D (each on a fresh real batch and as many fresh samples), then one step of G on
/// fresh noise. The noise is N(0, I) of `noiseSize` dimensions; both players use their own
/// optimiser.
public final class GANTrainer<Generator: Network, Discriminator: Network>
where Generator.Scalar == Float, Discriminator.Scalar == Float {
    public let generator: Generator
    public let discriminator: Discriminator
    public let noiseSize: Int
    public var objective: GeneratorObjective
    /// k, the discriminator steps per generator step.
    public var discriminatorSteps: Int
    private let updateGenerator: ([Parameter<Float>], [Tensor<Float>]) -> Void
    private let updateDiscriminator: ([Parameter<Float>], [Tensor<Float>]) -> Void

    /// What one `step` measured.
    public struct Step: Sendable {
        /// -V on the last discriminator batch (the discriminator's binary cross-entropy).
        public var discriminatorLoss: Float
        /// The generator objective on its batch.
        public var generatorLoss: Float
        /// Mean D(x) on the last real batch and mean D(G(z)) on the generator's batch.
        public var meanRealD: Float
        public var meanFakeD: Float
        /// The L2 norm of the generator's gradient (before the update).
        public var generatorGradientNorm: Float
    }

    public init<GO: Optimizer, DO: Optimizer>(
        generator: Generator, discriminator: Discriminator, noiseSize: Int,
        objective: GeneratorObjective = .nonSaturating, discriminatorSteps: Int = 1,
        generatorOptimizer: GO, discriminatorOptimizer: DO
    ) where GO.Scalar == Float, DO.Scalar == Float {
        precondition(discriminatorSteps >= 1, "k, the discriminator steps per generator step, must be at least 1")
        self.generator = generator
        self.discriminator = discriminator
        self.noiseSize = noiseSize
        self.objective = objective
        self.discriminatorSteps = discriminatorSteps
        updateGenerator = generatorOptimizer.update
        updateDiscriminator = discriminatorOptimizer.update
    }

    /// Noise for `count` samples, [count, noiseSize].
    public func noise(_ count: Int, using rng: inout Random) -> Tensor<Float> {
        .normal([count, noiseSize], using: &rng)
    }

    /// `count` samples of the generator (no gradient).
    public func sample(_ count: Int, using rng: inout Random) -> Tensor<Float> {
        let z = noise(count, using: &rng)
        return withoutGradient { generator(z) }
    }

    /// One discriminator step on `real` [N, ...] against as many fresh generated samples;
    /// returns the loss and mean D(x).
    @discardableResult
    public func discriminatorStep(real: Tensor<Float>, using rng: inout Random) -> (loss: Float, meanRealD: Float) {
        let fake = sample(real.shape[0], using: &rng)
        var realLogits = Tensor<Float>.zeros([1])
        let (loss, grads) = valueAndGradient(of: discriminator.parameters) {
            let r = discriminator(real)
            realLogits = r.detached
            return GANLoss.discriminator(realLogits: r, fakeLogits: discriminator(fake))
        }
        updateDiscriminator(discriminator.parameters, grads)
        return (loss.item, realLogits.sigmoid().mean().item)
    }

    /// One generator step on `batchSize` fresh noise vectors: the gradient flows through D
    /// (whose parameters stay fixed) into G. Returns the loss, mean D(G(z)) and the gradient norm.
    @discardableResult
    public func generatorStep(batchSize: Int, using rng: inout Random) -> (
        loss: Float, meanFakeD: Float, gradientNorm: Float
    ) {
        let z = noise(batchSize, using: &rng)
        var fakeLogits = Tensor<Float>.zeros([1])
        let (loss, grads) = valueAndGradient(of: generator.parameters) {
            let l = discriminator(generator(z))
            fakeLogits = l.detached
            return GANLoss.generator(fakeLogits: l, objective: objective)
        }
        updateGenerator(generator.parameters, grads)
        return (loss.item, fakeLogits.sigmoid().mean().item, Float(globalNorm(grads)))
    }

    /// k discriminator steps, each on the batch `realBatch` returns (it gets the generator, to
    /// draw or shuffle with), then one generator step on a batch of the same size.
    public func step(realBatch: (inout Random) -> Tensor<Float>, using rng: inout Random) -> Step {
        var d = (loss: Float(0), meanRealD: Float(0))
        var batchSize = 0
        for _ in 0..<discriminatorSteps {
            let real = realBatch(&rng)
            batchSize = real.shape[0]
            d = discriminatorStep(real: real, using: &rng)
        }
        let g = generatorStep(batchSize: batchSize, using: &rng)
        return Step(
            discriminatorLoss: d.loss, generatorLoss: g.loss, meanRealD: d.meanRealD, meanFakeD: g.meanFakeD,
            generatorGradientNorm: g.gradientNorm)
    }
}
