// Chapter 1: pixel-level likelihood, the chain rule over pixels.
//
// The lecture opens with one identity. For an image x of D pixels taken in a fixed order,
//
//     p(x) = prod_{i=1..D} p(x_i | x_1, ..., x_{i-1}),                                   (1)
//
// and for colour the same again inside a pixel, red, then green given red, then blue given both:
//
//     p(x_i | x_<i) = p(x_i,R | x_<i) p(x_i,G | x_<i, x_i,R) p(x_i,B | x_<i, x_i,R, x_i,G).  (2)
//
// (1) is exact for any distribution; a model only chooses how to parametrise the conditionals.
// This chapter climbs a ladder of such choices on real digits and measures each rung as a test
// negative log-likelihood (NLL) in nats per image, the number every later chapter must beat:
//
//     uniform  ->  independent pixels  ->  FVSBN (logistic, linear in x_<i)  ->  MADE (an MLP)
//
// Then it checks the models where the truth is known (bars and stripes, a random logistic
// teacher), checks that the probabilities sum to 1 and that samples come out with the claimed
// frequencies, and measures what ordering R, G, B inside a pixel buys on correlated colours.
// The figures are drawn by Figures.swift; the flags (Options.swift) change the digits MADE.

import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

Chapter.run(number: 1, title: "Pixel-level likelihood", options: Options.self) { chapter, options in
    // Every random choice goes through one generator seeded by --seed. Each part of the chapter
    // draws from its own stream split off it, so that training one model longer does not change
    // the synthetic data or the samples of another part.
    var root = chapter.rng
    var rng = root.split()
    let (exactStream, colourStream, samplesStream) = (root.split(), root.split(), root.split())
    let quick = options.shared.quick
    let made = options.made

    // MARK: The data

    // 8x8 digits with 17 gray levels (0...16), Tomczak's split 1000 / 350 / 447; MNIST-5k
    // binarised at 0.5, 400 / 50 / 50 per digit (--quick keeps every fifth MNIST training image:
    // the file is sorted by digit). Models see each image as a row of D levels in raster order.
    let digits = try RealDataset.digits8x8.loadSplits()
    let gray = try RealDataset.mnist5k.loadSplits()
    var mnist = (train: gray.train.binarized(), validation: gray.validation.binarized(), test: gray.test.binarized())
    if quick { mnist.train = mnist.train.subset(Array(stride(from: 0, to: mnist.train.count, by: 5))) }

    // MARK: 1. Raster order

    // Equation (1) needs an order. Pixel i may look only at the pixels before it, the rows above
    // and its left in its own row: the figure numbers an 8x8 image and shades what (3, 4) sees.
    try rasterOrderFigure(watched: (row: 3, column: 4)).writePNG(to: chapter.figurePath("ch1-raster-order.png"))

    // MARK: 2. The top of the ladder: uniform
    // Every pixel uniform over its K levels: -log p(x) = D log K whatever x is. 64 ln 17 = 181.33
    // nats on the digits, 784 ln 2 = 543.43 on binarised MNIST. Any model worth training is below.
    let uniformDigits = Likelihood.uniformNats(dimensions: 64, levels: 17)
    let uniformMNIST = Likelihood.uniformNats(dimensions: 784, levels: 2)

    // MARK: 3. Independent pixels: no chain rule
    // p(x) = prod_i p_i(x_i), one categorical per pixel. The maximum-likelihood fit is counting,
    // p_i(k) = n_ik / N; add-one smoothing, (n_ik + 1) / (N + K), keeps a level never seen at a
    // pixel from costing an infinite NLL on the test set.
    let independentDigits = IndependentPixels(counting: digits.train.pixels, dimension: 64, levels: 17)
    let independentMNIST = IndependentPixels(counting: mnist.train.pixels, dimension: 784, levels: 2)
    try marginalsFigure(digits: independentDigits, mnist: independentMNIST)
        .writePNG(to: chapter.figurePath("ch1-marginals.png"))

    // MARK: 4-5. The autoregressive models and their training loop

    // FVSBN: p(x_i | x_<i) = sigmoid(w_i . x_<i + b_i), all D conditionals as one linear layer
    // whose weight is multiplied by a strictly lower-triangular 0/1 mask (Models/FVSBN.swift).
    // On the 17-level digits each conditional is a softmax over 17 logits, each linear in the
    // earlier pixels scaled to [0, 1].
    // MADE: one hidden layer of ReLUs between the masked input and output, masks derived from
    // degrees so that output i still sees only x_<i, plus the FVSBN's direct masked connection
    // (Models/MADE.swift). Both start from the independent model: their output biases are set to
    // its log-odds (`from:` below), so training begins at its NLL and learns only the dependencies.
    // Training maximises the likelihood: minimise the mean over a minibatch of
    //     -log p(x) = -sum_i log p(x_i | x_<i)
    // (binary cross-entropy per pixel for MNIST, categorical for the digits) with Adam, the step
    // size following a cosine from its start value to 0. With 1000 (or 4000) images and up to a
    // million weights, MADE overfits, so its loss adds an L2 penalty lambda * ||W||^2 on the weight
    // matrices (a Gaussian prior). The epoch with the best validation NLL is kept. Every step of
    // training is written out here; later chapters call the same loop as `chapter.fit`.
    func train<M: AutoregressivePixelModel>(
        _ model: M, _ name: String, from independent: IndependentPixels,
        on data: (train: [UInt8], validation: [UInt8]), epochs: Int, batchSize: Int = 64, learningRate: Float,
        l2: Float = 0
    ) throws -> TrainingLog where M.Scalar == Float {
        model.startFrom(independent)
        let d = model.dimension
        let n = data.train.count / d
        let stepsPerEpoch = (n + batchSize - 1) / batchSize
        let adam = Adam<Float>(learningRate: learningRate)
        let progress = Progress(name, total: epochs * stepsPerEpoch)
        var log = TrainingLog()
        var best = (nll: Double.infinity, values: model.parameters.map(\.value))
        let weights = model.parameters.filter { $0.shape.count == 2 }
        var (step, trainingSeconds) = (0, 0.0)
        for epoch in 1...epochs {
            let started = Date()
            let order = rng.permutation(n)
            var sum = 0.0
            for start in stride(from: 0, to: n, by: batchSize) {
                // A minibatch: the next images of this epoch's shuffled order.
                var batch = [UInt8]()
                batch.reserveCapacity(batchSize * d)
                for k in order[start..<min(start + batchSize, n)] { batch += data.train[k * d..<(k + 1) * d] }
                // The step size on its cosine, from learningRate at the first step to 0 after the last.
                let done = Double(step) / Double(epochs * stepsPerEpoch)
                adam.learningRate = learningRate * Float(0.5 * (1 + cos(Double.pi * done)))
                // The loss and its gradient with respect to every parameter, in one backward pass.
                var nll: Float = 0
                let (_, gradients) = valueAndGradient(of: model.parameters) {
                    let loss = model.loss(batch)
                    nll = loss.item
                    guard l2 > 0 else { return loss }
                    return weights.reduce(loss) { $0 + $1.value.squared().sum() * l2 }
                }
                step += 1
                try chapter.checkFinite(nll, step: step, model: name)
                adam.update(model.parameters, with: gradients)
                sum += Double(nll)
                progress.update(step: step, epoch: epoch, loss: Double(nll))
            }
            trainingSeconds += Date().timeIntervalSince(started)
            // After each epoch: the validation NLL decides which weights are kept.
            let validationNLL = model.meanNLL(data.validation)
            log.at.append(Double(epoch))
            log.trainLoss.append(sum / Double(stepsPerEpoch))
            log.validationLoss.append(validationNLL)
            log.seconds.append(trainingSeconds)
            if validationNLL < best.nll {
                best = (validationNLL, model.parameters.map(\.value))
                log.best = epoch - 1
            }
        }
        for (p, v) in zip(model.parameters, best.values) { p.value = v }
        return log
    }

    // The digits: 17 levels per pixel.
    let digitsPixels = (train: digits.train.pixels, validation: digits.validation.pixels)
    let fvsbnDigits = FVSBN<Float>(dimension: 64, levels: 17, using: &rng)
    let fvsbnDigitsLog = try train(
        fvsbnDigits, "digits FVSBN", from: independentDigits, on: digitsPixels, epochs: quick ? 3 : 25,
        learningRate: 0.02)
    let madeDigits = MADE<Float>(dimension: 64, levels: 17, hiddenSize: made.hidden, using: &rng)
    let madeDigitsLog = try train(
        madeDigits, "digits MADE", from: independentDigits, on: digitsPixels, epochs: made.epochs, learningRate: 0.01,
        l2: made.l2)

    // Binarised MNIST: 784 Bernoulli pixels.
    let mnistPixels = (train: mnist.train.pixels, validation: mnist.validation.pixels)
    let fvsbnMNIST = FVSBN<Float>(dimension: 784, levels: 2, using: &rng)
    let fvsbnMNISTLog = try train(
        fvsbnMNIST, "MNIST FVSBN", from: independentMNIST, on: mnistPixels, epochs: quick ? 1 : 14, learningRate: 0.02)
    let madeMNIST = MADE<Float>(dimension: 784, levels: 2, hiddenSize: quick ? 100 : 500, using: &rng)
    let madeMNISTLog = try train(
        madeMNIST, "MNIST MADE", from: independentMNIST, on: mnistPixels, epochs: quick ? 1 : 20, learningRate: 0.01,
        l2: 0.001)

    // The ladder, measured on the test splits; sampling time per image from 20 samples.
    let digitsLadder = chapter.reportLadder(
        "digits", test: digits.test.pixels, uniform: uniformDigits, independent: independentDigits,
        trained: [("FVSBN", fvsbnDigits, fvsbnDigitsLog), ("MADE", madeDigits, madeDigitsLog)], dimensions: 64,
        using: &rng)
    let mnistLadder = chapter.reportLadder(
        "mnist", test: mnist.test.pixels, uniform: uniformMNIST, independent: independentMNIST,
        trained: [("FVSBN", fvsbnMNIST, fvsbnMNISTLog), ("MADE", madeMNIST, madeMNISTLog)], dimensions: 784,
        using: &rng)

    // The training curves: the gap between training and validation NLL is overfitting, which the
    // L2 penalty and the choice of the best validation epoch hold in check. And what the FVSBN
    // learned: row i of its weight is the logistic regression of pixel i on the pixels before it.
    try trainingCurvesFigure(
        digits: [("FVSBN", fvsbnDigitsLog), ("MADE", madeDigitsLog)],
        digitsIndependent: independentDigits.meanNLL(digits.validation.pixels),
        mnist: [("FVSBN", fvsbnMNISTLog), ("MADE", madeMNISTLog)],
        mnistIndependent: independentMNIST.meanNLL(mnist.validation.pixels)
    ).writePNG(to: chapter.figurePath("ch1-training-curves.png"))
    try fvsbnWeightsFigure(fvsbnMNIST, watched: [(row: 14, column: 14), (row: 20, column: 9)])
        .writePNG(to: chapter.figurePath("ch1-fvsbn-weights.png"))

    // MARK: 6. Exact checks where the truth is known

    // Bars and stripes, 4x4: every row constant or every column constant, the 30 distinct
    // patterns equally likely, so the entropy is ln 30 = 3.40 nats: no model can have a lower
    // expected NLL. Whether a pixel copies the pixel above it (bars) or the one to its left
    // (stripes) depends on whether the first row is constant, a non-linear function of x_<i: the
    // FVSBN can only approximate it and leaves probability on images that are neither, while
    // MADE's hidden units can compute it. The mass each model puts on the 30 patterns shows it.
    rng = exactStream
    let bars = BarsAndStripes(size: 4)
    let barsTrain = bars.sample(count: quick ? 500 : 2000, using: &rng).pixels
    let barsValidation = bars.sample(count: 500, using: &rng).pixels
    let barsTest = bars.sample(count: 2000, using: &rng).pixels
    let barsIndependent = IndependentPixels(counting: barsTrain, dimension: 16, levels: 2)
    let barsFVSBN = FVSBN<Float>(dimension: 16, levels: 2, using: &rng)
    let barsFVSBNLog = try train(
        barsFVSBN, "bars FVSBN", from: barsIndependent, on: (barsTrain, barsValidation), epochs: quick ? 10 : 60,
        learningRate: 0.03)
    let barsMADE = MADE<Float>(dimension: 16, levels: 2, hiddenSize: 64, using: &rng)
    let barsMADELog = try train(
        barsMADE, "bars MADE", from: barsIndependent, on: (barsTrain, barsValidation), epochs: quick ? 10 : 60,
        learningRate: 0.01)

    // The teacher: a random 8x8 FVSBN from the Datasets module, log p(x) exact for every image.
    // Its entropy has no closed form at D = 64; the Monte-Carlo estimate over 20,000 fresh samples,
    // H ~ mean of -log p(x), has a standard error of a few hundredths of a nat. The student FVSBN
    // is of the teacher's own family, so only the finite training set keeps it above the floor.
    let teacher = TeacherAutoregressive(height: 8, width: 8, using: &rng)
    let teacherTrain = teacher.sample(count: quick ? 1000 : 4000, using: &rng).pixels
    let teacherValidation = teacher.sample(count: 1000, using: &rng).pixels
    let teacherTestSet = teacher.sample(count: 2000, using: &rng)
    let teacherEntropy = teacher.entropyEstimate(samples: quick ? 5000 : 20_000, using: &rng)
    let teacherOnTest = -teacher.logProbabilities(teacherTestSet).reduce(0, +) / Double(teacherTestSet.count)
    let teacherIndependent = IndependentPixels(counting: teacherTrain, dimension: 64, levels: 2)
    let teacherFVSBN = FVSBN<Float>(dimension: 64, levels: 2, using: &rng)
    let teacherFVSBNLog = try train(
        teacherFVSBN, "teacher FVSBN", from: teacherIndependent, on: (teacherTrain, teacherValidation),
        epochs: quick ? 3 : 30, learningRate: 0.01)
    let teacherMADE = MADE<Float>(dimension: 64, levels: 2, hiddenSize: 128, using: &rng)
    let teacherMADELog = try train(
        teacherMADE, "teacher MADE", from: teacherIndependent, on: (teacherTrain, teacherValidation),
        epochs: quick ? 3 : 30, learningRate: 0.01, l2: 0.001)

    chapter.report("bars-and-stripes/entropy", bars.entropy, digits: 3, unit: "nats", note: "ln 30, exact")
    let barsLadder = chapter.reportLadder(
        "bars-and-stripes", test: barsTest, uniform: Likelihood.uniformNats(dimensions: 16, levels: 2),
        independent: barsIndependent, trained: [("FVSBN", barsFVSBN, barsFVSBNLog), ("MADE", barsMADE, barsMADELog)],
        using: &rng)
    chapter.report(
        "teacher/entropy", teacherEntropy.entropy, unit: "nats",
        note: String(format: "Monte Carlo, standard error %.2f", teacherEntropy.standardError))
    let teacherLadder = chapter.reportLadder(
        "teacher", test: teacherTestSet.pixels, uniform: Likelihood.uniformNats(dimensions: 64, levels: 2),
        independent: teacherIndependent,
        trained: [("FVSBN", teacherFVSBN, teacherFVSBNLog), ("MADE", teacherMADE, teacherMADELog)], using: &rng)
    _ = chapter.reportRung("teacher", "the teacher itself", nats: teacherOnTest)

    // Normalisation, by enumeration. On 4x4 binary images there are 2^16 = 65,536 possible
    // images; the chain rule promises sum_x p(x) = 1 for any parameters, as long as every
    // conditional sees only earlier pixels. Summing the trained models' p(x) over all of them
    // checks that promise (and the masks) directly; in Float the sum is good to about 1e-6.
    let everyImage = allImages(dimension: 16, levels: 2)
    for (name, model) in [("FVSBN", barsFVSBN as any AutoregressivePixelModel<Float>), ("MADE", barsMADE)] {
        let p = model.logProbabilities(everyImage).map { Foundation.exp($0) }
        let onPatterns = bars.patterns.map { pattern in p[pattern.reduce(0) { $0 * 2 + Int($1) }] }.reduce(0, +)
        chapter.report("bars-and-stripes/sum of p over all images/\(name)", p.reduce(0, +), digits: 6, expected: 1)
        chapter.report("bars-and-stripes/mass on patterns/\(name)", onPatterns, digits: 4, note: "of 1")
    }

    // Sampling, checked by a chi-square test. Draw 20,000 images from the trained MADE by
    // ancestral sampling (x_1, then x_2 given x_1, ...), count every image, and compare the
    // counts with 20,000 p(x) from the one-pass likelihood: X^2 = sum (O - E)^2 / E, cells with
    // E < 5 pooled. A p-value far below 0.01 would mean the sampler and the likelihood disagree.
    let madeP = barsMADE.logProbabilities(everyImage).map { Foundation.exp($0) }
    let drawn = barsMADE.sample(count: 20_000, using: &rng)
    var counts = [Int](repeating: 0, count: madeP.count)
    for k in 0..<drawn.count { counts[drawn.pixels[k * 16..<(k + 1) * 16].reduce(0) { $0 * 2 + Int($1) }] += 1 }
    let chiSquare = ChiSquareTest(observed: counts, probabilities: madeP)
    chapter.report("bars-and-stripes/chi-square p-value/MADE", chiSquare.pValue, digits: 3, note: "\(chiSquare)")

    // MARK: 7. Colour: R, then G given R, then B given R and G

    // Synthetic 6x6 RGB images, each channel on or off (8 colours; Models/CorrelatedColours.swift):
    // red runs along the raster as a Markov chain, green copies red with probability 0.8, blue
    // copies the mean of red and green (rounded down) with probability 0.8. Both floors are exact:
    // the entropy of the data, and the lowest NLL of any model whose three channels are
    // independent given the earlier pixels. The two MADEs differ only in their masks: degrees
    // 3p + c + 1 give equation (2); degrees p + 1 for all three channels of pixel p make them
    // conditionally independent. (Binary channels keep every conditional a logistic regression
    // away from the truth; with 4 levels on inputs scaled to [0, 1] the models need far more steps
    // to grow the steep logits that copying a level takes.)
    rng = colourStream
    let colours = CorrelatedColours(height: 6, width: 6, levels: 2)
    let colourTrain = colours.sample(count: quick ? 500 : 4000, using: &rng)
    let colourValidation = colours.sample(count: 500, using: &rng)
    let colourTest = colours.sample(count: 1000, using: &rng)
    let colourIndependent = IndependentPixels(
        counting: colourTrain, dimension: colours.dimension, levels: colours.levels)
    let chained = MADE<Float>(
        degrees: colours.chainedChannelDegrees, levels: colours.levels, hiddenSize: 128, using: &rng)
    let chainedLog = try train(
        chained, "colour R->G->B", from: colourIndependent, on: (colourTrain, colourValidation),
        epochs: quick ? 3 : 20, learningRate: 0.01)
    let separate = MADE<Float>(
        degrees: colours.independentChannelDegrees, levels: colours.levels, hiddenSize: 128, using: &rng)
    let separateLog = try train(
        separate, "colour channels independent", from: colourIndependent, on: (colourTrain, colourValidation),
        epochs: quick ? 3 : 20, learningRate: 0.01)
    let colourLadder = chapter.reportLadder(
        "colour", test: colourTest,
        uniform: Likelihood.uniformNats(dimensions: colours.dimension, levels: colours.levels),
        independent: colourIndependent,
        trained: [("MADE channels independent", separate, separateLog), ("MADE R-G-B", chained, chainedLog)],
        using: &rng)
    let possibleGain = colours.channelIndependentFloor - colours.entropy
    chapter.report(
        "colour/NLL saved by R-G-B order", colourLadder[2].nats - colourLadder[3].nats, unit: "nats",
        note: String(
            format: "%.2f at best: floors %.2f (channels independent) and %.2f (entropy)", possibleGain,
            colours.channelIndependentFloor, colours.entropy))

    // MARK: 8. Samples: independent against autoregressive

    // Independent pixels know where ink tends to be but not that strokes are connected: their
    // samples are speckle around the mean digit. The autoregressive models draw each pixel given
    // those already drawn, so strokes continue. The data row shows one test image of every digit
    // (the MNIST file is sorted by digit).
    rng = samplesStream
    let captions = ["test data", "independent", "FVSBN", "MADE"]
    let digitRows = dataAndSamples(digits.test, independentDigits, [fvsbnDigits, madeDigits], using: &rng)
    try samplesFigure(digitRows, side: 8, levels: 17, captions: captions, title: "Digits 8x8: data and samples")
        .writePNG(to: chapter.figurePath("ch1-samples-digits.png"))
    let mnistRows = dataAndSamples(mnist.test, independentMNIST, [fvsbnMNIST, madeMNIST], using: &rng)
    try samplesFigure(mnistRows, side: 28, levels: 2, captions: captions, title: "MNIST-5k binarised: data and samples")
        .writePNG(to: chapter.figurePath("ch1-samples-mnist.png"))
    let colourRows = [
        colourTest, chained.sample(count: 8, using: &rng).pixels, separate.sample(count: 8, using: &rng).pixels,
    ]
    try colourSamplesFigure(
        colourRows, colours: colours, perRow: 8, captions: ["data", "R -> G -> B", "channels independent"]
    ).writePNG(to: chapter.figurePath("ch1-samples-colour.png"))

    // MARK: The ladders against the floors

    try ladderFigures(
        real: [("digits 8x8", digitsLadder), ("MNIST-5k", mnistLadder)],
        exact: [
            ("bars & stripes 4x4", barsLadder, (bars.entropy, "entropy ln 30")),
            ("teacher 8x8", teacherLadder, (teacherEntropy.entropy, "entropy")),
            ("colour 6x6x3", colourLadder, (colours.entropy, "entropy")),
        ], in: chapter)

    // MARK: 9. Do the samples look like digits?

    // A likelihood says how well a model predicts test images, not whether its samples look like
    // them. The workbook's judge, a small CNN trained on the digits' labels and on junk pushed to
    // a uniform answer, scores 500 samples of each MNIST model (recognised: max_k p_k >= 0.9).
    try chapter.reportRealImageScores()
    let independentSamples = independentMNIST.sample(count: 500, using: &rng)
    try chapter.reportSamples("independent", independentSamples, grid: "ch1-judged-independent.png")
    try chapter.reportSamples("FVSBN", fvsbnMNIST.sample(count: 500, using: &rng).pixels, grid: "ch1-judged-FVSBN.png")
    try chapter.reportSamples("MADE", madeMNIST.sample(count: 500, using: &rng).pixels, grid: "ch1-judged-MADE.png")
}
