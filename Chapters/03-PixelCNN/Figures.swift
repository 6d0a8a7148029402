// The figures of chapter 3: each function takes what the chapter measured and returns a canvas
// (the chapter writes it). Nothing here trains, samples or times a model.

import Datasets
import Foundation
import Models
import Plot
import Workbook

enum Figures {
    /// ch3-masks: masks A and B, the RGB centre taps and the gated stacks' masks, each as a grid of
    /// 0/1 cells with its values written in; the centre of the 5x5 masks outlined.
    static func masks() -> Canvas {
        let maps: [(String, [[Int]])] = [
            ("mask A, 5x5 (lecture)", CausalMask.a.matrix(kernelSize: 5)), ("mask B, 5x5", CausalMask.b.matrix(kernelSize: 5)),
            ("centre tap, RGB groups, mask A", centreTap(.a)), ("centre tap, RGB groups, mask B", centreTap(.b)),
            ("gated vertical, mask A", GatedStackMask.vertical(.a, kernelSize: 5)),
            ("gated vertical, mask B", GatedStackMask.vertical(.b, kernelSize: 5)),
            ("gated horizontal, mask A", GatedStackMask.horizontal(.a, kernelSize: 5)),
            ("gated horizontal, mask B", GatedStackMask.horizontal(.b, kernelSize: 5)),
        ]
        return panel(
            maps.map { name, m in
                heatMap(
                    m.flatMap { $0.map(Double.init) }, rows: m.count, columns: m.count, range: 0...1, showValues: true,
                    highlight: m.count == 5 ? [(row: 2, column: 2)] : [], title: name, cellSize: m.count == 5 ? 44 : 72)
            },
            title: "The masks (1: weight kept, 0: zeroed; centre outlined; RGB: rows output R, G, B, columns input R, G, B)",
            columns: 4)
    }

    /// ch3-receptive-fields: log10 of each sensitivity relative to the largest, for every depth of
    /// the plain and the gated stack; exact zeros (no path) take the bottom colour, a decade below
    /// the weakest real connection of any map.
    static func receptiveFields(plain: [FieldRow], gated: [FieldRow], probe: FieldProbe) -> Canvas {
        let bottom = Foundation.floor((plain + gated).flatMap { $0.log10.compactMap { $0 } }.min()!) - 1
        func fieldMap(_ f: FieldRow, _ title: String) -> Canvas {
            heatMap(
                f.log10.map { $0 ?? bottom }, rows: probe.height, columns: probe.width, range: bottom...0,
                highlight: [(row: probe.row, column: probe.column)]
                    + f.blindSpot.map { (row: $0 / probe.width, column: $0 % probe.width) },
                title: title, cellSize: 22)
        }
        func name(_ depth: Int) -> String { "\(depth) layer\(depth == 1 ? "" : "s")" }
        return panel(
            plain.enumerated().map { fieldMap($1, "plain, \(name($0 + 1)): blind \($1.blindSpot.count)") }
                + gated.enumerated().map { fieldMap($1, "gated, \(name($0 + 1)): blind \($1.blindSpot.count)") },
            title: "log10 |d a_i / d x_j| / max for pixel (\(probe.row), \(probe.column)); darkest: exactly 0; outlined: the pixel, and the blind spot",
            columns: plain.count)
    }

    /// One grid of images of `side` x `side` pixels with `levels` gray levels, eight a row.
    static func grid(_ pixels: [UInt8], count: Int, side: Int, levels: Int, title: String) -> Canvas {
        imageGrid(
            Array(pixels[0..<(count * side * side)]), shape: [count, side, side], levels: levels, columns: 8,
            scale: side == 8 ? 8 : 2, title: title)
    }

    /// ch3-samples: test images next to each model's samples, digits then MNIST.
    static func samples(
        digitsTest: [UInt8], mnistTest: [UInt8], samples: [[UInt8]], digitsCount: Int, mnistCount: Int
    ) -> Canvas {
        panel(
            [
                grid(digitsTest, count: digitsCount, side: 8, levels: 17, title: "digits: test images"),
                grid(samples[0], count: digitsCount, side: 8, levels: 17, title: "PixelCNN samples"),
                grid(samples[1], count: digitsCount, side: 8, levels: 17, title: "gated PixelCNN samples"),
                grid(mnistTest, count: mnistCount, side: 28, levels: 2, title: "MNIST: test images"),
                grid(samples[2], count: mnistCount, side: 28, levels: 2, title: "PixelCNN samples"),
            ], title: "Chapter 3: drawn pixel by pixel from masked convolutions", columns: 3)
    }

    /// One model's completions: each row the original, its top half (the hidden half tinted
    /// blue), then the `perImage` completions, in RGB.
    static func completions(
        of sources: [UInt8], completed: [UInt8], count: Int, perImage: Int, side: Int, levels: Int, given: Int,
        title: String
    ) -> Canvas {
        let dimension = side * side
        var rgb: [Float] = []
        func append(_ image: ArraySlice<UInt8>, hideBottom: Bool) {
            let v = image.map { Float($0) / Float(levels - 1) }
            for channel in 0..<3 {
                let tint: Float = channel == 2 ? 0.75 : 0.45
                rgb += (0..<dimension).map { hideBottom && $0 >= given ? tint : v[$0] }
            }
        }
        for n in 0..<count {
            let original = sources[(n * dimension)..<((n + 1) * dimension)]
            append(original, hideBottom: false)
            append(original, hideBottom: true)
            for c in 0..<perImage {
                let row = n * perImage + c
                append(completed[(row * dimension)..<((row + 1) * dimension)], hideBottom: false)
            }
        }
        return imageGrid(
            rgb, shape: [count * (perImage + 2), 3, side, side], columns: perImage + 2, scale: side == 8 ? 8 : 2,
            tileCaptions: ["test", "given"] + (1...perImage).map { "sample \($0)" }, title: title)
    }

    /// ch3-completions: the grids of every model side by side.
    static func completions(_ grids: [Canvas]) -> Canvas {
        panel(grids, title: "Completions: top half given, bottom half sampled", columns: 2)
    }

    /// ch3-training-curves: train NLL (mean since the last evaluation, solid) and validation NLL
    /// (dashed) of every model, one panel per data set.
    static func trainingCurves(_ trained: [Trained]) -> Canvas {
        let curvePanels = [
            ("digits", trained.filter { $0.data == "digits" }), ("MNIST-5k", trained.filter { $0.data == "mnist" }),
        ].map { name, models in
            linePlot(
                models.enumerated().flatMap { k, t in
                    [
                        Series("\(t.name), train", x: t.log.at, y: t.log.trainLoss, color: Color.categorical[k]),
                        Series(
                            "\(t.name), validation", x: t.log.at, y: t.log.validationLoss, color: Color.categorical[k],
                            style: .dashed),
                    ]
                }, title: name, xLabel: "epoch", yLabel: "NLL (nats per image)")
        }
        return panel(
            curvePanels,
            title: "Training: train NLL (mean since the last evaluation) and validation NLL; the best validation is kept")
    }

    /// ch3-nll: the test NLL of every model so far, one bar chart per data set, coloured by chapter.
    static func nllLadder(
        _ rows: [String: [(model: String, nats: Double, chapter: Int)]], references: [String: (Double, String)]
    ) -> Canvas {
        func ladder(_ data: String, title: String) -> Canvas {
            let rows = rows[data]!
            return barChart(
                rows.map(\.nats), labels: rows.map(\.model), title: title, yLabel: "test NLL (nats)",
                reference: references[data]!, colors: rows.map { Color.categorical[$0.chapter - 1] }, width: 1100,
                height: 480)
        }
        return panel(
            [ladder("digits", title: "digits 8x8"), ladder("mnist", title: "MNIST-5k binarised")],
            title: "Test NLL of every model so far (chapter 1: blue, 2: orange, 3: green)", columns: 1)
    }

    /// ch3-speed: training throughput, log p(x) of one image and sampling one image (naive and
    /// cached where a model has both), for the models of each data set.
    static func speed(_ groups: [(data: String, title: String, models: [String])], speeds: [String: ModelSpeed]) -> Canvas {
        func charts(_ data: String, models: [String], title: String) -> [Canvas] {
            let s = models.map { speeds["\(data)/\($0)"]! }
            let colors = models.map { $0.contains("LSTM") ? Color.categorical[1] : Color.categorical[2] }
            var samplingLabels: [String] = [], samplingValues: [Double] = [], samplingColors: [Color] = []
            for (k, name) in models.enumerated() {
                if let naive = s[k].naiveSampleMs {
                    samplingLabels.append("\(name), naive")
                    samplingValues.append(naive)
                    samplingColors.append(colors[k].mixed(with: .white, 0.45))
                }
                samplingLabels.append(name + (s[k].naiveSampleMs == nil ? "" : ", cached"))
                samplingValues.append(s[k].sampleMs)
                samplingColors.append(colors[k])
            }
            return [
                barChart(
                    s.map(\.trainImagesPerSecond), labels: models, title: "\(title): training images per second",
                    yLabel: "images / s", colors: colors, width: 620, height: 420),
                barChart(
                    s.map(\.logLikelihoodMs), labels: models, title: "\(title): log p(x) of one image, ms", yLabel: "ms",
                    colors: colors, width: 620, height: 420),
                barChart(
                    samplingValues, labels: samplingLabels, title: "\(title): sampling one image, ms", yLabel: "ms",
                    colors: samplingColors, width: 900, height: 420),
            ]
        }
        return panel(
            groups.flatMap { charts($0.data, models: $0.models, title: $0.title) },
            title: "One pass to train, D steps to sample (PixelRNN orange, PixelCNN green; same run, same machine)",
            columns: 3)
    }

    /// ch3-dependency-matrix: for each matrix, the category of every entry (i, j): yellow, output
    /// i depends on input j; green, j is in i's blind spot; blue, j < i out of reach; purple, j >= i.
    /// `width` 0 marks the colour stack, which has no blind spot to find.
    static func dependencyMatrices(_ matrices: [(String, DependencyMatrix, Int)]) -> Canvas {
        panel(
            matrices.map { name, m, width in
                heatMap(
                    width == 0
                        ? (0..<(m.rows * m.columns)).map {
                            m.values[$0] != 0 ? 1.0 : ($0 % m.columns < $0 / m.columns ? 0.35 : 0)
                        } : dependencyCategories(m, width: width),
                    rows: m.rows, columns: m.columns, range: 0...1, title: name, cellSize: width == 0 ? 9 : 7)
            },
            title: "Dependency matrices: row i output, column j input (yellow: depends; green: blind spot; blue: out of reach; purple: j >= i)",
            columns: 3)
    }

    /// Per entry of a dependency matrix of images `width` pixels wide: 1 depends, 0.65 blind spot,
    /// 0.35 an earlier pixel out of reach, 0 on or above the diagonal.
    static func dependencyCategories(_ m: DependencyMatrix, width: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m.rows * m.columns)
        for i in 0..<m.rows {
            let seen = m.dependencies(of: i)
            let blind = ReceptiveField.blindSpot(of: seen, row: i / width, column: i % width, width: width)
            for j in 0..<i { out[i * m.columns + j] = seen.contains(j) ? 1 : blind.contains(j) ? 0.65 : 0.35 }
        }
        return out
    }
}
