// The figures of chapter 2: functions from measured numbers (images, samples, training logs,
// distributions, sensitivities) to a canvas, in the order the chapter draws them.

import Foundation
import Models
import Plot
import Tensors
import Workbook

/// The size of the images every figure shows.
struct ImageShape {
    let height: Int
    let width: Int
    let levels: Int
    var dimension: Int { height * width }
}

/// Test images next to each model's samples, `count` of each, 8 to a row, each 8x8 image shown
/// 6 times enlarged so that the three grids fit side by side in about 1400 pixels.
func samplesFigure(test: [UInt8], samples: [(name: String, pixels: [UInt8])], count: Int, shape: ImageShape)
    -> Canvas
{
    func grid(_ pixels: [UInt8], title: String) -> Canvas {
        imageGrid(
            Array(pixels[0..<(count * shape.dimension)]), shape: [count, shape.height, shape.width],
            levels: shape.levels, columns: 8, scale: 6, title: title)
    }
    return panel(
        [grid(test, title: "test images")] + samples.map { grid($0.pixels, title: "\($0.name) samples") },
        title: "Chapter 2: digits drawn pixel by pixel")
}

/// One grid per model: each column is a test image; the rows show the image, its top `given`
/// pixels (the rest tinted blue), and the model's `perImage` completions of it, named on the left.
func completionsFigure(
    sources: [UInt8], completions: [(name: String, pixels: [UInt8])], given: Int, perImage: Int, shape: ImageShape
) -> Canvas {
    let d = shape.dimension
    let images = sources.count / d
    func rgb(_ image: ArraySlice<UInt8>, hideBottom: Bool) -> [Float] {
        let v = image.map { Float($0) / Float(shape.levels - 1) }
        var out: [Float] = []
        for channel in 0..<3 {
            let tint: Float = channel == 2 ? 0.75 : 0.45
            out += (0..<d).map { hideBottom && $0 >= given ? tint : v[$0] }
        }
        return out
    }
    let grids = completions.map { name, done -> Canvas in
        var tiles: [Float] = []
        for n in 0..<images { tiles += rgb(sources[(n * d)..<((n + 1) * d)], hideBottom: false) }
        for n in 0..<images { tiles += rgb(sources[(n * d)..<((n + 1) * d)], hideBottom: true) }
        for c in 0..<perImage {
            for n in 0..<images {
                let row = n * perImage + c
                tiles += rgb(done[(row * d)..<((row + 1) * d)], hideBottom: false)
            }
        }
        return imageGrid(
            tiles, shape: [images * (perImage + 2), 3, shape.height, shape.width], columns: images, scale: 6,
            rowCaptions: ["test", "given"] + (1...perImage).map { "sample \($0)" }, title: name)
    }
    return panel(grids, title: "Completions: top half given, bottom half sampled")
}

/// Train (solid) and validation (dashed) NLL of both models, per epoch and against the sequential
/// LSTM steps the training passes ran (`steps`: one entry per epoch). Only the models are named in
/// the legend (the panel title says which line style is which), so that it fits above the curves.
func trainingCurvesFigure(_ runs: [(name: String, log: TrainingLog, steps: [Double])]) -> Canvas {
    func curves(_ x: (Int) -> [Double], xLabel: String, title: String) -> Canvas {
        var series: [Series] = []
        for (k, run) in runs.enumerated() {
            let color = Color.categorical[k]
            series.append(Series(run.name, x: x(k), y: run.log.trainLoss, color: color))
            series.append(Series("", x: x(k), y: run.log.validationLoss, color: color, style: .dashed))
        }
        return linePlot(series, title: title, xLabel: xLabel, yLabel: "NLL (nats per image)")
    }
    return panel(
        [
            curves({ runs[$0].log.at }, xLabel: "epoch", title: "NLL per epoch"),
            curves(
                { runs[$0].steps }, xLabel: "sequential LSTM steps",
                title: "NLL against the steps that must wait"),
        ], title: "Training: solid = training batches, dashed = validation")
}

/// The context of one pixel (x_<i in gray, pixel i orange, the rest tinted) and each model's
/// p(x_i = k | x_<i) as bars in per cent (two significant digits, so that the value labels are
/// legible above their bars), the true level in the model's full colour.
func pixelDistributionFigure(
    context: [UInt8], pixel: Int, distributions: [(name: String, p: [Double])], imageIndex: Int, shape: ImageShape
) -> Canvas {
    let d = shape.dimension
    let truth = Int(context[pixel])
    var contextRGB = [Float](repeating: 0, count: 3 * d)
    for p in 0..<d {
        let v = Float(context[p]) / Float(shape.levels - 1)
        let color: [Float] = p < pixel ? [v, v, v] : p == pixel ? [1, 0.55, 0] : [0.45, 0.45, 0.75]
        for c in 0..<3 { contextRGB[c * d + p] = color[c] }
    }
    // The image's colours as bytes, for the legend under it: x_<i is the image itself.
    let kinds = ["pixel i", "x_>i, not yet seen"]
    let kindColors = [Color(red: 255, green: 140, blue: 0), Color(red: 115, green: 115, blue: 191)]
    var canvases = [
        panel(
            [
                imageGrid(contextRGB, shape: [1, 3, shape.height, shape.width], scale: 24, title: "x_<i and pixel i"),
                categoricalLegend(kinds, colors: kindColors, columns: 1),
            ], columns: 1, spacing: 0)
    ]
    for (index, (name, p)) in distributions.enumerated() {
        var colors = [Color](repeating: Color.categorical[index].mixed(with: .white, 0.45), count: shape.levels)
        colors[truth] = Color.categorical[index]
        canvases.append(
            barChart(
                p.map { 100 * $0 }, labels: (0..<shape.levels).map(String.init),
                title: "\(name): p(x_i = k | x_<i) for each level k; true k = \(truth)",
                yLabel: "probability (%)", colors: colors, width: 1100, height: 400,
                xLabel: "gray level k (0 black, \(shape.levels - 1) white)", valueDigits: 2))
    }
    // Context on the left of the first chart; the second chart below the first.
    canvases.insert(Canvas(width: 1, height: 1), at: 2)
    let (row, column) = (pixel / shape.width, pixel % shape.width)
    return panel(
        canvases, title: "The predicted distribution of pixel (\(row), \(column)) of test image \(imageIndex)",
        columns: 2)
}

/// The sensitivity maps of both models (log10 relative to each model's largest, on a colour bar;
/// exactly 0 drawn one decade below the weakest real connection) and the Row LSTM's triangle by
/// construction (two kinds of cell, with a legend).
func receptiveFieldFigure(
    raster: [Double], row: [Double], triangle: Set<Int>, pixel: (row: Int, column: Int), shape: ImageShape
) -> Canvas {
    func relativeLog(_ field: [Double]) -> [Double?] {
        let largest = field.max()!
        return field.map { $0 > 0 ? Foundation.log10($0 / largest) : nil }
    }
    let (rasterLog10, rowLog10) = (relativeLog(raster), relativeLog(row))
    let bottom = Foundation.floor((rasterLog10 + rowLog10).compactMap { $0 }.min()!) - 1
    let architecture = (0..<shape.dimension).map { triangle.contains($0) ? 1 : 0 }
    let (rows, columns, highlight, cell) = (shape.height, shape.width, [pixel], 36)
    func sensitivity(_ values: [Double?], title: String) -> Canvas {
        withAxisLabels(
            heatMap(
                values.map { $0 ?? bottom }, rows: rows, columns: columns, range: bottom...0, highlight: highlight,
                title: title, cellSize: cell, colorBarLabel: "log10 relative gradient"),
            xLabel: "input column", yLabel: "input row")
    }
    return panel(
        [
            sensitivity(rasterLog10, title: "raster LSTM (darkest: exactly 0)"),
            sensitivity(rowLog10, title: "Row LSTM (darkest: exactly 0)"),
            categoricalHeatMap(
                architecture, rows: rows, columns: columns, colors: [Color(gray: 232), Color(hex: 0x1F77B4)],
                legend: ["outside", "in the triangle"], title: "Row LSTM: its triangle", xLabel: "input column",
                yLabel: "input row", highlight: highlight, cellSize: cell),
        ],
        title: "Pixel (\(pixel.row), \(pixel.column)): log10 |d a_i / d x_j| / max, by autodiff")
}
