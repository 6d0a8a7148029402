import ArgumentParser
import Foundation
import Tensors

/// The chapters of the workbook, in lecture order: number, executable name, title.
public enum Chapters {
    public struct Entry: Sendable {
        public let number: Int
        public let executable: String
        public let title: String
    }
    /// Chapters are added here as they are written; `workbook` runs the ones listed.
    public static let all: [Entry] = [
        Entry(number: 1, executable: "ch1-pixel-likelihood", title: "Pixel-level likelihood"),
        Entry(number: 2, executable: "ch2-pixelrnn", title: "PixelRNN"),
        Entry(number: 3, executable: "ch3-pixelcnn", title: "PixelCNN"),
        Entry(number: 4, executable: "ch4-vae", title: "Variational autoencoders"),
        Entry(number: 5, executable: "ch5-gan", title: "Generative adversarial networks"),
    ]
}

/// What a running chapter has at hand: its options, the seeded generator, where figures go, and
/// the results table it fills. A chapter's `main.swift` is one call:
///
///     Chapter.run(number: 1, title: "Pixel-level likelihood") { chapter in
///         var rng = chapter.rng
///         ...
///         try chapter.save(canvas, as: "samples.png")
///     }
public final class Chapter {
    public let number: Int
    public let title: String
    public let options: ChapterOptions
    /// The one generator every random choice of the chapter goes through, seeded by `--seed`.
    public var rng: Random
    public let results: ResultsTable
    /// Named numbers this chapter measured ("digits/test NLL/PixelCNN" -> 84.1), saved to
    /// `<figures>/results/chapterN.json` so later chapters and the workbook summary can compare.
    public private(set) var metrics: [String: Double] = [:]
    public let figures: URL
    private let started = Date()
    /// The sample judge, once trained (see `sampleJudge()`).
    var cachedJudge: SampleJudge?

    init(number: Int, title: String, options: ChapterOptions) throws {
        self.number = number
        self.title = title
        self.options = options
        self.rng = Random(seed: options.seed)
        self.results = ResultsTable(title: "Chapter \(number): \(title)")
        self.figures = try Chapter.prepareFigureFolder(options.figuresDirectory)
    }

    /// Parses the command line as `Command` (the chapter's own flags together with the shared
    /// `ChapterOptions`), runs `body`, prints the results table, and turns any error into one
    /// clear message and exit status 1 (never a crash trace). `--help` lists every flag.
    public static func run<Command: ChapterCommand>(
        number: Int, title: String, options _: Command.Type, arguments: [String]? = nil,
        _ body: (Chapter, Command) throws -> Void
    ) {
        let command: Command
        do {
            command = try Command.parse(arguments ?? Array(CommandLine.arguments.dropFirst()))
        } catch {
            Command.exit(withError: error)
        }
        let options = command.shared
        do {
            let chapter = try Chapter(number: number, title: title, options: options)
            print("== Chapter \(number): \(title) (seed \(options.seed)\(options.quick ? ", quick" : "")) ==")
            try NumericsCheck.enabled(options.checkNumerics) { try body(chapter, command) }
            print()
            print(chapter.results.rendered())
            try chapter.saveMetrics()
            if let path = options.results { try chapter.results.writeJSON(to: path) }
            print(
                String(
                    format: "Chapter %d finished in %.1f s; figures in %@", number, chapter.elapsed,
                    chapter.figures.path))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }

    /// A chapter without flags of its own: only the shared ones.
    public static func run(
        number: Int, title: String, arguments: [String]? = nil, _ body: (Chapter) throws -> Void
    ) {
        run(number: number, title: title, options: SharedOnly.self, arguments: arguments) { chapter, _ in
            try body(chapter)
        }
    }

    /// Reports one measured number, the one way a chapter states a result: it is printed with its
    /// name (and the reference or expected value, when there is one), entered in the chapter's
    /// results table (row `data: model`, column `measure`, read from a name of the form
    /// `data/measure/model`), and recorded under `name` for the results JSON and the summary.
    /// Returns the value, so a report can stand where the number is computed.
    @discardableResult
    public func report(
        _ name: String, _ value: Double, digits: Int = 2, unit: String = "", reference: Double? = nil,
        expected: Double? = nil, note: String = ""
    ) -> Double {
        record(name, value)
        let shown = Self.format(value, digits: digits)
        let label: String
        let column: String
        if let parts = MetricName(name) {
            (label, column) = ("\(parts.data): \(parts.model)", parts.measure)
        } else {
            (label, column) = (name, "value")
        }
        results.set(row: label, column: column, to: shown)
        var line = "  \(label), \(column): \(shown)\(unit.isEmpty ? "" : " " + unit)"
        if let reference { line += " (reference \(Self.format(reference, digits: digits)))" }
        if let expected { line += " (expected \(Self.format(expected, digits: digits)))" }
        if !note.isEmpty { line += "; " + note }
        print(line)
        return value
    }

    /// Fixed digits for ordinary magnitudes, scientific notation for tiny errors and huge counts.
    static func format(_ x: Double, digits: Int) -> String {
        let a = abs(x)
        if a != 0 && (a < 1e-3 || a >= 1e7) { return String(format: "%.3g", x) }
        return String(format: "%.\(digits)f", x)
    }

    /// Records a measured number under a stable name (see `metrics`).
    public func record(_ name: String, _ value: Double) { metrics[name] = value }

    /// Where chapter `n`'s metrics are saved in this run's figures folder.
    public func metricsURL(chapter n: Int) -> URL {
        figures.appendingPathComponent("results").appendingPathComponent("chapter\(n).json")
    }

    func saveMetrics() throws {
        let url = metricsURL(chapter: number)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let object: [String: Any] = [
            "chapter": number, "title": title, "seed": options.seed, "quick": options.quick,
            "seconds": (elapsed * 10).rounded() / 10, "metrics": metrics,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: url)
    }

    /// The metrics an earlier chapter saved in the same figures folder, if it has run (with the
    /// same --quick setting); nil otherwise. Chapters use them for side-by-side comparisons and
    /// say so when they are missing.
    public func metrics(ofChapter n: Int) -> [String: Double]? {
        guard let data = try? Data(contentsOf: metricsURL(chapter: n)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            (object["quick"] as? Bool) == options.quick
        else { return nil }
        return object["metrics"] as? [String: Double]
    }

    /// Seconds since the chapter started.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// The path of a figure file in the figures folder.
    public func figurePath(_ name: String) -> String { figures.appendingPathComponent(name).path }

    /// Creates the figures folder if needed and checks that files can be written there.
    static func prepareFigureFolder(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw WorkbookError("--figures \(path) is a file, not a folder; pass a folder name, e.g. --figures Figures")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let probe = url.appendingPathComponent(".write-test-\(getpid())")
            guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
                throw WorkbookError("")
            }
            try? FileManager.default.removeItem(at: probe)
        } catch {
            throw WorkbookError(
                "cannot write figures to \(path): the folder is not writable; pass another one with --figures DIR")
        }
        return url
    }

    /// Throws if the loss of a training step is not finite, or if the check mode saw an op produce
    /// NaN/infinity; the message names the step (and the op, with --check-numerics).
    public func checkFinite(_ loss: Float, step: Int, model: String) throws {
        try NumericsCheck.throwIfFound(step: step)
        if !loss.isFinite {
            throw WorkbookError(
                "training \(model): the loss became \(loss) at step \(step). Rerun with --check-numerics to find the op that produced it; a lower learning rate or gradient clipping usually fixes it"
            )
        }
    }
}
