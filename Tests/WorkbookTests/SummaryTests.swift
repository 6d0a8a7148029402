import Foundation
import Testing

@testable import Workbook

@Suite("Workbook summary")
struct SummaryTests {
    /// Writes one chapter metrics file the way `Chapter.saveMetrics` does.
    func write(_ metrics: [String: Double], chapter: Int, seconds: Double, into folder: URL) throws {
        let results = folder.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        let object: [String: Any] = [
            "chapter": chapter, "title": "T\(chapter)", "seed": 1, "quick": true, "seconds": seconds,
            "metrics": metrics,
        ]
        try JSONSerialization.data(withJSONObject: object).write(
            to: results.appendingPathComponent("chapter\(chapter).json"))
    }

    @Test func collectsLikelihoodSamplingAndIdentitiesAcrossChapters() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try write(
            [
                "digits/test NLL/MADE": 120.5, "digits/test bits per dim/MADE": 2.716,
                "digits/train seconds/MADE": 9,
            ], chapter: 1, seconds: 12.3, into: folder)
        try write(
            [
                "mnist/test -ELBO/VAE z20": 101.25, "mnist/test IWAE-10/VAE z20": 99.5,
                "mnist/test IWAE-100/VAE z20": 98.75,
                "mnist/sampling seconds per image/VAE z20": 0.0004,
                "ppca/max identity error/linear VAE": 1e-9,
            ], chapter: 4, seconds: 80, into: folder)
        let summary = try WorkbookSummary(figures: folder, chapterNumbers: [1, 2, 3, 4])
        #expect(summary.chapters.map(\.number) == [1, 4])  // 2 and 3 have not run: skipped

        let models = summary.modelsTable()
        #expect(models.rows.map(\.label) == ["ch1 digits/MADE", "ch4 mnist/VAE z20"])
        #expect(models.rows[0].values["test NLL"] == "120.50")
        #expect(models.rows[0].values["bits/dim"] == "2.716")
        #expect(models.rows[1].values["-ELBO"] == "101.25")
        #expect(models.rows[1].values["-IWAE bound"] == "98.75 (k 100)")  // the tightest bound wins
        #expect(models.rows[1].values["sampling ms/image"] == "0.40")

        let identities = summary.identitiesTable()
        #expect(identities.rows.map(\.label) == ["ch4 ppca/max identity error/linear VAE"])
        #expect(summary.timesTable().rows.map { $0.values["seconds"] } == ["12.3", "80.0"])
        #expect(summary.rendered().contains("Identities checked"))
    }

    @Test func aCorruptMetricsFileNamesItselfAndTheFix() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("results"), withIntermediateDirectories: true)
        try Data("{not json".utf8).write(to: folder.appendingPathComponent("results/chapter2.json"))
        do {
            _ = try WorkbookSummary(figures: folder, chapterNumbers: [2])
            Issue.record("a corrupt file was accepted")
        } catch {
            #expect("\(error)".contains("chapter2.json") && "\(error)".contains("rerun chapter 2"))
        }
    }

    @Test func samplesTableJoinsLikelihoodSampleQualityAndSpeedPerModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trilemma-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try write(
            [
                "mnist/test NLL/PixelCNN": 72.1, "mnist/samples recognised/PixelCNN": 0.05,
                "mnist/samples recognised SE/PixelCNN": 0.01,
                "mnist/samples class entropy/PixelCNN": 1.5, "mnist/samples Frechet distance/PixelCNN": 40.26,
                "mnist/sampling ms per image/PixelCNN": 20, "mnist/train seconds/PixelCNN": 70,
                "mnist/samples recognised/test images": 0.91, "mnist/test NLL/Row LSTM": 80,
            ], chapter: 3, seconds: 100, into: folder)
        try write(
            [
                "mnist/test -ELBO/VAE": 103, "mnist/test IWAE-10/VAE": 95, "mnist/test IWAE-1000/VAE": 92,
                "mnist/samples recognised/VAE": 0.3,
            ], chapter: 4, seconds: 40, into: folder)
        let table = try WorkbookSummary(figures: folder, chapterNumbers: [3, 4]).samplesTable()
        // Only models whose samples were scored; the Row LSTM has none.
        #expect(table.rows.map(\.label) == ["ch3 mnist: PixelCNN", "ch3 mnist: test images", "ch4 mnist: VAE"])
        let pixelCNN = table.rows[0].values
        #expect(pixelCNN["NLL (nats)"] == "72.10" && pixelCNN["recognised"] == "0.05 +- 0.01")
        #expect(pixelCNN["Frechet distance"] == "40.3")
        #expect(pixelCNN["sampling ms/image"] == "20.00" && pixelCNN["train s"] == "70.0")
        // A VAE's likelihood is the tightest bound it has: IWAE with the largest k.
        #expect(table.rows[2].values["NLL (nats)"] == "<= 92.00")
        #expect(table.rows[1].values["NLL (nats)"] == "-")
    }

    /// The verdict is read off the numbers: change which model leads and the sentence changes
    /// with it, and a lead inside two standard errors is called too close.
    @Test func theVerdictNamesTheWinnersFromTheNumbers() throws {
        func summary(gatedRecognised: Double) -> WorkbookSummary {
            let ch1: [String: Double] = [
                "mnist/test NLL/MADE": 85.6, "mnist/samples recognised/MADE": 0.44,
                "mnist/samples recognised SE/MADE": 0.02, "mnist/sampling ms per image/MADE": 1.1,
                "mnist/samples recognised/test images": 0.88,
            ]
            let ch3: [String: Double] = [
                "mnist/test NLL/PixelCNN": 73.5, "mnist/samples recognised/PixelCNN": 0.05,
                "mnist/samples recognised SE/PixelCNN": 0.01, "mnist/sampling ms per image/PixelCNN": 8.1,
                "mnist/test NLL/gated PixelCNN": 61.9, "mnist/samples recognised/gated PixelCNN": gatedRecognised,
                "mnist/samples recognised SE/gated PixelCNN": 0.02, "mnist/sampling ms per image/gated PixelCNN": 23,
            ]
            let ch4: [String: Double] = [
                "mnist/test -ELBO/VAE": 103, "mnist/test IWAE-1000/VAE": 91.9, "mnist/samples recognised/VAE": 0.21,
                "mnist/samples recognised SE/VAE": 0.02, "mnist/sampling ms per image/VAE": 0.01,
            ]
            return WorkbookSummary(chapters: [
                .init(number: 1, title: "", quick: false, seconds: nil, metrics: ch1),
                .init(number: 3, title: "", quick: false, seconds: nil, metrics: ch3),
                .init(number: 4, title: "", quick: false, seconds: nil, metrics: ch4),
            ])
        }
        let clear = summary(gatedRecognised: 0.60).trilemmaVerdict()
        #expect(clear[0] == "Likelihood: ch3 gated PixelCNN is best, 61.90 nats, then ch3 PixelCNN at 73.50.")
        #expect(clear[1].hasPrefix("Samples: ch3 gated PixelCNN has the most recognised, 0.60 +- 0.02, then ch1 MADE"))
        #expect(!clear[1].contains("too close"))
        #expect(
            clear[2].hasPrefix("Speed: ch4 VAE samples fastest, 0.01 ms per image; the slowest, ch3 gated PixelCNN"))
        // The clearest crossing: the plain PixelCNN beats MADE on likelihood, MADE it on samples.
        #expect(clear[3].hasPrefix("Likelihood and samples part ways: ch3 PixelCNN has the better likelihood (73.50"))
        #expect(clear[3].contains("than ch1 MADE (0.05 against 0.44)"))
        // The real images are a reference, never a winner.
        #expect(!clear.joined().contains("test images"))
        // The printed summary puts the verdict under the trilemma table.
        let text = summary(gatedRecognised: 0.60).rendered()
        let table = try #require(text.range(of: "Likelihood, samples and speed"))
        let verdict = try #require(text.range(of: "\n- Likelihood: ch3 gated PixelCNN is best"))
        #expect(table.upperBound < verdict.lowerBound)

        // Within two standard errors (0.46 against 0.44, SE 0.02 each): too close to call.
        let close = summary(gatedRecognised: 0.46).trilemmaVerdict()
        #expect(close[1].contains("too close to call"))
        // Below MADE: the sentence names MADE first.
        let behind = summary(gatedRecognised: 0.30).trilemmaVerdict()
        #expect(behind[1].hasPrefix("Samples: ch1 MADE has the most recognised, 0.44 +- 0.02"))
        // One scored model is no contest.
        #expect(
            WorkbookSummary(chapters: [
                .init(
                    number: 1, title: "", quick: false, seconds: nil,
                    metrics: [
                        "mnist/test NLL/MADE": 85.6, "mnist/samples recognised/MADE": 0.44,
                    ])
            ]).trilemmaVerdict().isEmpty)
    }
}
