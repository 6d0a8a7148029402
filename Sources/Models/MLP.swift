// Multi-layer perceptrons: the generators and discriminators of chapter 5 and the encoders and
// decoders of chapter 4's VAE.

import Tensors

/// The nonlinearity between the layers of an `MLP`.
public enum Activation: Sendable, Equatable {
    case relu
    /// max(x, slope * x), the usual choice in GAN discriminators (slope 0.2 in DCGAN).
    case leakyRelu(slope: Double)
    case tanh
    case sigmoid

    public func callAsFunction<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
        switch self {
        case .relu: x.relu()
        case .leakyRelu(let slope): x.leakyRelu(slope: S(slope))
        case .tanh: x.tanh()
        case .sigmoid: x.sigmoid()
        }
    }
}

/// A multi-layer perceptron: `Linear` layers of the given sizes with `activation` between them
/// and `output` (nil: none) after the last. x is [N, sizes.first]; the result is [N, sizes.last].
/// The GAN's generators and discriminators are MLPs, as in the GAN paper's MNIST model; so are
/// the VAE's encoder and decoder.
public struct MLP<Scalar: TensorScalar>: Layer {
    public let layers: [Linear<Scalar>]
    public let activation: Activation
    public let output: Activation?

    public init(
        sizes: [Int], activation: Activation, output: Activation? = nil, initializer: Initializer = .uniformFanIn,
        using rng: inout Random
    ) {
        precondition(
            sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an MLP needs at least two positive sizes, got \(sizes)")
        var layers: [Linear<Scalar>] = []
        for (a, b) in zip(sizes, sizes.dropFirst()) {
            layers.append(Linear(a, b, initializer: initializer, using: &rng))
        }
        self.layers = layers
        self.activation = activation
        self.output = output
    }

    public var parameters: [Parameter<Scalar>] { layers.flatMap(\.parameters) }

    /// The number of trainable numbers.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = activation(h) }
        }
        return output.map { $0(h) } ?? h
    }
}

/// An MLP with dropout after every hidden activation, the regulariser of the GAN paper's MNIST
/// discriminator: while `isTraining`, each hidden unit is zeroed with probability `rate` and the
/// others are scaled by 1 / (1 - rate), so that every unit's expected value is unchanged; with
/// `isTraining` false it is the plain MLP. The masks are drawn from its own generator, `rng`
/// (seed it from the chapter's), so a run is reproducible.
public final class DropoutMLP<Scalar: TensorScalar>: Network {
    public let mlp: MLP<Scalar>
    public let rate: Double
    public var isTraining = true
    public var rng: Random

    public init(_ mlp: MLP<Scalar>, rate: Double, rng: Random) {
        precondition(rate >= 0 && rate < 1, "the dropout rate must be in [0, 1), got \(rate)")
        self.mlp = mlp
        self.rate = rate
        self.rng = rng
    }

    public var parameters: [Parameter<Scalar>] { mlp.parameters }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var h = x
        for (i, layer) in mlp.layers.enumerated() {
            h = layer(h)
            if i < mlp.layers.count - 1 {
                h = mlp.activation(h)
                if isTraining && rate > 0 {
                    let keep = Tensor<Scalar>.bernoulli(h.shape, p: 1 - rate, using: &rng)
                    h = h * (keep / Scalar(1 - rate))
                }
            }
        }
        return mlp.output.map { $0(h) } ?? h
    }
}

/// A layer that maps a batch to a batch: what a generator and a discriminator are.
public protocol Network: Layer {
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar>
}

extension MLP: Network {}
