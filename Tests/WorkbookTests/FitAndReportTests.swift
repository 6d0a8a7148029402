import ArgumentParser
import Foundation
import Tensors
import Testing

@testable import Workbook

/// A chapter writing into a fresh temporary folder.
func scratchChapter() throws -> (Chapter, URL) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chapter-\(UUID().uuidString)")
    let options = try ChapterOptions.parse(["--figures", folder.path, "--seed", "3"])
    return (try Chapter(number: 9, title: "Test", options: options), folder)
}

struct ExperimentOptions: ChapterCommand {
    @OptionGroup var shared: ChapterOptions
    @Option var hidden = 128
}

@Suite("report and fit")
struct FitAndReportTests {
    @Test func reportRecordsPrintsAndFillsTheTableByNameParts() throws {
        let (chapter, folder) = try scratchChapter()
        defer { try? FileManager.default.removeItem(at: folder) }
        chapter.report("digits/test NLL/PixelCNN", 82.6951, reference: 84.32)
        chapter.report("digits/test bits per dim/PixelCNN", 1.86, digits: 3)
        chapter.report("mnist/test NLL/PixelCNN", 72.1)
        chapter.report("an identity error", 2e-15)
        #expect(chapter.metrics["digits/test NLL/PixelCNN"] == 82.6951)
        #expect(chapter.metrics["an identity error"] == 2e-15)
        let table = chapter.results
        #expect(table.columns == ["test NLL", "test bits per dim", "value"])
        #expect(table.rows.map(\.label) == ["digits: PixelCNN", "mnist: PixelCNN", "an identity error"])
        #expect(table.rows[0].values == ["test NLL": "82.70", "test bits per dim": "1.860"])
        #expect(table.rows[2].values["value"] == "2e-15")
    }

    @Test func chapterFlagsParseWithTheSharedOnes() throws {
        let parsed = try ExperimentOptions.parse(["--hidden", "32", "--seed", "5", "--quick"])
        #expect(parsed.hidden == 32 && parsed.shared.seed == 5 && parsed.shared.quick)
        #expect(try ExperimentOptions.parse([]).hidden == 128)
        #expect(throws: (any Error).self) { try ExperimentOptions.parse(["--hidden", "many"]) }
    }

    @Test func cosineScheduleRunsFromTheFullRateToItsFloor() {
        let s = LearningRateSchedule.cosine(floor: 0.1)
        #expect(s.factor(epoch: 1, of: 9) == 1)
        #expect(abs(s.factor(epoch: 5, of: 9) - 0.55) < 1e-12)  // half way: cos = 0
        #expect(abs(s.factor(epoch: 9, of: 9) - 0.1) < 1e-12)
        #expect(LearningRateSchedule.constant.factor(epoch: 3, of: 9) == 1)
    }

    /// Fits y = 2x by least squares while the validation loss is a script: the weights restored at
    /// the end must be those seen at the scripted best evaluation (recorded independently, in the
    /// validation callback), not the last ones.
    @Test func fitKeepsTheWeightsOfTheBestValidation() throws {
        let (chapter, folder) = try scratchChapter()
        defer { try? FileManager.default.removeItem(at: folder) }
        let w = Parameter(Tensor<Float>(shape: [1], scalars: [0]))
        let x = Tensor<Float>(shape: [8], scalars: (0..<8).map { Float($0) / 8 })
        let y = x * 2
        let script: [Double] = [5, 4, 1, 3, 2, 6]
        var seen: [Float] = []
        var rng = Random(seed: 1)
        let log = try chapter.fit(
            "toy", parameters: [w],
            plan: TrainingPlan(epochs: 3, batchSize: 4, learningRate: 0.1, evaluationsPerEpoch: 2),
            examples: 8, using: &rng, batches: { indexBatches(count: 8, size: 4, rng: &$0) },
            size: \.count,
            loss: { rows, _ in
                let xb = Tensor<Float>(shape: [rows.count], scalars: rows.map { x.scalars[$0] })
                let yb = Tensor<Float>(shape: [rows.count], scalars: rows.map { y.scalars[$0] })
                return (xb * w.value - yb).squared().mean()
            },
            validate: {
                seen.append(w.value.scalars[0])
                return script[seen.count - 1]
            })
        #expect(log.at == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(log.best == 2 && log.kept == "1.5/3")
        #expect(seen.count == 6 && Set(seen).count == 6)  // the weights moved between evaluations
        #expect(w.value.scalars[0] == seen[2])
        #expect(log.examplesSeen == 24 && log.steps == [1, 2, 3, 4, 5, 6])
    }

    /// With averaging, `validate` sees the Polyak average of the weights after each step so far
    /// (recomputed here in Double from the weights each training step started from), training
    /// goes on from the trained weights, not the average, and the run keeps the best average.
    @Test func fitWithAveragingEvaluatesAndKeepsTheAverage() throws {
        let (chapter, folder) = try scratchChapter()
        defer { try? FileManager.default.removeItem(at: folder) }
        let w = Parameter(Tensor<Float>(shape: [1], scalars: [0]))
        let x = Tensor<Float>(shape: [8], scalars: (0..<8).map { Float($0) / 8 })
        let y = x * 2
        var trajectory: [Double] = []  // the weight each step starts from: w_0, w_1, ...
        var seen: [(afterStep: Int, value: Float)] = []
        var rng = Random(seed: 1)
        let log = try chapter.fit(
            "toy", parameters: [w],
            plan: TrainingPlan(epochs: 4, batchSize: 2, learningRate: 0.05, evaluationsPerEpoch: 2, averaging: 0.5),
            examples: 8, using: &rng, batches: { indexBatches(count: 8, size: 2, rng: &$0) },
            size: \.count,
            loss: { rows, _ in
                trajectory.append(Double(w.value.scalars[0]))
                let xb = Tensor<Float>(shape: [rows.count], scalars: rows.map { x.scalars[$0] })
                let yb = Tensor<Float>(shape: [rows.count], scalars: rows.map { y.scalars[$0] })
                return (xb * w.value - yb).squared().mean()
            },
            validate: {
                seen.append((trajectory.count, w.value.scalars[0]))
                return [7, 3, 5, 6, 4, 8, 9, 9][seen.count - 1]
            })
        let after = trajectory  // after[t] = w_t, the weight after step t
        func average(upTo steps: Int) -> Double {
            (1...steps).reduce(after[0]) { a, t in
                let d = min(0.5, Double(1 + t) / Double(10 + t))
                return d * a + (1 - d) * after[t]
            }
        }
        #expect(log.steps == [2, 4, 6, 8, 10, 12, 14, 16] && seen.count == 8)
        // Every evaluation but the last (whose step has no successor to record w after it).
        for (k, s) in seen.dropLast().enumerated() {
            #expect(s.afterStep == log.steps[k])
            let expected = average(upTo: s.afterStep)
            #expect(abs(Double(s.value) - expected) < 1e-6, "evaluation \(k): \(s.value) against \(expected)")
            // Training went on from w_t, not from the average just evaluated.
            #expect(abs(after[s.afterStep] - Double(s.value)) > 1e-3)
        }
        #expect(log.best == 1 && w.value.scalars[0] == seen[1].value)
    }

    @Test func aNonFiniteLossStopsTrainingWithAMessage() throws {
        let (chapter, folder) = try scratchChapter()
        defer { try? FileManager.default.removeItem(at: folder) }
        let w = Parameter(Tensor<Float>(shape: [1], scalars: [1]))
        var rng = Random(seed: 1)
        do {
            _ = try chapter.fit(
                "blows up", parameters: [w], plan: TrainingPlan(epochs: 1, batchSize: 1, learningRate: 0.1),
                examples: 1,
                using: &rng, batches: { _ in [[0]] }, size: \.count, loss: { _, _ in (w.value * .infinity).sum() },
                validate: { 0 })
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("blows up") && "\(error)".contains("--check-numerics"))
        }
    }
}

/// Index minibatches for the toy fits.
func indexBatches(count: Int, size: Int, rng: inout Random) -> [[Int]] {
    let order = rng.permutation(count)
    return stride(from: 0, to: count, by: size).map { Array(order[$0..<min($0 + size, count)]) }
}
