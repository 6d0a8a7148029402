import Foundation
import Models
import Plot
import Tensors
import Workbook

// The chapter's figures: functions from measured data to a canvas, in the order of the chapter.

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
                    Series("p_data", y: shown(line.pData), style: .filled), Series("p_g (fixed)", y: shown(pFixed), style: .filled),
                    Series("D trained alone", y: shown(trainedD)),
                    Series("D* = p_data/(p_data+p_g)", y: shown(line.optimalDiscriminator(pFixed)), style: .dashed),
                ], title: "D after \(steps) steps vs D*", xLabel: "x", yRange: 0...1),
            curvesPlot(
                x: shifts,
                [
                    Series("V(D*, G_t)", y: criterion), Series("2 JSD - 2 log 2", y: criterionByJSD, style: .dashed),
                    Series("-log 4", y: shifts.map { _ in -log4 }, color: .gray),
                ], title: "p_g = p_data shifted by t: min -log 4 at t = 0", xLabel: "shift t"),
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
                Series("p_data", y: shown(line.pData), style: .filled), Series("p_g", y: shown(snap.pModel), style: .filled),
                Series("D", y: shown(snap.d)), Series("D*", y: shown(line.optimalDiscriminator(snap.pModel)), style: .dashed),
            ], title: "step \(snap.step): JSD \(fmt(snap.jsd, 3))", xLabel: "x", yRange: 0...1, width: 520, height: 400)
    }
    plots.append(
        linePlot(
            [
                Series("k = \(k)", x: main.jsdCurve.map { Double($0.step) }, y: main.jsdCurve.map(\.jsd)),
                Series("k = \(otherK)", x: other.jsdCurve.map { Double($0.step) }, y: other.jsdCurve.map(\.jsd)),
            ], title: "JSD(p_data || p_g), exact", xLabel: "generator step", yScale: .log, width: 520, height: 400))
    return panel(plots, title: "1-D GAN, k = \(k): p_g is exact by change of variables", columns: 3)
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
                x: dValues, [Series("minimax: log(1 - D)", y: minimax.loss), Series("non-saturating: -log D", y: nonSaturating.loss)],
                title: "generator loss", xLabel: "D(G(z))", width: 520, height: 400),
            curvesPlot(
                x: dValues, [Series("minimax: D", y: minimax.slope), Series("non-saturating: 1 - D", y: nonSaturating.slope)],
                title: "|d loss / d logit|", xLabel: "D(G(z))", width: 520, height: 400),
            linePlot(
                runs.map { Series(label($0), y: $0.gradientNorms) }, title: "|grad G| in early training (SGD)", xLabel: "step",
                yScale: .log, width: 520, height: 400),
            curvesPlot(
                x: wide(line.grid.x),
                [Series("p_data", y: wide(line.pData), style: .filled), Series("p_g at start", y: wide(pStart), style: .dashed)]
                    + runs.map { Series("p_g, \(label($0))", y: wide($0.pEnd)) },
                title: "p_g after \(steps) steps (SGD)", xLabel: "x",
                // Headroom above the highest curve for the legend.
                yRange: 0...(([line.pData, pStart] + runs.map(\.pEnd)).flatMap { wide($0) }.max()! * 1.7), width: 520, height: 400),
        ], title: "Saturating vs non-saturating generator objective", columns: 2)
}

/// Section 4: samples (1000 of the 4000) of each run at its snapshots, the mode centres on top.
func ringFigure(_ runs: [RingRun], centres: [SIMD2<Double>]) -> Canvas {
    var plots: [Canvas] = []
    for run in runs {
        for snap in run.snapshots {
            let shownSamples = snap.samples.scalars.prefix(2000)
            let xs = stride(from: 0, to: shownSamples.count, by: 2).map { Double(shownSamples[$0]) } + centres.map(\.x)
            let ys = stride(from: 1, to: shownSamples.count, by: 2).map { Double(shownSamples[$0]) } + centres.map(\.y)
            plots.append(
                scatterPlot(
                    x: xs, y: ys, classes: [Int](repeating: 0, count: xs.count - 8) + [Int](repeating: 1, count: 8),
                    title: "step \(snap.step): \(snap.coverage.modesCovered)/8 covered, off \(fmt(snap.coverage.offModeShare, 2))",
                    markerRadius: 1, width: 400, height: 400))
        }
    }
    return panel(plots, title: "Ring of 8: top \(runs[0].name); bottom \(runs[1].name)", columns: runs[0].snapshots.count)
}

/// Section 5: the same ten noise vectors through the averaged G at each snapshot.
func digitsOverTrainingFigure(_ snapshots: [(step: Int, images: Tensor<Float>)]) -> Canvas {
    imageGrid(
        snapshots.flatMap(\.images.scalars), shape: [snapshots.count * 10, 28, 28], columns: 10,
        rowCaptions: snapshots.map { "step \($0.step)" }, title: "MNIST-5k GAN: fixed noise over training")
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
                    Series("D loss -V", x: steps, y: smoothed(log.dLoss).y), Series("G loss -log D(G(z))", x: steps, y: smoothed(log.gLoss).y),
                    Series("2 log 2", x: steps, y: steps.map { _ in 2 * Foundation.log(2.0) }, color: .gray, style: .dashed),
                ], title: "losses", xLabel: "step", width: 520, height: 400),
            linePlot(
                [
                    Series("mean D(x)", x: steps, y: smoothed(log.realD).y), Series("mean D(G(z))", x: steps, y: smoothed(log.fakeD).y),
                    Series("1/2", x: steps, y: steps.map { _ in 0.5 }, color: .gray, style: .dashed),
                ], title: "discriminator outputs", xLabel: "step", width: 520, height: 400),
        ], title: "MNIST-5k GAN training (means over 50 steps)")
}

/// Section 6: both paths of gradient play on min_x max_y x y.
func xyGameFigure(simultaneous: [(Double, Double)], alternating: [(Double, Double)], eta: Double, steps: Int) -> Canvas {
    linePlot(
        [
            Series("simultaneous", x: simultaneous.map(\.0), y: simultaneous.map(\.1)),
            Series("alternating", x: alternating.map(\.0), y: alternating.map(\.1)),
            // Crosses (two strokes separated by a gap, NaN) mark the start and the equilibrium.
            Series("start (1, 1)", x: [0.85, 1.15, .nan, 1, 1], y: [1, 1, .nan, 0.85, 1.15], color: .black),
            Series("equilibrium (0, 0)", x: [-0.15, 0.15, .nan, 0, 0], y: [0, 0, .nan, -0.15, 0.15], color: .gray),
        ], title: "min_x max_y xy: \(steps) steps of size \(eta)", xLabel: "x (minimises)", yLabel: "y (maximises)", width: 640,
        height: 600)
}
