// Chapter 5: Generative adversarial networks.
//
// A GAN never writes down p(x). A generator G turns noise z ~ N(0, I) into samples, a
// discriminator D says how likely a sample is to be real, and the two play the minimax game of
// Goodfellow et al. (2014):
//
//     min_G max_D V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 - D(G(z)))].
//
// The lecture states four things about this game, and this chapter measures each one:
//   1. for a fixed G the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x)), and
//      V(D*, G) = 2 JSD(p_data || p_g) - 2 log 2, smallest (-log 4) exactly when p_g = p_data;
//   2. training alternates k discriminator steps with one generator step;
//   3. the generator should maximise log D(G(z)) instead of minimising log(1 - D(G(z)));
//   4. GANs can drop modes, and their samples look good while their likelihood is unknown.
// In 1-D the densities are known exactly (the generator is invertible), so every claim is
// checked by quadrature; then GANs are trained on the ring of 8 Gaussians and on real digits.

import ArgumentParser
import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

// MARK: - Options

/// The chapter's own flag, on top of the shared ones (`workbook` passes only those, and the
/// default applies).
struct GANOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ch5-gan", abstract: "Chapter 5: GANs, the optimal discriminator and the Jensen-Shannon identity.")

    @OptionGroup var shared: ChapterOptions

    @Option(name: .customLong("k"), help: "Discriminator steps per generator step in the 1-D training of section 2.")
    var k: Int = 1

    func validate() throws {
        guard (1...50).contains(k) else {
            throw ValidationError("--k must be between 1 and 50 (discriminator steps per generator step), got \(k)")
        }
    }
}

let commandLine = Array(CommandLine.arguments.dropFirst())
let ganOptions: GANOptions
do {
    ganOptions = try GANOptions.parse(commandLine)
} catch {
    GANOptions.exit(withError: error)
}
/// The shared flags, as `Chapter.run` parses them: everything but --k and its value.
var sharedArguments: [String] = []
do {
    var i = 0
    while i < commandLine.count {
        if commandLine[i] == "--k" { i += 2; continue }
        if !commandLine[i].hasPrefix("--k=") { sharedArguments.append(commandLine[i]) }
        i += 1
    }
}

/// Sizes of the full run and of --quick (a check that everything runs, in seconds).
struct Sizes {
    let optimalDSteps: Int
    let trainingSteps1D: Int
    let saturationSteps: Int
    let ringSteps: Int
    let digitsSteps: Int
    let parzenSamples: Int
    init(quick: Bool) {
        optimalDSteps = quick ? 300 : 2000
        trainingSteps1D = quick ? 300 : 2000
        saturationSteps = quick ? 60 : 300
        ringSteps = quick ? 200 : 2000
        digitsSteps = quick ? 60 : 3000
        parzenSamples = quick ? 1000 : 10_000
    }
}

Chapter.run(number: 5, title: "Generative adversarial networks", arguments: sharedArguments) { chapter in
    var rng = chapter.rng
    let sizes = Sizes(quick: chapter.options.quick)
    let log4 = Foundation.log(4.0)
    func f(_ x: Double, _ digits: Int = 4) -> String { fmt(x, digits) }
    /// Writes a figure into the figures folder and names it.
    func save(_ canvas: Canvas, _ name: String) throws {
        let path = chapter.figurePath(name)
        try canvas.writePNG(to: path)
        print("   figure: \(path)")
    }

    // MARK: - 1. The optimal discriminator, with densities known exactly

    // The data: a mixture of two Gaussians on the line, p_data(x) = 0.4 N(-2, 0.5^2) + 0.6 N(1.5, 0.6^2).
    let data1D = GaussianMixture1D(weights: [0.4, 0.6], means: [-2, 1.5], standardDeviations: [0.5, 0.6])
    // Integrals are computed by Simpson's rule on [-12, 12] with step 0.005: the densities are
    // negligible outside, and the rule's error is far below the 1e-6 the identity is checked to.
    let grid = QuadratureGrid(from: -12, to: 12, count: 4801)
    let pData = grid.x.map(data1D.density)
    let gridTensor = Tensor<Float>(shape: [grid.x.count, 1], scalars: grid.x.map(Float.init))

    // The generator: G(z) = a + e^s z + sum_j softplus(w_j) tanh(e^{u_j} z + b_j) is strictly
    // increasing in z, so the change of variables gives its density exactly,
    // p_g(x) = N(G^{-1}(x); 0, 1) / G'(G^{-1}(x)). Here it is held fixed, roughly N(0, 1.3^2).
    let fixedGenerator = MonotoneGenerator1D<Float>(units: 4, mean: 0, std: 1.3, using: &rng)
    let pFixed = grid.x.map(fixedGenerator.exact.density)

    // D*(x) = p_data(x) / (p_data(x) + p_g(x)): the maximiser of p_data log D + p_g log(1 - D)
    // at every x.
    func optimalDiscriminator(_ pModel: [Double]) -> [Double] {
        pData.indices.map { GANTheory.optimalDiscriminator(pData: pData[$0], pModel: pModel[$0]) }
    }
    /// D(x) = sigmoid(logit) of a network on the grid.
    func discriminatorOnGrid(_ d: MLP<Float>) -> [Double] {
        withoutGradient { d(gridTensor).sigmoid() }.scalars.map(Double.init)
    }
    /// max |D - D*| where the mixture m = (p_data + p_g) / 2 exceeds 1e-3 (elsewhere no sample
    /// ever constrains D), and the mean of |D - D*| under m.
    func distanceToOptimum(_ d: [Double], _ pModel: [Double]) -> (max: Double, mean: Double) {
        let dStar = optimalDiscriminator(pModel)
        var worst = 0.0
        for i in d.indices where (pData[i] + pModel[i]) / 2 > 1e-3 { worst = max(worst, abs(d[i] - dStar[i])) }
        let mean = grid.integrate(d.indices.map { abs(d[$0] - dStar[$0]) * (pData[$0] + pModel[$0]) / 2 })
        return (worst, mean)
    }
    func discriminatorNetwork(_ rng: inout Random) -> MLP<Float> {
        MLP(sizes: [1, 64, 64, 1], activation: .leakyRelu(slope: 0.2), using: &rng)
    }

    // Train D alone, G fixed: Adam on the discriminator's loss -V, the cross-entropy of calling
    // data 1 and samples 0, with 512 fresh draws of each per step (the learning rate drops
    // tenfold for the last quarter, to settle).
    let lonelyD = discriminatorNetwork(&rng)
    let adamD = Adam<Float>(learningRate: 2e-3)
    let (_, lonelySeconds) = try timed {
        for step in 1...sizes.optimalDSteps {
            if step == sizes.optimalDSteps * 3 / 4 { adamD.learningRate = 2e-4 }
            let real = data1D.samples(512, using: &rng)
            let fake = withoutGradient { fixedGenerator(.normal([512, 1], using: &rng)) }
            let (loss, grads) = valueAndGradient(of: lonelyD.parameters) {
                GANLoss.discriminator(realLogits: lonelyD(real), fakeLogits: lonelyD(fake))
            }
            adamD.update(lonelyD.parameters, with: grads)
            try chapter.checkFinite(loss.item, step: step, model: "the 1-D discriminator")
        }
    }
    let lonelyOnGrid = discriminatorOnGrid(lonelyD)
    let dStarFixed = optimalDiscriminator(pFixed)
    let lonelyGap = distanceToOptimum(lonelyOnGrid, pFixed)

    // V(D, G) = integral of p_data log D + p_g log(1 - D). The trained D cannot beat D*, and
    // V(D*, G) must equal 2 JSD(p_data || p_g) - 2 log 2 (both by quadrature).
    let vTrained = GANTheory.value(discriminator: lonelyOnGrid, pData: pData, pModel: pFixed, on: grid)
    let vOptimal = GANTheory.optimalValue(pData: pData, pModel: pFixed, on: grid)
    let jsdFixed = GANTheory.jensenShannon(pData, pFixed, on: grid)
    let identityGap = abs(vOptimal - (2 * jsdFixed - 2 * Foundation.log(2.0)))
    print("\n1. Optimal discriminator (G fixed; D trained alone for \(sizes.optimalDSteps) steps in \(f(lonelySeconds, 1)) s)")
    print("   mass on the grid: p_data \(f(grid.integrate(pData), 9)), p_g \(f(grid.integrate(pFixed), 9))")
    print("   |D - D*|: max \(f(lonelyGap.max)) where (p_data + p_g)/2 > 1e-3, mean \(f(lonelyGap.mean)) under (p_data + p_g)/2")
    print("   V(D, G)   = \(f(vTrained, 8))  (trained D)")
    print("   V(D*, G)  = \(f(vOptimal, 8))")
    print("   2 JSD - 2 log 2 = \(f(2 * jsdFixed - 2 * Foundation.log(2.0), 8))  (JSD = \(f(jsdFixed, 8)); difference \(String(format: "%.1e", identityGap)))")
    guard identityGap < 1e-6 else {
        throw WorkbookError("V(D*, G) and 2 JSD - 2 log 2 differ by \(identityGap) > 1e-6: the quadrature grid is too coarse")
    }
    chapter.results.add(
        "1-D: trained D vs D* (G fixed)", ["measured": "max |D-D*| \(f(lonelyGap.max, 3)), mean \(f(lonelyGap.mean, 4))", "expected": "0 with enough data and steps"])
    chapter.results.add("1-D: V(D, G) trained D", ["measured": f(vTrained, 6), "expected": "<= V(D*, G)"])
    chapter.results.add("1-D: V(D*, G) by quadrature", ["measured": f(vOptimal, 8), "expected": "= 2 JSD - 2 log 2"])
    chapter.results.add(
        "1-D: 2 JSD - 2 log 2", ["measured": f(2 * jsdFixed - 2 * Foundation.log(2.0), 8), "expected": "difference \(String(format: "%.0e", identityGap)) (< 1e-6)"])
    chapter.record("1d/trained D/max |D-D*|", lonelyGap.max)
    chapter.record("1d/trained D/mean |D-D*|", lonelyGap.mean)
    chapter.record("1d/V(D,G) trained", vTrained)
    chapter.record("1d/V(D*,G)", vOptimal)
    chapter.record("1d/2JSD-2log2", 2 * jsdFixed - 2 * Foundation.log(2.0))
    chapter.record("1d/identity error/V(D*,G) - (2JSD-2log2)", identityGap)

    // C(G) = max_D V(D, G) = V(D*, G) is smallest, -log 4, when p_g = p_data. Slide a copy of
    // p_data along the line, p_g(x) = p_data(x - t): C(t) must be -log 4 at t = 0 and above it
    // everywhere else.
    let shifts = stride(from: -4.0, through: 4.0, by: 0.05).map { $0 }
    var criterion: [Double] = [], criterionByJSD: [Double] = []
    for t in shifts {
        let shifted = grid.x.map { data1D.density($0 - t) }
        criterion.append(GANTheory.optimalValue(pData: pData, pModel: shifted, on: grid))
        criterionByJSD.append(2 * GANTheory.jensenShannon(pData, shifted, on: grid) - log4 / 1)
    }
    let worstIdentityGap = zip(criterion, criterionByJSD).map { abs($0 - $1) }.max()!
    let argmin = criterion.indices.min { criterion[$0] < criterion[$1] }!
    print("   C(t) = V(D*, G_t) for p_g = p_data shifted by t in [-4, 4]: minimum \(f(criterion[argmin], 8)) at t = \(f(shifts[argmin], 2)); -log 4 = \(f(-log4, 8))")
    print("   largest |V(D*, G_t) - (2 JSD - 2 log 2)| over the \(shifts.count) shifts: \(String(format: "%.1e", worstIdentityGap))")
    chapter.results.add("1-D: min_t C(G_t), p_g = p_data(x - t)", ["measured": "\(f(criterion[argmin], 8)) at t = \(f(shifts[argmin], 2))", "expected": "-log 4 = \(f(-log4, 8)) at t = 0"])
    chapter.record("1d/min C(G)", criterion[argmin])

    // The figure: the four curves on [-5, 5], and C(t) with its minimum.
    let shown = grid.x.indices.filter { abs(grid.x[$0]) <= 5 && $0 % 10 == 0 }
    func onShown(_ v: [Double]) -> [Double] { shown.map { v[$0] } }
    let plotX = onShown(grid.x)
    try save(
        panel(
            [
                curvesPlot(
                    x: plotX,
                    [
                        Series("p_data", y: onShown(pData), style: .filled), Series("p_g (fixed)", y: onShown(pFixed), style: .filled),
                        Series("D trained alone", y: onShown(lonelyOnGrid)), Series("D* = p_data/(p_data+p_g)", y: onShown(dStarFixed), style: .dashed),
                    ], title: "D after \(sizes.optimalDSteps) steps vs D*", xLabel: "x", yRange: 0...1),
                curvesPlot(
                    x: shifts,
                    [
                        Series("V(D*, G_t)", y: criterion), Series("2 JSD - 2 log 2", y: criterionByJSD, style: .dashed),
                        Series("-log 4", y: shifts.map { _ in -log4 }, color: .gray),
                    ], title: "p_g = p_data shifted by t: min -log 4 at t = 0", xLabel: "shift t"),
            ],
            title: "V(D*, G) = \(f(vOptimal, 8)) = 2 JSD - 2 log 2 = \(f(2 * jsdFixed - 2 * Foundation.log(2.0), 8)) (difference \(String(format: "%.0e", identityGap)))"),
        "ch5-optimal-discriminator.png")

    // MARK: - 2. Training both players: k discriminator steps per generator step

    // Algorithm 1 of the GAN paper: for each generator step, k steps of D (each on a fresh batch
    // of data and of samples), then one step of G, here with the non-saturating objective.
    // The generator starts as a narrow bump to the right of the data; being invertible, its
    // density is exact at every step, so JSD(p_data || p_g) is measured, not estimated.
    struct Snapshot {
        let step: Int
        let pModel: [Double]
        let d: [Double]
        let jsd: Double
        let gap: (max: Double, mean: Double)
    }
    func train1D(k: Int, steps: Int, snapshotAt: Set<Int>, rng: inout Random) throws -> (snapshots: [Snapshot], jsdCurve: [(Int, Double)], seconds: Double) {
        let generator = MonotoneGenerator1D<Float>(units: 8, mean: 0, std: 0.5, using: &rng)
        let discriminator = MLP<Float>(sizes: [1, 32, 32, 1], activation: .leakyRelu(slope: 0.2), using: &rng)
        let trainer = GANTrainer(
            generator: generator, discriminator: discriminator, noiseSize: 1, objective: .nonSaturating,
            discriminatorSteps: k, generatorOptimizer: Adam<Float>(learningRate: 2e-3, beta1: 0.5),
            discriminatorOptimizer: Adam<Float>(learningRate: 2e-3, beta1: 0.5))
        var snapshots: [Snapshot] = [], curve: [(Int, Double)] = []
        func measure(_ step: Int) {
            let pModel = grid.x.map(generator.exact.density)
            let jsd = GANTheory.jensenShannon(pData, pModel, on: grid)
            curve.append((step, jsd))
            if snapshotAt.contains(step) {
                let d = discriminatorOnGrid(discriminator)
                snapshots.append(Snapshot(step: step, pModel: pModel, d: d, jsd: jsd, gap: distanceToOptimum(d, pModel)))
            }
        }
        let progress = Progress("1-D GAN, k = \(k)", total: steps)
        let (_, seconds) = try timed {
            measure(0)
            for step in 1...steps {
                let s = trainer.step(realBatch: { data1D.samples(256, using: &$0) }, using: &rng)
                try chapter.checkFinite(s.discriminatorLoss + s.generatorLoss, step: step, model: "the 1-D GAN")
                if step % 50 == 0 || snapshotAt.contains(step) { measure(step) }
                progress.update(step: step, loss: Double(s.discriminatorLoss))
            }
        }
        return (snapshots, curve, seconds)
    }
    let steps1D = sizes.trainingSteps1D
    let snapshotSteps = [0, steps1D / 20, steps1D / 5, steps1D]
    let start1D = rng.split()
    var runRng = start1D
    let main1D = try train1D(k: ganOptions.k, steps: steps1D, snapshotAt: Set(snapshotSteps), rng: &runRng)
    print("\n2. 1-D GAN, k = \(ganOptions.k) discriminator steps per generator step, \(steps1D) generator steps (\(f(main1D.seconds, 1)) s)")
    print("   step   JSD(p_data||p_g)   max |D - D*|   mean |D - D*|")
    for s in main1D.snapshots {
        print(String(format: "   %5d   %15.4f   %12.3f   %13.4f", s.step, s.jsd, s.gap.max, s.gap.mean))
    }
    let final1D = main1D.snapshots.last!
    chapter.results.add(
        "1-D GAN, k = \(ganOptions.k): JSD(p_data || p_g)",
        ["measured": "\(f(main1D.snapshots[0].jsd, 3)) -> \(f(final1D.jsd, 4))", "expected": "-> 0 (log 2 = 0.693 is the maximum)"])
    chapter.record("1d/GAN k=\(ganOptions.k)/final JSD", final1D.jsd)
    // The same game with another k, from the same start (the same networks and first draws).
    let otherK = ganOptions.k == 5 ? 1 : 5
    var otherRng = start1D
    let other1D = try train1D(k: otherK, steps: steps1D, snapshotAt: [0, steps1D], rng: &otherRng)
    print("   with k = \(otherK) instead: final JSD \(f(other1D.snapshots.last!.jsd)) (\(f(other1D.seconds, 1)) s)")
    chapter.results.add(
        "1-D GAN, k = \(otherK): JSD(p_data || p_g)",
        ["measured": "\(f(other1D.snapshots[0].jsd, 3)) -> \(f(other1D.snapshots.last!.jsd, 4))", "expected": "-> 0"])
    chapter.record("1d/GAN k=\(otherK)/final JSD", other1D.snapshots.last!.jsd)

    // The figure: p_data, p_g, D and D* at four moments of training, and JSD over the steps.
    var trainingPlots = main1D.snapshots.map { snap in
        curvesPlot(
            x: plotX,
            [
                Series("p_data", y: onShown(pData), style: .filled), Series("p_g", y: onShown(snap.pModel), style: .filled),
                Series("D", y: onShown(snap.d)), Series("D*", y: onShown(optimalDiscriminator(snap.pModel)), style: .dashed),
            ], title: "step \(snap.step): JSD \(f(snap.jsd, 3))", xLabel: "x", yRange: 0...1, width: 520, height: 400)
    }
    trainingPlots.append(
        linePlot(
            [
                Series("k = \(ganOptions.k)", x: main1D.jsdCurve.map { Double($0.0) }, y: main1D.jsdCurve.map(\.1)),
                Series("k = \(otherK)", x: other1D.jsdCurve.map { Double($0.0) }, y: other1D.jsdCurve.map(\.1)),
            ], title: "JSD(p_data || p_g), exact", xLabel: "generator step", yScale: .log, width: 520, height: 400))
    try save(panel(trainingPlots, title: "1-D GAN, k = \(ganOptions.k): p_g is exact by change of variables", columns: 3), "ch5-1d-training.png")

    // MARK: - 3. Saturating and non-saturating generator objectives

    // With D = sigmoid(l), the minimax generator minimises log(1 - D(G(z))), whose gradient in
    // the logit is -D(G(z)); the non-saturating one minimises -log D(G(z)), gradient -(1 - D).
    // Early in training D rejects the samples, D(G(z)) ~ 0: the first gradient vanishes, the
    // second is at its largest. Both curves come from autodiff on a grid of logits.
    // (The grid avoids D = 1/2 exactly, logit 0, where softplus is built from relu and |x|, whose
    // derivatives at 0 autodiff takes as 0: there it would report a slope of 0 instead of 1/2.)
    let dValues = (0..<1000).map { (Double($0) + 0.5) / 1000 }
    let logits = Tensor<Double>(dValues.map { Foundation.log($0 / (1 - $0)) })
    func lossAndSlope(_ objective: GeneratorObjective) -> (loss: [Double], slope: [Double]) {
        // The batch mean is multiplied back by the batch size: per-sample losses and gradients.
        let n = Double(dValues.count)
        var losses: [Double] = [], slopes: [Double] = []
        let (_, grads) = valueAndGradient(at: [logits]) { t in GANLoss.generator(fakeLogits: t[0], objective: objective) * n }
        for (i, l) in logits.scalars.enumerated() {
            let single = Tensor<Double>([l])
            losses.append(GANLoss.generator(fakeLogits: single, objective: objective).item)
            slopes.append(abs(grads[0].scalars[i]))
        }
        return (losses, slopes)
    }
    let minimaxCurve = lossAndSlope(.minimax), nonSaturatingCurve = lossAndSlope(.nonSaturating)
    print("\n3. Generator objectives as functions of D(G(z)): |d loss / d logit|")
    print("   D(G(z))   minimax log(1-D)  |grad|   non-saturating -log D  |grad|")
    for target in [0.001, 0.01, 0.1, 0.5, 0.9, 0.999] {
        let i = dValues.indices.min { abs(dValues[$0] - target) < abs(dValues[$1] - target) }!
        print(String(format: "   %8.3f   %16.4f  %6.3f   %21.4f  %6.3f", dValues[i], minimaxCurve.loss[i], minimaxCurve.slope[i], nonSaturatingCurve.loss[i], nonSaturatingCurve.slope[i]))
    }

    // Early training from one start, once with each objective. The generator starts far to the
    // right of the data, and D is first trained alone until it rejects G's samples, as it does
    // early in a real run. Then both games run with k = 1 from identical copies. The generator
    // takes plain SGD steps, so that a step is proportional to its gradient (Adam would divide
    // the gradient by its own running size and hide the difference; one row shows that too).
    let startRng = rng.split()
    func startingPlayers() -> (MonotoneGenerator1D<Float>, MLP<Float>) {
        var r = startRng
        return (MonotoneGenerator1D<Float>(units: 8, mean: 5, std: 0.3, using: &r), discriminatorNetwork(&r))
    }
    let (g0, d0) = startingPlayers()
    do {
        let pretrain = Adam<Float>(learningRate: 2e-3)
        for _ in 0..<200 {
            let real = data1D.samples(256, using: &rng)
            let fake = withoutGradient { g0(.normal([256, 1], using: &rng)) }
            let (_, grads) = valueAndGradient(of: d0.parameters) { GANLoss.discriminator(realLogits: d0(real), fakeLogits: d0(fake)) }
            pretrain.update(d0.parameters, with: grads)
        }
    }
    let pStart = grid.x.map(g0.exact.density)
    let jsdStart = GANTheory.jensenShannon(pData, pStart, on: grid)
    func mean(_ p: [Double]) -> Double { grid.integrate(grid.x.indices.map { grid.x[$0] * p[$0] }) }
    struct EarlyRun {
        let name: String
        let objective: GeneratorObjective
        let usesAdam: Bool
        let startDofG: Double
        let gradientNorms: [Double]
        let meanMoved: Double
        let jsdEnd: Double
        let pEnd: [Double]
    }
    var earlyRuns: [EarlyRun] = []
    for (objective, useAdam) in [(GeneratorObjective.minimax, false), (.nonSaturating, false), (.minimax, true), (.nonSaturating, true)] {
        let (g, d) = startingPlayers()
        g.load(from: g0)
        d.load(from: d0)
        var r = rng  // the same draws for every run
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
        for step in 1...sizes.saturationSteps {
            let s = trainer.step(realBatch: { data1D.samples(256, using: &$0) }, using: &r)
            try chapter.checkFinite(s.generatorLoss, step: step, model: "the 1-D GAN (\(objective.name))")
            if step == 1 { firstDofG = Double(s.meanFakeD) }
            norms.append(Double(s.generatorGradientNorm))
        }
        let pEnd = grid.x.map(g.exact.density)
        earlyRuns.append(
            EarlyRun(
                name: "\(objective.name), \(useAdam ? "Adam" : "SGD")", objective: objective, usesAdam: useAdam, startDofG: firstDofG, gradientNorms: norms,
                meanMoved: mean(pEnd) - mean(pStart), jsdEnd: GANTheory.jensenShannon(pData, pEnd, on: grid), pEnd: pEnd))
    }
    rng = rng.split()
    print("\n   Early training from one start (mean of p_g at \(f(mean(pStart), 2)), JSD \(f(jsdStart, 3))), \(sizes.saturationSteps) steps with k = 1:")
    print("   generator                    D(G(z)) at start   |grad G| step 1   mean |grad G|   mean of p_g moved   JSD at end")
    for run in earlyRuns {
        let meanNorm = run.gradientNorms.reduce(0, +) / Double(run.gradientNorms.count)
        let name = run.name.padding(toLength: 28, withPad: " ", startingAt: 0)
        print("   " + name + String(format: "%16.5f   %15.2e   %13.2e   %17.3f   %10.4f", run.startDofG, run.gradientNorms[0], meanNorm, run.meanMoved, run.jsdEnd))
        chapter.results.add(
            "1-D early training, \(run.name)",
            ["measured": String(format: "|grad G| %.1e, p_g moved %.2f, JSD %.3f -> %.3f", run.gradientNorms[0], run.meanMoved, jsdStart, run.jsdEnd), "expected": run.usesAdam ? "Adam divides by |grad|: both move" : run.objective == .minimax ? "stuck: gradient ~ D(G(z))" : "moves toward the data"])
        chapter.record("1d/early/\(run.name)/first gradient norm", run.gradientNorms[0])
        chapter.record("1d/early/\(run.name)/JSD end", run.jsdEnd)
    }

    // The figure: both losses and their gradients against D(G(z)), and the early runs with SGD
    // (on [-5, 8], wide enough for the starting p_g). The non-saturating p_g reaches only the
    // nearer of the two modes in these steps: a strong gradient pulls it to the closest place
    // where D says "real", the first step of every collapse.
    let sgdRuns = earlyRuns.filter { !$0.usesAdam }
    let wide = grid.x.indices.filter { grid.x[$0] >= -5 && grid.x[$0] <= 8 && $0 % 10 == 0 }
    func onWide(_ v: [Double]) -> [Double] { wide.map { v[$0] } }
    let wideX = onWide(grid.x)
    try save(
        panel(
            [
                curvesPlot(
                    x: dValues, [Series("minimax: log(1 - D)", y: minimaxCurve.loss), Series("non-saturating: -log D", y: nonSaturatingCurve.loss)],
                    title: "generator loss", xLabel: "D(G(z))", width: 520, height: 400),
                curvesPlot(
                    x: dValues, [Series("minimax: D", y: minimaxCurve.slope), Series("non-saturating: 1 - D", y: nonSaturatingCurve.slope)],
                    title: "|d loss / d logit|", xLabel: "D(G(z))", width: 520, height: 400),
                linePlot(
                    sgdRuns.map { Series($0.objective == .minimax ? "minimax" : "non-saturating", y: $0.gradientNorms) }, title: "|grad G| in early training (SGD)", xLabel: "step",
                    yScale: .log, width: 520, height: 400),
                curvesPlot(
                    x: wideX,
                    [Series("p_data", y: onWide(pData), style: .filled), Series("p_g at start", y: onWide(pStart), style: .dashed)]
                        + sgdRuns.map { Series("p_g, \($0.objective == .minimax ? "minimax" : "non-saturating")", y: onWide($0.pEnd)) },
                    title: "p_g after \(sizes.saturationSteps) steps (SGD)", xLabel: "x",
                    // Headroom above the highest curve for the legend.
                    yRange: 0...(([pData, pStart] + sgdRuns.map(\.pEnd)).flatMap(onWide).max()! * 1.7), width: 520, height: 400),
            ], title: "Saturating vs non-saturating generator objective", columns: 2),
        "ch5-saturation.png")

    // MARK: - 4. Mode collapse on the ring of 8 Gaussians

    // p_data: 8 Gaussians of standard deviation 0.05 evenly on a circle of radius 2 (Metz et al.
    // use 0.02; 0.05 lets a GAN settle within this chapter's 2000 steps). Two numbers say how
    // well the samples cover it (ModeCoverage): modes *covered*, holding at least 1/32 of the
    // samples within 3 standard deviations of their centre, and the *off-mode* share, samples
    // within 3 standard deviations of no centre; plus modes *reached*, the nearest centre of at
    // least 1/32 of the samples however far: a generator collapsed onto one spot reaches one or
    // two, one spread over the ring all 8.
    let ringStd = 0.05
    let ring = GaussianMixture2D.ring(count: 8, radius: 2, standardDeviation: ringStd)
    let centres = ring.components.map(\.mean)
    func coverage(_ samples: Tensor<Float>) -> ModeCoverage {
        ModeCoverage(samples: samples, centres: centres, radius: 3 * ringStd, minimumShare: 1.0 / 32)
    }
    // The same networks in both settings (2-d noise, two hidden ReLU layers of 128, batch 128,
    // Adam with beta1 = 0.5, non-saturating G, k = 1); only the discriminator's learning rate
    // differs. With it equal to the generator's, D keeps up and G spreads over the modes (with
    // seed 1 all 8 are covered by step 2000; in probe runs with other seeds 6 to 8 of them: a
    // GAN can drop a mode even when it works). With it ten times smaller, D cannot follow: G
    // piles its samples into one sheet where D is currently highest, D slowly lowers that spot,
    // and the whole sheet swings on to another, never settling on any mode. This is the
    // mechanism of mode collapse, the generator answering a stale discriminator with a single
    // best guess, and it is why the collapsed run covers no mode and has almost every sample off.
    struct RingRun {
        let name: String
        let discriminatorRate: Float
        var snapshots: [(step: Int, samples: Tensor<Float>, coverage: ModeCoverage)] = []
        var seconds = 0.0
    }
    var ringRuns = [
        RingRun(name: "balanced: lr_D = lr_G = 1e-3", discriminatorRate: 1e-3),
        RingRun(name: "slow D: lr_D = 1e-4, lr_G = 1e-3", discriminatorRate: 1e-4),
    ]
    let ringSnapshotSteps = [sizes.ringSteps / 8, sizes.ringSteps / 4, sizes.ringSteps / 2, sizes.ringSteps]
    let ringStart = rng.split()
    for i in ringRuns.indices {
        var r = ringStart  // the same initial networks and draws for both settings
        let g = MLP<Float>(sizes: [2, 128, 128, 2], activation: .relu, using: &r)
        let d = MLP<Float>(sizes: [2, 128, 128, 1], activation: .relu, using: &r)
        let trainer = GANTrainer(
            generator: g, discriminator: d, noiseSize: 2, objective: .nonSaturating, discriminatorSteps: 1,
            generatorOptimizer: Adam<Float>(learningRate: 1e-3, beta1: 0.5),
            discriminatorOptimizer: Adam<Float>(learningRate: ringRuns[i].discriminatorRate, beta1: 0.5))
        let progress = Progress("ring, \(ringRuns[i].name)", total: sizes.ringSteps)
        ringRuns[i].seconds = try timed {
            for step in 1...sizes.ringSteps {
                let s = trainer.step(realBatch: { ring.samples(128, using: &$0) }, using: &r)
                try chapter.checkFinite(s.discriminatorLoss + s.generatorLoss, step: step, model: "the ring GAN")
                if ringSnapshotSteps.contains(step) {
                    let samples = trainer.sample(4000, using: &r)
                    ringRuns[i].snapshots.append((step, samples, coverage(samples)))
                }
                progress.update(step: step, loss: Double(s.discriminatorLoss))
            }
        }.seconds
    }
    print("\n4. Ring of 8 Gaussians (std \(ringStd)): modes covered (>= 1/32 of 4000 samples within 3 std), off-mode share, modes reached")
    for run in ringRuns {
        print("   \(run.name) (\(f(run.seconds, 1)) s)")
        for snap in run.snapshots {
            print(String(format: "     step %5d: covered %d/8, off-mode %.3f, reached %d/8", snap.step, snap.coverage.modesCovered, snap.coverage.offModeShare, snap.coverage.modesReached))
        }
        let last = run.snapshots.last!.coverage
        chapter.results.add(
            "ring, \(run.name)",
            ["measured": "covered \(last.modesCovered)/8, off-mode \(f(last.offModeShare, 3)), reached \(last.modesReached)/8",
             "expected": run.discriminatorRate == 1e-3 ? "covers the 8 modes" : "collapsed: covers none, ~all off-mode"])
        let key = run.discriminatorRate == 1e-3 ? "balanced" : "slow D"
        chapter.record("ring/\(key)/modes covered", Double(last.modesCovered))
        chapter.record("ring/\(key)/off-mode share", last.offModeShare)
        chapter.record("ring/\(key)/modes reached", Double(last.modesReached))
    }

    // The figure: samples (1000 of the 4000) at the four steps, the mode centres on top.
    var ringPlots: [Canvas] = []
    for run in ringRuns {
        for snap in run.snapshots {
            let shownSamples = snap.samples.scalars.prefix(2000)
            let xs = stride(from: 0, to: shownSamples.count, by: 2).map { Double(shownSamples[$0]) } + centres.map(\.x)
            let ys = stride(from: 1, to: shownSamples.count, by: 2).map { Double(shownSamples[$0]) } + centres.map(\.y)
            ringPlots.append(
                scatterPlot(
                    x: xs, y: ys, classes: [Int](repeating: 0, count: xs.count - 8) + [Int](repeating: 1, count: 8),
                    title: "step \(snap.step): \(snap.coverage.modesCovered)/8 covered, off \(f(snap.coverage.offModeShare, 2))",
                    markerRadius: 1, width: 400, height: 400))
        }
    }
    try save(
        panel(ringPlots, title: "Ring of 8: top \(ringRuns[0].name); bottom \(ringRuns[1].name)", columns: ringSnapshotSteps.count),
        "ch5-ring.png")

    // MARK: - 5. A GAN on real digits, and the GAN paper's Parzen-window likelihood

    // MNIST-5k: 4000 training images of 28 x 28 gray levels in [0, 1] (no binarisation: the GAN
    // paper trains on gray MNIST), 500 for validation, 500 for test. The networks are MLPs as in
    // the paper, smaller to fit the budget: G maps 64-d noise through 256 LeakyReLU units to 784
    // sigmoid pixels; D maps 784 pixels through 256 LeakyReLU units, with dropout 0.3 as the paper
    // uses, to one logit. Adam (2e-4, beta1 = 0.5), batches of 64, k = 1, non-saturating G.
    let mnist = try RealDataset.mnist5k.loadSplits()
    let digitsTrain = mnist.train.flattened()
    let noiseSize = 64
    var digitsRng = rng.split()
    let digitGenerator = MLP<Float>(sizes: [noiseSize, 256, 784], activation: .leakyRelu(slope: 0.2), output: .sigmoid, using: &digitsRng)
    // The output bias starts at the logit of the mean training image (clamped to [0.01, 0.99]),
    // so the first samples already have the dark background of every digit instead of gray
    // noise: G spends its steps on strokes, and the border pixels start near 0 rather than stuck
    // bright in the flat part of the sigmoid.
    do {
        let n = digitsTrain.shape[0]
        var meanImage = [Float](repeating: 0, count: 784)
        for row in 0..<n { for j in 0..<784 { meanImage[j] += digitsTrain.scalars[row * 784 + j] / Float(n) } }
        digitGenerator.layers.last!.bias.value = Tensor(meanImage.map { m in
            let q = min(max(m, 0.01), 0.99)
            return Foundation.log(q / (1 - q))
        })
    }
    let digitDiscriminator = DropoutMLP(
        MLP<Float>(sizes: [784, 256, 1], activation: .leakyRelu(slope: 0.2), using: &digitsRng), rate: 0.3, rng: digitsRng.split())
    let digitsTrainer = GANTrainer(
        generator: digitGenerator, discriminator: digitDiscriminator, noiseSize: noiseSize, objective: .nonSaturating,
        discriminatorSteps: 1, generatorOptimizer: Adam<Float>(learningRate: 2e-4, beta1: 0.5),
        discriminatorOptimizer: Adam<Float>(learningRate: 2e-4, beta1: 0.5))
    // Samples are drawn from a moving average of G's weights (decay 0.999), which follows the
    // training path without its step-to-step jitter.
    let averagedGenerator = MLP<Float>(sizes: [noiseSize, 256, 784], activation: .leakyRelu(slope: 0.2), output: .sigmoid, using: &digitsRng)
    averagedGenerator.load(from: digitGenerator)
    let fixedNoise = Tensor<Float>.normal([10, noiseSize], using: &digitsRng)
    let digitSnapshotSteps = [sizes.digitsSteps / 20, sizes.digitsSteps / 5, sizes.digitsSteps / 2, sizes.digitsSteps]
    var digitSnapshots: [(step: Int, images: Tensor<Float>)] = []
    var digitCurves = (dLoss: [Double](), gLoss: [Double](), realD: [Double](), fakeD: [Double]())
    var epochBatches = ShuffledBatches(count: digitsTrain.shape[0], batchSize: 64, dropLast: true, using: &digitsRng)
    func nextDigitBatch(_ r: inout Random) -> Tensor<Float> {
        if let rows = epochBatches.next() { return digitsTrain.gatheringRows(rows) }
        epochBatches = ShuffledBatches(count: digitsTrain.shape[0], batchSize: 64, dropLast: true, using: &r)
        return digitsTrain.gatheringRows(epochBatches.next()!)
    }
    let digitsProgress = Progress("MNIST GAN", total: sizes.digitsSteps)
    let digitsSeconds = try timed {
        for step in 1...sizes.digitsSteps {
            let s = digitsTrainer.step(realBatch: nextDigitBatch, using: &digitsRng)
            try chapter.checkFinite(s.discriminatorLoss + s.generatorLoss, step: step, model: "the MNIST GAN")
            updateMovingAverage(averagedGenerator.parameters, toward: digitGenerator.parameters, decay: 0.999)
            digitCurves.dLoss.append(Double(s.discriminatorLoss))
            digitCurves.gLoss.append(Double(s.generatorLoss))
            digitCurves.realD.append(Double(s.meanRealD))
            digitCurves.fakeD.append(Double(s.meanFakeD))
            if digitSnapshotSteps.contains(step) {
                digitSnapshots.append((step, withoutGradient { averagedGenerator(fixedNoise) }))
            }
            digitsProgress.update(step: step, epoch: step * 64 / digitsTrain.shape[0] + 1, loss: Double(s.discriminatorLoss))
        }
    }.seconds
    func tailMean(_ v: [Double]) -> Double { let t = v.suffix(max(v.count / 10, 1)); return t.reduce(0, +) / Double(t.count) }
    print("\n5. MNIST-5k GAN: \(sizes.digitsSteps) steps (\(f(Double(sizes.digitsSteps * 64) / Double(digitsTrain.shape[0]), 1)) epochs) in \(f(digitsSeconds, 1)) s")
    print("   last 10% of steps: D loss \(f(tailMean(digitCurves.dLoss), 3)), G loss \(f(tailMean(digitCurves.gLoss), 3)), mean D(x) \(f(tailMean(digitCurves.realD), 3)), mean D(G(z)) \(f(tailMean(digitCurves.fakeD), 3))")
    print("   (at the game's equilibrium D = 1/2 everywhere: D loss 2 log 2 = 1.386, G loss log 2 = 0.693)")
    chapter.record("mnist/GAN/steps", Double(sizes.digitsSteps))
    chapter.record("mnist/GAN/final mean D(x)", tailMean(digitCurves.realD))
    chapter.record("mnist/GAN/final mean D(G(z))", tailMean(digitCurves.fakeD))

    // The figures: the same ten noise vectors through the averaged G over training; 60 samples
    // at the end; and the training curves, averaged over windows of 50 steps.
    try save(
        imageGrid(
            digitSnapshots.flatMap(\.images.scalars), shape: [digitSnapshots.count * 10, 28, 28], columns: 10,
            rowCaptions: digitSnapshots.map { "step \($0.step)" }, title: "MNIST-5k GAN: fixed noise over training"),
        "ch5-digits-over-training.png")
    let finalSamples = withoutGradient { averagedGenerator(.normal([60, noiseSize], using: &digitsRng)) }
    try save(
        imageGrid(finalSamples.scalars, shape: [60, 28, 28], columns: 10, title: "MNIST-5k GAN samples after \(sizes.digitsSteps) steps"),
        "ch5-digits-samples.png")
    func smoothed(_ v: [Double]) -> (x: [Double], y: [Double]) {
        let w = max(1, min(50, v.count / 10))
        let blocks = stride(from: 0, to: v.count - w + 1, by: w).map { v[$0..<$0 + w] }
        return (blocks.indices.map { Double($0 * w + w) }, blocks.map { $0.reduce(0, +) / Double(w) })
    }
    let steps = smoothed(digitCurves.dLoss).x
    try save(
        panel(
            [
                linePlot(
                    [
                        Series("D loss -V", x: steps, y: smoothed(digitCurves.dLoss).y), Series("G loss -log D(G(z))", x: steps, y: smoothed(digitCurves.gLoss).y),
                        Series("2 log 2", x: steps, y: steps.map { _ in 2 * Foundation.log(2.0) }, color: .gray, style: .dashed),
                    ], title: "losses", xLabel: "step", width: 520, height: 400),
                linePlot(
                    [
                        Series("mean D(x)", x: steps, y: smoothed(digitCurves.realD).y), Series("mean D(G(z))", x: steps, y: smoothed(digitCurves.fakeD).y),
                        Series("1/2", x: steps, y: steps.map { _ in 0.5 }, color: .gray, style: .dashed),
                    ], title: "discriminator outputs", xLabel: "step", width: 520, height: 400),
            ], title: "MNIST-5k GAN training (means over 50 steps)"),
        "ch5-digits-training.png")

    // The GAN paper's metric (Table 1): fit a Gaussian Parzen window to samples of G,
    //     p(x) = 1/M sum_m N(x; G(z_m), sigma^2 I),
    // choose sigma on the validation set, and report the mean log p(x) of the test set. With the
    // window on the 4000 training images instead of samples, the same estimator scores a "model"
    // that has memorised the training set: the number to beat is not the GAN's alone.
    let parzenSamples = withoutGradient { averagedGenerator(.normal([sizes.parzenSamples, noiseSize], using: &digitsRng)) }
    let widths = [0.05, 0.08, 0.1, 0.12, 0.15, 0.18, 0.2, 0.25, 0.3, 0.4]
    let validation = mnist.validation.flattened(), test = mnist.test.flattened()
    func parzenScore(centres: Tensor<Float>) -> (sigma: Double, test: (mean: Double, standardError: Double)) {
        let sigma = ParzenWindow(points: validation, centres: centres).bestWidth(among: widths).sigma
        return (sigma, ParzenWindow(points: test, centres: centres).meanLogDensity(sigma: sigma))
    }
    let (ganParzen, parzenSeconds) = timed { parzenScore(centres: parzenSamples) }
    let memoriser = parzenScore(centres: digitsTrain)
    print("   Parzen window (sigma chosen on validation from \(widths.map { f($0, 2) }.joined(separator: ", ")); \(f(parzenSeconds, 1)) s):")
    print("     GAN, \(sizes.parzenSamples) samples: sigma \(f(ganParzen.sigma, 2)), test log-likelihood \(f(ganParzen.test.mean, 1)) +- \(f(ganParzen.test.standardError, 1)) nats")
    print("     the 4000 training images themselves: sigma \(f(memoriser.sigma, 2)), test log-likelihood \(f(memoriser.test.mean, 1)) +- \(f(memoriser.test.standardError, 1)) nats")
    print("     (GAN paper, full MNIST: 225 +- 2. A density on [0, 1]^784, not a probability: it is higher for")
    print("     smaller sigma and sharper data, and it rewards samples close to test images, not good samples.)")
    chapter.results.add(
        "MNIST-5k GAN: Parzen test log-likelihood (nats)",
        ["measured": "\(f(ganParzen.test.mean, 1)) +- \(f(ganParzen.test.standardError, 1)) (sigma \(f(ganParzen.sigma, 2)))", "expected": "paper 225 +- 2 (full MNIST); a poor metric"])
    chapter.results.add(
        "MNIST-5k training images as the 'model': Parzen",
        ["measured": "\(f(memoriser.test.mean, 1)) +- \(f(memoriser.test.standardError, 1)) (sigma \(f(memoriser.sigma, 2)))", "expected": "a memoriser scores well too"])
    chapter.record("mnist/test Parzen log-density/GAN", ganParzen.test.mean)
    chapter.record("mnist/Parzen sigma/GAN", ganParzen.sigma)
    chapter.record("mnist/test Parzen log-density/training images", memoriser.test.mean)

    // Chapters 1-4 report exact (or bounded) likelihoods of *binarised* images: probabilities of
    // discrete pixels, in nats per image, lower is better. The Parzen number is a *density* of
    // gray images, higher is better. They are printed side by side because the lecture asks for
    // it, not because they can be compared: the units differ and so do the data.
    print("   Likelihoods of MNIST-5k test images from chapters 1-4 in this figures folder (binarised; NLL in nats, lower is better):")
    var foundEarlier = false
    for n in 1...4 {
        guard let metrics = chapter.metrics(ofChapter: n) else {
            print("     chapter \(n): not run in \(chapter.figures.path) with the same --quick setting")
            continue
        }
        // Only the MNIST-5k test split, the images this GAN was trained on (the chapters' other
        // data sets are in their own tables): every exact test NLL, and for a VAE, whose NLL has no
        // closed form, its two upper bounds, -ELBO and the tightest importance-weighted one.
        var likelihoods: [(model: String, measure: String, value: Double)] = []
        var tightest: [String: (k: Int, value: Double)] = [:]
        for (key, value) in metrics {
            guard let name = MetricName(key), name.data == "mnist" else { continue }
            if name.measure == "test NLL" { likelihoods.append((name.model, "NLL", value)) }
            if name.measure == "test -ELBO" { likelihoods.append((name.model, "-ELBO (an upper bound on the NLL)", value)) }
            if name.measure.hasPrefix("test IWAE-"), let k = Int(name.measure.dropFirst("test IWAE-".count)),
                k > (tightest[name.model]?.k ?? 0)
            {
                tightest[name.model] = (k, value)
            }
        }
        for (model, bound) in tightest { likelihoods.append((model, "-IWAE-\(bound.k) (a tighter upper bound)", bound.value)) }
        likelihoods.sort { ($0.model, $0.measure) < ($1.model, $1.measure) }
        if likelihoods.isEmpty { print("     chapter \(n): no MNIST-5k test likelihood recorded") }
        for l in likelihoods {
            foundEarlier = true
            print("     chapter \(n): \(l.model), \(l.measure) = \(f(l.value, 2))")
            chapter.results.add("chapter \(n): \(l.model), test \(l.measure)", ["measured": f(l.value, 2), "expected": "NLL of binarised data: not comparable"])
        }
    }
    if !foundEarlier { print("     (none found: run `workbook` to run every chapter into one folder)") }

    // MARK: - 6. Why GAN training can circle: min_x max_y x y

    // The simplest two-player game, min_x max_y f = x y, has its equilibrium at (0, 0), and the
    // gradient field (df/dx, df/dy) = (y, x) turns around it. Simultaneous gradient steps,
    // (x, y) <- (x - eta y, y + eta x), multiply the distance to (0, 0) by sqrt(1 + eta^2) every
    // step: they spiral out. Alternating steps (x first, then y with the new x), as GAN code
    // alternates D and G, keep it bounded: they circle forever and never converge either.
    let eta = 0.1, gameSteps = 200
    func play(alternating: Bool) -> [(Double, Double)] {
        var point = (x: 1.0, y: 1.0)
        var path = [(point.x, point.y)]
        func gradient(_ x: Double, _ y: Double) -> (dx: Double, dy: Double) {
            let (_, g) = valueAndGradient(at: [Tensor<Double>(x), Tensor<Double>(y)]) { t in t[0] * t[1] }
            return (g[0].item, g[1].item)
        }
        for _ in 0..<gameSteps {
            let g = gradient(point.x, point.y)
            let x = point.x - eta * g.dx  // x minimises
            let y = point.y + eta * (alternating ? gradient(x, point.y).dy : g.dy)  // y maximises
            point = (x, y)
            path.append(point)
        }
        return path
    }
    let simultaneous = play(alternating: false), alternating = play(alternating: true)
    func radius(_ p: (Double, Double)) -> Double { (p.0 * p.0 + p.1 * p.1).squareRoot() }
    let radii = alternating.map(radius)
    print("\n6. min_x max_y x y from (1, 1), \(gameSteps) steps of size \(eta): distance to the equilibrium (0, 0)")
    print("   simultaneous: \(f(radius(simultaneous[0]), 3)) -> \(f(radius(simultaneous.last!), 3)) (theory sqrt(1 + eta^2)^\(gameSteps) x \(f(radius(simultaneous[0]), 3)) = \(f(radius(simultaneous[0]) * Foundation.pow(1 + eta * eta, Double(gameSteps) / 2), 3)))")
    print("   alternating:  \(f(radii[0], 3)) -> \(f(radii.last!, 3)), between \(f(radii.min()!, 3)) and \(f(radii.max()!, 3)) throughout")
    chapter.results.add("min_x max_y xy, simultaneous steps", ["measured": "distance \(f(radius(simultaneous[0]), 2)) -> \(f(radius(simultaneous.last!), 2))", "expected": "spirals out"])
    chapter.results.add("min_x max_y xy, alternating steps", ["measured": "distance stays in [\(f(radii.min()!, 2)), \(f(radii.max()!, 2))]", "expected": "circles, never converges"])
    chapter.record("xy/simultaneous/final distance", radius(simultaneous.last!))
    chapter.record("xy/alternating/final distance", radii.last!)
    try save(
        linePlot(
            [
                Series("simultaneous", x: simultaneous.map(\.0), y: simultaneous.map(\.1)),
                Series("alternating", x: alternating.map(\.0), y: alternating.map(\.1)),
                // Crosses (two strokes separated by a gap, NaN) mark the start and the equilibrium.
                Series("start (1, 1)", x: [0.85, 1.15, .nan, 1, 1], y: [1, 1, .nan, 0.85, 1.15], color: .black),
                Series("equilibrium (0, 0)", x: [-0.15, 0.15, .nan, 0, 0], y: [0, 0, .nan, -0.15, 0.15], color: .gray),
            ], title: "min_x max_y xy: \(gameSteps) steps of size \(eta)", xLabel: "x (minimises)", yLabel: "y (maximises)", width: 640,
            height: 600),
        "ch5-xy-game.png")
}
