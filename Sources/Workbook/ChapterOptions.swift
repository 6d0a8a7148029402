import ArgumentParser
import Foundation

/// The flags every chapter takes, and `workbook` passes on unchanged.
public struct ChapterOptions: ParsableArguments, Sendable {
    @Option(help: "Seed of the one random generator: the same seed reproduces every number and figure.")
    public var seed: UInt64 = 1

    @Flag(help: "Small sizes and few steps: a check that everything runs (seconds, not minutes).")
    public var quick = false

    @Option(
        name: .customLong("figures"), help: ArgumentHelp("Folder the PNG figures are written to.", valueName: "dir"))
    public var figuresDirectory: String = "Figures"

    @Flag(help: "Stop at the first op that produces NaN or infinity and name it (slower).")
    public var checkNumerics = false

    @Option(help: ArgumentHelp("Also write the results table as JSON to this file.", valueName: "file"))
    public var results: String?

    public init() {}

    /// The arguments that reproduce these options (what `workbook` passes to each chapter).
    public var arguments: [String] {
        var a = ["--seed", String(seed), "--figures", figuresDirectory]
        if quick { a.append("--quick") }
        if checkNumerics { a.append("--check-numerics") }
        return a
    }
}

/// An error a user can cause, with the fix in its message.
public struct WorkbookError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A chapter's command line: its own experiment flags (defaults = the full run) together with the
/// shared `ChapterOptions`, parsed in one pass so that `--help` lists them all.
///
///     struct Options: ChapterCommand {
///         static let configuration = CommandConfiguration(commandName: "ch2-pixelrnn")
///         @OptionGroup var shared: ChapterOptions
///         @Option(help: "Hidden units of the raster LSTM.") var hidden = 128
///     }
public protocol ChapterCommand: ParsableCommand {
    var shared: ChapterOptions { get }
}

/// The command line of a chapter with no flags of its own.
public struct SharedOnly: ChapterCommand {
    @OptionGroup public var shared: ChapterOptions
    public init() {}
}
