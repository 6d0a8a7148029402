// Chapter 3: PixelCNN, the conditionals computed by masked convolutions.
//
// Chapters 1 and 2 wrote every image as a product of conditionals in raster order,
//
//     p(x) = prod_{i=1..D} p(x_i | x_1, ..., x_{i-1}),
//
// and chapter 2 computed them with an LSTM that reads the image one pixel (or one row) per
// step: D (or H) steps that wait for each other. The lecture's next model drops the recurrence.
// A convolution computes the features of every pixel at once, and a mask on its kernel zeroes
// every weight that would read a pixel not yet predicted; the lecture's 5x5 mask A is
//
//     1 1 1 1 1
//     1 1 1 1 1
//     1 1 0 0 0        ones above and left of the centre, zeros from the centre on,
//     0 0 0 0 0
//     0 0 0 0 0
//
// and the later layers use mask B, the same with the centre switched on. Then one pass of the
// network gives all D conditionals: training is one parallel step instead of D sequential ones.
// Sampling is still D steps, since pixel i must be drawn before pixel i + 1 can be computed.
//
// The chapter shows the masks; finds by autodiff which pixels a stack of masked convolutions
// sees (the plain stack's blind spot, and its absence in the gated PixelCNN); trains both on the
// 8x8 digits and on binarised MNIST-5k, next to chapters 1 and 2; measures the
// speed argument against the PixelRNNs on the same data and machine; samples faster by computing
// every feature once (the idea of "Fast PixelCNN++", Ramachandran et al. 2017), drawing exactly
// the same pixels; and draws the dependency matrix of which input each output depends on.
// Figures.swift draws the figures; Options.swift lists the flags (`ch3-pixelcnn --help`);
// Tables.swift reports the numbers of the longer tables; the other files hold the plumbing their
// names say.

import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

Chapter.run(number: 3, title: "PixelCNN", options: Options.self) { chapter, options in
    var rng = chapter.rng
    let quick = options.shared.quick

    // MARK: The masks

    // Mask A for the first layer, which reads the image itself: its centre is the pixel being
    // predicted and must stay hidden. Mask B for every later layer: there the centre holds features
    // computed from earlier pixels only, so it may be read. With colour the channels of each layer
    // are split into R, G and B groups, and only the centre tap tells them apart: under mask A, R
    // sees nothing of the current pixel, G sees R, B sees R and G; mask B also lets each group see
    // itself. (The lecture's chain rule for colour, p(R) p(G | R) p(B | R, G) per pixel.) Printed
    // as matrices by Masks.swift.
    printMasks()
    try Figures.masks().writePNG(to: chapter.figurePath("ch3-masks.png"))

    // MARK: Receptive fields by autodiff: the blind spot

    // Which pixels does the prediction of pixel i use? Differentiate its logit with respect to every
    // input pixel: |d a_i / d x_j| is exactly zero when the tape has no path from j to i. The
    // stacks are freshly initialised and fed random values (the field is a property of the masks,
    // not of training): a plain PixelCNN of L 3x3 layers (mask A, then mask B), and the gated
    // PixelCNN of L layers, for L = 1..6.
    //
    // A mask-B layer reads the row above at columns j - 1, j, j + 1 and the current row at j - 1 and
    // j. Stacked, the field grows one row up and one column left per layer, but every step to the
    // right costs a step up: pixel (i - a, j + b) is reached only if b <= a. The wedge above and to
    // the right with b > a, inside the field's width, is never seen, however deep the stack: the
    // blind spot. The gated PixelCNN splits the stack in two: a vertical stack that sees whole rows
    // above (its k x k kernel covers every column of them) and a horizontal stack that sees the row
    // to the left; every layer hands the vertical stack's rectangle to the horizontal one, and the
    // field has no hole.
    // (Dependencies.swift measures the fields, Tables.swift reports the blind spots.)
    var fieldRNG = rng.split()
    let probe = FieldProbe(using: &fieldRNG)
    let (plainFields, gatedFields) = probe.fields(depths: 1...6, using: &fieldRNG)
    print(blindSpotTable(plain: plainFields, gated: gatedFields, probe: probe, in: chapter).rendered())
    // The check that makes the counts trustworthy: autodiff's field is exactly the set the masks allow.
    let agree = (plainFields + gatedFields).allSatisfy { $0.seen == $0.architecture }
    print("every measured field equals the field its masks allow: \(agree)")
    try Figures.receptiveFields(plain: plainFields, gated: gatedFields, probe: probe)
        .writePNG(to: chapter.figurePath("ch3-receptive-fields.png"))

    // MARK: The data

    // The 8x8 digits of chapters 1 and 2 (17 levels, 1000 / 350 / 447) and MNIST-5k binarised at
    // 0.5 (28 x 28, 4000 / 500 / 500), as in chapter 1. (--quick: every 10th MNIST training image,
    // every 5th validation and test image.)
    let digits = try RealDataset.digits8x8.loadSplits()
    let mnistSplits = try RealDataset.mnist5k.loadSplits()
    let mnist = (
        train: mnistSplits.train.binarized().thinned(every: 10, quick: quick),
        validation: mnistSplits.validation.binarized().thinned(every: 5, quick: quick),
        test: mnistSplits.test.binarized().thinned(every: 5, quick: quick)
    )

    // MARK: The models

    // The plain PixelCNN of the lecture: a mask-A layer, then mask-B layers with ReLUs, each adding
    // its input back (residual), then a 1x1 convolution to the logits of each pixel: a 17-way
    // softmax for the digits, one Bernoulli logit for binarised MNIST,
    //
    //     h_1 = relu(MaskA * x),   h_l = h_{l-1} + relu(MaskB * h_{l-1}),   a = W_out . h_L + b.
    //
    // The sizes are those of the PyTorch reference runs on the same splits: for the digits 5x5
    // mask A 1 -> 64, five 3x3 mask B 64 -> 64, 1x1 -> 17 (84.32 test nats after 57 epochs); for
    // MNIST 7x7 mask A 1 -> 32, five 3x3 mask B 32 -> 32, 1x1 -> 1 (75.36 after 10 epochs, 167 s).
    // Each pixel enters as one number, its level scaled to [0, 1]. (Given the one-hot code of the
    // level too, as chapter 2's LSTMs are, the plain PixelCNN's first layer memorises the 1000
    // training digits: in 20-epoch runs made while writing this chapter its best validation NLL was
    // 89.0 nats with the code and 85.3 without; the gated net hardly cared, 84.4 against 84.1.)
    //
    // The gated PixelCNN (van den Oord et al. 2016b) on the digits: p = 32 channels per stack, a
    // 5x5 first layer and five 3x3 layers, the gated unit tanh(W_f * x) . sigmoid(W_g * x) instead
    // of the ReLU, then a 1x1 ReLU layer and the 1x1 output. Its multiply-adds per pixel are about
    // those of the plain net (115k against 104k): what differs is the wiring.
    // (--layers and --channels change these sizes; the gated net gets one layer more and half the
    // channels per stack.)
    let digitsCNN = PixelCNN<Float>(
        height: 8, width: 8, levels: 17, channels: options.digitsChannels, maskedLayers: options.plainLayers,
        firstKernel: 5, oneHotInputs: false, using: &rng)
    let digitsGated = GatedPixelCNN<Float>(
        height: 8, width: 8, levels: 17, channels: options.digitsChannels / 2, layers: options.plainLayers + 1,
        firstKernel: 5, oneHotInputs: false, using: &rng)
    let mnistCNN = PixelCNN<Float>(
        height: 28, width: 28, levels: 2, channels: quick ? 8 : 32, maskedLayers: options.plainLayers, firstKernel: 7,
        using: &rng)

    // MARK: Training

    // Maximum likelihood, as in chapter 2: minimise the mean over images of
    // -log p(x) = -sum_i log p(x_i | x_<i), all D terms from one pass of the network. Adam on
    // minibatches of 16, the learning rate falling along a half cosine to a tenth of its start; after
    // every epoch (every half epoch for the plain net on MNIST) the validation NLL decides which
    // weights to keep. 20 epochs on the digits (as chapter 2's LSTMs; learning rate 3e-3), 3 for the
    // plain net on MNIST (8e-3), so that the gated one below has most of the budget of a chapter
    // that must finish in three minutes on two cores. The reference PyTorch run needed 10 epochs
    // (167 s) for its 75.36 nats on MNIST, and 28 (423 s) for 72.47; ours reached 72.10 in 12
    // epochs at 2e-3 (49 s of training), and in runs made to choose the rate (`--epochs 1
    // --mnist-epochs 3` or `4`), 74.96 in 3 epochs at 8e-3 and 74.39 at 1.2e-2, 73.96 in 4 epochs
    // at 8e-3, 75.45 at 2e-3 and 76.61 at 1.6e-2.
    var trainRNG = rng.split()
    func plan(_ epochs: Int, _ rate: Float, evaluations: Int = 1, averaging: Float? = nil) -> TrainingPlan {
        TrainingPlan(
            epochs: epochs, batchSize: 16, learningRate: rate, schedule: .cosine(floor: 0.1),
            evaluationsPerEpoch: evaluations, averaging: averaging)
    }
    let digitsCNNLog = try chapter.fit(
        digitsCNN, "digits PixelCNN", on: digits.train, validation: digits.validation,
        plan: plan(options.digitsEpochs, 3e-3),
        using: &trainRNG)
    let digitsGatedLog = try chapter.fit(
        digitsGated, "digits gated PixelCNN", on: digits.train, validation: digits.validation,
        plan: plan(options.digitsEpochs, 3e-3), using: &trainRNG)
    let mnistCNNLog = try chapter.fit(
        mnistCNN, "MNIST PixelCNN", on: mnist.train, validation: mnist.validation,
        plan: plan(options.mnistTrainingEpochs, 8e-3, evaluations: 2), using: &trainRNG)
    // The gated PixelCNN on MNIST: the plain net's field reaches 8 rows up and has a blind spot,
    // too little to lay out a whole 28 x 28 digit. This one has 16 channels per stack and 7 layers
    // whose 3x3 taps are dilated 1, 2, 4, 8, 8, 1, so the last pixel sees all 783 before it; 8
    // epochs (about 70 s on two cores; --mnist-gated-epochs and --mnist-gated-channels change the
    // two numbers, --no-mnist-gated leaves the net out) at a learning rate of 1.2e-2. The gated
    // net (tanh . sigmoid units, residual horizontal stack) trains stably at high rates. In runs
    // made while writing this chapter, 8 epochs reached 67.6 test nats at 2e-3 (without the
    // average below); from the start of `--epochs 1 --mnist-epochs 1` (another starting point than
    // the full run's) 61.72 at 8e-3, 61.30 at 1.2e-2 and 61.67 at 1.6e-2, and from that of
    // `--epochs 2 --mnist-epochs 1` 61.76 at 8e-3 and 61.19 at 1.2e-2; the judge recognised 0.52
    // to 0.57 of their samples, within two standard errors of each other. Fewer epochs cost
    // likelihood: at 8e-3, 7 epochs gave 62.12 nats and 6 gave 62.66. The weights it is evaluated
    // with, and keeps, are the running average of the trained ones (Polyak averaging, `averaging:
    // 0.999`): 0.1 to 0.3 nats better in three trainings compared with and without, the samples'
    // score moved within its standard error of 0.022 (0.496 to 0.528, 0.550 to 0.530). Drawn from
    // trainRNG after the other fits, so they do not change. (The full run, seed 1: 61.59 nats and
    // 0.578 of 500 samples recognised.)
    let mnistGated =
        !options.mnistGated
        ? nil
        : GatedPixelCNN<Float>(
            height: 28, width: 28, levels: 2, channels: options.gatedChannels, layers: quick ? 3 : 7, firstKernel: 7,
            outputHidden: quick ? 8 : 32, dilations: quick ? [1, 2] : [1, 2, 4, 8, 8, 1], using: &trainRNG)
    let mnistGatedLog = try mnistGated.map {
        try chapter.fit(
            $0, "MNIST gated PixelCNN", on: mnist.train, validation: mnist.validation,
            plan: plan(options.gatedEpochs, 1.2e-2, averaging: 0.999), using: &trainRNG)
    }

    // MARK: How good: test NLL next to chapters 1 and 2

    let trained =
        [
            Trained("PixelCNN", digitsCNN, on: "digits", log: digitsCNNLog, test: digits.test),
            Trained("gated PixelCNN", digitsGated, on: "digits", log: digitsGatedLog, test: digits.test),
            Trained("PixelCNN", mnistCNN, on: "mnist", log: mnistCNNLog, test: mnist.test),
        ]
        + zip([mnistGated].compactMap { $0 }, [mnistGatedLog].compactMap { $0 }).map {
            Trained("gated PixelCNN", $0, on: "mnist", log: $1, test: mnist.test)
        }
    // Chapters 1 and 2 saved their test NLLs in this run's figures folder (when they have run with
    // the same --figures and --quick); their rows come first in the table, ours after.
    // Per model: the test NLL in nats and in bits per dimension, NLL / (D ln 2); the best
    // validation NLL; the free parameters; the training time (Tables.swift).
    let earlier = EarlierResults(chapter, chapters: [1, 2])
    reportLikelihoods(trained, after: earlier, in: chapter)

    // MARK: How fast: one pass to train, D steps to sample

    // The lecture's review question: PixelCNN trains faster than PixelRNN because one parallel pass
    // gives every conditional, and both sample slowly because sampling needs D sequential steps.
    // Measured here on the same data, machine and minute: the PixelCNNs just trained, and chapter
    // 2's two LSTMs at chapter 2's sizes (raster LSTM, hidden 128; Row LSTM, 5x5 mask A, 32
    // features, hidden 64), freshly initialised (time does not depend on the weights; their
    // likelihoods are chapter 2's). The models count the sequential steps they run.
    var timing = SpeedRun(digits: digits.train, mnist: mnist.train, quick: quick, rng: rng.split())
    var lstmRNG = rng.split()
    let (rasterHidden, rowFeatures, rowHidden) = quick ? (32, 8, 16) : (128, 32, 64)
    let digitsRaster = RasterLSTM<Float>(height: 8, width: 8, levels: 17, hiddenSize: rasterHidden, using: &lstmRNG)
    let digitsRow = RowLSTM<Float>(
        height: 8, width: 8, levels: 17, features: rowFeatures, hiddenSize: rowHidden, inputKernel: 5, using: &lstmRNG)
    let mnistRaster = RasterLSTM<Float>(height: 28, width: 28, levels: 2, hiddenSize: rasterHidden, using: &lstmRNG)
    let mnistRow = RowLSTM<Float>(
        height: 28, width: 28, levels: 2, features: rowFeatures, hiddenSize: rowHidden, inputKernel: 5, using: &lstmRNG)
    // At 28 x 28 the LSTMs cost about three times the multiply-adds per pixel of the MNIST
    // PixelCNN; the digits' PixelCNN (64 channels) at 28 x 28, timing only, costs about as much as
    // they do, for a comparison at equal arithmetic.
    let wideMNISTCNN = PixelCNN<Float>(
        height: 28, width: 28, levels: 2, channels: digitsCNN.channels, maskedLayers: digitsCNN.layers.count,
        firstKernel: 5, using: &lstmRNG)
    let wideName = "PixelCNN-\(wideMNISTCNN.channels)"
    // Each is timed on its own data (SpeedTable.swift); the naive sampler at 28 x 28 is timed once,
    // below, where its pixels are compared.
    var speeds: [String: ModelSpeed] = [
        "digits/PixelCNN": timing.measure(digitsCNN, naive: trained[0].naive),
        "digits/gated PixelCNN": timing.measure(digitsGated, naive: trained[1].naive),
        "digits/raster LSTM": timing.measure(digitsRaster), "digits/Row LSTM": timing.measure(digitsRow),
        "mnist/PixelCNN": timing.measure(mnistCNN), "mnist/\(wideName)": timing.measure(wideMNISTCNN),
        "mnist/raster LSTM": timing.measure(mnistRaster), "mnist/Row LSTM": timing.measure(mnistRow),
    ]
    if let mnistGated { speeds["mnist/gated PixelCNN"] = timing.measure(mnistGated) }

    // MARK: Faster sampling: every feature computed once

    // The naive sampler runs the whole network D times, once per pixel, and uses one pixel's
    // logits of each pass. But position i of layer l depends only on layer l - 1 at positions up to
    // i (mask B; mask A: pixels before i), and a pixel once drawn never changes: a feature, once
    // computable, is final. So the cached sampler computes each position of each layer exactly once,
    // at the step it becomes computable (the gated net computes its vertical stack a row at a time,
    // since it needs only rows above), from a k x k window of the layer below, with the same kernel
    // as the full pass. Same numbers in the same order, so the same pixels for the same generator;
    // about one pass of work instead of D. Checked on a batch of digits and one MNIST image, both
    // samplers from the same seed: the pixels that differ (0 expected), the largest gap between
    // their log p(x_i | x_<i), and the speed-up (Tables.swift).
    let samplerTable = cachedSamplerTable(trained, quick: quick, speeds: &speeds, in: chapter)

    // The timing table: every model of the comparison, the same run (SpeedTable.swift).
    let speedTable = reportSpeeds(speeds, in: chapter)
    print(samplerTable.rendered() + "\n\n" + speedTable.rendered())
    // How to read the timing columns. One pass gives a PixelCNN every conditional, where the
    // raster LSTM needs 64 (784) dependent steps and the Row LSTM 8 (28). For one image ("log p(x)
    // of one image") that is the whole story: the raster LSTM is several times slower than a
    // PixelCNN of about the same multiply-adds per pixel (PixelCNN-64 at 28 x 28). In a training
    // batch on two cores the gap mostly closes, since each LSTM step is a matrix product over the 16
    // images, which keeps both cores busy too; the lecture's argument is about hardware with far
    // more parallel units. Sampling needs one step per pixel for every model: the naive PixelCNN
    // pays a whole pass per step; the cached one about one pass in all, spread over D steps of L
    // small convolutions whose fixed costs dominate at these sizes, so it still samples more slowly
    // than the LSTMs, whose step is one fused cell update.

    // MARK: Samples and completions

    // Ancestral sampling, pixel by pixel, with the cached sampler (the same pixels as the naive one).
    var sampleRNG = rng.split()
    let sampleCount = quick ? 16 : 64
    let mnistShown = quick ? 8 : 32
    let samples = trained.map {
        $0.model.sample(count: $0.data == "digits" ? sampleCount : mnistShown, using: &sampleRNG)
    }
    // The one-pass likelihood and the sampler compute the same model by two routes: on the samples
    // just drawn, log p(x) from one pass equals the sum of the D log-probabilities of the sampler.
    for (t, s) in zip(trained, samples) {
        let gap = zip(t.model.logLikelihoods(s.pixels), s.logProbabilities).map { Swift.abs($0 - $1) }.max() ?? 0
        chapter.report(
            "\(t.data)/log p(x) one pass vs sampled, max abs error/\(t.name)", gap, note: "on \(s.count) samples")
    }
    try Figures.samples(
        digitsTest: digits.test.pixels, mnistTest: mnist.test.spread(mnistShown), trained: trained,
        samples: samples.map(\.pixels), digitsCount: sampleCount, mnistCount: mnistShown
    ).writePNG(to: chapter.figurePath("ch3-samples.png"))

    // The same chain rule with the top half given (rows 0..<H/2, x_<i for i = D/2): the rest drawn
    // from p(x_i | x_<i), five times per image.
    let completionGrids = trained.map { t -> Canvas in
        let (side, given) = (t.model.height, t.model.dimension / 2)
        let count = quick ? 2 : (t.data == "digits" ? 6 : 4)
        let sources =
            t.data == "digits" ? Array(digits.test.pixels[0..<(count * side * side)]) : mnist.test.spread(count)
        let done = t.model.completions(of: sources, keeping: given, samplesPerImage: 5, using: &sampleRNG)
        return Figures.completions(
            of: sources, completed: done.pixels, count: count, perImage: 5, side: side, levels: t.model.levels,
            given: given, title: "\(t.data == "digits" ? "digits" : "MNIST"): \(t.name)")
    }
    try Figures.completions(completionGrids).writePNG(to: chapter.figurePath("ch3-completions.png"))
    try Figures.trainingCurves(trained).writePNG(to: chapter.figurePath("ch3-training-curves.png"))
    try Figures.nllLadder(
        earlier: earlier, trained: trained,
        references: ["digits": (84.32, "PyTorch PixelCNN, 57 epochs"), "mnist": (72.47, "PyTorch PixelCNN, 28 epochs")]
    ).writePNG(to: chapter.figurePath("ch3-nll.png"))
    try Figures.speed(speeds, wideName: wideName).writePNG(to: chapter.figurePath("ch3-speed.png"))

    // MARK: The dependency matrix

    // The whole Jacobian pattern at once: entry (i, j) is |d a_i / d x_j| summed over images and
    // features, exactly 0 when there is no path, for every output pixel i (rows) and input pixel j
    // (columns) of an 8x8 image, both in raster order. An autoregressive model must give a strictly
    // lower-triangular matrix (the dark upper triangle, diagonal included); below the diagonal, a
    // zero is an earlier pixel the model never sees: in the blind spot (inside the field's bounding
    // box), or out of its reach. Plain and gated stacks of 3x3 layers, freshly initialised on
    // random inputs; the two models trained on the digits, on test images; and, for colour, a stack
    // with R, G, B channel groups on 4x4x3 images, where the staircase along the diagonal is the
    // order inside a pixel (Dependencies.swift).
    var matrixRNG = rng.split()
    let matrices = dependencyMatrices(
        digitsCNN, digitsGated, testInputs: digitsCNN.inputs(Array(digits.test.pixels[0..<(8 * 64)])), using: &matrixRNG
    )
    // Per matrix (Tables.swift): the largest |d a_i / d x_j| with j >= i, which must be 0, and the
    // number of blind-spot entries.
    print(dependencyMatrixTable(matrices, in: chapter).rendered())
    try Figures.dependencyMatrices(matrices).writePNG(to: chapter.figurePath("ch3-dependency-matrix.png"))

    // MARK: Do the samples look like digits?

    // The best likelihood need not draw the best samples (Theis et al. 2016). Chapter 1's judge
    // scores samples of every MNIST model here; the workbook's summary sets them beside the others.
    for t in trained where t.data == "mnist" {
        let samples = t.model.sample(count: quick ? 100 : 500, using: &rng).pixels
        try chapter.reportSamples(
            t.name, samples, grid: "ch3-judged-\(t.name.replacingOccurrences(of: " ", with: "-")).png")
    }
}
