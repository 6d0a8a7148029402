import Foundation
import Testing

@testable import Workbook

@Suite("Workbook plumbing")
struct WorkbookTests {
    @Test func optionsRoundTripThroughArguments() throws {
        let options = try ChapterOptions.parse(["--seed", "7", "--quick", "--figures", "/tmp/f", "--check-numerics"])
        #expect(options.seed == 7 && options.quick && options.checkNumerics && options.figuresDirectory == "/tmp/f")
        let again = try ChapterOptions.parse(options.arguments)
        #expect(again.arguments == options.arguments)
    }

    @Test func badFlagsAreRejectedWithAMessage() {
        #expect(throws: (any Error).self) { try ChapterOptions.parse(["--seed", "minus-one"]) }
        #expect(throws: (any Error).self) { try ChapterOptions.parse(["--unknown"]) }
        do {
            _ = try ChapterOptions.parse(["--seed", "x"])
        } catch {
            #expect(ChapterOptions.message(for: error).contains("seed"))
        }
    }

    @Test func figureFolderIsCreatedAndAFileIsRefused() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("wb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let nested = base.appendingPathComponent("a/b").path
        let url = try Chapter.prepareFigureFolder(nested)
        #expect(FileManager.default.fileExists(atPath: url.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: nested).isEmpty)  // the probe is gone
        let file = base.appendingPathComponent("file").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let error = #expect(throws: WorkbookError.self) { try Chapter.prepareFigureFolder(file) }
        #expect(error?.description.contains("--figures") == true)
        let underFile = #expect(throws: WorkbookError.self) { try Chapter.prepareFigureFolder(file + "/sub") }
        #expect(underFile?.description.contains("not writable") == true)
    }

    @Test func progressLineShowsStepLossRateAndETA() {
        let line = Progress.line(label: "train", step: 50, total: 200, epoch: 2, loss: 1.23456, elapsed: 10)
        #expect(line == "train: step 50/200 | epoch 2 | loss 1.2346 | 5.0 steps/s | ETA 30.0s")
        let done = Progress.line(label: "train", step: 200, total: 200, epoch: nil, loss: nil, elapsed: 75)
        #expect(done.hasSuffix("done in 1m15s"))
    }

    @Test func resultsTableAlignsColumns() throws {
        let table = ResultsTable(title: "T")
        table.add("uniform", ["nats": "181.33", "bits/dim": "4.09"])
        table.add("independent", ["nats": "106.47"])
        let text = table.rendered()
        #expect(
            text
                == """
                T

                | uniform     |   nats | bits/dim |
                |-------------|-------:|---------:|
                | uniform     | 181.33 |     4.09 |
                | independent | 106.47 |        - |
                """.replacingOccurrences(of: "| uniform     |   nats", with: "|             |   nats"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("t-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try table.writeJSON(to: path)
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        #expect((json?["columns"] as? [String]) == ["nats", "bits/dim"])
    }
}
