import Datasets
import Foundation
import Models
import Tensors
import Testing

/// Review question 3: **what does the GAN loss mean?**
///
/// The game is min_G max_D V(D, G) with
///
///     V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 - D(G(z)))],
///
/// the discriminator's log-likelihood of telling data (label 1) from samples (label 0). The answer,
/// one claim per test:
///
/// 1. For a fixed generator the discriminator's best response is D*(x) = p_data(x) / (p_data(x) +
///    p_g(x)): V is maximised pointwise, every other D scores lower, and a network trained by
///    gradient ascent on V ends at D*.
/// 2. Against D*, the value is V(D*, G) = 2 JSD(p_data || p_g) - 2 log 2: what the generator
///    minimises is the Jensen-Shannon divergence between the data and its own distribution.
/// 3. So the game's value is smallest, -log 4, exactly where p_g = p_data, and nowhere else.
/// 4. The generator loss log(1 - D(G(z))) saturates: where D rejects the samples (D(G(z)) near 0,
///    early in training) its gradient is D(G(z)) times the logit's, near nothing. The
///    non-saturating loss -log D(G(z)) pushes the same way with a (1 - D) / D times larger gradient.
///
/// The densities are exact (Gaussian mixtures, and a monotone generator whose density follows from
/// the change of variables) and the integrals are Simpson quadrature, so the identities hold to
/// rounding. The two sides of every identity are computed apart: D* is found by search and
/// checked as a stationary point, V(D*, G) is V evaluated at D*'s logits by the same function as
/// for any D, JSD comes from its definition, two Kullback-Leibler divergences. Negative control: a
/// D that is not D* scores lower, has a non-zero derivative of V, and breaks the identity. The
/// gradients the game is played with (V in the discriminator's weights, both generator losses)
/// are checked against finite differences. Chapter 5 (`swift run -c release ch5-gan`) shows the
/// same claims on trained networks, with figures.
@Suite("Review question 3: what does the GAN loss mean?")
struct Question3GANLoss {
    /// p_data: two Gaussians, as in chapter 5.
    static let data = GaussianMixture1D(weights: [0.4, 0.6], means: [-2, 1.5], standardDeviations: [0.5, 0.6])
    /// The line from -15 to 15 in steps of 0.003: the densities below are negligible outside.
    static let grid = QuadratureGrid(from: -15, to: 15, count: 10_001)
    static let pData = grid.x.map(data.density)

    /// A fixed generator G(z) = a + e^s z + sum_j softplus(w_j) tanh(e^{u_j} z + b_j), strictly
    /// increasing, so p_g(x) = N(G^{-1}(x); 0, 1) / G'(G^{-1}(x)) exactly.
    static func generator(seed: UInt64 = 3) -> MonotoneGenerator1D<Float> {
        var rng = Random(seed: seed)
        return MonotoneGenerator1D<Float>(units: 4, mean: 0, std: 1.3, using: &rng)
    }

    static func gaussian(_ mean: Double, _ std: Double) -> GaussianMixture1D {
        GaussianMixture1D(weights: [1], means: [mean], standardDeviations: [std])
    }

    /// The maximiser of a concave function on (0, 1), by golden-section search: no formula.
    static func maximiser(_ f: (Double) -> Double) -> Double {
        let ratio = (5.0.squareRoot() - 1) / 2
        var (a, b) = (1e-15, 1 - 1e-15)
        for _ in 0..<200 {
            let (c, d) = (b - ratio * (b - a), a + ratio * (b - a))
            if f(c) < f(d) { a = c } else { b = d }
        }
        return (a + b) / 2
    }

    /// The logits of D* on the grid, log p_data - log p_g: a discriminator like any other.
    static func optimalLogits(_ pData: [Double], _ pModel: [Double]) -> [Double] {
        pData.indices.map { GANTheory.optimalDiscriminatorLogit(pData: pData[$0], pModel: pModel[$0]) }
    }

    /// A bump of height `size` centred at `centre` on the grid, to add to a discriminator's logits.
    static func bump(centre: Double, size: Double, on grid: QuadratureGrid) -> [Double] {
        grid.x.map { size * Foundation.exp(-($0 - centre) * ($0 - centre)) }
    }

    /// JSD(p || q) from its definition, 1/2 KL(p || m) + 1/2 KL(q || m) with m = (p + q) / 2.
    static func jensenShannonFromKL(_ p: [Double], _ q: [Double], on grid: QuadratureGrid) -> Double {
        let m = p.indices.map { (p[$0] + q[$0]) / 2 }
        return 0.5 * GANTheory.kullbackLeibler(p, m, on: grid) + 0.5 * GANTheory.kullbackLeibler(q, m, on: grid)
    }

    // MARK: 1. The best discriminator

    /// Pointwise, p_data log D + p_g log(1 - D) is a concave function of D in (0, 1) whose
    /// derivative p_data / D - p_g / (1 - D) vanishes at D* = p_data / (p_data + p_g): the
    /// maximiser found by golden-section search is D*, the derivative (central differences) is 0
    /// there, clearly positive below D* and negative above.
    @Test(arguments: [(0.3, 0.1), (0.05, 2.0), (1.0, 1.0), (1e-3, 0.4), (2.5, 1e-4)])
    func theBestResponseMaximisesTheValueAtEveryPoint(pData: Double, pModel: Double) {
        let dStar = GANTheory.optimalDiscriminator(pData: pData, pModel: pModel)
        func f(_ d: Double) -> Double { GANTheory.pointwiseValue(discriminator: d, pData: pData, pModel: pModel) }
        // The maximiser found by search, knowing nothing of the formula, is D*.
        let found = Self.maximiser(f)
        #expect(
            Swift.abs(found - dStar) < 1e-6 * Swift.max(1, dStar / (1 - dStar)), "search found \(found), D* = \(dStar)")
        let h = 1e-4 * Swift.min(dStar, 1 - dStar)
        func derivative(_ d: Double) -> Double { (f(d + h) - f(d - h)) / (2 * h) }
        let scale = pData + pModel  // the size of p_data / D at D*
        #expect(Swift.abs(derivative(dStar)) < 1e-6 * scale)
        let step = 0.1 * Swift.min(dStar, 1 - dStar)
        #expect(derivative(dStar - step) > 1e-3 * scale)
        #expect(derivative(dStar + step) < -1e-3 * scale)
        for d in stride(from: 0.001, to: 1, by: 0.001) { #expect(f(d) <= f(dStar) + 1e-15) }
    }

    /// Over the whole line: moving D away from D* in any direction (a bump in its logit, of
    /// either sign, anywhere) lowers V(D, G), and the further the lower. V is evaluated by one
    /// function of the logits for every D, D* included.
    @Test func everyOtherDiscriminatorScoresLower() {
        let grid = Self.grid
        let pModel = grid.x.map(Self.generator().exact.density)
        let lStar = Self.optimalLogits(Self.pData, pModel)
        let best = GANTheory.value(discriminatorLogits: lStar, pData: Self.pData, pModel: pModel, on: grid)
        for centre in [-2.0, 0.0, 1.5] {
            var previous = best
            for size in [0.1, 0.5, 2.0] {
                for sign in [-1.0, 1.0] {
                    let bump = Self.bump(centre: centre, size: sign * size, on: grid)
                    let v = GANTheory.value(
                        discriminatorLogits: zip(lStar, bump).map(+), pData: Self.pData, pModel: pModel, on: grid)
                    #expect(v < best, "a bump of \(sign * size) at \(centre) scores \(v), above V(D*, G) = \(best)")
                    if sign > 0 {
                        #expect(v < previous, "a larger bump at \(centre) should score lower")
                        previous = v
                    }
                }
            }
        }
    }

    /// D* is a stationary point of V and no other D is: the derivative of V along a bump in the
    /// logit, t -> V(l + t bump), is 0 at D* (central differences) and clearly not at a D with a
    /// bump already in it (negative control: the same check rejects a D that is not D*, which
    /// also scores lower and breaks the identity of the next section).
    @Test func theValueIsStationaryAtTheBestResponseAndNowhereElse() {
        let grid = Self.grid
        let pModel = grid.x.map(Self.generator().exact.density)
        let lStar = Self.optimalLogits(Self.pData, pModel)
        let direction = Self.bump(centre: 0.5, size: 1, on: grid)
        func derivative(at l: [Double]) -> Double {
            let h = 1e-4
            func v(_ t: Double) -> Double {
                GANTheory.value(
                    discriminatorLogits: zip(l, direction).map { $0 + t * $1 }, pData: Self.pData, pModel: pModel,
                    on: grid)
            }
            return (v(h) - v(-h)) / (2 * h)
        }
        #expect(Swift.abs(derivative(at: lStar)) < 1e-8, "dV/dt at D* = \(derivative(at: lStar))")
        let notBest = zip(lStar, Self.bump(centre: -1, size: 0.7, on: grid)).map(+)
        let slope = derivative(at: notBest)
        #expect(Swift.abs(slope) > 1e-3, "dV/dt at a D that is not D* = \(slope)")
        let (vBest, vOther) = (
            GANTheory.value(discriminatorLogits: lStar, pData: Self.pData, pModel: pModel, on: grid),
            GANTheory.value(discriminatorLogits: notBest, pData: Self.pData, pModel: pModel, on: grid)
        )
        #expect(vOther < vBest - 1e-3, "V(D, G) = \(vOther), V(D*, G) = \(vBest)")
        let jsd = Self.jensenShannonFromKL(Self.pData, pModel, on: grid)
        #expect(
            Swift.abs(vOther - (2 * jsd - 2 * Foundation.log(2.0))) > 1e-3, "the identity holds for a D that is not D*")
    }

    /// Gradient ascent on V over a network's weights ends at D*: a small network D(x) =
    /// sigmoid(f(x)) trained by Adam to maximise V(D, G) = integral of p_data log D + p_g log(1 - D)
    /// (by quadrature: the expectation itself, not a sample of it). The network knows nothing of
    /// the formula for D*.
    @Test func aDiscriminatorTrainedToMaximiseTheValueEndsAtTheBestResponse() {
        var rng = Random(seed: 21)
        let generator = Self.generator()
        let discriminator = MLP<Float>(sizes: [1, 16, 16, 1], activation: .tanh, using: &rng)
        let grid = QuadratureGrid(from: -6, to: 6, count: 241)
        let pData = grid.x.map(Self.data.density)
        let pModel = grid.x.map(generator.exact.density)
        let x = Tensor<Float>(shape: [grid.x.count, 1], scalars: grid.x.map { Float($0) })
        // V as weighted log-likelihoods: the weights are the quadrature weights times each density.
        let wData = Tensor<Float>(
            shape: [grid.x.count, 1], scalars: grid.x.indices.map { Float(grid.weights[$0] * pData[$0]) })
        let wModel = Tensor<Float>(
            shape: [grid.x.count, 1], scalars: grid.x.indices.map { Float(grid.weights[$0] * pModel[$0]) })
        func value() -> Tensor<Float> {
            let logits = discriminator(x)
            return (logits.logSigmoid() * wData + (-logits).logSigmoid() * wModel).sum()
        }
        let adam = Adam<Float>(learningRate: 3e-2)
        for step in 0..<250 {
            if step == 200 { adam.learningRate = 5e-3 }
            let (_, grads) = valueAndGradient(of: discriminator.parameters) { -value() }
            adam.update(discriminator.parameters, with: grads)
        }
        let trained = withoutGradient { discriminator(x).sigmoid() }.scalars.map { Double($0) }
        func meanGap(_ d: [Double]) -> Double {
            // |D - D*| averaged under m = (p_data + p_g) / 2.
            grid.integrate(
                grid.x.indices.map { i in
                    Swift.abs(d[i] - GANTheory.optimalDiscriminator(pData: pData[i], pModel: pModel[i]))
                        * (pData[i] + pModel[i]) / 2
                })
        }
        let gap = meanGap(trained)
        #expect(gap < 0.01, "mean |D - D*| = \(gap)")
        // A discriminator that has learned nothing (D = 1/2) is far off: the check can fail.
        #expect(meanGap([Double](repeating: 0.5, count: trained.count)) > 10 * gap)
        // It cannot beat the best value, and it closes 99% of the way to it from D = 1/2 (-log 4).
        let (v, best) = (
            GANTheory.value(discriminator: trained, pData: pData, pModel: pModel, on: grid),
            GANTheory.value(
                discriminatorLogits: Self.optimalLogits(pData, pModel), pData: pData, pModel: pModel, on: grid)
        )
        #expect(
            v <= best + 1e-9 && best - v < 0.01 * (best + Foundation.log(4.0)), "V(D, G) = \(v), V(D*, G) = \(best)")
    }

    // MARK: 2. The value at the best response

    static let pairs: [(name: String, pData: (Double) -> Double, pModel: (Double) -> Double)] = [
        ("N(0, 1) vs N(1, 1.5^2)", gaussian(0, 1).density, gaussian(1, 1.5).density),
        ("two Gaussians vs N(0, 1)", data.density, gaussian(0, 1).density),
        ("two Gaussians vs a monotone generator", data.density, { generator().exact.density($0) }),
        ("supports 40 apart", gaussian(-20, 1).density, gaussian(20, 1).density),
    ]

    /// V(D*, G) = E_data[log p_data / (p_data + p_g)] + E_g[log p_g / (p_data + p_g)]
    ///          = KL(p_data || m) + KL(p_g || m) - 2 log 2 = 2 JSD(p_data || p_g) - 2 log 2,
    /// with m = (p_data + p_g) / 2: checked to 1e-6 on pairs from overlapping to disjoint, where
    /// JSD reaches its largest value, log 2, and V(D*, G) = 0. The two sides are computed apart:
    /// V by evaluating V at the logits of D* (the same function that evaluates it at any D), JSD
    /// from its definition by two Kullback-Leibler divergences. The workbook's closed forms
    /// (`optimalValue`, `jensenShannon`) agree with both.
    @Test(arguments: 0..<4)
    func atTheBestResponseTheValueIsTwiceTheJensenShannonDivergenceMinusLog4(pair index: Int) {
        let pair = Self.pairs[index]
        let grid = QuadratureGrid(from: -40, to: 40, count: 16_001)
        // Densities below 1e-300 are set to 0, so that m = (p + q) / 2 cannot round to 0 where
        // p or q does not (a subnormal p halved): both sides see the same p and q.
        func floored(_ density: (Double) -> Double) -> [Double] {
            grid.x.map { x in density(x) < 1e-300 ? 0 : density(x) }
        }
        let (p, q) = (floored(pair.pData), floored(pair.pModel))
        #expect(Swift.abs(grid.integrate(p) - 1) < 1e-9 && Swift.abs(grid.integrate(q) - 1) < 1e-9, "\(pair.name)")
        let v = GANTheory.value(discriminatorLogits: Self.optimalLogits(p, q), pData: p, pModel: q, on: grid)
        let jsd = Self.jensenShannonFromKL(p, q, on: grid)
        #expect(
            Swift.abs(v - (2 * jsd - 2 * Foundation.log(2.0))) < 1e-6, "\(pair.name): V(D*, G) = \(v), JSD = \(jsd)")
        #expect(jsd > 0 && jsd <= Foundation.log(2.0) + 1e-12, "\(pair.name): JSD = \(jsd)")
        if index == 3 { #expect(Swift.abs(v) < 1e-6 && Swift.abs(jsd - Foundation.log(2.0)) < 1e-6) }
        #expect(
            Swift.abs(GANTheory.optimalValue(pData: p, pModel: q, on: grid) - v) < 1e-9, "\(pair.name): optimalValue")
        #expect(Swift.abs(GANTheory.jensenShannon(p, q, on: grid) - jsd) < 1e-9, "\(pair.name): jensenShannon")
    }

    // MARK: 3. The minimum of the game

    /// Slide p_g along the line, p_g(x) = p_data(x - s): V(D*, G) = 2 JSD - 2 log 2 is smallest,
    /// -log 4 = -1.386..., at s = 0 where p_g = p_data, and grows on both sides.
    @Test func theValueIsSmallestMinusLog4ExactlyWherePgEqualsPdata() {
        let grid = Self.grid
        let shifts = stride(from: -2.0, through: 2.0, by: 0.25).map { $0 }
        let values = shifts.map { s in
            let pModel = grid.x.map { Self.data.density($0 - s) }
            return GANTheory.value(
                discriminatorLogits: Self.optimalLogits(Self.pData, pModel), pData: Self.pData, pModel: pModel, on: grid
            )
        }
        let atZero = values[shifts.firstIndex(of: 0)!]
        #expect(Swift.abs(atZero + Foundation.log(4.0)) < 1e-9, "V(D*, G) at p_g = p_data is \(atZero)")
        for (s, v) in zip(shifts, values) where s != 0 {
            #expect(v > -Foundation.log(4.0) + 1e-4, "shift \(s): V(D*, G) = \(v) is not above -log 4")
        }
        // Increasing with |s| on either side of 0.
        for i in 1..<values.count where shifts[i] > 0 { #expect(values[i] > values[i - 1]) }
        for i in 1..<values.count where shifts[i] <= 0 { #expect(values[i] < values[i - 1]) }
        // At p_g = p_data the best discriminator can only guess: the maximiser of the pointwise
        // value, found by search, is 1/2 wherever the density is.
        for p in [1e-6, 0.01, 0.3, 2.0] {
            let found = Self.maximiser { GANTheory.pointwiseValue(discriminator: $0, pData: p, pModel: p) }
            #expect(Swift.abs(found - 0.5) < 1e-6, "p_data = p_g = \(p): the best D is \(found)")
        }
    }

    // MARK: The gradients the game is played with

    /// V as a function of a discriminator network's weights, D(x) = sigmoid(f(x)), V = integral of
    /// p_data log D + p_g log(1 - D) by quadrature: gradient-checked in every weight (Double,
    /// central differences), the gradient the discriminator ascends.
    @Test func theValueHasExactGradientsInTheDiscriminatorsWeights() {
        var rng = Random(seed: 23)
        let discriminator = MLP<Double>(sizes: [1, 5, 1], activation: .tanh, using: &rng)
        // Non-zero biases: with the default zero biases this odd network's logit is exactly 0 at
        // x = 0, a point of the grid, where the composed softplus has a kink (see
        // GradientCheckTests.softplusAtExactlyZero).
        for p in discriminator.parameters {
            p.value = p.value + Tensor.uniform(p.shape, low: -0.3, high: 0.3, using: &rng)
        }
        let grid = QuadratureGrid(from: -5, to: 5, count: 41)
        let pData = grid.x.map(Self.data.density)
        let pModel = grid.x.map(Self.gaussian(0.5, 1.2).density)
        let x = Tensor<Double>(shape: [grid.x.count, 1], scalars: grid.x)
        let wData = Tensor<Double>(
            shape: [grid.x.count, 1], scalars: grid.x.indices.map { grid.weights[$0] * pData[$0] })
        let wModel = Tensor<Double>(
            shape: [grid.x.count, 1], scalars: grid.x.indices.map { grid.weights[$0] * pModel[$0] })
        let check = GradientCheck.check(parameters: discriminator.parameters) {
            let logits = discriminator(x)
            return (logits.logSigmoid() * wData + (-logits).logSigmoid() * wModel).sum()
        }
        #expect(
            check.maxRelativeError <= 1e-6 && check.elements == discriminator.parameterCount,
            "V in D's weights: \(check)")
        // The network's V is the quadrature V of its logits.
        let logits = withoutGradient { discriminator(x) }.scalars
        let v = withoutGradient {
            (discriminator(x).logSigmoid() * wData + (-discriminator(x)).logSigmoid() * wModel).sum().item
        }
        #expect(
            Swift.abs(v - GANTheory.value(discriminatorLogits: logits, pData: pData, pModel: pModel, on: grid)) < 1e-12)
    }

    /// Both generator losses, log(1 - D(G(z))) and -log D(G(z)), gradient-checked in every weight
    /// of the generator, through the discriminator.
    @Test(arguments: GeneratorObjective.allCases)
    func bothGeneratorLossesHaveExactGradients(objective: GeneratorObjective) {
        var rng = Random(seed: 24)
        let generator = MLP<Double>(sizes: [2, 4, 2], activation: .tanh, using: &rng)
        let discriminator = MLP<Double>(sizes: [2, 4, 1], activation: .tanh, using: &rng)
        let z = Tensor<Double>.normal([5, 2], using: &rng)
        let check = GradientCheck.check(parameters: generator.parameters) {
            GANLoss.generator(fakeLogits: discriminator(generator(z)), objective: objective)
        }
        #expect(
            check.maxRelativeError <= 1e-6 && check.elements == generator.parameterCount, "\(objective.name): \(check)")
    }

    // MARK: 4. Saturation

    /// With D = sigmoid(l): d/dl log(1 - D) = -D and d/dl -log D = -(1 - D). Where D rejects a
    /// sample (l = -9, D = 1.2e-4) the first is 10^4 times smaller than the second.
    @Test func theMinimaxGeneratorLossHasAVanishingGradientWhereDRejectsTheSamples() {
        let logits = Tensor<Double>(shape: [5, 1], scalars: [-9, -4, -1, 0.5, 6])
        let d = logits.sigmoid().scalars
        let minimax = valueAndGradient(at: [logits]) { GANLoss.generator(fakeLogits: $0[0], objective: .minimax) }
            .gradients[0]
        let nonSaturating = valueAndGradient(at: [logits]) {
            GANLoss.generator(fakeLogits: $0[0], objective: .nonSaturating)
        }
        .gradients[0]
        for i in 0..<5 {
            // Each loss is a mean over the 5 samples.
            #expect(Swift.abs(minimax.scalars[i] - -d[i] / 5) < 1e-12)
            #expect(Swift.abs(nonSaturating.scalars[i] - -(1 - d[i]) / 5) < 1e-12)
        }
        #expect(nonSaturating.scalars[0] / minimax.scalars[0] > 8000)
    }

    /// The same through a whole generator: for one sample both gradients with respect to G's
    /// parameters point the same way (both are the chain rule through the same logit), and their
    /// lengths differ by exactly (1 - D) / D, huge where D(G(z)) is small and below 1 once G
    /// fools D.
    @Test(arguments: [-9.0, -5.0, -2.0, 0.0, 3.0])
    func bothGeneratorLossesPushTheSameWayWithDifferentStrength(discriminatorShift: Double) {
        var rng = Random(seed: 5)
        let generator = MLP<Double>(sizes: [3, 5, 2], activation: .tanh, using: &rng)
        let discriminator = MLP<Double>(sizes: [2, 6, 1], activation: .tanh, using: &rng)
        // Shift D's output logit so that D(G(z)) = sigmoid(l + shift).
        discriminator.layers.last!.bias.value = discriminator.layers.last!.bias.value + discriminatorShift
        let z = Tensor<Double>.normal([1, 3], using: &rng)
        let dOfG = withoutGradient { discriminator(generator(z)).sigmoid().item }
        func gradient(_ objective: GeneratorObjective) -> [Double] {
            valueAndGradient(of: generator.parameters) {
                GANLoss.generator(fakeLogits: discriminator(generator(z)), objective: objective)
            }.gradients.flatMap(\.scalars)
        }
        let (saturating, nonSaturating) = (gradient(.minimax), gradient(.nonSaturating))
        let dot = zip(saturating, nonSaturating).reduce(0) { $0 + $1.0 * $1.1 }
        let (a, b) = (globalNorm([Tensor(saturating)]), globalNorm([Tensor(nonSaturating)]))
        #expect(Swift.abs(dot / (a * b) - 1) < 1e-12, "the two gradients are not parallel")
        #expect(Swift.abs(b / a - (1 - dOfG) / dOfG) < 1e-9 * (1 - dOfG) / dOfG)
        if dOfG < 1e-3 { #expect(b > 1000 * a, "D(G(z)) = \(dOfG)") }
        if dOfG > 0.9 { #expect(b < a) }
    }
}
