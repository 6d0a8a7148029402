import Tensors

/// The causal masks of PixelCNN (van den Oord et al., 2016, "Pixel Recurrent Neural Networks",
/// section 3.4) for a k x k kernel, k odd, centred on the pixel being computed.
///
/// A pixel may see the rows above it and the pixels to its left: the lecture's 5x5 mask A is
///
///     1 1 1 1 1
///     1 1 1 1 1
///     1 1 0 0 0
///     0 0 0 0 0
///     0 0 0 0 0
///
/// ones above and left of the centre, zeros from the centre on. Mask A is for the first layer,
/// which reads the image itself: the centre is the pixel being predicted, so it must stay hidden.
/// Mask B is for every later layer and also lets the centre through, since there the centre holds
/// features computed from the pixels before it only.
///
/// With colour, a pixel's values are predicted R, then G given R, then B given R and G. The
/// channels of every layer are split into `channelGroups` equal contiguous groups (3: the R, G
/// and B features), and only the centre tap distinguishes them: output group g sees input groups
/// g' < g there under mask A (R sees nothing of the current pixel, G sees R, B sees R and G), and
/// g' <= g under mask B (each group also sees itself). Taps before the centre connect every group
/// to every group; taps after it none.
public enum CausalMask: String, CaseIterable, Sendable {
    case a = "A"
    case b = "B"

    /// The 5x5 mask A exactly as the lecture prints it (row 0 at the top).
    public static let lecture5x5: [[Int]] = [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 0, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]

    /// The spatial pattern of a k x k kernel for one group (or for the groups in-between, on the
    /// centre tap see `tensor`): 1 above the centre row, and left of the centre in the centre row;
    /// the centre itself 0 for mask A, 1 for mask B; 0 after it.
    public func matrix(kernelSize k: Int) -> [[Int]] {
        precondition(k >= 1 && k % 2 == 1, "a causal mask needs an odd kernel size, got \(k)")
        let centre = k / 2
        return (0..<k).map { i in
            (0..<k).map { j in i < centre || (i == centre && (j < centre || (self == .b && j == centre))) ? 1 : 0 }
        }
    }

    /// Whether output group `output` may read input group `input` at the centre tap.
    public func connectsAtCentre(output: Int, input: Int) -> Bool { self == .a ? input < output : input <= output }

    /// The mask as a conv2d weight mask, [out, in, k, k]. `outChannels` and `inChannels` must be
    /// multiples of `channelGroups`; channel c belongs to group c / (channels / groups).
    public func tensor<S: TensorScalar>(
        outChannels: Int, inChannels: Int, kernelSize k: Int, channelGroups groups: Int = 1
    ) -> Tensor<S> {
        precondition(groups >= 1, "channelGroups must be at least 1")
        precondition(
            outChannels % groups == 0 && inChannels % groups == 0,
            "\(inChannels) -> \(outChannels) channels cannot be split into \(groups) equal groups")
        let spatial = matrix(kernelSize: k)
        let centre = k / 2
        let (outPerGroup, inPerGroup) = (outChannels / groups, inChannels / groups)
        var scalars = [S](repeating: 0, count: outChannels * inChannels * k * k)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let base = (o * inChannels + c) * k * k
                for i in 0..<k {
                    for j in 0..<k {
                        // Only the centre tap depends on the groups (with one group, it is the
                        // spatial pattern's centre: 0 for mask A, 1 for mask B).
                        let open =
                            i == centre && j == centre
                            ? connectsAtCentre(output: o / outPerGroup, input: c / inPerGroup) : spatial[i][j] == 1
                        if open { scalars[base + i * k + j] = 1 }
                    }
                }
            }
        }
        return Tensor(shape: [outChannels, inChannels, k, k], scalars: scalars)
    }
}

/// A k x k convolution (stride 1, zero padding k / 2, so the output has the input's size) whose
/// weight is multiplied by a `CausalMask`: the building block of PixelCNN. NCHW:
/// input [N, inChannels, H, W], output [N, outChannels, H, W].
///
/// The mask is a constant: `Tensor.conv2d` multiplies it into the weight and its gradient, so a
/// zero connection stays zero through training, and skips the taps it zeroes for every channel
/// pair (a 3x3 mask B keeps 5 of 9 taps, a 7x7 mask A 24 of 49).
public struct MaskedConv2d<Scalar: TensorScalar>: Layer {
    public let conv: Conv2d<Scalar>
    public let maskType: CausalMask
    public let channelGroups: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, mask: CausalMask, channelGroups: Int = 1,
        using rng: inout Random
    ) {
        self.maskType = mask
        self.channelGroups = channelGroups
        conv = Conv2d(
            inChannels, outChannels, kernelSize: kernelSize, padding: kernelSize / 2,
            mask: mask.tensor(
                outChannels: outChannels, inChannels: inChannels, kernelSize: kernelSize, channelGroups: channelGroups),
            using: &rng)
    }

    public var parameters: [Parameter<Scalar>] { conv.parameters }
    public var kernelSize: Int { conv.weight.shape[2] }

    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { conv(x) }

    /// The convolution without padding (see `Conv2d.valid`): on a k x k window, the output at its
    /// centre; on windows side by side with `stride` k, the output at the centre of each.
    public func valid(_ windows: Tensor<Scalar>, stride: Int? = nil) -> Tensor<Scalar> {
        conv.valid(windows, stride: stride)
    }
}

extension Conv2d {
    /// The weights the mask lets through (all of them without a mask): the multiply-adds of one
    /// output position.
    public var activeWeights: Int {
        mask.map { m in m.scalars.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } } ?? weight.value.count
    }

    /// The same convolution without padding, [N, in, h, w] -> [N, out, (h - k) / s + 1, (w - k) / s + 1]
    /// (stride s: the layer's, or `stride`): on a k x k window cut out of a zero-padded feature
    /// map, the output at the window's centre; on N windows side by side with stride k, the output
    /// at each centre, from one matrix product. It runs the same kernel over the same taps in the
    /// same order as the padded convolution (every output element of the GEMM is summed in one
    /// fixed order, whatever the number of positions), so the numbers are the same bit for bit:
    /// what lets a sampler compute one position at a time and still draw exactly the pixels of the
    /// full passes.
    public func valid(_ windows: Tensor<Scalar>, stride: Int? = nil) -> Tensor<Scalar> {
        Tensor.conv2d(
            windows, weight: weight.value, bias: bias.value, stride: stride ?? self.stride, padding: 0, mask: mask)
    }
}
