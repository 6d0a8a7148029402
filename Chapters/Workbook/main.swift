// `swift run -c release workbook`: runs the chapters of the workbook in lecture order, each as its
// own executable with the same flags, so a chapter runs the same code whether started alone
// (`swift run -c release ch1-pixel-likelihood`) or from here.

import ArgumentParser
import Foundation
import Plot
import Workbook

struct WorkbookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workbook", abstract: "Runs the chapters of GenerativeWorkbook in lecture order.")

    @Option(help: "Run only this chapter (1-5).")
    var chapter: Int?

    @OptionGroup var options: ChapterOptions

    func validate() throws {
        if let chapter, !(1...5).contains(chapter) {
            throw ValidationError("--chapter must be 1 to 5, got \(chapter)")
        }
        if let chapter, !Chapters.all.contains(where: { $0.number == chapter }) {
            throw ValidationError("chapter \(chapter) is not written yet; written: \(Chapters.all.map(\.number))")
        }
    }

    func run() throws {
        let selected = Chapters.all.filter { chapter == nil || $0.number == chapter }
        if selected.isEmpty {
            print("No chapters are written yet.")
            return
        }
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let started = Date()
        // The chapters share one sample judge: the first to score samples trains it and saves its
        // weights in this fresh folder, the others load them (SampleJudge, WORKBOOK_JUDGE_CACHE).
        // Where no folder can be made, each chapter trains its own, as when started alone.
        let judgeFolder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "generative-workbook-judge-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: judgeFolder)
        var environment = ProcessInfo.processInfo.environment
        if (try? FileManager.default.createDirectory(at: judgeFolder, withIntermediateDirectories: true)) != nil {
            environment[SampleJudge.cacheVariable] = judgeFolder.path
        }
        defer { try? FileManager.default.removeItem(at: judgeFolder) }
        for entry in selected {
            let exe = folder.appendingPathComponent(entry.executable)
            guard FileManager.default.isExecutableFile(atPath: exe.path) else {
                throw WorkbookError(
                    "\(entry.executable) is not built next to workbook in \(folder.path); run `swift build -c release` first"
                )
            }
            let process = Process()
            process.executableURL = exe
            process.arguments = options.arguments
            process.environment = environment
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 0 {
                throw WorkbookError(
                    "chapter \(entry.number) (\(entry.executable)) failed with status \(process.terminationStatus)")
            }
            print()
        }
        // One table of every chapter's numbers, read back from the metrics the chapters saved.
        let summary = try WorkbookSummary(
            figures: URL(fileURLWithPath: options.figuresDirectory), chapterNumbers: selected.map(\.number))
        print("== Summary ==")
        print()
        print(summary.rendered())
        // The trilemma in one picture: likelihood against sample quality, one point per model,
        // its sampling time in the legend. The fraction recognised runs from 0 to 1 (the real
        // images reach about 0.9), and the NLL axis leaves a margin so no point sits on a frame.
        let points = summary.trilemmaPoints()
        if points.count >= 2 {
            let (low, high) = (points.map(\.nll).min()!, points.map(\.nll).max()!)
            let margin = Swift.max((high - low) * 0.05, 1)
            let path = URL(fileURLWithPath: options.figuresDirectory).appendingPathComponent("trilemma.png").path
            try scatterPlot(
                x: points.map(\.nll), y: points.map(\.recognised), classes: Array(points.indices),
                classNames: points.map { p in
                    p.model + (p.samplingMs.map { String(format: ", %.2f ms/image", $0) } ?? "")
                },
                title: "MNIST-5k: likelihood against samples the judge recognises",
                xLabel: "test NLL or tightest bound (nats per image)", yLabel: "samples recognised (fraction)",
                markerRadius: 7, width: 1200, height: 700, xRange: (low - margin)...(high + margin), yRange: 0...1
            ).writePNG(to: path)
            print()
            print("wrote \(path): the trilemma, one point per model")
        }
        print()
        print(String(format: "workbook: %d chapter(s) in %.1f s", selected.count, Date().timeIntervalSince(started)))
    }
}

WorkbookCommand.main()
