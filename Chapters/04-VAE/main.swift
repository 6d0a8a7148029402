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
//   1. trains two VAEs on binarised MNIST-5k, with a 2-D and a 32-D latent space, and follows the
//      reconstruction term, the KL term and the ELBO on train and validation images;
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

/// Sizes of the full run and of --quick (a check that everything runs, in seconds).
struct Sizes {
    let epochs: Int
    let evaluationSamples: Int
    let ks: [Int]
    let quadratureImagesPerDigit: Int
    let linearGaussianSteps: Int
    let gradientRepeats: Int
    let gradientSampleCounts: [Int]
    init(quick: Bool) {
        epochs = quick ? 2 : 60
        evaluationSamples = quick ? 100 : 1000
        ks = quick ? [1, 10, 100] : [1, 10, 100, 1000]
        quadratureImagesPerDigit = quick ? 1 : 4
        linearGaussianSteps = quick ? 300 : 3000
        gradientRepeats = quick ? 50 : 400
        gradientSampleCounts = [1, 10, 100]
    }
}

Chapter.run(number: 4, title: "Variational autoencoders") { chapter in
    var rng = chapter.rng
    // Sections that do not depend on the trained models draw from their own generators, split off
    // here, so that their numbers are the same in a quick and a full run.
    var pcaRng = rng.split()
    let quick = chapter.options.quick
    let sizes = Sizes(quick: quick)
    let table = chapter.results
    func sci(_ x: Double) -> String { String(format: "%.1e", x) }
    /// Writes a figure into the figures folder and names it.
    func save(_ canvas: Canvas, _ name: String, _ what: String) throws {
        try canvas.writePNG(to: chapter.figurePath(name))
        print("wrote \(name): \(what)")
    }

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
    let vae32 = VAE<Float>(dataSize: dimension, hiddenSizes: [400], latentSize: 32, using: &rng)

    // The loss of one minibatch is -ELBO averaged over its images, each term per image:
    //   reconstruction  log p(x|z) = sum_i x_i log sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i)),
    //                   at one z = mu + sigma * eps per image (an unbiased estimate of E_q[log p(x|z)]);
    //   KL              KL(N(mu, sigma^2) || N(0, 1)) = 0.5 sum_k (mu_k^2 + sigma_k^2 - 1 - log sigma_k^2),
    //                   in closed form, no sampling.
    // The gradient flows through z = mu + sigma * eps into the encoder, eps held fixed.
    // Adam 1e-3 on batches of 100, as the reference; after every epoch the validation ELBO
    // (with noise drawn once, so that epochs are compared on the same eps) picks the weights kept.
    struct TrainingLog {
        var train: (reconstruction: [Double], kl: [Double]) = ([], [])
        var validation: (reconstruction: [Double], kl: [Double]) = ([], [])
        var bestEpoch = 0
        var seconds = 0.0
        var bestValidationELBO: Double { validation.reconstruction[bestEpoch - 1] - validation.kl[bestEpoch - 1] }
    }
    func trainVAE(_ vae: VAE<Float>, name: String) throws -> TrainingLog {
        let adam = Adam<Float>(learningRate: 1e-3)
        var log = TrainingLog()
        var best = (elbo: -Double.infinity, weights: vae.parameters.map(\.value))
        let validationNoise = vae.noise(count: validation.shape[0], using: &rng)
        let batchSize = 100
        let batchesPerEpoch = train.shape[0] / batchSize
        let progress = Progress(name, total: sizes.epochs * batchesPerEpoch)
        var step = 0
        for epoch in 1...sizes.epochs {
            var sums = (reconstruction: 0.0, kl: 0.0)
            log.seconds += try timed {
                for rows in ShuffledBatches(count: train.shape[0], batchSize: batchSize, using: &rng) {
                    let x = train.gatheringRows(rows)
                    let noise = vae.noise(count: rows.count, using: &rng)
                    var terms: ELBOTerms<Float>? = nil
                    let (loss, grads) = valueAndGradient(of: vae.parameters) {
                        let t = vae.elboTerms(x, noise: noise)
                        terms = t
                        return -t.elbo.mean()
                    }
                    step += 1
                    try chapter.checkFinite(loss.item, step: step, model: name)
                    adam.update(vae.parameters, with: grads)
                    sums.reconstruction += Double(terms!.reconstruction.detached.sum().item)
                    sums.kl += Double(terms!.kl.detached.sum().item)
                    progress.update(step: step, epoch: epoch, loss: Double(loss.item))
                }
            }.seconds
            let n = Double(train.shape[0])
            log.train.reconstruction.append(sums.reconstruction / n)
            log.train.kl.append(sums.kl / n)
            let v = withoutGradient { vae.elboTerms(validation, noise: validationNoise) }
            let (reconstruction, kl) = (Double(v.reconstruction.mean().item), Double(v.kl.mean().item))
            log.validation.reconstruction.append(reconstruction)
            log.validation.kl.append(kl)
            if reconstruction - kl > best.elbo {
                best = (reconstruction - kl, vae.parameters.map(\.value))
                log.bestEpoch = epoch
            }
        }
        for (p, w) in zip(vae.parameters, best.weights) { p.value = w }
        return log
    }
    let training2 = try trainVAE(vae2, name: "VAE z 2")
    let training32 = try trainVAE(vae32, name: "VAE z 32")
    for (name, log) in [("z 2", training2), ("z 32", training32)] {
        print("VAE \(name): \(sizes.epochs) epochs in \(fmt(log.seconds, 1)) s; epoch \(log.bestEpoch) kept, validation -ELBO \(fmt(-log.bestValidationELBO))")
    }

    // The curves: each term per epoch, train (the running average over the epoch's minibatches,
    // one z per image) and validation (at the end of the epoch). How to read them: the 32-D model
    // spends its KL budget, about 30 nats per image of information about x carried in z, and buys
    // a reconstruction term better by far more than that; two numbers cannot carry more than a
    // few nats, so the 2-D model's KL stays near 6 and its reconstructions stay blurred. With 4000
    // training images the train and validation curves part: the validation ELBO flattens while the
    // train ELBO keeps rising.
    func curve(_ title: String, yLabel: String, yRange: ClosedRange<Double>? = nil, _ value: (TrainingLog, Bool) -> [Double]) -> Canvas {
        curvesPlot(x: (1...sizes.epochs).map(Double.init), [
            Series("z 2, train", y: value(training2, true), color: Color.categorical[0]),
            Series("z 2, validation", y: value(training2, false), color: Color.categorical[0], style: .dashed),
            Series("z 32, train", y: value(training32, true), color: Color.categorical[1]),
            Series("z 32, validation", y: value(training32, false), color: Color.categorical[1], style: .dashed),
        ], title: title, xLabel: "epoch", yLabel: yLabel, yRange: yRange, width: 560, height: 440)
    }
    // The first epoch's values are far off the scale of the rest; the curves start at epoch 2.
    func fromSecond(_ v: [Double]) -> [Double] { v.enumerated().map { $0.offset == 0 && v.count > 2 ? .nan : $0.element } }
    try save(
        panel([
            curve("E_q[log p(x|z)]", yLabel: "nats per image") { log, isTrain in fromSecond(isTrain ? log.train.reconstruction : log.validation.reconstruction) },
            // Headroom above the KL curves, where the legend goes without hiding them.
            curve("KL(q(z|x) || p(z))", yLabel: "nats per image", yRange: 0...(quick ? 20 : 50)) { log, isTrain in
                fromSecond(isTrain ? log.train.kl : log.validation.kl)
            },
            curve("ELBO", yLabel: "nats per image") { log, isTrain in
                fromSecond(isTrain ? zip(log.train.reconstruction, log.train.kl).map { $0 - $1 } : zip(log.validation.reconstruction, log.validation.kl).map { $0 - $1 })
            },
        ], title: "Chapter 4: the two terms of the ELBO during training (MNIST-5k)"),
        "ch4-training-curves.png", "reconstruction term, KL term and ELBO per epoch, train and validation, both VAEs")

    // MARK: - 2. Test ELBO and importance-weighted log-likelihood

    // The ELBO is a bound; how far below log p(x) it lies is unknown. Importance sampling with q
    // as proposal gives a better estimate (Burda et al., 2016):
    //
    //     IWAE_k(x) = log (1/k) sum_{s=1..k} p(x|z_s) p(z_s) / q(z_s|x),    z_s ~ q(z|x),
    //
    // E[IWAE_1] = ELBO, E[IWAE_k] grows with k and tends to log p(x) (Jensen's inequality applied
    // to an average of k weights instead of one). The log of an average of exponentials of
    // numbers near -100 is computed as a log-mean-exp, the largest term factored out. All three
    // from the same 1000 draws per test image: the ELBO with the closed-form KL, IWAE_k for every
    // k as the mean over the 1000 / k groups of k draws.
    let (eval2, evalSeconds2) = timed { vae2.evaluate(test, samples: sizes.evaluationSamples, ks: sizes.ks, using: &rng) }
    let (eval32, evalSeconds32) = timed { vae32.evaluate(test, samples: sizes.evaluationSamples, ks: sizes.ks, using: &rng) }
    let kMax = sizes.ks.last!
    let average = VAEEvaluation.average

    // The autoregressive models of chapters 1-3 give exact log p(x) of the same 500 test images.
    let uniform = Likelihood.uniformNats(dimensions: dimension, levels: 2)
    table.add("MNIST-5k test: uniform (784 ln 2)", ["measured": fmt(uniform), "note": "NLL, nats per image"])
    for n in 1...3 {
        guard let earlier = chapter.metrics(ofChapter: n) else {
            print("Chapter \(n)'s results are not in \(chapter.figures.path)/results (run chapter \(n) with the same --figures and --quick to compare).")
            continue
        }
        let prefix = "mnist/test NLL/"
        let rows = earlier.filter { $0.key.hasPrefix(prefix) && $0.key != prefix + "uniform" }.sorted { $0.value > $1.value }
        if rows.isEmpty { print("Chapter \(n) recorded no MNIST-5k test NLL (its models are timed on MNIST, or trained on other data).") }
        for (key, nats) in rows {
            table.add("MNIST-5k test: \(key.dropFirst(prefix.count)) (chapter \(n))", ["measured": fmt(nats), "note": "exact NLL"])
        }
    }
    for (name, vae, e, log, seconds) in [("VAE (z 2)", vae2, eval2, training2, evalSeconds2), ("VAE (z 32)", vae32, eval32, training32, evalSeconds32)] {
        let elbo = average(e.elbo), iwae = average(e.importanceWeighted[kMax]!)
        table.add("MNIST-5k test: \(name), -ELBO", [
            "measured": fmt(-elbo),
            "note": "\(fmt(-average(e.reconstruction))) reconstruction + \(fmt(average(e.kl))) KL; \(vae.parameterCount) parameters; epoch \(log.bestEpoch)/\(sizes.epochs) kept; trained in \(fmt(log.seconds, 1)) s",
        ])
        table.add("MNIST-5k test: \(name), -IWAE-\(kMax)", [
            "measured": fmt(-iwae), "note": "\(fmt(iwae - elbo)) below -ELBO; \(sizes.evaluationSamples) draws per image, \(fmt(seconds, 1)) s",
        ])
        chapter.record("mnist/test -ELBO/\(name)", -elbo)
        for k in sizes.ks where k > 1 { chapter.record("mnist/test IWAE-\(k)/\(name)", -average(e.importanceWeighted[k]!)) }
        chapter.record("mnist/test reconstruction -E_q[log p(x|z)]/\(name)", -average(e.reconstruction))
        chapter.record("mnist/test KL(q||p(z))/\(name)", average(e.kl))
        chapter.record("mnist/validation -ELBO/\(name)", -log.bestValidationELBO)
        chapter.record("mnist/train seconds/\(name)", log.seconds)
        print(
            "\(name): test -ELBO \(fmt(-elbo)) = \(fmt(-average(e.reconstruction))) reconstruction + \(fmt(average(e.kl))) KL; "
                + "IWAE-k: " + sizes.ks.map { "k \($0): \(fmt(-average(e.importanceWeighted[$0]!)))" }.joined(separator: ", ")
                + " nats (\(fmt(seconds, 1)) s for \(test.shape[0]) x \(sizes.evaluationSamples) decoder passes)")
    }
    table.add("MNIST-5k test: PyTorch reference VAE (z 20)", ["measured": "104.06 / 94.21", "note": "-ELBO / -IWAE-1000, 65 epochs"])
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
    let pca: LinearGaussianModel = {
        var w = (0..<12).map { _ in pcaRng.normal() }
        for i in 0..<6 { w[2 * i + 1] = 0.8 * w[2 * i] + 0.6 * w[2 * i + 1] }
        let mu = (0..<6).map { _ in pcaRng.normal() }
        return LinearGaussianModel(loadings: w, dataDimension: 6, latentDimension: 2, mean: mu, noiseVariance: 0.25)
    }()
    let pcaTrain = pca.samples(2000, using: &pcaRng).x
    let pcaTest = pca.samples(500, using: &pcaRng).x
    let pcaTestRows = (0..<pcaTest.shape[0]).map { n in (0..<6).map { Double(pcaTest.scalars[n * 6 + $0]) } }

    // Encoders q(z|x) = N(A^T x + b, L L^T), linear in x as the exact posterior's mean is:
    //   - q = p(z): ignores x altogether (the poor one);
    //   - mean-field (L diagonal, like the VAE's encoder), trained;
    //   - full covariance (L lower triangular), trained;
    //   - the best mean-field q: the exact posterior mean and variances 1 / (Sigma^-1)_kk, which is
    //     the diagonal Gaussian closest to the posterior N(m, Sigma) in KL(q || p);
    //   - the exact posterior (A, b, L from the formula above).
    // Training is the VAE's: Adam on the one-sample reparameterized ELBO (z = m + L eps), batches
    // of 100 drawn from 2000 samples of x, the learning rate falling from 1e-2 to 1e-4.
    func trainedEncoder(_ family: LinearGaussianEncoder<Float>.Family) throws -> (LinearGaussianEncoder<Float>, Double) {
        let encoder = LinearGaussianEncoder<Float>(dataDimension: 6, latentDimension: 2, family: family, using: &pcaRng)
        let adam = Adam<Float>(learningRate: 1e-2)
        let seconds = try timed {
            var batches = ShuffledBatches(count: pcaTrain.shape[0], batchSize: 100, using: &pcaRng)
            for step in 1...sizes.linearGaussianSteps {
                let t = Double(step - 1) / Double(sizes.linearGaussianSteps - 1)
                adam.learningRate = Float(1e-2 * Foundation.pow(1e-2, t))
                var next = batches.next()
                if next == nil {
                    batches = ShuffledBatches(count: pcaTrain.shape[0], batchSize: 100, using: &pcaRng)
                    next = batches.next()
                }
                let rows = next!
                let x = pcaTrain.gatheringRows(rows)
                let noise = Tensor<Float>.normal([rows.count, 2], using: &pcaRng)
                let (loss, grads) = valueAndGradient(of: encoder.parameters) { -encoder.elboEstimate(x, noise: noise, model: pca).mean() }
                try chapter.checkFinite(loss.item, step: step, model: "the linear-Gaussian \(family.rawValue) encoder")
                adam.update(encoder.parameters, with: grads)
            }
        }.seconds
        return (encoder, seconds)
    }
    let exact = LinearGaussianEncoder<Double>.exactPosterior(of: pca)
    let bestMeanField: LinearGaussianEncoder<Double> = {
        let precision = Cholesky(exact.density(for: pca.mean).covariance, n: 2)!.inverse()
        let l = [1 / precision[0].squareRoot(), 0, 0, 1 / precision[3].squareRoot()]
        return LinearGaussianEncoder(
            weight: exact.weight.value.scalars, bias: exact.bias.value.scalars, scale: l, dataDimension: 6, latentDimension: 2,
            family: .diagonal)
    }()
    let (meanField, meanFieldSeconds) = try trainedEncoder(.diagonal)
    let (fullCovariance, fullSeconds) = try trainedEncoder(.full)
    let encoders: [(name: String, density: ([Double]) -> GaussianDensity)] = [
        ("q = p(z)", { _ in .standard(dimension: 2) }),
        ("mean-field, trained", meanField.density),
        ("best mean-field", bestMeanField.density),
        ("full, trained", fullCovariance.density),
        ("exact posterior", exact.density),
    ]
    let posteriorCovariance = pca.exactPosterior(pca.mean).covariance
    let posteriorCorrelation = posteriorCovariance[1] / (posteriorCovariance[0] * posteriorCovariance[3]).squareRoot()
    print("linear-Gaussian model: the posterior's standard deviations \(fmt(posteriorCovariance[0].squareRoot(), 3)) and \(fmt(posteriorCovariance[3].squareRoot(), 3)), correlation \(fmt(posteriorCorrelation, 3)) (the same for every x)")
    chapter.record("linear-gaussian/posterior correlation/exact posterior", posteriorCorrelation)
    print("linear-Gaussian encoders trained for \(sizes.linearGaussianSteps) steps: mean-field \(fmt(meanFieldSeconds, 1)) s, full covariance \(fmt(fullSeconds, 1)) s")
    print("linear-Gaussian VAE (D 6, K 2), means over \(pcaTestRows.count) test x:  log p(x)  =  ELBO  +  KL(q||p(z|x));  max |log p(x) - ELBO - KL|")
    var pcaGaps: [Double] = []
    for (name, density) in encoders {
        var sums = (logP: 0.0, elbo: 0.0, kl: 0.0), worst = 0.0
        for x in pcaTestRows {
            let q = density(x)
            let logP = pca.logMarginal(x)
            let elbo = pca.elbo(x, q: q).elbo
            let kl = q.kl(to: pca.exactPosterior(x))
            sums = (sums.logP + logP, sums.elbo + elbo, sums.kl + kl)
            worst = Swift.max(worst, Swift.abs(logP - elbo - kl))
        }
        let n = Double(pcaTestRows.count)
        pcaGaps.append(sums.kl / n)
        print("  \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(fmt(sums.logP / n, 6)) = \(fmt(sums.elbo / n, 6)) + \(fmt(sums.kl / n, 6));  \(sci(worst))")
        table.add("linear-Gaussian: \(name)", [
            "measured": "\(fmt(sums.logP / n, 4)) = \(fmt(sums.elbo / n, 4)) + \(fmt(sums.kl / n, 6))",
            "note": "log p(x) = ELBO + KL(q||p(z|x)), means; max error \(sci(worst))",
        ])
        chapter.record("linear-gaussian/KL(q||p(z|x))/\(name)", sums.kl / n)
        chapter.record("linear-gaussian/log p(x) - ELBO - KL, max abs error/\(name)", worst)
        guard worst < 1e-6 else { throw WorkbookError("log p(x) = ELBO + KL failed for \(name) by \(worst) > 1e-6: the formulas disagree") }
    }
    // How to read these rows: the identity holds to about 1e-13 for every q, good or bad; what q
    // changes is how the same log p(x) is split between the ELBO and the gap. q = p(z) leaves a gap
    // of tens of nats. The mean-field encoder closes most of it but not all: the posterior's two
    // coordinates are correlated (M is not diagonal), a diagonal q cannot follow, and training
    // stops at the best diagonal q's gap, a property of the family, not of the optimiser. The
    // full-covariance encoder can represent the posterior, and training closes the gap to about
    // 1e-3 nats (what its Monte-Carlo gradients resolve); the exact posterior closes it to rounding.

    // The figure: the posterior and each q for one x, as 2-standard-deviation ellipses in the
    // latent plane, and the gap each q leaves.
    func ellipse(_ g: GaussianDensity, radius: Double = 2) -> (x: [Double], y: [Double]) {
        let l = g.factor.lower
        let t = (0...120).map { 2 * Double.pi * Double($0) / 120 }
        return (t.map { g.mean[0] + radius * l[0] * cos($0) }, t.map { g.mean[1] + radius * (l[2] * cos($0) + l[3] * sin($0)) })
    }
    // (q = p(z), the unit circle around 0, is left out of the ellipses: it would dwarf the rest.)
    let shownX = pcaTestRows[0]
    var ellipses: [Series] = []
    var extent: (x: [Double], y: [Double]) = ([], [])
    for (i, (name, density)) in encoders.enumerated() where i > 0 && i < 4 {
        let e = ellipse(density(shownX))
        ellipses.append(Series(name, x: e.x, y: e.y, color: Color.categorical[i]))
        extent = (extent.x + e.x, extent.y + e.y)
    }
    let truth = ellipse(pca.exactPosterior(shownX))
    ellipses.append(Series("p(z|x) = exact q", x: truth.x, y: truth.y, color: .black, style: .dashed))
    // The same length per unit on both axes, so that a circle looks like one: a square box, marked
    // by two white dots at its corners, with room above for the legend.
    let centre = [(extent.x.min()! + extent.x.max()!) / 2, (extent.y.min()! + extent.y.max()!) / 2]
    let half = Swift.max(extent.x.max()! - extent.x.min()!, extent.y.max()! - extent.y.min()!) * 0.75
    ellipses.append(Series("", x: [centre[0] - half, .nan, centre[0] + half], y: [centre[1] - half, .nan, centre[1] + half], color: .white))
    try save(
        panel([
            linePlot(ellipses, title: "q(z|x) and p(z|x) for one x (2 sd)", xLabel: "z_1", yLabel: "z_2", width: 600, height: 640),
            barChart(pcaGaps.prefix(4).map { Foundation.log10($0) }, labels: ["q = p(z)", "mean-field", "best diagonal", "full, trained"],
                     title: "log10 mean KL(q || p(z|x)); the exact q's is 0", yLabel: "log10 (log p(x) - ELBO)", width: 640, height: 640),
        ], title: "Linear-Gaussian VAE: log p(x) = ELBO + KL(q || p(z|x)), each term exact"),
        "ch4-linear-gaussian.png", "the posterior and the trained encoders' q for one x; the gap each of the five leaves")

    // MARK: - 4. The gap on the real model: quadrature over the 2-D latent space

    // With K = 2 the integral log p(x) = log integral of p(x|z) p(z) dz is a 2-D integral, and a
    // grid does it: the sum over a uniform grid times the cell area, on a box found by a coarse
    // grid over [-5, 5]^2 to hold all of p(z|x) (the border is checked to be more than 20 nats
    // below the peak). With log p(x), p(z|x) = p(x, z) / p(x) is known at every grid point, and
    //     KL(q || p(z|x)) = E_q[log q(z|x)] - E_q[log p(x, z)] + log p(x),
    // the expectations on a second grid over q's own +- 8 sigma. The ReLU decoder makes log p(x|z)
    // piecewise smooth in z (it bends where a hidden unit switches on), so the rule converges as a
    // power of the spacing rather than exponentially: the grid has 49 points per axis, or 97 where
    // the rule with every other point (twice the spacing) differs by more than 2e-3 nats; the
    // largest such difference is printed, a bound on the error of the finer rule. Test images:
    // the first few of each digit.
    let perDigit = sizes.quadratureImagesPerDigit
    let quadratureRows = (0..<10).flatMap { digit in testSet.labels.indices.filter { testSet.labels[$0] == digit }.prefix(perDigit) }
    let (quadratures, quadratureSeconds) = timed {
        quadratureRows.map { row in vae2.quadrature(of: test.slice(row..<(row + 1), alongAxis: 0), count: 49, maxCount: 97, tolerance: 2e-3) }
    }
    let m = Double(quadratureRows.count)
    func meanOver(_ f: (Int, LatentQuadratureResult) -> Double) -> Double {
        zip(quadratureRows, quadratures).reduce(0) { $0 + f($1.0, $1.1) } / m
    }
    let logP = meanOver { _, r in r.logMarginal }
    let klPosterior = meanOver { _, r in r.klToPosterior }
    let elboQuadrature = meanOver { row, r in r.elbo(closedFormKL: eval2.kl[row]) }
    let elboMonteCarlo = meanOver { row, _ in eval2.elbo[row] }
    let identityError = zip(quadratureRows, quadratures).map { row, r in Swift.abs(r.logMarginal - r.elbo(closedFormKL: eval2.kl[row]) - r.klToPosterior) }.max()!
    let ruleError = quadratures.map { Swift.abs($0.logMarginal - $0.logMarginalAtDoubleSpacing) }.max()!
    let worstBorder = quadratures.map(\.borderDrop).max()!
    let klQuadratureVsClosed = zip(quadratureRows, quadratures).map { row, r in Swift.abs(r.klToPrior - eval2.kl[row]) }.max()!
    let iwaeMeans = sizes.ks.map { k in meanOver { row, _ in eval2.importanceWeighted[k]![row] } }
    // Per image: is IWAE_k <= log p(x) for the largest k? A single estimate may exceed log p(x)
    // (the bound holds for its expectation); on average it may not.
    let excess = zip(quadratureRows, quadratures).map { row, r in eval2.importanceWeighted[kMax]![row] - r.logMarginal }
    let aboveLogP = excess.filter { $0 > 0 }.count
    print("quadrature of \(quadratureRows.count) test images (VAE z 2) in \(fmt(quadratureSeconds, 1)) s; grids of \(Set(quadratures.map(\.posteriorGrid.count)).sorted()) points per axis; border at most \(fmt(worstBorder, 1)) nats below the peak")
    print("  log p(x)                  \(fmt(logP, 4))   (rule at double spacing differs by at most \(sci(ruleError)))")
    for (k, v) in zip(sizes.ks, iwaeMeans) { print("  IWAE-\(k)".padding(toLength: 28, withPad: " ", startingAt: 0) + fmt(v, 4)) }
    print("  ELBO, Monte Carlo         \(fmt(elboMonteCarlo, 4))   (\(sizes.evaluationSamples) samples per image)")
    print("  ELBO, quadrature          \(fmt(elboQuadrature, 4))   (E_q[log p(x|z)] on q's grid; |KL(q||p(z)) by grid - closed form| <= \(sci(klQuadratureVsClosed)))")
    print("  KL(q || p(z|x))           \(fmt(klPosterior, 4))")
    print("  log p(x) - ELBO - KL      max over images \(sci(identityError));  log p(x) - ELBO (Monte Carlo) = \(fmt(logP - elboMonteCarlo, 4)) against KL \(fmt(klPosterior, 4))")
    print("  IWAE-\(kMax) above log p(x) in \(aboveLogP) of \(quadratureRows.count) images, by at most \(fmt(excess.max()!, 3)) nats (single estimates; their mean is \(fmt(-excess.reduce(0, +) / m, 3)) below)")
    let shownCount = "\(quadratureRows.count) test images"
    table.add("VAE (z 2), \(shownCount): -log p(x), quadrature", ["measured": fmt(-logP, 3), "note": "rule error <= \(sci(ruleError))"])
    for (k, v) in zip(sizes.ks, iwaeMeans).reversed() {
        table.add("VAE (z 2), \(shownCount): -IWAE-\(k)", ["measured": fmt(-v, 3), "note": "\(fmt(logP - v, 3)) above -log p(x)"])
    }
    table.add("VAE (z 2), \(shownCount): -ELBO", [
        "measured": fmt(-elboQuadrature, 3),
        "note": "\(fmt(logP - elboQuadrature, 3)) above -log p(x); KL(q||p(z|x)) \(fmt(klPosterior, 3)); max |log p(x) - ELBO - KL| \(sci(identityError))",
    ])
    chapter.record("mnist/quadrature log p(x), mean over quadrature images/VAE (z 2)", logP)
    chapter.record("mnist/quadrature KL(q||p(z|x)), mean/VAE (z 2)", klPosterior)
    chapter.record("mnist/quadrature log p(x) - ELBO - KL, max abs error/VAE (z 2)", identityError)
    chapter.record("mnist/quadrature rule error bound/VAE (z 2)", ruleError)
    for (k, v) in zip(sizes.ks, iwaeMeans) { chapter.record("mnist/IWAE-\(k), mean over quadrature images/VAE (z 2)", v) }
    guard identityError < 1e-4, worstBorder < -20 else {
        throw WorkbookError(
            "quadrature check failed: |log p(x) - ELBO - KL| = \(identityError) (should be < 1e-4), the grid's border \(worstBorder) nats below the peak (should be < -20): the grid does not hold p(z|x); this is a bug, please report it with the seed")
    }
    // How to read this: per image the ELBO falls short of log p(x) by KL(q || p(z|x)), computed
    // separately, to about 1e-6 (the difference between the grid's KL(q || p(z)) and the closed
    // form); the Monte-Carlo ELBO agrees with the grid's within its noise. The same 1000 draws give
    // IWAE-k bounds that climb towards log p(x) as k grows: q is a usable proposal but a poor
    // posterior. The figure shows where the gap comes from: for the images with the largest gaps q
    // sits beside p(z|x), not on it (one encoder network for all images misplaces some of them:
    // the amortization gap), and q is narrower than p(z|x), which KL(q || p) punishes little: it
    // counts q's mass where p has none, not p's mass that q misses. A single IWAE-1000 estimate can
    // land above log p(x) (the bound holds for its expectation): with q narrower than p(z|x), the
    // weights p/q of q's rare tail draws are huge, most estimates fall short, and now and then one
    // lucky draw lifts an estimate above.

    // The figure: p(z|x) and q(z|x) of the three images with the largest KL and of the one with
    // the smallest, in one picture each: p(z|x) in orange, q(z|x) in blue (each scaled to its
    // peak), on a square box around both (z_1 to the right, z_2 up); and the bounds against k.
    let byGap = quadratures.indices.sorted { quadratures[$0].klToPosterior > quadratures[$1].klToPosterior }
    let shownImages = Array(byGap.prefix(3)) + [byGap.last!]
    var posteriorPanels: [Canvas] = []
    let pixels = 81
    for index in shownImages {
        let row = quadratureRows[index]
        let r = quadratures[index]
        let image = test.slice(row..<(row + 1), alongAxis: 0)
        let q = (m: Array(eval2.means[(2 * row)..<(2 * row + 2)]), s: eval2.logVariances[(2 * row)..<(2 * row + 2)].map { Foundation.exp(0.5 * $0) })
        let pStd = [r.posteriorCovariance[0].squareRoot(), r.posteriorCovariance[3].squareRoot()]
        let lower = (0..<2).map { Swift.min(r.posteriorMean[$0] - 4 * pStd[$0], q.m[$0] - 4 * q.s[$0]) }
        let upper = (0..<2).map { Swift.max(r.posteriorMean[$0] + 4 * pStd[$0], q.m[$0] + 4 * q.s[$0]) }
        let side = (0..<2).map { upper[$0] - lower[$0] }.max()!
        let centre = (0..<2).map { (upper[$0] + lower[$0]) / 2 }
        let grid = LatentGrid2D(center: centre, halfWidth: [side / 2, side / 2], count: pixels)
        let d = vae2.densities(of: image, on: grid)
        let posterior = zip(d.logLikelihood, d.logPrior).map { Foundation.exp($0 + $1 - r.logMarginal) }
        let qDensity = d.logQ.map { Foundation.exp($0) }
        let (pTop, qTop) = (posterior.max()!, qDensity.max()!)
        // RGB planes; grid row r holds z_2 = lower + r h, and image rows run downwards: flip.
        var rgb = [Float](repeating: 0, count: 3 * pixels * pixels)
        for gridRow in 0..<pixels {
            for c in 0..<pixels {
                let j = gridRow * pixels + c, at = (pixels - 1 - gridRow) * pixels + c
                let (p, qv) = (posterior[j] / pTop, qDensity[j] / qTop)
                rgb[at] = Float(Swift.min(1, p + 0.1 * qv))
                rgb[pixels * pixels + at] = Float(Swift.min(1, 0.55 * p + 0.5 * qv))
                rgb[2 * pixels * pixels + at] = Float(Swift.min(1, qv))
            }
        }
        posteriorPanels.append(imageGrid(image.scalars, shape: [1, 28, 28], scale: 5, title: "test image \(row)"))
        posteriorPanels.append(imageGrid(
            rgb, shape: [1, 3, pixels, pixels], scale: 3,
            tileCaptions: ["z_1 \(fmt(grid.lower[0], 2))..\(fmt(grid.upper[0], 2)), z_2 \(fmt(grid.lower[1], 2))..\(fmt(grid.upper[1], 2))"],
            title: "KL(q || p(z|x)) = \(fmt(r.klToPosterior, 2))"))
    }
    let logK = sizes.ks.map { Foundation.log10(Double($0)) }
    let bounds = linePlot([
        Series("E[IWAE-k]", x: logK, y: iwaeMeans),
        Series("log p(x), quadrature", x: logK, y: logK.map { _ in logP }, color: .black, style: .dashed),
        Series("ELBO", x: logK, y: logK.map { _ in elboQuadrature }, color: .gray, style: .dashed),
    ], title: "mean over \(quadratureRows.count) test images", xLabel: "log10 k", yLabel: "nats per image", width: 560, height: 440)
    try save(
        panel([panel(posteriorPanels, columns: 4), bounds],
              title: "VAE z 2: p(z|x) by quadrature (orange) against q(z|x) (blue); ELBO <= IWAE-k <= log p(x)", columns: 1),
        "ch4-posterior.png", "p(z|x) and q(z|x) of four test images; the mean bounds against k")

    // MARK: - 5. Why reparameterize: the variance of two gradient estimators

    // The gradient of E_q[f(z)] with respect to mu and sigma, for f(z) = log p(x|z) of a test
    // image under the 2-D decoder and q = N(mu, sigma^2) its encoder's q(z|x) (the ELBO's first
    // term), from S samples:
    //   reparameterization:  mean over s of  f'(mu + sigma eps_s)  and  f'(mu + sigma eps_s) eps_s;
    //   score function:      mean over s of  f(z_s) d/dtheta log q(z_s) = f(z_s) eps_s / sigma,
    //                        f(z_s) (eps_s^2 - 1) / sigma   (REINFORCE: only values of f);
    //   with a baseline:     the same with f(z_s) - b_s, b_s the mean of the other samples' f.
    // All three are unbiased. Each is drawn `repeats` times with fresh noise: the mean and the
    // variance of the estimates are measured, against a reference from 20,000 reparameterized
    // samples.
    let gradientRow = quadratureRows[byGap.last!]
    let gradientImage = test.slice(gradientRow..<(gradientRow + 1), alongAxis: 0)
    let qMean = Array(eval2.means[(2 * gradientRow)..<(2 * gradientRow + 2)])
    let qStd = eval2.logVariances[(2 * gradientRow)..<(2 * gradientRow + 2)].map { Foundation.exp(0.5 * $0) }
    let f: (Tensor<Float>) -> Tensor<Float> = { z in
        VAE.bernoulliLogLikelihood(logits: vae2.decode(z), images: gradientImage.broadcasted(to: [z.shape[0], dimension]))
    }
    var gradientRng = rng.split()
    let reference = GaussianGradientEstimator.reparameterization.estimate(
        of: f, mean: qMean, std: qStd, noise: .normal([20_000, 2], using: &gradientRng))
    let referenceVector = reference.mean + reference.std
    struct GradientStats {
        let estimator: GaussianGradientEstimator
        let samples: Int
        let mean: [Double]
        let variance: [Double]
        let standardError: [Double]
        /// The estimates of d/dmu_1, one per repeat.
        let firstComponent: [Double]
        var totalVariance: Double { variance.reduce(0, +) }
    }
    var gradientStats: [GradientStats] = []
    let (_, gradientSeconds) = timed {
        for s in sizes.gradientSampleCounts {
            for estimator in GaussianGradientEstimator.allCases where !(estimator == .scoreFunctionWithBaseline && s < 2) {
                var estimates: [[Double]] = []
                for _ in 0..<sizes.gradientRepeats {
                    let g = estimator.estimate(of: f, mean: qMean, std: qStd, noise: .normal([s, 2], using: &gradientRng))
                    estimates.append(g.mean + g.std)
                }
                let r = Double(sizes.gradientRepeats)
                let mean = (0..<4).map { c in estimates.reduce(0) { $0 + $1[c] } / r }
                let variance = (0..<4).map { c in estimates.reduce(0) { $0 + ($1[c] - mean[c]) * ($1[c] - mean[c]) } / (r - 1) }
                gradientStats.append(GradientStats(
                    estimator: estimator, samples: s, mean: mean, variance: variance, standardError: variance.map { ($0 / r).squareRoot() },
                    firstComponent: estimates.map { $0[0] }))
            }
        }
    }
    let components = ["d/dmu_1", "d/dmu_2", "d/dsigma_1", "d/dsigma_2"]
    print("gradient of E_q[log p(x|z)] for test image \(gradientRow) (mu = \(qMean.map { fmt($0, 3) }), sigma = \(qStd.map { fmt($0, 3) })), \(sizes.gradientRepeats) estimates each, \(fmt(gradientSeconds, 1)) s")
    let fAtMean = Double(withoutGradient { f(Tensor(shape: [1, 2], scalars: qMean.map { Float($0) })) }.item)
    print("  f(mu) = log p(x | z = mu) = \(fmt(fAtMean, 2)) nats")
    print("  reference (20,000 reparameterized samples): " + zip(components, referenceVector).map { "\($0) \(fmt($1, 2))" }.joined(separator: ", "))
    var worstZ = 0.0
    for stats in gradientStats {
        let reparameterized = gradientStats.first { $0.estimator == .reparameterization && $0.samples == stats.samples }!
        let ratio = stats.totalVariance / reparameterized.totalVariance
        // How far the mean of the estimates is from the reference, in standard errors.
        let z = (0..<4).map { Swift.abs(stats.mean[$0] - referenceVector[$0]) / Swift.max(stats.standardError[$0], 1e-12) }.max()!
        worstZ = Swift.max(worstZ, z)
        print("  \(stats.estimator.name.padding(toLength: 26, withPad: " ", startingAt: 0)) S = \(String(stats.samples).padding(toLength: 4, withPad: " ", startingAt: 0)) mean "
            + zip(stats.mean, stats.standardError).map { "\(fmt($0, 1)) +- \(fmt($1, 1))" }.joined(separator: ", ")
            + "; total variance \(sci(stats.totalVariance)) (x\(sci(ratio)) of reparameterization), mean within \(fmt(z, 1)) standard errors of the reference")
        table.add("gradient variance: \(stats.estimator.name), S = \(stats.samples)", [
            "measured": sci(stats.totalVariance),
            "note": "\(sci(ratio)) x reparameterization; d/dmu_1 \(fmt(stats.mean[0], 2)) +- \(fmt(stats.standardError[0], 2)) (reference \(fmt(referenceVector[0], 2)))",
        ])
        chapter.record("mnist/gradient variance, sum over mu and sigma/\(stats.estimator.name), S \(stats.samples)", stats.totalVariance)
    }
    chapter.record("mnist/gradient estimators, worst distance of a mean from the reference in standard errors/all", worstZ)
    // How to read this: all three means agree with the reference within a few standard errors
    // (they are unbiased), but the score function's variance is four to five orders of magnitude
    // larger: every sample's f(z), a log-likelihood of a hundred nats or more below zero,
    // multiplies a noisy score. A baseline
    // removes the common part of f and most of the excess; the reparameterized estimate, which
    // uses the slope f'(z) instead of values of f, is still several times better at every S. All
    // variances fall as 1/S; the ratios stay.
    let logS = sizes.gradientSampleCounts.map { Foundation.log10(Double($0)) }
    let varianceSeries = GaussianGradientEstimator.allCases.enumerated().map { i, estimator in
        Series(estimator.name, x: logS, y: sizes.gradientSampleCounts.map { s in
            gradientStats.first { $0.estimator == estimator && $0.samples == s }?.totalVariance ?? .nan
        }, color: Color.categorical[i])
    }
    // The estimates themselves: d/dmu_1 from S = 10 samples, every repeat a point.
    // Drawn widest first, so that the narrow clouds stay visible on top.
    let scattered = GaussianGradientEstimator.allCases.map { estimator in gradientStats.first { $0.estimator == estimator && $0.samples == 10 }! }
    let drawOrder = [1, 2, 0]
    try save(
        panel([
            linePlot(varianceSeries, title: "variance, summed over the 4 components", xLabel: "log10 S (samples per estimate)",
                     yLabel: "variance", yScale: .log, width: 640, height: 520),
            scatterPlot(
                x: drawOrder.flatMap { scattered[$0].firstComponent.indices.map(Double.init) }, y: drawOrder.flatMap { scattered[$0].firstComponent },
                classes: drawOrder.flatMap { i in [Int](repeating: i, count: scattered[i].firstComponent.count) },
                classNames: scattered.map(\.estimator.name), title: "d/dmu_1 from S = 10, reference \(fmt(referenceVector[0], 1))",
                xLabel: "repeat", yLabel: "estimate", width: 640, height: 520),
        ], title: "Gradient of E_q[log p(x|z)]: the same mean, variances orders of magnitude apart"),
        "ch4-gradient-variance.png", "variance of the three gradient estimators against S; the S = 10 estimates of d/dmu_1")

    // MARK: - 6. The cost of sampling

    // A VAE draws an image with one decoder pass: z ~ N(0, I), then all 784 Bernoulli means at
    // once. An autoregressive model needs one network pass per pixel, each waiting for the pixel
    // before (784 for MNIST). Timed here: 100 images in one batch (per image), and one image alone
    // (median of repeated runs); the earlier chapters' times are read from their saved metrics.
    func medianMs(_ repeats: Int, _ body: () -> Void) -> Double {
        let times = (0..<repeats).map { _ in timed(body).seconds * 1000 }.sorted()
        return times[repeats / 2]
    }
    var samplingRng = rng.split()
    for (name, vae) in [("VAE (z 2)", vae2), ("VAE (z 32)", vae32)] {
        let batch = medianMs(quick ? 3 : 11) { _ = vae.sample(count: 100, using: &samplingRng) } / 100
        let one = medianMs(quick ? 5 : 51) { _ = vae.sample(count: 1, using: &samplingRng) }
        table.add("sampling ms, \(name)", ["measured": fmt(batch, 3), "note": "per image in a batch of 100; \(fmt(one, 3)) ms for one image alone; 1 decoder pass"])
        chapter.record("mnist/sampling ms per image/\(name)", batch)
        chapter.record("mnist/sampling ms for one image/\(name)", one)
        print("sampling \(name): \(fmt(batch, 4)) ms per image in a batch of 100, \(fmt(one, 3)) ms for one image; 1 decoder pass")
    }
    for n in 1...3 {
        guard let earlier = chapter.metrics(ofChapter: n) else {
            print("Chapter \(n)'s sampling times are not in \(chapter.figures.path)/results (run it with the same --figures and --quick).")
            continue
        }
        // One row per model: its time per image in a batch where the chapter measured one, else
        // its time for one image alone (both where it has both).
        var times: [String: (batch: Double?, one: Double?)] = [:]
        for (key, ms) in earlier {
            guard let name = MetricName(key), name.data == "mnist" else { continue }
            if name.measure == "sampling ms per image" { times[name.model, default: (nil, nil)].batch = ms }
            if name.measure == "sampling ms for one image" { times[name.model, default: (nil, nil)].one = ms }
        }
        for (model, t) in times.sorted(by: { $0.key < $1.key }) {
            let notes = [t.batch.map { "\(fmt($0, 3)) ms per image in a batch" }, t.one.map { "\(fmt($0, 3)) ms for one image alone" }]
            table.add("sampling ms, \(model) (chapter \(n))", [
                "measured": fmt(t.batch ?? t.one!, 3),
                "note": notes.compactMap { $0 }.joined(separator: "; ") + "; \(dimension) network passes, one per pixel",
            ])
        }
    }

    // How to read these rows: a batch of VAE samples costs one matrix product per layer for all
    // images at once; an autoregressive model must wait for pixel i before it can compute pixel
    // i + 1, 784 times, however many cores there are. The price of the VAE's speed is the
    // independence of the pixels given z: the blur of the decoder's means, and a likelihood known
    // only as a bound.

    // MARK: - Figures: reconstructions, samples, the latent space

    // Reconstructions: test images (top row of each pair) and the decoder's Bernoulli means at
    // z = mu(x), the encoder's mean, for both models. Two of each digit.
    let shownRows = (0..<10).flatMap { digit in testSet.labels.indices.filter { testSet.labels[$0] == digit }.dropFirst(10).prefix(2) }
    let shownImages2 = test.gatheringRows(shownRows)
    func reconstruct(_ vae: VAE<Float>) -> Tensor<Float> { withoutGradient { vae.decode(vae.encode(shownImages2).mean).sigmoid() } }
    let (r2, r32) = (reconstruct(vae2), reconstruct(vae32))
    var reconstructionPixels: [Float] = []
    for half in 0..<2 {
        let range = (half * 10 * dimension)..<((half + 1) * 10 * dimension)
        reconstructionPixels += Array(shownImages2.scalars[range]) + Array(r2.scalars[range]) + Array(r32.scalars[range])
    }
    try save(
        imageGrid(reconstructionPixels, shape: [60, 28, 28], columns: 10, rowCaptions: ["input", "z 2", "z 32", "input", "z 2", "z 32"],
                  title: "Reconstructions: test images, then decoder means at z = mu(x)"),
        "ch4-reconstructions.png", "20 test images above their reconstructions by both VAEs")

    // Samples from the prior: z ~ N(0, I), shown as the decoder's means (a draw of 0/1 pixels
    // from them adds salt-and-pepper noise and no information). The 32-D model reconstructs far
    // better than the 2-D one, yet many of its prior samples are not digits: the ELBO asks each
    // q(z|x) to be near N(0, I), not their mixture over the training set, the aggregate posterior
    // q(z) = (1/N) sum_n q(z|x_n), to fill it. With 4000 images in 32 dimensions q(z) leaves most of
    // the prior's volume empty, and z drawn there decodes to strokes that belong to no digit. The
    // third panel decodes z ~ q(z|x) of random training images instead: the same decoder, z where
    // the data put it. Active units (Burda et al.: the variance over x of E_q[z_k] above 0.01)
    // count the dimensions the encoder uses at all; when all 32 are active, the empty volume is
    // not a set of unused dimensions but the shape of q(z) itself.
    let samples2 = vae2.sampleMeans(count: 64, using: &samplingRng)
    let samples32 = vae32.sampleMeans(count: 64, using: &samplingRng)
    let someTraining = train.gatheringRows((0..<64).map { _ in samplingRng.index(below: train.shape[0]) })
    let aggregate32 = withoutGradient { () -> Tensor<Float> in
        let (mean, logVariance) = vae32.encode(someTraining)
        let z = VAE<Float>.reparameterize(mean: mean, logVariance: logVariance, noise: vae32.noise(count: 64, using: &samplingRng))
        return vae32.decode(z).sigmoid()
    }
    func activeUnits(_ vae: VAE<Float>) -> Int {
        let means = withoutGradient { vae.encode(train).mean }
        let (n, k) = (means.shape[0], means.shape[1])
        return (0..<k).filter { j in
            let column = (0..<n).map { Double(means.scalars[$0 * k + j]) }
            let average = column.reduce(0, +) / Double(n)
            return column.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(n) > 0.01
        }.count
    }
    let (active2, active32) = (activeUnits(vae2), activeUnits(vae32))
    print("active units (variance over the training images of E_q[z_k] > 0.01): z 2: \(active2) of 2, z 32: \(active32) of 32")
    chapter.record("mnist/active latent units/VAE (z 2)", Double(active2))
    chapter.record("mnist/active latent units/VAE (z 32)", Double(active32))
    table.add("active latent units, VAE (z 32)", ["measured": "\(active32) of 32", "note": "z 2: \(active2) of 2; variance over x of E_q[z_k] > 0.01"])
    try save(
        panel([
            imageGrid(samples2.scalars, shape: [64, 28, 28], columns: 8, title: "VAE z 2, z ~ N(0, I)"),
            imageGrid(samples32.scalars, shape: [64, 28, 28], columns: 8, title: "VAE z 32, z ~ N(0, I)"),
            imageGrid(aggregate32.scalars, shape: [64, 28, 28], columns: 8, title: "z 32, z ~ q(z|x), x from training"),
        ], title: "Samples: one decoder pass, Bernoulli means"),
        "ch4-samples.png", "64 samples from the prior of each VAE; 64 decodes of z ~ q(z|x) of training images (z 32)")

    // The 2-D latent manifold: the decoder's means on a 16 x 16 grid of z over [-3, 3]^2 (z_1 to
    // the right, z_2 up), next to where the encoder puts the 500 test images (its means mu(x),
    // coloured by digit). Nearby codes decode to similar digits, and each digit has its region,
    // with the classes that look alike (4 and 9, 3 and 5 and 8) overlapping in the middle. Where no
    // image's code falls, in the lower left of the grid, the decoder was never trained and draws
    // no digit; the prior puts mass there all the same, one reason a prior sample can fail.
    let side = 16
    let axis = (0..<side).map { -3 + 6 * Double($0) / Double(side - 1) }
    let gridZ = Tensor<Float>(shape: [side * side, 2], scalars: (0..<side).reversed().flatMap { r in axis.flatMap { [Float($0), Float(axis[r])] } })
    let manifold = withoutGradient { vae2.decode(gridZ).sigmoid() }
    let meansX = (0..<testSet.count).map { eval2.means[2 * $0] }, meansY = (0..<testSet.count).map { eval2.means[2 * $0 + 1] }
    try save(
        imageGrid(manifold.scalars, shape: [side * side, 28, 28], columns: side, scale: 2, padding: 1,
                  title: "VAE z 2: decoder means on a grid of z in [-3, 3]^2 (z_1 right, z_2 up)"),
        "ch4-latent-manifold.png", "the decoder's means on a \(side)x\(side) grid of the 2-D latent space")
    try save(
        scatterPlot(x: meansX, y: meansY, classes: testSet.labels, classNames: (0..<10).map { "digit \($0)" },
                    title: "VAE z 2: encoder means mu(x) of the 500 test images", xLabel: "z_1", yLabel: "z_2", width: 720, height: 640),
        "ch4-latent-scatter.png", "the 2-D latent means of the test set, coloured by digit")
    chapter.record("mnist/test latent means outside [-3, 3]^2, fraction/VAE (z 2)",
                   Double(zip(meansX, meansY).filter { Swift.abs($0) > 3 || Swift.abs($1) > 3 }.count) / Double(testSet.count))
}
