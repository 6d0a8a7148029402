// swift-tools-version:6.0
// GenerativeWorkbook: deep generative models taught by running them (see README.md).
// Layout and the rules behind it: one target per box of the data flow
// Data/ -> Datasets -> Models (built from Tensors) -> Chapters -> Figures/.
import Foundation
import PackageDescription

/// Compiler settings for the CPU the package is built on. On an x86-64 Linux machine whose CPU has
/// AVX2 and FMA (every Intel CPU since Haswell, 2013, and every AMD Zen), the code is compiled for
/// that instruction set (`-target-cpu haswell`): the kernels' eight-lane SIMD loops then run on
/// 256-bit registers instead of pairs of 128-bit ones, and the matrix product, where every model
/// spends most of its time, uses fused multiply-adds (`WORKBOOK_FMA`, Kernels/SGEMM.swift).
/// Anywhere else, or with `WORKBOOK_PORTABLE=1` in the environment (then delete `.build` so the
/// package is built again), the code is built for the baseline of its architecture and runs on
/// any CPU. Either way the results are reproducible run to run on one machine.
let cpuSettings: [SwiftSetting] = {
    #if arch(x86_64) && os(Linux)
        if ProcessInfo.processInfo.environment["WORKBOOK_PORTABLE"] == nil,
            let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            Set(flags.split(separator: " ")).isSuperset(of: ["avx2", "fma"])
        {
            return [.unsafeFlags(["-target-cpu", "haswell"]), .define("WORKBOOK_FMA")]
        }
    #endif
    return []
}()

let package = Package(
    name: "GenerativeWorkbook",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Plot", targets: ["Plot"]),
        .executable(name: "workbook", targets: ["workbook-runner"]),
        .executable(name: "ch2-pixelrnn", targets: ["ch2-pixelrnn"]),
        .executable(name: "ch3-pixelcnn", targets: ["ch3-pixelcnn"]),
        .executable(name: "bench", targets: ["Bench"]),
        .executable(name: "ch1-pixel-likelihood", targets: ["ch1-pixel-likelihood"]),
        .executable(name: "ch4-vae", targets: ["ch4-vae"]),
        .executable(name: "ch5-gan", targets: ["ch5-gan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // The didactic tensor library: n-d arrays, reverse-mode autodiff, layers, optimisers.
        .target(name: "Tensors"),
        // Loaders for Data/ (found next to the sources, see DataDirectory.swift), splits, batches,
        // and synthetic data with known density.
        .target(name: "Datasets", dependencies: ["Tensors"]),
        // The models of the lecture, shared by chapters, tests and benchmarks (the linear-Gaussian
        // VAE is built on the synthetic model of Datasets).
        .target(name: "Models", dependencies: ["Tensors", "Datasets"]),
        // libpng, seen from Swift through a module map (only its simplified png_image API is used).
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        // PNG figures: a raster canvas, a bitmap font, image grids and plots of plain arrays.
        .target(name: "Plot", dependencies: ["CPNG"]),
        // What every chapter shares: flags, `report`, `fit` (the one training loop), progress line,
        // results table, speed measurements.
        .target(
            name: "Workbook",
            dependencies: [
                "Tensors", "Datasets", "Models", "Plot",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // `swift run -c release workbook`: runs the chapters in lecture order.
        .executableTarget(
            name: "workbook-runner",
            dependencies: [
                "Workbook", "Plot",
                "ch2-pixelrnn",
                "ch3-pixelcnn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "ch1-pixel-likelihood",
                "ch4-vae",
                "ch5-gan",
            ],
            path: "Chapters/Workbook"),
        // Chapter 2: PixelRNN, the conditionals computed by an LSTM (raster order, Row LSTM).
        .executableTarget(
            name: "ch2-pixelrnn",
            dependencies: [
                "Workbook", "Models", "Datasets", "Plot", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/02-PixelRNN"),
        // Chapter 3: PixelCNN, masked convolutions, the blind spot and the gated fix, fast sampling.
        .executableTarget(
            name: "ch3-pixelcnn",
            dependencies: [
                "Workbook", "Models", "Datasets", "Plot", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/03-PixelCNN"),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "Tensors", "Datasets", "Models", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Bench"),
        // Chapter 1: the chain rule over pixels; the likelihood ladder the later chapters must beat.
        .executableTarget(
            name: "ch1-pixel-likelihood",
            dependencies: [
                "Workbook", "Models", "Datasets", "Plot", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/01-PixelLikelihood"),
        // Chapter 4: the VAE, the ELBO decomposition checked exactly, the reparameterization trick.
        .executableTarget(
            name: "ch4-vae",
            dependencies: [
                "Workbook", "Models", "Datasets", "Plot", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/04-VAE"),
        // Chapter 5: GANs, the optimal discriminator and the Jensen-Shannon identity.
        .executableTarget(
            name: "ch5-gan",
            dependencies: [
                "Workbook", "Models", "Datasets", "Plot", "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Chapters/05-GAN"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot"]),
        .testTarget(name: "WorkbookTests", dependencies: ["Workbook"]),
        // Small models and data shared by the two test targets below.
        .target(name: "ModelFixtures", dependencies: ["Models", "Tensors"], path: "Tests/Fixtures"),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "ModelFixtures", "Tensors", "Datasets"]),
        // The lecture's three review questions, one suite each, answered by assertions.
        .testTarget(name: "ReviewQuestionsTests", dependencies: ["Models", "ModelFixtures", "Datasets", "Tensors"]),
    ],
    swiftLanguageModes: [.v5]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + cpuSettings
}
