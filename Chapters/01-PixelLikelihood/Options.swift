import ArgumentParser
import Workbook

/// The knobs of chapter 1: the MADE on the 8x8 digits, the model that climbs highest on the
/// ladder. Unset flags keep the full run's values (or the smaller ones of `--quick`).
struct Options: ChapterCommand {
    static let configuration = CommandConfiguration(
        commandName: "ch1-pixel-likelihood",
        abstract: "Chapter 1: the chain rule over pixels; uniform, independent, FVSBN and MADE, measured in nats.")

    @OptionGroup var shared: ChapterOptions

    @Option(help: "Hidden units of the MADE on the 8x8 digits (default 512; 128 with --quick).")
    var madeHidden: Int?

    @Option(help: "Training epochs of the MADE on the 8x8 digits (default 30; 3 with --quick).")
    var madeEpochs: Int?

    @Option(help: "Weight lambda of the digits MADE's L2 penalty lambda * ||W||^2 (0 turns it off).")
    var madeL2: Float = 0.005

    func validate() throws {
        if let madeHidden, !(1...8192).contains(madeHidden) {
            throw ValidationError("--made-hidden \(madeHidden): the MADE needs 1...8192 hidden units; try 512 or 64")
        }
        if let madeEpochs, !(1...1000).contains(madeEpochs) {
            throw ValidationError("--made-epochs \(madeEpochs): train for 1...1000 epochs; try 30")
        }
        guard madeL2.isFinite, madeL2 >= 0 else {
            throw ValidationError("--made-l2 \(madeL2): the L2 weight must be finite and >= 0; try 0.005 (0: none)")
        }
    }

    /// The settings of this run: the flags where given, else the defaults for `quick`.
    var made: (hidden: Int, epochs: Int, l2: Float) {
        (madeHidden ?? (shared.quick ? 128 : 512), madeEpochs ?? (shared.quick ? 3 : 30), madeL2)
    }
}
