import Datasets
import Foundation
import Models
import Tensors

/// How fast an autoregressive image model trains, scores and samples on this machine: what the
/// lecture's speed argument is about (one pass to train a PixelCNN, D sequential steps to sample
/// any autoregressive model), measured the same way for every model.
public struct ModelSpeed: Sendable {
    /// Multiply-adds per pixel of one pass (the weights one pixel's computation touches).
    public var multiplyAddsPerPixel = 0
    /// Training throughput: images per second of Adam steps on minibatches of 16.
    public var trainImagesPerSecond = 0.0
    /// Sequential network steps of one teacher-forced pass, and of sampling, as the model ran them.
    public var stepsToTrain = 0
    public var stepsToSample = 0
    /// log p(x) of one image, and one sample drawn alone (median milliseconds).
    public var logLikelihoodMs = 0.0
    public var sampleMs = 0.0
    /// Milliseconds per image when a batch is sampled at once.
    public var batchSampleMs = 0.0
    /// One sample drawn by the model's naive sampler (every pass recomputed), when there is one.
    public var naiveSampleMs: Double?

    public init() {}
}

/// The median wall-clock milliseconds of `repeats` runs of `body`.
public func medianMilliseconds(_ repeats: Int, _ body: () -> Void) -> Double {
    let times = (0..<max(repeats, 1)).map { _ in timed(body).seconds * 1000 }.sorted()
    return times[times.count / 2]
}

/// Measures `model` on `data` (see `ModelSpeed`): `trainingSteps` Adam steps on minibatches of 16
/// (the weights are put back afterwards, so a trained model stays as it was), the sequential steps
/// of one pass and of one sample, the time of log p(x) and of a sample for one image, and the time
/// per image of a batch of `samplingBatch` samples. Larger images (D > 100) and `quick` runs take
/// fewer repeats. All randomness comes from `rng`.
public func measureSpeed(
    of model: any AutoregressiveImageModel<Float>, naive: (any AutoregressiveImageModel<Float>)? = nil,
    on data: ImageSet, trainingSteps: Int, samplingBatch: Int, quick: Bool, using rng: inout Random
) -> ModelSpeed {
    var s = ModelSpeed()
    s.multiplyAddsPerPixel = model.multiplyAddsPerPixel
    let d = model.dimension
    let saved = model.parameters.map(\.value)
    let adam = Adam<Float>(learningRate: 1e-4)
    var (images, seconds) = (0, 0.0)
    for (b, batch) in data.shuffledBatches(size: 16, using: &rng).enumerated() where b < trainingSteps {
        seconds +=
            timed {
                let (_, grads) = valueAndGradient(of: model.parameters) { model.loss(batch.pixels) }
                adam.update(model.parameters, with: grads)
            }.seconds
        images += batch.count
    }
    for (p, w) in zip(model.parameters, saved) { p.value = w }
    s.trainImagesPerSecond = Double(images) / seconds
    // Sequential steps of one pass over a batch, and of sampling a batch, as the model ran them.
    model.steps.reset()
    _ = model.logLikelihoods(Array(data.pixels[0..<(8 * d)]))
    var countRNG = Random(seed: 0)
    _ = model.sample(count: 2, using: &countRNG)
    (s.stepsToTrain, s.stepsToSample) = (model.steps.teacherForced, model.steps.sampling)
    // One image: log p(x), and a sample (no batch to share the cost of a step); then a batch.
    let one = Array(data.pixels[0..<d])
    let big = d > 100
    s.logLikelihoodMs = medianMilliseconds(big ? 5 : 21) { _ = model.logLikelihoods(one) }
    s.sampleMs = medianMilliseconds(quick || big ? 3 : 7) { _ = model.sample(count: 1, using: &rng) }
    s.batchSampleMs =
        timed { _ = model.sample(count: samplingBatch, using: &rng) }.seconds * 1000 / Double(samplingBatch)
    if let naive { s.naiveSampleMs = medianMilliseconds(big ? 1 : 3) { _ = naive.sample(count: 1, using: &rng) } }
    return s
}
