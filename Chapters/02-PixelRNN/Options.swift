import ArgumentParser
import Workbook

/// The knobs of chapter 2. Unset flags keep the full run's values (or the smaller ones of `--quick`).
struct Options: ChapterCommand {
    static let configuration = CommandConfiguration(
        commandName: "ch2-pixelrnn",
        abstract: "Chapter 2: PixelRNN; a raster LSTM and a Row LSTM on 8x8 digits, how good and how slow.")

    @OptionGroup var shared: ChapterOptions

    @Option(help: "Hidden units of the raster LSTM (default 128; 32 with --quick). The Row LSTM keeps its size.")
    var hidden: Int?

    @Option(help: "Training epochs of both LSTMs (default 20; 2 with --quick).")
    var epochs: Int?

    @Option(help: "Adam's learning rate at the first epoch; a cosine takes it to a tenth at the last.")
    var learningRate: Float = 3e-3

    func validate() throws {
        if let hidden, !(1...2048).contains(hidden) {
            throw ValidationError("--hidden \(hidden): the raster LSTM needs 1...2048 hidden units; try 128 or 32")
        }
        if let epochs, !(1...1000).contains(epochs) {
            throw ValidationError("--epochs \(epochs): train for 1...1000 epochs; try 20")
        }
        guard learningRate.isFinite, learningRate > 0, learningRate < 1 else {
            throw ValidationError("--learning-rate \(learningRate): Adam needs a rate between 0 and 1; try 3e-3")
        }
    }

    /// The settings of this run: the flags where given, else the defaults for `quick`.
    var run: (hidden: Int, epochs: Int, learningRate: Float) {
        (hidden ?? (shared.quick ? 32 : 128), epochs ?? (shared.quick ? 2 : 20), learningRate)
    }
}
