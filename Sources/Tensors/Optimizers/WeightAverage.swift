/// Polyak averaging: an exponential moving average of the weights over the training steps, the
/// weights to evaluate and keep while training goes on with the raw ones. Late in a run the raw
/// weights jitter around a minimum by the size of the last steps; their average sits nearer its
/// centre (PixelCNN++ and most image models since evaluate averaged weights).
///
/// After update t (t = 1, 2, ...): a_t = d_t a_{t-1} + (1 - d_t) w_t with
/// d_t = min(decay, (1 + t) / (10 + t)) and a_0 the weights at the start. The ramp is that of
/// TensorFlow's `ExponentialMovingAverage` with `num_updates`: the first steps, far from any useful
/// weights, are soon forgotten, and in a short run the average spans about the last tenth of it.
public final class WeightAverage<Scalar: TensorScalar> {
    /// The averages, one per parameter, in the parameters' order.
    public private(set) var averages: [[Scalar]]
    public let decay: Scalar
    /// Updates so far (the t above).
    public private(set) var steps = 0

    public init(_ parameters: [Parameter<Scalar>], decay: Scalar) {
        precondition(decay >= 0 && decay < 1, "the decay of a weight average lies in [0, 1), got \(decay)")
        averages = parameters.map(\.value.scalars)
        self.decay = decay
    }

    /// Moves the averages towards the parameters' current values (call after each optimiser step).
    public func update(_ parameters: [Parameter<Scalar>]) {
        precondition(parameters.count == averages.count, "\(parameters.count) parameters, \(averages.count) averages")
        steps += 1
        let d = Swift.min(decay, Scalar(1 + steps) / Scalar(10 + steps))
        for (i, p) in parameters.enumerated() {
            precondition(p.value.count == averages[i].count, "parameter \(p.name) changed size under its average")
            guard p.value.count > 0 else { continue }
            p.value.scalars.withUnsafeBufferPointer { w in
                averages[i].withUnsafeMutableBufferPointer { a in
                    averageKernel(a.baseAddress!, w.baseAddress!, n: a.count, decay: d)
                }
            }
        }
    }

    /// Puts the averages into the parameters and returns the values they held, to be put back
    /// after an evaluation.
    public func swapIn(_ parameters: [Parameter<Scalar>]) -> [Tensor<Scalar>] {
        let held = parameters.map(\.value)
        for (p, a) in zip(parameters, averages) { p.value = Tensor(shape: p.value.shape, scalars: a) }
        return held
    }
}
