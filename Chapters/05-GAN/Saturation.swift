import Foundation
import Models
import Tensors
import Workbook

/// A generator objective as a function of D(G(z)) on `dValues`: the per-sample loss and
/// |d loss / d logit|, both from autodiff on the logits log(D / (1 - D)).
func lossAndSlope(_ objective: GeneratorObjective, at dValues: [Double]) -> (loss: [Double], slope: [Double]) {
    let logits = Tensor<Double>(dValues.map { Foundation.log($0 / (1 - $0)) })
    // The batch mean is multiplied back by the batch size: per-sample losses and gradients.
    let n = Double(dValues.count)
    var losses: [Double] = []
    var slopes: [Double] = []
    let (_, grads) = valueAndGradient(at: [logits]) { t in GANLoss.generator(fakeLogits: t[0], objective: objective) * n
    }
    for (i, l) in logits.scalars.enumerated() {
        let single = Tensor<Double>([l])
        losses.append(GANLoss.generator(fakeLogits: single, objective: objective).item)
        slopes.append(abs(grads[0].scalars[i]))
    }
    return (losses, slopes)
}

/// One early-training run of section 3: which objective, which optimiser for G, and what it did.
struct EarlyRun {
    let objective: GeneratorObjective
    let usesAdam: Bool
    let startDofG: Double
    let gradientNorms: [Double]
    let meanMoved: Double
    let jsdEnd: Double
    let pEnd: [Double]

    var name: String { "\(objective.name), \(usesAdam ? "Adam" : "SGD")" }
    var meanGradientNorm: Double { gradientNorms.reduce(0, +) / Double(gradientNorms.count) }
    /// The note beside the run's final JSD: with SGD the minimax generator is stuck (its gradient
    /// is about D(G(z)), near 0) and the non-saturating one moves toward the data; Adam divides the
    /// gradient by its own running size, which hides the difference.
    var expectedOutcome: String {
        if usesAdam { return "Adam divides by |grad|" }
        return objective == .minimax ? "stuck: gradient ~ D(G(z))" : "moves toward the data"
    }
}

/// The players of section 3, built afresh from `start` every time (the same weights each call):
/// a generator far to the right of the data, N(5, 0.3^2), and the discriminator of section 1.
func startingPlayers(_ start: Random) -> (MonotoneGenerator1D<Float>, MLP<Float>) {
    var r = start
    return (MonotoneGenerator1D<Float>(units: 8, mean: 5, std: 0.3, using: &r), discriminatorNetwork(&r))
}

/// D trained alone for 200 Adam steps (batches of 256) until it rejects G's samples, as it does
/// early in a real run.
func pretrainDiscriminator(
    _ d: MLP<Float>, against g: MonotoneGenerator1D<Float>, on line: LineSetting, rng: inout Random
) {
    let pretrain = Adam<Float>(learningRate: 2e-3)
    for _ in 0..<200 {
        let real = line.data.samples(256, using: &rng)
        let fake = withoutGradient { g(.normal([256, 1], using: &rng)) }
        let (_, grads) = valueAndGradient(of: d.parameters) {
            GANLoss.discriminator(realLogits: d(real), fakeLogits: d(fake))
        }
        pretrain.update(d.parameters, with: grads)
    }
}

/// `steps` steps of the game with k = 1 from copies of `g0` and `d0`, drawing from a copy of
/// `rng` (the same draws for every run). D uses Adam (2e-3, beta1 = 0.5); G plain SGD (0.05), so
/// that its step is proportional to its gradient, or Adam with `useAdam`.
func earlyTraining(
    _ objective: GeneratorObjective, useAdam: Bool, from g0: MonotoneGenerator1D<Float>, _ d0: MLP<Float>,
    start: Random, steps: Int, on line: LineSetting, pStart: [Double], chapter: Chapter, rng: Random
) throws -> EarlyRun {
    let (g, d) = startingPlayers(start)
    g.load(from: g0)
    d.load(from: d0)
    var r = rng
    let dOptimizer = Adam<Float>(learningRate: 2e-3, beta1: 0.5)
    let trainer =
        useAdam
        ? GANTrainer(
            generator: g, discriminator: d, noiseSize: 1, objective: objective,
            generatorOptimizer: Adam<Float>(learningRate: 2e-3, beta1: 0.5), discriminatorOptimizer: dOptimizer)
        : GANTrainer(
            generator: g, discriminator: d, noiseSize: 1, objective: objective,
            generatorOptimizer: SGD<Float>(learningRate: 0.05), discriminatorOptimizer: dOptimizer)
    var norms: [Double] = []
    var firstDofG = 0.0
    for step in 1...steps {
        let s = trainer.step(realBatch: { line.data.samples(256, using: &$0) }, using: &r)
        try chapter.checkFinite(s.generatorLoss, step: step, model: "the 1-D GAN (\(objective.name))")
        if step == 1 { firstDofG = Double(s.meanFakeD) }
        norms.append(Double(s.generatorGradientNorm))
    }
    let pEnd = line.density(of: g)
    return EarlyRun(
        objective: objective, usesAdam: useAdam, startDofG: firstDofG, gradientNorms: norms,
        meanMoved: line.mean(pEnd) - line.mean(pStart), jsdEnd: line.jensenShannon(pEnd), pEnd: pEnd)
}
