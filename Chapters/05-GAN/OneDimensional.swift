import Datasets
import Foundation
import Models
import Tensors
import Workbook

/// V(D*, G) = 2 JSD(p_data || p_g) - 2 log 2, the value of the game at the best discriminator
/// (Goodfellow et al., 2014, Theorem 1), from the Jensen-Shannon divergence in nats.
func valueAtOptimalDiscriminator(jensenShannon jsd: Double) -> Double { 2 * jsd - 2 * Foundation.log(2.0) }

/// The 1-D world of sections 1-3: the data density, the quadrature grid every integral is
/// computed on, and what can be measured there exactly (D*, |D - D*|, JSD).
struct LineSetting {
    let data: GaussianMixture1D
    let grid: QuadratureGrid
    /// p_data on the grid.
    let pData: [Double]
    /// The grid as a batch [points, 1], to evaluate a network on.
    let gridTensor: Tensor<Float>

    init(data: GaussianMixture1D, grid: QuadratureGrid) {
        self.data = data
        self.grid = grid
        pData = grid.x.map(data.density)
        gridTensor = Tensor<Float>(shape: [grid.x.count, 1], scalars: grid.x.map(Float.init))
    }

    /// The exact density of an invertible generator on the grid.
    func density(of generator: MonotoneGenerator1D<Float>) -> [Double] { grid.x.map(generator.exact.density) }

    /// D*(x) = p_data(x) / (p_data(x) + p_g(x)) on the grid.
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

    /// JSD(p_data || p_g) by quadrature.
    func jensenShannon(_ pModel: [Double]) -> Double { GANTheory.jensenShannon(pData, pModel, on: grid) }

    /// The mean of a density on the grid.
    func mean(_ p: [Double]) -> Double { grid.integrate(grid.x.indices.map { grid.x[$0] * p[$0] }) }
}

/// C(t) = max_D V(D, G_t) = V(D*, G_t) for p_g(x) = p_data(x - t) at each shift t, by quadrature,
/// and the same value from 2 JSD(p_data || p_g) - 2 log 2.
func criterionAlongShifts(_ shifts: [Double], on line: LineSetting) -> (criterion: [Double], byJSD: [Double]) {
    var criterion: [Double] = []
    var criterionByJSD: [Double] = []
    for t in shifts {
        let shifted = line.grid.x.map { line.data.density($0 - t) }
        criterion.append(GANTheory.optimalValue(pData: line.pData, pModel: shifted, on: line.grid))
        criterionByJSD.append(valueAtOptimalDiscriminator(jensenShannon: line.jensenShannon(shifted)))
    }
    return (criterion, criterionByJSD)
}

/// The discriminator of sections 1 and 3: 1 -> 64 -> 64 -> 1 with LeakyReLU(0.2).
func discriminatorNetwork(_ rng: inout Random) -> MLP<Float> {
    MLP(sizes: [1, 64, 64, 1], activation: .leakyRelu(slope: 0.2), using: &rng)
}

/// Trains `discriminator` alone against the fixed `generator`: Adam (2e-3) on -V, the
/// cross-entropy of calling data 1 and samples 0, with 512 fresh draws of each per step; the
/// learning rate drops tenfold for the last quarter, to settle. Returns the seconds taken.
func trainDiscriminatorAlone(
    _ discriminator: MLP<Float>, against generator: MonotoneGenerator1D<Float>, on line: LineSetting, steps: Int,
    chapter: Chapter, rng: inout Random
) throws -> Double {
    let adam = Adam<Float>(learningRate: 2e-3)
    return try timed {
        for step in 1...steps {
            if step == steps * 3 / 4 { adam.learningRate = 2e-4 }
            let real = line.data.samples(512, using: &rng)
            let fake = withoutGradient { generator(.normal([512, 1], using: &rng)) }
            let (loss, grads) = valueAndGradient(of: discriminator.parameters) {
                GANLoss.discriminator(realLogits: discriminator(real), fakeLogits: discriminator(fake))
            }
            adam.update(discriminator.parameters, with: grads)
            try chapter.checkFinite(loss.item, step: step, model: "the 1-D discriminator")
        }
    }.seconds
}

/// The state of the 1-D game at one step: p_g and D on the grid, JSD, D's distance to D*, and
/// the generator's map at `mappedNoise`.
struct Snapshot {
    let step: Int
    let pModel: [Double]
    let d: [Double]
    let jsd: Double
    let gap: (max: Double, mean: Double)
    let mapping: [(z: Double, x: Double)]
}

/// The n quantiles z_i = Phi^{-1}((i + 1/2) / n) of N(0, 1) (by bisection on Phi(z) =
/// (1 + erf(z / sqrt 2)) / 2): noise values that each stand for 1/n of the probability, so that
/// where their images G(z_i) crowd, p_g is high.
func normalQuantiles(_ n: Int) -> [Double] {
    (0..<n).map { i in
        let target = (Double(i) + 0.5) / Double(n)
        var (low, high) = (-10.0, 10.0)
        for _ in 0..<60 {
            let middle = (low + high) / 2
            if (1 + erf(middle / 2.0.squareRoot())) / 2 < target { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}

/// Noise values whose images the 1-D figures draw: 24 quantiles of N(0, 1).
let mappedNoise = normalQuantiles(24)

/// One run of Algorithm 1 on the line: the generator starts as a narrow bump N(0, 0.5^2), the
/// discriminator is 1 -> 32 -> 32 -> 1; `k` discriminator steps (fresh batches of 256) per
/// generator step, Adam with beta1 = 0.5 for both. JSD is measured every 50 steps, the whole
/// state at `snapshotAt`.
struct LineGANRun {
    var snapshots: [Snapshot] = []
    var jsdCurve: [(step: Int, jsd: Double)] = []
    var seconds = 0.0
}

func trainLineGAN(
    on line: LineSetting, k: Int, objective: GeneratorObjective, generatorRate: Float, discriminatorRate: Float,
    steps: Int, snapshotAt: Set<Int>, chapter: Chapter, rng: inout Random
) throws -> LineGANRun {
    let generator = MonotoneGenerator1D<Float>(units: 8, mean: 0, std: 0.5, using: &rng)
    let discriminator = MLP<Float>(sizes: [1, 32, 32, 1], activation: .leakyRelu(slope: 0.2), using: &rng)
    let trainer = GANTrainer(
        generator: generator, discriminator: discriminator, noiseSize: 1, objective: objective,
        discriminatorSteps: k, generatorOptimizer: Adam<Float>(learningRate: generatorRate, beta1: 0.5),
        discriminatorOptimizer: Adam<Float>(learningRate: discriminatorRate, beta1: 0.5))
    var run = LineGANRun()
    func measure(_ step: Int) {
        let pModel = line.density(of: generator)
        let jsd = line.jensenShannon(pModel)
        run.jsdCurve.append((step, jsd))
        if snapshotAt.contains(step) {
            let d = line.discriminatorOnGrid(discriminator)
            let images = withoutGradient {
                generator(Tensor<Float>(shape: [mappedNoise.count, 1], scalars: mappedNoise.map(Float.init)))
            }
            run.snapshots.append(
                Snapshot(
                    step: step, pModel: pModel, d: d, jsd: jsd, gap: line.distanceToOptimum(d, pModel),
                    mapping: zip(mappedNoise, images.scalars).map { (z: $0, x: Double($1)) }))
        }
    }
    let progress = Progress("1-D GAN, k = \(k)", total: steps)
    let seconds = try timed {
        measure(0)
        for step in 1...steps {
            let s = trainer.step(realBatch: { line.data.samples(256, using: &$0) }, using: &rng)
            try chapter.checkFinite(s.discriminatorLoss + s.generatorLoss, step: step, model: "the 1-D GAN")
            if step % 50 == 0 || snapshotAt.contains(step) { measure(step) }
            progress.update(step: step, loss: Double(s.discriminatorLoss))
        }
    }.seconds
    run.seconds = seconds
    return run
}
