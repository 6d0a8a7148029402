import Foundation
import Models
import Tensors
import Testing

@testable import Workbook

/// The judge the chapters of one workbook run share: the first call trains and saves it, a later
/// one loads the same bits; a file that does not decode is trained again, not used.
@Suite("Sample judge shared by the chapters of a run")
struct SampleJudgeCacheTests {
    /// A small, untrained judge: its weights are the seed's draws (training does not matter here).
    static func fresh(seed: UInt64) -> DigitJudge {
        var rng = Random(seed: seed)
        return DigitJudge(height: 28, width: 28, levels: 2, widths: (4, 8, 8), using: &rng)
    }

    static func probabilities(_ judge: DigitJudge) -> [[Double]] {
        var rng = Random(seed: 9)
        return judge.probabilities((0..<(20 * 784)).map { _ -> UInt8 in rng.bernoulli(0.3) ? 1 : 0 })
    }

    @Test func laterChaptersLoadWhatTheFirstTrained() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("judge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var trainings = 0
        func train(_ seed: UInt64) -> DigitJudge {
            trainings += 1
            return Self.fresh(seed: seed)
        }
        let (first, firstLoaded) = try SampleJudge.judge(in: folder, key: "seed1") { train(1) }
        #expect(!firstLoaded && trainings == 1)
        // The second chapter: its own training would give the same judge; it loads it instead.
        let (second, secondLoaded) = try SampleJudge.judge(in: folder, key: "seed1") { train(1) }
        #expect(secondLoaded && trainings == 1)
        #expect(Self.probabilities(second) == Self.probabilities(first))
        // Another key (seed) is trained, not taken from the first: a judge of seed 2 differs.
        let (other, otherLoaded) = try SampleJudge.judge(in: folder, key: "seed2") { train(2) }
        #expect(!otherLoaded && trainings == 2)
        #expect(Self.probabilities(other) != Self.probabilities(first))
        // A file that does not decode (cut short) is not used: the judge is trained again and saved.
        let file = folder.appendingPathComponent("digit-judge-seed1.bin")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - 5).write(to: file)
        let (again, againLoaded) = try SampleJudge.judge(in: folder, key: "seed1") { train(1) }
        #expect(!againLoaded && trainings == 3)
        #expect(Self.probabilities(again) == Self.probabilities(first))
        #expect(try Data(contentsOf: file) == bytes)
        // Without a folder (a chapter run alone) every call trains.
        let (_, alone) = try SampleJudge.judge(in: nil, key: "seed1") { train(1) }
        #expect(!alone && trainings == 4)
    }
}
