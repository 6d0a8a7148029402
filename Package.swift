// swift-tools-version:6.0
// GenerativeWorkbook: deep generative models taught by running them (see README.md).
// Layout and the rules behind it: one target per box of the data flow
// Data/ -> Datasets -> Models (built from Tensors) -> Chapters -> Figures/.
import PackageDescription

let package = Package(
    name: "GenerativeWorkbook",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Plot", targets: ["Plot"]),
        .executable(name: "workbook", targets: ["workbook-runner"]),
        .executable(name: "ch2-pixelrnn", targets: ["ch2-pixelrnn"]),
        .executable(name: "bench", targets: ["Bench"]),
        .executable(name: "ch1-pixel-likelihood", targets: ["ch1-pixel-likelihood"]),
        .executable(name: "ch4-vae", targets: ["ch4-vae"]),
        .executable(name: "ch5-gan", targets: ["ch5-gan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // PNG figures: a raster canvas, a bitmap font, image grids and plots of plain arrays.
        .target(name: "Plot", dependencies: ["CPNG"]),
        // What every chapter shares: flags, progress line, results table, timing.
        .target(
            name: "Workbook",
            dependencies: [
                "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // `swift run -c release workbook`: runs the chapters in lecture order.
        .executableTarget(
            name: "workbook-runner",
            dependencies: [
                "Workbook",
                "ch2-pixelrnn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "ch1-pixel-likelihood",
                "ch4-vae",
                "ch5-gan",
            ],
            path: "Chapters/Workbook"),
        // Chapter 2: PixelRNN, the conditionals computed by an LSTM (raster order, Row LSTM).
        .executableTarget(
            name: "ch2-pixelrnn", dependencies: ["Workbook", "Models", "Datasets", "Plot", "Tensors"],
            path: "Chapters/02-PixelRNN"),
        .executableTarget(
            name: "Bench",
            dependencies: ["Tensors", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Bench"),
        // Chapter 1: the chain rule over pixels; the likelihood ladder the later chapters must beat.
        .executableTarget(
            name: "ch1-pixel-likelihood", dependencies: ["Workbook", "Models", "Datasets", "Plot", "Tensors"],
            path: "Chapters/01-PixelLikelihood"),
        // Chapter 4: the VAE, the ELBO decomposition checked exactly, the reparameterization trick.
        .executableTarget(
            name: "ch4-vae", dependencies: ["Workbook", "Models", "Datasets", "Plot", "Tensors"],
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
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensors", "Datasets"]),
    ],
    swiftLanguageModes: [.v5]
)
