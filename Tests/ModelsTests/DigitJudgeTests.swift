import Datasets
import Foundation
import Tensors
import Testing

@testable import Models

/// The judge is trained here on a reduced run (a narrow net, a quarter of the training digits,
/// three epochs: about 15 s of CPU in a debug build), so its thresholds are modest: it reaches
/// about 86% test accuracy and is sure of about a quarter of the test images, where the full
/// judge (`DigitJudge.Training()`, a few seconds in release) reaches 97% and 88%. Every claim is checked against the data's own labels or against images that
/// are not digits by construction.
@Suite("Digit judge: recognises digits, not junk; the score's statistics")
struct DigitJudgeTests {
    static let data: (train: ImageSet, test: ImageSet) = {
        let splits = try! RealDataset.mnist5k.loadSplits()
        let train = splits.train.binarized()
        return (train.subset(Array(stride(from: 0, to: train.count, by: 4))), splits.test.binarized())
    }()
    static let reduced = DigitJudge.Training(
        epochs: 3, batchSize: 32, nonDigitFraction: 0.25, learningRate: 3e-3, maxShift: 0, widths: (8, 16, 32))
    /// The judge of the reduced run.
    static let judge: DigitJudge = {
        var rng = Random(seed: 1)
        return DigitJudge.train(on: data.train, training: reduced, using: &rng)
    }()

    /// Binary noise, every pixel on with probability 1/2.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = Random(seed: seed)
        return (0..<(count * 784)).map { _ in rng.bernoulli(0.5) ? 1 : 0 }
    }

    /// Real test images are classified as their labels say and most are recognised, with the
    /// right label.
    @Test func recognisesRealTestImages() {
        let test = Self.data.test
        #expect(Self.judge.accuracy(on: test) > 0.8)
        let score = Self.judge.score(test.pixels)
        let rightAndSure = zip(score.predictedClasses, score.maxProbabilities).enumerated()
            .filter { n, pair in pair.0 == test.labels[n] && pair.1 >= 0.9 }.count
        #expect(Double(rightAndSure) / Double(test.count) > 0.15, "\(rightAndSure) of \(test.count)")
        #expect(
            rightAndSure == score.recognised
                - zip(score.predictedClasses, test.labels).enumerated().filter { n, pair in
                    pair.0 != pair.1 && score.maxProbabilities[n] >= 0.9
                }.count)
        // Most digits are among the recognised ones.
        #expect(score.classHistogram.filter { $0 > 0 }.count >= 5, "\(score.classHistogram)")
    }

    /// Noise and independent-pixel samples (a model the judge never saw: every pixel drawn from its
    /// training frequency) are not recognised. The negative control: the same judge with one
    /// output bias raised by 20 (it then calls everything a 3) fails the same check.
    @Test func doesNotRecogniseJunk() {
        let noise = Self.noise(200, seed: 5)
        var rng = Random(seed: 6)
        let independent = IndependentPixels(counting: Self.data.train.pixels, dimension: 784, levels: 2).sample(
            count: 200, using: &rng)
        let noiseScore = Self.judge.score(noise)
        let independentScore = Self.judge.score(independent)
        #expect(noiseScore.recognisedFraction <= 0.01)
        #expect(independentScore.recognisedFraction <= 0.02)
        #expect(independentScore.meanMaxProbability < 0.5)
        // A copy with its own parameters (the trained judge is shared by tests running in parallel).
        var copyRNG = Random(seed: 0)
        let broken = DigitJudge(height: 28, width: 28, levels: 2, widths: Self.reduced.widths, using: &copyRNG)
        for (p, q) in zip(broken.parameters, Self.judge.parameters) { p.value = q.value }
        broken.output.bias.value = broken.output.bias.value + Tensor((0..<10).map { $0 == 3 ? 20 : 0 })
        let brokenScore = broken.score(noise)
        #expect(
            brokenScore.recognisedFraction > 0.5,
            "the broken judge recognises \(brokenScore.recognisedFraction) of the noise")
        #expect(brokenScore.classHistogram[3] == brokenScore.recognised)
    }

    /// The four kinds of non-digit are what they say: noise and blobs are binary, patches keep the
    /// digit's pixels (shuffled), an overlay is at least each of its two digits.
    @Test func nonDigits() {
        var rng = Random(seed: 8)
        let digits = Self.data.test
        for kind in NonDigits.allCases {
            let image = kind.image(from: digits, using: &rng)
            #expect(image.count == 784 && image.allSatisfy { $0 <= 1 }, "\(kind)")
            #expect(image.contains(1), "\(kind) is blank")
        }
        // A patches image has as many pixels on as some test digit.
        let patches = NonDigits.patches.image(from: digits, using: &rng)
        let on = patches.filter { $0 == 1 }.count
        #expect((0..<digits.count).contains { digits.image($0).filter { $0 == 1 }.count == on })
        #expect(NonDigits.draw(count: 5, from: digits, using: &rng).count == 5 * 784)
    }

    /// The statistics of a score, against numbers worked out by hand for four samples.
    @Test func scoreStatistics() {
        let p: [[Double]] = [
            [0.95, 0.05, 0], [0.1, 0.9, 0], [0.2, 0.3, 0.5], [0, 0.02, 0.98],
        ]
        let s = JudgeScore(probabilities: p, features: p, threshold: 0.9)
        #expect(s.count == 4 && s.recognised == 3)
        #expect(s.recognisedFraction == 0.75)
        #expect(abs(s.standardError - (0.75 * 0.25 / 4).squareRoot()) < 1e-15)
        #expect(abs(s.meanMaxProbability - (0.95 + 0.9 + 0.5 + 0.98) / 4) < 1e-15)
        #expect(s.predictedClasses == [0, 1, 2, 2])
        #expect(s.classHistogram == [1, 1, 1])
        #expect(abs(s.classEntropy - log(3)) < 1e-12)
    }

    /// A judge encoded and decoded is the same judge: the same weights and the same probabilities,
    /// bit for bit, on the test images. Controls: one weight changed in the bytes decodes to a judge
    /// whose probabilities differ (the comparison can fail); bytes cut short, another header, a
    /// byte too many, or another judge's bytes under this judge's sizes are refused with a message.
    @Test func encodedJudgeDecodesToTheSameJudge() throws {
        let judge = Self.judge
        let bytes = judge.encoded()
        let decoded = try DigitJudge(decoding: bytes)
        let pixels = Array(Self.data.test.pixels[0..<(200 * 784)])
        #expect(zip(judge.parameters, decoded.parameters).allSatisfy { $0.value.scalars == $1.value.scalars })
        #expect(judge.probabilities(pixels) == decoded.probabilities(pixels))
        #expect(decoded.encoded() == bytes)

        // The control: the last weight of the first convolution's first filter, its sign flipped.
        var changed = bytes
        let firstWeight = 8 * 9 + 8  // header words, then the first parameter's element count
        changed[firstWeight + 4 * 24 + 3] ^= 0x80
        #expect(try DigitJudge(decoding: changed).probabilities(pixels) != judge.probabilities(pixels))

        func refused(_ b: [UInt8], _ words: String) -> Bool {
            do {
                _ = try DigitJudge(decoding: b)
                return false
            } catch {
                return "\(error)".contains(words)
            }
        }
        #expect(refused(Array(bytes.dropLast(3)), "end at"))
        #expect(refused([0x41] + bytes.dropFirst(), "not a digit judge"))
        #expect(refused(bytes + [0], "follow the judge's weights"))
        // A judge of other widths, its header swapped for this one's: the parameter sizes disagree.
        var rng = Random(seed: 5)
        let other = DigitJudge(height: 28, width: 28, levels: 2, widths: (4, 8, 8), using: &rng).encoded()
        #expect(refused(Array(bytes[0..<72]) + other[72...], "does not have the size"))
    }
}
