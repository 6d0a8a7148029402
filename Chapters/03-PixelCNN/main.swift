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
// This chapter prints and draws the masks; computes by autodiff which pixels a stack of masked
// convolutions sees, and finds the blind spot of the plain stack and its absence in the gated
// PixelCNN; trains both on the 8x8 digits and the plain one on binarised MNIST-5k, next to
// chapters 1 and 2; measures the speed argument (one pass to train, D steps to sample) against
// the PixelRNNs on the same data and machine; samples faster by computing every feature only
// once (the idea of "Fast PixelCNN++", Ramachandran et al. 2017), drawing exactly the same
// pixels; draws samples and completions; and draws the dependency matrix of which input each
// output depends on.

import Datasets
import Foundation
import Models
import Plot
import Tensors
import Workbook

Chapter.run(number: 3, title: "PixelCNN") { chapter in
    var rng = chapter.rng
    let quick = chapter.options.quick
    let table = chapter.results

    // MARK: The masks

    // Mask A for the first layer, which reads the image itself: its centre is the pixel being
    // predicted and must stay hidden. Mask B for every later layer: there the centre holds features
    // computed from earlier pixels only, so it may be read. With colour the channels of each layer
    // are split into R, G and B groups, and only the centre tap tells them apart: under mask A, R
    // sees nothing of the current pixel, G sees R, B sees R and G; mask B also lets each group see
    // itself. (The lecture's chain rule for colour, p(R) p(G | R) p(B | R, G) per pixel.)
    func rows(_ m: [[Int]], indent: String = "    ") -> String {
        m.map { indent + $0.map(String.init).joined(separator: " ") }.joined(separator: "\n")
    }
    print("mask A, 5x5 (the first layer; equal to the lecture's matrix: \(CausalMask.a.matrix(kernelSize: 5) == CausalMask.lecture5x5)):")
    print(rows(CausalMask.a.matrix(kernelSize: 5)))
    print("mask B, 5x5 (every later layer):")
    print(rows(CausalMask.b.matrix(kernelSize: 5)))
    func groups(_ mask: CausalMask) -> [[Int]] {
        (0..<3).map { g in (0..<3).map { h in mask.connectsAtCentre(output: g, input: h) ? 1 : 0 } }
    }
    print("the centre tap with RGB channel groups (rows: output R, G, B; columns: input R, G, B):")
    print("  mask A:\n" + rows(groups(.a)) + "\n  mask B:\n" + rows(groups(.b)))
    let maskMaps: [(String, [[Int]])] = [
        ("mask A, 5x5 (lecture)", CausalMask.a.matrix(kernelSize: 5)),
        ("mask B, 5x5", CausalMask.b.matrix(kernelSize: 5)),
        ("centre tap, RGB groups, mask A", groups(.a)),
        ("centre tap, RGB groups, mask B", groups(.b)),
        ("gated vertical, mask A", GatedStackMask.vertical(.a, kernelSize: 5)),
        ("gated vertical, mask B", GatedStackMask.vertical(.b, kernelSize: 5)),
        ("gated horizontal, mask A", GatedStackMask.horizontal(.a, kernelSize: 5)),
        ("gated horizontal, mask B", GatedStackMask.horizontal(.b, kernelSize: 5)),
    ]
    try panel(
        maskMaps.map { name, m in
            heatMap(
                m.flatMap { $0.map(Double.init) }, rows: m.count, columns: m.count, range: 0...1, showValues: true,
                highlight: m.count == 5 ? [(row: 2, column: 2)] : [], title: name, cellSize: m.count == 5 ? 44 : 72)
        }, title: "The masks (1: weight kept, 0: zeroed; centre outlined; RGB: rows output R, G, B, columns input R, G, B)",
        columns: 4
    ).writePNG(to: chapter.figurePath("ch3-masks.png"))
    print("wrote ch3-masks.png: masks A and B, the RGB centre taps, the gated stacks' masks")

    // MARK: Receptive fields by autodiff: the blind spot

    // Which pixels does the prediction of pixel i use? Differentiate its logit with respect to every
    // input pixel: |d a_i / d x_j| is exactly zero when the tape has no path from j to i. The
    // stacks here are freshly initialised and fed random values (the field is a property of the
    // masks, not of training): a plain PixelCNN of L 3x3 layers (mask A, then mask B), and the gated
    // PixelCNN of L layers, for L = 1..6.
    //
    // A mask-B layer reads the row above at columns j - 1, j, j + 1 and the current row at j - 1 and
    // j. Stacked, the field grows one row up and one column left per layer, but every step to the
    // right costs a step up: pixel (i - a, j + b) is reached only if b <= a. The wedge above and
    // to the right with b > a, inside the field's width, is never seen, however deep the stack:
    // the blind spot. The gated
    // PixelCNN splits the stack in two: a vertical stack that sees whole rows above (its k x k
    // kernel covers every column of them) and a horizontal stack that sees the row to the left;
    // every layer hands the vertical stack's rectangle to the horizontal one, and the field has no
    // hole.
    let (fieldHeight, fieldWidth) = (10, 13)
    let (fieldRow, fieldColumn) = (7, 6)
    let fieldPixel = fieldRow * fieldWidth + fieldColumn
    var fieldRNG = rng.split()
    let probe = Tensor<Float>.uniform([4, fieldHeight * fieldWidth, 1], low: -1, high: 1, using: &fieldRNG)
    struct FieldRow {
        let seen: Set<Int>
        let architecture: Set<Int>
        let blindSpot: Set<Int>
        let log10: [Double?]
    }
    func field(_ model: any AutoregressiveImageModel<Float>, architecture: Set<Int>) -> FieldRow {
        let g = model.receptiveField(ofPixel: fieldPixel, at: probe)
        let seen = Set(g.indices.filter { g[$0] != 0 })
        let largest = g.max()!
        return FieldRow(
            seen: seen, architecture: architecture,
            blindSpot: ReceptiveField.blindSpot(of: seen, row: fieldRow, column: fieldColumn, width: fieldWidth),
            log10: g.map { $0 > 0 ? Foundation.log10($0 / largest) : nil })
    }
    let depths = Array(1...6)
    var plainFields: [FieldRow] = [], gatedFields: [FieldRow] = []
    for depth in depths {
        let plain = PixelCNN<Float>(
            height: fieldHeight, width: fieldWidth, levels: 2, channels: 8, maskedLayers: depth - 1, firstKernel: 3,
            using: &fieldRNG)
        plainFields.append(field(plain, architecture: plain.receptiveField(row: fieldRow, column: fieldColumn)))
        let gated = GatedPixelCNN<Float>(
            height: fieldHeight, width: fieldWidth, levels: 2, channels: 4, layers: depth, firstKernel: 3, using: &fieldRNG)
        gatedFields.append(field(gated, architecture: gated.receptiveField(row: fieldRow, column: fieldColumn)))
    }
    // The maps show log10 of each sensitivity relative to the largest; exactly zero (no path)
    // takes the bottom colour, a decade below the weakest real connection of any map.
    let bottom = Foundation.floor((plainFields + gatedFields).flatMap { $0.log10.compactMap { $0 } }.min()!) - 1
    func fieldMap(_ f: FieldRow, _ title: String) -> Canvas {
        heatMap(
            f.log10.map { $0 ?? bottom }, rows: fieldHeight, columns: fieldWidth, range: bottom...0,
            highlight: [(row: fieldRow, column: fieldColumn)] + f.blindSpot.map { (row: $0 / fieldWidth, column: $0 % fieldWidth) },
            title: title, cellSize: 22)
    }
    try panel(
        zip(depths, plainFields).map { fieldMap($1, "plain, \($0) layer\($0 == 1 ? "" : "s"): blind \($1.blindSpot.count)") }
            + zip(depths, gatedFields).map { fieldMap($1, "gated, \($0) layer\($0 == 1 ? "" : "s"): blind \($1.blindSpot.count)") },
        title: "log10 |d a_i / d x_j| / max for pixel (\(fieldRow), \(fieldColumn)); darkest: exactly 0; outlined: the pixel, and the blind spot",
        columns: depths.count
    ).writePNG(to: chapter.figurePath("ch3-receptive-fields.png"))
    for (depth, (plain, gated)) in zip(depths, zip(plainFields, gatedFields)) {
        print(
            "depth \(depth): the plain stack's pixel (\(fieldRow), \(fieldColumn)) depends on \(plain.seen.count) pixels "
                + "(the masks allow \(plain.architecture.count), same set: \(plain.seen == plain.architecture)), blind spot \(plain.blindSpot.count); "
                + "the gated one on \(gated.seen.count) (same set: \(gated.seen == gated.architecture)), blind spot \(gated.blindSpot.count)")
        chapter.record("fields/blind spot pixels/plain PixelCNN, \(depth) layers", Double(plain.blindSpot.count))
        chapter.record("fields/blind spot pixels/gated PixelCNN, \(depth) layers", Double(gated.blindSpot.count))
    }
    print("wrote ch3-receptive-fields.png: the field of one pixel for depths 1...\(depths.last!), plain and gated")

    // MARK: The data

    // The 8x8 digits of chapters 1 and 2 (17 levels, 1000 / 350 / 447) and MNIST-5k binarised at
    // 0.5 (28 x 28, 4000 / 500 / 500), as in chapter 1.
    let digits = try RealDataset.digits8x8.loadSplits()
    let mnistSplits = try RealDataset.mnist5k.loadSplits()
    // (--quick: every 10th training image, every 5th validation and test image.)
    func every(_ k: Int, _ set: ImageSet) -> ImageSet { quick ? set.subset(Array(stride(from: 0, to: set.count, by: k))) : set }
    let mnist = (
        train: every(10, mnistSplits.train.binarized()), validation: every(5, mnistSplits.validation.binarized()),
        test: every(5, mnistSplits.test.binarized())
    )
    /// Test images spread over the split (it is sorted by class), for the figures.
    func spread(_ set: ImageSet, _ count: Int) -> [UInt8] {
        let step = set.count / count
        return (0..<count).flatMap { Array(set.image($0 * step)) }
    }
    print("digits 8x8: \(digits.train.count) / \(digits.validation.count) / \(digits.test.count), \(digits.train.levels) levels; "
        + "MNIST-5k binarised: \(mnist.train.count) / \(mnist.validation.count) / \(mnist.test.count)")

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
    // Each pixel enters as one number, its level scaled to [0, 1]. (Chapter 2's LSTMs also read
    // the one-hot code of the level. Given it too, the plain PixelCNN's first layer memorises the
    // 1000 training digits: in runs of 20 epochs made while writing this chapter its best
    // validation NLL was 89.0 nats with the code and 85.3 without; the gated net hardly cared,
    // 84.4 against 84.1.)
    //
    // The gated PixelCNN (van den Oord et al. 2016b) on the digits: p = 32 channels per stack, a
    // 5x5 first layer and five 3x3 layers, the gated unit tanh(W_f * x) . sigmoid(W_g * x) instead
    // of the ReLU, then a 1x1 ReLU layer and the 1x1 output. Its multiply-adds per pixel are about
    // those of the plain net (115k against 104k, see the table): what differs is the wiring.
    let digitsCNN = PixelCNN<Float>(
        height: 8, width: 8, levels: 17, channels: quick ? 8 : 64, maskedLayers: quick ? 2 : 5, firstKernel: 5,
        oneHotInputs: false, using: &rng)
    let digitsGated = GatedPixelCNN<Float>(
        height: 8, width: 8, levels: 17, channels: quick ? 4 : 32, layers: quick ? 3 : 6, firstKernel: 5,
        oneHotInputs: false, using: &rng)
    let mnistCNN = PixelCNN<Float>(
        height: 28, width: 28, levels: 2, channels: quick ? 8 : 32, maskedLayers: quick ? 2 : 5, firstKernel: 7,
        using: &rng)
    /// Weights the masks let through, and biases: what training can change.
    func freeParameters(_ convs: [Conv2d<Float>]) -> Int { convs.reduce(0) { $0 + $1.activeWeights + $1.bias.value.count } }
    func convs(_ m: PixelCNN<Float>) -> [Conv2d<Float>] { [m.firstLayer.conv] + m.layers.map(\.conv) + [m.output] }
    func convs(_ m: GatedPixelCNN<Float>) -> [Conv2d<Float>] {
        m.layers.flatMap { [$0.vertical, $0.horizontal, $0.verticalToHorizontal, $0.horizontalOutput] } + [m.hiddenOutput, m.output]
    }

    // MARK: The loss and the loop

    // Maximum likelihood, as in chapter 2: minimise the mean over images of
    // -log p(x) = -sum_i log p(x_i | x_<i), all D terms from one pass of the network. Adam on
    // minibatches of 16, the learning rate falling along a half cosine to a tenth of its start; after
    // every epoch (every half epoch on MNIST) the validation NLL decides which weights to keep.
    struct TrainingLog {
        /// Where the model was evaluated, in epochs (1, 2, ... or 0.5, 1, 1.5, ...).
        var at: [Double] = []
        /// The mean training loss since the evaluation before, and the validation NLL.
        var trainNLL: [Double] = []
        var validationNLL: [Double] = []
        /// Seconds of training (without the validation passes) at each evaluation.
        var seconds: [Double] = []
        /// The evaluation whose weights were kept (the best validation NLL).
        var best = 0
        var imagesSeen = 0
        var imagesPerSecond: Double { Double(imagesSeen) / Swift.max(seconds.last ?? 0, 1e-9) }
        var kept: String { at[best] == at[best].rounded() ? "\(Int(at[best]))/\(Int(at.last!))" : "\(at[best])/\(Int(at.last!))" }
    }
    func train<M: AutoregressiveImageModel>(
        _ model: M, name: String, on trainSet: ImageSet, validation: ImageSet, epochs: Int, learningRate: Float,
        evaluationsPerEpoch: Int = 1, using rng: inout Random
    ) throws -> TrainingLog where M.Scalar == Float {
        let batchSize = 16
        let adam = Adam<Float>(learningRate: learningRate)
        var log = TrainingLog()
        var bestWeights = (nll: Double.infinity, weights: model.parameters.map(\.value))
        let batchesPerEpoch = (trainSet.count + batchSize - 1) / batchSize
        let progress = Progress(name, total: epochs * batchesPerEpoch)
        var (step, trainingSeconds) = (0, 0.0)
        for epoch in 1...epochs {
            let t = Double(epoch - 1) / Double(Swift.max(epochs - 1, 1))
            adam.learningRate = learningRate * Float(0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * t)))
            var (sum, images) = (0.0, 0)
            for (b, batch) in trainSet.shuffledBatches(size: batchSize, using: &rng).enumerated() {
                let (loss, seconds) = try timed { () throws -> Float in
                    let (loss, grads) = valueAndGradient(of: model.parameters) { model.loss(batch.pixels) }
                    try chapter.checkFinite(loss.item, step: step, model: name)
                    adam.update(model.parameters, with: grads)
                    return loss.item
                }
                trainingSeconds += seconds
                step += 1
                (sum, images) = (sum + Double(loss) * Double(batch.count), images + batch.count)
                log.imagesSeen += batch.count
                progress.update(step: step, epoch: epoch, loss: Double(loss))
                // Evaluate after each 1/evaluationsPerEpoch of the epoch.
                let part = (b + 1) * evaluationsPerEpoch / batchesPerEpoch
                guard part > b * evaluationsPerEpoch / batchesPerEpoch else { continue }
                log.at.append(Double(epoch - 1) + Double(part) / Double(evaluationsPerEpoch))
                log.trainNLL.append(sum / Double(images))
                (sum, images) = (0, 0)
                log.seconds.append(trainingSeconds)
                let nll = model.meanNLL(validation.pixels)
                log.validationNLL.append(nll)
                if nll < bestWeights.nll {
                    bestWeights = (nll, model.parameters.map(\.value))
                    log.best = log.at.count - 1
                }
            }
        }
        for (p, w) in zip(model.parameters, bestWeights.weights) { p.value = w }
        return log
    }

    // 20 epochs on the digits (as chapter 2's LSTMs; learning rate 3e-3), 12 on MNIST (2e-3): the
    // budget of a chapter that must finish in three minutes on two cores. The reference PyTorch run
    // needed 10 epochs (167 s) for its 75.36 nats on MNIST, and 28 (423 s) for 72.47.
    var trainRNG = rng.split()
    let digitsEpochs = quick ? 2 : 20
    let digitsCNNLog = try train(
        digitsCNN, name: "digits PixelCNN", on: digits.train, validation: digits.validation, epochs: digitsEpochs,
        learningRate: 3e-3, using: &trainRNG)
    let digitsGatedLog = try train(
        digitsGated, name: "digits gated PixelCNN", on: digits.train, validation: digits.validation, epochs: digitsEpochs,
        learningRate: 3e-3, using: &trainRNG)
    let mnistCNNLog = try train(
        mnistCNN, name: "MNIST PixelCNN", on: mnist.train, validation: mnist.validation, epochs: quick ? 1 : 12,
        learningRate: 2e-3, evaluationsPerEpoch: 2, using: &trainRNG)

    // MARK: How good: test NLL next to chapters 1 and 2

    func bitsPerDim(_ nats: Double, _ d: Int) -> Double { Likelihood.bitsPerDimension(nats: nats, dimensions: d) }
    let earlier = [1: chapter.metrics(ofChapter: 1), 2: chapter.metrics(ofChapter: 2)]
    for (n, metrics) in earlier.sorted(by: { $0.key < $1.key }) where metrics == nil {
        print("Chapter \(n)'s results are not in \(chapter.figures.path)/results (run chapter \(n) with the same --figures and --quick to compare).")
    }
    /// The test NLLs an earlier chapter saved for one dataset, largest first.
    func earlierNLLs(_ data: String) -> [(chapter: Int, model: String, nats: Double)] {
        let prefix = "\(data)/test NLL/"
        return earlier.sorted { $0.key < $1.key }.flatMap { n, metrics in
            (metrics ?? [:]).filter { $0.key.hasPrefix(prefix) && !$0.key.hasSuffix("/uniform") }
                .map { (n, String($0.key.dropFirst(prefix.count)), $0.value) }.sorted { $0.2 > $1.2 }
        }
    }

    struct Trained {
        let name: String
        let label: String
        let data: String
        let model: any AutoregressiveImageModel<Float>
        let naive: any AutoregressiveImageModel<Float>
        let log: TrainingLog
        let parameters: Int
        let nll: Double
    }
    var naiveDigitsCNN = digitsCNN, naiveDigitsGated = digitsGated, naiveMNISTCNN = mnistCNN
    naiveDigitsCNN.sampler = .naive
    naiveDigitsGated.sampler = .naive
    naiveMNISTCNN.sampler = .naive
    let trained = [
        Trained(
            name: "PixelCNN", label: "PixelCNN (5x5 A, \(digitsCNN.layers.count) x 3x3 B, C \(digitsCNN.channels))", data: "digits",
            model: digitsCNN, naive: naiveDigitsCNN, log: digitsCNNLog, parameters: freeParameters(convs(digitsCNN)),
            nll: digitsCNN.meanNLL(digits.test.pixels)),
        Trained(
            name: "gated PixelCNN", label: "gated PixelCNN (\(digitsGated.layers.count) layers, p \(digitsGated.channels))", data: "digits",
            model: digitsGated, naive: naiveDigitsGated, log: digitsGatedLog, parameters: freeParameters(convs(digitsGated)),
            nll: digitsGated.meanNLL(digits.test.pixels)),
        Trained(
            name: "PixelCNN", label: "PixelCNN (7x7 A, \(mnistCNN.layers.count) x 3x3 B, C \(mnistCNN.channels))", data: "mnist",
            model: mnistCNN, naive: naiveMNISTCNN, log: mnistCNNLog, parameters: freeParameters(convs(mnistCNN)),
            nll: mnistCNN.meanNLL(mnist.test.pixels)),
    ]

    // MARK: How fast: one pass to train, D steps to sample

    // The lecture's review question: PixelCNN trains faster than PixelRNN because one parallel pass
    // gives every conditional, and both sample slowly because sampling needs D sequential steps.
    // Measured here on the same data, machine and minute: the PixelCNNs just trained, and chapter
    // 2's two LSTMs at chapter 2's sizes (raster LSTM, hidden 128; Row LSTM, 5x5 mask A, 32
    // features, hidden 64), freshly initialised (time does not depend on the weights; their
    // likelihoods are chapter 2's). The models count the sequential steps they run.
    var timingRNG = rng.split()
    struct Speed {
        var multiplyAdds = 0
        var trainImagesPerSecond = 0.0
        var stepsToTrain = 0
        var stepsToSample = 0
        var logLikelihoodMs = 0.0
        var sampleMs = 0.0
        var batchSampleMs = 0.0
        var naiveSampleMs: Double?
    }
    func medianMs(_ repeats: Int, _ body: () -> Void) -> Double {
        let times = (0..<repeats).map { _ in timed(body).seconds * 1000 }.sorted()
        return times[repeats / 2]
    }
    func speed(
        _ model: any AutoregressiveImageModel<Float>, naive: (any AutoregressiveImageModel<Float>)? = nil,
        on data: ImageSet, steps: Int, batch: Int
    ) -> Speed {
        var s = Speed()
        s.multiplyAdds = model.multiplyAddsPerPixel
        let d = model.dimension
        // Training throughput: `steps` Adam steps on minibatches of 16 (the weights are put back
        // afterwards: the trained model stays as it was).
        let saved = model.parameters.map(\.value)
        let adam = Adam<Float>(learningRate: 1e-4)
        var (images, seconds) = (0, 0.0)
        for (b, batch) in data.shuffledBatches(size: 16, using: &timingRNG).enumerated() where b < steps {
            seconds += timed {
                let (_, grads) = valueAndGradient(of: model.parameters) { model.loss(batch.pixels) }
                adam.update(model.parameters, with: grads)
            }.seconds
            images += batch.count
        }
        for (p, w) in zip(model.parameters, saved) { p.value = w }
        s.trainImagesPerSecond = Double(images) / seconds
        // Sequential steps of one pass over a batch, and of sampling a batch.
        model.steps.reset()
        _ = model.logLikelihoods(Array(data.pixels[0..<(8 * d)]))
        var countRNG = Random(seed: 0)
        _ = model.sample(count: 2, using: &countRNG)
        (s.stepsToTrain, s.stepsToSample) = (model.steps.teacherForced, model.steps.sampling)
        // One image: log p(x), and a sample (no batch to share the cost of a step); then a batch.
        let one = Array(data.pixels[0..<d])
        let big = d > 100
        s.logLikelihoodMs = medianMs(big ? 5 : 21) { _ = model.logLikelihoods(one) }
        s.sampleMs = medianMs(quick || big ? 3 : 7) { _ = model.sample(count: 1, using: &timingRNG) }
        s.batchSampleMs = timed { _ = model.sample(count: batch, using: &timingRNG) }.seconds * 1000 / Double(batch)
        if let naive { s.naiveSampleMs = medianMs(big ? 1 : 3) { _ = naive.sample(count: 1, using: &timingRNG) } }
        return s
    }
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
        height: 28, width: 28, levels: 2, channels: digitsCNN.channels, maskedLayers: digitsCNN.layers.count, firstKernel: 5,
        using: &lstmRNG)
    let digitsSteps = quick ? 3 : 10, mnistSteps = quick ? 1 : 3
    let (digitsBatch, mnistBatch) = (quick ? 16 : 64, quick ? 4 : 16)
    func digitsSpeed(_ model: any AutoregressiveImageModel<Float>, naive: (any AutoregressiveImageModel<Float>)? = nil) -> Speed {
        speed(model, naive: naive, on: digits.train, steps: digitsSteps, batch: digitsBatch)
    }
    // (The naive sampler at 28 x 28 is timed once, below, where its pixels are compared.)
    func mnistSpeed(_ model: any AutoregressiveImageModel<Float>) -> Speed {
        speed(model, on: mnist.train, steps: mnistSteps, batch: mnistBatch)
    }
    var speeds: [String: Speed] = [
        "digits/PixelCNN": digitsSpeed(digitsCNN, naive: naiveDigitsCNN),
        "digits/gated PixelCNN": digitsSpeed(digitsGated, naive: naiveDigitsGated),
        "digits/raster LSTM": digitsSpeed(digitsRaster),
        "digits/Row LSTM": digitsSpeed(digitsRow),
        "mnist/PixelCNN": mnistSpeed(mnistCNN),
        "mnist/PixelCNN-\(wideMNISTCNN.channels)": mnistSpeed(wideMNISTCNN),
        "mnist/raster LSTM": mnistSpeed(mnistRaster),
        "mnist/Row LSTM": mnistSpeed(mnistRow),
    ]

    // MARK: Faster sampling: every feature computed once

    // The naive sampler runs the whole network D times, once per pixel, and uses one pixel's
    // logits of each pass. But position i of layer l depends only on layer l - 1 at positions up to
    // i (mask B; mask A: pixels before i), and a pixel once drawn never changes: a feature, once
    // computable, is final. So the cached sampler computes each position of each layer exactly once,
    // at the step it becomes computable (the gated net computes its vertical stack a row at a time,
    // since it needs only rows above), from a k x k window of the layer below, with the same kernel
    // as the full pass. Same numbers in the same order, so the same pixels for the same generator;
    // about one pass of work instead of D. Checked here on a batch of digits and one MNIST image.
    func sameDraws(_ t: Trained, count: Int, seed: UInt64) -> (pixels: Int, logProbability: Double, naive: Double, cached: Double) {
        var (a, b) = (Random(seed: seed), Random(seed: seed))
        let (fast, fastSeconds) = timed { t.model.sample(count: count, using: &a) }
        let (slow, slowSeconds) = timed { t.naive.sample(count: count, using: &b) }
        let differing = zip(fast.pixels, slow.pixels).filter { $0 != $1 }.count
        let gap = zip(fast.stepLogProbabilities, slow.stepLogProbabilities).map { Swift.abs($0 - $1) }.max() ?? 0
        return (differing, gap, 1000 * slowSeconds / Double(count), 1000 * fastSeconds / Double(count))
    }
    var identical: [String: (pixels: Int, logProbability: Double, naive: Double, cached: Double)] = [:]
    for (t, count) in zip(trained, [quick ? 4 : 16, quick ? 4 : 16, 1]) {
        let check = sameDraws(t, count: count, seed: 99)
        identical["\(t.data)/\(t.name)"] = check
        if count == 1 { speeds["\(t.data)/\(t.name)"]!.naiveSampleMs = check.naive }
        chapter.record("\(t.data)/cached sampling speed-up, \(count) image\(count == 1 ? "" : "s") at once/\(t.name)", check.naive / check.cached)
        print("\(t.data) \(t.name): naive and cached samplers, \(count) image\(count == 1 ? "" : "s") from the same seed: "
            + "\(check.pixels) of \(count * t.model.dimension) pixels differ, max |difference| of log p(x_i | x_<i) \(check.logProbability); "
            + "\(fmt(check.naive, 1)) against \(fmt(check.cached, 1)) ms per image (\(fmt(check.naive / check.cached, 1))x faster)")
    }

    // MARK: The table

    let uniformDigits = Likelihood.uniformNats(dimensions: 64, levels: 17)
    let uniformMNIST = Likelihood.uniformNats(dimensions: 784, levels: 2)
    /// One row of the table; "-" where a number does not apply.
    func row(
        _ label: String, nll: Double?, dimension: Int, parameters: Int? = nil, speed s: Speed? = nil, log: TrainingLog? = nil,
        differing: Int? = nil
    ) {
        func or<T>(_ value: T?, _ show: (T) -> String) -> String { value.map(show) ?? "-" }
        table.add(label, [
            "test NLL": or(nll) { fmt($0) }, "bits/dim": or(nll) { fmt(bitsPerDim($0, dimension), 3) },
            "parameters": or(parameters) { "\($0)" }, "MACs/pixel": or(s) { "\($0.multiplyAdds)" },
            "epoch kept": or(log) { $0.kept }, "train s": or(log) { fmt($0.seconds.last ?? 0, 1) },
            "train img/s": or(s) { fmt($0.trainImagesPerSecond, 0) }, "steps to train": or(s) { "\($0.stepsToTrain)" },
            "steps to sample": or(s) { "\($0.stepsToSample)" }, "log p(x) 1 img, ms": or(s) { fmt($0.logLikelihoodMs, 2) },
            "sample 1 img, ms": or(s) { fmt($0.sampleMs, 1) }, "naive 1 img, ms": or(s?.naiveSampleMs) { fmt($0, 1) },
            "batch, ms/img": or(s) { fmt($0.batchSampleMs, 2) }, "cached = naive": or(differing) { $0 == 0 ? "yes" : "\($0) px differ" },
        ])
    }
    for (data, dimension, uniform, shown) in [("digits", 64, uniformDigits, "digits: uniform (64 ln 17)"), ("mnist", 784, uniformMNIST, "MNIST: uniform (784 ln 2)")] {
        let prefix = data == "digits" ? "digits" : "MNIST"
        row(shown, nll: uniform, dimension: dimension)
        for (n, model, nats) in earlierNLLs(data) where n == 1 {
            row("\(prefix): \(model) (chapter 1)", nll: nats, dimension: dimension)
        }
        // Chapter 2's LSTMs: their likelihood from chapter 2 (digits only: at 28 x 28 they were
        // timed, not trained), their speed measured here.
        for name in ["raster LSTM", "Row LSTM"] {
            let nats = earlierNLLs(data).first { $0.chapter == 2 && $0.model == name }?.nats
            row("\(prefix): \(name) (\(nats == nil ? "timing only" : "NLL of chapter 2"))", nll: nats, dimension: dimension,
                speed: speeds["\(data)/\(name)"]!)
        }
        if data == "mnist" {
            row("MNIST: PixelCNN-\(wideMNISTCNN.channels) (the digits' net; timing only)", nll: nil, dimension: dimension,
                speed: speeds["mnist/PixelCNN-\(wideMNISTCNN.channels)"]!)
        }
        for t in trained where t.data == data {
            row("\(prefix): \(t.label)", nll: t.nll, dimension: dimension, parameters: t.parameters, speed: speeds["\(data)/\(t.name)"]!,
                log: t.log, differing: identical["\(data)/\(t.name)"]!.pixels)
        }
    }
    // Metrics: the standard names for the workbook's summary (the cached sampler's one-image time as
    // the sampling time), and every timing of the side-by-side comparison tagged "(same run)".
    for t in trained {
        func record(_ measure: String, _ value: Double) { chapter.record("\(t.data)/\(measure)/\(t.name)", value) }
        let s = speeds["\(t.data)/\(t.name)"]!
        let check = identical["\(t.data)/\(t.name)"]!
        let dimension = t.model.dimension
        record("test NLL", t.nll)
        record("test bits per dim", bitsPerDim(t.nll, dimension))
        record("validation NLL", t.log.validationNLL[t.log.best])
        record("train seconds", t.log.seconds.last ?? 0)
        record("train images per s", t.log.imagesPerSecond)
        record("sampling ms for one image", s.sampleMs)
        record("sampling ms per image", s.batchSampleMs)
        record("naive sampling ms for one image", s.naiveSampleMs ?? .nan)
        record("cached sampling speed-up for one image", (s.naiveSampleMs ?? .nan) / s.sampleMs)
        record("cached vs naive samples, pixels differing", Double(check.pixels))
        record("cached vs naive log p(x_i | x_<i), max abs error", check.logProbability)
    }
    for (key, s) in speeds {
        let parts = key.split(separator: "/")
        let (data, model) = (parts[0], parts[1])
        chapter.record("\(data)/train images per s (same run)/\(model)", s.trainImagesPerSecond)
        chapter.record("\(data)/log-likelihood ms for one image (same run)/\(model)", s.logLikelihoodMs)
        chapter.record("\(data)/sampling ms for one image (same run)/\(model)", s.sampleMs)
        chapter.record("\(data)/sampling ms per image in a batch (same run)/\(model)", s.batchSampleMs)
        chapter.record("\(data)/multiply-adds per pixel/\(model)", Double(s.multiplyAdds))
        chapter.record("\(data)/sequential steps to train/\(model)", Double(s.stepsToTrain))
        chapter.record("\(data)/sequential steps to sample/\(model)", Double(s.stepsToSample))
    }
    for t in trained {
        print("\(t.data) \(t.label): test NLL \(fmt(t.nll)) nats (\(fmt(bitsPerDim(t.nll, t.model.dimension), 3)) bits/dim), "
            + "epoch \(t.log.kept) kept, \(fmt(t.log.seconds.last ?? 0, 1)) s of training")
    }

    // How to read the timing columns. Sequential steps: one pass gives a PixelCNN every
    // conditional, where the raster LSTM needs 64 (784) dependent steps and the Row LSTM 8 (28).
    // For one image, "log p(x) 1 img", that is the whole story, since nothing else can run while a
    // step waits: the raster LSTM is several times slower than PixelCNNs of about the same
    // multiply-adds per pixel (PixelCNN-64 at 28 x 28), and the Row LSTM's 8 (28) steps cost about
    // as much as one pass. In a training batch on two cores the gap
    // mostly closes: each LSTM step is a matrix product over the 16 images of the batch, which
    // keeps both cores busy too, and throughput follows the multiply-adds per pixel more than the
    // steps. The lecture's argument is about hardware with far more parallel units than two cores.
    // Sampling needs one step per pixel for every model. The naive PixelCNN pays a whole pass of
    // the network per step, the slowest sampler of all; the cached one does about one pass of
    // arithmetic in all, but spread over D steps of L small convolutions each, whose fixed costs
    // (packing the weights for every product) dominate at these sizes: even so it samples more
    // slowly than the LSTMs, whose step is one fused cell update.

    // MARK: Samples

    // Ancestral sampling, pixel by pixel, with the cached sampler (the same pixels as the naive one).
    var sampleRNG = rng.split()
    let sampleCount = quick ? 16 : 64
    let mnistShown = quick ? 8 : 32
    let samples = [
        digitsCNN.sample(count: sampleCount, using: &sampleRNG), digitsGated.sample(count: sampleCount, using: &sampleRNG),
        mnistCNN.sample(count: mnistShown, using: &sampleRNG),
    ]
    // The one-pass likelihood and the sampler compute the same model by two routes: on the samples
    // just drawn, log p(x) from one pass equals the sum of the D log-probabilities of the sampler.
    for (t, s) in zip(trained, samples) {
        let gap = zip(t.model.logLikelihoods(s.pixels), s.logProbabilities).map { Swift.abs($0 - $1) }.max() ?? 0
        chapter.record("\(t.data)/log p(x) one pass vs sampled, max abs error/\(t.name)", gap)
        print("\(t.data) \(t.name): on its \(s.count) samples, |log p(x) in one pass - sum of sampling steps| <= \(String(format: "%.1e", gap)) nats")
    }
    func grid(_ pixels: [UInt8], count: Int, side: Int, levels: Int, title: String) -> Canvas {
        imageGrid(
            Array(pixels[0..<(count * side * side)]), shape: [count, side, side], levels: levels, columns: 8,
            scale: side == 8 ? 8 : 2, title: title)
    }
    try panel([
        grid(digits.test.pixels, count: sampleCount, side: 8, levels: 17, title: "digits: test images"),
        grid(samples[0].pixels, count: sampleCount, side: 8, levels: 17, title: "PixelCNN samples"),
        grid(samples[1].pixels, count: sampleCount, side: 8, levels: 17, title: "gated PixelCNN samples"),
        grid(spread(mnist.test, mnistShown), count: mnistShown, side: 28, levels: 2, title: "MNIST: test images"),
        grid(samples[2].pixels, count: mnistShown, side: 28, levels: 2, title: "PixelCNN samples"),
    ], title: "Chapter 3: drawn pixel by pixel from masked convolutions", columns: 3)
        .writePNG(to: chapter.figurePath("ch3-samples.png"))
    print("wrote ch3-samples.png: \(sampleCount) digits per model next to test images, \(mnistShown) MNIST samples")

    // MARK: Completions

    // The same chain rule with the top half given (rows 0..<H/2, x_<i for i = D/2): the rest drawn
    // from p(x_i | x_<i), five times per image.
    let perImage = 5
    var completionGrids: [Canvas] = []
    for t in trained {
        let (side, levels) = (t.model.height, t.model.levels)
        let dimension = side * side
        let given = dimension / 2
        let count = quick ? 2 : (t.data == "digits" ? 6 : 4)
        let sources = t.data == "digits" ? Array(digits.test.pixels[0..<(count * dimension)]) : spread(mnist.test, count)
        let done = t.model.completions(of: sources, keeping: given, samplesPerImage: perImage, using: &sampleRNG)
        // Each row: the original, its top half (the hidden half tinted blue), the completions. RGB.
        var rgb: [Float] = []
        func append(_ image: ArraySlice<UInt8>, hideBottom: Bool) {
            let v = image.map { Float($0) / Float(levels - 1) }
            for channel in 0..<3 {
                let tint: Float = channel == 2 ? 0.75 : 0.45
                rgb += (0..<dimension).map { hideBottom && $0 >= given ? tint : v[$0] }
            }
        }
        for n in 0..<count {
            let original = sources[(n * dimension)..<((n + 1) * dimension)]
            append(original, hideBottom: false)
            append(original, hideBottom: true)
            for c in 0..<perImage {
                let row = n * perImage + c
                append(done.pixels[(row * dimension)..<((row + 1) * dimension)], hideBottom: false)
            }
        }
        completionGrids.append(imageGrid(
            rgb, shape: [count * (perImage + 2), 3, side, side], columns: perImage + 2, scale: side == 8 ? 8 : 2,
            tileCaptions: ["test", "given"] + (1...perImage).map { "sample \($0)" },
            title: "\(t.data == "digits" ? "digits" : "MNIST"): \(t.name)"))
    }
    try panel(completionGrids, title: "Completions: top half given, bottom half sampled", columns: 2)
        .writePNG(to: chapter.figurePath("ch3-completions.png"))
    print("wrote ch3-completions.png: top halves of test images given, \(perImage) completions each")

    // MARK: Training curves

    let curvePanels = [("digits", trained.filter { $0.data == "digits" }), ("MNIST-5k", trained.filter { $0.data == "mnist" })].map {
        name, models in
        linePlot(
            models.enumerated().flatMap { k, t in
                [
                    Series("\(t.name), train", x: t.log.at, y: t.log.trainNLL, color: Color.categorical[k]),
                    Series("\(t.name), validation", x: t.log.at, y: t.log.validationNLL, color: Color.categorical[k], style: .dashed),
                ]
            }, title: name, xLabel: "epoch", yLabel: "NLL (nats per image)")
    }
    try panel(
        curvePanels,
        title: "Training: train NLL (mean since the last evaluation) and validation NLL; the best validation is kept")
        .writePNG(to: chapter.figurePath("ch3-training-curves.png"))
    print("wrote ch3-training-curves.png: train and validation NLL per epoch")

    // MARK: Every model so far

    func ladder(_ data: String, title: String, reference: (Double, String)) -> Canvas {
        let rows = earlierNLLs(data).map { ($0.model, $0.nats, $0.chapter) } + trained.filter { $0.data == data }.map { ($0.name, $0.nll, 3) }
        return barChart(
            rows.map(\.1), labels: rows.map(\.0), title: title, yLabel: "test NLL (nats)", reference: reference,
            colors: rows.map { Color.categorical[$0.2 - 1] }, width: 1100, height: 480)
    }
    try panel([
        ladder("digits", title: "digits 8x8", reference: (84.32, "PyTorch PixelCNN, 57 epochs")),
        ladder("mnist", title: "MNIST-5k binarised", reference: (72.47, "PyTorch PixelCNN, 28 epochs")),
    ], title: "Test NLL of every model so far (chapter 1: blue, 2: orange, 3: green)", columns: 1)
        .writePNG(to: chapter.figurePath("ch3-nll.png"))
    print("wrote ch3-nll.png: test NLL of the models of chapters 1 to 3")

    // MARK: Training against sampling time

    func speedCharts(_ data: String, models: [String], title: String) -> [Canvas] {
        let s = models.map { speeds["\(data)/\($0)"]! }
        let colors = models.map { $0.contains("LSTM") ? Color.categorical[1] : Color.categorical[2] }
        var samplingLabels: [String] = [], samplingValues: [Double] = [], samplingColors: [Color] = []
        for (k, name) in models.enumerated() {
            if let naive = s[k].naiveSampleMs {
                samplingLabels.append("\(name), naive")
                samplingValues.append(naive)
                samplingColors.append(colors[k].mixed(with: .white, 0.45))
            }
            samplingLabels.append(name + (s[k].naiveSampleMs == nil ? "" : ", cached"))
            samplingValues.append(s[k].sampleMs)
            samplingColors.append(colors[k])
        }
        return [
            barChart(s.map(\.trainImagesPerSecond), labels: models, title: "\(title): training images per second", yLabel: "images / s",
                     colors: colors, width: 620, height: 420),
            barChart(s.map(\.logLikelihoodMs), labels: models, title: "\(title): log p(x) of one image, ms", yLabel: "ms",
                     colors: colors, width: 620, height: 420),
            barChart(samplingValues, labels: samplingLabels, title: "\(title): sampling one image, ms", yLabel: "ms",
                     colors: samplingColors, width: 900, height: 420),
        ]
    }
    try panel(
        speedCharts("digits", models: ["raster LSTM", "Row LSTM", "PixelCNN", "gated PixelCNN"], title: "digits 8x8")
            + speedCharts("mnist", models: ["raster LSTM", "Row LSTM", "PixelCNN-\(wideMNISTCNN.channels)", "PixelCNN"], title: "MNIST 28x28"),
        title: "One pass to train, D steps to sample (PixelRNN orange, PixelCNN green; same run, same machine)", columns: 3
    ).writePNG(to: chapter.figurePath("ch3-speed.png"))
    print("wrote ch3-speed.png: training throughput, one-image likelihood and sampling times per model")

    // MARK: The dependency matrix

    // The whole Jacobian pattern at once: entry (i, j) is |d a_i / d x_j| summed over images and
    // features, exactly 0 when there is no path, for every output pixel i (rows) and input pixel j
    // (columns) of an 8x8 image, both in raster order. An autoregressive model must give a strictly
    // lower-triangular matrix (the dark upper triangle, diagonal included); below the diagonal, a
    // zero is an earlier pixel the model never sees: in the blind spot (inside the field's bounding
    // box), or out of its reach. Plain and gated stacks of 3x3 layers, freshly initialised on
    // random inputs; the two models trained on the digits, on test images; and, for colour, a stack
    // with R, G, B channel groups on 4x4x3 images (values in the order R, G, B of pixel 0, then of
    // pixel 1, ...), where the staircase along the diagonal is the order inside a pixel.
    var matrixRNG = rng.split()
    func categories(_ m: DependencyMatrix, width: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m.rows * m.columns)
        for i in 0..<m.rows {
            let seen = m.dependencies(of: i)
            let blind = ReceptiveField.blindSpot(of: seen, row: i / width, column: i % width, width: width)
            for j in 0..<i { out[i * m.columns + j] = seen.contains(j) ? 1 : blind.contains(j) ? 0.65 : 0.35 }
        }
        return out
    }
    let random8x8 = Tensor<Float>.uniform([4, 64, 1], low: -1, high: 1, using: &matrixRNG)
    let plain2 = PixelCNN<Float>(height: 8, width: 8, levels: 2, channels: 8, maskedLayers: 1, firstKernel: 3, using: &matrixRNG)
    let plain4 = PixelCNN<Float>(height: 8, width: 8, levels: 2, channels: 8, maskedLayers: 3, firstKernel: 3, using: &matrixRNG)
    let gated4 = GatedPixelCNN<Float>(height: 8, width: 8, levels: 2, channels: 4, layers: 4, firstKernel: 3, using: &matrixRNG)
    let testInputs = digitsCNN.inputs(Array(digits.test.pixels[0..<(8 * 64)]))
    var matrices: [(String, DependencyMatrix, Int)] = [
        ("plain, 2 layers of 3x3", plain2.dependencyMatrix(at: random8x8), 8),
        ("plain, 4 layers of 3x3", plain4.dependencyMatrix(at: random8x8), 8),
        ("gated, 4 layers of 3x3", gated4.dependencyMatrix(at: random8x8), 8),
        ("trained digits PixelCNN", digitsCNN.dependencyMatrix(at: testInputs), 8),
        ("trained digits gated PixelCNN", digitsGated.dependencyMatrix(at: testInputs), 8),
    ]
    // The colour stack: input [N, 3, 4, 4] from values in the order 3 p + c, output the logit of
    // every value in the same order.
    let colourLayers = [
        MaskedConv2d<Float>(3, 12, kernelSize: 3, mask: .a, channelGroups: 3, using: &matrixRNG),
        MaskedConv2d<Float>(12, 12, kernelSize: 3, mask: .b, channelGroups: 3, using: &matrixRNG),
        MaskedConv2d<Float>(12, 3, kernelSize: 1, mask: .b, channelGroups: 3, using: &matrixRNG),
    ]
    let colour = DependencyMatrix.of({ x in
        let n = x.shape[0]
        let images = x.reshaped([n, 16, 3]).permuted([0, 2, 1]).reshaped([n, 3, 4, 4])
        let y = colourLayers[2](colourLayers[1](colourLayers[0](images).relu()).relu())
        return y.reshaped([n, 3, 16]).permuted([0, 2, 1]).reshaped([n, 48])
    }, at: Tensor<Float>.uniform([4, 48, 1], low: -1, high: 1, using: &matrixRNG))
    matrices.append(("RGB groups, 4x4x3", colour, 0))
    for (name, m, width) in matrices {
        let key = name.replacingOccurrences(of: ",", with: "")
        chapter.record("dependency matrix/|d a_i / d x_j| for j >= i, max abs error/\(key)", m.nonCausalEntries.map { m[$0.row, $0.column] }.max() ?? 0)
        let blind = width == 0 ? 0 : (0..<m.rows).reduce(0) { sum, i in
            sum + ReceptiveField.blindSpot(of: m.dependencies(of: i), row: i / width, column: i % width, width: width).count
        }
        chapter.record("dependency matrix/blind-spot entries/\(key)", Double(blind))
        print("dependency matrix, \(name): \(m.nonCausalEntries.count) non-zero entries on or above the diagonal, "
            + "\(m.unseenEarlierEntries) zeros below it, \(blind) of them in blind spots")
    }
    try panel(
        matrices.map { name, m, width in
            heatMap(
                width == 0 ? (0..<(m.rows * m.columns)).map { m.values[$0] != 0 ? 1.0 : ($0 % m.columns < $0 / m.columns ? 0.35 : 0) } : categories(m, width: width),
                rows: m.rows, columns: m.columns, range: 0...1, title: name, cellSize: width == 0 ? 9 : 7)
        }, title: "Dependency matrices: row i output, column j input (yellow: depends; green: blind spot; blue: out of reach; purple: j >= i)",
        columns: 3
    ).writePNG(to: chapter.figurePath("ch3-dependency-matrix.png"))
    print("wrote ch3-dependency-matrix.png: the \(matrices.count) dependency matrices")
}
