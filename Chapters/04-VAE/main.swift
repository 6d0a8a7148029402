// Chapter 4: Variational autoencoders.
//
// Chapters 1-3 wrote p(x) as a product of conditionals over pixels. A latent-variable model
// explains an image by a short code z instead: z ~ p(z) = N(0, I), then x ~ p(x|z), a decoder
// network that outputs one Bernoulli probability per pixel, all pixels independent given z.
// Its likelihood p(x) = integral of p(x|z) p(z) dz has no closed form. The lecture brings in an
// encoder q(z|x), any distribution over z chosen per image, and splits log p(x) exactly:
//
//     log p(x) = E_z[log p(x|z)] - KL(q(z|x) || p(z)) + KL(q(z|x) || p(z|x))        (z ~ q(z|x))
//
// The last term is a KL divergence, >= 0, and needs the unknown posterior p(z|x); the first two
// are the evidence lower bound, ELBO <= log p(x), which we maximise in the decoder's and the
// encoder's weights together: the better q matches p(z|x), the tighter the bound. The first
// term needs samples z ~ q(z|x), and backpropagation cannot pass through "draw a sample". The
// reparameterization trick draws the noise first and makes z a differentiable function of the
// encoder's outputs:
//
//     z = mu + sigma * eps,   eps ~ N(0, I),   so  dz/dmu = 1,  dz/dsigma = eps.
//
// This chapter
//   1. trains two VAEs on binarised MNIST-5k, with a 2-D and a 32-D latent space (--latent), and
//      follows the reconstruction term, the KL term and the ELBO on train and validation images;
//   2. measures the test ELBO and the importance-weighted bound IWAE-k (k = 1000) in nats, next
//      to the autoregressive models of chapters 1-3;
//   3. checks the decomposition exactly on a linear-Gaussian model, where every term is a formula;
//   4. computes log p(x) and KL(q(z|x) || p(z|x)) of the 2-D VAE by quadrature over z and shows
//      log p(x) - ELBO = KL and ELBO <= IWAE-k <= log p(x) as k grows;
//   5. measures why the reparameterization trick is needed: the variance of its gradient against
//      the score-function (REINFORCE) gradient of the same expectation;
//   6. measures the cost of sampling: one decoder pass per image.

import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

Chapter.run(number: 4, title: "Variational autoencoders", options: Options.self) { chapter, options in
    var rng = chapter.rng
    // Sections that do not depend on the trained models draw from their own generators, split off
    // here, so that their numbers are the same in a quick and a full run.
    var pcaRng = rng.split()
    let quick = chapter.options.quick
    let sizes = Sizes(quick: quick, epochs: options.epochs)

    // MARK: - The data

    // MNIST-5k, 28 x 28, binarised at 0.5 (static: the same 0/1 image on every run), the split of
    // chapters 1 and 3: per digit the first 400 images train, the next 50 validate, the last 50
    // test (4000 / 500 / 500). Each image is a row of D = 784 values in {0, 1}.
    let mnist = try RealDataset.mnist5k.loadSplits()
    let (trainSet, validationSet, testSet) = (mnist.train.binarized(), mnist.validation.binarized(), mnist.test.binarized())
    let train = trainSet.flattened(), validation = validationSet.flattened(), test = testSet.flattened()
    let dimension = 784
    print("MNIST-5k binarised: \(trainSet.count) train / \(validationSet.count) validation / \(testSet.count) test images of 28x28")

    // MARK: - 1. Two VAEs and their training

    // The encoder is an MLP 784 -> 400 (ReLU) -> 2K: the mean mu(x) and the log-variance
    // log sigma^2(x) of q(z|x) = N(mu, diag sigma^2) (a log-variance is unconstrained; sigma =
    // e^(logvar/2) is always positive). The decoder is an MLP K -> 400 (ReLU) -> 784 logits l(z),
    // p(x_i = 1 | z) = sigmoid(l_i). The prior is p(z) = N(0, I).
    //
    // K = 2 can be drawn: its latent space is a plane, and its log p(x) can be integrated on a
    // grid (section 4). K = 32 is the model that scores well. A PyTorch reference run of the same
    // nets with K = 20 on the same split (Adam 1e-3, batch 100, 65 epochs, 51 s) reached a test
    // -ELBO of 104.06 and IWAE-1000 of 94.21 nats.
    let vae2 = VAE<Float>(dataSize: dimension, hiddenSizes: [400], latentSize: 2, using: &rng)
    let vaeK = VAE<Float>(dataSize: dimension, hiddenSizes: [400], latentSize: options.latent, using: &rng)
    let (small, large) = ("VAE (z 2)", "VAE (z \(options.latent))")

    // The loss of one minibatch is -ELBO averaged over its images, each term per image:
    //   reconstruction  log p(x|z) = sum_i x_i log sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i)),
    //                   at one z = mu + sigma * eps per image (an unbiased estimate of E_q[log p(x|z)]);
    //   KL              KL(N(mu, sigma^2) || N(0, 1)) = 0.5 sum_k (mu_k^2 + sigma_k^2 - 1 - log sigma_k^2),
    //                   in closed form, no sampling (weighted by --beta in the loss; 1 is the ELBO).
    // The gradient flows through z = mu + sigma * eps into the encoder, eps held fixed.
    // Adam 1e-3 on batches of 100, as the reference; the best validation ELBO picks the weights kept.
    let fits = try [(small, vae2), (large, vaeK)].map { name, vae in
        try chapter.fitVAE(vae, name, train: train, validation: validation, epochs: sizes.epochs, beta: options.beta, using: &rng)
    }
    let (training2, trainingK) = (fits[0], fits[1])

    // The curves: each term per epoch, train (the running average over the epoch's minibatches,
    // one z per image) and validation (at the end of the epoch). How to read them: the 32-D model
    // spends its KL budget, about 30 nats per image of information about x carried in z, and buys
    // a reconstruction term better by far more than that; two numbers cannot carry more than a
    // few nats, so the 2-D model's KL stays near 6 and its reconstructions stay blurred. With 4000
    // training images the train and validation curves part: the validation ELBO flattens while the
    // train ELBO keeps rising.
    try chapter.save(
        trainingCurvesFigure([("z 2", training2), ("z \(options.latent)", trainingK)], epochs: sizes.epochs, quick: quick),
        "ch4-training-curves.png", "reconstruction term, KL term and ELBO per epoch, train and validation, both VAEs")

    // MARK: - 2. Test ELBO and importance-weighted log-likelihood

    // The ELBO is a bound; how far below log p(x) it lies is unknown. Importance sampling with q
    // as proposal gives a better estimate (Burda et al., 2016):
    //
    //     IWAE_k(x) = log (1/k) sum_{s=1..k} p(x|z_s) p(z_s) / q(z_s|x),    z_s ~ q(z|x),
    //
    // E[IWAE_1] = ELBO, E[IWAE_k] grows with k and tends to log p(x) (Jensen's inequality applied
    // to an average of k weights instead of one), computed as a log-mean-exp. All from the same
    // 1000 draws per test image: the ELBO with the closed-form KL, IWAE_k for every k as the mean
    // over the 1000 / k groups of k draws. The autoregressive models of chapters 1-3 give exact
    // log p(x) of the same 500 test images (their rows are read from their saved results).
    let (eval2, evalSeconds2) = timed { vae2.evaluate(test, samples: sizes.evaluationSamples, ks: sizes.ks, using: &rng) }
    let (evalK, evalSecondsK) = timed { vaeK.evaluate(test, samples: sizes.evaluationSamples, ks: sizes.ks, using: &rng) }
    let kMax = sizes.ks.last!
    let average = VAEEvaluation.average
    chapter.results.add("mnist: uniform (784 ln 2)", ["test exact NLL": fmt(Likelihood.uniformNats(dimensions: dimension, levels: 2))])
    addEarlierNLLRows(to: chapter)
    for (name, vae, e, curves, seconds) in [(small, vae2, eval2, training2, evalSeconds2), (large, vaeK, evalK, trainingK, evalSecondsK)] {
        let reference = name == "VAE (z 32)" ? (elbo: 104.06, iwae: 94.21) : nil
        chapter.report(
            "mnist/test -ELBO/\(name)", -average(e.elbo), unit: "nats", reference: reference?.elbo,
            note: "\(vae.parameterCount) parameters; epoch \(curves.log.kept) kept" + (reference == nil ? "" : "; the reference is PyTorch's, z 20"))
        for k in sizes.ks where k > 1 {
            chapter.report(
                "mnist/test IWAE-\(k)/\(name)", -average(e.importanceWeighted[k]!), unit: "nats (an upper bound on -log p(x))",
                reference: k == 1000 ? reference?.iwae : nil, note: k == kMax ? "\(sizes.evaluationSamples) draws per image, \(fmt(seconds, 1)) s" : "")
        }
        chapter.report("mnist/test reconstruction -E_q[log p(x|z)]/\(name)", -average(e.reconstruction), unit: "nats")
        chapter.report("mnist/test KL(q||p(z))/\(name)", average(e.kl), unit: "nats")
        chapter.report("mnist/validation -ELBO/\(name)", -curves.bestValidationELBO, unit: "nats")
        chapter.report("mnist/train seconds/\(name)", curves.seconds, digits: 1, unit: "s", note: "\(sizes.epochs) epochs")
    }
    // How to read these rows: -ELBO and -IWAE are upper bounds on -log p(x), the autoregressive
    // rows exact values. IWAE-1000 is several nats tighter than the ELBO (about 11 for the 32-D
    // model), so the ELBO undersells a VAE; the 32-D model lands below the reference run on both,
    // near the FVSBN of chapter 1 but short of MADE, with z of 32 numbers instead of 784 conditionals.

    // MARK: - 3. The decomposition, exactly: a linear-Gaussian VAE

    // Probabilistic PCA: z ~ N(0, I_2), x = W z + mu + noise, noise ~ N(0, 0.5^2 I_6), with W and
    // mu drawn at random. Here
    //     log p(x) = log N(x; mu, W W^T + sigma^2 I)                   (exact marginal)
    //     p(z|x)   = N(M^-1 W^T (x - mu), sigma^2 M^-1),  M = W^T W + sigma^2 I   (exact posterior)
    // and for a Gaussian q(z|x) = N(m, S) both terms of the ELBO are formulas:
    //     E_q[log p(x|z)] = -(D/2) log(2 pi sigma^2) - (|x - W m - mu|^2 + tr(W S W^T)) / (2 sigma^2),
    //     KL(q || p(z))   = (tr S + |m|^2 - K - log det S) / 2,
    // and so is KL(q || p(z|x)) between two Gaussians. Three formulas, no sampling: the lecture's
    // identity log p(x) = ELBO + KL(q || p(z|x)) must hold to rounding error, for every q.
    // The second column of W is mostly a copy of the first, w_2 = 0.8 w_1 + 0.6 w_2', so that the
    // two latent coordinates explain overlapping directions of x and the posterior correlates them.
    let (pca, pcaTrain, pcaTestRows) = linearGaussianProblem(using: &pcaRng)

    // Encoders q(z|x) = N(A^T x + b, L L^T), linear in x as the exact posterior's mean is: q = p(z),
    // which ignores x; mean-field (L diagonal, like the VAE's encoder) and full covariance (L lower
    // triangular), both trained as the VAE is (Adam on the one-sample reparameterized ELBO); the
    // best mean-field q (the exact posterior mean, variances 1 / (Sigma^-1)_kk: the diagonal
    // Gaussian closest to N(m, Sigma) in KL(q || p)); and the exact posterior.
    let exact = LinearGaussianEncoder<Double>.exactPosterior(of: pca)
    let bestMeanField = bestMeanFieldEncoder(exact, model: pca)
    let (meanField, _) = try chapter.trainLinearGaussianEncoder(.diagonal, model: pca, data: pcaTrain, steps: sizes.linearGaussianSteps, using: &pcaRng)
    let (fullCovariance, _) = try chapter.trainLinearGaussianEncoder(.full, model: pca, data: pcaTrain, steps: sizes.linearGaussianSteps, using: &pcaRng)
    let encoders: [(name: String, density: ([Double]) -> GaussianDensity)] = [
        ("q = p(z)", { _ in .standard(dimension: 2) }), ("mean-field, trained", meanField.density), ("best mean-field", bestMeanField.density),
        ("full, trained", fullCovariance.density), ("exact posterior", exact.density),
    ]
    let posteriorCovariance = pca.exactPosterior(pca.mean).covariance
    chapter.report(
        "linear-gaussian/posterior correlation/exact posterior", posteriorCovariance[1] / (posteriorCovariance[0] * posteriorCovariance[3]).squareRoot(),
        digits: 3, note: "the same for every x")
    var pcaGaps: [Double] = []
    for (name, density) in encoders {
        let (means, worst) = pca.decomposition(of: pcaTestRows, q: density)
        pcaGaps.append(means.kl)
        chapter.report(
            "linear-gaussian/KL(q||p(z|x))/\(name)", means.kl, digits: 6, unit: "nats",
            note: "mean log p(x) \(fmt(means.logP, 6)) = ELBO \(fmt(means.elbo, 6)) + KL")
        chapter.report("linear-gaussian/log p(x) - ELBO - KL, max abs error/\(name)", worst, unit: "nats")
        guard worst < 1e-6 else { throw WorkbookError("log p(x) = ELBO + KL failed for \(name) by \(worst) > 1e-6: the formulas disagree") }
    }
    // How to read these rows: the identity holds to about 1e-13 for every q, good or bad; what q
    // changes is how the same log p(x) is split between the ELBO and the gap. q = p(z) leaves a gap
    // of tens of nats. The mean-field encoder closes most of it but not all: the posterior's two
    // coordinates are correlated, a diagonal q cannot follow, and training stops at the best
    // diagonal q's gap, a property of the family, not of the optimiser. The full-covariance encoder
    // closes the gap to about 1e-3 nats (what its Monte-Carlo gradients resolve); the exact
    // posterior closes it to rounding.
    try chapter.save(
        linearGaussianFigure(encoders: encoders, model: pca, shownX: pcaTestRows[0], gaps: pcaGaps),
        "ch4-linear-gaussian.png", "the posterior and the trained encoders' q for one x; the gap each of the five leaves")

    // MARK: - 4. The gap on the real model: quadrature over the 2-D latent space

    // With K = 2 the integral log p(x) = log integral of p(x|z) p(z) dz is a 2-D integral, and a
    // grid does it: the sum over a uniform grid times the cell area, on a box found to hold all of
    // p(z|x) (its border more than 20 nats below the peak). With log p(x), p(z|x) = p(x, z) / p(x)
    // is known at every grid point, and
    //     KL(q || p(z|x)) = E_q[log q(z|x)] - E_q[log p(x, z)] + log p(x),
    // the expectations on a second grid over q's own +- 8 sigma. The ReLU decoder bends where a
    // hidden unit switches on, so the grid has 49 points per axis, or 97 where the rule at twice
    // the spacing differs by more than 2e-3 nats (the largest difference bounds the finer rule's
    // error). Test images: the first few of each digit.
    let quadratureRows = (0..<10).flatMap { digit in testSet.labels.indices.filter { testSet.labels[$0] == digit }.prefix(sizes.quadratureImagesPerDigit) }
    let (quadratures, quadratureSeconds) = timed {
        quadratureRows.map { row in vae2.quadrature(of: test.slice(row..<(row + 1), alongAxis: 0), count: 49, maxCount: 97, tolerance: 2e-3) }
    }
    let summary = QuadratureSummary(rows: quadratureRows, results: quadratures, evaluation: eval2, ks: sizes.ks)
    print("quadrature of \(quadratureRows.count) test images (VAE z 2) in \(fmt(quadratureSeconds, 1)) s; grids of \(Set(quadratures.map(\.posteriorGrid.count)).sorted()) points per axis; border at most \(fmt(summary.worstBorder, 1)) nats below the peak")
    chapter.report("mnist/quadrature log p(x), mean over quadrature images/\(small)", summary.logP, digits: 4, unit: "nats")
    chapter.report("mnist/quadrature rule error bound/\(small)", summary.ruleError, unit: "nats")
    for (k, v) in zip(sizes.ks, summary.iwaeMeans) { chapter.report("mnist/IWAE-\(k), mean over quadrature images/\(small)", v, digits: 4, unit: "nats") }
    chapter.report(
        "mnist/quadrature KL(q||p(z|x)), mean/\(small)", summary.klPosterior, digits: 4, unit: "nats",
        note: "log p(x) - ELBO = \(fmt(summary.logP - summary.elboQuadrature, 4)); ELBO by Monte Carlo \(fmt(summary.elboMonteCarlo, 4)), by quadrature \(fmt(summary.elboQuadrature, 4)) (KL(q||p(z)) by grid within \(String(format: "%.1e", summary.klGridVersusClosedForm)) of the closed form)")
    chapter.report("mnist/quadrature log p(x) - ELBO - KL, max abs error/\(small)", summary.identityError, unit: "nats")
    print("  IWAE-\(kMax) above log p(x) in \(summary.excess.filter { $0 > 0 }.count) of \(quadratureRows.count) images, by at most \(fmt(summary.excess.max()!, 3)) nats (single estimates; their mean is \(fmt(-summary.excess.reduce(0, +) / Double(summary.excess.count), 3)) below)")
    guard summary.identityError < 1e-4, summary.worstBorder < -20 else {
        throw WorkbookError(
            "quadrature check failed: |log p(x) - ELBO - KL| = \(summary.identityError) (should be < 1e-4), the grid's border \(summary.worstBorder) nats below the peak (should be < -20): the grid does not hold p(z|x); this is a bug, please report it with the seed")
    }
    // How to read this: per image the ELBO falls short of log p(x) by KL(q || p(z|x)), computed
    // separately, to about 1e-6; the same 1000 draws give IWAE-k bounds that climb towards log p(x)
    // as k grows: q is a usable proposal but a poor posterior. The figure shows where the gap comes
    // from: for the images with the largest gaps q sits beside p(z|x), not on it (one encoder for
    // all images misplaces some of them: the amortization gap), and q is narrower than p(z|x),
    // which KL(q || p) punishes little: it counts q's mass where p has none, not p's mass that q
    // misses. With q narrower than p(z|x), the weights p/q of q's rare tail draws are huge: most
    // IWAE estimates fall short, and now and then one lucky draw lifts an estimate above log p(x).
    let byGap = quadratures.indices.sorted { quadratures[$0].klToPosterior > quadratures[$1].klToPosterior }
    let shown = Array(byGap.prefix(3)) + [byGap.last!]
    try chapter.save(
        posteriorFigure(
            vae: vae2, test: test, rows: shown.map { quadratureRows[$0] }, quadratures: shown.map { quadratures[$0] }, evaluation: eval2,
            ks: sizes.ks, iwaeMeans: summary.iwaeMeans, logP: summary.logP, elbo: summary.elboQuadrature, imageCount: quadratureRows.count),
        "ch4-posterior.png", "p(z|x) and q(z|x) of four test images; the mean bounds against k")

    // MARK: - 5. Why reparameterize: the variance of two gradient estimators

    // The gradient of E_q[f(z)] with respect to mu and sigma, for f(z) = log p(x|z) of a test
    // image under the 2-D decoder and q = N(mu, sigma^2) its encoder's q(z|x), from S samples:
    //   reparameterization:  mean over s of  f'(mu + sigma eps_s)  and  f'(mu + sigma eps_s) eps_s;
    //   score function:      mean over s of  f(z_s) eps_s / sigma  and  f(z_s) (eps_s^2 - 1) / sigma
    //                        (REINFORCE: only values of f);
    //   with a baseline:     the same with f(z_s) - b_s, b_s the mean of the other samples' f.
    // All three are unbiased. Each is drawn many times with fresh noise: the mean and the variance
    // of the estimates are measured, against a reference from 20,000 reparameterized samples.
    let gradientRow = quadratureRows[byGap.last!]
    let gradientImage = test.slice(gradientRow..<(gradientRow + 1), alongAxis: 0)
    let qMean = Array(eval2.means[(2 * gradientRow)..<(2 * gradientRow + 2)])
    let qStd = eval2.logVariances[(2 * gradientRow)..<(2 * gradientRow + 2)].map { Foundation.exp(0.5 * $0) }
    let f: (Tensor<Float>) -> Tensor<Float> = { z in
        VAE.bernoulliLogLikelihood(logits: vae2.decode(z), images: gradientImage.broadcasted(to: [z.shape[0], dimension]))
    }
    var gradientRng = rng.split()
    let reference = GaussianGradientEstimator.reparameterization.estimate(of: f, mean: qMean, std: qStd, noise: .normal([20_000, 2], using: &gradientRng))
    let referenceVector = reference.mean + reference.std
    let gradientStats = measureGradientEstimators(
        of: f, mean: qMean, std: qStd, sampleCounts: sizes.gradientSampleCounts, repeats: sizes.gradientRepeats, using: &gradientRng)
    print("gradient of E_q[log p(x|z)] for test image \(gradientRow), \(sizes.gradientRepeats) estimates each; reference d/dmu, d/dsigma: \(referenceVector.map { fmt($0, 2) })")
    var worstZ = 0.0
    for stats in gradientStats {
        let reparameterized = gradientStats.first { $0.estimator == .reparameterization && $0.samples == stats.samples }!
        // How far the mean of the estimates is from the reference, in standard errors.
        let z = (0..<4).map { Swift.abs(stats.mean[$0] - referenceVector[$0]) / Swift.max(stats.standardError[$0], 1e-12) }.max()!
        worstZ = Swift.max(worstZ, z)
        chapter.report(
            "mnist/gradient variance, sum over mu and sigma/\(stats.estimator.name), S \(stats.samples)", stats.totalVariance,
            note: String(format: "%.1e x reparameterization; mean ", stats.totalVariance / reparameterized.totalVariance)
                + zip(stats.mean, stats.standardError).map { "\(fmt($0, 1)) +- \(fmt($1, 1))" }.joined(separator: ", "))
    }
    chapter.report("mnist/gradient estimators, worst distance of a mean from the reference in standard errors/all", worstZ)
    // How to read this: all three means agree with the reference within a few standard errors
    // (they are unbiased), but the score function's variance is four to five orders of magnitude
    // larger: every sample's f(z), a log-likelihood of a hundred nats or more below zero,
    // multiplies a noisy score. A baseline removes the common part of f and most of the excess;
    // the reparameterized estimate, which uses the slope f'(z) instead of values of f, is still
    // several times better at every S. All variances fall as 1/S; the ratios stay.
    try chapter.save(
        gradientVarianceFigure(gradientStats, sampleCounts: sizes.gradientSampleCounts, reference: referenceVector),
        "ch4-gradient-variance.png", "variance of the three gradient estimators against S; the S = 10 estimates of d/dmu_1")

    // MARK: - 6. The cost of sampling

    // A VAE draws an image with one decoder pass: z ~ N(0, I), then all 784 Bernoulli means at
    // once. An autoregressive model needs one network pass per pixel, each waiting for the pixel
    // before (784 for MNIST). Timed here: 100 images in one batch (per image), and one image alone.
    var samplingRng = rng.split()
    for (name, vae) in [(small, vae2), (large, vaeK)] {
        chapter.report(
            "mnist/sampling ms per image/\(name)", medianMilliseconds(quick ? 3 : 11) { _ = vae.sample(count: 100, using: &samplingRng) } / 100,
            digits: 4, unit: "ms", note: "in a batch of 100; 1 decoder pass")
        chapter.report("mnist/sampling ms for one image/\(name)", medianMilliseconds(quick ? 5 : 51) { _ = vae.sample(count: 1, using: &samplingRng) }, digits: 3, unit: "ms")
    }
    addEarlierSamplingRows(to: chapter, dimension: dimension)
    // How to read these rows: a batch of VAE samples costs one matrix product per layer for all
    // images at once; an autoregressive model must wait for pixel i before it can compute pixel
    // i + 1, 784 times, however many cores there are. The price of the VAE's speed is the
    // independence of the pixels given z: the blur of the decoder's means, and a likelihood known
    // only as a bound.

    // MARK: - Figures: reconstructions, samples, the latent space

    // Reconstructions: two test images of each digit above the decoder's Bernoulli means at
    // z = mu(x), the encoder's mean, for both models.
    let shownRows = (0..<10).flatMap { digit in testSet.labels.indices.filter { testSet.labels[$0] == digit }.dropFirst(10).prefix(2) }
    let shownImages = test.gatheringRows(shownRows)
    func reconstruct(_ vae: VAE<Float>) -> Tensor<Float> { withoutGradient { vae.decode(vae.encode(shownImages).mean).sigmoid() } }
    try chapter.save(
        reconstructionsFigure(images: shownImages, reconstructions: [("z 2", reconstruct(vae2)), ("z \(options.latent)", reconstruct(vaeK))], dimension: dimension),
        "ch4-reconstructions.png", "20 test images above their reconstructions by both VAEs")

    // Samples from the prior: z ~ N(0, I), shown as the decoder's means (a draw of 0/1 pixels from
    // them adds salt-and-pepper noise and no information). The 32-D model reconstructs far better
    // than the 2-D one, yet many of its prior samples are not digits: the ELBO asks each q(z|x) to
    // be near N(0, I), not their mixture over the training set, the aggregate posterior
    // q(z) = (1/N) sum_n q(z|x_n), to fill it. With 4000 images in 32 dimensions q(z) leaves most of
    // the prior's volume empty, and z drawn there decodes to strokes that belong to no digit. The
    // third panel decodes z ~ q(z|x) of random training images instead: the same decoder, z where
    // the data put it. Active units (Burda et al.: the variance over x of E_q[z_k] above 0.01)
    // count the dimensions the encoder uses at all.
    let samples2 = vae2.sampleMeans(count: 64, using: &samplingRng)
    let samplesK = vaeK.sampleMeans(count: 64, using: &samplingRng)
    let someTraining = train.gatheringRows((0..<64).map { _ in samplingRng.index(below: train.shape[0]) })
    let aggregateK = vaeK.posteriorSampleMeans(someTraining, using: &samplingRng)
    for (name, vae) in [(small, vae2), (large, vaeK)] {
        chapter.report("mnist/active latent units/\(name)", Double(vae.activeUnits(train)), digits: 0, note: "of \(vae.latentSize)")
    }
    try chapter.save(
        samplesFigure(small: samples2, large: samplesK, aggregate: aggregateK, largeName: "z \(options.latent)"),
        "ch4-samples.png", "64 samples from the prior of each VAE; 64 decodes of z ~ q(z|x) of training images")

    // The 2-D latent manifold: the decoder's means on a 16 x 16 grid of z over [-3, 3]^2, next to
    // where the encoder puts the 500 test images (its means mu(x), coloured by digit). Nearby codes
    // decode to similar digits, and each digit has its region, with the classes that look alike
    // (4 and 9, 3 and 5 and 8) overlapping in the middle. Where no image's code falls, in the lower
    // left of the grid, the decoder was never trained and draws no digit; the prior puts mass there
    // all the same, one reason a prior sample can fail.
    let side = 16
    let axis = (0..<side).map { -3 + 6 * Double($0) / Double(side - 1) }
    let gridZ = Tensor<Float>(shape: [side * side, 2], scalars: (0..<side).reversed().flatMap { r in axis.flatMap { [Float($0), Float(axis[r])] } })
    try chapter.save(
        latentManifoldFigure(withoutGradient { vae2.decode(gridZ).sigmoid() }, side: side),
        "ch4-latent-manifold.png", "the decoder's means on a \(side)x\(side) grid of the 2-D latent space")
    let meansX = (0..<testSet.count).map { eval2.means[2 * $0] }, meansY = (0..<testSet.count).map { eval2.means[2 * $0 + 1] }
    try chapter.save(latentScatterFigure(x: meansX, y: meansY, labels: testSet.labels), "ch4-latent-scatter.png", "the 2-D latent means of the test set, coloured by digit")
    chapter.report(
        "mnist/test latent means outside [-3, 3]^2, fraction/\(small)",
        Double(zip(meansX, meansY).filter { Swift.abs($0) > 3 || Swift.abs($1) > 3 }.count) / Double(testSet.count), digits: 3)
}
