/// A fully connected layer: y = x . W + b, with W [inputSize, outputSize] and b [outputSize].
/// x is [..., inputSize]; y is [..., outputSize].
public struct Linear<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>

    public init(
        _ inputSize: Int, _ outputSize: Int, initializer: Initializer = .uniformFanIn, using rng: inout Random
    ) {
        weight = Parameter(
            initializer.make([inputSize, outputSize], fanIn: inputSize, fanOut: outputSize, using: &rng),
            name: "weight")
        bias = Parameter(.zeros([outputSize]), name: "bias")
    }

    public var parameters: [Parameter<Scalar>] { [weight, bias] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        Tensor.matmul(x, weight.value) + bias.value
    }
}
