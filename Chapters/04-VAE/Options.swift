// Chapter 4's command line: the shared flags and the knobs a student would turn.

import ArgumentParser
import Workbook

struct Options: ChapterCommand {
    static let configuration = CommandConfiguration(
        commandName: "ch4-vae",
        abstract:
            "Chapter 4: variational autoencoders: the ELBO, the reparameterization trick, IWAE and the gap to log p(x)."
    )

    @OptionGroup var shared: ChapterOptions

    @Option(
        help: "Size of the larger VAE's latent space z (the other VAE's is 2, so that it can be drawn and integrated).")
    var latent = 32

    @Option(help: "Training epochs of the MNIST VAEs (default 60, or 2 with --quick).")
    var epochs: Int?

    @Option(
        help:
            "Weight beta of the KL term in the training loss -E_q[log p(x|z)] + beta KL(q(z|x) || p(z)); 1 is the ELBO."
    )
    var beta = 1.0

    @Option(
        help:
            "Smallest variance sigma^2 of the digits' Gaussian decoder, in units of x in [0, 1) (1e-3: sigma >= 0.54 gray levels)."
    )
    var varianceFloor = 1e-3

    func validate() throws {
        guard (1...256).contains(latent) else {
            throw ValidationError("--latent \(latent) is out of range: give a latent size from 1 to 256 (default 32).")
        }
        if let epochs, !(1...1000).contains(epochs) {
            throw ValidationError("--epochs \(epochs) is out of range: give 1 to 1000 epochs (default 60).")
        }
        guard beta.isFinite, beta >= 0, beta <= 100 else {
            throw ValidationError(
                "--beta \(beta) is out of range: give a weight from 0 to 100 (1 trains on the ELBO itself).")
        }
        guard varianceFloor.isFinite, varianceFloor > 0, varianceFloor <= 1 else {
            throw ValidationError(
                "--variance-floor \(varianceFloor) is out of range: give a variance in (0, 1], e.g. 1e-3.")
        }
    }
}

/// Sizes of the full run and of --quick (a check that everything runs, in seconds).
struct Sizes {
    let epochs: Int
    let evaluationSamples: Int
    let ks: [Int]
    let quadratureImagesPerDigit: Int
    let linearGaussianSteps: Int
    let gradientRepeats: Int
    let gradientSampleCounts: [Int]
    let digitsEpochs: Int
    let gaussianEpochs: Int
    let gaussianSamples: Int
    let gaussianKs: [Int]
    init(quick: Bool, epochs: Int?) {
        self.epochs = epochs ?? (quick ? 2 : 60)
        evaluationSamples = quick ? 100 : 1000
        ks = quick ? [1, 10, 100] : [1, 10, 100, 1000]
        quadratureImagesPerDigit = quick ? 1 : 4
        linearGaussianSteps = quick ? 300 : 3000
        gradientRepeats = quick ? 50 : 400
        gradientSampleCounts = [1, 10, 100]
        digitsEpochs = quick ? 2 : 50
        gaussianEpochs = quick ? 2 : 100
        gaussianSamples = quick ? 10 : 100
        gaussianKs = quick ? [1, 10] : [1, 10, 100]
    }
}
