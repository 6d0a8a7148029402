// How chapter 4 states its numbers: each function reports one section's measurements, one
// `Chapter.report` per number and in the order the section measures them, and the rows of the
// results table that compare with chapters 1-3. main.swift says what each number means.

import Datasets
import Foundation
import Models
import Tensors
import Workbook

extension Chapter {
    /// Section 2's rows for one MNIST VAE: the test -ELBO and -IWAE-k for every k > 1 (the largest
    /// k with the draws per image and the seconds `evaluation` took), the ELBO's two terms, the
    /// validation -ELBO of the weights kept, and the training time. `reference` is a PyTorch run of
    /// the same nets (z 20): its -ELBO and -IWAE-1000.
    func reportBounds(
        _ name: String, _ vae: VAE<Float>, _ e: VAEEvaluation, training curves: ELBOCurves, evaluationSeconds: Double,
        sizes: Sizes, reference: (elbo: Double, iwae1000: Double)? = nil
    ) {
        let average = VAEEvaluation.average
        let kMax = sizes.ks.last!
        report(
            "mnist/test -ELBO/\(name)", -average(e.elbo), unit: "nats", reference: reference?.elbo,
            note: "\(vae.parameterCount) parameters; epoch \(curves.log.kept) kept"
                + (reference == nil ? "" : "; the reference is PyTorch's, z 20"))
        for k in sizes.ks where k > 1 {
            report(
                "mnist/test IWAE-\(k)/\(name)", -average(e.importanceWeighted[k]!),
                unit: "nats (an upper bound on -log p(x))",
                reference: k == 1000 ? reference?.iwae1000 : nil,
                note: k == kMax ? "\(sizes.evaluationSamples) draws per image, \(fmt(evaluationSeconds, 1)) s" : "")
        }
        report("mnist/test reconstruction -E_q[log p(x|z)]/\(name)", -average(e.reconstruction), unit: "nats")
        report("mnist/test KL(q||p(z))/\(name)", average(e.kl), unit: "nats")
        report("mnist/validation -ELBO/\(name)", -curves.bestValidationELBO, unit: "nats")
        report("mnist/train seconds/\(name)", curves.seconds, digits: 1, unit: "s", note: "\(sizes.epochs) epochs")
    }

    /// Section 3's rows for each encoder: the mean KL(q || p(z|x)) over the test points `xs` (with
    /// the mean log p(x) and ELBO it separates) and the worst |log p(x) - ELBO - KL|. Throws when
    /// that error reaches 1e-6, for then the formulas disagree. Returns the mean gaps, in order.
    func reportDecomposition(
        of model: LinearGaussianModel, encoders: [(name: String, density: ([Double]) -> GaussianDensity)],
        on xs: [[Double]]
    ) throws -> [Double] {
        var gaps: [Double] = []
        for (name, density) in encoders {
            let (means, worst) = model.decomposition(of: xs, q: density)
            gaps.append(means.kl)
            report(
                "linear-gaussian/KL(q||p(z|x))/\(name)", means.kl, digits: 6, unit: "nats",
                note: "mean log p(x) \(fmt(means.logP, 6)) = ELBO \(fmt(means.elbo, 6)) + KL")
            report("linear-gaussian/log p(x) - ELBO - KL, max abs error/\(name)", worst, unit: "nats")
            guard worst < 1e-6 else {
                throw WorkbookError("log p(x) = ELBO + KL failed for \(name) by \(worst) > 1e-6: the formulas disagree")
            }
        }
        return gaps
    }

    /// Section 4's rows: the means over the quadrature images of log p(x), of the rule's error
    /// bound, of IWAE-k for every k in `ks` and of KL(q || p(z|x)), and the worst error of
    /// log p(x) = ELBO + KL; with a line on the grids and one on the single IWAE estimates that
    /// land above log p(x). Throws when the identity fails by 1e-4 or more, or when a grid's border
    /// is less than 20 nats below its peak (the grid would not hold p(z|x)).
    func reportQuadrature(
        _ summary: QuadratureSummary, _ quadratures: [LatentQuadratureResult], seconds: Double, ks: [Int],
        model: String
    ) throws {
        let (count, kMax) = (quadratures.count, ks.last!)
        print(
            "quadrature of \(count) test images (VAE z 2) in \(fmt(seconds, 1)) s; grids of \(Set(quadratures.map(\.posteriorGrid.count)).sorted()) points per axis; border at most \(fmt(summary.worstBorder, 1)) nats below the peak"
        )
        report("mnist/quadrature log p(x), mean over quadrature images/\(model)", summary.logP, digits: 4, unit: "nats")
        report("mnist/quadrature rule error bound/\(model)", summary.ruleError, digits: 4, unit: "nats")
        for (k, v) in zip(ks, summary.iwaeMeans) {
            report("mnist/IWAE-\(k), mean over quadrature images/\(model)", v, digits: 4, unit: "nats")
        }
        report(
            "mnist/quadrature KL(q||p(z|x)), mean/\(model)", summary.klPosterior, digits: 4, unit: "nats",
            note:
                "log p(x) - ELBO = \(fmt(summary.logP - summary.elboQuadrature, 4)); ELBO by Monte Carlo \(fmt(summary.elboMonteCarlo, 4)), by quadrature \(fmt(summary.elboQuadrature, 4)) (KL(q||p(z)) by grid within \(String(format: "%.1e", summary.klGridVersusClosedForm)) of the closed form)"
        )
        report("mnist/quadrature log p(x) - ELBO - KL, max abs error/\(model)", summary.identityError, unit: "nats")
        print(
            "  IWAE-\(kMax) above log p(x) in \(summary.excess.filter { $0 > 0 }.count) of \(count) images, by at most \(fmt(summary.excess.max()!, 3)) nats (single estimates; their mean is \(fmt(-summary.excess.reduce(0, +) / Double(summary.excess.count), 3)) below)"
        )
        guard summary.identityError < 1e-4, summary.worstBorder < -20 else {
            throw WorkbookError(
                "quadrature check failed: |log p(x) - ELBO - KL| = \(summary.identityError) (should be < 1e-4), the grid's border \(summary.worstBorder) nats below the peak (should be < -20): the grid does not hold p(z|x); this is a bug, please report it with the seed"
            )
        }
    }

    /// Section 5's rows: every estimator's total variance at every S, with its ratio to the
    /// reparameterized estimator's at the same S and its mean +- standard error per component; and
    /// the worst distance of a mean from the reference, in standard errors.
    func reportGradientEstimators(_ stats: [GradientStats], reference: [Double], row: Int, repeats: Int) {
        print(
            "gradient of E_q[log p(x|z)] for test image \(row), \(repeats) estimates each; reference d/dmu, d/dsigma: \(reference.map { fmt($0, 2) })"
        )
        for s in stats {
            let reparameterized = stats.first { $0.estimator == .reparameterization && $0.samples == s.samples }!
            report(
                "mnist/gradient variance, sum over mu and sigma/\(s.estimator.name), S \(s.samples)",
                s.totalVariance,
                note: String(
                    format: "%.1e x reparameterization; mean ", s.totalVariance / reparameterized.totalVariance)
                    + zip(s.mean, s.standardError).map { "\(fmt($0, 1)) +- \(fmt($1, 1))" }.joined(separator: ", "))
        }
        report(
            "mnist/gradient estimators, worst distance of a mean from the reference in standard errors/all",
            stats.map { $0.standardErrorsFrom(reference) }.max()!)
    }

    /// Section 6's rows for each MNIST VAE in turn: the median time to sample 100 images in one
    /// batch, per image, and to sample one image alone (3 and 5 repeats with --quick, else 11 and 51).
    func reportSamplingTimes(_ models: [(name: String, vae: VAE<Float>)], quick: Bool, using rng: inout Random) {
        for (name, vae) in models {
            report(
                "mnist/sampling ms per image/\(name)",
                medianMilliseconds(quick ? 3 : 11) { _ = vae.sample(count: 100, using: &rng) } / 100,
                digits: 4, unit: "ms", note: "in a batch of 100; 1 decoder pass")
            report(
                "mnist/sampling ms for one image/\(name)",
                medianMilliseconds(quick ? 5 : 51) { _ = vae.sample(count: 1, using: &rng) }, digits: 3, unit: "ms")
        }
    }

    /// Where 10,000 prior draws land among the test codes (x, y) of the 2-D VAE (see `priorShares`):
    /// the share nearest a code of digit 0, beside the share of zeros among the test images, and the
    /// share farther than 0.5 from every code.
    func reportPriorShares(codesX: [Double], codesY: [Double], labels: [Int], model: String, using rng: inout Random) {
        let shares = priorShares(
            codesX: codesX, codesY: codesY, labels: labels, draws: 10_000, radius: 0.5, using: &rng)
        report(
            "mnist/prior draws nearest a code of digit 0, fraction/\(model)", shares.perLabel[0], digits: 3,
            note:
                "\(fmt(Double(labels.filter { $0 == 0 }.count) / Double(labels.count), 3)) of the test images are zeros"
        )
        report("mnist/prior draws farther than 0.5 from every test code, fraction/\(model)", shares.far, digits: 3)
    }

    /// Section 8's rows for one digits VAE: the test -ELBO (with the last epoch's training -ELBO,
    /// the epoch kept and the training time) and -IWAE-k for every k > 1 in `ks`, in nats per image
    /// of the 17 levels, and the smallest decoder sd of a Gaussian decoder. `reference` is a
    /// PyTorch run's -ELBO and -IWAE-1000.
    func reportDigitsBounds(_ r: DigitsVAEResult, ks: [Int], reference: (elbo: Double, iwae1000: Double)? = nil) {
        report(
            "digits/test -ELBO/\(r.name)", r.negativeELBO, unit: "nats", reference: reference?.elbo,
            note:
                "train \(fmt(r.lastTrainingNegativeELBO)) in the last epoch; epoch \(r.curves.log.kept) kept; \(fmt(r.seconds, 1)) s"
        )
        for k in ks where k > 1 {
            report(
                "digits/test IWAE-\(k)/\(r.name)", r.negativeIWAE(k), unit: "nats",
                reference: k == 1000 ? reference?.iwae1000 : nil)
        }
        if let sd = r.standardDeviations.min() {
            report("digits/smallest decoder sd, gray levels/\(r.name)", sd, digits: 3)
        }
    }
}

/// Rows of the results table for the scoreboard of section 2: uniform pixels (D ln 2 nats for D
/// binary pixels), then the earlier chapters' exact test NLLs on MNIST-5k (read from their saved
/// metrics), most first, or a note that they have not run in this figures folder.
func addNLLScoreboardRows(to chapter: Chapter, dimension: Int) {
    chapter.results.add(
        "mnist: uniform (784 ln 2)", ["test exact NLL": fmt(Likelihood.uniformNats(dimensions: dimension, levels: 2))])
    for n in 1...3 {
        guard let earlier = chapter.metrics(ofChapter: n) else {
            print(
                "Chapter \(n)'s results are not in \(chapter.figures.path)/results (run chapter \(n) with the same --figures and --quick to compare)."
            )
            continue
        }
        let prefix = "mnist/test NLL/"
        let rows = earlier.filter { $0.key.hasPrefix(prefix) && $0.key != prefix + "uniform" }.sorted {
            $0.value > $1.value
        }
        if rows.isEmpty {
            print(
                "Chapter \(n) recorded no MNIST-5k test NLL (its models are timed on MNIST, or trained on other data).")
        }
        for (key, nats) in rows {
            chapter.results.add("mnist: \(key.dropFirst(prefix.count)) (chapter \(n))", ["test exact NLL": fmt(nats)])
        }
    }
}

/// Rows of the results table for the earlier chapters' MNIST sampling times: per image in a batch
/// where the chapter measured one, else for one image alone.
func addEarlierSamplingRows(to chapter: Chapter, dimension: Int) {
    for n in 1...3 {
        guard let earlier = chapter.metrics(ofChapter: n) else {
            print(
                "Chapter \(n)'s sampling times are not in \(chapter.figures.path)/results (run it with the same --figures and --quick)."
            )
            continue
        }
        var times: [String: (batch: Double?, one: Double?)] = [:]
        for (key, ms) in earlier {
            guard let name = MetricName(key), name.data == "mnist" else { continue }
            if name.measure == "sampling ms per image" { times[name.model, default: (nil, nil)].batch = ms }
            if name.measure == "sampling ms for one image" { times[name.model, default: (nil, nil)].one = ms }
        }
        for (model, t) in times.sorted(by: { $0.key < $1.key }) {
            chapter.results.add(
                "mnist: \(model) (chapter \(n), \(dimension) network passes)",
                [
                    "sampling ms per image": t.batch.map { fmt($0, 3) } ?? "-",
                    "sampling ms for one image": t.one.map { fmt($0, 3) } ?? "-",
                ])
        }
    }
}
