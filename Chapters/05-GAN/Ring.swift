import Datasets
import Foundation
import Models
import Tensors
import Workbook

/// One GAN on the ring of 8 and what it drew along the way.
struct RingRun {
    let name: String
    /// The short name its metrics carry ("balanced", "strong D", "slow D").
    let key: String
    let generatorRate: Float
    let discriminatorRate: Float
    /// k, discriminator steps per generator step.
    let k: Int
    /// 4000 samples and their coverage at the snapshot steps.
    var snapshots: [(step: Int, samples: Tensor<Float>, coverage: ModeCoverage)] = []
    /// Every `traceInterval` steps, the coverage of 500 samples: modes covered, and the mode
    /// nearest to the most samples (where the bulk of the generator's mass is).
    var trace: [(step: Int, covered: Int, busiestMode: Int)] = []
    var seconds = 0.0
}

extension RingRun {
    /// The three settings of section 4, which differ only in the learning rates and k (main.swift
    /// says what each shows).
    static var threeSettings: [RingRun] {
        [
            RingRun(
                name: "balanced: lr_D = lr_G = 1e-3, k = 1", key: "balanced", generatorRate: 1e-3,
                discriminatorRate: 1e-3,
                k: 1),
            RingRun(
                name: "strong D: lr_G = 1e-4, lr_D = 1e-3, k = 5", key: "strong D", generatorRate: 1e-4,
                discriminatorRate: 1e-3, k: 5),
            RingRun(
                name: "slow D: lr_D = 1e-4, lr_G = 1e-3, k = 1", key: "slow D", generatorRate: 1e-3,
                discriminatorRate: 1e-4, k: 1),
        ]
    }
}

/// Trains `run`'s GAN on `ring` from the networks and draws of `start`: 2-d noise, G and D with
/// two hidden ReLU layers of 128, batches of 128, Adam with beta1 = 0.5 at the run's rates,
/// non-saturating G, the run's k. At each of `snapshotSteps` it draws 4000 samples and measures
/// their coverage. The trace's samples come from a generator of their own (split from a copy of
/// `start`), so that tracing leaves the training draws, and every number of the run, unchanged.
func trainRingGAN(
    _ run: inout RingRun, on ring: GaussianMixture2D, steps: Int, snapshotSteps: [Int], traceInterval: Int,
    coverage: (Tensor<Float>) -> ModeCoverage, start: Random, chapter: Chapter
) throws {
    var r = start
    var traceRng = start
    traceRng = traceRng.split()
    let g = MLP<Float>(sizes: [2, 128, 128, 2], activation: .relu, using: &r)
    let d = MLP<Float>(sizes: [2, 128, 128, 1], activation: .relu, using: &r)
    let trainer = GANTrainer(
        generator: g, discriminator: d, noiseSize: 2, objective: .nonSaturating, discriminatorSteps: run.k,
        generatorOptimizer: Adam<Float>(learningRate: run.generatorRate, beta1: 0.5),
        discriminatorOptimizer: Adam<Float>(learningRate: run.discriminatorRate, beta1: 0.5))
    let progress = Progress("ring, \(run.name)", total: steps)
    var snapshots: [(step: Int, samples: Tensor<Float>, coverage: ModeCoverage)] = []
    var trace: [(step: Int, covered: Int, busiestMode: Int)] = []
    run.seconds = try timed {
        for step in 1...steps {
            let s = trainer.step(realBatch: { ring.samples(128, using: &$0) }, using: &r)
            try chapter.checkFinite(s.discriminatorLoss + s.generatorLoss, step: step, model: "the ring GAN")
            if snapshotSteps.contains(step) {
                let samples = trainer.sample(4000, using: &r)
                snapshots.append((step, samples, coverage(samples)))
            }
            if step % traceInterval == 0 {
                let c = coverage(trainer.sample(500, using: &traceRng))
                let busiest = c.samplesNearestToMode.indices.max {
                    c.samplesNearestToMode[$0] < c.samplesNearestToMode[$1]
                }!
                trace.append((step, c.modesCovered, busiest))
            }
            progress.update(step: step, loss: Double(s.discriminatorLoss))
        }
    }.seconds
    run.snapshots = snapshots
    run.trace = trace
}
