// The chapter's results tables: each function loops over what main.swift measured and reports
// every number once, with `chapter.report`, into the chapter's table or a table of its own.

import Foundation
import Models
import Tensors
import Workbook

/// Reports the blind spot of the probe's pixel, in pixels, for the plain and the gated stacks of
/// 1, 2, ... layers, and returns the table.
func blindSpotTable(plain: [FieldRow], gated: [FieldRow], probe: FieldProbe, in chapter: Chapter) -> ResultsTable {
    let table = ResultsTable(title: "The blind spot of pixel (\(probe.row), \(probe.column)), by autodiff")
    for (k, (p, g)) in zip(plain, gated).enumerated() {
        chapter.report(
            "fields/blind spot pixels/plain PixelCNN, \(k + 1) layers", Double(p.blindSpot.count), digits: 0, in: table)
        chapter.report(
            "fields/blind spot pixels/gated PixelCNN, \(k + 1) layers", Double(g.blindSpot.count), digits: 0, in: table)
    }
    return table
}

/// Reports, data set by data set, the rows of chapters 1 and 2 and then the test NLL, bits per
/// dimension, best validation NLL, parameters and training time of every trained model, into the
/// chapter's results table.
func reportLikelihoods(_ trained: [Trained], after earlier: EarlierResults, in chapter: Chapter) {
    for data in ["digits", "mnist"] {
        earlier.addRows(data, to: chapter.results)
        for t in trained where t.data == data {
            func report(_ measure: String, _ value: Double, digits: Int = 2, unit: String = "", note: String = "") {
                chapter.report("\(data)/\(measure)/\(t.name)", value, digits: digits, unit: unit, note: note)
            }
            report("test NLL", t.nll, unit: "nats", note: t.label)
            report(
                "test bits per dim", Likelihood.bitsPerDimension(nats: t.nll, dimensions: t.model.dimension), digits: 3)
            report("validation NLL", t.log.bestValidationLoss, unit: "nats", note: "epoch \(t.log.kept) kept")
            report("parameters", Double(t.parameters), digits: 0)
            report("train seconds", t.log.seconds.last ?? 0, digits: 1, unit: "s")
            report("train images per s", t.log.examplesPerSecond, digits: 0)
        }
    }
}

/// Draws the same samples with the cached and the naive sampler of every trained model (a batch of
/// digits, one MNIST image; both generators seeded 99) and reports the pixels that differ, the
/// largest gap between their log p(x_i | x_<i), and the speed-up; returns the table. The naive
/// time of one image goes into `speeds` for the timing table.
func cachedSamplerTable(
    _ trained: [Trained], quick: Bool, speeds: inout [String: ModelSpeed], in chapter: Chapter
) -> ResultsTable {
    let table = ResultsTable(title: "The cached sampler against the naive one (same seed)")
    for t in trained {
        let count = t.data == "digits" ? (quick ? 4 : 16) : 1
        var (a, b) = (Random(seed: 99), Random(seed: 99))
        let (fast, fastSeconds) = timed { t.model.sample(count: count, using: &a) }
        let (slow, slowSeconds) = timed { t.naive.sample(count: count, using: &b) }
        let name = "\(t.data)/\(t.name)"
        if count == 1 { speeds[name]!.naiveSampleMs = 1000 * slowSeconds }
        func report(_ measure: String, _ value: Double, digits: Int = 2) {
            chapter.report("\(t.data)/\(measure)/\(t.name)", value, digits: digits, in: table)
        }
        report(
            "cached vs naive samples, pixels differing",
            Double(zip(fast.pixels, slow.pixels).filter { $0 != $1 }.count), digits: 0)
        report(
            "cached vs naive log p(x_i | x_<i), max abs error",
            zip(fast.stepLogProbabilities, slow.stepLogProbabilities).map { Swift.abs($0 - $1) }.max() ?? 0)
        report(
            "cached sampling speed-up, \(count) image\(count == 1 ? "" : "s") at once", slowSeconds / fastSeconds,
            digits: 1)
    }
    return table
}

/// Reports, for every dependency matrix, the largest |d a_i / d x_j| with j >= i (zero for a
/// causal model) and its blind-spot entries (none searched for the colour stack, width 0), and
/// returns the table.
func dependencyMatrixTable(_ matrices: [(String, DependencyMatrix, Int)], in chapter: Chapter) -> ResultsTable {
    let table = ResultsTable(title: "Dependency matrices: the causal order, and the blind spots")
    for (name, m, width) in matrices {
        func metric(_ measure: String) -> String {
            "dependency matrix/\(measure)/" + name.replacingOccurrences(of: ",", with: "")
        }
        let nonCausal = m.nonCausalEntries.map { m[$0.row, $0.column] }.max() ?? 0
        chapter.report(
            metric("|d a_i / d x_j| for j >= i, max abs error"), nonCausal, in: table, row: name,
            column: "max |d a_i / d x_j|, j >= i")
        let blind = width == 0 ? 0 : blindSpotEntries(m, width: width)
        chapter.report(metric("blind-spot entries"), Double(blind), digits: 0, in: table, row: name)
    }
    return table
}
