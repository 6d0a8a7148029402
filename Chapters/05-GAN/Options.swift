import ArgumentParser
import Models
import Workbook

/// The generator's objective as a flag value: the minimax game's own log(1 - D(G(z))), which
/// saturates, or the non-saturating -log D(G(z)).
enum GeneratorLoss: String, CaseIterable, ExpressibleByArgument {
    case saturating
    case nonSaturating = "non-saturating"

    var objective: GeneratorObjective { self == .saturating ? .minimax : .nonSaturating }
}

/// The chapter's command line: the shared flags and the knobs of the 1-D GAN of section 2, the
/// one game whose divergence JSD(p_data || p_g) is measured exactly at every step. The defaults
/// are the chapter's full run.
struct Options: ChapterCommand {
    static let configuration = CommandConfiguration(
        commandName: "ch5-gan", abstract: "Chapter 5: GANs, the optimal discriminator and the Jensen-Shannon identity.")

    @OptionGroup var shared: ChapterOptions

    @Option(name: .customLong("k"), help: "Discriminator steps per generator step in the 1-D GAN of section 2.")
    var k: Int = 1

    @Option(
        help:
            "Generator objective of the 1-D GAN of section 2: saturating (minimise log(1 - D(G(z)))) or non-saturating (maximise log D(G(z)))."
    )
    var generatorLoss: GeneratorLoss = .nonSaturating

    @Option(name: .customLong("generator-lr"), help: "Adam learning rate of the generator in the 1-D GAN of section 2.")
    var generatorLearningRate: Float = 2e-3

    @Option(
        name: .customLong("discriminator-lr"),
        help: "Adam learning rate of the discriminator in the 1-D GAN of section 2.")
    var discriminatorLearningRate: Float = 2e-3

    func validate() throws {
        guard (1...50).contains(k) else {
            throw ValidationError("--k must be between 1 and 50 (discriminator steps per generator step), got \(k)")
        }
        for (flag, rate) in [
            ("--generator-lr", generatorLearningRate), ("--discriminator-lr", discriminatorLearningRate),
        ] {
            guard rate > 0 && rate <= 0.1 else {
                throw ValidationError(
                    "\(flag) must be in (0, 0.1] (an Adam step size; 2e-3 is the default), got \(rate)")
            }
        }
    }

    /// The 1-D GAN's setting with `k` discriminator steps, in words, as it names its metrics:
    /// "k=1" for the defaults, with the objective and the learning rates added when they differ.
    func settingName(k: Int) -> String {
        var name = "k=\(k)"
        if generatorLoss != .nonSaturating { name += ", \(generatorLoss.rawValue)" }
        if generatorLearningRate != 2e-3 || discriminatorLearningRate != 2e-3 {
            name += ", lr_G \(generatorLearningRate), lr_D \(discriminatorLearningRate)"
        }
        return name
    }
}

/// Sizes of the full run and of --quick (a check that everything runs, in seconds).
struct Sizes {
    let optimalDSteps: Int
    let trainingSteps1D: Int
    let saturationSteps: Int
    let ringSteps: Int
    let digitsSteps: Int
    let parzenSamples: Int
    init(quick: Bool) {
        optimalDSteps = quick ? 300 : 2000
        trainingSteps1D = quick ? 300 : 2000
        saturationSteps = quick ? 60 : 300
        ringSteps = quick ? 200 : 2000
        digitsSteps = quick ? 60 : 3000
        parzenSamples = quick ? 1000 : 10_000
    }
}
