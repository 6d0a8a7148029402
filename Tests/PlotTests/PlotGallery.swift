import Foundation
import Plot
import Testing

/// One example of every figure kind, on data like the chapters'. Look at them with
///
///     PLOT_GALLERY_DIR=/tmp/gallery swift test --filter PlotGallery
///
/// Without PLOT_GALLERY_DIR the figures go to a temporary folder that is removed afterwards, so
/// the test still checks that every kind draws and writes without failing.
@Suite struct PlotGallery {
    @Test func gallery() throws {
        let requested = ProcessInfo.processInfo.environment["PLOT_GALLERY_DIR"]
        let folder = try requested ?? makeTemporaryFolder()
        defer { if requested == nil { removeTemporaryFolder(folder) } }

        let figures: [(name: String, canvas: Canvas)] = [
            ("image-grid-gray", digitRowsGrid()),
            ("image-grid-rgb", colourTilesGrid()),
            ("line-plot", trainingCurves()),
            ("line-plot-log", gradientNorms()),
            ("line-plot-small", smallLinePlot()),
            ("scatter-plot", twoClouds()),
            ("scatter-plot-classes", latentSpace()),
            ("curves", ganCurves()),
            ("heat-map-mask", maskHeatMap()),
            ("heat-map-receptive-field", receptiveFieldHeatMap()),
            ("heat-map-diverging", differenceHeatMap()),
            ("bar-chart", nllBars()),
            ("panel", samplesAndCurvePanel()),
            ("text", fontSheet()),
            ("canvas-primitives", primitives()),
        ]
        for (name, canvas) in figures {
            let path = "\(folder)/\(name).png"
            try canvas.writePNG(to: path)
            #expect(try Bitmap(readingPNG: path) == canvas.bitmap, "\(name)")
        }
    }
}

// MARK: - Example data

/// Ten 8x8 digit-like images in [0, 1] (white on black, as in the 8x8 digits data set): each
/// digit is drawn large in the built-in font, shifted a little at random, and averaged down
/// over 4x4 blocks, which gives the soft gray edges of a scanned digit.
private func digits(seed: UInt64, noise: Double = 0) -> [Float] {
    var random = ExampleRandom(seed: seed)
    var pixels: [Float] = []
    for digit in 0..<10 {
        var large = Canvas(width: 32, height: 32, background: .black)
        let (dx, dy) = (Int(random.uniform() * 5) - 2, Int(random.uniform() * 3) - 1)
        large.drawText(String(digit), x: 16 + dx, y: 16 + dy + 4, anchor: .center, scale: 4, color: .white)
        for y in 0..<8 {
            for x in 0..<8 {
                var sum = 0.0
                for v in 0..<4 { for u in 0..<4 { sum += Double(large[4 * x + u, 4 * y + v].red) / 255 } }
                let value = sum / 16 + noise * random.normal()
                pixels.append(Float(min(max(value, 0), 1)))
            }
        }
    }
    return pixels
}

private func digitRowsGrid() -> Canvas {
    let data = digits(seed: 1)
    let reconstructions = digits(seed: 1, noise: 0.12)
    // Samples: coin flips with the data's intensities as probabilities, like a binary model's draws.
    var random = ExampleRandom(seed: 7)
    let samples = digits(seed: 2).map { Float(random.uniform() < Double($0) ? 1 : 0) }
    return imageGrid(
        data + reconstructions + samples, shape: [30, 1, 8, 8], columns: 10,
        rowCaptions: ["data", "recon", "sample"], title: "VAE on 8x8 digits")
}

private func colourTilesGrid() -> Canvas {
    // Eight 8x8 RGB images, channel planes one after another (NCHW): smooth colour gradients.
    var pixels: [Float] = []
    for k in 0..<8 {
        let angle = Double(k) * Double.pi / 4
        for c in 0..<3 {
            for y in 0..<8 {
                for x in 0..<8 {
                    let t = (Double(x) * cos(angle) + Double(y) * sin(angle)) / 10 + 0.5
                    pixels.append(Float(0.5 + 0.5 * sin(2 * Double.pi * (t + Double(c) / 3))))
                }
            }
        }
    }
    return imageGrid(
        pixels, shape: [8, 3, 8, 8], columns: 4, tileCaptions: (0..<8).map { "p=0.\(9 - $0)" },
        title: "RGB samples with captions")
}

private func trainingCurves() -> Canvas {
    var random = ExampleRandom(seed: 3)
    let epochs = (1...100).map(Double.init)
    let train = epochs.map { 0.24 + 0.35 * exp(-$0 / 15) + 0.004 * random.normal() }
    let validation = epochs.map { 0.27 + 0.33 * exp(-$0 / 15) + 0.0004 * $0 + 0.004 * random.normal() }
    return linePlot(
        [
            Series("train", x: epochs, y: train),
            Series("validation", x: epochs, y: validation),
            Series("independent pixels", x: epochs, y: epochs.map { _ in 0.52 }, style: .dashed),
        ],
        title: "PixelCNN on 8x8 digits", xLabel: "epoch", yLabel: "NLL (bits/pixel)")
}

/// A 320 x 240 plot, where text is drawn at scale 1.
private func smallLinePlot() -> Canvas {
    let steps = (0..<50).map(Double.init)
    return linePlot(
        [
            Series("KL", x: steps, y: steps.map { 4 * (1 - exp(-$0 / 10)) }),
            Series("reconstruction", x: steps, y: steps.map { 30 * exp(-$0 / 8) + 12 }),
        ],
        title: "ELBO terms", xLabel: "epoch", yLabel: "nats", width: 320, height: 240)
}

private func gradientNorms() -> Canvas {
    var random = ExampleRandom(seed: 4)
    let steps = (1...2000).map(Double.init)
    let encoder = steps.map { 8 * pow($0, -0.9) * exp(0.3 * random.normal()) }
    let decoder = steps.map { 0.5 * pow($0, -0.5) * exp(0.3 * random.normal()) }
    return linePlot(
        [Series("encoder", x: steps, y: encoder), Series("decoder", x: steps, y: decoder)],
        title: "Gradient norms", xLabel: "step", yLabel: "norm of gradient", yScale: .log)
}

private func twoClouds() -> Canvas {
    var random = ExampleRandom(seed: 5)
    var (x, y, classes) = ([Double](), [Double](), [Int]())
    for i in 0..<600 {
        let isData = i < 300
        x.append(isData ? random.normal() : 2.5 + 0.7 * random.normal())
        y.append(isData ? random.normal() : 1.5 + 0.7 * random.normal())
        classes.append(isData ? 0 : 1)
    }
    return scatterPlot(
        x: x, y: y, classes: classes, classNames: ["data", "generated"], title: "GAN samples against the data",
        xLabel: "x1", yLabel: "x2")
}

private func latentSpace() -> Canvas {
    var random = ExampleRandom(seed: 6)
    var (x, y, classes) = ([Float](), [Float](), [Int]())
    for i in 0..<800 {
        let digit = i % 10
        let angle = Double(digit) * 2 * Double.pi / 10
        x.append(Float(3 * cos(angle) + 0.6 * random.normal()))
        y.append(Float(3 * sin(angle) + 0.6 * random.normal()))
        classes.append(digit)
    }
    return scatterPlot(
        x: x, y: y, classes: classes, classNames: (0..<10).map(String.init), title: "VAE latent means by digit",
        xLabel: "z1", yLabel: "z2")
}

private func ganCurves() -> Canvas {
    let x = stride(from: -4.0, through: 6.0, by: 0.025).map { $0 }
    let normal = { (x: Double, mean: Double, sd: Double) in
        exp(-0.5 * pow((x - mean) / sd, 2)) / (sd * (2 * Double.pi).squareRoot())
    }
    let pData = x.map { normal($0, 0, 1) }
    let pG = x.map { normal($0, 1.5, 0.8) }
    let optimal = zip(pData, pG).map { $0 / ($0 + $1) }
    let discriminator = x.map { 1 / (1 + exp(2.2 * ($0 - 0.6))) }
    return curvesPlot(
        x: x,
        [
            Series("p_data", y: pData, style: .filled), Series("p_g", y: pG, style: .filled),
            Series("D", y: discriminator), Series("D*", y: optimal, style: .dashed),
        ],
        title: "GAN in one dimension", xLabel: "x")
}

/// The 5x5 PixelCNN mask A: ones above the centre row and left of the centre, zeros from the
/// centre on (the pixel being predicted must not see itself).
private func maskHeatMap() -> Canvas {
    let mask = (0..<25).map { i -> Float in i < 12 ? 1 : 0 }
    return heatMap(mask, rows: 5, columns: 5, showValues: true, highlight: [(2, 2)], title: "PixelCNN mask A, 5x5")
}

/// How many paths lead from each input pixel to the centre output after a 3x3 mask A layer
/// and two 3x3 mask B layers: the counts show the blind spot above and to the right.
private func receptiveFieldHeatMap() -> Canvas {
    let size = 7
    let centre = size / 2
    var field = [Int](repeating: 0, count: size * size)
    field[centre * size + centre] = 1
    // Output p reads input p + o for offsets o above the centre, or left of it on its row
    // (mask B also lets it read o = 0). Walk back from the output, last layer first.
    for includesCentre in [true, true, false] {
        var previous = [Int](repeating: 0, count: size * size)
        for row in 0..<size {
            for column in 0..<size where field[row * size + column] > 0 {
                for dr in -1...0 {
                    for dc in -1...1 where dr < 0 || dc < 0 || (dc == 0 && includesCentre) {
                        let (r, c) = (row + dr, column + dc)
                        if r >= 0 && c >= 0 && c < size { previous[r * size + c] += field[row * size + column] }
                    }
                }
            }
        }
        field = previous
    }
    return heatMap(
        field.map(Double.init), rows: size, columns: size, showValues: true, highlight: [(centre, centre)],
        title: "Paths to the centre pixel")
}

private func differenceHeatMap() -> Canvas {
    let data = digits(seed: 1)
    let model = digits(seed: 9, noise: 0.05)
    // Mean over the ten digits of model minus data, per pixel.
    let difference = (0..<64).map { p in
        (0..<10).map { Double(model[$0 * 64 + p] - data[$0 * 64 + p]) }.reduce(0, +) / 10
    }
    return heatMap(difference, rows: 8, columns: 8, colorMap: .diverging, title: "Mean of model - data, per pixel")
}

private func nllBars() -> Canvas {
    barChart(
        [0.521, 0.334, 0.268, 0.281, 0.305], labels: ["independent", "FVSBN", "PixelRNN", "PixelCNN", "VAE (ELBO)"],
        title: "Test NLL on binarised 8x8 digits", yLabel: "NLL (bits/pixel)", reference: (0.24, "entropy floor"))
}

private func samplesAndCurvePanel() -> Canvas {
    var random = ExampleRandom(seed: 8)
    let samples = (digits(seed: 10) + digits(seed: 11)).map { Float(random.uniform() < Double($0) ? 1 : 0) }
    let losses = (0..<300).map { 0.25 + 0.4 * exp(-Double($0) / 40) + 0.01 * random.normal() }
    return panel(
        [
            imageGrid(Array(samples.prefix(16 * 64)), shape: [16, 1, 8, 8], columns: 4, title: "samples"),
            linePlot([Series("train", y: losses)], title: "training loss", xLabel: "step", yLabel: "NLL (bits/pixel)"),
        ],
        title: "PixelCNN after 300 steps")
}

private func fontSheet() -> Canvas {
    let ascii = String((32...126).map { Character(UnicodeScalar($0)) })
    let lines = stride(from: 0, to: ascii.count, by: 32).map { String(ascii.dropFirst($0).prefix(32)) }
    var canvas = Canvas(width: 420, height: 290)
    var y = 8
    for scale in [1, 2] {
        canvas.drawText(lines.joined(separator: "\n"), x: 8, y: y, scale: scale)
        y += Canvas.textSize(lines.joined(separator: "\n"), scale: scale).height + 12
    }
    canvas.drawText("The quick brown fox jumps over\nthe lazy dog: p_g(x) = 0.25, D*", x: 8, y: y, scale: 2)
    canvas.drawText("up", x: 400, y: 280, anchor: .bottomRight, scale: 2, direction: .upward)
    return canvas
}

private func primitives() -> Canvas {
    var canvas = Canvas(width: 640, height: 480)
    // A star of 1-pixel lines, then lines 2, 3 and 5 pixels wide, then dashed ones.
    for k in 0..<16 {
        let angle = Double(k) * Double.pi / 8
        canvas.drawLine(from: (90, 90), to: (90 + Int(70 * cos(angle)), 90 + Int(70 * sin(angle))), color: .ink)
    }
    for (i, width) in [2, 3, 5].enumerated() {
        canvas.drawLine(from: (200, 30 + 40 * i), to: (330, 60 + 40 * i), color: Color.categorical[i], width: width)
    }
    canvas.drawPolyline(
        [(360, 40), (420, 120), (480, 40), (540, 120), (600, 40)], color: Color.categorical[3], width: 3)
    canvas.drawPolyline([(360, 150), (600, 150)], color: .ink, width: 2, dash: 10)
    // Rectangles and circles.
    canvas.fillRect(x: 30, y: 200, width: 80, height: 50, color: Color.categorical[0])
    canvas.strokeRect(x: 130, y: 200, width: 80, height: 50, color: Color.categorical[1], lineWidth: 3)
    for r in 1...8 {
        canvas.fillCircle(x: 250 + 30 * r, y: 210, radius: r, color: Color.categorical[2])
        canvas.strokeCircle(x: 250 + 30 * r, y: 245, radius: r, color: Color.categorical[4])
    }
    // The two colour maps as strips, 0 on the left.
    for (i, (name, map)) in [("viridis", ColorMap.viridis), ("diverging", ColorMap.diverging)].enumerated() {
        let top = 300 + 70 * i
        for x in 0..<480 {
            canvas.fillRect(x: 130 + x, y: top, width: 1, height: 40, color: map.color(at: Double(x) / 479))
        }
        canvas.drawText(name, x: 120, y: top + 20, anchor: .right, scale: 2)
    }
    return canvas
}
