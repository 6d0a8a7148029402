import Foundation
import Tensors
import Testing

@testable import Models

/// A density on the line, named for the test log.
struct Density1D: CustomTestStringConvertible, Sendable {
    let name: String
    let pdf: @Sendable (Double) -> Double
    var testDescription: String { name }

    static func gaussian(_ mean: Double, _ std: Double) -> Density1D {
        Density1D(name: "N(\(mean), \(std)^2)") { x in
            let z = (x - mean) / std
            return Foundation.exp(-0.5 * z * z) / (std * (2 * Double.pi).squareRoot())
        }
    }

    static func mixture(_ parts: [(weight: Double, mean: Double, std: Double)]) -> Density1D {
        let components = parts.map { gaussian($0.mean, $0.std) }
        return Density1D(name: "mixture of \(parts.count)") { x in
            zip(parts, components).reduce(0) { $0 + $1.0.weight * $1.1.pdf(x) }
        }
    }
}

let wideGrid = QuadratureGrid(from: -40, to: 40, count: 16_001)

// The lecture's claims about V(D, G), D* and the Jensen-Shannon divergence are answered in
// Tests/ReviewQuestionsTests/Question3GANLoss.swift; here, the quadrature they rest on.
@Suite("Quadrature of divergences")
struct DivergenceQuadratureTests {
    /// The quadrature KL against the closed form for two Gaussians,
    /// KL = log(s2 / s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2.
    @Test(arguments: [(0.0, 1.0, 1.0, 1.5), (-2.0, 0.5, 1.0, 2.0), (3.0, 2.0, 3.0, 0.7)])
    func kullbackLeiblerMatchesTheClosedForm(m1: Double, s1: Double, m2: Double, s2: Double) {
        // Narrow enough that neither density underflows to 0 (log 0 would make the integrand infinite).
        let grid = QuadratureGrid(from: -20, to: 20, count: 40_001)
        let p = grid.x.map(Density1D.gaussian(m1, s1).pdf)
        let q = grid.x.map(Density1D.gaussian(m2, s2).pdf)
        let exact = Foundation.log(s2 / s1) + (s1 * s1 + (m1 - m2) * (m1 - m2)) / (2 * s2 * s2) - 0.5
        #expect(Swift.abs(GANTheory.kullbackLeibler(p, q, on: grid) - exact) < 1e-8)
    }
}

@Suite("The monotone 1-D generator and its exact density")
struct MonotoneGeneratorTests {
    let generator: MonotoneGenerator1D<Double> = {
        var rng = Random(seed: 7)
        let g = MonotoneGenerator1D<Double>(units: 3, mean: -0.5, std: 0.6, using: &rng)
        g.unitWeights.value = Tensor([1.5, 0.2, -1])
        g.unitLogSlopes.value = Tensor([2, 0, 1])
        return g
    }()

    @Test func tensorForwardMatchesTheExactMapAndItsInverse() {
        let exact = generator.exact
        let z = Tensor<Double>(shape: [7, 1], scalars: [-3, -1.5, -0.2, 0, 0.4, 1.1, 2.7])
        let x = generator(z)
        for i in 0..<7 {
            #expect(Swift.abs(x.scalars[i] - exact.map(z.scalars[i])) < 1e-12)
            #expect(Swift.abs(exact.inverse(x.scalars[i]) - z.scalars[i]) < 1e-9)
        }
    }

    /// Change of variables: integral_{-inf}^{x} p_g = P(G(z) <= x) = Phi(G^{-1}(x)), and p_g
    /// integrates to 1.
    @Test func densityIntegratesToTheNormalCDFOfTheInverse() {
        let exact = generator.exact
        #expect(Swift.abs(wideGrid.integrate(exact.density) - 1) < 1e-8)
        for x in [-2.0, -0.5, 0.3, 1.7] {
            let grid = QuadratureGrid(from: -15, to: x, count: 4001)
            let phi = 0.5 * Foundation.erfc(-exact.inverse(x) / 2.0.squareRoot())
            #expect(Swift.abs(grid.integrate(exact.density) - phi) < 1e-8)
        }
    }

    @Test func gradientCheckOfTheGenerator() {
        let z = Tensor<Double>(shape: [5, 1], scalars: [-1.3, -0.4, 0.1, 0.8, 2.2])
        let result = GradientCheck.check(parameters: generator.parameters) { generator(z) }
        #expect(result.maxRelativeError <= 1e-6, "\(result)")
    }
}

/// Tiny networks in Double for the loss checks: G maps 3-d noise to 2-d points, D 2-d points to
/// a logit.
struct TinyGAN {
    let generator: MLP<Double>
    let discriminator: MLP<Double>
    let z: Tensor<Double>
    let real: Tensor<Double>

    init(seed: UInt64 = 5, batch: Int = 4) {
        var rng = Random(seed: seed)
        generator = MLP(sizes: [3, 5, 2], activation: .leakyRelu(slope: 0.2), using: &rng)
        discriminator = MLP(sizes: [2, 6, 1], activation: .leakyRelu(slope: 0.2), using: &rng)
        z = .normal([batch, 3], using: &rng)
        real = .normal([batch, 2], mean: 1, using: &rng)
    }
}

@Suite("GAN losses")
struct GANLossTests {
    @Test func discriminatorLossIsMinusTheValue() {
        let gan = TinyGAN()
        let realLogits = gan.discriminator(gan.real)
        let fakeLogits = gan.discriminator(gan.generator(gan.z))
        let v = GANLoss.value(realLogits: realLogits, fakeLogits: fakeLogits).item
        // log D(x) + log(1 - D(G(z))) straight from the definition.
        let d = realLogits.sigmoid().scalars
        let dg = fakeLogits.sigmoid().scalars
        let direct = d.map(Foundation.log).reduce(0, +) / 4 + dg.map { Foundation.log(1 - $0) }.reduce(0, +) / 4
        #expect(Swift.abs(v - direct) < 1e-12)
        #expect(Swift.abs(GANLoss.discriminator(realLogits: realLogits, fakeLogits: fakeLogits).item + v) < 1e-12)
    }

    @Test func gradientCheckOfTheDiscriminatorLoss() {
        let gan = TinyGAN()
        let fake = gan.generator(gan.z)
        let result = GradientCheck.check(parameters: gan.discriminator.parameters) {
            GANLoss.discriminator(realLogits: gan.discriminator(gan.real), fakeLogits: gan.discriminator(fake))
        }
        #expect(result.maxRelativeError <= 1e-6, "\(result)")
    }

    /// The generator's gradient flows through D into G; checked for both objectives, with
    /// respect to the generator's and to the discriminator's parameters.
    @Test(arguments: GeneratorObjective.allCases)
    func gradientCheckOfTheGeneratorLoss(objective: GeneratorObjective) {
        let gan = TinyGAN()
        let result = GradientCheck.check(parameters: gan.generator.parameters + gan.discriminator.parameters) {
            GANLoss.generator(fakeLogits: gan.discriminator(gan.generator(gan.z)), objective: objective)
        }
        #expect(result.maxRelativeError <= 1e-6, "\(result)")
        #expect(result.elements == gan.generator.parameterCount + gan.discriminator.parameterCount)
    }

    /// Dropout in the discriminator: the same masks on every evaluation (the generator is
    /// re-seeded), so finite differences see the same function; and with training off it is
    /// the plain MLP.
    @Test func gradientCheckThroughADropoutDiscriminator() {
        let gan = TinyGAN()
        let d = DropoutMLP(gan.discriminator, rate: 0.4, rng: Random(seed: 9))
        let result = GradientCheck.check(parameters: gan.generator.parameters + d.parameters) {
            d.rng = Random(seed: 9)
            return GANLoss.generator(fakeLogits: d(gan.generator(gan.z)), objective: .nonSaturating)
        }
        #expect(result.maxRelativeError <= 1e-6, "\(result)")
        // Dropout changes the output while training, and not otherwise.
        #expect(d(gan.real) != gan.discriminator(gan.real))
        d.isTraining = false
        #expect(d(gan.real) == gan.discriminator(gan.real))
    }

    @Test func movingAverageMovesTowardTheCurrentWeights() {
        let a = Parameter(Tensor<Double>([0, 10]))
        let c = Parameter(Tensor<Double>([1, 0]))
        updateMovingAverage([a], toward: [c], decay: 0.9)
        #expect(Swift.abs(a.value.scalars[0] - 0.1) < 1e-15 && Swift.abs(a.value.scalars[1] - 9) < 1e-15)
    }

    @Test(arguments: GeneratorObjective.allCases)
    func gradientCheckThroughTheMonotoneGenerator(objective: GeneratorObjective) {
        var rng = Random(seed: 11)
        let g = MonotoneGenerator1D<Double>(units: 3, mean: 0.3, std: 1.2, using: &rng)
        let d = MLP<Double>(sizes: [1, 6, 1], activation: .tanh, using: &rng)
        let z = Tensor<Double>.normal([6, 1], using: &rng)
        let result = GradientCheck.check(parameters: g.parameters) {
            GANLoss.generator(fakeLogits: d(g(z)), objective: objective)
        }
        #expect(result.maxRelativeError <= 1e-6, "\(result)")
    }
}

@Suite("GAN training, mode coverage and Parzen windows")
struct GANTrainingTests {
    /// A few hundred alternating steps on a 1-D problem bring p_g closer to p_data (JSD by
    /// quadrature on the exact densities). (The order of the steps is tested in `AlgorithmOneTests`.)
    @Test func trainingReducesTheJensenShannonDivergence() {
        var rng = Random(seed: 2)
        let generator = MonotoneGenerator1D<Float>(units: 2, mean: -2, std: 0.5, using: &rng)
        let discriminator = MLP<Float>(sizes: [1, 16, 1], activation: .leakyRelu(slope: 0.2), using: &rng)
        let dOptimizer = Adam<Float>(learningRate: 1e-2, beta1: 0.5)
        let trainer = GANTrainer(
            generator: generator, discriminator: discriminator, noiseSize: 1, discriminatorSteps: 3,
            generatorOptimizer: Adam<Float>(learningRate: 3e-2, beta1: 0.5), discriminatorOptimizer: dOptimizer)
        let grid = QuadratureGrid(from: -15, to: 15, count: 3001)
        let pData = grid.x.map(Density1D.gaussian(1, 1).pdf)
        func jsd() -> Double { GANTheory.jensenShannon(pData, grid.x.map(generator.exact.density), on: grid) }
        let before = jsd()
        for _ in 0..<100 {
            _ = trainer.step(realBatch: { rng in .normal([32, 1], mean: 1, using: &rng) }, using: &rng)
        }
        let after = jsd()
        #expect(after < 0.25 * before, "JSD \(before) -> \(after)")
    }

    @Test func modeCoverageCountsModesAndOffModeSamples() {
        let centres: [SIMD2<Double>] = (0..<8).map { k in
            let angle = Double(k) * Double.pi / 4
            return SIMD2(2 * Foundation.cos(angle), 2 * Foundation.sin(angle))
        }
        // 40 samples at mode 0, 30 at mode 3, 2 at mode 5 (below 1/32 of 100), 28 at (0.5, 0),
        // off every mode but nearest to mode 0 at (2, 0).
        var points: [Float] = []
        for (k, n) in [(0, 40), (3, 30), (5, 2)] {
            for i in 0..<n { points += [Float(centres[k].x + 0.001 * Double(i % 5)), Float(centres[k].y)] }
        }
        for _ in 0..<28 { points += [0.5, 0] }
        let coverage = ModeCoverage(samples: Tensor(shape: [100, 2], scalars: points), centres: centres, radius: 0.06)
        #expect(coverage.samplesPerMode == [40, 0, 0, 30, 0, 2, 0, 0])
        #expect(coverage.modesCovered == 2)
        #expect(coverage.samplesNearestToMode == [68, 0, 0, 30, 0, 2, 0, 0])
        #expect(coverage.modesReached == 2)
        #expect(Swift.abs(coverage.offModeShare - 0.28) < 1e-12)
    }

    /// The window's log-density against a direct double loop, and its width selection.
    @Test func parzenWindowMatchesTheDefinition() {
        var rng = Random(seed: 4)
        let points = Tensor<Float>.normal([5, 3], using: &rng)
        let centres = Tensor<Float>.normal([7, 3], using: &rng)
        let window = ParzenWindow(points: points, centres: centres)
        let sigma = 0.7
        let values = window.logDensities(sigma: sigma)
        for i in 0..<5 {
            var mean = 0.0
            for j in 0..<7 {
                var d2 = 0.0
                for k in 0..<3 {
                    let d = Double(points.scalars[i * 3 + k]) - Double(centres.scalars[j * 3 + k])
                    d2 += d * d
                }
                let normaliser: Double = Foundation.pow(2 * Double.pi * sigma * sigma, 1.5)
                let kernel: Double = Foundation.exp(-d2 / (2 * sigma * sigma)) / normaliser
                mean += kernel / 7
            }
            #expect(Swift.abs(values[i] - Foundation.log(mean)) < 1e-5)
        }
        let candidates = [0.1, 0.3, 1.0, 3.0]
        let (best, scores) = window.bestWidth(among: candidates)
        #expect(scores.max() == window.meanLogDensity(sigma: best).mean)
    }
}

/// Algorithm 1 of the GAN paper, watched from outside the trainer: for each training iteration,
/// k times { draw a minibatch of m noise samples and a minibatch of m data examples, update D by
/// ascending its gradient }, then { draw a fresh minibatch of m noise samples, update G by
/// descending its gradient }. The trainer gets networks and optimisers that write down every
/// call: what each network was fed, which optimiser was asked to update which parameters with
/// which gradients, and every parameter value before and after each update.
@Suite("GAN training: Algorithm 1")
struct AlgorithmOneTests {
    enum Event {
        case batch(Tensor<Float>)
        case forward(network: String, input: Tensor<Float>)
        case update(
            player: String, parameters: [ObjectIdentifier], gradients: [Tensor<Float>], before: Snapshot,
            after: Snapshot)
    }

    /// Every parameter value of both players at one moment.
    struct Snapshot: Equatable {
        var generator: [Tensor<Float>]
        var discriminator: [Tensor<Float>]
    }

    final class Log {
        var events: [Event] = []
        var players: (generator: MLP<Float>, discriminator: MLP<Float>)?
        func snapshot() -> Snapshot {
            Snapshot(
                generator: players!.generator.parameters.map(\.value),
                discriminator: players!.discriminator.parameters.map(\.value))
        }
        /// Puts the values of a snapshot back into both players (to recompute a past step).
        func restore(_ snapshot: Snapshot) {
            for (p, v) in zip(players!.generator.parameters, snapshot.generator) { p.value = v }
            for (p, v) in zip(players!.discriminator.parameters, snapshot.discriminator) { p.value = v }
        }
    }

    /// An MLP that writes down every input it is fed.
    struct Recording: Network {
        let name: String
        let mlp: MLP<Float>
        let log: Log
        var parameters: [Parameter<Float>] { mlp.parameters }
        func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> {
            log.events.append(.forward(network: name, input: x.detached))
            return mlp(x)
        }
    }

    /// Plain SGD that writes down what it was asked to update, with the values around it.
    final class RecordingOptimizer: Optimizer {
        let player: String
        let log: Log
        let sgd = SGD<Float>(learningRate: 0.1)
        init(_ player: String, _ log: Log) { (self.player, self.log) = (player, log) }
        func update(_ parameters: [Parameter<Float>], with gradients: [Tensor<Float>]) {
            let before = log.snapshot()
            sgd.update(parameters, with: gradients)
            log.events.append(
                .update(
                    player: player, parameters: parameters.map(ObjectIdentifier.init), gradients: gradients,
                    before: before, after: log.snapshot()))
        }
    }

    @Test(arguments: [1, 3])
    func kDiscriminatorStepsOnFreshMinibatchesThenOneGeneratorStep(k: Int) {
        var rng = Random(seed: 41)
        let log = Log()
        let g = MLP<Float>(sizes: [2, 5, 2], activation: .tanh, using: &rng)
        let d = MLP<Float>(sizes: [2, 5, 1], activation: .tanh, using: &rng)
        log.players = (g, d)
        let trainer = GANTrainer(
            generator: Recording(name: "G", mlp: g, log: log), discriminator: Recording(name: "D", mlp: d, log: log),
            noiseSize: 2,
            discriminatorSteps: k, generatorOptimizer: RecordingOptimizer("G", log),
            discriminatorOptimizer: RecordingOptimizer("D", log))
        let data = Tensor<Float>.normal([64, 2], mean: 1, using: &rng)
        let m = 4
        let (iterations, start) = (2, log.snapshot())
        for _ in 0..<iterations {
            _ = trainer.step(
                realBatch: { rng in
                    let rows = (0..<m).map { _ in rng.index(below: 64) }
                    let batch = Tensor<Float>(
                        shape: [m, 2], scalars: rows.flatMap { Array(data.scalars[($0 * 2)..<($0 * 2 + 2)]) })
                    log.events.append(.batch(batch))
                    return batch
                }, using: &rng)
        }
        let end = log.snapshot()

        // The order: per iteration, k times (data minibatch, G on noise, D on data, D on samples,
        // update of D), then (G on noise, D on samples, update of G).
        func label(_ e: Event) -> String {
            switch e {
            case .batch: "data"
            case .forward(let network, _): network
            case .update(let player, _, _, _, _): "update \(player)"
            }
        }
        let iteration =
            Array(repeating: ["data", "G", "D", "D", "update D"], count: k).flatMap { $0 } + ["G", "D", "update G"]
        #expect(log.events.map(label) == Array(Array(repeating: iteration, count: iterations).joined()))
        guard log.events.map(label) == Array(Array(repeating: iteration, count: iterations).joined()) else { return }

        var noises: [Tensor<Float>] = []
        var batches: [Tensor<Float>] = []
        var previous = start
        for t in 0..<iterations {
            let events = Array(log.events[(t * iteration.count)..<((t + 1) * iteration.count)])
            for s in 0..<k {
                guard case .batch(let batch) = events[5 * s], case .forward(_, let z) = events[5 * s + 1],
                    case .forward(_, let real) = events[5 * s + 2], case .forward(_, let fake) = events[5 * s + 3],
                    case .update(_, let ids, let grads, let before, let after) = events[5 * s + 4]
                else {
                    Issue.record("unexpected event")
                    return
                }
                // D is fed the minibatch just drawn, and samples of G on the noise just drawn
                // (recomputed here with the parameters of that moment).
                log.restore(before)
                #expect(real == batch && z.shape == [m, 2])
                #expect(withoutGradient { fake == g(z) })
                // Only D's parameters are updated, with the gradient of -V on exactly these two
                // minibatches (recomputed here), and G's parameters are not touched.
                #expect(ids == d.parameters.map(ObjectIdentifier.init))
                #expect(before == previous, "something changed the parameters between updates")
                #expect(after.generator == before.generator && after.discriminator != before.discriminator)
                let expected = valueAndGradient(at: before.discriminator) { w in
                    for (p, v) in zip(d.parameters, w) { p.value = v }
                    return GANLoss.discriminator(realLogits: d(batch), fakeLogits: d(fake))
                }.gradients
                #expect(zip(grads, expected).allSatisfy { $0 == $1 }, "D's update used another gradient")
                (noises, batches, previous) = (noises + [z], batches + [batch], after)
            }
            guard case .forward(_, let z) = events[5 * k], case .forward(_, let fake) = events[5 * k + 1],
                case .update(_, let ids, let grads, let before, let after) = events[5 * k + 2]
            else {
                Issue.record("unexpected event")
                return
            }
            // The generator step: fresh noise, D fed G(z), only G's parameters updated, D's
            // parameters the same before and after.
            log.restore(before)
            #expect(withoutGradient { fake == g(z) })
            #expect(ids == g.parameters.map(ObjectIdentifier.init))
            #expect(before == previous)
            #expect(after.discriminator == before.discriminator && after.generator != before.generator)
            let expected = valueAndGradient(at: before.generator) { w in
                for (p, v) in zip(g.parameters, w) { p.value = v }
                return GANLoss.generator(fakeLogits: d(g(z)), objective: .nonSaturating)
            }.gradients
            #expect(zip(grads, expected).allSatisfy { $0 == $1 }, "G's update used another gradient")
            (noises, previous) = (noises + [z], after)
        }
        #expect(previous == end, "the parameters changed outside the updates")
        // Every minibatch of noise and of data is fresh: no two are the same.
        for (i, a) in noises.enumerated() {
            for b in noises[(i + 1)...] { #expect(a != b, "a noise minibatch was reused") }
        }
        for (i, a) in batches.enumerated() {
            for b in batches[(i + 1)...] { #expect(a != b, "a data minibatch was reused") }
        }
        #expect(noises.count == iterations * (k + 1) && batches.count == iterations * k)
    }
}
