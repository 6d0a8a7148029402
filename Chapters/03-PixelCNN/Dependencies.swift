// Which inputs an output depends on, measured by autodiff: the receptive field of one pixel, and
// the dependency matrix of a small colour stack. The chapter's main.swift reports what these find.

import Foundation
import Models
import Tensors

/// The pixel whose receptive field is measured, in an image of `height` x `width`, and the random
/// inputs [4, height * width, 1] the gradients are taken at.
struct FieldProbe {
    let height = 10, width = 13
    let row = 7, column = 6
    let inputs: Tensor<Float>
    var pixel: Int { row * width + column }

    init(using rng: inout Random) {
        inputs = Tensor<Float>.uniform([4, 10 * 13, 1], low: -1, high: 1, using: &rng)
    }

    /// The field of the probe's pixel in `model`, next to the field its masks allow
    /// (`architecture`).
    func field(of model: any AutoregressiveImageModel<Float>, architecture: Set<Int>) -> FieldRow {
        let g = model.receptiveField(ofPixel: pixel, at: inputs)
        let seen = Set(g.indices.filter { g[$0] != 0 })
        let largest = g.max()!
        return FieldRow(
            seen: seen, architecture: architecture,
            blindSpot: ReceptiveField.blindSpot(of: seen, row: row, column: column, width: width),
            log10: g.map { $0 > 0 ? Foundation.log10($0 / largest) : nil })
    }

    /// The measured fields of freshly initialised stacks of `depth` 3x3 layers for every depth in
    /// `depths`: a plain PixelCNN (mask A, then depth - 1 mask-B layers) and a gated PixelCNN,
    /// drawn from `rng` in that order, plain then gated, depth by depth.
    func fields(depths: ClosedRange<Int>, using rng: inout Random) -> (plain: [FieldRow], gated: [FieldRow]) {
        var plainFields: [FieldRow] = []
        var gatedFields: [FieldRow] = []
        for depth in depths {
            let plain = PixelCNN<Float>(
                height: height, width: width, levels: 2, channels: 8, maskedLayers: depth - 1, firstKernel: 3,
                using: &rng)
            plainFields.append(field(of: plain, architecture: plain.receptiveField(row: row, column: column)))
            let gated = GatedPixelCNN<Float>(
                height: height, width: width, levels: 2, channels: 4, layers: depth, firstKernel: 3, using: &rng)
            gatedFields.append(field(of: gated, architecture: gated.receptiveField(row: row, column: column)))
        }
        return (plainFields, gatedFields)
    }
}

/// One measured receptive field: the pixels with a non-zero gradient, those the masks allow, the
/// blind spot (unseen pixels inside the field's bounding box), and log10 of each sensitivity
/// relative to the largest (nil where it is exactly zero).
struct FieldRow {
    let seen: Set<Int>
    let architecture: Set<Int>
    let blindSpot: Set<Int>
    let log10: [Double?]
}

/// The dependency matrix of a stack of masked convolutions with R, G, B channel groups on 4x4x3
/// images: mask A 3 -> 12, mask B 12 -> 12, 1x1 mask B 12 -> 3, ReLUs between. Inputs and outputs
/// are the 48 values in the order 3 p + c (R, G, B of pixel 0, then of pixel 1, ...), so the
/// matrix shows the order inside a pixel next to the order of the pixels.
func colourStackDependencies(using rng: inout Random) -> DependencyMatrix {
    let layers = [
        MaskedConv2d<Float>(3, 12, kernelSize: 3, mask: .a, channelGroups: 3, using: &rng),
        MaskedConv2d<Float>(12, 12, kernelSize: 3, mask: .b, channelGroups: 3, using: &rng),
        MaskedConv2d<Float>(12, 3, kernelSize: 1, mask: .b, channelGroups: 3, using: &rng),
    ]
    return DependencyMatrix.of(
        { x in
            let n = x.shape[0]
            let images = x.reshaped([n, 16, 3]).permuted([0, 2, 1]).reshaped([n, 3, 4, 4])
            let y = layers[2](layers[1](layers[0](images).relu()).relu())
            return y.reshaped([n, 3, 16]).permuted([0, 2, 1]).reshaped([n, 48])
        }, at: Tensor<Float>.uniform([4, 48, 1], low: -1, high: 1, using: &rng))
}

/// The blind-spot entries of a dependency matrix of images `width` pixels wide: for every output
/// pixel, the earlier pixels inside its field's bounding box that it does not see.
func blindSpotEntries(_ m: DependencyMatrix, width: Int) -> Int {
    (0..<m.rows).reduce(0) { sum, i in
        sum + ReceptiveField.blindSpot(of: m.dependencies(of: i), row: i / width, column: i % width, width: width).count
    }
}

/// The dependency matrices of the chapter, each with the width of its images (0 for the colour
/// stack, whose blind spot is not searched): plain and gated stacks of 3x3 layers, freshly
/// initialised, on random 8x8 inputs; the two PixelCNNs trained on the digits, at `testInputs`;
/// and the colour stack.
func dependencyMatrices(
    _ digitsCNN: PixelCNN<Float>, _ digitsGated: GatedPixelCNN<Float>, testInputs: Tensor<Float>,
    using rng: inout Random
) -> [(String, DependencyMatrix, Int)] {
    let random8x8 = Tensor<Float>.uniform([4, 64, 1], low: -1, high: 1, using: &rng)
    let plain2 = PixelCNN<Float>(
        height: 8, width: 8, levels: 2, channels: 8, maskedLayers: 1, firstKernel: 3, using: &rng)
    let plain4 = PixelCNN<Float>(
        height: 8, width: 8, levels: 2, channels: 8, maskedLayers: 3, firstKernel: 3, using: &rng)
    let gated4 = GatedPixelCNN<Float>(
        height: 8, width: 8, levels: 2, channels: 4, layers: 4, firstKernel: 3, using: &rng)
    return [
        ("plain, 2 layers of 3x3", plain2.dependencyMatrix(at: random8x8), 8),
        ("plain, 4 layers of 3x3", plain4.dependencyMatrix(at: random8x8), 8),
        ("gated, 4 layers of 3x3", gated4.dependencyMatrix(at: random8x8), 8),
        ("trained digits PixelCNN", digitsCNN.dependencyMatrix(at: testInputs), 8),
        ("trained digits gated PixelCNN", digitsGated.dependencyMatrix(at: testInputs), 8),
        ("RGB groups, 4x4x3", colourStackDependencies(using: &rng), 0),
    ]
}
