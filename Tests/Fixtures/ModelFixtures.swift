// Small models and data for the tests of ModelsTests and ReviewQuestionsTests (a library target of
// its own, so that both test targets share one copy).

import Models
import Tensors

/// The two PixelRNNs in small Double versions, for the checks that the chain rule is wired right.
public enum PixelRNNKind: String, CaseIterable, Sendable {
    case raster, rowK3, rowK5

    /// A model of `height` x `width` images with `levels` levels and random (not small) weights,
    /// so that every connection that exists carries a clearly non-zero gradient.
    public func make(height: Int, width: Int, levels: Int, seed: UInt64 = 7) -> any PixelRNN<Double> {
        var rng = Random(seed: seed)
        let model: any PixelRNN<Double>
        switch self {
        case .raster: model = RasterLSTM(height: height, width: width, levels: levels, hiddenSize: 4, using: &rng)
        case .rowK3:
            model = RowLSTM(height: height, width: width, levels: levels, features: 2, hiddenSize: 3, using: &rng)
        case .rowK5:
            model = RowLSTM(
                height: height, width: width, levels: levels, features: 2, hiddenSize: 3, inputKernel: 5, using: &rng)
        }
        // Scale the weights up (LSTM defaults are U(-1/sqrt(h), 1/sqrt(h))) and give the biases
        // random values, so no unit sits exactly at zero.
        for p in model.parameters {
            p.value = p.value * 1.5 + Tensor.uniform(p.shape, low: -0.3, high: 0.3, using: &rng)
        }
        // A ReLU unit that is off everywhere would cut a connection that exists; positive biases
        // in the Row LSTM's 1x1 ReLU layer keep its few units on.
        if let row = model as? RowLSTM<Double> { row.hiddenLayer.bias.value = row.hiddenLayer.bias.value + 2 }
        return model
    }

    /// The pixels the architecture lets pixel (row, column) see: all earlier ones for the raster
    /// LSTM, the triangle for the Row LSTM.
    public func field(_ model: any PixelRNN<Double>, row: Int, column: Int) -> Set<Int> {
        if let rowLSTM = model as? RowLSTM<Double> { return rowLSTM.receptiveField(row: row, column: column) }
        return Set(0..<(row * model.width + column))
    }
}

/// The two PixelCNNs in small Double versions, for the checks that the masks are right.
public enum PixelCNNKind: String, CaseIterable, Sendable {
    case plain, plainResidual, gated

    /// A model of `height` x `width` images with `depth` masked layers (3x3 kernels unless a first
    /// kernel is given) and random, not small, weights: every connection that exists carries a
    /// clearly non-zero gradient. Positive biases keep the plain net's ReLUs on (a unit that is
    /// off for every input would cut a connection that exists).
    public func make(
        height: Int, width: Int, levels: Int, depth: Int, firstKernel: Int = 3, channels: Int = 8, seed: UInt64 = 7
    ) -> any AutoregressiveImageModel<Double> {
        var rng = Random(seed: seed)
        let model: any AutoregressiveImageModel<Double>
        switch self {
        case .plain, .plainResidual:
            model = PixelCNN(
                height: height, width: width, levels: levels, channels: channels, maskedLayers: depth - 1,
                firstKernel: firstKernel,
                residual: self == .plainResidual, using: &rng)
        case .gated:
            model = GatedPixelCNN(
                height: height, width: width, levels: levels, channels: Swift.max(channels / 4, 2), layers: depth,
                firstKernel: firstKernel,
                outputHidden: 4, using: &rng)
        }
        // Noise on every weight, the masked ones too: the convolution must apply its mask itself.
        for p in model.parameters {
            p.value = p.value * 1.5 + Tensor.uniform(p.shape, low: -0.3, high: 0.3, using: &rng)
            if p.name == "bias" { p.value = p.value + (self == .gated ? 0.5 : 1.5) }
        }
        return model
    }

    /// The architecture's receptive field of pixel (row, column).
    public func field(_ model: any AutoregressiveImageModel<Double>, row: Int, column: Int) -> Set<Int> {
        if let plain = model as? PixelCNN<Double> { return plain.receptiveField(row: row, column: column) }
        return (model as! GatedPixelCNN<Double>).receptiveField(row: row, column: column)
    }
}

public enum Fixtures {
    /// Seeded images of levels 0..<levels, N x D.
    public static func randomPixels(count: Int, dimension: Int, levels: Int, seed: UInt64) -> [UInt8] {
        var rng = Random(seed: seed)
        return (0..<(count * dimension)).map { _ in UInt8(rng.index(below: levels)) }
    }

    /// Random network inputs [M, D, E] in (0.1, 0.9): not valid pixel codes, so that every input
    /// channel is exercised when dependencies are read off the gradients.
    public static func randomInputs(_ model: any AutoregressiveImageModel<Double>, count: Int = 3, seed: UInt64 = 3)
        -> Tensor<Double>
    {
        var rng = Random(seed: seed)
        return Tensor.uniform([count, model.dimension, model.encodingSize], low: 0.1, high: 0.9, using: &rng)
    }
}

extension Fixtures {
    /// A tiny VAE in Double with weights drawn from a seed: D pixels, one hidden layer, K latents,
    /// with larger weights than the default and non-zero biases, so that every unit does something.
    public static func tinyVAE(
        dataSize: Int = 5, hidden: Int = 4, latent: Int = 2, activation: Activation = .tanh, seed: UInt64 = 3
    ) -> VAE<Double> {
        var rng = Random(seed: seed)
        let vae = VAE<Double>(
            dataSize: dataSize, hiddenSizes: [hidden], latentSize: latent, encoderActivation: activation,
            decoderActivation: activation, using: &rng)
        for p in vae.parameters { p.value = p.value * 2 + Tensor.uniform(p.shape, low: -0.5, high: 0.5, using: &rng) }
        return vae
    }

    /// Seeded binary images, N x D.
    public static func binaryImages(count: Int, dataSize: Int, seed: UInt64) -> Tensor<Double> {
        var rng = Random(seed: seed)
        return .bernoulli([count, dataSize], p: 0.5, using: &rng)
    }
}
