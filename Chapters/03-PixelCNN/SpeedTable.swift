// The timing table of chapter 3: every model of the speed comparison, one row each.

import Workbook

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
