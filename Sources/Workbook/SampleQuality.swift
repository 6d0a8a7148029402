import Datasets
import Foundation
import Models
import Plot
import Tensors

/// The workbook's judge of samples on MNIST-5k: a digit classifier trained on the binarised
/// training split and on non-digits (see `DigitJudge`), with the judge's features of the real test
/// images, against which every model's samples are measured (`FrechetDistance`).
///
/// Every chapter that scores samples trains the same judge: its generator is derived from the
/// chapter's seed alone, `Random(seed: seed ^ SampleJudge.salt)`, and draws nothing from the
/// chapter's own generator, so scoring samples changes no other number of a chapter. Within one
/// `workbook` run the chapters share it: the runner names a folder in `WORKBOOK_JUDGE_CACHE`, the
/// first chapter to need the judge trains it and saves its weights there, and the later ones load
/// those weights (the same bits they would have trained; `SampleJudgeCacheTests`). A chapter
/// started alone trains its own.
public final class SampleJudge {
    /// Mixed into the seed so the judge's draws are its own ("judge" in ASCII).
    public static let salt: UInt64 = 0x6A_7564_6765
    /// The environment variable that names the folder of a workbook run's shared judge.
    public static let cacheVariable = "WORKBOOK_JUDGE_CACHE"
    public let judge: DigitJudge
    /// The judge's accuracy on the binarised test split (labels).
    public let testAccuracy: Double
    /// Mean and covariance of the judge's features of the test images.
    public let testMoments: FrechetDistance.Moments
    /// The verdicts on the test and on the training images: where a perfect model would land.
    public let testScore: JudgeScore
    public let trainingScore: JudgeScore
    /// Whether the judge was loaded from the run's shared folder rather than trained here.
    public let loaded: Bool

    /// The judge of `seed` (and `quick`): loaded from `cache` when that folder holds it, else
    /// trained and, with a `cache`, saved there for the next chapter.
    public init(seed: UInt64, quick: Bool, cache: URL? = nil) throws {
        let splits = try RealDataset.mnist5k.loadSplits()
        let (train, test) = (splits.train.binarized(), splits.test.binarized())
        (judge, loaded) = try Self.judge(in: cache, key: "seed\(seed)\(quick ? "-quick" : "")") {
            var rng = Random(seed: seed ^ Self.salt)
            return DigitJudge.train(on: train, training: DigitJudge.Training(epochs: quick ? 2 : 12), using: &rng)
        }
        testAccuracy = judge.accuracy(on: test)
        testScore = judge.score(test.pixels)
        trainingScore = judge.score(train.pixels)
        testMoments = FrechetDistance.Moments(testScore.features)
    }

    /// The judge saved under `key` in `folder`, or (no folder, no such file, or a file that does
    /// not decode) `train()`'s, then saved there. A file that does not decode is reported and replaced.
    static func judge(in folder: URL?, key: String, train: () throws -> DigitJudge) throws -> (DigitJudge, loaded: Bool)
    {
        guard let folder else { return (try train(), false) }
        let file = folder.appendingPathComponent("digit-judge-\(key).bin")
        if let data = FileManager.default.contents(atPath: file.path) {
            do {
                return (try DigitJudge(decoding: [UInt8](data)), true)
            } catch {
                print("the shared judge in \(file.path) is unreadable (\(error)); training it again")
            }
        }
        let judge = try train()
        do {
            try Data(judge.encoded()).write(to: file, options: .atomic)
        } catch {
            throw WorkbookError(
                "cannot save the sample judge to \(file.path) (\(error.localizedDescription)); the folder in \(cacheVariable) must be writable"
            )
        }
        return (judge, false)
    }

    /// The Frechet distance between the judge's features of a set of samples and of the test images.
    public func frechetDistance(_ score: JudgeScore) -> Double {
        FrechetDistance.between(FrechetDistance.Moments(score.features), testMoments)
    }
}

extension Chapter {
    /// The sample judge, trained on first use in this chapter (a few seconds), or loaded from the
    /// folder a `workbook` run shares among its chapters (`SampleJudge`).
    public func sampleJudge() throws -> SampleJudge {
        if let judge = cachedJudge { return judge }
        let cache = ProcessInfo.processInfo.environment[SampleJudge.cacheVariable].map { URL(fileURLWithPath: $0) }
        let (judge, seconds) = try timed { try SampleJudge(seed: options.seed, quick: options.quick, cache: cache) }
        print(
            judge.loaded
                ? String(
                    format: "the sample judge: loaded (trained by an earlier chapter of this run), test accuracy %.3f",
                    judge.testAccuracy)
                : String(format: "the sample judge: trained in %.1f s, test accuracy %.3f", seconds, judge.testAccuracy)
        )
        cachedJudge = judge
        return judge
    }

    /// Scores one model's MNIST samples (N x 784 levels 0/1) with the judge and reports, under
    /// `mnist/samples .../<model>`: the fraction recognised (max_k p_k >= 0.9) and its standard
    /// error, the mean confidence, the entropy of the recognised samples' classes (ln 10 = 2.30
    /// when all ten digits are drawn equally) and the Frechet distance of the judge's features to
    /// the test images' (the idea of FID). With `grid`, the first 48 samples are drawn into that
    /// figure, the verdict in its title, each tile captioned with the judge's digit and confidence.
    @discardableResult
    public func reportSamples(_ model: String, _ pixels: [UInt8], grid: String? = nil) throws -> SampleVerdict {
        let judge = try sampleJudge()
        let score = judge.judge.score(pixels)
        let frechet = judge.frechetDistance(score)
        report("mnist/samples recognised/\(model)", score.recognisedFraction, note: "of \(score.count) samples")
        report("mnist/samples recognised SE/\(model)", score.standardError, digits: 3)
        report("mnist/samples mean max probability/\(model)", score.meanMaxProbability, digits: 3)
        report(
            "mnist/samples class entropy/\(model)", score.classEntropy, unit: "nats",
            note: "ln 10 = 2.30 for all ten digits equally")
        report("mnist/samples Frechet distance/\(model)", frechet, digits: 1)
        let verdict = SampleVerdict(score: score, frechetDistance: frechet)
        if let grid {
            let shown = min(48, score.count)
            let captions = (0..<shown).map { n in
                score.maxProbabilities[n] >= score.threshold
                    ? "\(score.predictedClasses[n]) \(String(format: "%.2f", score.maxProbabilities[n]))" : "-"
            }
            try imageGrid(
                Array(pixels[0..<(shown * 784)]), shape: [shown, 28, 28], levels: 2, columns: 12, scale: 2,
                tileCaptions: captions,
                title: "\(model): \(verdict.summary) (\(score.count) samples; captions: digit, confidence)"
            ).writePNG(to: figurePath(grid))
            print("wrote \(grid): 48 samples of \(model) with the judge's verdicts")
        }
        return verdict
    }

    /// Where real images land on the same scale: the test images (recognised fraction, classes) and
    /// the training images (their Frechet distance to the test images is the floor a model can hope for).
    public func reportRealImageScores() throws {
        let judge = try sampleJudge()
        report("mnist/judge test accuracy/digit judge", judge.testAccuracy, digits: 3)
        for (name, score) in [("test images", judge.testScore), ("training images", judge.trainingScore)] {
            report("mnist/samples recognised/\(name)", score.recognisedFraction, note: "of \(score.count) images")
            report("mnist/samples class entropy/\(name)", score.classEntropy, unit: "nats")
        }
        report("mnist/samples Frechet distance/training images", judge.frechetDistance(judge.trainingScore), digits: 1)
    }
}

/// The judge's verdict on one model's samples.
public struct SampleVerdict: Sendable {
    public let score: JudgeScore
    public let frechetDistance: Double
    /// One line for a sample grid's title: "recognised 0.62 +- 0.02, FD 12.3".
    public var summary: String {
        String(
            format: "recognised %.2f +- %.2f, FD %.1f", score.recognisedFraction, score.standardError, frechetDistance)
    }
}
