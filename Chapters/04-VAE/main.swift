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
    addNLLScoreboardRows(to: chapter, dimension: dimension)
    // Per model: test -ELBO, -IWAE-k (k > 1), the ELBO's terms, validation -ELBO, training time.
    chapter.reportBounds(small, vae2, eval2, training: training2, evaluationSeconds: evalSeconds2, sizes: sizes)
    chapter.reportBounds(
        large, vaeK, evalK, training: trainingK, evaluationSeconds: evalSecondsK, sizes: sizes,
        reference: options.latent == 32 ? (elbo: 104.06, iwae1000: 94.21) : nil)
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
    // Per encoder: the mean gap KL(q || p(z|x)) and the worst |log p(x) - ELBO - KL| (< 1e-6).
    let pcaGaps = try chapter.reportDecomposition(of: pca, encoders: encoders, on: pcaTestRows)
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
    let quadratureRows = rowsPerDigit(testSet.labels, count: sizes.quadratureImagesPerDigit)
    let (quadratures, quadratureSeconds) = timed {
        quadratureRows.map { row in
            vae2.quadrature(of: test.slice(row..<(row + 1), alongAxis: 0), count: 49, maxCount: 97, tolerance: 2e-3)
        }
    }
    let summary = QuadratureSummary(rows: quadratureRows, results: quadratures, evaluation: eval2, ks: sizes.ks)
    // Means of log p(x), E[IWAE-k] and KL(q || p(z|x)); the identity's worst error (< 1e-4).
    try chapter.reportQuadrature(summary, quadratures, seconds: quadratureSeconds, ks: sizes.ks, model: small)
    // How to read this: per image the ELBO falls short of log p(x) by KL(q || p(z|x)) to about
    // 1e-6, and IWAE-k climbs towards log p(x) as k grows. In the figure, for the largest gaps q
    // sits beside p(z|x) (one encoder for all images misplaces some: the amortization gap) and is
    // narrower than it, which KL(q || p) punishes little. With q that narrow, the rare tail draws
    // carry huge weights: most IWAE estimates fall short, a lucky one lands above log p(x).
    let byGap = quadratures.indices.sorted { quadratures[$0].klToPosterior > quadratures[$1].klToPosterior }
    try chapter.save(
        posteriorFigure(
            vae: vae2, test: test, rows: quadratureRows, quadratures: quadratures, byGap: byGap, summary: summary,
            evaluation: eval2, ks: sizes.ks),
        "ch4-posterior.png", "p(z|x) and q(z|x) of four test images; the mean bounds against k")

    // MARK: - 5. Why reparameterize: the variance of two gradient estimators

    // The gradient of E_q[f(z)] in mu and sigma, f(z) = log p(x|z) of a test image under the 2-D
    // decoder and q its q(z|x), from S samples: reparameterized, mean of f'(z_s) and f'(z_s) eps_s;
    // score function (REINFORCE), mean of f(z_s) eps_s / sigma and f(z_s) (eps_s^2 - 1) / sigma;
    // with a baseline, f(z_s) minus the mean of the other samples' f. All unbiased; each drawn many
    // times, against a reference from 20,000 reparameterized samples.
    let gradientRow = quadratureRows[byGap.last!]
    let (qMean, qStd) = eval2.encoderGaussian(ofRow: gradientRow)
    let f = vae2.logLikelihood(of: test.slice(gradientRow..<(gradientRow + 1), alongAxis: 0))
    var gradientRng = rng.split()
    let reference = GaussianGradientEstimator.reparameterization.estimate(
        of: f, mean: qMean, std: qStd, noise: .normal([20_000, 2], using: &gradientRng))
    let referenceVector = reference.mean + reference.std
    let gradientStats = measureGradientEstimators(
        of: f, mean: qMean, std: qStd, sampleCounts: sizes.gradientSampleCounts, repeats: sizes.gradientRepeats,
        using: &gradientRng)
    // Each estimator's variance at each S, and its mean's distance from the reference.
    chapter.reportGradientEstimators(
        gradientStats, reference: referenceVector, row: gradientRow, repeats: sizes.gradientRepeats)
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
    chapter.reportSamplingTimes([(small, vae2), (large, vaeK)], quick: quick, using: &samplingRng)
    addEarlierSamplingRows(to: chapter, dimension: dimension)
    // How to read these rows: the autoregressive model waits for pixel i before pixel i + 1; the
    // VAE's price is pixels independent given z: blurred means, and a likelihood only bounded.

    // MARK: - Figures: reconstructions, samples, the latent space

    // Reconstructions: two test images of each digit above the decoder's Bernoulli means at
    // z = mu(x), the encoder's mean, for both models.
    let shownImages = test.gatheringRows(rowsPerDigit(testSet.labels, skipping: 10, count: 2))
    try chapter.save(
        reconstructionsFigure(
            images: shownImages, models: [("z 2", vae2), ("z \(options.latent)", vaeK)], dimension: dimension),
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
    chapter.reportPriorShares(codesX: meansX, codesY: meansY, labels: testSet.labels, model: small, using: &priorRng)

    // MARK: - 7. A straight line in z

    // Between a 2 and a 3, a 4 and a 9, a 0 and a 6 (the first test image of each): the decoded
    // line z_t = (1 - t) mu(x_a) + t mu(x_b), and the pixel blend (1 - t) x_a + t x_b. The blend is
    // a double exposure, two faint digits on top of each other; the line in z passes through images
    // the decoder draws as single strokes, because the decoder maps every z to one image of its kind.
    let steps = 10
    let lines = interpolations(
        between: [(2, 3), (4, 9), (0, 6)], of: test, labels: testSet.labels, models: [vaeK, vae2], steps: steps)
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
        "VAE, categorical (z 16)", likelihood: .categorical(levels: 17), data: (levels[0], levels[1], levels[2]),
        epochs: sizes.digitsEpochs, samples: sizes.evaluationSamples, ks: sizes.ks, using: &digitsRng)
    let gaussians = try [
        ("VAE, Gaussian learned variance (z 16)", 0.0), ("VAE, Gaussian variance floor (z 16)", options.varianceFloor),
    ].map {
        try chapter.digitsVAE(
            $0, likelihood: .gaussian(variance: .learned(floor: $1)), data: (levels[0], validationX, testX),
            epochs: sizes.gaussianEpochs, samples: sizes.gaussianSamples, ks: sizes.gaussianKs, offset: bins,
            levelWidth: 1.0 / 17, prepare: dequantise, using: &digitsRng)
    }
    // Per model: test -ELBO and -IWAE-k in nats per image of the 17 levels; the smallest decoder sd.
    chapter.reportDigitsBounds(categorical, ks: sizes.ks, reference: (elbo: 96.87, iwae1000: 94.42))
    for r in gaussians { chapter.reportDigitsBounds(r, ks: sizes.gaussianKs) }
    // Without dequantisation: the learned-variance decoder on x = k / 16 exactly. Dequantised, a
    // pixel's sd gains nothing below the noise's own, 1/sqrt(12) = 0.29 gray levels; on the levels
    // nothing bounds it, and the -log density is no likelihood (it is below 0 already here).
    let raw = [digits.train, digits.validation, digits.test].map { $0.flattened() as Tensor<Float> }
    let runaway = try chapter.digitsVAE(
        "VAE, Gaussian learned variance, undequantised (z 16)", likelihood: .gaussian(variance: .learned(floor: 0)),
        data: (raw[0], raw[1], raw[2]), epochs: sizes.gaussianEpochs, samples: 1, ks: [1], levelWidth: 1.0 / 16,
        using: &digitsRng)
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
