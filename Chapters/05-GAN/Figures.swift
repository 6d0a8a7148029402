import Foundation
import Models
import Plot
import Tensors
import Workbook

// The chapter's figures: functions from measured data to a canvas, in the order of the chapter.

extension Chapter {
    /// Writes a figure into the figures folder and names it.
    func save(_ canvas: Canvas, _ name: String) throws {
        let path = figurePath(name)
        try canvas.writePNG(to: path)
        print("   figure: \(path)")
    }
}

/// Every 10th grid point with x in `range`: what the figures draw of a function on the grid.
struct GridWindow {
    let indices: [Int]
    init(_ grid: QuadratureGrid, _ range: ClosedRange<Double>) {
        indices = grid.x.indices.filter { range.contains(grid.x[$0]) && $0 % 10 == 0 }
    }
    func callAsFunction(_ v: [Double]) -> [Double] { indices.map { v[$0] } }
}

/// Section 1: the trained D against D* for the fixed generator, and C(t) = V(D*, G_t) for p_g
/// the data shifted by t, with 2 JSD - 2 log 2 over it.
func optimalDiscriminatorFigure(
    line: LineSetting, pFixed: [Double], trainedD: [Double], steps: Int, shifts: [Double], criterion: [Double],
    criterionByJSD: [Double], vOptimal: Double, jsd: Double, identityGap: Double
) -> Canvas {
    let shown = GridWindow(line.grid, -5...5)
    let log4 = Foundation.log(4.0)
    return panel(
        [
            curvesPlot(
                x: shown(line.grid.x),
                [
                    Series("p_data", y: shown(line.pData), style: .filled),
                    Series("p_g (fixed)", y: shown(pFixed), style: .filled),
                    Series("D trained alone", y: shown(trainedD)),
                    Series("D* = p_data/(p_data+p_g)", y: shown(line.optimalDiscriminator(pFixed)), style: .dashed),
                ], title: "D after \(steps) steps vs D*", xLabel: "x", yLabel: "density; D(x), a probability",
                yRange: 0...1),
            curvesPlot(
                x: shifts,
                [
                    Series("V(D*, G_t)", y: criterion), Series("2 JSD - 2 log 2", y: criterionByJSD, style: .dashed),
                    Series("-log 4", y: shifts.map { _ in -log4 }, color: .gray),
                ], title: "p_g = p_data shifted by t: min -log 4 at t = 0", xLabel: "shift t",
                yLabel: "value of the game (nats)"),
        ],
        title:
            "V(D*, G) = \(fmt(vOptimal, 8)) = 2 JSD - 2 log 2 = \(fmt(valueAtOptimalDiscriminator(jensenShannon: jsd), 8)) (difference \(String(format: "%.0e", identityGap)))"
    )
}

/// Section 2: p_data, p_g, D and D* at the snapshots of the main run, and JSD over the steps of
/// both runs.
func lineTrainingFigure(line: LineSetting, main: LineGANRun, k: Int, other: LineGANRun, otherK: Int) -> Canvas {
    let shown = GridWindow(line.grid, -5...5)
    var plots = main.snapshots.map { snap in
        curvesPlot(
            x: shown(line.grid.x),
            [
                Series("p_data", y: shown(line.pData), style: .filled),
                Series("p_g", y: shown(snap.pModel), style: .filled),
                Series("D", y: shown(snap.d)),
                Series("D*", y: shown(line.optimalDiscriminator(snap.pModel)), style: .dashed),
            ], title: "step \(snap.step): JSD \(fmt(snap.jsd, 3))", xLabel: "x", yLabel: "density; D(x)", yRange: 0...1,
            width: 500, height: 400)
    }
    plots.append(
        linePlot(
            [
                Series("k = \(k)", x: main.jsdCurve.map { Double($0.step) }, y: main.jsdCurve.map(\.jsd)),
                Series("k = \(otherK)", x: other.jsdCurve.map { Double($0.step) }, y: other.jsdCurve.map(\.jsd)),
            ], title: "JSD(p_data || p_g), exact", xLabel: "generator step", yLabel: "JSD (nats)", yScale: .log,
            width: 500,
            height: 400))
    return panel(plots, title: "1-D GAN, k = \(k): p_g is exact by change of variables", columns: 3)
}

/// Section 2 again, drawn as Goodfellow et al.'s Figure 1: p_data, p_g and D over x at each
/// snapshot, and under them the generator's map from z (24 quantiles of N(0, 1), each standing for
/// 1/24 of the samples) up to x = G(z).
func lineGANFigure(line: LineSetting, run: LineGANRun, k: Int) -> Canvas {
    let shown = GridWindow(line.grid, -5...5)
    return panel(
        run.snapshots.map { snap in
            mappingPlot(
                x: shown(line.grid.x),
                [
                    Series("p_data", y: shown(line.pData), color: .black),
                    Series("p_g", y: shown(snap.pModel), color: Color.categorical[2]),
                    Series("D", y: shown(snap.d), color: Color.categorical[0], style: .dashed),
                ], mapping: snap.mapping, yRange: 0...1, title: "step \(snap.step): JSD \(fmt(snap.jsd, 3))",
                yLabel: "density; D(x)", xName: "x", zName: "z", width: 620, height: 640)
        }, title: "1-D GAN, k = \(k), drawn as Goodfellow et al.'s Figure 1: z mapped up to x = G(z)", columns: 2)
}

/// Section 3: both generator losses and their gradients against D(G(z)), and the early runs with
/// SGD (on [-5, 8], wide enough for the starting p_g).
func saturationFigure(
    line: LineSetting, dValues: [Double], minimax: (loss: [Double], slope: [Double]),
    nonSaturating: (loss: [Double], slope: [Double]), runs: [EarlyRun], pStart: [Double], steps: Int
) -> Canvas {
    let wide = GridWindow(line.grid, -5...8)
    func label(_ run: EarlyRun) -> String { run.objective == .minimax ? "minimax" : "non-saturating" }
    return panel(
        [
            curvesPlot(
                x: dValues,
                [
                    Series("minimax: log(1 - D)", y: minimax.loss),
                    Series("non-saturating: -log D", y: nonSaturating.loss),
                ],
                title: "generator loss", xLabel: "D(G(z))", yLabel: "loss (nats)", width: 520, height: 400),
            curvesPlot(
                x: dValues,
                [Series("minimax: D", y: minimax.slope), Series("non-saturating: 1 - D", y: nonSaturating.slope)],
                title: "|d loss / d logit|", xLabel: "D(G(z))", yLabel: "|gradient| per sample", width: 520, height: 400
            ),
            linePlot(
                runs.map { Series(label($0), y: $0.gradientNorms) }, title: "|grad G| in early training (SGD)",
                xLabel: "step",
                yLabel: "|grad G| (norm)", yScale: .log, width: 520, height: 400),
            curvesPlot(
                x: wide(line.grid.x),
                [
                    Series("p_data", y: wide(line.pData), style: .filled),
                    Series("p_g at start", y: wide(pStart), style: .dashed),
                ]
                    + runs.map { Series("p_g, \(label($0))", y: wide($0.pEnd)) },
                title: "p_g after \(steps) steps (SGD)", xLabel: "x", yLabel: "density",
                // Headroom above the highest curve for the legend.
                yRange: 0...(([line.pData, pStart] + runs.map(\.pEnd)).flatMap { wide($0) }.max()! * 1.7), width: 520,
                height: 400),
        ], title: "Saturating vs non-saturating generator objective", columns: 2)
}

/// Section 4: 1000 of the 4000 samples of each run at its last three snapshots, one row per run,
/// on the same square [-3, 3]^2 with equal aspect; each mode is drawn as the circle of radius 3
/// standard deviations that counts a sample as on it.
func ringFigure(_ runs: [RingRun], centres: [SIMD2<Double>], radius: Double) -> Canvas {
    let rows = runs.map { run in
        panel(
            run.snapshots.suffix(3).map { snap in
                let shown = snap.samples.scalars.prefix(2000)
                return scatterPlot(
                    x: stride(from: 0, to: shown.count, by: 2).map { Double(shown[$0]) },
                    y: stride(from: 1, to: shown.count, by: 2).map { Double(shown[$0]) },
                    title: "step \(snap.step): \(snap.coverage.modesCovered)/8 covered", xLabel: "x", yLabel: "y",
                    markerRadius: 1,
                    width: 440, height: 440, xRange: -3...3, yRange: -3...3, equalAspect: true,
                    circles: centres.map { (x: $0.x, y: $0.y, radius: radius) })
            }, title: run.name)
    }
    return panel(rows, title: "Ring of 8 Gaussians: samples of three GANs (circles: the modes)", columns: 1)
}

/// Section 4: every `traceInterval` steps, how many modes each run covers, and for the two that
/// fail, which mode holds the bulk of the samples (a jump is the generator moving on).
func ringTraceFigure(_ runs: [RingRun]) -> Canvas {
    let failing = runs.filter { $0.key != "balanced" }
    let points = failing.enumerated().flatMap { i, run in run.trace.map { (Double($0.step), Double($0.busiestMode), i) }
    }
    return panel(
        [
            linePlot(
                runs.map { run in
                    // The colours of the scatter's classes for the failing runs; black for the balanced one.
                    let colour = failing.firstIndex { $0.key == run.key }.map { Color.categorical[$0] } ?? .black
                    return Series(
                        run.key, x: run.trace.map { Double($0.step) }, y: run.trace.map { Double($0.covered) },
                        color: colour)
                },
                title: "modes covered, every \(runs[0].trace.first?.step ?? 0) steps", xLabel: "step",
                yLabel: "modes covered (of 8)",
                width: 640, height: 440),
            scatterPlot(
                x: points.map(\.0), y: points.map(\.1), classes: points.map(\.2), classNames: failing.map(\.key),
                title: "the mode nearest to most samples", xLabel: "step", yLabel: "mode (0-7 around the ring)",
                width: 640,
                height: 440, yRange: 0...7),
        ], title: "Ring of 8: coverage over training (500 samples per point)")
}

/// Section 5: the same ten noise vectors through G at each snapshot, and through the average of
/// G's weights at the end (the average trails G by about a thousand steps: early on it is still
/// the mean image, so only its last row is shown).
func digitsOverTrainingFigure(_ log: DigitsTraining) -> Canvas {
    let rows = log.rawSnapshots + [log.snapshots.last!]
    return imageGrid(
        rows.flatMap(\.images.scalars), shape: [rows.count * 10, 28, 28], columns: 10,
        rowCaptions: log.rawSnapshots.map { "G, step \($0.step)" } + ["average, \(log.snapshots.last!.step)"],
        title: "MNIST-5k GAN: fixed noise over training")
}

/// Section 5: generated digits (top row) and, under each, its nearest training images in
/// Euclidean distance (the distance under each).
func nearestNeighboursFigure(
    samples: Tensor<Float>, neighbours: [[(index: Int, distance: Double)]], training: Tensor<Float>
) -> Canvas {
    let n = samples.shape[0]
    let depth = neighbours[0].count
    var pixels = samples.scalars
    var captions = [String](repeating: "", count: n)
    for rank in 0..<depth {
        for i in 0..<n {
            let j = neighbours[i][rank].index
            pixels += training.scalars[j * 784..<(j + 1) * 784]
            captions.append(fmt(neighbours[i][rank].distance, 1))
        }
    }
    return imageGrid(
        pixels, shape: [n * (depth + 1), 28, 28], columns: n,
        rowCaptions: ["GAN sample"] + (1...depth).map { $0 == 1 ? "nearest" : "nearest #\($0)" },
        tileCaptions: captions,
        title: "GAN samples and their nearest training images (distance in pixel space)")
}

/// Section 5: 60 samples at the end of training.
func digitsSamplesFigure(_ samples: Tensor<Float>, steps: Int) -> Canvas {
    imageGrid(samples.scalars, shape: [60, 28, 28], columns: 10, title: "MNIST-5k GAN samples after \(steps) steps")
}

/// Section 5: the losses and the discriminator's mean outputs, averaged over windows of 50 steps.
func digitsTrainingFigure(_ log: DigitsTraining) -> Canvas {
    func smoothed(_ v: [Double]) -> (x: [Double], y: [Double]) {
        let w = max(1, min(50, v.count / 10))
        let blocks = stride(from: 0, to: v.count - w + 1, by: w).map { v[$0..<$0 + w] }
        return (blocks.indices.map { Double($0 * w + w) }, blocks.map { $0.reduce(0, +) / Double(w) })
    }
    let steps = smoothed(log.dLoss).x
    return panel(
        [
            linePlot(
                [
                    Series("D loss -V", x: steps, y: smoothed(log.dLoss).y),
                    Series("G loss -log D(G(z))", x: steps, y: smoothed(log.gLoss).y),
                    Series(
                        "2 log 2", x: steps, y: steps.map { _ in 2 * Foundation.log(2.0) }, color: .gray, style: .dashed
                    ),
                ], title: "losses", xLabel: "step", yLabel: "loss (nats)", width: 520, height: 400),
            linePlot(
                [
                    Series("mean D(x)", x: steps, y: smoothed(log.realD).y),
                    Series("mean D(G(z))", x: steps, y: smoothed(log.fakeD).y),
                    Series("1/2", x: steps, y: steps.map { _ in 0.5 }, color: .gray, style: .dashed),
                ], title: "discriminator outputs", xLabel: "step", yLabel: "mean D (probability)", width: 520,
                height: 400),
        ], title: "MNIST-5k GAN training (means over 50 steps)")
}

/// Section 6: both paths of gradient play on min_x max_y x y.
func xyGameFigure(simultaneous: [(Double, Double)], alternating: [(Double, Double)], eta: Double, steps: Int) -> Canvas
{
    linePlot(
        [
            Series("simultaneous", x: simultaneous.map(\.0), y: simultaneous.map(\.1)),
            Series("alternating", x: alternating.map(\.0), y: alternating.map(\.1)),
            // Crosses (two strokes separated by a gap, NaN) mark the start and the equilibrium.
            Series("start (1, 1)", x: [0.85, 1.15, .nan, 1, 1], y: [1, 1, .nan, 0.85, 1.15], color: .black),
            Series("equilibrium (0, 0)", x: [-0.15, 0.15, .nan, 0, 0], y: [0, 0, .nan, -0.15, 0.15], color: .gray),
            // Room below the spiral for the legend: a point that is not drawn (its x is NaN) but
            // that the y axis covers.
            Series("", x: [Double.nan], y: [-6.0]),
        ], title: "min_x max_y xy: \(steps) steps, eta \(eta)", xLabel: "x (minimises)", yLabel: "y (maximises)",
        width: 640,
        height: 600, equalAspect: true)
}
