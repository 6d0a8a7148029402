// Reporting a rung of chapter 1's likelihood ladders: every number once, through `report`.

import Models
import Tensors
import Workbook

/// One rung of a likelihood ladder: a model and its test NLL in nats per image.
struct Rung {
    let model: String
    let nats: Double
}

extension Chapter {
    /// Reports the test NLL of `model` on `data` (name `data/test NLL/model`), and where given its
    /// bits per dimension (for the `dimensions` of the data), the epoch kept and the training time
    /// from its log, and its sampling time per image; returns the rung for the ladder figure.
    func reportRung(
        _ data: String, _ model: String, nats: Double, dimensions: Int? = nil, log: TrainingLog? = nil,
        sampleMs: Double? = nil
    ) -> Rung {
        report("\(data)/test NLL/\(model)", nats, unit: "nats")
        if let dimensions {
            let bits = Likelihood.bitsPerDimension(nats: nats, dimensions: dimensions)
            report("\(data)/test bits per dim/\(model)", bits, digits: 4, unit: "bits")
        }
        if let log {
            report("\(data)/best epoch/\(model)", log.bestEpoch, digits: 0, note: "of \(log.at.count)")
            report("\(data)/train seconds/\(model)", log.seconds.last ?? 0, digits: 1, unit: "s")
        }
        if let sampleMs { report("\(data)/sampling ms per image/\(model)", sampleMs, unit: "ms") }
        return Rung(model: model, nats: nats)
    }
}

extension Chapter {
    /// Reports a whole ladder on the test images `test`: the uniform model's NLL `uniform`, the
    /// independent model's, then each trained model's with its training log. With `dimensions`
    /// (the real data) it also reports bits per dimension and times sampling: 20 images per
    /// trained model, drawn from `rng` in the order of `trained` and then dropped.
    func reportLadder(
        _ data: String, test: [UInt8], uniform: Double, independent: IndependentPixels,
        trained: [(name: String, model: any AutoregressivePixelModel<Float>, log: TrainingLog)],
        dimensions: Int? = nil, using rng: inout Random
    ) -> [Rung] {
        var rungs = [
            reportRung(data, "uniform", nats: uniform, dimensions: dimensions),
            reportRung(data, "independent", nats: independent.meanNLL(test), dimensions: dimensions),
        ]
        for (name, model, log) in trained {
            let nats = model.meanNLL(test)
            let ms = dimensions.map { _ in 1000 * timed { _ = model.sample(count: 20, using: &rng) }.seconds / 20 }
            rungs.append(reportRung(data, name, nats: nats, dimensions: dimensions, log: log, sampleMs: ms))
        }
        return rungs
    }
}
