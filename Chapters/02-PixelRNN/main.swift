// Chapter 2: PixelRNN, the conditionals computed by an LSTM.
//
// Chapter 1 wrote every image as a product of conditionals in raster order,
//
//     p(x) = prod_{i=1..D} p(x_i | x_1, ..., x_{i-1}),
//
// and gave each conditional its own weights (FVSBN, MADE). The lecture's next idea is to let one
// recurrent network read the pixels one after another and carry what it has read in its state:
//
//     h_i = f(h_{i-1}, x_{i-1}),        p(x_i | x_<i) = g(h_i),
//
// the same f and g at every pixel, so the model has as many parameters for 64 pixels as for 784.
// The lecture also warns that this is slow: step i cannot start before step i - 1 has finished.
// This chapter trains two such models on real 8x8 digits and measures how good and how slow they
// are, and why:
//
//  * the raster LSTM reads the image as one sequence of D = H * W pixels: D sequential steps to
//    train and D to sample;
//  * the Row LSTM of PixelRNN (van den Oord et al., 2016) computes a whole row at once with 1-D
//    convolutions: H sequential steps to train, but still D to sample, and it pays for its speed
//    with a triangular receptive field that misses part of the past.

import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

Chapter.run(number: 2, title: "PixelRNN", options: Options.self) { chapter, options in
    var rng = chapter.rng
    let quick = options.shared.quick
    let settings = options.run

    // MARK: The data

    // 8x8 digits with 17 gray levels (0...16), Tomczak's split 1000 / 350 / 447, the same as in
    // Chapter 1. Each image is a row of D = 64 levels in raster order.
    let digits = try RealDataset.digits8x8.loadSplits()
    let shape = ImageShape(height: digits.train.height, width: digits.train.width, levels: digits.train.levels)
    let (height, width, levels, dimension) = (shape.height, shape.width, shape.levels, shape.dimension)
    print("digits 8x8: \(digits.train.count) train / \(digits.validation.count) validation / \(digits.test.count) test")

    // MARK: The models

    // Both models read a pixel of level v as a short vector e(v): v / 16 followed by the one-hot
    // code of v (17 values), so that levels can act as numbers and as categories alike.
    //
    // The raster LSTM: at step i the LSTM reads pixel i - 1 (a start token at i = 0) and its
    // hidden state gives the 17 probabilities of pixel i through a softmax:
    //
    //     h_i, c_i = LSTM([e(x_{i-1}), start_i, row(i), column(i)], h_{i-1}, c_{i-1}),
    //     p(x_i | x_<i) = softmax(W h_i + b).
    //
    // row(i) and column(i) (one-hot) say where pixel i is: not data, only the step number, which
    // an LSTM could learn to count by itself, but on 1000 images only after a long plateau.
    // Hidden size 128 (--hidden), the size of a PyTorch reference run on the same split (84.98
    // test nats after 188 epochs of Adam, batch 64).
    let raster = RasterLSTM<Float>(
        height: height, width: width, levels: levels, hiddenSize: settings.hidden, using: &rng)

    // The Row LSTM: a 5 x 5 convolution with mask A turns the image into features that see only
    // the past, F = MaskA * e(x); then one LSTM step per row r, for all its columns at once,
    //
    //     [i, f, g, o]_r = K^is (*) F_r  +  K^ss (*) h_{r-1}  +  b,
    //
    // a masked 1-D convolution (k = 3, taps j - 1 and j only) along row r for the input, and a
    // 1-D convolution (k = 3) over the previous row's hidden state; then two 1x1 layers to the 17
    // logits of every pixel of the row. Sizes chosen so that both models have about 90,000
    // parameters and cost about the same multiply-adds per pixel (about 86,000: the raster LSTM's
    // 4 x 128 x (35 + 128) gates, the Row LSTM's 12 taps x 18 x 32 of mask A, 96 x 256 and
    // 192 x 256 of the two row convolutions, and its 1x1 layers). What differs is only how many of
    // those pixels have to wait for each other.
    let rowLSTM = RowLSTM<Float>(
        height: height, width: width, levels: levels, features: quick ? 8 : 32, hiddenSize: quick ? 16 : 64,
        inputKernel: 5, using: &rng)

    // MARK: The loss and the loop

    // Maximum likelihood: minimise the mean over images of -log p(x) = -sum_i log p(x_i | x_<i),
    // computed in one teacher-forced pass (every input is a known pixel of the training image).
    // Adam on minibatches of 16 (four times the updates per epoch of batches of 64), the learning
    // rate falling along a half cosine to a tenth of its start: large steps early, small ones to
    // settle at the end of a short budget. After every epoch the validation NLL decides which
    // weights to keep. Both models get the same loop and the same number of epochs. Budgets are
    // epochs, not seconds, so a run is the same on any machine.
    let plan = TrainingPlan(
        epochs: settings.epochs, batchSize: 16, learningRate: settings.learningRate, schedule: .cosine(floor: 0.1))
    let rasterLog = try chapter.fit(
        raster, "raster LSTM", on: digits.train, validation: digits.validation, plan: plan, using: &rng)
    let rowLog = try chapter.fit(
        rowLSTM, "Row LSTM", on: digits.train, validation: digits.validation, plan: plan, using: &rng)
    let models: [(key: String, model: any PixelRNN<Float>, log: TrainingLog)] = [
        ("raster LSTM", raster, rasterLog), ("Row LSTM", rowLSTM, rowLog),
    ]

    // Ancestral sampling: x_1 ~ p(x_1), then x_2 ~ p(x_2 | x_1), ..., one pixel per step, each
    // step feeding the pixel just drawn back in.
    let sampleCount = quick ? 16 : 64
    let samples = models.map { $0.model.sample(count: sampleCount, using: &rng) }

    // MARK: How good: test NLL next to Chapter 1

    // The uniform model, 64 ln 17 nats, is the top of the ladder; Chapter 1's models, if it has
    // run with the same figures folder, stand between it and the LSTMs.
    func bitsPerDim(_ nats: Double) -> Double { Likelihood.bitsPerDimension(nats: nats, dimensions: dimension) }
    var ladder = [("uniform (64 ln 17)", Likelihood.uniformNats(dimensions: dimension, levels: levels))]
    if let earlier = chapter.metrics(ofChapter: 1) {
        let prefix = "digits/test NLL/"
        for (key, nats) in earlier.sorted(by: { $0.value > $1.value }) where key.hasPrefix(prefix) {
            let model = String(key.dropFirst(prefix.count))
            if model != "uniform" { ladder.append(("\(model) (chapter 1)", nats)) }
        }
    } else {
        print(
            "Chapter 1's results are not in \(chapter.figures.path)/results "
                + "(run chapter 1 with the same --figures and --quick to compare).")
    }
    // These rows are chapter 1's numbers (or a constant), shown for comparison, not measured here.
    for (model, nats) in ladder {
        chapter.results.add("digits: \(model)", ["test NLL": fmt(nats), "test bits per dim": fmt(bitsPerDim(nats), 3)])
    }
    for (key, model, log) in models {
        let nats = chapter.report("digits/test NLL/\(key)", model.meanNLL(digits.test.pixels), unit: "nats")
        chapter.report("digits/test bits per dim/\(key)", bitsPerDim(nats), digits: 3, unit: "bits")
        chapter.report(
            "digits/validation NLL/\(key)", log.bestValidationLoss, unit: "nats", note: "epoch \(log.kept) kept")
        let parameters = model.parameters.reduce(0) { $0 + $1.value.count }
        chapter.report("digits/parameters/\(key)", Double(parameters), digits: 0)
    }

    // Sampling and training must compute the same model by two different routes: the sampler
    // adds up log p(x_i | x_<i) step by step while it draws, the teacher-forced pass scores the
    // finished image in one go (for the Row LSTM one step per row instead of one per pixel). On
    // the samples just drawn the two sums of 64 terms should agree to Float rounding.
    for ((key, model, _), drawn) in zip(models, samples) {
        let gap = zip(model.logLikelihoods(drawn.pixels), drawn.logProbabilities).map { Swift.abs($0 - $1) }.max() ?? 0
        chapter.report(
            "digits/log p(x) teacher-forced vs sampled, max abs error/\(key)", gap, unit: "nats",
            note: "on \(sampleCount) samples")
    }

    // MARK: How slow: sequential steps, training throughput, sampling time

    // A step that needs the result of the step before cannot start early, however many cores there
    // are: the number of sequential steps is the floor under a pass's time. The models count their
    // recurrent steps as they run (one teacher-forced pass over a batch, then the sampling of a
    // batch). For one image there is no batch to share a step's cost: the time is (steps) x (cost
    // of a step). log p(x) of one test image takes the raster LSTM 64 steps, the Row LSTM 8;
    // drawing one image takes both 64. Median of repeated runs, in milliseconds. The training
    // throughput is the training run's; the timings draw from a generator of their own, so that
    // measuring leaves the chapter's samples as they were.
    for (key, model, log) in models {
        var timingRNG = Random(seed: 0)
        let speed = measureSpeed(
            of: model, on: digits.test, trainingSteps: 0, samplingBatch: sampleCount, quick: quick, using: &timingRNG)
        chapter.report("digits/train images per s/\(key)", log.examplesPerSecond, digits: 0)
        chapter.report("digits/train seconds/\(key)", log.seconds.last ?? 0, digits: 1, unit: "s")
        chapter.report(
            "digits/sequential steps to train/\(key)", Double(speed.stepsToTrain), digits: 0,
            expected: Double(model.trainingSteps))
        chapter.report(
            "digits/sequential steps to sample/\(key)", Double(speed.stepsToSample), digits: 0,
            expected: Double(model.samplingSteps))
        chapter.report("digits/log-likelihood ms for one image/\(key)", speed.logLikelihoodMs, unit: "ms")
        chapter.report("digits/sampling ms for one image/\(key)", speed.sampleMs, unit: "ms")
        chapter.report(
            "digits/sampling ms per image/\(key)", speed.batchSampleMs, unit: "ms", note: "batch of \(sampleCount)")
    }

    // How to read these rows. The likelihoods: both LSTMs use the whole past (the raster LSTM) or
    // most of it (the Row LSTM's triangle, see the receptive-field figure), and both end far below
    // the uniform 181 nats and below Chapter 1's models. The times: with the same multiply-adds per
    // pixel, the Row LSTM scores one image with 8 dependent steps instead of 64, and that is the
    // gap in the "log p(x), 1 image" column. In a training batch the gap shrinks: the raster LSTM's
    // 64 steps are then 64 matrix products of 16 rows each, and the machine is busy with
    // arithmetic rather than waiting. Sampling is where the lecture's warning bites: every pixel
    // must be drawn before the next one can be computed, so both models need all 64 steps, and the
    // Row LSTM's advantage is gone: a sample costs 64 x (one step), for one image as for a batch.

    // MARK: How the cost grows: 28 x 28

    // The paper's images are 28 x 28 (binarised MNIST): D = 784. The same two architectures, with
    // one Bernoulli logit per pixel, on binarised MNIST-5k images, timed for a few training steps
    // and for one image. Freshly initialised: these rows measure time, not quality (training them
    // to convergence does not fit this chapter's budget; Chapter 3's PixelCNN does it).
    let mnist = try RealDataset.mnist5k.load(.train).binarized()
    var scalingRNG = rng.split()
    let scaling: [(key: String, model: any PixelRNN<Float>)] = [
        (
            "raster LSTM",
            RasterLSTM(height: 28, width: 28, levels: 2, hiddenSize: raster.hiddenSize, using: &scalingRNG)
        ),
        (
            "Row LSTM",
            RowLSTM(
                height: 28, width: 28, levels: 2, features: rowLSTM.features, hiddenSize: rowLSTM.hiddenSize,
                inputKernel: rowLSTM.inputKernel, using: &scalingRNG)
        ),
    ]
    for (key, model) in scaling {
        let speed = measureSpeed(
            of: model, on: mnist, trainingSteps: quick ? 1 : 3, samplingBatch: 1, quick: quick, using: &scalingRNG)
        chapter.report("mnist/train images per s/\(key)", speed.trainImagesPerSecond, digits: 1, note: "untrained")
        chapter.report("mnist/log-likelihood ms for one image/\(key)", speed.logLikelihoodMs, digits: 1, unit: "ms")
        chapter.report(
            "mnist/sampling ms for one image/\(key)", speed.sampleMs, digits: 1, unit: "ms",
            note: "\(speed.stepsToTrain) sequential steps to train, \(speed.stepsToSample) to sample")
    }

    // MARK: Samples and completions

    // Samples of each model next to test images. Then the same chain rule with the first pixels
    // fixed: keep the top half of a test image (rows 0..<H/2, all of x_<i for i = D/2) and sample
    // the rest from p(x_i | x_<i). Several completions of the same top half show what the model
    // considers possible below it.
    try samplesFigure(
        test: digits.test.pixels, samples: zip(models, samples).map { ($0.key, $1.pixels) },
        count: min(sampleCount, 64), shape: shape
    ).writePNG(to: chapter.figurePath("ch2-samples.png"))
    let given = dimension / 2
    let (completedImages, perImage) = (quick ? 4 : 8, 5)
    let sources = Array(digits.test.pixels[0..<(completedImages * dimension)])
    let completions = models.map { key, model, _ in
        (key, model.completions(of: sources, keeping: given, samplesPerImage: perImage, using: &rng).pixels)
    }
    try completionsFigure(sources: sources, completions: completions, given: given, perImage: perImage, shape: shape)
        .writePNG(to: chapter.figurePath("ch2-completions.png"))

    // MARK: Training curves

    // The same NLL curves twice: per epoch, and against the sequential steps the training passes
    // had to run one after another (64 per minibatch for the raster LSTM, 8 for the Row LSTM).
    // Seconds would depend on the machine and on what else it runs; the steps do not, so the
    // figure is the same on every run with the same seed, and the table gives the seconds.
    try trainingCurvesFigure(
        models.map { key, model, log in
            (key, log, log.steps.map { Double($0 * model.trainingSteps) })
        }
    ).writePNG(to: chapter.figurePath("ch2-training-curves.png"))

    // MARK: The predicted distribution of one pixel

    // p(x_i | x_<i) is a full distribution over 17 levels, not a single guess. The pixel is chosen
    // without looking at the models: in the middle rows (3 and 4) of the first test image, the one
    // whose level is closest to mid-gray (8 of 16), at the edge of a stroke, where the next level
    // is genuinely uncertain. Both models' distributions as bars, the true level marked.
    let context = Array(digits.test.pixels[0..<dimension])
    let pixel = ((3 * width)..<(5 * width)).min { abs(Int(context[$0]) - 8) < abs(Int(context[$1]) - 8) }!
    let distributions = models.map { key, model, _ in
        let p = model.predictedDistribution(ofPixel: pixel, in: context)[0]
        let truth = p[Int(context[pixel])]
        chapter.report("digits/probability of the true level at the shown pixel/\(key)", truth, digits: 3)
        return (key, p)
    }
    try pixelDistributionFigure(
        context: context, pixel: pixel, distributions: distributions, imageIndex: 0, shape: shape
    ).writePNG(to: chapter.figurePath("ch2-pixel-distribution.png"))

    // MARK: Receptive fields, by autodiff

    // Which earlier pixels does the prediction of pixel i use? Differentiate its logit (of the
    // observed level) with respect to every input pixel, |d a_i / d e(x_j)| summed over the code,
    // averaged over test images (Sensitivity.swift). Zero means "not connected at all": the tape
    // has no path. The influence fades over decades with distance, so the maps show log10 of each
    // sensitivity relative to the model's largest. Cells that are exactly zero take the bottom
    // colour, one decade below the weakest real connection of either model: dark purple means
    // "not connected", never "connected weakly".
    let field = (row: 5, column: 6)
    let fieldPixel = field.row * width + field.column
    let probe = Array(digits.test.pixels[0..<((quick ? 8 : 64) * dimension)])
    let rasterField = raster.sensitivity(ofPixel: fieldPixel, in: probe)
    let rowField = rowLSTM.sensitivity(ofPixel: fieldPixel, in: probe)
    let triangle = rowLSTM.receptiveField(row: field.row, column: field.column)
    try receptiveFieldFigure(raster: rasterField, row: rowField, triangle: triangle, pixel: field, shape: shape)
        .writePNG(to: chapter.figurePath("ch2-receptive-field.png"))
    let seenByRow = Set(rowField.indices.filter { rowField[$0] != 0 })
    chapter.report(
        "digits/receptive field pixels/raster LSTM", Double(rasterField.filter { $0 != 0 }.count), digits: 0,
        note: "of the \(fieldPixel) pixels before (\(field.row), \(field.column))")
    chapter.report(
        "digits/receptive field pixels/Row LSTM", Double(seenByRow.count), digits: 0, expected: Double(triangle.count),
        note: seenByRow == triangle ? "the same set as the triangle" : "NOT the triangle's set")
}
