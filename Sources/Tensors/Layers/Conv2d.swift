/// A 2-D convolution layer, NCHW, with an optional constant mask multiplied into the weight
/// (the masked convolution of PixelCNN: see `Tensor.conv2d`).
/// Input [N, inChannels, H, W]; weight [outChannels, inChannels, k, k]; output [N, outChannels, H', W'].
public struct Conv2d<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    public let stride: Int
    public let padding: Int
    /// 0/1, the weight's shape, or nil for an ordinary convolution.
    public let mask: Tensor<Scalar>?

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        mask: Tensor<Scalar>? = nil, initializer: Initializer = .uniformFanIn, using rng: inout Random
    ) {
        let shape = [outChannels, inChannels, kernelSize, kernelSize]
        if let mask {
            precondition(mask.shape == shape, "Conv2d mask \(mask.shape) must have the weight's shape \(shape)")
        }
        let area = kernelSize * kernelSize
        var w: Tensor<Scalar> = initializer.make(
            shape, fanIn: inChannels * area, fanOut: outChannels * area, using: &rng)
        // Store the masked weight so the parameter itself shows which connections exist.
        if let mask { w = Tensor.combine(.multiply, w, mask) }
        weight = Parameter(w, name: "weight")
        bias = Parameter(.zeros([outChannels]), name: "bias")
        self.stride = stride
        self.padding = padding
        self.mask = mask
    }

    public var parameters: [Parameter<Scalar>] { [weight, bias] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        Tensor.conv2d(x, weight: weight.value, bias: bias.value, stride: stride, padding: padding, mask: mask)
    }
}
