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
// This chapter trains two VAEs on binarised MNIST-5k (sections 1-2: a 2-D and a 32-D latent
// space, their ELBO and importance-weighted bounds next to chapters 1-3); checks the identity
// exactly on a linear-Gaussian model (3) and by quadrature on the 2-D VAE (4); measures why the
// reparameterization trick is needed (5) and what sampling costs (6); draws straight lines in z
// (7); and puts a categorical and the lecture's Gaussian decoder on the 8x8 digits (8).

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

    // MNIST-5k, 28 x 28, binarised at 0.5, the split of chapters 1 and 3 (4000 / 500 / 500); each
    // image a row of D = 784 values in {0, 1}.
    let mnist = try RealDataset.mnist5k.loadSplits()
    let (trainSet, validationSet, testSet) = (
        mnist.train.binarized(), mnist.validation.binarized(), mnist.test.binarized()
    )
    let (train, validation, test, dimension) = (
        trainSet.flattened(), validationSet.flattened(), testSet.flattened(), 784
    )
    print(
        "MNIST-5k binarised: \(trainSet.count) train / \(validationSet.count) validation / \(testSet.count) test images of 28x28"
    )

    // MARK: - 1. Two VAEs and their training

    // Encoder 784 -> 400 (ReLU) -> 2K: the mean and log-variance of q(z|x) = N(mu, diag sigma^2).
    // Decoder K -> 400 (ReLU) -> 784 logits l, p(x_i = 1 | z) = sigmoid(l_i). K = 2 can be drawn and
    // integrated on a grid; K = 32 scores well (a PyTorch run of the same nets with K = 20, Adam
    // 1e-3, batch 100, 65 epochs: test -ELBO 104.06, IWAE-1000 94.21 nats).
    let vae2 = VAE<Float>(dataSize: dimension, hiddenSizes: [400], latentSize: 2, using: &rng)
    let vaeK = VAE<Float>(dataSize: dimension, hiddenSizes: [400], latentSize: options.latent, using: &rng)
    let (small, large) = ("VAE (z 2)", "VAE (z \(options.latent))")

    // The loss of a minibatch is -ELBO averaged over its images: log p(x|z) = sum_i x_i log
    // sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i)) at one z = mu + sigma * eps per image, minus
    // KL(N(mu, sigma^2) || N(0, 1)) = 0.5 sum_k (mu_k^2 + sigma_k^2 - 1 - log sigma_k^2) in closed
    // form (times --beta). Adam 1e-3, batches of 100; the best validation ELBO picks the weights.
    let fits = try [(small, vae2), (large, vaeK)].map { name, vae in
        try chapter.fitVAE(
            vae, name, train: train, validation: validation, epochs: sizes.epochs, beta: options.beta, using: &rng)
    }
    let (training2, trainingK) = (fits[0], fits[1])

    // How to read the curves: the 32-D model spends about 30 nats of KL per image (information
    // about x carried in z) and buys a far better reconstruction term; two numbers carry a few
    // nats, so the 2-D model's KL stays near 6. Train and validation part after a few epochs.
    try chapter.save(
        trainingCurvesFigure(
            [("z 2", training2), ("z \(options.latent)", trainingK)], epochs: sizes.epochs, quick: quick),
        "ch4-training-curves.png", "reconstruction term, KL term and ELBO per epoch, train and validation, both VAEs")

    // MARK: - 2. Test ELBO and importance-weighted log-likelihood

    // How far the ELBO lies below log p(x) is unknown. Importance sampling with q as proposal
    // tightens it (Burda et al., 2016): IWAE_k(x) = log (1/k) sum_s p(x|z_s) p(z_s) / q(z_s|x),
    // z_s ~ q(z|x); E[IWAE_1] = ELBO, and E[IWAE_k] rises to log p(x) as k grows. All from the same
    // 1000 draws per test image; chapters 1-3's exact NLLs of the same images are read back.
    let (eval2, evalSeconds2) = timed {
        vae2.evaluate(test, samples: sizes.evaluationSamples, ks: sizes.ks, using: &rng)
    }
    let (evalK, evalSecondsK) = timed {
        vaeK.evaluate(test, samples: sizes.evaluationSamples, ks: sizes.ks, using: &rng)
    }
    let kMax = sizes.ks.last!
    let average = VAEEvaluation.average
    chapter.results.add(
        "mnist: uniform (784 ln 2)", ["test exact NLL": fmt(Likelihood.uniformNats(dimensions: dimension, levels: 2))])
    addEarlierNLLRows(to: chapter)
    for (name, vae, e, curves, seconds) in [
        (small, vae2, eval2, training2, evalSeconds2), (large, vaeK, evalK, trainingK, evalSecondsK),
    ] {
        let reference = name == "VAE (z 32)" ? (elbo: 104.06, iwae: 94.21) : nil
        chapter.report(
            "mnist/test -ELBO/\(name)", -average(e.elbo), unit: "nats", reference: reference?.elbo,
            note: "\(vae.parameterCount) parameters; epoch \(curves.log.kept) kept"
                + (reference == nil ? "" : "; the reference is PyTorch's, z 20"))
        for k in sizes.ks where k > 1 {
            chapter.report(
                "mnist/test IWAE-\(k)/\(name)", -average(e.importanceWeighted[k]!),
                unit: "nats (an upper bound on -log p(x))",
                reference: k == 1000 ? reference?.iwae : nil,
                note: k == kMax ? "\(sizes.evaluationSamples) draws per image, \(fmt(seconds, 1)) s" : "")
        }
        chapter.report("mnist/test reconstruction -E_q[log p(x|z)]/\(name)", -average(e.reconstruction), unit: "nats")
        chapter.report("mnist/test KL(q||p(z))/\(name)", average(e.kl), unit: "nats")
        chapter.report("mnist/validation -ELBO/\(name)", -curves.bestValidationELBO, unit: "nats")
        chapter.report(
            "mnist/train seconds/\(name)", curves.seconds, digits: 1, unit: "s", note: "\(sizes.epochs) epochs")
    }
    // How to read these rows: -ELBO and -IWAE bound -log p(x) from above; IWAE-1000 is about 11
    // nats tighter for the 32-D model, which lands below the reference on both, near chapter 1's
    // FVSBN but short of MADE, with z of 32 numbers instead of 784 conditionals.

    // MARK: - 3. The decomposition, exactly: a linear-Gaussian VAE

    // Probabilistic PCA, z ~ N(0, I_2), x = W z + mu + noise (D = 6), has an exact marginal
    // log p(x) = log N(x; mu, W W^T + sigma^2 I) and an exact Gaussian posterior p(z|x); for a
    // Gaussian q(z|x) = N(m, S) both terms of the ELBO and KL(q || p(z|x)) are formulas too. Three
    // formulas, no sampling: log p(x) = ELBO + KL(q || p(z|x)) must hold to rounding, for every q.
    let (pca, pcaTrain, pcaTestRows) = linearGaussianProblem(using: &pcaRng)

    // Five encoders q(z|x) = N(A^T x + b, L L^T): q = p(z); mean-field (L diagonal, as the VAE's)
    // and full covariance, both trained on the reparameterized ELBO; the best mean-field q; the
    // exact posterior.
    let exact = LinearGaussianEncoder<Double>.exactPosterior(of: pca)
    let bestMeanField = bestMeanFieldEncoder(exact, model: pca)
    let (meanField, _) = try chapter.trainLinearGaussianEncoder(
        .diagonal, model: pca, data: pcaTrain, steps: sizes.linearGaussianSteps, using: &pcaRng)
    let (fullCovariance, _) = try chapter.trainLinearGaussianEncoder(
        .full, model: pca, data: pcaTrain, steps: sizes.linearGaussianSteps, using: &pcaRng)
    let encoders: [(name: String, density: ([Double]) -> GaussianDensity)] = [
        ("q = p(z)", { _ in .standard(dimension: 2) }), ("mean-field, trained", meanField.density),
        ("best mean-field", bestMeanField.density),
        ("full, trained", fullCovariance.density), ("exact posterior", exact.density),
    ]
    let posteriorCovariance = pca.exactPosterior(pca.mean).covariance
    chapter.report(
        "linear-gaussian/posterior correlation/exact posterior",
        posteriorCovariance[1] / (posteriorCovariance[0] * posteriorCovariance[3]).squareRoot(),
        digits: 3, note: "the same for every x")
    var pcaGaps: [Double] = []
    for (name, density) in encoders {
        let (means, worst) = pca.decomposition(of: pcaTestRows, q: density)
        pcaGaps.append(means.kl)
        chapter.report(
            "linear-gaussian/KL(q||p(z|x))/\(name)", means.kl, digits: 6, unit: "nats",
            note: "mean log p(x) \(fmt(means.logP, 6)) = ELBO \(fmt(means.elbo, 6)) + KL")
        chapter.report("linear-gaussian/log p(x) - ELBO - KL, max abs error/\(name)", worst, unit: "nats")
        guard worst < 1e-6 else {
            throw WorkbookError("log p(x) = ELBO + KL failed for \(name) by \(worst) > 1e-6: the formulas disagree")
        }
    }
    // How to read these rows: the identity holds to about 1e-13 for every q; q only changes how
    // log p(x) splits between the ELBO and the gap. A diagonal q cannot follow the posterior's
    // correlation, so mean-field training stops at the best diagonal q's gap (a property of the
    // family); the full-covariance encoder closes it to about 1e-3 nats.
    try chapter.save(
        linearGaussianFigure(encoders: encoders, model: pca, shownX: pcaTestRows[0], gaps: pcaGaps),
        "ch4-linear-gaussian.png",
        "the posterior and the trained encoders' q for one x; the gap each of the five leaves")

    // MARK: - 4. The gap on the real model: quadrature over the 2-D latent space

    // With K = 2, log p(x) = log integral of p(x|z) p(z) dz is a 2-D integral a grid can do (on a
    // box holding all of p(z|x), its border > 20 nats below the peak); then p(z|x) is known at every
    // grid point, and KL(q || p(z|x)) = E_q[log q] - E_q[log p(x, z)] + log p(x). The ReLU decoder
    // bends where a unit switches on: 49 grid points per axis, or 97 where the rule at twice the
    // spacing differs by more than 2e-3 nats. Test images: the first few of each digit.
    let quadratureRows = (0..<10).flatMap { digit in
        testSet.labels.indices.filter { testSet.labels[$0] == digit }.prefix(sizes.quadratureImagesPerDigit)
    }
    let (quadratures, quadratureSeconds) = timed {
        quadratureRows.map { row in
            vae2.quadrature(of: test.slice(row..<(row + 1), alongAxis: 0), count: 49, maxCount: 97, tolerance: 2e-3)
        }
    }
    let summary = QuadratureSummary(rows: quadratureRows, results: quadratures, evaluation: eval2, ks: sizes.ks)
    print(
        "quadrature of \(quadratureRows.count) test images (VAE z 2) in \(fmt(quadratureSeconds, 1)) s; grids of \(Set(quadratures.map(\.posteriorGrid.count)).sorted()) points per axis; border at most \(fmt(summary.worstBorder, 1)) nats below the peak"
    )
    chapter.report(
        "mnist/quadrature log p(x), mean over quadrature images/\(small)", summary.logP, digits: 4, unit: "nats")
    chapter.report("mnist/quadrature rule error bound/\(small)", summary.ruleError, digits: 4, unit: "nats")
    for (k, v) in zip(sizes.ks, summary.iwaeMeans) {
        chapter.report("mnist/IWAE-\(k), mean over quadrature images/\(small)", v, digits: 4, unit: "nats")
    }
    chapter.report(
        "mnist/quadrature KL(q||p(z|x)), mean/\(small)", summary.klPosterior, digits: 4, unit: "nats",
        note:
            "log p(x) - ELBO = \(fmt(summary.logP - summary.elboQuadrature, 4)); ELBO by Monte Carlo \(fmt(summary.elboMonteCarlo, 4)), by quadrature \(fmt(summary.elboQuadrature, 4)) (KL(q||p(z)) by grid within \(String(format: "%.1e", summary.klGridVersusClosedForm)) of the closed form)"
    )
    chapter.report("mnist/quadrature log p(x) - ELBO - KL, max abs error/\(small)", summary.identityError, unit: "nats")
    print(
        "  IWAE-\(kMax) above log p(x) in \(summary.excess.filter { $0 > 0 }.count) of \(quadratureRows.count) images, by at most \(fmt(summary.excess.max()!, 3)) nats (single estimates; their mean is \(fmt(-summary.excess.reduce(0, +) / Double(summary.excess.count), 3)) below)"
    )
    guard summary.identityError < 1e-4, summary.worstBorder < -20 else {
        throw WorkbookError(
            "quadrature check failed: |log p(x) - ELBO - KL| = \(summary.identityError) (should be < 1e-4), the grid's border \(summary.worstBorder) nats below the peak (should be < -20): the grid does not hold p(z|x); this is a bug, please report it with the seed"
        )
    }
    // How to read this: per image the ELBO falls short of log p(x) by KL(q || p(z|x)) to about
    // 1e-6, and IWAE-k climbs towards log p(x) as k grows. In the figure, for the largest gaps q
    // sits beside p(z|x) (one encoder for all images misplaces some: the amortization gap) and is
    // narrower than it, which KL(q || p) punishes little. With q that narrow, the rare tail draws
    // carry huge weights: most IWAE estimates fall short, a lucky one lands above log p(x).
    let byGap = quadratures.indices.sorted { quadratures[$0].klToPosterior > quadratures[$1].klToPosterior }
    let shown = Array(byGap.prefix(3)) + [byGap.last!]
    try chapter.save(
        posteriorFigure(
            vae: vae2, test: test, rows: shown.map { quadratureRows[$0] }, quadratures: shown.map { quadratures[$0] },
            evaluation: eval2,
            ks: sizes.ks, iwaeMeans: summary.iwaeMeans, logP: summary.logP, elbo: summary.elboQuadrature,
            imageCount: quadratureRows.count),
        "ch4-posterior.png", "p(z|x) and q(z|x) of four test images; the mean bounds against k")

    // MARK: - 5. Why reparameterize: the variance of two gradient estimators

    // The gradient of E_q[f(z)] in mu and sigma, f(z) = log p(x|z) of a test image under the 2-D
    // decoder and q its q(z|x), from S samples: reparameterized, mean of f'(z_s) and f'(z_s) eps_s;
    // score function (REINFORCE), mean of f(z_s) eps_s / sigma and f(z_s) (eps_s^2 - 1) / sigma;
    // with a baseline, f(z_s) minus the mean of the other samples' f. All unbiased; each drawn many
    // times, against a reference from 20,000 reparameterized samples.
    let gradientRow = quadratureRows[byGap.last!]
    let gradientImage = test.slice(gradientRow..<(gradientRow + 1), alongAxis: 0)
    let qMean = Array(eval2.means[(2 * gradientRow)..<(2 * gradientRow + 2)])
    let qStd = eval2.logVariances[(2 * gradientRow)..<(2 * gradientRow + 2)].map { Foundation.exp(0.5 * $0) }
    let f: (Tensor<Float>) -> Tensor<Float> = { z in
        VAE.bernoulliLogLikelihood(
            logits: vae2.decode(z), images: gradientImage.broadcasted(to: [z.shape[0], dimension]))
    }
    var gradientRng = rng.split()
    let reference = GaussianGradientEstimator.reparameterization.estimate(
        of: f, mean: qMean, std: qStd, noise: .normal([20_000, 2], using: &gradientRng))
    let referenceVector = reference.mean + reference.std
    let gradientStats = measureGradientEstimators(
        of: f, mean: qMean, std: qStd, sampleCounts: sizes.gradientSampleCounts, repeats: sizes.gradientRepeats,
        using: &gradientRng)
    print(
        "gradient of E_q[log p(x|z)] for test image \(gradientRow), \(sizes.gradientRepeats) estimates each; reference d/dmu, d/dsigma: \(referenceVector.map { fmt($0, 2) })"
    )
    for stats in gradientStats {
        let reparameterized = gradientStats.first {
            $0.estimator == .reparameterization && $0.samples == stats.samples
        }!
        chapter.report(
            "mnist/gradient variance, sum over mu and sigma/\(stats.estimator.name), S \(stats.samples)",
            stats.totalVariance,
            note: String(
                format: "%.1e x reparameterization; mean ", stats.totalVariance / reparameterized.totalVariance)
                + zip(stats.mean, stats.standardError).map { "\(fmt($0, 1)) +- \(fmt($1, 1))" }.joined(separator: ", "))
    }
    chapter.report(
        "mnist/gradient estimators, worst distance of a mean from the reference in standard errors/all",
        gradientStats.map { $0.standardErrorsFrom(referenceVector) }.max()!)
    // How to read this: the three means agree with the reference within a few standard errors,
    // but the score function's variance is four to five orders larger: every f(z), a hundred nats
    // or more below zero, multiplies a noisy score. A baseline removes most of the excess; the
    // reparameterized estimate, using the slope f'(z), stays several times better at every S.
    try chapter.save(
        gradientVarianceFigure(gradientStats, sampleCounts: sizes.gradientSampleCounts, reference: referenceVector),
        "ch4-gradient-variance.png",
        "variance of the three gradient estimators against S; the S = 10 estimates of d/dmu_1")

    // MARK: - 6. The cost of sampling

    // A VAE draws an image with one decoder pass, an autoregressive model with one pass per pixel.
    // Timed: 100 images in one batch (per image), and one image alone.
    var samplingRng = rng.split()
    for (name, vae) in [(small, vae2), (large, vaeK)] {
        chapter.report(
            "mnist/sampling ms per image/\(name)",
            medianMilliseconds(quick ? 3 : 11) { _ = vae.sample(count: 100, using: &samplingRng) } / 100,
            digits: 4, unit: "ms", note: "in a batch of 100; 1 decoder pass")
        chapter.report(
            "mnist/sampling ms for one image/\(name)",
            medianMilliseconds(quick ? 5 : 51) { _ = vae.sample(count: 1, using: &samplingRng) }, digits: 3, unit: "ms")
    }
    addEarlierSamplingRows(to: chapter, dimension: dimension)
    // How to read these rows: the autoregressive model waits for pixel i before pixel i + 1; the
    // VAE's price is pixels independent given z: blurred means, and a likelihood only bounded.

    // MARK: - Figures: reconstructions, samples, the latent space

    // Reconstructions: two test images of each digit above the decoder's Bernoulli means at
    // z = mu(x), the encoder's mean, for both models.
    let shownRows = (0..<10).flatMap { digit in
        testSet.labels.indices.filter { testSet.labels[$0] == digit }.dropFirst(10).prefix(2)
    }
    let shownImages = test.gatheringRows(shownRows)
    func reconstruct(_ vae: VAE<Float>) -> Tensor<Float> {
        withoutGradient { vae.decode(vae.encode(shownImages).mean).sigmoid() }
    }
    try chapter.save(
        reconstructionsFigure(
            images: shownImages,
            reconstructions: [("z 2", reconstruct(vae2)), ("z \(options.latent)", reconstruct(vaeK))],
            dimension: dimension),
        "ch4-reconstructions.png", "20 test images above their reconstructions by both VAEs")

    // Samples from the prior, shown as the decoder's means. Many of the 32-D model's are not
    // digits: the ELBO asks each q(z|x) to be near N(0, I), not their mixture over the training
    // set, the aggregate posterior q(z), to fill it; z drawn where q(z) leaves the prior's volume
    // empty decodes to strokes of no digit. The third panel decodes z ~ q(z|x) of training images:
    // reconstructions, not samples. Active units (the variance over x of E_q[z_k] above 0.01,
    // Burda et al.) count the dimensions the encoder uses.
    let samples2 = vae2.sampleMeans(count: 64, using: &samplingRng)
    let samplesK = vaeK.sampleMeans(count: 64, using: &samplingRng)
    let someTraining = train.gatheringRows((0..<64).map { _ in samplingRng.index(below: train.shape[0]) })
    let aggregateK = vaeK.posteriorSampleMeans(someTraining, using: &samplingRng)
    for (name, vae) in [(small, vae2), (large, vaeK)] {
        chapter.report("mnist/active latent units/\(name)", Double(vae.activeUnits(train)), digits: 0)
    }
    try chapter.save(
        samplesFigure(small: samples2, large: samplesK, aggregate: aggregateK, largeName: "z \(options.latent)"),
        "ch4-samples.png", "36 samples from the prior of each VAE; 36 decodes of z ~ q(z|x) of training images")

    // The 2-D latent manifold: decoder means on a 16 x 16 grid of z over [-3, 3]^2, and where the
    // encoder puts the 500 test images. Each digit has its region, look-alikes (4 and 9; 3, 5, 8)
    // overlap, and where no code falls (the lower left) the decoder was never trained.
    let side = 16
    try chapter.save(
        latentManifoldFigure(
            withoutGradient { vae2.decode(squareGrid(side: side, halfWidth: 3)).sigmoid() }, side: side),
        "ch4-latent-manifold.png", "the decoder's means on a \(side)x\(side) grid of the 2-D latent space")
    let meansX = (0..<testSet.count).map { eval2.means[2 * $0] }
    let meansY = (0..<testSet.count).map { eval2.means[2 * $0 + 1] }
    try chapter.save(
        latentScatterFigure(x: meansX, y: meansY, labels: testSet.labels), "ch4-latent-scatter.png",
        "the 2-D latent means of the test set, coloured by digit")
    chapter.report(
        "mnist/test latent means outside [-3, 3]^2, fraction/\(small)",
        Double(zip(meansX, meansY).filter { Swift.abs($0) > 3 || Swift.abs($1) > 3 }.count) / Double(testSet.count),
        digits: 3)

    // The 2-D model's samples hold too many zeros, and some blotchy rings: the prior spreads its
    // mass evenly around 0, the codes do not. 10,000 draws z ~ N(0, I), each labelled by the nearest
    // test code: the zeros' region (below z_2 = -0.5) takes more than the data's share, and draws
    // far from every code land where the decoder extrapolates to saturated blots.
    var priorRng = rng.split()
    let shares = priorShares(
        codesX: meansX, codesY: meansY, labels: testSet.labels, draws: 10_000, radius: 0.5, using: &priorRng)
    chapter.report(
        "mnist/prior draws nearest a code of digit 0, fraction/\(small)", shares.perLabel[0], digits: 3,
        note:
            "\(fmt(Double(testSet.labels.filter { $0 == 0 }.count) / Double(testSet.count), 3)) of the test images are zeros"
    )
    chapter.report("mnist/prior draws farther than 0.5 from every test code, fraction/\(small)", shares.far, digits: 3)

    // MARK: - 7. A straight line in z

    // Between a 2 and a 3, a 4 and a 9, a 0 and a 6 (the first test image of each): the decoded
    // line z_t = (1 - t) mu(x_a) + t mu(x_b), and the pixel blend (1 - t) x_a + t x_b. The blend is
    // a double exposure, two faint digits on top of each other; the line in z passes through images
    // the decoder draws as single strokes, because the decoder maps every z to one image of its kind.
    let steps = 10
    let lines = [(2, 3), (4, 9), (0, 6)].map { a, b -> [Tensor<Float>] in
        let (xa, xb) = (
            test.gatheringRows([testSet.labels.firstIndex(of: a)!]),
            test.gatheringRows([testSet.labels.firstIndex(of: b)!])
        )
        return [
            vaeK.interpolation(from: xa, to: xb, steps: steps), vae2.interpolation(from: xa, to: xb, steps: steps),
            pixelBlend(xa, xb, steps: steps),
        ]
    }
    try chapter.save(
        interpolationFigure(lines, captions: ["z \(options.latent)", "z 2", "pixels"], steps: steps),
        "ch4-interpolation.png",
        "straight lines in z between three pairs of test digits, decoded, above the pixel blends")

    // MARK: - 8. The digits: a categorical decoder on the scoreboard, and the lecture's Gaussian decoder

    // The 8x8 digits have 17 gray levels. A categorical decoder (a softmax over the levels per pixel)
    // bounds the NLL chapters 1-3 measure (PyTorch, 64-256-256-(2x16) / 16-256-256-(64x17): -ELBO
    // 96.87, IWAE-1000 94.42). The lecture's decoder is Gaussian, a mean and a variance per pixel:
    // a density. On the levels themselves (x = k / 16) a pixel that is 0 in every image is fitted
    // by sigma -> 0, where log p(x|z) -> +infinity. Dequantised, x = (k + u) / 17, u ~ U(0, 1), it
    // is a likelihood: log P(k) >= E_u[log p(x)] - 64 ln 17 (Jensen over the bin), so -ELBO +
    // 64 ln 17 bounds the digits' NLL. A floor (sigma^2 >= --variance-floor) stops the collapse.
    let digits = try RealDataset.digits8x8.loadSplits()
    let levels = [digits.train, digits.validation, digits.test].map(DigitsForVAE.levels)
    var digitsRng = pcaRng.split()  // independent of the MNIST models and of --latent, --epochs, --beta
    let dequantise: (Tensor<Float>, inout Random) -> Tensor<Float> = {
        DigitsForVAE.dequantised($0, levelCount: 17, using: &$1)
    }
    let (validationX, testX) = (dequantise(levels[1], &digitsRng), dequantise(levels[2], &digitsRng))
    let bins = 64 * Foundation.log(17.0)
    let categorical = try chapter.digitsVAE(
        "VAE, categorical (z 16)", likelihood: .categorical(levels: 17), train: levels[0], validation: levels[1],
        test: levels[2],
        epochs: sizes.digitsEpochs, samples: sizes.evaluationSamples, ks: sizes.ks, offset: 0, levelWidth: 1,
        using: &digitsRng)
    let gaussians = try [
        ("VAE, Gaussian learned variance (z 16)", 0.0), ("VAE, Gaussian variance floor (z 16)", options.varianceFloor),
    ].map {
        try chapter.digitsVAE(
            $0, likelihood: .gaussian(variance: .learned(floor: $1)), train: levels[0], validation: validationX,
            test: testX,
            epochs: sizes.gaussianEpochs, samples: sizes.gaussianSamples, ks: sizes.gaussianKs, offset: bins,
            levelWidth: 1.0 / 17,
            prepare: dequantise, using: &digitsRng)
    }
    for r in [categorical] + gaussians {
        chapter.report(
            "digits/test -ELBO/\(r.name)", r.negativeELBO, unit: "nats",
            reference: r.name == categorical.name ? 96.87 : nil,
            note:
                "train \(fmt(r.lastTrainingNegativeELBO)) in the last epoch; epoch \(r.curves.log.kept) kept; \(fmt(r.seconds, 1)) s"
        )
        let ks = r.name == categorical.name ? sizes.ks : sizes.gaussianKs
        for k in ks where k > 1 {
            chapter.report(
                "digits/test IWAE-\(k)/\(r.name)", r.negativeIWAE(k), unit: "nats",
                reference: r.name == categorical.name && k == 1000 ? 94.42 : nil)
        }
        if let sd = r.standardDeviations.min() {
            chapter.report("digits/smallest decoder sd, gray levels/\(r.name)", sd, digits: 3)
        }
    }
    // Without dequantisation: the learned-variance decoder on x = k / 16 exactly. Dequantised, a
    // pixel's sd gains nothing below the noise's own, 1/sqrt(12) = 0.29 gray levels; on the levels
    // nothing bounds it, and the -log density is no likelihood (it is below 0 already here).
    let raw = [digits.train, digits.validation, digits.test].map { $0.flattened() as Tensor<Float> }
    let runaway = try chapter.digitsVAE(
        "VAE, Gaussian learned variance, undequantised (z 16)", likelihood: .gaussian(variance: .learned(floor: 0)),
        train: raw[0], validation: raw[1], test: raw[2], epochs: sizes.gaussianEpochs, samples: 1, ks: [1], offset: 0,
        levelWidth: 1.0 / 16, using: &digitsRng)
    chapter.report(
        "digits/train -log density in the last epoch, undequantised/\(runaway.name)", runaway.lastTrainingNegativeELBO,
        unit: "nats")
    chapter.report(
        "digits/smallest decoder sd, gray levels/\(runaway.name)", runaway.standardDeviations.min()!, digits: 3)
    try chapter.save(
        digitsFigure([categorical] + gaussians, runaway: runaway), "ch4-digits.png",
        "validation -ELBO per epoch; decoder sd per pixel")
    // How to read these rows: the categorical VAE lands near its reference, between chapter 1's
    // MADE and independent pixels. The Gaussian decoders trail on the same scale: a Gaussian is a
    // poor model of pixels that sit at 0 or at 16 in most images.

    // MARK: - 9. Do the samples look like digits?
    // Chapter 1's judge scores 500 draws x ~ p(x|z), z ~ p(z), of each MNIST VAE.
    for (name, vae) in [(small, vae2), (large, vaeK)] {
        let drawn = vae.sample(count: 500, using: &samplingRng).scalars.map { UInt8($0) }
        try chapter.reportSamples(name, drawn, grid: "ch4-judged-z\(vae.latentSize).png")
    }
}
