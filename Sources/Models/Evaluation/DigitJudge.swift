import Datasets
import Foundation
import Tensors

/// The sample-quality judge: a small convolutional digit classifier, trained by the workbook on
/// the training labels, that also learns to call junk junk. A generative model's samples are
/// scored by how many of them it recognises as a digit with confidence, which digits they are
/// (coverage), and how far its penultimate features lie from those of real test images
/// (`FrechetDistance`, the idea of FID).
///
/// The network, on images [N, 1, H, W] with values v / (levels - 1) in [0, 1]:
///
///     h_1 = relu(conv 5x5, stride 2, 1 -> 16)         [N, 16, H/2, W/2]   (28 -> 14)
///     h_2 = relu(conv 3x3, stride 2, 16 -> 32)        [N, 32, H/4, W/4]   (14 -> 7)
///     f   = relu(W_f . flatten(h_2) + b_f)            [N, 64]   the penultimate features
///     a   = W_a . f + b_a                             [N, 10]   logits; p = softmax(a)
///
/// (16, 32, 64 are the default `widths`.)
///
/// Trained on two kinds of image: digits with their labels (cross-entropy against the one-hot
/// label) and non-digits (`NonDigits`: noise, blobs, shuffled patches of a digit, two digits
/// overlaid) against the uniform distribution over the ten classes, so that its confidence
/// max_k p_k is high only on something that looks like one digit. The loss is
/// -sum_k t_k log p_k averaged over the batch, t one-hot or uniform.
///
/// A sample is *recognised* when max_k p_k >= 0.9 (`threshold`).
public struct DigitJudge: Layer {
    public let height: Int
    public let width: Int
    /// The levels of the images it was trained on (and reads).
    public let levels: Int
    public let classes: Int
    public let conv1: Conv2d<Float>
    public let conv2: Conv2d<Float>
    public let hidden: Linear<Float>
    public let output: Linear<Float>

    /// A judge with fresh weights for `height` x `width` images of `levels` levels; `widths` are the
    /// channels of the two convolutions and the length of f (16, 32, 64: the judge the workbook
    /// uses; narrower ones train faster, for tests in a debug build).
    public init(
        height: Int, width: Int, levels: Int, classes: Int = 10, widths: (Int, Int, Int) = (16, 32, 64),
        using rng: inout Random
    ) {
        precondition(height >= 4 && width >= 4, "the judge needs images of at least 4x4, got \(height)x\(width)")
        (self.height, self.width, self.levels, self.classes) = (height, width, levels, classes)
        conv1 = Conv2d(1, widths.0, kernelSize: 5, stride: 2, padding: 2, initializer: .kaimingNormal, using: &rng)
        conv2 = Conv2d(
            widths.0, widths.1, kernelSize: 3, stride: 2, padding: 1, initializer: .kaimingNormal, using: &rng)
        let (h1, w1) = ((height - 1) / 2 + 1, (width - 1) / 2 + 1)
        let (h2, w2) = ((h1 - 1) / 2 + 1, (w1 - 1) / 2 + 1)
        hidden = Linear(widths.1 * h2 * w2, widths.2, initializer: .kaimingNormal, using: &rng)
        output = Linear(widths.2, classes, using: &rng)
    }

    public var parameters: [Parameter<Float>] {
        conv1.parameters + conv2.parameters + hidden.parameters + output.parameters
    }
    /// The length of the penultimate feature vector f.
    public var featureCount: Int { hidden.weight.shape[1] }

    /// f: images [N, 1, H, W] -> features [N, 64].
    public func features(_ x: Tensor<Float>) -> Tensor<Float> {
        let h = conv2(conv1(x).relu()).relu()
        return hidden(h.reshaped([x.shape[0], h.count / x.shape[0]])).relu()
    }

    /// Logits [N, classes] of images [N, 1, H, W].
    public func logits(_ x: Tensor<Float>) -> Tensor<Float> { output(features(x)) }

    /// -sum_k t_k log softmax(a)_k averaged over the rows; `targets` [N, classes], each row a
    /// distribution (one-hot for a digit, uniform for a non-digit).
    public func loss(_ x: Tensor<Float>, targets: Tensor<Float>) -> Tensor<Float> {
        -(logits(x).logSoftmax(alongAxis: -1) * targets).sum() / Float(x.shape[0])
    }

    /// N images of `levels` levels (N x H x W, row-major) as network input [N, 1, H, W].
    public func input(_ pixels: [UInt8]) -> Tensor<Float> {
        let d = height * width
        precondition(pixels.count % d == 0, "\(pixels.count) levels is not a whole number of \(height)x\(width) images")
        let scale = 1 / Float(levels - 1)
        return Tensor(shape: [pixels.count / d, 1, height, width], scalars: pixels.map { Float($0) * scale })
    }
}

extension DigitJudge {
    /// How a judge is trained: Adam on minibatches of `batchSize` digits, each shifted by up to
    /// `maxShift` pixels in each direction (a digit drawn off-centre is still a digit), plus
    /// `batchSize * nonDigitFraction` freshly drawn non-digits, for `epochs` passes over the
    /// training digits, the learning rate falling along a half cosine to a tenth of its start.
    public struct Training: Sendable {
        public var epochs: Int
        public var batchSize: Int
        public var nonDigitFraction: Double
        public var learningRate: Float
        public var maxShift: Int
        /// The channels of the two convolutions and the length of f.
        public var widths: (Int, Int, Int)
        public init(
            epochs: Int = 12, batchSize: Int = 32, nonDigitFraction: Double = 0.5, learningRate: Float = 2e-3,
            maxShift: Int = 1,
            widths: (Int, Int, Int) = (16, 32, 64)
        ) {
            (self.epochs, self.batchSize, self.nonDigitFraction, self.learningRate) = (
                epochs, batchSize, nonDigitFraction, learningRate
            )
            (self.maxShift, self.widths) = (maxShift, widths)
        }
    }

    /// Image `n` of `set` moved by (dy, dx) pixels, zeros shifted in: H x W levels.
    static func shifted(_ set: ImageSet, _ n: Int, dy: Int, dx: Int) -> [UInt8] {
        let (h, w) = (set.height, set.width)
        let image = set.image(n)
        var out = [UInt8](repeating: 0, count: h * w)
        for r in Swift.max(0, dy)..<Swift.min(h, h + dy) {
            for c in Swift.max(0, dx)..<Swift.min(w, w + dx) {
                out[r * w + c] = image[image.startIndex + (r - dy) * w + c - dx]
            }
        }
        return out
    }

    /// Trains a fresh judge on `digits` (their labels are the targets), with non-digits made from
    /// them (`NonDigits`). Every random choice comes from `rng`.
    public static func train(on digits: ImageSet, training: Training = Training(), using rng: inout Random)
        -> DigitJudge
    {
        precondition(digits.count > 0, "the judge needs training digits")
        let judge = DigitJudge(
            height: digits.height, width: digits.width, levels: digits.levels, widths: training.widths, using: &rng)
        let adam = Adam<Float>(learningRate: training.learningRate)
        let junkPerBatch = Int((Double(training.batchSize) * training.nonDigitFraction).rounded())
        let uniform = [Float](repeating: 1 / Float(judge.classes), count: judge.classes)
        for epoch in 0..<training.epochs {
            let t = Double(epoch) / Double(Swift.max(training.epochs - 1, 1))
            adam.learningRate = training.learningRate * Float(0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * t)))
            for batch in digits.shuffledBatches(size: training.batchSize, using: &rng) {
                let junk = NonDigits.draw(count: junkPerBatch, from: digits, using: &rng)
                var targets = [Float](repeating: 0, count: (batch.count + junkPerBatch) * judge.classes)
                for (n, label) in batch.labels.enumerated() { targets[n * judge.classes + label] = 1 }
                for n in 0..<junkPerBatch {
                    let row = (batch.count + n) * judge.classes
                    targets.replaceSubrange(row..<(row + judge.classes), with: uniform)
                }
                let s = training.maxShift
                let moved = (0..<batch.count).flatMap { n in
                    shifted(batch, n, dy: rng.index(below: 2 * s + 1) - s, dx: rng.index(below: 2 * s + 1) - s)
                }
                let x = judge.input(moved + junk)
                let y = Tensor(shape: [batch.count + junkPerBatch, judge.classes], scalars: targets)
                let (_, grads) = valueAndGradient(of: judge.parameters) { judge.loss(x, targets: y) }
                adam.update(judge.parameters, with: grads)
            }
        }
        return judge
    }

    /// softmax(a) of every image, N rows of `classes` probabilities, in batches without gradients.
    public func probabilities(_ pixels: [UInt8], batchSize: Int = 250) -> [[Double]] {
        rows(of: pixels, batchSize: batchSize) { logits($0).softmax(alongAxis: -1) }
    }

    /// `f` of every image, one row per image: the images go through `f` in batches of `batchSize`,
    /// without gradients, and each row of its [batch, k] output becomes one row of Doubles.
    private func rows(
        of pixels: [UInt8], batchSize: Int, _ f: (Tensor<Float>) -> Tensor<Float>
    ) -> [[Double]] {
        let d = height * width
        let n = pixels.count / d
        var out: [[Double]] = []
        out.reserveCapacity(n)
        withoutGradient {
            for start in stride(from: 0, to: n, by: batchSize) {
                let end = Swift.min(start + batchSize, n)
                let y = f(input(Array(pixels[start * d..<end * d])))
                let k = y.shape[1]
                for m in 0..<(end - start) { out.append(y.scalars[m * k..<(m + 1) * k].map(Double.init)) }
            }
        }
        return out
    }

    /// The fraction of `images` whose most probable class is their label.
    public func accuracy(on images: ImageSet) -> Double {
        precondition(
            images.height == height && images.width == width && images.levels == levels,
            "images must match the judge's \(height)x\(width), \(levels) levels")
        let p = probabilities(images.pixels)
        let correct = zip(p, images.labels).filter { row, label in row.indices.max { row[$0] < row[$1] } == label }
            .count
        return Double(correct) / Double(Swift.max(images.count, 1))
    }

    /// The penultimate features f of every image, N rows of `featureCount` values.
    public func featureVectors(_ pixels: [UInt8], batchSize: Int = 250) -> [[Double]] {
        rows(of: pixels, batchSize: batchSize) { features($0) }
    }

    /// The judge's verdict on a set of samples (N x H x W levels, the judge's `levels`).
    public func score(_ pixels: [UInt8], threshold: Double = 0.9) -> JudgeScore {
        let p = probabilities(pixels)
        return JudgeScore(probabilities: p, features: featureVectors(pixels), threshold: threshold)
    }
}

/// What the judge says about a set of N samples.
public struct JudgeScore: Sendable {
    /// N.
    public let count: Int
    /// The confidence threshold: a sample is recognised when max_k p_k >= threshold.
    public let threshold: Double
    /// max_k p_k of every sample.
    public let maxProbabilities: [Double]
    /// argmax_k p_k of every sample.
    public let predictedClasses: [Int]
    /// The penultimate features of every sample (N rows), for `FrechetDistance`.
    public let features: [[Double]]

    public init(probabilities: [[Double]], features: [[Double]], threshold: Double = 0.9) {
        precondition(probabilities.count == features.count, "one feature vector per sample")
        count = probabilities.count
        self.threshold = threshold
        maxProbabilities = probabilities.map { $0.max() ?? 0 }
        predictedClasses = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        self.features = features
        classCount = probabilities.first?.count ?? 0
    }

    /// The number of classes.
    public let classCount: Int
    /// The samples recognised: max_k p_k >= threshold.
    public var recognised: Int { maxProbabilities.filter { $0 >= threshold }.count }
    /// f = recognised / N.
    public var recognisedFraction: Double { Double(recognised) / Double(Swift.max(count, 1)) }
    /// sqrt(f (1 - f) / N): the standard error of f for independent samples.
    public var standardError: Double {
        (recognisedFraction * (1 - recognisedFraction) / Double(Swift.max(count, 1))).squareRoot()
    }
    /// The mean of max_k p_k: 1 / classes for pure junk, near 1 for clean digits.
    public var meanMaxProbability: Double { maxProbabilities.reduce(0, +) / Double(Swift.max(count, 1)) }
    /// How many recognised samples fall in each class: the coverage of the digits.
    public var classHistogram: [Int] {
        var h = [Int](repeating: 0, count: classCount)
        for (k, p) in zip(predictedClasses, maxProbabilities) where p >= threshold { h[k] += 1 }
        return h
    }
    /// The entropy of `classHistogram` as a distribution, in nats: log 10 = 2.303 when every
    /// digit is equally common, 0 when one digit (or none) is drawn.
    public var classEntropy: Double {
        let h = classHistogram
        let total = Double(h.reduce(0, +))
        guard total > 0 else { return 0 }
        return h.reduce(0.0) { $1 > 0 ? $0 - Double($1) / total * Foundation.log(Double($1) / total) : $0 }
    }
}

// MARK: - Handing a trained judge to another process

extension DigitJudge {
    /// "JUDGE001" in ASCII: the first eight bytes of `encoded()`, and its format's version.
    static let magic: UInt64 = 0x4A55_4447_4530_3031

    /// What `DigitJudge(decoding:)` found wrong with its bytes.
    public struct DecodingError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The trained judge as bytes, for the chapters of one workbook run to share one judge: the
    /// magic, the image size, levels, classes and widths, then each parameter's element count and
    /// Float bit patterns, all little-endian, in `parameters` order. `DigitJudge(decoding:)` gives
    /// back the same weights, bit for bit.
    public func encoded() -> [UInt8] {
        let widths = [conv1.weight.shape[0], conv2.weight.shape[0], featureCount]
        var words: [UInt64] = [Self.magic] + ([height, width, levels, classes] + widths).map { UInt64($0) }
        words.append(UInt64(parameters.count))
        var bytes = words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        for p in parameters {
            bytes += withUnsafeBytes(of: UInt64(p.value.count).littleEndian, Array.init)
            for v in p.value.scalars { bytes += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        }
        return bytes
    }

    /// The judge whose `encoded()` bytes these are. Throws `DecodingError` for bytes that are not
    /// such a judge: another format, a truncated or overlong file, a parameter of another size.
    public init(decoding bytes: [UInt8]) throws {
        var offset = 0
        func word() throws -> UInt64 {
            guard offset + 8 <= bytes.count else {
                throw DecodingError(
                    description: "the judge's bytes end at \(bytes.count), inside its header or weights")
            }
            defer { offset += 8 }
            return bytes[offset..<(offset + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        guard try word() == Self.magic else {
            throw DecodingError(description: "these bytes are not a digit judge (no JUDGE001 header)")
        }
        let sizes = try (0..<7).map { _ in Int(clamping: try word()) }
        guard sizes[0] >= 4 && sizes[1] >= 4 && (2...256).contains(sizes[2]) && (1...1000).contains(sizes[3]),
            sizes[4...].allSatisfy({ (1...4096).contains($0) })
        else { throw DecodingError(description: "the judge's header gives impossible sizes \(sizes)") }
        var rng = Random(seed: 0)  // (its draws are overwritten below)
        self.init(
            height: sizes[0], width: sizes[1], levels: sizes[2], classes: sizes[3],
            widths: (sizes[4], sizes[5], sizes[6]), using: &rng)
        guard try word() == UInt64(parameters.count) else {
            throw DecodingError(
                description: "the judge's bytes hold another number of parameters than \(parameters.count)")
        }
        for p in parameters {
            guard try word() == UInt64(p.value.count) else {
                throw DecodingError(
                    description: "parameter \(p.name) of shape \(p.shape) does not have the size the bytes give")
            }
            guard offset + 4 * p.value.count <= bytes.count else {
                throw DecodingError(description: "the judge's bytes end at \(bytes.count), inside parameter \(p.name)")
            }
            let scalars = (0..<p.value.count).map { i in
                let at = offset + 4 * i
                return Float(
                    bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
                        | UInt32(bytes[at + 3]) << 24)
            }
            offset += 4 * p.value.count
            p.value = Tensor(shape: p.shape, scalars: scalars)
        }
        guard offset == bytes.count else {
            throw DecodingError(description: "\(bytes.count - offset) bytes follow the judge's weights")
        }
    }
}
