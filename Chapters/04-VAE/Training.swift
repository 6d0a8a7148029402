// Training a VAE through the workbook's one training loop (`Chapter.fit`), keeping the ELBO's two
// terms per epoch for the training curves.

import Datasets
import Models
import Tensors
import Workbook

/// The ELBO's two terms per epoch, in nats per image: on the training images (the running mean over
/// the epoch's minibatches, one z per image) and on the validation images (at the end of the epoch,
/// with the same noise every epoch). `log` is the training loop's record; its validation loss is
/// -ELBO.
struct ELBOCurves {
    var train: (reconstruction: [Double], kl: [Double]) = ([], [])
    var validation: (reconstruction: [Double], kl: [Double]) = ([], [])
    var log = TrainingLog()

    /// The ELBO per epoch, reconstruction - KL.
    func elbo(train isTrain: Bool) -> [Double] {
        let terms = isTrain ? train : validation
        return zip(terms.reconstruction, terms.kl).map { $0 - $1 }
    }
    /// The epoch whose weights were kept (1-based).
    var bestEpoch: Int { Int(log.bestEpoch) }
    /// The validation ELBO of the weights kept.
    var bestValidationELBO: Double { -log.bestValidationLoss }
    /// Seconds spent in training steps.
    var seconds: Double { log.seconds.last ?? 0 }
}

extension Chapter {
    /// Trains `vae` on the rows of `train` [N, D]: Adam 1e-3 at a constant rate on shuffled batches of
    /// 100, the loss of a batch the mean over its images of -(log p(x|z) - beta KL(q(z|x) || p(z)))
    /// at one z = mu + sigma * eps per image (eps drawn per batch from `rng`); after every epoch the
    /// validation ELBO (with noise drawn once, before training, so that epochs are compared on the same
    /// eps) picks the weights kept. beta = 1 is the ELBO itself. `prepare`, if given, turns each
    /// gathered batch into what the model reads (drawing from `rng` before eps is drawn): the
    /// dequantisation of the digits.
    func fitVAE(
        _ vae: VAE<Float>, _ name: String, train: Tensor<Float>, validation: Tensor<Float>, epochs: Int,
        beta: Double = 1,
        prepare: ((Tensor<Float>, inout Random) -> Tensor<Float>)? = nil, using rng: inout Random
    ) throws -> ELBOCurves {
        let validationNoise = vae.noise(count: validation.shape[0], using: &rng)
        var trainTerms: (reconstruction: [Double], kl: [Double]) = ([], [])
        var validationTerms: (reconstruction: [Double], kl: [Double]) = ([], [])
        var sums = (reconstruction: 0.0, kl: 0.0)
        let n = train.shape[0]
        let log = try fit(
            name, parameters: vae.parameters, plan: TrainingPlan(epochs: epochs, batchSize: 100, learningRate: 1e-3),
            examples: n,
            using: &rng,
            batches: { ShuffledBatches(count: n, batchSize: 100, using: &$0) }, size: \.count,
            loss: { rows, rng in
                let x = prepare.map { $0(train.gatheringRows(rows), &rng) } ?? train.gatheringRows(rows)
                let t = vae.elboTerms(x, noise: vae.noise(count: rows.count, using: &rng))
                withoutGradient {
                    sums.reconstruction += Double(t.reconstruction.detached.sum().item)
                    sums.kl += Double(t.kl.detached.sum().item)
                }
                return beta == 1 ? -t.elbo.mean() : -(t.reconstruction - t.kl * Float(beta)).mean()
            },
            validate: {
                trainTerms.reconstruction.append(sums.reconstruction / Double(n))
                trainTerms.kl.append(sums.kl / Double(n))
                sums = (0, 0)
                let v = withoutGradient { vae.elboTerms(validation, noise: validationNoise) }
                let (reconstruction, kl) = (Double(v.reconstruction.mean().item), Double(v.kl.mean().item))
                validationTerms.reconstruction.append(reconstruction)
                validationTerms.kl.append(kl)
                return -(reconstruction - kl)
            })
        return ELBOCurves(train: trainTerms, validation: validationTerms, log: log)
    }
}
