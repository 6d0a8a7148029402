/// Anything with trainable parameters. A model lists its parameters explicitly (the layers'
/// parameters, in a fixed order), which is all that `valueAndGradient(of:)` and the optimisers need.
public protocol Layer {
    associatedtype Scalar: TensorScalar
    var parameters: [Parameter<Scalar>] { get }
}

/// How a weight matrix is drawn at creation. `fanIn`/`fanOut` are the number of inputs and outputs
/// of one unit (for a convolution, channels times kernel area).
public enum Initializer: Sendable {
    /// U(-a, a) with a = sqrt(6 / (fanIn + fanOut)) (Glorot and Bengio, 2010): for tanh/sigmoid.
    case xavierUniform
    /// N(0, 2 / fanIn) (He et al., 2015): for ReLU networks.
    case kaimingNormal
    /// U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's default for Linear, Conv2d and LSTM.
    case uniformFanIn

    public func make<S: TensorScalar>(_ shape: [Int], fanIn: Int, fanOut: Int, using rng: inout Random) -> Tensor<S> {
        switch self {
        case .xavierUniform:
            let a = S((6.0 / Double(fanIn + fanOut)).squareRoot())
            return .uniform(shape, low: -a, high: a, using: &rng)
        case .kaimingNormal:
            return .normal(shape, std: S((2.0 / Double(fanIn)).squareRoot()), using: &rng)
        case .uniformFanIn:
            let a = S(1 / Double(fanIn).squareRoot())
            return .uniform(shape, low: -a, high: a, using: &rng)
        }
    }
}
