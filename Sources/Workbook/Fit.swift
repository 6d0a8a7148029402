import Datasets
import Foundation
import Models
import Tensors

/// How the learning rate moves over a run.
public enum LearningRateSchedule: Sendable {
    /// The same rate from the first step to the last.
    case constant
    /// Per epoch, a half cosine from the full rate down to `floor` times it at the last epoch:
    /// rate(e) = rate * (floor + (1 - floor) * (1 + cos(pi t)) / 2), t = (e - 1) / (epochs - 1).
    /// Large steps early, small ones to settle at the end of a short budget.
    case cosine(floor: Double)

    /// The factor applied to the base rate in `epoch` (1-based) of `epochs`.
    public func factor(epoch: Int, of epochs: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .cosine(let floor):
            let t = Double(epoch - 1) / Double(max(epochs - 1, 1))
            return floor + (1 - floor) * 0.5 * (1 + cos(Double.pi * t))
        }
    }
}

/// The settings of one training run: Adam on shuffled minibatches, the validation loss measured
/// `evaluationsPerEpoch` times an epoch, the weights with the lowest validation loss kept.
public struct TrainingPlan: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var schedule: LearningRateSchedule
    public var evaluationsPerEpoch: Int
    /// With a decay: the weights evaluated and kept are an exponential moving average of the
    /// trained ones over the steps (Polyak averaging, `WeightAverage`), not the trained ones;
    /// training itself goes on from the trained weights.
    public var averaging: Float?

    public init(
        epochs: Int, batchSize: Int, learningRate: Float, schedule: LearningRateSchedule = .constant,
        evaluationsPerEpoch: Int = 1, averaging: Float? = nil
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.schedule = schedule
        self.evaluationsPerEpoch = evaluationsPerEpoch
        self.averaging = averaging
    }
}

/// What a training run saw, one entry per evaluation.
public struct TrainingLog: Sendable {
    /// Where the model was evaluated, in epochs (1, 2, ... or 0.5, 1, 1.5, ...).
    public var at: [Double] = []
    /// The mean training loss per example since the evaluation before.
    public var trainLoss: [Double] = []
    /// The validation loss (lower is better) at each evaluation.
    public var validationLoss: [Double] = []
    /// Seconds spent in training steps (not in validation) up to each evaluation.
    public var seconds: [Double] = []
    /// Minibatch steps taken up to each evaluation.
    public var steps: [Int] = []
    /// The evaluation whose weights were kept: the lowest validation loss.
    public var best = 0
    public var examplesSeen = 0

    public init() {}

    /// Training examples per second of training time.
    public var examplesPerSecond: Double { Double(examplesSeen) / max(seconds.last ?? 0, 1e-9) }
    /// The validation loss of the weights kept.
    public var bestValidationLoss: Double { validationLoss[best] }
    /// The epoch of the weights kept (fractional with several evaluations an epoch).
    public var bestEpoch: Double { at[best] }
    /// "kept / of", e.g. "14/20" or "5.5/12".
    public var kept: String {
        let b = at[best] == at[best].rounded() ? "\(Int(at[best]))" : "\(at[best])"
        return "\(b)/\(Int((at.last ?? 0).rounded(.up)))"
    }
}

extension Chapter {
    /// The one training loop of the workbook: minimise `loss` with Adam over `plan.epochs` epochs
    /// of minibatches from `batches`, with the learning-rate schedule of the plan; measure
    /// `validate` (lower is better) `plan.evaluationsPerEpoch` times an epoch; keep the weights
    /// with the lowest validation loss, and put them back in `parameters` at the end. With
    /// `plan.averaging`, `validate` sees (and the run keeps) the average of the weights so far. A progress
    /// line with the time left is printed as it goes; a non-finite loss stops the run with a
    /// message that says how to find its cause.
    ///
    /// - `batches` makes one epoch of minibatches from the generator (drawn when it is called),
    /// - `size` tells how many examples a batch holds (the training loss is averaged per example),
    /// - `loss` computes the minibatch loss (it may draw noise from the generator),
    /// - `validate` measures the model after each evaluation interval.
    public func fit<Batches: Sequence>(
        _ name: String, parameters: [Parameter<Float>], plan: TrainingPlan, examples: Int, using rng: inout Random,
        batches: (inout Random) -> Batches, size: (Batches.Element) -> Int,
        loss: (Batches.Element, inout Random) throws -> Tensor<Float>,
        validate: () throws -> Double
    ) throws -> TrainingLog {
        let adam = Adam<Float>(learningRate: plan.learningRate)
        var log = TrainingLog()
        var kept = (loss: Double.infinity, weights: parameters.map(\.value))
        let batchesPerEpoch = (examples + plan.batchSize - 1) / plan.batchSize
        let progress = Progress(name, total: plan.epochs * batchesPerEpoch)
        var (step, trainingSeconds) = (0, 0.0)
        let average = plan.averaging.map { WeightAverage(parameters, decay: $0) }
        for epoch in 1...plan.epochs {
            if case .cosine = plan.schedule {
                adam.learningRate = plan.learningRate * Float(plan.schedule.factor(epoch: epoch, of: plan.epochs))
            }
            var (sum, seen) = (0.0, 0)
            for (b, batch) in batches(&rng).enumerated() {
                let (value, seconds) = try timed { () throws -> Float in
                    var stepError: Error?
                    let (value, gradients) = valueAndGradient(of: parameters) { () -> Tensor<Float> in
                        do { return try loss(batch, &rng) } catch {
                            stepError = error
                            return Tensor(shape: [1], scalars: [0])
                        }
                    }
                    if let stepError { throw stepError }
                    try checkFinite(value.item, step: step, model: name)
                    adam.update(parameters, with: gradients)
                    average?.update(parameters)
                    return value.item
                }
                trainingSeconds += seconds
                step += 1
                let count = size(batch)
                (sum, seen) = (sum + Double(value) * Double(count), seen + count)
                log.examplesSeen += count
                progress.update(step: step, epoch: epoch, loss: Double(value))
                // Evaluate after each 1/evaluationsPerEpoch of the epoch.
                let part = (b + 1) * plan.evaluationsPerEpoch / batchesPerEpoch
                guard part > b * plan.evaluationsPerEpoch / batchesPerEpoch else { continue }
                log.at.append(Double(epoch - 1) + Double(part) / Double(plan.evaluationsPerEpoch))
                log.trainLoss.append(sum / Double(seen))
                (sum, seen) = (0, 0)
                log.seconds.append(trainingSeconds)
                log.steps.append(step)
                let trained = average.map { $0.swapIn(parameters) }
                let validation = try validate()
                log.validationLoss.append(validation)
                if validation < kept.loss {
                    kept = (validation, parameters.map(\.value))
                    log.best = log.at.count - 1
                }
                if let trained { for (p, w) in zip(parameters, trained) { p.value = w } }
            }
        }
        for (p, w) in zip(parameters, kept.weights) { p.value = w }
        return log
    }

    /// Trains an autoregressive image model by maximum likelihood, minimising the mean over images
    /// of -log p(x) = -sum_i log p(x_i | x_<i) (all D terms from one teacher-forced pass), with the
    /// validation NLL in nats per image deciding which weights to keep.
    public func fit<M: AutoregressiveImageModel<Float>>(
        _ model: M, _ name: String, on train: ImageSet, validation: ImageSet, plan: TrainingPlan,
        using rng: inout Random
    ) throws -> TrainingLog {
        try fit(
            name, parameters: model.parameters, plan: plan, examples: train.count, using: &rng,
            batches: { train.shuffledBatches(size: plan.batchSize, using: &$0) }, size: \.count,
            loss: { batch, _ in model.loss(batch.pixels) }, validate: { model.meanNLL(validation.pixels) })
    }
}
