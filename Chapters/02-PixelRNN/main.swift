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

    // The raster LSTM: at step i the LSTM reads pixel i - 1 (a start token at i = 0) and its
    // hidden state gives the 17 probabilities of pixel i through a softmax:
    //
    //     h_i, c_i = LSTM([v_{i-1}, start_i], h_{i-1}, c_{i-1}),    p(x_i | x_<i) = softmax(W h_i + b).
    let raster = RasterLSTM<Float>(
        height: height, width: width, levels: levels, hiddenSize: quick ? 32 : 128, using: &rng)

    // The Row LSTM: a k x k convolution with mask A turns the image into features that see only
    // the past, F = MaskA * x; then one LSTM step per row,
    //
    //     [i, f, g, o]_r = K^is (*) F_r  +  K^ss (*) h_{r-1},
    //
    // a masked 1-D convolution (k = 3, taps j - 1 and j) along row r for the input, and a 1-D
    // convolution (k = 3) over the previous row's hidden state: a whole row per step.
    let rowLSTM = RowLSTM<Float>(
        height: height, width: width, levels: levels, features: quick ? 8 : 32, hiddenSize: quick ? 16 : 64,
        inputKernel: 3, using: &rng)

    // MARK: The loss and the loop

    // Maximum likelihood: minimise the mean over images of -log p(x) = -sum_i log p(x_i | x_<i),
    // computed in one teacher-forced pass (every input is a known pixel of the training image).
    // Adam on minibatches of 64; after every epoch the validation NLL decides which weights to keep.
    struct TrainingLog {
        var trainNLL: [Double] = []
        var validationNLL: [Double] = []
        /// Seconds of training (without the validation passes) at the end of each epoch.
        var seconds: [Double] = []
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

    // The raster LSTM is the reference's model (hidden 128, Adam); the Row LSTM gets the same
    // loop. Both budgets are epochs, not seconds, so a run is the same on any machine.
    let rasterLog = try train(
        raster, name: "raster LSTM", on: digits.train, validation: digits.validation, epochs: quick ? 1 : 40,
        learningRate: 3e-3)
    let rowLog = try train(
        rowLSTM, name: "Row LSTM", on: digits.train, validation: digits.validation, epochs: quick ? 1 : 40,
        learningRate: 3e-3)

    // MARK: How good: test NLL next to Chapter 1

    // The uniform model, 64 ln 17 nats, is the top of the ladder; Chapter 1's models, if it has
    // run with the same figures folder, stand between it and the LSTMs.
    let uniform = Likelihood.uniformNats(dimensions: dimension, levels: levels)
    let rasterNLL = raster.meanNLL(digits.test.pixels)
    let rowNLL = rowLSTM.meanNLL(digits.test.pixels)
    func bitsPerDim(_ nats: Double) -> Double { Likelihood.bitsPerDimension(nats: nats, dimensions: dimension) }

    // MARK: How slow: sequential steps, training throughput, sampling time

    // The sequential steps are counted while the models run: one teacher-forced pass over a batch,
    // then the sampling of a batch.
    func countedSteps<M: PixelRNN>(_ model: M) -> (train: Int, sample: Int) where M.Scalar == Float {
        model.steps.reset()
        _ = model.logLikelihoods(Array(digits.test.pixels[0..<(8 * dimension)]))
        var countRNG = Random(seed: 0)
        _ = model.sample(count: 8, using: &countRNG)
        return (model.steps.teacherForced, model.steps.sampling)
    }
    // Sampling: one batch of images drawn at once, pixel after pixel; time per image.
    let sampleCount = quick ? 16 : 64
    let (rasterSamples, rasterSampleSeconds) = timed { raster.sample(count: sampleCount, using: &rng) }
    let (rowSamples, rowSampleSeconds) = timed { rowLSTM.sample(count: sampleCount, using: &rng) }

    struct Row {
        let name: String
        let key: String
        let nll: Double
        let log: TrainingLog
        let parameters: Int
        let steps: (train: Int, sample: Int)
        let sampleMs: Double
    }
    let rows = [
        Row(
            name: "raster LSTM (hidden \(raster.hiddenSize))", key: "raster LSTM", nll: rasterNLL, log: rasterLog,
            parameters: raster.parameters.reduce(0) { $0 + $1.value.count }, steps: countedSteps(raster),
            sampleMs: 1000 * rasterSampleSeconds / Double(sampleCount)),
        Row(
            name: "Row LSTM (C \(rowLSTM.features), hidden \(rowLSTM.hiddenSize))", key: "Row LSTM", nll: rowNLL,
            log: rowLog, parameters: rowLSTM.parameters.reduce(0) { $0 + $1.value.count }, steps: countedSteps(rowLSTM),
            sampleMs: 1000 * rowSampleSeconds / Double(sampleCount)),
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
            "epoch kept": "\(row.log.bestEpoch)/\(row.log.trainNLL.count)",
            "train images/s": fmt(row.log.imagesPerSecond, 0), "train s": fmt(row.log.seconds.last ?? 0, 1),
            "sample ms/image": fmt(row.sampleMs, 2),
            "steps to train": "\(row.steps.train)", "steps to sample": "\(row.steps.sample)",
            "parameters": "\(row.parameters)",
        ])
        chapter.record("digits/test NLL/\(row.key)", row.nll)
        chapter.record("digits/test bits per dim/\(row.key)", bitsPerDim(row.nll))
        chapter.record("digits/validation NLL/\(row.key)", row.log.validationNLL[row.log.bestEpoch - 1])
        chapter.record("digits/train images per s/\(row.key)", row.log.imagesPerSecond)
        chapter.record("digits/train seconds/\(row.key)", row.log.seconds.last ?? 0)
        chapter.record("digits/sampling ms per image/\(row.key)", row.sampleMs)
        chapter.record("digits/sequential steps to train/\(row.key)", Double(row.steps.train))
        chapter.record("digits/sequential steps to sample/\(row.key)", Double(row.steps.sample))
        print(
            "\(row.name): test NLL \(fmt(row.nll)) nats (\(fmt(bitsPerDim(row.nll), 3)) bits/dim), epoch \(row.log.bestEpoch) kept; "
                + "\(fmt(row.log.imagesPerSecond, 0)) training images/s; \(fmt(row.sampleMs, 2)) ms per sampled image; "
                + "\(row.steps.train) sequential steps to train, \(row.steps.sample) to sample")
    }
    _ = (rasterSamples, rowSamples)
}
