// The 8x8 digits for the VAEs of section 7: as levels for the categorical decoder, as continuous
// values for the Gaussian decoder (dequantised), and what the Gaussian decoder's variances do.

import Datasets
import Foundation
import Models
import Tensors
import Workbook

/// The digits as the VAEs read them: each image a row of 64 values.
enum DigitsForVAE {
    /// The gray levels k in 0...16 as numbers: [N, 64], for the categorical decoder.
    static func levels(_ set: ImageSet) -> Tensor<Float> {
        Tensor(shape: [set.count, set.pixelsPerImage], scalars: set.pixels.map { Float($0) })
    }

    /// Dequantised levels: x = (k + u) / L with u ~ U(0, 1) drawn per pixel, from levels k [N, D]
    /// (L = 17): a continuous value in [k / L, (k + 1) / L), the bin of level k. A density p on x
    /// gives level k the probability of its bin, P(k) = integral over the bin of p(x) dx, and by
    /// Jensen's inequality log P(k) >= E_u[log p(x)] - D log L (the bin has width 1/L per pixel):
    /// so E_u[-log p(x)] + D log L is an upper bound on the discrete NLL in nats.
    static func dequantised(_ levels: Tensor<Float>, levelCount: Int, using rng: inout Random) -> Tensor<Float> {
        let u = Tensor<Float>.uniform(levels.shape, using: &rng)
        return (levels + u) * Float(1 / Double(levelCount))
    }
}

extension VAE where Scalar == Float {
    /// The standard deviation of the Gaussian decoder's p(x_i|z) at z = mu(x), per pixel, averaged
    /// over the images x [N, D] (in the units of x): [D].
    func decoderStandardDeviations(_ x: Tensor<Float>) -> [Double] {
        withoutGradient {
            let logVariance = gaussianParameters(decode(encode(x).mean)).logVariance
            let (n, d) = (x.shape[0], dataSize)
            return (0..<d).map { i in
                (0..<n).reduce(0.0) { $0 + Foundation.exp(0.5 * Double(logVariance.scalars[$1 * d + i])) } / Double(n)
            }
        }
    }
}

/// One digits VAE after training and testing: its name, training record and test bounds (nats per
/// image of the model's own x; `offset` turns them into nats per image of the 17-level digits).
struct DigitsVAEResult {
    let name: String
    let vae: VAE<Float>
    let curves: ELBOCurves
    let evaluation: VAEEvaluation
    /// Added to -log p(x) to give nats per image of the levels: 64 ln 17 for dequantised x in
    /// [0, 1), 0 for the categorical decoder.
    let offset: Double
    /// The decoder's standard deviation per pixel at z = mu(x), averaged over the test images, in
    /// gray levels (Gaussian decoders only).
    let standardDeviations: [Double]
    let seconds: Double

    /// The test -ELBO in nats per image of the levels.
    var negativeELBO: Double { -VAEEvaluation.average(evaluation.elbo) + offset }
    /// The test -IWAE-k in nats per image of the levels.
    func negativeIWAE(_ k: Int) -> Double { -VAEEvaluation.average(evaluation.importanceWeighted[k]!) + offset }
    /// The training -ELBO of the last epoch (the running mean over its minibatches) on the same scale.
    var lastTrainingNegativeELBO: Double { -curves.elbo(train: true).last! + offset }
}

extension Chapter {
    /// Trains a digits VAE (64 -> 256 -> 256 -> 2 x 16, decoder 16 -> 256 -> 256 -> 64 x outputs per
    /// pixel) with the given observation model on `data.train`, picks its weights on `data.validation`,
    /// and evaluates the bounds on `data.test` with `samples` draws per image. `prepare` transforms each
    /// training batch (the dequantisation); `offset` is added to the nats (see `DigitsVAEResult`);
    /// `levelWidth` is one gray level in the units of x (1/17 dequantised, 1/16 for k / 16).
    func digitsVAE(
        _ name: String, likelihood: VAELikelihood,
        data: (train: Tensor<Float>, validation: Tensor<Float>, test: Tensor<Float>),
        epochs: Int, samples: Int, ks: [Int], offset: Double = 0, levelWidth: Double = 1,
        prepare: ((Tensor<Float>, inout Random) -> Tensor<Float>)? = nil,
        using rng: inout Random
    ) throws -> DigitsVAEResult {
        let (train, validation, test) = data
        let vae = VAE<Float>(
            dataSize: 64, hiddenSizes: [256, 256], latentSize: 16, likelihood: likelihood, using: &rng)
        let (curves, seconds) = try timed {
            try fitVAE(vae, name, train: train, validation: validation, epochs: epochs, prepare: prepare, using: &rng)
        }
        let evaluation = vae.evaluate(test, samples: samples, ks: ks, using: &rng)
        var sd: [Double] = []
        if case .gaussian = likelihood { sd = vae.decoderStandardDeviations(test).map { $0 / levelWidth } }
        return DigitsVAEResult(
            name: name, vae: vae, curves: curves, evaluation: evaluation, offset: offset, standardDeviations: sd,
            seconds: seconds)
    }
}
