import ArgumentParser
import Workbook

/// The chapter's experiment flags, parsed together with the shared ones (`--seed`, `--quick`,
/// `--figures`, ...). Left out, each takes the value of the full run (or of the quick run with
/// `--quick`), so `ch3-pixelcnn` alone reproduces the figures and numbers of the README.
struct Options: ChapterCommand {
    static let configuration = CommandConfiguration(
        commandName: "ch3-pixelcnn",
        abstract: "Chapter 3: PixelCNN. Masked convolutions, the blind spot and the gated fix, fast sampling.")

    @OptionGroup var shared: ChapterOptions

    @Option(
        help: ArgumentHelp(
            "Mask-B layers after the mask-A layer in the plain PixelCNNs (digits and MNIST); the gated one gets one more. Default 5 (2 with --quick).",
            valueName: "n"))
    var layers: Int?

    @Option(
        help: ArgumentHelp(
            "Channels of the digits PixelCNN; the gated one gets half as many per stack. Default 64 (8 with --quick).",
            valueName: "c"))
    var channels: Int?

    @Option(help: ArgumentHelp("Epochs of training on the 8x8 digits. Default 20 (2 with --quick).", valueName: "n"))
    var epochs: Int?

    @Option(
        help: ArgumentHelp("Epochs of the plain PixelCNN on MNIST-5k. Default 3 (1 with --quick).", valueName: "n"))
    var mnistEpochs: Int?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Train the gated PixelCNN (dilated, 7 layers) on MNIST-5k, the chapter's best model (on by default; --no-mnist-gated leaves it out, about 90 s less)."
    )
    var mnistGated = true

    @Option(
        help: ArgumentHelp(
            "Epochs of the gated PixelCNN on MNIST-5k. Default 8 (1 with --quick).", valueName: "n"))
    var mnistGatedEpochs: Int?

    @Option(
        help: ArgumentHelp(
            "Channels per stack of the gated PixelCNN on MNIST-5k. Default 16 (4 with --quick).", valueName: "p"))
    var mnistGatedChannels: Int?

    func validate() throws {
        if let layers, !(0...12).contains(layers) {
            throw ValidationError(
                "--layers must be between 0 and 12 (mask-B layers after the first), got \(layers); the full run uses 5")
        }
        if let channels, !(2...256).contains(channels) || channels % 2 != 0 {
            throw ValidationError(
                "--channels must be an even number between 2 and 256 (the gated net gets half per stack), got \(channels); the full run uses 64"
            )
        }
        if let epochs, !(1...200).contains(epochs) {
            throw ValidationError("--epochs must be between 1 and 200, got \(epochs); the full run uses 20")
        }
        if let mnistEpochs, !(1...100).contains(mnistEpochs) {
            throw ValidationError("--mnist-epochs must be between 1 and 100, got \(mnistEpochs); the full run uses 3")
        }
        if (mnistGatedEpochs != nil || mnistGatedChannels != nil) && !mnistGated {
            throw ValidationError(
                "--mnist-gated-epochs and --mnist-gated-channels size the gated PixelCNN on MNIST, which --no-mnist-gated leaves out; drop one or the other"
            )
        }
        if let mnistGatedEpochs, !(1...100).contains(mnistGatedEpochs) {
            throw ValidationError(
                "--mnist-gated-epochs must be between 1 and 100, got \(mnistGatedEpochs); the full run uses 8")
        }
        if let mnistGatedChannels, !(1...128).contains(mnistGatedChannels) {
            throw ValidationError(
                "--mnist-gated-channels must be between 1 and 128, got \(mnistGatedChannels); the full run uses 16")
        }
    }

    /// The sizes of this run: the flags where given, else the full (or quick) run's values.
    var plainLayers: Int { layers ?? (shared.quick ? 2 : 5) }
    var digitsChannels: Int { channels ?? (shared.quick ? 8 : 64) }
    var digitsEpochs: Int { epochs ?? (shared.quick ? 2 : 20) }
    var mnistTrainingEpochs: Int { mnistEpochs ?? (shared.quick ? 1 : 3) }
    var gatedEpochs: Int { mnistGatedEpochs ?? (shared.quick ? 1 : 8) }
    var gatedChannels: Int { mnistGatedChannels ?? (shared.quick ? 4 : 16) }
}
