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

Chapter.run(number: 2, title: "PixelRNN") { chapter in
    var rng = chapter.rng
    let quick = chapter.options.quick
    let table = chapter.results

    // MARK: The data

    // 8x8 digits with 17 gray levels (0...16), Tomczak's split 1000 / 350 / 447, the same as in
    // Chapter 1. Each image is a row of D = 64 levels in raster order.
    let digits = try RealDataset.digits8x8.loadSplits()
    let (height, width, levels) = (digits.train.height, digits.train.width, digits.train.levels)
    let dimension = height * width
    print("digits 8x8: \(digits.train.count) train / \(digits.validation.count) validation / \(digits.test.count) test, \(levels) levels")

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
    // Hidden size 128, the size of a PyTorch reference run on the same split (84.98 test nats after
    // 188 epochs of Adam, batch 64).
    let raster = RasterLSTM<Float>(
        height: height, width: width, levels: levels, hiddenSize: quick ? 32 : 128, using: &rng)

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
    // Adam on minibatches of 16 (four times the updates per epoch of batches of 64); after every
    // epoch the validation NLL decides which weights to keep.
    struct TrainingLog {
        var trainNLL: [Double] = []
        var validationNLL: [Double] = []
        /// Seconds of training (without the validation passes) at the end of each epoch.
        var seconds: [Double] = []
        /// Sequential recurrent steps run by the training passes at the end of each epoch (by
        /// design: `trainingSteps` per minibatch, however large the batch).
        var sequentialSteps: [Double] = []
        var bestEpoch = 0
        var imagesSeen = 0
        var imagesPerSecond: Double { Double(imagesSeen) / Swift.max(seconds.last ?? 0, 1e-9) }
    }

    func train<M: PixelRNN>(
        _ model: M, name: String, on trainSet: ImageSet, validation: ImageSet, epochs: Int, batchSize: Int = 16,
        learningRate: Float
    ) throws -> TrainingLog where M.Scalar == Float {
        let adam = Adam<Float>(learningRate: learningRate)
        var log = TrainingLog()
        var best = (nll: Double.infinity, weights: model.parameters.map(\.value))
        let batchesPerEpoch = (trainSet.count + batchSize - 1) / batchSize
        let progress = Progress(name, total: epochs * batchesPerEpoch)
        var step = 0
        var trainingSeconds = 0.0
        for epoch in 1...epochs {
            // The learning rate falls along a half cosine to a tenth of its start: large steps
            // early, small ones to settle at the end of a short budget.
            let t = Double(epoch - 1) / Double(Swift.max(epochs - 1, 1))
            adam.learningRate = learningRate * Float(0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * t)))
            var sum = 0.0
            for batch in trainSet.shuffledBatches(size: batchSize, using: &rng) {
                let (loss, seconds) = try timed { () throws -> Float in
                    let (loss, grads) = valueAndGradient(of: model.parameters) { model.loss(batch.pixels) }
                    try chapter.checkFinite(loss.item, step: step, model: name)
                    adam.update(model.parameters, with: grads)
                    return loss.item
                }
                trainingSeconds += seconds
                step += 1
                sum += Double(loss) * Double(batch.count)
                log.imagesSeen += batch.count
                progress.update(step: step, epoch: epoch, loss: Double(loss))
            }
            log.trainNLL.append(sum / Double(trainSet.count))
            log.seconds.append(trainingSeconds)
            log.sequentialSteps.append(Double(step * model.trainingSteps))
            let nll = model.meanNLL(validation.pixels)
            log.validationNLL.append(nll)
            if nll < best.nll {
                best = (nll, model.parameters.map(\.value))
                log.bestEpoch = epoch
            }
        }
        for (p, w) in zip(model.parameters, best.weights) { p.value = w }
        return log
    }

    // The raster LSTM has the reference's size (hidden 128); both models get the same loop and
    // the same number of epochs. Budgets are epochs, not seconds, so a run is the same on any machine.
    let epochs = quick ? 2 : 20
    let rasterLog = try train(
        raster, name: "raster LSTM", on: digits.train, validation: digits.validation, epochs: epochs,
        learningRate: 3e-3)
    let rowLog = try train(
        rowLSTM, name: "Row LSTM", on: digits.train, validation: digits.validation, epochs: epochs,
        learningRate: 3e-3)

    // MARK: How good: test NLL next to Chapter 1

    // The uniform model, 64 ln 17 nats, is the top of the ladder; Chapter 1's models, if it has
    // run with the same figures folder, stand between it and the LSTMs.
    let uniform = Likelihood.uniformNats(dimensions: dimension, levels: levels)
    let rasterNLL = raster.meanNLL(digits.test.pixels)
    let rowNLL = rowLSTM.meanNLL(digits.test.pixels)
    func bitsPerDim(_ nats: Double) -> Double { Likelihood.bitsPerDimension(nats: nats, dimensions: dimension) }

    // MARK: How slow: sequential steps, training throughput, sampling time

    // A step that needs the result of the step before cannot start early, however many cores there
    // are: the number of sequential steps is the floor under a pass's time. The models count their
    // recurrent steps as they run: one teacher-forced pass over a batch, then the sampling of a batch.
    func countedSteps<M: PixelRNN>(_ model: M) -> (train: Int, sample: Int) where M.Scalar == Float {
        model.steps.reset()
        _ = model.logLikelihoods(Array(digits.test.pixels[0..<(8 * dimension)]))
        var countRNG = Random(seed: 0)
        _ = model.sample(count: 8, using: &countRNG)
        return (model.steps.teacherForced, model.steps.sampling)
    }

    // For one image there is no batch to share a step's cost: the time is (steps) x (cost of a
    // step). log p(x) of one test image takes the raster LSTM 64 steps, the Row LSTM 8; drawing
    // one image takes both 64. Median of repeated runs, in milliseconds.
    func medianMs(_ repeats: Int, _ body: () -> Void) -> Double {
        let times = (0..<repeats).map { _ in timed(body).seconds * 1000 }.sorted()
        return times[repeats / 2]
    }
    let oneImage = Array(digits.test.pixels[0..<dimension])
    func latency<M: PixelRNN>(_ model: M) -> (logLikelihood: Double, sample: Double) where M.Scalar == Float {
        var latencyRNG = Random(seed: 0)
        return (
            medianMs(quick ? 5 : 21) { _ = model.logLikelihoods(oneImage) },
            medianMs(quick ? 5 : 21) { _ = model.sample(count: 1, using: &latencyRNG) }
        )
    }

    // Sampling in a batch: many images drawn at once, pixel after pixel; the time per image.
    let sampleCount = quick ? 16 : 64
    let (rasterSamples, rasterSampleSeconds) = timed { raster.sample(count: sampleCount, using: &rng) }
    let (rowSamples, rowSampleSeconds) = timed { rowLSTM.sample(count: sampleCount, using: &rng) }

    // Sampling and training must compute the same model by two different routes: the sampler
    // adds up log p(x_i | x_<i) step by step while it draws, the teacher-forced pass scores the
    // finished image in one go (for the Row LSTM one step per row instead of one per pixel). On
    // the samples just drawn the two sums of 64 terms should agree to Float rounding.
    func routeGap<M: PixelRNN>(_ model: M, _ samples: PixelRNNSamples) -> Double where M.Scalar == Float {
        zip(model.logLikelihoods(samples.pixels), samples.logProbabilities).map { Swift.abs($0 - $1) }.max() ?? 0
    }
    for (name, gap) in [("raster LSTM", routeGap(raster, rasterSamples)), ("Row LSTM", routeGap(rowLSTM, rowSamples))] {
        chapter.record("digits/log p(x) teacher-forced vs sampled, max abs error/\(name)", gap)
        print("\(name): on its \(sampleCount) samples, |log p(x) teacher-forced - sum of sampling steps| <= \(String(format: "%.1e", gap)) nats")
    }

    struct Row {
        let name: String
        let key: String
        let nll: Double
        let log: TrainingLog
        let parameters: Int
        let steps: (train: Int, sample: Int)
        let latency: (logLikelihood: Double, sample: Double)
        let sampleMs: Double
    }
    let rows = [
        Row(
            name: "raster LSTM (hidden \(raster.hiddenSize))", key: "raster LSTM", nll: rasterNLL, log: rasterLog,
            parameters: raster.parameters.reduce(0) { $0 + $1.value.count }, steps: countedSteps(raster),
            latency: latency(raster), sampleMs: 1000 * rasterSampleSeconds / Double(sampleCount)),
        Row(
            name: "Row LSTM (C \(rowLSTM.features), hidden \(rowLSTM.hiddenSize))", key: "Row LSTM", nll: rowNLL,
            log: rowLog, parameters: rowLSTM.parameters.reduce(0) { $0 + $1.value.count }, steps: countedSteps(rowLSTM),
            latency: latency(rowLSTM), sampleMs: 1000 * rowSampleSeconds / Double(sampleCount)),
    ]

    // MARK: The table

    table.add("digits: uniform (64 ln 17)", ["test NLL (nats)": fmt(uniform), "bits/dim": fmt(bitsPerDim(uniform), 3)])
    if let earlier = chapter.metrics(ofChapter: 1) {
        let prefix = "digits/test NLL/"
        for (key, nats) in earlier.sorted(by: { $0.value > $1.value }) where key.hasPrefix(prefix) {
            let model = String(key.dropFirst(prefix.count))
            if model == "uniform" { continue }
            table.add("digits: \(model) (chapter 1)", ["test NLL (nats)": fmt(nats), "bits/dim": fmt(bitsPerDim(nats), 3)])
        }
    } else {
        print("Chapter 1's results are not in \(chapter.figures.path)/results (run chapter 1 with the same --figures and --quick to compare).")
    }
    for row in rows {
        table.add("digits: \(row.name)", [
            "test NLL (nats)": fmt(row.nll), "bits/dim": fmt(bitsPerDim(row.nll), 3),
            "parameters": "\(row.parameters)", "epoch kept": "\(row.log.bestEpoch)/\(row.log.trainNLL.count)",
            "train s": fmt(row.log.seconds.last ?? 0, 1), "train images/s": fmt(row.log.imagesPerSecond, 0),
            "steps to train": "\(row.steps.train)", "steps to sample": "\(row.steps.sample)",
            "log p(x), 1 image, ms": fmt(row.latency.logLikelihood, 2), "sample 1 image, ms": fmt(row.latency.sample, 2),
            "sample ms/image (batch \(sampleCount))": fmt(row.sampleMs, 2),
        ])
        chapter.record("digits/test NLL/\(row.key)", row.nll)
        chapter.record("digits/test bits per dim/\(row.key)", bitsPerDim(row.nll))
        chapter.record("digits/validation NLL/\(row.key)", row.log.validationNLL[row.log.bestEpoch - 1])
        chapter.record("digits/train images per s/\(row.key)", row.log.imagesPerSecond)
        chapter.record("digits/train seconds/\(row.key)", row.log.seconds.last ?? 0)
        chapter.record("digits/sampling ms per image/\(row.key)", row.sampleMs)
        chapter.record("digits/sampling ms for one image/\(row.key)", row.latency.sample)
        chapter.record("digits/log-likelihood ms for one image/\(row.key)", row.latency.logLikelihood)
        chapter.record("digits/sequential steps to train/\(row.key)", Double(row.steps.train))
        chapter.record("digits/sequential steps to sample/\(row.key)", Double(row.steps.sample))
        print(
            "\(row.name): test NLL \(fmt(row.nll)) nats (\(fmt(bitsPerDim(row.nll), 3)) bits/dim), epoch \(row.log.bestEpoch) kept; "
                + "\(fmt(row.log.imagesPerSecond, 0)) training images/s; \(row.steps.train) sequential steps to train, "
                + "\(row.steps.sample) to sample; one image: log p(x) in \(fmt(row.latency.logLikelihood, 2)) ms, "
                + "a sample in \(fmt(row.latency.sample, 2)) ms; \(fmt(row.sampleMs, 2)) ms per image in a batch of \(sampleCount)")
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
    let mnistBatches = (quick ? 1 : 3, 16)
    var scalingRNG = rng.split()
    let scaling: [(name: String, key: String, model: any PixelRNN<Float>)] = [
        ("raster LSTM (hidden \(raster.hiddenSize))", "raster LSTM",
         RasterLSTM(height: 28, width: 28, levels: 2, hiddenSize: raster.hiddenSize, using: &scalingRNG)),
        ("Row LSTM (C \(rowLSTM.features), hidden \(rowLSTM.hiddenSize))", "Row LSTM",
         RowLSTM(height: 28, width: 28, levels: 2, features: rowLSTM.features, hiddenSize: rowLSTM.hiddenSize,
                 inputKernel: rowLSTM.inputKernel, using: &scalingRNG)),
    ]
    for (name, key, model) in scaling {
        let adam = Adam<Float>(learningRate: 1e-3)
        var seconds = 0.0, images = 0
        for (b, batch) in mnist.shuffledBatches(size: mnistBatches.1, using: &scalingRNG).enumerated() where b < mnistBatches.0 {
            seconds += timed {
                let (_, grads) = valueAndGradient(of: model.parameters) { model.loss(batch.pixels) }
                adam.update(model.parameters, with: grads)
            }.seconds
            images += batch.count
        }
        let one = Array(mnist.pixels[0..<784])
        model.steps.reset()
        let logLikelihoodMs = medianMs(3) { _ = model.logLikelihoods(one) }
        let sampleMs = medianMs(3) { _ = model.sample(count: 1, using: &scalingRNG) }
        let trainRate = Double(images) / seconds
        table.add("MNIST 28x28, timing only: \(name)", [
            "train images/s": fmt(trainRate, 1), "steps to train": "\(model.steps.teacherForced / 3)",
            "steps to sample": "\(model.steps.sampling / 3)", "log p(x), 1 image, ms": fmt(logLikelihoodMs, 1),
            "sample 1 image, ms": fmt(sampleMs, 1),
        ])
        chapter.record("mnist/train images per s/\(key)", trainRate)
        chapter.record("mnist/log-likelihood ms for one image/\(key)", logLikelihoodMs)
        chapter.record("mnist/sampling ms for one image/\(key)", sampleMs)
        print("28x28 \(name): \(fmt(trainRate, 1)) training images/s; one image: log p(x) in \(fmt(logLikelihoodMs, 1)) ms, a sample in \(fmt(sampleMs, 1)) ms")
    }

    // MARK: Samples

    // Ancestral sampling: x_1 ~ p(x_1), then x_2 ~ p(x_2 | x_1), ..., one pixel per step, each
    // step feeding the pixel just drawn back in. Test images on the left for comparison.
    func grid(_ pixels: [UInt8], count: Int, title: String) -> Canvas {
        imageGrid(Array(pixels[0..<(count * dimension)]), shape: [count, height, width], levels: levels, columns: 8, title: title)
    }
    let shown = Swift.min(sampleCount, 64)
    try panel([
        grid(digits.test.pixels, count: shown, title: "test images"),
        grid(rasterSamples.pixels, count: shown, title: "raster LSTM samples"),
        grid(rowSamples.pixels, count: shown, title: "Row LSTM samples"),
    ], title: "Chapter 2: digits drawn pixel by pixel").writePNG(to: chapter.figurePath("ch2-samples.png"))
    print("wrote ch2-samples.png: \(shown) test images, \(shown) samples of each model")

    // MARK: Completions

    // The same chain rule with the first pixels fixed: keep the top half of a test image (rows
    // 0..<H/2, all of x_<i for i = D/2) and sample the rest from p(x_i | x_<i). Several
    // completions of the same top half show what the model considers possible below it.
    let given = dimension / 2
    let (completedImages, perImage) = (quick ? 4 : 8, 5)
    let sources = Array(digits.test.pixels[0..<(completedImages * dimension)])
    var completionGrids: [Canvas] = []
    for (name, model) in [("raster LSTM", raster as any PixelRNN<Float>), ("Row LSTM", rowLSTM)] {
        let done = model.completions(of: sources, keeping: given, samplesPerImage: perImage, using: &rng)
        // Each row: the original, its top half (the hidden half tinted blue), the completions. RGB.
        var rgb: [Float] = []
        func append(_ image: ArraySlice<UInt8>, hideBottom: Bool) {
            let v = image.map { Float($0) / Float(levels - 1) }
            let hidden = (0..<dimension).map { hideBottom && $0 >= given }
            for channel in 0..<3 {
                let tint: Float = channel == 2 ? 0.75 : 0.45
                rgb += (0..<dimension).map { hidden[$0] ? tint : v[$0] }
            }
        }
        for n in 0..<completedImages {
            let source = sources[(n * dimension)..<((n + 1) * dimension)]
            append(source, hideBottom: false)
            append(source, hideBottom: true)
            for c in 0..<perImage {
                let row = n * perImage + c
                append(done.pixels[(row * dimension)..<((row + 1) * dimension)], hideBottom: false)
            }
        }
        completionGrids.append(imageGrid(
            rgb, shape: [completedImages * (perImage + 2), 3, height, width], columns: perImage + 2,
            tileCaptions: ["test", "given"] + (1...perImage).map { "sample \($0)" }, title: name))
    }
    try panel(completionGrids, title: "Completions: top half given, bottom half sampled")
        .writePNG(to: chapter.figurePath("ch2-completions.png"))
    print("wrote ch2-completions.png: \(completedImages) test images, top \(height / 2) rows given, \(perImage) completions each per model")

    // MARK: Training curves

    // The same NLL curves twice: per epoch, and against the sequential steps the training passes
    // had to run one after another (64 per minibatch for the raster LSTM, 8 for the Row LSTM).
    // Seconds would depend on the machine and on what else it runs; the steps do not, so the
    // figure is the same on every run with the same seed, and the table gives the seconds.
    func curves(_ x: (TrainingLog) -> [Double], xLabel: String, title: String) -> Canvas {
        linePlot([
            Series("raster LSTM, train", x: x(rasterLog), y: rasterLog.trainNLL, color: Color.categorical[0]),
            Series("raster LSTM, validation", x: x(rasterLog), y: rasterLog.validationNLL, color: Color.categorical[0], style: .dashed),
            Series("Row LSTM, train", x: x(rowLog), y: rowLog.trainNLL, color: Color.categorical[1]),
            Series("Row LSTM, validation", x: x(rowLog), y: rowLog.validationNLL, color: Color.categorical[1], style: .dashed),
        ], title: title, xLabel: xLabel, yLabel: "NLL (nats per image)")
    }
    try panel([
        curves({ log in log.trainNLL.indices.map { Double($0 + 1) } }, xLabel: "epoch", title: "NLL per epoch"),
        curves({ $0.sequentialSteps }, xLabel: "sequential LSTM steps", title: "NLL against the steps that must wait"),
    ], title: "Training: the same epochs, 8x fewer sequential steps for the Row LSTM")
        .writePNG(to: chapter.figurePath("ch2-training-curves.png"))
    print("wrote ch2-training-curves.png: train and validation NLL per epoch and against the sequential steps run")

    // MARK: The predicted distribution of one pixel

    // p(x_i | x_<i) is a full distribution over 17 levels, not a single guess. The pixel is chosen
    // without looking at the models: in the middle rows (3 and 4) of the first test image, the one
    // whose level is closest to mid-gray (8 of 16), at the edge of a stroke, where the next level
    // is genuinely uncertain. Both models' distributions as bars, the true level marked.
    let candidates = Array(digits.test.pixels[0..<dimension])
    let middle = (3 * width)..<(5 * width)
    let chosenPixel = middle.min { abs(Int(candidates[$0]) - 8) < abs(Int(candidates[$1]) - 8) }!
    let pick = (image: 0, pixel: chosenPixel)
    let context = Array(candidates[(pick.image * dimension)..<((pick.image + 1) * dimension)])
    let truth = Int(context[pick.pixel])
    let (pickRow, pickColumn) = (pick.pixel / width, pick.pixel % width)
    var bars: [Canvas] = []
    // The context: the pixels the model has read (x_<i), the rest tinted, pixel i in orange.
    var contextRGB = [Float](repeating: 0, count: 3 * dimension)
    for p in 0..<dimension {
        let v = Float(context[p]) / Float(levels - 1)
        let color: [Float] = p < pick.pixel ? [v, v, v] : p == pick.pixel ? [1, 0.55, 0] : [0.45, 0.45, 0.75]
        for c in 0..<3 { contextRGB[c * dimension + p] = color[c] }
    }
    bars.append(imageGrid(contextRGB, shape: [1, 3, height, width], scale: 24, title: "x_<i and pixel i"))
    for (index, (name, model)) in [("raster LSTM", raster as any PixelRNN<Float>), ("Row LSTM", rowLSTM)].enumerated() {
        let p = model.predictedDistribution(ofPixel: pick.pixel, in: context)[0]
        var colors = [Color](repeating: Color.categorical[index].mixed(with: .white, 0.45), count: levels)
        colors[truth] = Color.categorical[index]
        bars.append(barChart(
            p, labels: (0..<levels).map(String.init), title: "\(name): p(x_i = k | x_<i), true k = \(truth)",
            yLabel: "probability", colors: colors, width: 1100, height: 400))
        chapter.record("digits/probability of the true level at the shown pixel/\(name)", p[truth])
    }
    // Context on the left of the first chart; the second chart below the first.
    bars.insert(Canvas(width: 1, height: 1), at: 2)
    try panel(bars, title: "The predicted distribution of pixel (\(pickRow), \(pickColumn)) of test image \(pick.image)", columns: 2)
        .writePNG(to: chapter.figurePath("ch2-pixel-distribution.png"))
    print("wrote ch2-pixel-distribution.png: test image \(pick.image), pixel (\(pickRow), \(pickColumn)), true level \(truth)")

    // MARK: Receptive fields, by autodiff

    // Which earlier pixels does the prediction of pixel i use? Differentiate its logit (of the
    // observed level) with respect to every input pixel, |d a_i / d e(x_j)| summed over the code,
    // averaged over test images. Zero means "not connected at all": the tape has no path.
    let (fieldRow, fieldColumn) = (5, 6)
    let fieldPixel = fieldRow * width + fieldColumn
    let probe = Array(digits.test.pixels[0..<((quick ? 8 : 64) * dimension)])
    func sensitivity<M: PixelRNN>(_ model: M) -> [Double] where M.Scalar == Float {
        let n = probe.count / dimension, k = model.outputsPerPixel, e = model.encodingSize
        let x = model.inputs(probe)
        let picked = (0..<n).map { m in fieldPixel * k + (k == 1 ? 0 : Int(probe[m * dimension + fieldPixel])) }
        let g = valueAndGradient(at: [x]) { t in
            model.logits(t[0]).reshaped([n, dimension * k]).gathering(picked).sum()
        }.gradients[0].scalars
        return (0..<dimension).map { j in
            (0..<n).reduce(0.0) { sum, m in sum + (0..<e).reduce(0.0) { $0 + Double(Swift.abs(g[(m * dimension + j) * e + $1])) } }
                / Double(n)
        }
    }
    let rasterField = sensitivity(raster), rowField = sensitivity(rowLSTM)
    let triangle = rowLSTM.receptiveField(row: fieldRow, column: fieldColumn)
    let architecture = (0..<dimension).map { triangle.contains($0) ? 1.0 : 0.0 }
    let seenByRow = rowField.indices.filter { rowField[$0] != 0 }
    let seenByRaster = rasterField.indices.filter { rasterField[$0] != 0 }
    let highlight = [(row: fieldRow, column: fieldColumn)]
    // The influence fades over decades with distance, so the maps show log10 of each sensitivity
    // relative to the model's largest. Cells that are exactly zero (no path on the tape) take the
    // bottom colour, which the scale puts one decade below the weakest real connection of either
    // model: dark purple means "not connected", never "connected weakly".
    func relativeLog(_ field: [Double]) -> [Double?] {
        let largest = field.max()!
        return field.map { $0 > 0 ? Foundation.log10($0 / largest) : nil }
    }
    let (rasterLog10, rowLog10) = (relativeLog(rasterField), relativeLog(rowField))
    let bottom = Foundation.floor((rasterLog10 + rowLog10).compactMap { $0 }.min()!) - 1
    try panel([
        heatMap(rasterLog10.map { $0 ?? bottom }, rows: height, columns: width, range: bottom...0, highlight: highlight,
                title: "raster LSTM: log10 |d a_i / d x_j| / max"),
        heatMap(rowLog10.map { $0 ?? bottom }, rows: height, columns: width, range: bottom...0, highlight: highlight,
                title: "Row LSTM: log10 |d a_i / d x_j| / max"),
        heatMap(architecture, rows: height, columns: width, range: 0...1, highlight: highlight, title: "Row LSTM: the triangle (1 = connected)"),
    ], title: "What the prediction of pixel (\(fieldRow), \(fieldColumn)) depends on (darkest: exactly 0, no path)")
        .writePNG(to: chapter.figurePath("ch2-receptive-field.png"))
    chapter.record("digits/receptive field pixels/raster LSTM", Double(seenByRaster.count))
    chapter.record("digits/receptive field pixels/Row LSTM", Double(seenByRow.count))
    print(
        "wrote ch2-receptive-field.png: pixel (\(fieldRow), \(fieldColumn)) has \(fieldPixel) pixels before it; "
            + "the raster LSTM's logit depends on \(seenByRaster.count) of them, the Row LSTM's on \(seenByRow.count) "
            + "(the architecture's triangle has \(triangle.count); same set: \(Set(seenByRow) == triangle))")
}
