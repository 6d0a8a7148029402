// Chapter 4's figures: measured data in, a canvas out. main.swift decides what is measured; these
// functions only draw it.

import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

extension Chapter {
    /// Writes a figure into the figures folder and says what it shows.
    func save(_ canvas: Canvas, _ name: String, _ what: String) throws {
        try canvas.writePNG(to: figurePath(name))
        print("wrote \(name): \(what)")
    }
}

/// The reconstruction term, the KL term and the ELBO per epoch, train and validation, of the two
/// VAEs (named "z 2" and "z K"). The first epoch's values are far off the scale of the rest; the
/// curves start at epoch 2.
func trainingCurvesFigure(_ models: [(name: String, curves: ELBOCurves)], epochs: Int, quick: Bool) -> Canvas {
    func curve(_ title: String, yRange: ClosedRange<Double>? = nil, _ value: (ELBOCurves, Bool) -> [Double]) -> Canvas {
        func fromSecond(_ v: [Double]) -> [Double] {
            v.enumerated().map { $0.offset == 0 && v.count > 2 ? .nan : $0.element }
        }
        let series = models.enumerated().flatMap { i, model in
            [
                Series("\(model.name), train", y: fromSecond(value(model.curves, true)), color: Color.categorical[i]),
                Series(
                    "\(model.name), validation", y: fromSecond(value(model.curves, false)), color: Color.categorical[i],
                    style: .dashed),
            ]
        }
        return curvesPlot(
            x: (1...epochs).map(Double.init), series, title: title, xLabel: "epoch", yLabel: "nats per image",
            yRange: yRange,
            width: 560, height: 440)
    }
    return panel(
        [
            curve("E_q[log p(x|z)]") { c, isTrain in isTrain ? c.train.reconstruction : c.validation.reconstruction },
            // Headroom above the KL curves, where the legend goes without hiding them.
            curve("KL(q(z|x) || p(z))", yRange: 0...(quick ? 20 : 50)) { c, isTrain in
                isTrain ? c.train.kl : c.validation.kl
            },
            curve("ELBO") { c, isTrain in c.elbo(train: isTrain) },
        ], title: "Chapter 4: the two terms of the ELBO during training (MNIST-5k)", columns: 2)
}

/// The linear-Gaussian model: the exact posterior and three encoders' q for one x as
/// 2-standard-deviation ellipses (q = p(z), the unit circle around 0, is left out: it would dwarf
/// the rest), and log10 of the mean gap KL(q || p(z|x)) of the first four encoders.
func linearGaussianFigure(
    encoders: [(name: String, density: ([Double]) -> GaussianDensity)], model: LinearGaussianModel, shownX: [Double],
    gaps: [Double]
) -> Canvas {
    func ellipse(_ g: GaussianDensity, radius: Double = 2) -> (x: [Double], y: [Double]) {
        let l = g.factor.lower
        let t = (0...120).map { 2 * Double.pi * Double($0) / 120 }
        return (
            t.map { g.mean[0] + radius * l[0] * cos($0) },
            t.map { g.mean[1] + radius * (l[2] * cos($0) + l[3] * sin($0)) }
        )
    }
    var ellipses: [Series] = []
    var extent: (x: [Double], y: [Double]) = ([], [])
    for (i, (name, density)) in encoders.enumerated() where i > 0 && i < 4 {
        let e = ellipse(density(shownX))
        ellipses.append(Series(name, x: e.x, y: e.y, color: Color.categorical[i]))
        extent = (extent.x + e.x, extent.y + e.y)
    }
    let truth = ellipse(model.exactPosterior(shownX))
    ellipses.append(Series("p(z|x) = exact q", x: truth.x, y: truth.y, color: .black, style: .dashed))
    // The same length per unit on both axes (equal aspect), so that a circle looks like one, in a
    // box marked by two white dots at its corners: the ellipses in its lower part, the legend
    // above them.
    let centre = [(extent.x.min()! + extent.x.max()!) / 2, (extent.y.min()! + extent.y.max()!) / 2]
    let half = Swift.max(extent.x.max()! - extent.x.min()!, extent.y.max()! - extent.y.min()!) * 0.75
    ellipses.append(
        Series(
            "", x: [centre[0] - half, .nan, centre[0] + half],
            y: [centre[1] - half, .nan, centre[1] + 1.4 * half], color: .white))
    return panel(
        [
            linePlot(
                ellipses, title: "q(z|x) and p(z|x) for one x (2 sd)", xLabel: "z_1", yLabel: "z_2", width: 600,
                height: 640, equalAspect: true),
            barChart(
                gaps.prefix(4).map { Foundation.log10($0) },
                labels: ["q = p(z)", "mean-field", "best diagonal", "full, trained"],
                title: "log10 mean KL(q || p(z|x)); the exact q's is 0", yLabel: "log10 (log p(x) - ELBO, nats)",
                width: 640, height: 640),
        ], title: "Linear-Gaussian VAE: log p(x) = ELBO + KL(q || p(z|x)), each term exact")
}

/// p(z|x) and q(z|x) of the given test images of the 2-D VAE, in one picture each: p(z|x) in
/// orange, q(z|x) in blue (each scaled to its peak), on a square box around both (z_1 to the right,
/// z_2 up); and the mean bounds ELBO <= E[IWAE-k] <= log p(x) against k.
func posteriorFigure(
    vae: VAE<Float>, test: Tensor<Float>, rows: [Int], quadratures: [LatentQuadratureResult], evaluation: VAEEvaluation,
    ks: [Int], iwaeMeans: [Double], logP: Double, elbo: Double, imageCount: Int
) -> Canvas {
    var posteriorPanels: [Canvas] = []
    let pixels = 81
    for (row, r) in zip(rows, quadratures) {
        let image = test.slice(row..<(row + 1), alongAxis: 0)
        let q = (
            m: Array(evaluation.means[(2 * row)..<(2 * row + 2)]),
            s: evaluation.logVariances[(2 * row)..<(2 * row + 2)].map { Foundation.exp(0.5 * $0) }
        )
        let pStd = [r.posteriorCovariance[0].squareRoot(), r.posteriorCovariance[3].squareRoot()]
        let lower = (0..<2).map { Swift.min(r.posteriorMean[$0] - 4 * pStd[$0], q.m[$0] - 4 * q.s[$0]) }
        let upper = (0..<2).map { Swift.max(r.posteriorMean[$0] + 4 * pStd[$0], q.m[$0] + 4 * q.s[$0]) }
        let side = (0..<2).map { upper[$0] - lower[$0] }.max()!
        let centre = (0..<2).map { (upper[$0] + lower[$0]) / 2 }
        let grid = LatentGrid2D(center: centre, halfWidth: [side / 2, side / 2], count: pixels)
        let d = vae.densities(of: image, on: grid)
        let posterior = zip(d.logLikelihood, d.logPrior).map { Foundation.exp($0 + $1 - r.logMarginal) }
        let qDensity = d.logQ.map { Foundation.exp($0) }
        let (pTop, qTop) = (posterior.max()!, qDensity.max()!)
        // RGB planes; grid row r holds z_2 = lower + r h, and image rows run downwards: flip.
        var rgb = [Float](repeating: 0, count: 3 * pixels * pixels)
        for gridRow in 0..<pixels {
            for c in 0..<pixels {
                let j = gridRow * pixels + c
                let at = (pixels - 1 - gridRow) * pixels + c
                let (p, qv) = (posterior[j] / pTop, qDensity[j] / qTop)
                rgb[at] = Float(Swift.min(1, p + 0.1 * qv))
                rgb[pixels * pixels + at] = Float(Swift.min(1, 0.55 * p + 0.5 * qv))
                rgb[2 * pixels * pixels + at] = Float(Swift.min(1, qv))
            }
        }
        posteriorPanels.append(imageGrid(image.scalars, shape: [1, 28, 28], scale: 5, title: "test image \(row)"))
        posteriorPanels.append(
            withAxisLabels(
                imageGrid(
                    rgb, shape: [1, 3, pixels, pixels], scale: 3,
                    title: "KL(q || p(z|x)) = \(fmt(r.klToPosterior, 2)) nats"),
                xLabel: "z_1: \(fmt(grid.lower[0], 2)) to \(fmt(grid.upper[0], 2))",
                yLabel: "z_2: \(fmt(grid.lower[1], 2)) to \(fmt(grid.upper[1], 2))"))
    }
    let logK = ks.map { Foundation.log10(Double($0)) }
    let bounds = linePlot(
        [
            Series("E[IWAE-k]", x: logK, y: iwaeMeans),
            Series("log p(x), quadrature", x: logK, y: logK.map { _ in logP }, color: .black, style: .dashed),
            Series("ELBO", x: logK, y: logK.map { _ in elbo }, color: .gray, style: .dashed),
        ], title: "the bounds, mean of \(imageCount) test images", xLabel: "log10 k (samples per bound)",
        yLabel: "nats per image", width: 640, height: 440)
    return panel(
        [panel(posteriorPanels, columns: 4), bounds],
        title: "VAE z 2: p(z|x) by quadrature (orange), q(z|x) (blue)", columns: 1)
}

/// The posterior figure of section 4 for the three quadrature images with the largest gap
/// KL(q || p(z|x)) and the one with the smallest (`byGap`: indices into `rows` and `quadratures`,
/// largest gap first), beside the mean bounds of `summary`.
func posteriorFigure(
    vae: VAE<Float>, test: Tensor<Float>, rows: [Int], quadratures: [LatentQuadratureResult], byGap: [Int],
    summary: QuadratureSummary, evaluation: VAEEvaluation, ks: [Int]
) -> Canvas {
    let shown = Array(byGap.prefix(3)) + [byGap.last!]
    return posteriorFigure(
        vae: vae, test: test, rows: shown.map { rows[$0] }, quadratures: shown.map { quadratures[$0] },
        evaluation: evaluation, ks: ks, iwaeMeans: summary.iwaeMeans, logP: summary.logP, elbo: summary.elboQuadrature,
        imageCount: rows.count)
}

/// The variance of the three gradient estimators against S (log-log), and for each estimator a
/// histogram of its S = 10 estimates of d/dmu_1 on an axis of its own, with the reference value
/// (dashed) and the mean of the estimates (solid): the means agree, the widths differ by orders of
/// magnitude.
func gradientVarianceFigure(_ stats: [GradientStats], sampleCounts: [Int], reference: [Double]) -> Canvas {
    let logS = sampleCounts.map { Foundation.log10(Double($0)) }
    let varianceSeries = GaussianGradientEstimator.allCases.enumerated().map { i, estimator in
        Series(
            estimator.name, x: logS,
            y: sampleCounts.map { s in
                stats.first { $0.estimator == estimator && $0.samples == s }?.totalVariance ?? .nan
            },
            color: Color.categorical[i])
    }
    let variance = linePlot(
        varianceSeries, title: "variance, sum of 4 components", xLabel: "log10 S (samples per estimate)",
        yLabel: "variance (nats^2)", yScale: .log, width: 560, height: 440)
    let histograms = GaussianGradientEstimator.allCases.enumerated().map { i, estimator -> Canvas in
        let s = stats.first { $0.estimator == estimator && $0.samples == 10 }!
        let values = s.firstComponent
        let mean = s.mean[0]
        let sd = s.variance[0].squareRoot()
        // 24 bins over the mean +- 4 standard deviations (the reference included).
        let low = Swift.min(mean - 4 * sd, reference[0] - sd)
        let high = Swift.max(mean + 4 * sd, reference[0] + sd)
        let bins = 24
        let width = (high - low) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        for v in values where v >= low && v < high { counts[Swift.min(bins - 1, Int((v - low) / width))] += 1 }
        let top = (counts.max() ?? 1) * 1.25
        var stepX: [Double] = []
        var stepY: [Double] = []
        for (b, c) in counts.enumerated() {
            stepX += [low + Double(b) * width, low + Double(b + 1) * width]
            stepY += [c, c]
        }
        return linePlot(
            [
                Series("\(values.count) estimates", x: stepX, y: stepY, color: Color.categorical[i], style: .filled),
                Series("mean \(fmt(mean, 1))", x: [mean, mean], y: [0, top], color: Color.categorical[i]),
                Series(
                    "reference \(fmt(reference[0], 1))", x: [reference[0], reference[0]], y: [0, top], color: .black,
                    style: .dashed),
            ], title: "\(estimator.name), S = 10: sd \(fmtSignificant(sd))", xLabel: "estimate of d/dmu_1 (nats)",
            yLabel: "repeats per bin", width: 560, height: 440)
    }
    return panel(
        [variance] + histograms,
        title: "Gradient of E_q[log p(x|z)]: the same mean, variances orders of magnitude apart", columns: 2)
}

/// 3 significant digits, without an exponent below 1e6.
func fmtSignificant(_ x: Double) -> String {
    Swift.abs(x) >= 100
        ? String(format: "%.0f", x) : Swift.abs(x) >= 1 ? String(format: "%.3g", x) : String(format: "%.2g", x)
}

/// Test images (rows "input") above the decoder's means at z = mu(x) of each model, in two halves.
func reconstructionsFigure(
    images: Tensor<Float>, reconstructions: [(name: String, means: Tensor<Float>)], dimension: Int
) -> Canvas {
    var pixels: [Float] = []
    var captions: [String] = []
    for half in 0..<2 {
        let range = (half * 10 * dimension)..<((half + 1) * 10 * dimension)
        pixels += Array(images.scalars[range])
        captions.append("input")
        for r in reconstructions {
            pixels += Array(r.means.scalars[range])
            captions.append(r.name)
        }
    }
    return imageGrid(
        pixels, shape: [pixels.count / dimension, 28, 28], columns: 10, rowCaptions: captions,
        title: "Reconstructions: test images, then decoder means at z = mu(x)")
}

/// `reconstructionsFigure` of each model's reconstructions: the decoder's Bernoulli means at
/// z = mu(x), the encoder's mean, of the test images [20, D].
func reconstructionsFigure(images: Tensor<Float>, models: [(name: String, vae: VAE<Float>)], dimension: Int) -> Canvas {
    let reconstructions = models.map { model in
        (model.name, withoutGradient { model.vae.decode(model.vae.encode(images).mean).sigmoid() })
    }
    return reconstructionsFigure(images: images, reconstructions: reconstructions, dimension: dimension)
}

/// 36 prior samples of each VAE, and, for comparison, 36 reconstructions: z ~ q(z|x) of training
/// images x decoded (not samples from the model), all as Bernoulli means (the first 36 rows of
/// each tensor).
func samplesFigure(small: Tensor<Float>, large: Tensor<Float>, aggregate: Tensor<Float>, largeName: String) -> Canvas {
    func grid(_ t: Tensor<Float>, _ title: String) -> Canvas {
        imageGrid(Array(t.scalars.prefix(36 * 784)), shape: [36, 28, 28], columns: 6, scale: 2, title: title)
    }
    return panel(
        [
            grid(small, "samples: z 2, z ~ N(0, I)"), grid(large, "samples: \(largeName), z ~ N(0, I)"),
            grid(aggregate, "not samples: \(largeName), q(z|x)"),
        ], title: "Prior samples, and training images through q(z|x) (decoder means)")
}

/// Interpolations between pairs of test images: decodes of the straight line z = (1 - t) mu(x_a)
/// + t mu(x_b) for each model, above the pixel-space blend (1 - t) x_a + t x_b; t = 0 ... 1 in
/// `steps` columns, headed by their t. `rows` holds, per pair, one [steps, 784] tensor per line
/// (model rows first).
func interpolationFigure(_ rows: [[Tensor<Float>]], captions: [String], steps: Int) -> Canvas {
    let pixels = rows.flatMap { $0.flatMap(\.scalars) }
    return imageGrid(
        pixels, shape: [pixels.count / 784, 28, 28], columns: steps, scale: 2,
        rowCaptions: rows.flatMap { _ in captions },
        title: "A straight line in z, decoded, against blending the pixels",
        columnCaptions: (0..<steps).map { "t \(fmt(Double($0) / Double(steps - 1), 2))" })
}

/// The 2-D VAE's decoder means on a side x side grid of z over [-3, 3]^2, z_1 to the right, z_2 up,
/// with the two axes named along the grid.
func latentManifoldFigure(_ means: Tensor<Float>, side: Int) -> Canvas {
    withAxisLabels(
        imageGrid(
            means.scalars, shape: [side * side, 28, 28], columns: side, scale: 2, padding: 1,
            title: "VAE z 2: decoder means on a grid of z in [-3, 3]^2 (z_1 right, z_2 up)"),
        xLabel: "z_1: -3 (left column) to 3 (right column), \(side) steps",
        yLabel: "z_2: -3 (bottom row) to 3 (top row), \(side) steps")
}

/// The encoder means of the test images in the 2-D latent space, coloured by digit: one unit of
/// z_1 as long as one of z_2 (equal aspect), the limits the whole units around every point, and
/// the legend beside the plot, where it hides no point.
func latentScatterFigure(x: [Double], y: [Double], labels: [Int]) -> Canvas {
    let finite = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
    let (xs, ys) = (finite.map(\.0), finite.map(\.1))
    let plot = scatterPlot(
        x: x, y: y, classes: labels, title: "VAE z 2: encoder means mu(x)\nof the \(x.count) test images",
        xLabel: "z_1", yLabel: "z_2", width: 720, height: 720,
        xRange: Foundation.floor(xs.min()!)...Foundation.ceil(xs.max()!),
        yRange: Foundation.floor(ys.min()!)...Foundation.ceil(ys.max()!), equalAspect: true)
    let legend = categoricalLegend(
        (0..<10).map { "digit \($0)" }, colors: Array(Color.categorical.prefix(10)), columns: 1)
    return panel([plot, legend])
}

/// The digits VAEs: the validation -ELBO per epoch in nats per image of the 17 levels (dequantised
/// and categorical models), and the Gaussian decoders' standard deviation per pixel, sorted, in
/// gray levels, against the dequantisation noise's own, 1/sqrt(12).
func digitsFigure(_ models: [DigitsVAEResult], runaway: DigitsVAEResult) -> Canvas {
    let curves = models.enumerated().map { i, r in
        Series(
            r.name, x: r.curves.log.at, y: r.curves.elbo(train: false).map { -$0 + r.offset },
            color: Color.categorical[i])
    }
    let gaussians = models.enumerated().filter { !$0.element.standardDeviations.isEmpty } + [(models.count, runaway)]
    // Short legend names: the model's name without "VAE, Gaussian " and " (z 16)".
    func short(_ name: String) -> String {
        name.replacingOccurrences(of: "VAE, Gaussian ", with: "").replacingOccurrences(of: " (z 16)", with: "")
    }
    var sds = gaussians.map { i, r in
        Series(
            short(r.name), x: (1...r.standardDeviations.count).map(Double.init), y: r.standardDeviations.sorted(),
            color: Color.categorical[i])
    }
    // The noise's line as 64 points, so that the legend's placement counts it as data to keep clear.
    sds.append(
        Series(
            "noise of dequantisation", x: (1...64).map(Double.init),
            y: [Double](repeating: 1 / 12.0.squareRoot(), count: 64), color: .black,
            style: .dashed))
    return panel(
        [
            linePlot(
                curves, title: "validation -ELBO per epoch", xLabel: "epoch", yLabel: "nats per image (17 levels)",
                width: 620, height: 480),
            linePlot(
                sds, title: "Gaussian decoders: sd per pixel at z = mu(x)", xLabel: "pixel, sorted by sd",
                yLabel: "sd (gray levels)",
                yScale: .log, width: 660, height: 480),
        ], title: "8x8 digits: categorical and Gaussian decoders")
}
