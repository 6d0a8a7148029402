import Foundation
import Tensors
import Testing

@testable import Datasets

/// The synthetic sets' log-probabilities are exact: they must sum or integrate to 1, and agree with
/// sampling and with Bayes' rule.
@Suite struct SyntheticTests {
    // MARK: Bars and stripes

    @Test(arguments: 1...5)
    func barsAndStripesCountAndEntropy(n: Int) {
        let bs = BarsAndStripes(size: n)
        #expect(bs.patternCount == (1 << (n + 1)) - 2)
        #expect(Set(bs.patterns).count == bs.patternCount)  // distinct
        expectClose(bs.entropy, log(Double((1 << (n + 1)) - 2)), tolerance: 1e-12)
        // Enumerating every binary n x n image: the probabilities sum to 1 and the entropy is
        // -sum p log p, the same number.
        guard n <= 4 else { return }
        var total = 0.0
        var entropy = 0.0
        var members = 0
        for code in 0..<(1 << (n * n)) {
            let x = (0..<n * n).map { UInt8(code >> $0 & 1) }
            let lp = bs.logProbability(x)
            if lp > -.infinity {
                members += 1
                total += exp(lp)
                entropy -= exp(lp) * lp
            }
        }
        #expect(members == bs.patternCount)
        expectClose(total, 1, tolerance: 1e-12)
        expectClose(entropy, bs.entropy, tolerance: 1e-12)
    }

    @Test func barsAndStripesSamplesAreUniformPatterns() {
        let bs = BarsAndStripes(size: 4)
        #expect(bs.entropy.isApproximatelyEqual(to: log(30)))
        var rng = Random(seed: 5)
        let samples = bs.sample(count: 30_000, using: &rng)
        var counts = [Int](repeating: 0, count: 30)
        for n in 0..<samples.count {
            #expect(Array(samples.image(n)) == bs.patterns[samples.labels[n]])
            counts[samples.labels[n]] += 1
        }
        // 1000 expected each, standard deviation ~31: all within 5 sigma, including empty and full.
        #expect(counts.allSatisfy { abs($0 - 1000) < 160 }, "\(counts)")
        #expect(bs.all.count == 30 && bs.all.levels == 2)
        #expect(!bs.contains([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
    }

    // MARK: Teacher

    @Test func teacherProbabilitiesSumToOneOverAll4096Images() {
        var rng = Random(seed: 11)
        let teacher = TeacherAutoregressive(height: 3, width: 4, using: &rng)
        var total = 0.0
        var entropy = 0.0
        for code in 0..<4096 {
            let lp = teacher.logProbability((0..<12).map { UInt8(code >> $0 & 1) })
            total += exp(lp)
            entropy -= exp(lp) * lp
        }
        expectClose(total, 1, tolerance: 1e-12, "sum of p(x)")
        // The Monte-Carlo entropy estimate agrees with the exact one within 4 standard errors.
        let (estimate, se) = teacher.entropyEstimate(samples: 4000, using: &rng)
        expectClose(estimate, entropy, tolerance: 4 * se, "entropy estimate")
        #expect(entropy > 1 && entropy < 12 * log(2))
    }

    @Test func teacherLogProbabilityIsTheSumOfItsConditionals() {
        // Hand-made 1 x 3 teacher: a_1 = 0.5, a_2 = -1 + 2 x_1, a_3 = 0.3 - x_1 + 0.7 x_2.
        let t = TeacherAutoregressive(height: 1, width: 3, weights: [[], [2], [-1, 0.7]], biases: [0.5, -1, 0.3])
        let s = { (a: Double) in 1 / (1 + exp(-a)) }
        let x: [UInt8] = [1, 0, 1]
        #expect(t.conditionals(x).map { $0 - 0 } == [s(0.5), s(1), s(-0.7)])
        expectClose(t.logProbability(x), log(s(0.5)) + log(1 - s(1)) + log(s(-0.7)), tolerance: 1e-14)
        // Tensor input: [N, 1, H, W] with 0/1 floats gives the same numbers.
        let images = Tensor<Float>(shape: [2, 1, 1, 3], scalars: [1, 0, 1, 0, 0, 0])
        let lps = t.logProbabilities(images)
        expectClose(lps[0], t.logProbability(x), tolerance: 1e-14)
        expectClose(lps[1], t.logProbability([0, 0, 0] as [UInt8]), tolerance: 1e-14)
    }

    @Test func teacherSamplesFollowItsProbabilities() {
        // 2 x 2: 16 images; sample frequencies against exact probabilities, within 5 sigma each.
        var rng = Random(seed: 2)
        let teacher = TeacherAutoregressive(height: 2, width: 2, using: &rng)
        let n = 40_000
        let samples = teacher.sample(count: n, using: &rng)
        var counts = [Int](repeating: 0, count: 16)
        for i in 0..<n {
            counts[samples.image(i).enumerated().reduce(0) { $0 | Int($1.element) << $1.offset }] += 1
        }
        for code in 0..<16 {
            let p = exp(teacher.logProbability((0..<4).map { UInt8(code >> $0 & 1) }))
            let sigma = (p * (1 - p) / Double(n)).squareRoot()
            expectClose(Double(counts[code]) / Double(n), p, tolerance: 5 * sigma + 1e-4, "frequency of image \(code)")
        }
        // The same seed gives the same teacher and samples.
        var again = Random(seed: 2)
        let twin = TeacherAutoregressive(height: 2, width: 2, using: &again)
        #expect(twin.weights == teacher.weights && twin.sample(count: n, using: &again) == samples)
    }

    // MARK: Gaussian mixtures

    @Test func mixture1DIntegratesToOneAndSamplesMatch() {
        let m = GaussianMixture1D(weights: [1, 3], means: [-2, 1.5], standardDeviations: [0.5, 0.8])
        #expect(m.weights == [0.25, 0.75])
        // Midpoint rule on [-10, 10], step 0.001.
        let h = 0.001
        let integral = (0..<20_000).reduce(0.0) { $0 + m.density(-10 + (Double($1) + 0.5) * h) } * h
        expectClose(integral, 1, tolerance: 1e-9, "integral of p")
        // Mean 0.25 * -2 + 0.75 * 1.5 = 0.625.
        var rng = Random(seed: 9)
        let xs = m.samples(20_000, using: &rng)
        #expect(xs.shape == [20_000, 1])
        let mean = xs.scalars.reduce(0) { $0 + Double($1) } / 20_000
        expectClose(mean, 0.625, tolerance: 0.05, "sample mean")
        // log-sum-exp keeps far tails finite.
        #expect(m.logDensity(60).isFinite)
    }

    @Test(arguments: [
        ("ring", GaussianMixture2D.ring(count: 8, radius: 2, standardDeviation: 0.1)),
        ("grid", GaussianMixture2D.grid(side: 3, spacing: 1.5, standardDeviation: 0.15)),
        (
            "correlated",
            GaussianMixture2D(
                weights: [2, 1],
                components: [
                    Gaussian2D(mean: [0.5, -0.5], varianceX: 0.3, covarianceXY: 0.2, varianceY: 0.25),
                    Gaussian2D(mean: [-1, 1], varianceX: 0.1, covarianceXY: -0.05, varianceY: 0.4),
                ])
        ),
    ])
    func mixture2DIntegratesToOne(name: String, m: GaussianMixture2D) {
        // Midpoint rule on [-4, 4]^2, step 0.04: for a Gaussian of standard deviation s its error is
        // about 2 exp(-2 pi^2 s^2 / h^2), below 1e-50 for s >= 0.1.
        let h = 0.04
        var integral = 0.0
        for i in 0..<200 {
            for j in 0..<200 {
                integral += m.density([-4 + (Double(i) + 0.5) * h, -4 + (Double(j) + 0.5) * h])
            }
        }
        expectClose(integral * h * h, 1, tolerance: 1e-6, "\(name): integral of p")
    }

    @Test func ringAndGridDefaults() {
        let ring = GaussianMixture2D.ring()
        #expect(ring.components.count == 8 && ring.weights.allSatisfy { $0 == 0.125 })
        #expect(ring.components.allSatisfy { abs(($0.mean * $0.mean).sum().squareRoot() - 2) < 1e-12 })
        #expect(ring.components.allSatisfy { $0.varianceX == 0.02 * 0.02 && $0.covarianceXY == 0 })
        let grid = GaussianMixture2D.grid()
        #expect(grid.components.count == 25 && Set(grid.components.map { $0.mean.x }) == [-4, -2, 0, 2, 4])
        // Samples land near a mode: within 5 standard deviations of the circle.
        var rng = Random(seed: 4)
        let points = ring.samples(1000, using: &rng)
        #expect(points.shape == [1000, 2])
        for i in 0..<1000 {
            let r = (Double(points[i, 0]) * Double(points[i, 0]) + Double(points[i, 1]) * Double(points[i, 1]))
                .squareRoot()
            #expect(abs(r - 2) < 0.1)
        }
    }

    @Test func gaussian2DSamplesHaveItsCovariance() {
        let g = Gaussian2D(mean: [1, -2], varianceX: 0.5, covarianceXY: 0.3, varianceY: 0.4)
        var rng = Random(seed: 8)
        let n = 40_000
        let points = (0..<n).map { _ in g.sample(using: &rng) }
        let mean = points.reduce(SIMD2<Double>(0, 0), +) / Double(n)
        let d = points.map { $0 - mean }
        let cov = (
            d.reduce(0) { $0 + $1.x * $1.x } / Double(n), d.reduce(0) { $0 + $1.x * $1.y } / Double(n),
            d.reduce(0) { $0 + $1.y * $1.y } / Double(n)
        )
        expectClose(mean.x, 1, tolerance: 0.02)
        expectClose(mean.y, -2, tolerance: 0.02)
        expectClose(cov.0, 0.5, tolerance: 0.02)
        expectClose(cov.1, 0.3, tolerance: 0.02)
        expectClose(cov.2, 0.4, tolerance: 0.02)
    }

    // MARK: Cholesky and the linear-Gaussian model

    @Test func choleskyOfAKnownMatrix() {
        // A = L L^T with L = [[2, 0, 0], [1, 3, 0], [-1, 2, 1]].
        let a: [Double] = [4, 2, -2, 2, 10, 5, -2, 5, 6]
        let c = Cholesky(a, n: 3)!
        #expect(c.lower == [2, 0, 0, 1, 3, 0, -1, 2, 1])
        expectClose(c.logDeterminant, log(36), tolerance: 1e-12)
        let x = c.solve([1, 2, 3])
        for i in 0..<3 {
            expectClose((0..<3).reduce(0) { $0 + a[i * 3 + $1] * x[$1] }, Double(i + 1), tolerance: 1e-12)
        }
        let inv = c.inverse()
        for i in 0..<3 {
            for j in 0..<3 {
                expectClose(
                    (0..<3).reduce(0) { $0 + a[i * 3 + $1] * inv[$1 * 3 + j] }, i == j ? 1 : 0, tolerance: 1e-12)
            }
        }
        #expect(Cholesky([1, 2, 2, 1], n: 2) == nil)  // indefinite
    }

    @Test func pPCAMarginalMatchesMonteCarlo() {
        // p(x) = E_{z ~ N(0, I)} p(x | z): the average of the likelihood over prior draws.
        var rng = Random(seed: 21)
        let model = LinearGaussianModel(dataDimension: 3, latentDimension: 2, noiseStandardDeviation: 1, using: &rng)
        let x = model.samples(1, using: &rng).x.scalars.map(Double.init)
        let n = 40_000
        let likelihoods = (0..<n).map { _ in exp(model.logLikelihood(x, given: [rng.normal(), rng.normal()])) }
        let mean = likelihoods.reduce(0, +) / Double(n)
        let se = (likelihoods.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
        let exact = exp(model.logMarginal(x))
        #expect(se / exact < 0.02, "the estimate must be precise enough to mean something")
        expectClose(mean, exact, tolerance: 4 * se, "Monte-Carlo p(x)")
    }

    @Test func pPCAMarginalCovarianceIsWWTPlusNoise() {
        var rng = Random(seed: 22)
        let model = LinearGaussianModel(dataDimension: 4, latentDimension: 2, noiseStandardDeviation: 0.3, using: &rng)
        let (xs, zs) = model.samples(20_000, using: &rng)
        #expect(xs.shape == [20_000, 4] && zs.shape == [20_000, 2])
        // Sample covariance of x against C, entry by entry, within 5 standard errors: for Gaussian x
        // the estimate of C_ij has variance (C_ii C_jj + C_ij^2) / n.
        let x = (0..<20_000).map { n in (0..<4).map { Double(xs[n, $0]) } }
        let c = model.marginalCovariance
        for i in 0..<4 {
            for j in 0..<4 {
                let cov = x.reduce(0) { $0 + ($1[i] - model.mean[i]) * ($1[j] - model.mean[j]) } / 20_000
                let se = ((c[i * 4 + i] * c[j * 4 + j] + c[i * 4 + j] * c[i * 4 + j]) / 20_000).squareRoot()
                expectClose(cov, c[i * 4 + j], tolerance: 5 * se, "C[\(i), \(j)]")
            }
        }
    }

    @Test func pPCAPosteriorIsBayesRule() {
        // log p(z | x) = log p(x | z) + log p(z) - log p(x) at any z.
        var rng = Random(seed: 23)
        let model = LinearGaussianModel(dataDimension: 4, latentDimension: 2, noiseStandardDeviation: 0.5, using: &rng)
        let x = model.samples(1, using: &rng).x.scalars.map(Double.init)
        for _ in 0..<10 {
            let z = [2 * rng.normal(), 2 * rng.normal()]
            let bayes = model.logLikelihood(x, given: z) + model.logPrior(z) - model.logMarginal(x)
            expectClose(model.logPosterior(z, given: x), bayes, tolerance: 1e-9, "log p(z | x)")
        }
    }

    @Test func pPCAPosteriorMomentsByQuadrature() {
        // K = 1: integrate p(x | z) p(z) over a fine grid of z. Its total is p(x), and the
        // normalised first and second moments are the posterior mean and variance.
        var rng = Random(seed: 24)
        let model = LinearGaussianModel(dataDimension: 3, latentDimension: 1, noiseStandardDeviation: 0.7, using: &rng)
        let x = model.samples(1, using: &rng).x.scalars.map(Double.init)
        let h = 0.001
        var (m0, m1, m2) = (0.0, 0.0, 0.0)
        for i in 0..<16_000 {
            let z = -8 + (Double(i) + 0.5) * h
            let w = exp(model.logLikelihood(x, given: [z]) + model.logPrior([z])) * h
            m0 += w
            m1 += w * z
            m2 += w * z * z
        }
        let (mean, covariance) = model.posterior(x)
        expectClose(log(m0), model.logMarginal(x), tolerance: 1e-8, "log p(x)")
        expectClose(m1 / m0, mean[0], tolerance: 1e-8, "posterior mean")
        expectClose(m2 / m0 - (m1 / m0) * (m1 / m0), covariance[0], tolerance: 1e-8, "posterior variance")
    }
}

extension Double {
    fileprivate func isApproximatelyEqual(to other: Double) -> Bool {
        abs(self - other) <= 1e-12 * Swift.max(1, abs(other))
    }
}
