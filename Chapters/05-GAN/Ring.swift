import Datasets
import Foundation
import Models
import Tensors
import Workbook

/// One GAN on the ring of 8 and the samples it drew along the way.
struct RingRun {
    let name: String
    /// The short name its metrics carry ("balanced", "slow D").
    let key: String
    let discriminatorRate: Float
    var snapshots: [(step: Int, samples: Tensor<Float>, coverage: ModeCoverage)] = []
    var seconds = 0.0
}

/// Trains `run`'s GAN on `ring` from the networks and draws of `start`: 2-d noise, G and D with
/// two hidden ReLU layers of 128, batches of 128, Adam with beta1 = 0.5 (G at 1e-3, D at the
/// run's rate), non-saturating G, k = 1. At each of `snapshotSteps` it draws 4000 samples and
/// measures their coverage.
func trainRingGAN(
    _ run: inout RingRun, on ring: GaussianMixture2D, steps: Int, snapshotSteps: [Int],
    coverage: (Tensor<Float>) -> ModeCoverage, start: Random, chapter: Chapter
) throws {
    var r = start
    let g = MLP<Float>(sizes: [2, 128, 128, 2], activation: .relu, using: &r)
    let d = MLP<Float>(sizes: [2, 128, 128, 1], activation: .relu, using: &r)
    let trainer = GANTrainer(
        generator: g, discriminator: d, noiseSize: 2, objective: .nonSaturating, discriminatorSteps: 1,
        generatorOptimizer: Adam<Float>(learningRate: 1e-3, beta1: 0.5),
        discriminatorOptimizer: Adam<Float>(learningRate: run.discriminatorRate, beta1: 0.5))
    let progress = Progress("ring, \(run.name)", total: steps)
    var snapshots: [(step: Int, samples: Tensor<Float>, coverage: ModeCoverage)] = []
    run.seconds = try timed {
        for step in 1...steps {
            let s = trainer.step(realBatch: { ring.samples(128, using: &$0) }, using: &r)
            try chapter.checkFinite(s.discriminatorLoss + s.generatorLoss, step: step, model: "the ring GAN")
            if snapshotSteps.contains(step) {
                let samples = trainer.sample(4000, using: &r)
                snapshots.append((step, samples, coverage(samples)))
            }
            progress.update(step: step, loss: Double(s.discriminatorLoss))
        }
    }.seconds
    run.snapshots = snapshots
}
