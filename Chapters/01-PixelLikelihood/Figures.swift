// The figures of chapter 1: functions from measured numbers to a canvas, in the order the
// chapter draws them.

import Datasets
import Models
import Plot
import Tensors
import Workbook

/// The raster order of an 8x8 image, and what pixel `watched` may see: every pixel before it,
/// drawn as three kinds of cell (seen, the pixel itself, not yet seen) with a legend.
func rasterOrderFigure(watched: (row: Int, column: Int)) -> Canvas {
    let order = (0..<64).map { Double($0) }
    let me = watched.row * 8 + watched.column
    let kinds = (0..<64).map { i in i < me ? 0 : i == me ? 1 : 2 }
    let colors = [ColorMap.viridis.color(at: 1), ColorMap.viridis.color(at: 0.5), ColorMap.viridis.color(at: 0)]
    return panel(
        [
            withAxisLabels(
                heatMap(
                    order, rows: 8, columns: 8, showValues: true, highlight: [watched], title: "raster order i",
                    colorBarLabel: "position i in the order"),
                xLabel: "pixel column", yLabel: "pixel row"),
            categoricalHeatMap(
                kinds, rows: 8, columns: 8, colors: colors,
                legend: ["x_<\(me): seen", "x_\(me)", "not yet seen"],
                title: "what pixel \(me) = (\(watched.row), \(watched.column)) sees", xLabel: "pixel column",
                yLabel: "pixel row", highlight: [watched], cellSize: 40),
        ], title: "Chapter 1: the order of the chain rule")
}

/// The per-pixel marginals of the independent models: the mean level of every digits pixel and
/// p(x_i = 1) of every MNIST pixel.
func marginalsFigure(digits: IndependentPixels, mnist: IndependentPixels) -> Canvas {
    panel(
        [
            withAxisLabels(
                heatMap(
                    digits.meanIntensity, rows: 8, columns: 8, colorMap: .viridis, range: 0...1,
                    title: "digits: E[x_i] / 16", colorBarLabel: "mean gray level / 16"),
                xLabel: "pixel column", yLabel: "pixel row"),
            withAxisLabels(
                heatMap(
                    mnist.meanIntensity, rows: 28, columns: 28, colorMap: .viridis, range: 0...1,
                    title: "MNIST: p(x_i = 1)", colorBarLabel: "probability of white"),
                xLabel: "pixel column", yLabel: "pixel row"),
        ], title: "Per-pixel marginals of the independent model")
}

/// NLL per epoch on the training batches (solid) and the validation split (dashed) of each
/// trained model, with the independent model's validation NLL as a gray dashed reference. Only
/// the models are named in the legend (the panel title says which line style is which), so that
/// it is small enough to sit above the curves instead of on them.
func trainingCurves(_ title: String, _ runs: [(String, TrainingLog)], independent: Double) -> Canvas {
    var series: [Series] = []
    for (k, (name, log)) in runs.enumerated() {
        let color = Color.categorical[k]
        series.append(Series(name, x: log.at, y: log.trainLoss, color: color))
        series.append(Series("", x: log.at, y: log.validationLoss, color: color, style: .dashed))
    }
    let longest = runs.map { $0.1.at.last ?? 1 }.max()!
    series.append(
        Series("independent", x: [1, longest], y: [independent, independent], color: .gray, style: .dashed))
    return linePlot(series, title: title, xLabel: "epoch", yLabel: "NLL (nats per image)")
}

/// The training curves of the digits and MNIST models side by side.
func trainingCurvesFigure(
    digits: [(String, TrainingLog)], digitsIndependent: Double, mnist: [(String, TrainingLog)],
    mnistIndependent: Double
) -> Canvas {
    panel(
        [
            trainingCurves("digits 8x8, 17 levels", digits, independent: digitsIndependent),
            trainingCurves("MNIST-5k binarised", mnist, independent: mnistIndependent),
        ], title: "Training curves: solid = training batches, dashed = validation")
}

/// Row i of the MNIST FVSBN's masked weight for each watched pixel, drawn as a 28x28 picture:
/// zero from pixel i on (the mask), and the earlier pixels the regression of x_i leans on.
func fvsbnWeightsFigure(_ fvsbn: FVSBN<Float>, watched: [(row: Int, column: Int)]) -> Canvas {
    let trainedWeight = fvsbn.weight.value * fvsbn.mask
    let maps = watched.map { pixel -> Canvas in
        let i = pixel.row * 28 + pixel.column
        let row = (0..<784).map { Double(trainedWeight[i, $0]) }
        let extent = max(row.map(abs).max()!, 1e-6)
        return withAxisLabels(
            heatMap(
                row, rows: 28, columns: 28, colorMap: .diverging, range: -extent...extent, highlight: [pixel],
                title: "w_\(i),j: x_\(i) at (\(pixel.row), \(pixel.column)) on x_j",
                colorBarLabel: "weight (log-odds per x_j)"),
            xLabel: "column of pixel j", yLabel: "row of pixel j")
    }
    return panel(maps, title: "MNIST FVSBN: rows of the masked weight")
}

/// The images of a samples figure: one test image of every digit 0-9 (the first of its label),
/// then 10 samples of the independent model and 10 of each model in `models`, drawn from `rng`.
func dataAndSamples(
    _ data: ImageSet, _ independent: IndependentPixels, _ models: [any AutoregressivePixelModel<Float>],
    using rng: inout Random
) -> [UInt8] {
    var out: [UInt8] = []
    for digit in 0..<10 { out += data.image(data.labels.firstIndex(of: digit) ?? digit) }
    out += independent.sample(count: 10, using: &rng)
    for model in models { out += model.sample(count: 10, using: &rng).pixels }
    return out
}

/// Rows of images (data, then each model's samples), one caption per row.
func samplesFigure(_ pixels: [UInt8], side: Int, levels: Int, captions: [String], title: String) -> Canvas {
    let count = pixels.count / (side * side)
    return imageGrid(
        pixels, shape: [count, side, side], levels: levels, columns: count / captions.count, rowCaptions: captions,
        title: title)
}

/// Colour images stored pixel by pixel (R G B), shown as planes (R plane, G plane, B plane), one
/// row of `perRow` images per caption.
func colourSamplesFigure(_ rows: [[UInt8]], colours: CorrelatedColours, perRow: Int, captions: [String]) -> Canvas {
    let p = colours.pixelCount
    var planes: [UInt8] = []
    for values in rows {
        var out = [UInt8](repeating: 0, count: perRow * 3 * p)
        for n in 0..<perRow {
            for q in 0..<p {
                for c in 0..<3 { out[(n * 3 + c) * p + q] = values[(n * p + q) * 3 + c] }
            }
        }
        planes += out
    }
    return imageGrid(
        planes, shape: [rows.count * perRow, 3, colours.height, colours.width], levels: colours.levels,
        columns: perRow, rowCaptions: captions, title: "Correlated colours: data and samples")
}

/// One bar chart per ladder, `width` pixels wide, with the entropy as a reference line where it
/// is known.
func ladderFigure(
    _ ladders: [(title: String, rungs: [Rung], floor: (value: Double, label: String)?)], title: String, width: Int = 640
) -> Canvas {
    panel(
        ladders.map { ladder in
            barChart(
                ladder.rungs.map(\.nats), labels: ladder.rungs.map(\.model), title: ladder.title,
                yLabel: "test NLL (nats per image)", reference: ladder.floor, width: width)
        }, title: title)
}

/// The two ladder figures: the real data (`ch1-nll-ladder.png`), and where the truth is known,
/// each ladder against its entropy (`ch1-nll-exact.png`). The colour ladder's rungs get short
/// names to fit under their bars.
func ladderFigures(
    real: [(title: String, rungs: [Rung])],
    exact: [(title: String, rungs: [Rung], floor: (value: Double, label: String))],
    in chapter: Chapter
) throws {
    try ladderFigure(real.map { ($0.title, $0.rungs, nil) }, title: "Test NLL down the ladder")
        .writePNG(to: chapter.figurePath("ch1-nll-ladder.png"))
    let shortNames = ["uniform", "independent", "RGB indep.", "R->G->B"]
    let renamed: [(title: String, rungs: [Rung], floor: (value: Double, label: String)?)] = exact.map { ladder in
        let rungs =
            ladder.title.hasPrefix("colour")
            ? zip(shortNames, ladder.rungs).map { Rung(model: $0, nats: $1.nats) } : ladder.rungs
        return (ladder.title, rungs, ladder.floor)
    }
    try ladderFigure(
        renamed, title: "Where the truth is known: test NLL against the entropy",
        width: 440
    ).writePNG(to: chapter.figurePath("ch1-nll-exact.png"))
}
