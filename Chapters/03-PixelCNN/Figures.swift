// The figures of chapter 3: each function takes what the chapter measured and returns a canvas
// (the chapter writes it). Nothing here trains, samples or times a model. Every figure is at
// most about 1600 pixels wide, so that its text stays legible in the README's column.

import Datasets
import Foundation
import Models
import Plot
import Workbook

enum Figures {
    /// ch3-masks: masks A and B, the RGB centre taps and the gated stacks' masks, each cell kept
    /// (dark) or zeroed (light), the centre of the 5x5 masks outlined.
    static func masks() -> Canvas {
        let maps: [(String, [[Int]], String, String)] = [
            ("mask A (lecture)", CausalMask.a.matrix(kernelSize: 5), "kernel column", "kernel row"),
            ("mask B", CausalMask.b.matrix(kernelSize: 5), "kernel column", "kernel row"),
            ("RGB centre, mask A", centreTap(.a), "input R, G, B", "output R, G, B"),
            ("RGB centre, mask B", centreTap(.b), "input R, G, B", "output R, G, B"),
            ("gated vertical, A", GatedStackMask.vertical(.a, kernelSize: 5), "kernel column", "kernel row"),
            ("gated vertical, B", GatedStackMask.vertical(.b, kernelSize: 5), "kernel column", "kernel row"),
            ("gated horizontal, A", GatedStackMask.horizontal(.a, kernelSize: 5), "kernel column", "kernel row"),
            ("gated horizontal, B", GatedStackMask.horizontal(.b, kernelSize: 5), "kernel column", "kernel row"),
        ]
        let colors = [Color(gray: 232), Color(hex: 0x1F77B4)]
        let grids = maps.map { name, m, xLabel, yLabel in
            categoricalHeatMap(
                m.flatMap { $0 }, rows: m.count, columns: m.count, colors: colors, title: name, xLabel: xLabel,
                yLabel: yLabel, highlight: m.count == 5 ? [(row: 2, column: 2)] : [], cellSize: m.count == 5 ? 36 : 60,
                textScale: 2)
        }
        return panel(
            [panel(grids, columns: 4), categoricalLegend(["0: weight zeroed", "1: weight kept"], colors: colors)],
            title: "The masks: which weights a masked convolution keeps (centre outlined)", columns: 1)
    }

    /// ch3-receptive-fields: log10 of each sensitivity relative to the largest, for every depth of
    /// the plain and the gated stack; exact zeros (no path) take the bottom colour, a decade below
    /// the weakest real connection of any map. Three depths a row: plain 1-3, plain 4-6, gated
    /// 1-3, gated 4-6.
    static func receptiveFields(plain: [FieldRow], gated: [FieldRow], probe: FieldProbe) -> Canvas {
        let bottom = Foundation.floor((plain + gated).flatMap { $0.log10.compactMap { $0 } }.min()!) - 1
        func fieldMap(_ f: FieldRow, _ title: String) -> Canvas {
            withAxisLabels(
                heatMap(
                    f.log10.map { $0 ?? bottom }, rows: probe.height, columns: probe.width, range: bottom...0,
                    highlight: [(row: probe.row, column: probe.column)]
                        + f.blindSpot.map { (row: $0 / probe.width, column: $0 % probe.width) },
                    title: title, cellSize: 22),
                xLabel: "input column", yLabel: "input row")
        }
        func name(_ depth: Int) -> String { "\(depth) layer\(depth == 1 ? "" : "s")" }
        return panel(
            plain.enumerated().map { fieldMap($1, "plain, \(name($0 + 1)): blind \($1.blindSpot.count)") }
                + gated.enumerated().map { fieldMap($1, "gated, \(name($0 + 1)): blind \($1.blindSpot.count)") },
            title: "Which inputs pixel (\(probe.row), \(probe.column)) sees: colour log10 |d a_i / d x_j| / max\n"
                + "(darkest: exactly 0; outlined: the pixel, and its blind spot)",
            columns: 3)
    }

    /// One grid of images of `side` x `side` pixels with `levels` gray levels, eight a row.
    static func grid(_ pixels: [UInt8], count: Int, side: Int, levels: Int, title: String) -> Canvas {
        imageGrid(
            Array(pixels[0..<(count * side * side)]), shape: [count, side, side], levels: levels, columns: 8,
            scale: side == 8 ? 6 : 2, title: title)
    }

    /// ch3-samples: test images next to each model's samples (`samples[k]` drawn by `trained[k]`),
    /// digits then MNIST.
    static func samples(
        digitsTest: [UInt8], mnistTest: [UInt8], trained: [Trained], samples: [[UInt8]], digitsCount: Int,
        mnistCount: Int
    ) -> Canvas {
        func grids(_ data: String, test: [UInt8], count: Int, side: Int, levels: Int, shown: String) -> [Canvas] {
            [grid(test, count: count, side: side, levels: levels, title: "\(shown): test images")]
                + zip(trained, samples).filter { $0.0.data == data }.map { t, pixels in
                    grid(pixels, count: count, side: side, levels: levels, title: "\(shown): \(t.name) samples")
                }
        }
        return panel(
            grids("digits", test: digitsTest, count: digitsCount, side: 8, levels: 17, shown: "digits")
                + grids("mnist", test: mnistTest, count: mnistCount, side: 28, levels: 2, shown: "MNIST"),
            title: "Drawn pixel by pixel from masked convolutions", columns: 3)
    }

    /// One model's completions: a column per kind of image, its header above it (the original,
    /// its top half with the hidden half tinted blue, then the `perImage` completions), one row
    /// per test image.
    static func completions(
        of sources: [UInt8], completed: [UInt8], count: Int, perImage: Int, side: Int, levels: Int, given: Int,
        title: String
    ) -> Canvas {
        let dimension = side * side
        func rgb(_ image: ArraySlice<UInt8>, hideBottom: Bool) -> [Float] {
            let v = image.map { Float($0) / Float(levels - 1) }
            return (0..<3).flatMap { channel -> [Float] in
                let tint: Float = channel == 2 ? 0.75 : 0.45
                return (0..<dimension).map { hideBottom && $0 >= given ? tint : v[$0] }
            }
        }
        func original(_ n: Int) -> ArraySlice<UInt8> { sources[(n * dimension)..<((n + 1) * dimension)] }
        var columns = [
            ("test", (0..<count).flatMap { rgb(original($0), hideBottom: false) }),
            ("given", (0..<count).flatMap { rgb(original($0), hideBottom: true) }),
        ]
        for c in 0..<perImage {
            let images = (0..<count).flatMap { n -> [Float] in
                let row = n * perImage + c
                return rgb(completed[(row * dimension)..<((row + 1) * dimension)], hideBottom: false)
            }
            columns.append(("sample \(c + 1)", images))
        }
        return panel(
            columns.map { header, images in
                imageGrid(images, shape: [count, 3, side, side], columns: 1, scale: side == 8 ? 8 : 2, title: header)
            }, title: title, spacing: 0)
    }

    /// ch3-completions: the grids of every model, one above the other.
    static func completions(_ grids: [Canvas]) -> Canvas {
        panel(grids, title: "Completions: top half given, bottom half sampled", columns: 1)
    }

    /// ch3-training-curves: train NLL (mean since the last evaluation, solid) and validation NLL
    /// (dashed) of every model, one panel per data set.
    static func trainingCurves(_ trained: [Trained]) -> Canvas {
        let curvePanels = [
            ("digits 8x8", trained.filter { $0.data == "digits" }), ("MNIST-5k", trained.filter { $0.data == "mnist" }),
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
        return panel(curvePanels, title: "Train (solid) and validation (dashed) NLL; the best validation is kept")
    }

    /// ch3-nll: the test NLL of every model so far (the `earlier` chapters' first, then the
    /// `trained` ones), one bar chart per data set, coloured by chapter. The y axis starts a little
    /// below the smallest value (the chart says so), so that differences of a few nats show.
    static func nllLadder(earlier: EarlierResults, trained: [Trained], references: [String: (Double, String)])
        -> Canvas
    {
        func ladder(_ data: String, title: String) -> Canvas {
            let rows =
                earlier.testNLLs(data)
                + trained.filter { $0.data == data }.map {
                    (model: $0.name, nats: $0.nll, chapter: 3)
                }
            let values = rows.map(\.nats) + [references[data]!.0]
            let start = values.min()! - max(0.15 * (values.max()! - values.min()!), 1)
            return barChart(
                rows.map(\.nats), labels: rows.map(\.model), title: title, yLabel: "test NLL (nats per image)",
                reference: references[data]!, colors: rows.map { Color.categorical[$0.chapter - 1] }, width: 1100,
                height: 480, axisStart: start)
        }
        return panel(
            [ladder("digits", title: "digits 8x8"), ladder("mnist", title: "MNIST-5k binarised")],
            title: "Test NLL of every model so far (chapter 1: blue, 2: orange, 3: green)", columns: 1)
    }

    /// ch3-speed: training throughput, log p(x) of one image and sampling one image (naive and
    /// cached where a model has both), for the models of each data set: a column per data set, the
    /// LSTMs and PixelCNNs of the digits, and on MNIST the LSTMs, the wide PixelCNN named `wideName`
    /// and the MNIST PixelCNN.
    static func speed(_ speeds: [String: ModelSpeed], wideName: String) -> Canvas {
        let groups: [(data: String, title: String, models: [String])] = [
            ("digits", "digits 8x8", ["raster LSTM", "Row LSTM", "PixelCNN", "gated PixelCNN"]),
            (
                "mnist", "MNIST 28x28",
                ["raster LSTM", "Row LSTM", wideName, "PixelCNN"]
                    + (speeds["mnist/gated PixelCNN"] == nil ? [] : ["gated PixelCNN"])
            ),
        ]
        func charts(_ data: String, models: [String], title: String) -> [Canvas] {
            let s = models.map { speeds["\(data)/\($0)"]! }
            let colors = models.map { $0.contains("LSTM") ? Color.categorical[1] : Color.categorical[2] }
            var samplingLabels: [String] = []
            var samplingValues: [Double] = []
            var samplingColors: [Color] = []
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
                    s.map(\.trainImagesPerSecond), labels: models, title: "\(title): training throughput",
                    yLabel: "training images per second", colors: colors, width: 760, height: 420),
                barChart(
                    s.map(\.logLikelihoodMs), labels: models, title: "\(title): log p(x) of one image",
                    yLabel: "milliseconds", colors: colors, width: 760, height: 420),
                barChart(
                    samplingValues, labels: samplingLabels, title: "\(title): sampling one image",
                    yLabel: "milliseconds", colors: samplingColors, width: 760, height: 420),
            ]
        }
        let columns = groups.map { charts($0.data, models: $0.models, title: $0.title) }
        return panel(
            (0..<3).flatMap { row in columns.map { $0[row] } },
            title: "One pass to train, D steps to sample\n(PixelRNN orange, PixelCNN green; same run, same machine)",
            columns: groups.count)
    }

    /// The colours and names of the four kinds of entry of a dependency matrix.
    static let dependencyColors = [Color(gray: 242), Color(gray: 170), Color(hex: 0xD62728), Color(hex: 0x1F77B4)]
    static let dependencyNames = [
        "j >= i: must not depend", "out of reach: earlier, never seen", "blind spot: inside the field, never seen",
        "depends on input j",
    ]

    /// ch3-dependency-matrix: for each matrix, the kind of every entry (i, j): output i depends on
    /// input j; j is in i's blind spot; j < i out of reach; or j >= i (the upper triangle, which
    /// must stay empty). `width` 0 marks the colour stack, which has no blind spot to find.
    static func dependencyMatrices(_ matrices: [(String, DependencyMatrix, Int)]) -> Canvas {
        let maps = matrices.map { name, m, width in
            categoricalHeatMap(
                dependencyCategories(m, width: width), rows: m.rows, columns: m.columns, colors: dependencyColors,
                title: name, xLabel: width == 0 ? "input value j (3 p + c)" : "input pixel j",
                yLabel: width == 0 ? "output value i" : "output pixel i", cellSize: width == 0 ? 7 : 5, textScale: 2)
        }
        return panel(
            [
                panel(maps, columns: 3),
                categoricalLegend(dependencyNames.reversed(), colors: dependencyColors.reversed(), columns: 2),
            ],
            title: "Dependency matrices: does output i (row) depend on input j (column)?", columns: 1)
    }

    /// The kind of each entry of a dependency matrix of images `width` pixels wide (indices into
    /// `dependencyColors`): 3 depends, 2 blind spot, 1 an earlier pixel out of reach, 0 on or
    /// above the diagonal. With `width` 0 no blind spot is searched.
    static func dependencyCategories(_ m: DependencyMatrix, width: Int) -> [Int] {
        var out = [Int](repeating: 0, count: m.rows * m.columns)
        for i in 0..<m.rows {
            let seen = m.dependencies(of: i)
            let blind =
                width == 0 ? [] : ReceptiveField.blindSpot(of: seen, row: i / width, column: i % width, width: width)
            for j in 0..<min(i, m.columns) { out[i * m.columns + j] = seen.contains(j) ? 3 : blind.contains(j) ? 2 : 1 }
        }
        return out
    }
}
