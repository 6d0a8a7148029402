// The speed comparison of chapter 3: the timing of every model, and the timing table, one row
// per model.

import Datasets
import Models
import Tensors
import Workbook

/// Times models on the chapter's data with one generator, in the order they are measured: the
/// 8x8 models (D = 64) on the digits, 10 training steps (3 with --quick) and a sampling batch of
/// 64 (16); the 28 x 28 ones on MNIST, 3 steps (1) and a batch of 16 (4).
struct SpeedRun {
    let digits: ImageSet
    let mnist: ImageSet
    let quick: Bool
    var rng: Random

    /// The speed of `model` (see `measureSpeed`), and of its `naive` sampler when one is given.
    mutating func measure(
        _ model: any AutoregressiveImageModel<Float>, naive: (any AutoregressiveImageModel<Float>)? = nil
    ) -> ModelSpeed {
        let small = model.dimension == 64
        return measureSpeed(
            of: model, naive: naive, on: small ? digits : mnist,
            trainingSteps: small ? (quick ? 3 : 10) : (quick ? 1 : 3),
            samplingBatch: small ? (quick ? 16 : 64) : (quick ? 4 : 16), quick: quick, using: &rng)
    }
}

/// Reports every measured speed (keys "data/model") into a table of its own and returns it: the
/// multiply-adds per pixel, the sequential steps to train and to sample, and the times of the one
/// run, tagged "(same run)"; for a model with a naive sampler also its time and the speed-up of
/// the cached one, recorded under the standard names the workbook's summary reads as well.
func reportSpeeds(_ speeds: [String: ModelSpeed], in chapter: Chapter) -> ResultsTable {
    let table = ResultsTable(title: "One pass to train, D steps to sample (same run, same machine)")
    for (key, s) in speeds.sorted(by: { $0.key < $1.key }) {
        let parts = key.split(separator: "/").map(String.init)
        func report(_ measure: String, _ value: Double, digits: Int = 2) {
            chapter.report("\(parts[0])/\(measure)/\(parts[1])", value, digits: digits, in: table)
        }
        report("multiply-adds per pixel", Double(s.multiplyAddsPerPixel), digits: 0)
        report("sequential steps to train", Double(s.stepsToTrain), digits: 0)
        report("sequential steps to sample", Double(s.stepsToSample), digits: 0)
        report("train images per s (same run)", s.trainImagesPerSecond, digits: 0)
        report("log-likelihood ms for one image (same run)", s.logLikelihoodMs)
        report("sampling ms for one image (same run)", s.sampleMs, digits: 1)
        report("sampling ms per image in a batch (same run)", s.batchSampleMs)
        guard let naiveMs = s.naiveSampleMs else { continue }
        report("naive sampling ms for one image", naiveMs, digits: 1)
        report("cached sampling speed-up for one image", naiveMs / s.sampleMs, digits: 1)
        // The same two times under the names of the summary's "sampling" column.
        chapter.record("\(parts[0])/sampling ms for one image/\(parts[1])", s.sampleMs)
        chapter.record("\(parts[0])/sampling ms per image/\(parts[1])", s.batchSampleMs)
    }
    return table
}
