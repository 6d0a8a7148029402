// The measurements of chapter 4 other than a VAE's training, and what they are made of: the
// linear-Gaussian problem and its encoders (section 3), the quadrature summary (section 4), the
// spread of the gradient estimators and the function they differentiate (section 5), where the
// prior's draws land (the figures), the lines in z (section 7), and which test images are used.

import Datasets
import Foundation
import Models
import Tensors
import Workbook

extension Chapter {
    /// Trains a linear-Gaussian encoder q(z|x) = N(A^T x + b, L L^T) of the given family on the
    /// one-sample reparameterized ELBO of `model`: Adam on batches of 100 drawn from the rows of
    /// `data` (reshuffled when an epoch runs out), the learning rate falling geometrically from
    /// 1e-2 to 1e-4 over `steps` steps. Returns the encoder and the seconds it took.
    func trainLinearGaussianEncoder(
        _ family: LinearGaussianEncoder<Float>.Family, model: LinearGaussianModel, data: Tensor<Float>, steps: Int,
        using rng: inout Random
    ) throws -> (LinearGaussianEncoder<Float>, Double) {
        let encoder = LinearGaussianEncoder<Float>(dataDimension: 6, latentDimension: 2, family: family, using: &rng)
        let adam = Adam<Float>(learningRate: 1e-2)
        let seconds = try timed {
            var batches = ShuffledBatches(count: data.shape[0], batchSize: 100, using: &rng)
            for step in 1...steps {
                let t = Double(step - 1) / Double(steps - 1)
                adam.learningRate = Float(1e-2 * Foundation.pow(1e-2, t))
                var next = batches.next()
                if next == nil {
                    batches = ShuffledBatches(count: data.shape[0], batchSize: 100, using: &rng)
                    next = batches.next()
                }
                let rows = next!
                let x = data.gatheringRows(rows)
                let noise = Tensor<Float>.normal([rows.count, 2], using: &rng)
                let (loss, grads) = valueAndGradient(of: encoder.parameters) {
                    -encoder.elboEstimate(x, noise: noise, model: model).mean()
                }
                try checkFinite(loss.item, step: step, model: "the linear-Gaussian \(family.rawValue) encoder")
                adam.update(encoder.parameters, with: grads)
            }
        }.seconds
        return (encoder, seconds)
    }
}

/// The spread of one gradient estimator at one sample count S over many repeats.
struct GradientStats {
    let estimator: GaussianGradientEstimator
    let samples: Int
    /// Mean and variance over the repeats of each component (d/dmu_1, d/dmu_2, d/dsigma_1, d/dsigma_2).
    let mean: [Double]
    let variance: [Double]
    let standardError: [Double]
    /// The estimates of d/dmu_1, one per repeat.
    let firstComponent: [Double]
    var totalVariance: Double { variance.reduce(0, +) }

    /// How far the mean of the estimates is from a reference, in standard errors (the worst of the
    /// four components).
    func standardErrorsFrom(_ reference: [Double]) -> Double {
        (0..<4).map { Swift.abs(mean[$0] - reference[$0]) / Swift.max(standardError[$0], 1e-12) }.max()!
    }
}

/// The pixel-space blend (1 - t) a + t b of two images [1, D] at `steps` evenly spaced t from 0 to
/// 1: [steps, D].
func pixelBlend(_ a: Tensor<Float>, _ b: Tensor<Float>, steps: Int) -> Tensor<Float> {
    let blend = (0..<steps).flatMap { s -> [Float] in
        let t = Float(s) / Float(steps - 1)
        return zip(a.scalars, b.scalars).map { (1 - t) * $0 + t * $1 }
    }
    return Tensor(shape: [steps, a.count], scalars: blend)
}

/// Every estimator at every S in `sampleCounts` (the baseline needs S >= 2), each drawn `repeats`
/// times with fresh noise eps ~ N(0, I) [S, 2], of the gradient of E_{N(mean, std^2)}[f(z)].
func measureGradientEstimators(
    of f: (Tensor<Float>) -> Tensor<Float>, mean: [Double], std: [Double], sampleCounts: [Int], repeats: Int,
    using rng: inout Random
) -> [GradientStats] {
    var result: [GradientStats] = []
    for s in sampleCounts {
        for estimator in GaussianGradientEstimator.allCases where !(estimator == .scoreFunctionWithBaseline && s < 2) {
            var estimates: [[Double]] = []
            for _ in 0..<repeats {
                let g = estimator.estimate(of: f, mean: mean, std: std, noise: .normal([s, 2], using: &rng))
                estimates.append(g.mean + g.std)
            }
            let r = Double(repeats)
            let average = (0..<4).map { c in estimates.reduce(0) { $0 + $1[c] } / r }
            let variance = (0..<4).map { c in
                estimates.reduce(0) { $0 + ($1[c] - average[c]) * ($1[c] - average[c]) } / (r - 1)
            }
            result.append(
                GradientStats(
                    estimator: estimator, samples: s, mean: average, variance: variance,
                    standardError: variance.map { ($0 / r).squareRoot() },
                    firstComponent: estimates.map { $0[0] }))
        }
    }
    return result
}

/// The means over the quadrature images of what section 4 compares: log p(x) and KL(q || p(z|x))
/// on the grids, the ELBO both ways, E[IWAE-k] of the same images, and the checks (the identity's
/// worst error, the rule's error bound, the grid border's drop below the peak).
struct QuadratureSummary {
    let logP: Double, klPosterior: Double, elboQuadrature: Double, elboMonteCarlo: Double
    let identityError: Double, ruleError: Double, worstBorder: Double, klGridVersusClosedForm: Double
    let iwaeMeans: [Double]
    /// IWAE-kMax - log p(x) per image: a single estimate may land above log p(x).
    let excess: [Double]

    init(rows: [Int], results: [LatentQuadratureResult], evaluation e: VAEEvaluation, ks: [Int]) {
        let pairs = Array(zip(rows, results))
        func meanOver(_ f: (Int, LatentQuadratureResult) -> Double) -> Double {
            pairs.reduce(0) { $0 + f($1.0, $1.1) } / Double(pairs.count)
        }
        logP = meanOver { _, r in r.logMarginal }
        klPosterior = meanOver { _, r in r.klToPosterior }
        elboQuadrature = meanOver { row, r in r.elbo(closedFormKL: e.kl[row]) }
        elboMonteCarlo = meanOver { row, _ in e.elbo[row] }
        identityError = pairs.map { row, r in
            Swift.abs(r.logMarginal - r.elbo(closedFormKL: e.kl[row]) - r.klToPosterior)
        }.max()!
        ruleError = results.map { Swift.abs($0.logMarginal - $0.logMarginalAtDoubleSpacing) }.max()!
        worstBorder = results.map(\.borderDrop).max()!
        klGridVersusClosedForm = pairs.map { row, r in Swift.abs(r.klToPrior - e.kl[row]) }.max()!
        iwaeMeans = ks.map { k in meanOver { row, _ in e.importanceWeighted[k]![row] } }
        excess = pairs.map { row, r in e.importanceWeighted[ks.last!]![row] - r.logMarginal }
    }
}

/// The linear-Gaussian model of section 3 (z ~ N(0, I_2), x = W z + mu + noise, noise ~ N(0, 0.5^2 I_6),
/// W and mu drawn from N(0, 1), the second column of W mostly a copy of the first,
/// w_2 = 0.8 w_1 + 0.6 w_2'), with 2000 training samples of x ([N, 6]) and 500 test samples, one
/// array of 6 numbers each.
func linearGaussianProblem(using rng: inout Random) -> (
    model: LinearGaussianModel, train: Tensor<Float>, test: [[Double]]
) {
    var w = (0..<12).map { _ in rng.normal() }
    for i in 0..<6 { w[2 * i + 1] = 0.8 * w[2 * i] + 0.6 * w[2 * i + 1] }
    let mu = (0..<6).map { _ in rng.normal() }
    let model = LinearGaussianModel(loadings: w, dataDimension: 6, latentDimension: 2, mean: mu, noiseVariance: 0.25)
    let train = model.samples(2000, using: &rng).x
    let test = model.samples(500, using: &rng).x
    return (model, train, (0..<test.shape[0]).map { n in (0..<6).map { Double(test.scalars[n * 6 + $0]) } })
}

extension LinearGaussianModel {
    /// The means over `xs` of log p(x), the ELBO of q and KL(q || p(z|x)), each from its own formula,
    /// and the largest |log p(x) - ELBO - KL| over the xs.
    func decomposition(of xs: [[Double]], q density: ([Double]) -> GaussianDensity) -> (
        means: (logP: Double, elbo: Double, kl: Double), worst: Double
    ) {
        var sums = (logP: 0.0, elbo: 0.0, kl: 0.0)
        var worst = 0.0
        for x in xs {
            let q = density(x)
            let logP = logMarginal(x)
            let elbo = self.elbo(x, q: q).elbo
            let kl = q.kl(to: exactPosterior(x))
            sums = (sums.logP + logP, sums.elbo + elbo, sums.kl + kl)
            worst = Swift.max(worst, Swift.abs(logP - elbo - kl))
        }
        let n = Double(xs.count)
        return ((sums.logP / n, sums.elbo / n, sums.kl / n), worst)
    }
}

/// The best mean-field q for a Gaussian posterior N(m, Sigma): the same mean, variances
/// 1 / (Sigma^-1)_kk, the diagonal Gaussian closest to the posterior in KL(q || p). (Sigma does not
/// depend on x; it is read at x = the model's mean.)
func bestMeanFieldEncoder(_ exact: LinearGaussianEncoder<Double>, model: LinearGaussianModel) -> LinearGaussianEncoder<
    Double
> {
    let precision = Cholesky(exact.density(for: model.mean).covariance, n: 2)!.inverse()
    let l = [1 / precision[0].squareRoot(), 0, 0, 1 / precision[3].squareRoot()]
    return LinearGaussianEncoder(
        weight: exact.weight.value.scalars, bias: exact.bias.value.scalars, scale: l, dataDimension: 6,
        latentDimension: 2,
        family: .diagonal)
}

/// Where the prior's draws land among the encoder's codes of a 2-D VAE: each of `draws` z ~ N(0, I)
/// takes the label of the nearest code (x[n], y[n]) of a labelled image. Returns the share of the
/// draws per label and the share farther than `radius` from every code (where no image's code
/// lies, so the decoder was never trained there).
func priorShares(codesX: [Double], codesY: [Double], labels: [Int], draws: Int, radius: Double, using rng: inout Random)
    -> (
        perLabel: [Double], far: Double
    )
{
    var counts = [Double](repeating: 0, count: (labels.max() ?? 0) + 1)
    var far = 0.0
    for _ in 0..<draws {
        let (a, b) = (rng.normal(), rng.normal())
        var best = (distance: Double.infinity, label: 0)
        for n in codesX.indices {
            let d = (codesX[n] - a) * (codesX[n] - a) + (codesY[n] - b) * (codesY[n] - b)
            if d < best.distance { best = (d, labels[n]) }
        }
        counts[best.label] += 1
        if best.distance > radius * radius { far += 1 }
    }
    return (counts.map { $0 / Double(draws) }, far / Double(draws))
}

/// A side x side grid of points z over [-h, h]^2 as [side^2, 2], in reading order: rows from
/// z_2 = h down to -h, each row from z_1 = -h to h.
func squareGrid(side: Int, halfWidth h: Double) -> Tensor<Float> {
    let axis = (0..<side).map { -h + 2 * h * Double($0) / Double(side - 1) }
    return Tensor(
        shape: [side * side, 2],
        scalars: (0..<side).reversed().flatMap { r in axis.flatMap { [Float($0), Float(axis[r])] } })
}

/// The indices of `count` images of each digit 0-9 in `labels`, after skipping the first
/// `skipping` of each digit: digit 0's first, then digit 1's, and so on.
func rowsPerDigit(_ labels: [Int], skipping: Int = 0, count: Int) -> [Int] {
    (0..<10).flatMap { digit in labels.indices.filter { labels[$0] == digit }.dropFirst(skipping).prefix(count) }
}

extension VAEEvaluation {
    /// The encoder's q(z|x) = N(mean, diag std^2) of image `row` of a 2-D latent space, as two arrays of 2.
    func encoderGaussian(ofRow row: Int) -> (mean: [Double], std: [Double]) {
        (
            Array(means[(2 * row)..<(2 * row + 2)]),
            logVariances[(2 * row)..<(2 * row + 2)].map { Foundation.exp(0.5 * $0) }
        )
    }
}

/// For each pair of digits (a, b), the straight line from the first test image of a to the first of
/// b, decoded by each of `models` (`VAE.interpolation`), then the pixel blend: one [steps, D] tensor
/// per model and one for the blend, per pair.
func interpolations(
    between pairs: [(Int, Int)], of test: Tensor<Float>, labels: [Int], models: [VAE<Float>], steps: Int
) -> [[Tensor<Float>]] {
    pairs.map { a, b in
        let (xa, xb) = (
            test.gatheringRows([labels.firstIndex(of: a)!]), test.gatheringRows([labels.firstIndex(of: b)!])
        )
        return models.map { $0.interpolation(from: xa, to: xb, steps: steps) } + [pixelBlend(xa, xb, steps: steps)]
    }
}

extension VAE where Scalar == Float {
    /// f(z) = log p(x|z) of one image x [1, D] under this VAE's Bernoulli decoder, for a batch of
    /// latent points z [S, K]: [S].
    func logLikelihood(of image: Tensor<Float>) -> (Tensor<Float>) -> Tensor<Float> {
        { z in
            VAE.bernoulliLogLikelihood(
                logits: self.decode(z), images: image.broadcasted(to: [z.shape[0], self.dataSize]))
        }
    }
}
