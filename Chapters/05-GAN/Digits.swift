import Datasets
import Foundation
import Models
import Tensors
import Workbook

/// What the MNIST GAN measured at every step, and the fixed-noise samples at a few steps.
struct DigitsTraining {
    var dLoss: [Double] = [], gLoss: [Double] = [], realD: [Double] = [], fakeD: [Double] = []
    /// The averaged generator's images of the fixed noise at the snapshot steps, and G's own.
    var snapshots: [(step: Int, images: Tensor<Float>)] = []
    var rawSnapshots: [(step: Int, images: Tensor<Float>)] = []
    var seconds = 0.0
}

/// The GAN of section 5 on 784 gray pixels: G maps `noiseSize`-d noise through 256 LeakyReLU
/// units to 784 sigmoid pixels; D maps 784 pixels through 256 LeakyReLU units, with dropout 0.3,
/// to one logit. Adam (2e-4, beta1 = 0.5), k = 1, non-saturating G. Samples come from a moving
/// average of G's weights (decay 0.999), which follows the training path without its
/// step-to-step jitter.
struct DigitsGAN {
    let noiseSize: Int
    let generator: MLP<Float>
    let averagedGenerator: MLP<Float>
    let trainer: GANTrainer<MLP<Float>, DropoutMLP<Float>>

    init(noiseSize: Int, meanImage: [Float], using rng: inout Random) {
        self.noiseSize = noiseSize
        generator = MLP<Float>(
            sizes: [noiseSize, 256, 784], activation: .leakyRelu(slope: 0.2), output: .sigmoid, using: &rng)
        // The output bias starts at the logit of the mean training image (clamped to [0.01, 0.99]),
        // so the first samples already have the dark background of every digit instead of gray
        // noise: G spends its steps on strokes, and the border pixels start near 0 rather than stuck
        // bright in the flat part of the sigmoid.
        generator.layers.last!.bias.value = Tensor(
            meanImage.map { m in
                let q = min(max(m, 0.01), 0.99)
                return Foundation.log(q / (1 - q))
            })
        let discriminator = DropoutMLP(
            MLP<Float>(sizes: [784, 256, 1], activation: .leakyRelu(slope: 0.2), using: &rng), rate: 0.3,
            rng: rng.split())
        trainer = GANTrainer(
            generator: generator, discriminator: discriminator, noiseSize: noiseSize, objective: .nonSaturating,
            discriminatorSteps: 1, generatorOptimizer: Adam<Float>(learningRate: 2e-4, beta1: 0.5),
            discriminatorOptimizer: Adam<Float>(learningRate: 2e-4, beta1: 0.5))
        averagedGenerator = MLP<Float>(
            sizes: [noiseSize, 256, 784], activation: .leakyRelu(slope: 0.2), output: .sigmoid, using: &rng)
        averagedGenerator.load(from: generator)
    }

    /// `count` samples of the averaged generator, [count, 784].
    func samples(_ count: Int, using rng: inout Random) -> Tensor<Float> {
        withoutGradient { averagedGenerator(.normal([count, noiseSize], using: &rng)) }
    }

    /// `steps` steps on shuffled batches of 64 training images [N, 784], epoch after epoch; the
    /// images of `fixedNoise` by G and by the averaged G are kept at `snapshotSteps`.
    func train(
        on images: Tensor<Float>, steps: Int, fixedNoise: Tensor<Float>, snapshotSteps: [Int], chapter: Chapter,
        rng: inout Random
    ) throws -> DigitsTraining {
        var log = DigitsTraining()
        var epochBatches = ShuffledBatches(count: images.shape[0], batchSize: 64, dropLast: true, using: &rng)
        func nextBatch(_ r: inout Random) -> Tensor<Float> {
            if let rows = epochBatches.next() { return images.gatheringRows(rows) }
            epochBatches = ShuffledBatches(count: images.shape[0], batchSize: 64, dropLast: true, using: &r)
            return images.gatheringRows(epochBatches.next()!)
        }
        let progress = Progress("MNIST GAN", total: steps)
        let seconds = try timed {
            for step in 1...steps {
                let s = trainer.step(realBatch: nextBatch, using: &rng)
                try chapter.checkFinite(s.discriminatorLoss + s.generatorLoss, step: step, model: "the MNIST GAN")
                updateMovingAverage(averagedGenerator.parameters, toward: generator.parameters, decay: 0.999)
                log.dLoss.append(Double(s.discriminatorLoss))
                log.gLoss.append(Double(s.generatorLoss))
                log.realD.append(Double(s.meanRealD))
                log.fakeD.append(Double(s.meanFakeD))
                if snapshotSteps.contains(step) {
                    log.snapshots.append((step, withoutGradient { averagedGenerator(fixedNoise) }))
                    log.rawSnapshots.append((step, withoutGradient { generator(fixedNoise) }))
                }
                progress.update(step: step, epoch: step * 64 / images.shape[0] + 1, loss: Double(s.discriminatorLoss))
            }
        }.seconds
        log.seconds = seconds
        return log
    }
}

/// The mean of the last 10% of a series (at least one value).
func tailMean(_ v: [Double]) -> Double {
    let t = v.suffix(max(v.count / 10, 1))
    return t.reduce(0, +) / Double(t.count)
}

/// The mean image of `images` [N, 784], pixel by pixel (summed in the order of the chapter's
/// first version, so the generator's starting bias is bit for bit the same).
func meanImage(_ images: Tensor<Float>) -> [Float] {
    let n = images.shape[0]
    var mean = [Float](repeating: 0, count: 784)
    for row in 0..<n { for j in 0..<784 { mean[j] += images.scalars[row * 784 + j] / Float(n) } }
    return mean
}

/// The Parzen-window score of the GAN paper (Table 1) for the window centres `centres`: sigma
/// chosen on `validation` among `widths`, then the mean log-density of `test` and its standard
/// error.
func parzenScore(
    centres: Tensor<Float>, validation: Tensor<Float>, test: Tensor<Float>, widths: [Double]
) -> (sigma: Double, test: (mean: Double, standardError: Double)) {
    let sigma = ParzenWindow(points: validation, centres: centres).bestWidth(among: widths).sigma
    return (sigma, ParzenWindow(points: test, centres: centres).meanLogDensity(sigma: sigma))
}

/// The MNIST-5k test likelihoods an earlier chapter recorded: every exact test NLL, and for a
/// VAE, whose NLL has no closed form, its two upper bounds, -ELBO and the tightest
/// importance-weighted one.
func mnistLikelihoods(in metrics: [String: Double]) -> [(model: String, measure: String, value: Double)] {
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
    for (model, bound) in tightest {
        likelihoods.append((model, "-IWAE-\(bound.k) (a tighter upper bound)", bound.value))
    }
    likelihoods.sort { ($0.model, $0.measure) < ($1.model, $1.measure) }
    return likelihoods
}

/// Lists the MNIST-5k test likelihoods the earlier chapters saved in the same figures folder, in
/// the chapter's table (shown, not recorded again: they are chapter n's numbers).
func showEarlierLikelihoods(in chapter: Chapter) {
    print(
        "   Likelihoods of MNIST-5k test images from chapters 1-4 in this figures folder (binarised; NLL in nats, lower is better):"
    )
    var foundEarlier = false
    for n in 1...4 {
        guard let metrics = chapter.metrics(ofChapter: n) else {
            print("     chapter \(n): not run in \(chapter.figures.path) with the same --quick setting")
            continue
        }
        let likelihoods = mnistLikelihoods(in: metrics)
        if likelihoods.isEmpty { print("     chapter \(n): no MNIST-5k test likelihood recorded") }
        for l in likelihoods {
            foundEarlier = true
            // Shown in the table, not recorded again: these are chapter n's numbers.
            chapter.results.set(
                row: "chapter \(n): \(l.model), test \(l.measure)", column: "earlier chapters (binarised)",
                to: fmt(l.value, 2))
            print("     chapter \(n): \(l.model), \(l.measure) = \(fmt(l.value, 2))")
        }
    }
    if !foundEarlier { print("     (none found: run `workbook` to run every chapter into one folder)") }
}
