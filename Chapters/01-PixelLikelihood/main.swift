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

import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

Chapter.run(number: 1, title: "Pixel-level likelihood") { chapter in
    // Every random choice goes through one generator seeded by --seed. Each part of the chapter
    // draws from its own stream split off it, so that training one model longer does not change
    // the synthetic data or the samples of another part.
    var root = chapter.rng
    var rng = root.split()
    let (exactStream, colourStream, samplesStream) = (root.split(), root.split(), root.split())
    let quick = chapter.options.quick
    let table = chapter.results

    /// What a training run leaves behind: NLL per epoch on the training batches and on the
    /// validation split, the epoch kept, and the wall time.
    struct TrainingLog {
        var trainNLL: [Double] = []
        var validationNLL: [Double] = []
        var bestEpoch = 0
        var seconds = 0.0
    }

    // MARK: The data

    // 8x8 digits with 17 gray levels (0...16), Tomczak's split 1000 / 350 / 447; MNIST-5k
    // binarised at 0.5, 400 / 50 / 50 per digit. Models see each image as a row of D levels in
    // raster order, row by row, left to right.
    let digits = try RealDataset.digits8x8.loadSplits()
    let mnistGray = try RealDataset.mnist5k.loadSplits()
    var mnist = (train: mnistGray.train.binarized(), validation: mnistGray.validation.binarized(), test: mnistGray.test.binarized())
    // (--quick keeps every fifth training image: the file is sorted by digit, so a prefix would be all zeros.)
    if quick { mnist.train = mnist.train.subset(Array(stride(from: 0, to: mnist.train.count, by: 5))) }
    print("digits 8x8: \(digits.train.count) train / \(digits.validation.count) validation / \(digits.test.count) test, 17 levels")
    print("MNIST-5k binarised: \(mnist.train.count) train / \(mnist.validation.count) validation / \(mnist.test.count) test")

    // Every row of the results table has the same columns; "-" where a number does not apply.
    func report(
        _ label: String, nats: Double, dimensions: Int, floor: Double? = nil, log: TrainingLog? = nil,
        sampleMs: Double? = nil
    ) {
        table.add(label, [
            "test NLL (nats)": fmt(nats),
            "bits/dim": fmt(Likelihood.bitsPerDimension(nats: nats, dimensions: dimensions), 4),
            "entropy floor": floor.map { fmt($0) } ?? "-",
            "train s": log.map { fmt($0.seconds, 1) } ?? "-",
            "best epoch": log.map { "\($0.bestEpoch)/\($0.validationNLL.count)" } ?? "-",
            "sample ms/img": sampleMs.map { fmt($0, 2) } ?? "-",
        ])
    }

    // MARK: 1. Raster order

    // Equation (1) needs an order. Pixel i may look only at the pixels before it: everything in
    // the rows above and the pixels to its left in its own row. The figure numbers the pixels of
    // an 8x8 image and shades what pixel (3, 4) may see.
    let watched = (row: 3, column: 4)
    let order = (0..<64).map { Double($0) }
    let visible = (0..<64).map { i -> Double in
        let me = watched.row * 8 + watched.column
        return i < me ? 1 : i == me ? 0.5 : 0
    }
    try panel([
        heatMap(order, rows: 8, columns: 8, showValues: true, highlight: [watched], title: "raster order i"),
        heatMap(visible, rows: 8, columns: 8, colorMap: .viridis, range: 0...1, highlight: [watched],
                title: "pixel 28 = (3, 4) sees x_<28 (yellow)"),
    ], title: "Chapter 1: the order of the chain rule").writePNG(to: chapter.figurePath("ch1-raster-order.png"))
    print("wrote ch1-raster-order.png")

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
    try panel([
        heatMap(independentDigits.meanIntensity, rows: 8, columns: 8, colorMap: .viridis, range: 0...1,
                title: "digits: E[x_i] / 16"),
        heatMap(independentMNIST.meanIntensity, rows: 28, columns: 28, colorMap: .viridis, range: 0...1,
                title: "MNIST: p(x_i = 1)"),
    ], title: "Per-pixel marginals of the independent model").writePNG(to: chapter.figurePath("ch1-marginals.png"))
    print("wrote ch1-marginals.png")

    // MARK: 4-5. The autoregressive models and their training loop

    // FVSBN: p(x_i | x_<i) = sigmoid(w_i . x_<i + b_i), all D conditionals as one linear layer
    // whose weight is multiplied by a strictly lower-triangular 0/1 mask (Models/FVSBN.swift).
    // On the 17-level digits each conditional is a softmax over 17 logits, each linear in the
    // earlier pixels scaled to [0, 1].
    //
    // MADE: one hidden layer of ReLUs between the masked input and output, masks derived from
    // degrees so that output i still sees only x_<i, plus the FVSBN's direct masked connection
    // (Models/MADE.swift). Both start from the independent model: their output biases are set to
    // its log-odds, so training begins at its NLL and learns only the dependencies.
    //
    // Training maximises the likelihood: minimise the mean over a minibatch of
    //     -log p(x) = -sum_i log p(x_i | x_<i)
    // (binary cross-entropy per pixel for MNIST, categorical for the digits) with Adam, the step
    // size following a cosine from its start value to 0. With 1000 (or 4000) images and up to a
    // million weights, MADE overfits, so its loss adds an L2 penalty lambda * ||W||^2 on the weight
    // matrices (a Gaussian prior). The epoch with the best validation NLL is kept.
    func train<M: AutoregressivePixelModel>(
        _ model: M, name: String, on trainSet: [UInt8], validation: [UInt8], epochs: Int, batchSize: Int = 64,
        learningRate: Float, l2: Float = 0
    ) throws -> TrainingLog where M.Scalar == Float {
        let d = model.dimension
        let n = trainSet.count / d
        let stepsPerEpoch = (n + batchSize - 1) / batchSize
        let adam = Adam<Float>(learningRate: learningRate)
        let progress = Progress(name, total: epochs * stepsPerEpoch)
        var log = TrainingLog()
        var best = (nll: Double.infinity, values: model.parameters.map(\.value))
        let weights = model.parameters.filter { $0.shape.count == 2 }
        let started = Date()
        var step = 0
        for epoch in 1...epochs {
            let order = rng.permutation(n)
            var sum = 0.0
            for start in stride(from: 0, to: n, by: batchSize) {
                var batch = [UInt8]()
                batch.reserveCapacity(batchSize * d)
                for k in order[start..<min(start + batchSize, n)] { batch += trainSet[k * d..<(k + 1) * d] }
                let done = Double(step) / Double(epochs * stepsPerEpoch)
                adam.learningRate = learningRate * Float(0.5 * (1 + cos(Double.pi * done)))
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
            let validationNLL = model.meanNLL(validation)
            log.trainNLL.append(sum / Double(stepsPerEpoch))
            log.validationNLL.append(validationNLL)
            if validationNLL < best.nll {
                best = (validationNLL, model.parameters.map(\.value))
                log.bestEpoch = epoch
            }
        }
        for (p, v) in zip(model.parameters, best.values) { p.value = v }
        log.seconds = Date().timeIntervalSince(started)
        return log
    }

    /// Samples and the wall time per image.
    func sampleTimed<M: AutoregressivePixelModel>(_ model: M, count: Int) -> (samples: PixelSamples, msPerImage: Double) {
        let (samples, seconds) = timed { model.sample(count: count, using: &rng) }
        return (samples, 1000 * seconds / Double(count))
    }

    // The digits: 17 levels per pixel.
    let fvsbnDigits = FVSBN<Float>(dimension: 64, levels: 17, using: &rng)
    fvsbnDigits.startFrom(independentDigits)
    let fvsbnDigitsLog = try train(
        fvsbnDigits, name: "digits FVSBN", on: digits.train.pixels, validation: digits.validation.pixels,
        epochs: quick ? 3 : 25, learningRate: 0.02)
    let madeDigits = MADE<Float>(dimension: 64, levels: 17, hiddenSize: quick ? 128 : 512, using: &rng)
    madeDigits.startFrom(independentDigits)
    let madeDigitsLog = try train(
        madeDigits, name: "digits MADE", on: digits.train.pixels, validation: digits.validation.pixels,
        epochs: quick ? 3 : 30, learningRate: 0.01, l2: 0.005)

    // Binarised MNIST: 784 Bernoulli pixels.
    let fvsbnMNIST = FVSBN<Float>(dimension: 784, levels: 2, using: &rng)
    fvsbnMNIST.startFrom(independentMNIST)
    let fvsbnMNISTLog = try train(
        fvsbnMNIST, name: "MNIST FVSBN", on: mnist.train.pixels, validation: mnist.validation.pixels,
        epochs: quick ? 1 : 14, learningRate: 0.02)
    let madeMNIST = MADE<Float>(dimension: 784, levels: 2, hiddenSize: quick ? 100 : 500, using: &rng)
    madeMNIST.startFrom(independentMNIST)
    let madeMNISTLog = try train(
        madeMNIST, name: "MNIST MADE", on: mnist.train.pixels, validation: mnist.validation.pixels,
        epochs: quick ? 1 : 20, learningRate: 0.01, l2: 0.001)

    // The ladder, measured once on the test splits; sampling time per image from 20 samples.
    struct Rung {
        let model: String
        let nats: Double
        var log: TrainingLog? = nil
        var sampleMs: Double? = nil
    }
    let ladders: [(name: String, key: String, d: Int, rungs: [Rung])] = [
        ("digits", "digits", 64, [
            Rung(model: "uniform", nats: uniformDigits),
            Rung(model: "independent", nats: independentDigits.meanNLL(digits.test.pixels)),
            Rung(model: "FVSBN", nats: fvsbnDigits.meanNLL(digits.test.pixels), log: fvsbnDigitsLog,
                 sampleMs: sampleTimed(fvsbnDigits, count: 20).msPerImage),
            Rung(model: "MADE", nats: madeDigits.meanNLL(digits.test.pixels), log: madeDigitsLog,
                 sampleMs: sampleTimed(madeDigits, count: 20).msPerImage),
        ]),
        ("MNIST-5k", "mnist", 784, [
            Rung(model: "uniform", nats: uniformMNIST),
            Rung(model: "independent", nats: independentMNIST.meanNLL(mnist.test.pixels)),
            Rung(model: "FVSBN", nats: fvsbnMNIST.meanNLL(mnist.test.pixels), log: fvsbnMNISTLog,
                 sampleMs: sampleTimed(fvsbnMNIST, count: 20).msPerImage),
            Rung(model: "MADE", nats: madeMNIST.meanNLL(mnist.test.pixels), log: madeMNISTLog,
                 sampleMs: sampleTimed(madeMNIST, count: 20).msPerImage),
        ]),
    ]
    for ladder in ladders {
        print("\(ladder.name) test NLL:", ladder.rungs.map { "\($0.model) \(fmt($0.nats))" }.joined(separator: " > "))
        for rung in ladder.rungs {
            report("\(ladder.name): \(rung.model)", nats: rung.nats, dimensions: ladder.d, log: rung.log, sampleMs: rung.sampleMs)
            chapter.record("\(ladder.key)/test NLL/\(rung.model)", rung.nats)
            chapter.record("\(ladder.key)/test bits per dim/\(rung.model)", Likelihood.bitsPerDimension(nats: rung.nats, dimensions: ladder.d))
            if let ms = rung.sampleMs { chapter.record("\(ladder.key)/sampling ms per image/\(rung.model)", ms) }
        }
    }

    // Training curves: NLL per epoch on the training batches (solid) and the validation split
    // (dashed); the gap between them is overfitting, which the L2 penalty and the choice of the
    // best validation epoch hold in check.
    func curves(_ title: String, _ runs: [(String, TrainingLog)], independent: Double) -> Canvas {
        var series: [Series] = []
        for (k, (name, log)) in runs.enumerated() {
            let epochs = (1...log.trainNLL.count).map(Double.init)
            let color = Color.categorical[k]
            series.append(Series("\(name) train", x: epochs, y: log.trainNLL, color: color))
            series.append(Series("\(name) validation", x: epochs, y: log.validationNLL, color: color, style: .dashed))
        }
        let longest = runs.map { $0.1.trainNLL.count }.max()!
        series.append(Series("independent (validation)", x: [1, Double(longest)], y: [independent, independent], color: .gray, style: .dashed))
        return linePlot(series, title: title, xLabel: "epoch", yLabel: "NLL (nats per image)")
    }
    try panel([
        curves("digits 8x8, 17 levels", [("FVSBN", fvsbnDigitsLog), ("MADE", madeDigitsLog)],
               independent: independentDigits.meanNLL(digits.validation.pixels)),
        curves("MNIST-5k binarised", [("FVSBN", fvsbnMNISTLog), ("MADE", madeMNISTLog)],
               independent: independentMNIST.meanNLL(mnist.validation.pixels)),
    ], title: "Training curves").writePNG(to: chapter.figurePath("ch1-training-curves.png"))
    print("wrote ch1-training-curves.png")

    // What the FVSBN learned. Row i of its weight matrix is the logistic regression of pixel i on
    // the pixels before it: drawn as a 28x28 picture it is zero below and to the right of pixel i
    // (the mask) and shows which earlier pixels the model found worth looking at.
    let watchedMNIST = [(row: 14, column: 14), (row: 20, column: 9)]
    let trainedWeight = fvsbnMNIST.weight.value * fvsbnMNIST.mask
    let weightMaps = watchedMNIST.map { pixel -> Canvas in
        let i = pixel.row * 28 + pixel.column
        let row = (0..<784).map { Double(trainedWeight[i, $0]) }
        let extent = max(row.map(abs).max()!, 1e-6)
        return heatMap(row, rows: 28, columns: 28, colorMap: .diverging, range: -extent...extent, highlight: [pixel],
                       title: "w_\(i),j: pixel (\(pixel.row), \(pixel.column)) on earlier pixels")
    }
    try panel(weightMaps, title: "MNIST FVSBN: one row of the strictly lower-triangular weight")
        .writePNG(to: chapter.figurePath("ch1-fvsbn-weights.png"))
    print("wrote ch1-fvsbn-weights.png")

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
    barsFVSBN.startFrom(barsIndependent)
    let barsFVSBNLog = try train(barsFVSBN, name: "bars FVSBN", on: barsTrain, validation: barsValidation, epochs: quick ? 10 : 60, learningRate: 0.03)
    let barsMADE = MADE<Float>(dimension: 16, levels: 2, hiddenSize: 64, using: &rng)
    barsMADE.startFrom(barsIndependent)
    let barsMADELog = try train(barsMADE, name: "bars MADE", on: barsTrain, validation: barsValidation, epochs: quick ? 10 : 60, learningRate: 0.01)

    // The teacher: a random 8x8 FVSBN from the Datasets module, log p(x) exact for every image.
    // Its entropy has no closed form at D = 64; the Monte-Carlo estimate over 20,000 fresh samples,
    // H ~ mean of -log p(x), has a standard error of a few hundredths of a nat. The student FVSBN
    // is of the teacher's own family, so only the finite training set keeps it above the floor.
    let teacher = TeacherAutoregressive(height: 8, width: 8, using: &rng)
    let teacherTrain = teacher.sample(count: quick ? 1000 : 4000, using: &rng).pixels
    let teacherValidation = teacher.sample(count: 1000, using: &rng).pixels
    let teacherTestSet = teacher.sample(count: 2000, using: &rng)
    let teacherTest = teacherTestSet.pixels
    let teacherEntropy = teacher.entropyEstimate(samples: quick ? 5000 : 20_000, using: &rng)
    let teacherOnTest = -teacher.logProbabilities(teacherTestSet).reduce(0, +) / Double(teacherTestSet.count)
    let teacherIndependent = IndependentPixels(counting: teacherTrain, dimension: 64, levels: 2)
    let teacherFVSBN = FVSBN<Float>(dimension: 64, levels: 2, using: &rng)
    teacherFVSBN.startFrom(teacherIndependent)
    let teacherFVSBNLog = try train(teacherFVSBN, name: "teacher FVSBN", on: teacherTrain, validation: teacherValidation, epochs: quick ? 3 : 30, learningRate: 0.01)
    let teacherMADE = MADE<Float>(dimension: 64, levels: 2, hiddenSize: 128, using: &rng)
    teacherMADE.startFrom(teacherIndependent)
    let teacherMADELog = try train(teacherMADE, name: "teacher MADE", on: teacherTrain, validation: teacherValidation, epochs: quick ? 3 : 30, learningRate: 0.01, l2: 0.001)

    let exact: [(name: String, key: String, d: Int, floor: Double, rungs: [Rung])] = [
        ("bars & stripes 4x4", "bars-and-stripes", 16, bars.entropy, [
            Rung(model: "uniform", nats: Likelihood.uniformNats(dimensions: 16, levels: 2)),
            Rung(model: "independent", nats: barsIndependent.meanNLL(barsTest)),
            Rung(model: "FVSBN", nats: barsFVSBN.meanNLL(barsTest), log: barsFVSBNLog),
            Rung(model: "MADE", nats: barsMADE.meanNLL(barsTest), log: barsMADELog),
        ]),
        ("teacher 8x8", "teacher", 64, teacherEntropy.entropy, [
            Rung(model: "uniform", nats: Likelihood.uniformNats(dimensions: 64, levels: 2)),
            Rung(model: "independent", nats: teacherIndependent.meanNLL(teacherTest)),
            Rung(model: "FVSBN", nats: teacherFVSBN.meanNLL(teacherTest), log: teacherFVSBNLog),
            Rung(model: "MADE", nats: teacherMADE.meanNLL(teacherTest), log: teacherMADELog),
            Rung(model: "the teacher itself", nats: teacherOnTest),
        ]),
    ]
    for check in exact {
        for rung in check.rungs {
            report("\(check.name): \(rung.model)", nats: rung.nats, dimensions: check.d, floor: check.floor, log: rung.log)
            chapter.record("\(check.key)/test NLL/\(rung.model)", rung.nats)
        }
        chapter.record("\(check.key)/entropy", check.floor)
    }
    print(String(format: "bars & stripes: entropy ln 30 = %.3f nats; teacher: entropy %.2f +- %.2f nats (Monte Carlo), %.2f on the test samples",
                 bars.entropy, teacherEntropy.entropy, teacherEntropy.standardError, teacherOnTest))

    // Normalisation, by enumeration. On 4x4 binary images there are 2^16 = 65,536 possible
    // images; the chain rule promises sum_x p(x) = 1 for any parameters, as long as every
    // conditional sees only earlier pixels. Summing the trained models' p(x) over all of them
    // checks that promise (and the masks) directly; in Float the sum is good to about 1e-6.
    let everyImage = allImages(dimension: 16, levels: 2)
    for (name, model) in [("FVSBN", barsFVSBN as any AutoregressivePixelModel<Float>), ("MADE", barsMADE)] {
        let p = model.logProbabilities(everyImage).map { Foundation.exp($0) }
        let total = p.reduce(0, +)
        let onPatterns = bars.patterns.map { pattern in p[pattern.reduce(0) { $0 * 2 + Int($1) }] }.reduce(0, +)
        print(String(format: "bars & stripes %@: sum of p(x) over all 65536 images = %.6f; mass on the 30 patterns = %.4f", name, total, onPatterns))
        chapter.record("bars-and-stripes/sum of p over all images/\(name)", total)
        chapter.record("bars-and-stripes/mass on patterns/\(name)", onPatterns)
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
    print("chi-square of 20000 MADE samples against its own p(x): \(chiSquare)")
    chapter.record("bars-and-stripes/chi-square p-value/MADE", chiSquare.pValue)

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
    let colourIndependent = IndependentPixels(counting: colourTrain, dimension: colours.dimension, levels: colours.levels)
    let chained = MADE<Float>(degrees: colours.chainedChannelDegrees, levels: colours.levels, hiddenSize: 128, using: &rng)
    chained.startFrom(colourIndependent)
    let chainedLog = try train(chained, name: "colour R->G->B", on: colourTrain, validation: colourValidation, epochs: quick ? 3 : 20, learningRate: 0.01)
    let separate = MADE<Float>(degrees: colours.independentChannelDegrees, levels: colours.levels, hiddenSize: 128, using: &rng)
    separate.startFrom(colourIndependent)
    let separateLog = try train(separate, name: "colour channels independent", on: colourTrain, validation: colourValidation, epochs: quick ? 3 : 20, learningRate: 0.01)
    let colourRungs: [(String, String, Double, Double?, TrainingLog?)] = [
        ("uniform", "uniform", Likelihood.uniformNats(dimensions: colours.dimension, levels: colours.levels), nil, nil),
        ("independent", "independent", colourIndependent.meanNLL(colourTest), nil, nil),
        ("MADE, RGB independent", "MADE channels independent", separate.meanNLL(colourTest), colours.channelIndependentFloor, separateLog),
        ("MADE, R->G->B", "MADE R-G-B", chained.meanNLL(colourTest), colours.entropy, chainedLog),
    ]
    for (label, key, nats, floor, log) in colourRungs {
        report("colour 6x6x3: \(label)", nats: nats, dimensions: colours.dimension, floor: floor ?? colours.entropy, log: log)
        chapter.record("colour/test NLL/\(key)", nats)
    }
    let measuredGain = colourRungs[2].2 - colourRungs[3].2
    let possibleGain = colours.channelIndependentFloor - colours.entropy
    print(String(format: "colour: conditioning G on R and B on R, G saves %.2f nats per image (%.2f at best: floors %.2f vs %.2f)",
                 measuredGain, possibleGain, colours.channelIndependentFloor, colours.entropy))
    chapter.record("colour/NLL saved by R-G-B order", measuredGain)

    // MARK: 8. Samples: independent against autoregressive

    // Independent pixels know where ink tends to be but not that strokes are connected: their
    // samples are speckle around the mean digit. The autoregressive models draw each pixel given
    // those already drawn, so strokes continue.
    // The data row shows one test image of every digit (the MNIST file is sorted by digit).
    rng = samplesStream
    func rows(_ data: ImageSet, _ independent: IndependentPixels, _ models: [any AutoregressivePixelModel<Float>], count: Int) -> [UInt8] {
        var out: [UInt8] = []
        for digit in 0..<count { out += data.image(data.labels.firstIndex(of: digit) ?? digit) }
        out += independent.sample(count: count, using: &rng)
        for model in models { out += model.sample(count: count, using: &rng).pixels }
        return out
    }
    let captions = ["test data", "independent", "FVSBN", "MADE"]
    try imageGrid(rows(digits.test, independentDigits, [fvsbnDigits, madeDigits], count: 10), shape: [40, 8, 8], levels: 17,
                  columns: 10, rowCaptions: captions, title: "Digits 8x8: data and samples")
        .writePNG(to: chapter.figurePath("ch1-samples-digits.png"))
    try imageGrid(rows(mnist.test, independentMNIST, [fvsbnMNIST, madeMNIST], count: 10), shape: [40, 28, 28], levels: 2,
                  columns: 10, rowCaptions: captions, title: "MNIST-5k binarised: data and samples")
        .writePNG(to: chapter.figurePath("ch1-samples-mnist.png"))
    print("wrote ch1-samples-digits.png, ch1-samples-mnist.png")

    // Colour samples: stored pixel by pixel (R G B), shown as planes (R plane, G plane, B plane).
    func planes(_ values: [UInt8], count: Int) -> [UInt8] {
        let p = colours.pixelCount
        var out = [UInt8](repeating: 0, count: count * 3 * p)
        for n in 0..<count { for q in 0..<p { for c in 0..<3 { out[(n * 3 + c) * p + q] = values[(n * p + q) * 3 + c] } } }
        return out
    }
    let colourRows = planes(colourTest, count: 8) + planes(chained.sample(count: 8, using: &rng).pixels, count: 8)
        + planes(separate.sample(count: 8, using: &rng).pixels, count: 8)
    try imageGrid(colourRows, shape: [24, 3, 6, 6], levels: colours.levels, columns: 8,
                  rowCaptions: ["data", "R -> G -> B", "channels independent"], title: "Correlated colours: data and samples")
        .writePNG(to: chapter.figurePath("ch1-samples-colour.png"))
    print("wrote ch1-samples-colour.png")

    // MARK: The ladder against the floors

    func ladderChart(_ title: String, _ rungs: [Rung], floor: (Double, String)?) -> Canvas {
        barChart(rungs.map(\.nats), labels: rungs.map(\.model), title: title, yLabel: "test NLL (nats)", reference: floor.map { (value: $0.0, label: $0.1) })
    }
    try panel([
        ladderChart("digits 8x8", ladders[0].rungs, floor: nil),
        ladderChart("MNIST-5k", ladders[1].rungs, floor: nil),
        ladderChart("bars & stripes 4x4", exact[0].rungs, floor: (bars.entropy, "entropy ln 30")),
        ladderChart("teacher 8x8", Array(exact[1].rungs.prefix(4)), floor: (teacherEntropy.entropy, "teacher entropy")),
        ladderChart("colour 6x6x3", colourRungs.map { Rung(model: $0.0.replacingOccurrences(of: "MADE, ", with: ""), nats: $0.2) }, floor: (colours.entropy, "entropy")),
    ], title: "Test NLL down the ladder, against the entropy where it is known", columns: 3)
        .writePNG(to: chapter.figurePath("ch1-nll-ladder.png"))
    print("wrote ch1-nll-ladder.png")
}
