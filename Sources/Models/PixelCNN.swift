import Tensors

/// How a PixelCNN draws an image: both run H * W sequential steps, one per pixel, and draw the
/// same pixels for the same generator (bit for bit: the tests check it).
public enum PixelCNNSampler: String, CaseIterable, Sendable {
    /// The lecture's way: at step i, one full pass of the network over the image drawn so far,
    /// of which only the logits of pixel i are used. H * W passes per image.
    case naive
    /// Every position of every layer computed once, at the step when it becomes computable, and
    /// kept (in the spirit of "Fast PixelCNN++", Ramachandran et al. 2017): a pixel once drawn
    /// never changes, so neither does any feature computed from it. About one pass in all.
    case cached
}

/// PixelCNN (van den Oord et al., 2016, "Pixel Recurrent Neural Networks", section 3.4): the
/// conditionals p(x_i | x_<i) of every pixel at once, from a stack of masked convolutions:
///
///     h_1     = relu(MaskA_{k1 x k1} * e(x))                          the first layer: centre hidden
///     h_l     = h_{l-1} + relu(MaskB_{k x k} * h_{l-1})   l = 2..L    residual (or without h_{l-1})
///     logits  = W_out . [relu(W_hid . h_L)] + b                      1x1 layers, per pixel
///
/// with e(x) the pixels' input vectors (scaled level, and one-hot code for K > 2, see
/// `AutoregressiveImageModel.inputs`). Mask A makes h_1 at pixel i depend on pixels before i
/// only; mask B keeps it so, layer after layer; the 1x1 layers mix channels of one pixel. So all
/// D conditionals come out of one parallel pass: training needs one sequential step, not D.
/// Sampling still needs D, one per pixel.
///
/// The price is a *blind spot*: a mask-B layer reads the row above at j - 1, j, j + 1 and the
/// current row at j - 1, j, so the field grows up and to the left but, to the right, by only one
/// column per row up; pixels above and to the right beyond that are never seen, however deep
/// the stack (`receptiveField(row:column:)`; `GatedPixelCNN` removes it).
public struct PixelCNN<Scalar: TensorScalar>: AutoregressiveImageModel {
    public let height: Int
    public let width: Int
    public let levels: Int
    /// Mask A, k1 x k1, E -> C.
    public let firstLayer: MaskedConv2d<Scalar>
    /// Mask B, k x k, C -> C, each followed by a ReLU.
    public let layers: [MaskedConv2d<Scalar>]
    /// Whether each mask-B layer adds its input back (h_l = h_{l-1} + relu(...)).
    public let residual: Bool
    /// An optional 1x1 ReLU layer before the output layer.
    public let hiddenOutput: Conv2d<Scalar>?
    /// 1x1, to the logits of a pixel.
    public let output: Conv2d<Scalar>
    /// The sampler `complete` (and so `sample`, `completions`) uses; copies share parameters.
    public var sampler: PixelCNNSampler = .cached
    public let steps = SequentialSteps()
    public let oneHotInputs: Bool

    /// - Parameters:
    ///   - channels: C, the feature maps of every layer.
    ///   - maskedLayers: the number of mask-B layers after the mask-A layer.
    ///   - firstKernel: k1 of the mask-A layer; `kernel`: k of the mask-B layers (both odd).
    ///   - outputHidden: channels of a 1x1 ReLU layer before the output layer, or nil for none.
    ///   - oneHotInputs: whether e(v) includes the one-hot code of the level (K > 2).
    public init(
        height: Int, width: Int, levels: Int, channels: Int, maskedLayers: Int, firstKernel: Int = 7, kernel: Int = 3,
        residual: Bool = true, outputHidden: Int? = nil, oneHotInputs: Bool = true, using rng: inout Random
    ) {
        precondition(height > 0 && width > 0 && channels > 0 && maskedLayers >= 0, "PixelCNN needs positive sizes")
        precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
        self.height = height
        self.width = width
        self.levels = levels
        self.residual = residual
        self.oneHotInputs = oneHotInputs
        let e = ImageSampling.encodingSize(levels: levels, oneHot: oneHotInputs)
        firstLayer = MaskedConv2d(e, channels, kernelSize: firstKernel, mask: .a, using: &rng)
        layers = (0..<maskedLayers).map { _ in
            MaskedConv2d(channels, channels, kernelSize: kernel, mask: .b, using: &rng)
        }
        hiddenOutput = outputHidden.map { Conv2d(channels, $0, kernelSize: 1, using: &rng) }
        output = Conv2d(outputHidden ?? channels, levels == 2 ? 1 : levels, kernelSize: 1, using: &rng)
    }

    public var channels: Int { firstLayer.conv.weight.shape[0] }
    public var firstKernel: Int { firstLayer.kernelSize }
    public var kernel: Int { layers.first?.kernelSize ?? 3 }
    public var parameters: [Parameter<Scalar>] {
        firstLayer.parameters + layers.flatMap(\.parameters) + (hiddenOutput?.parameters ?? []) + output.parameters
    }
    /// Multiply-adds per pixel of one pass (every unmasked weight once).
    public var multiplyAddsPerPixel: Int {
        ([firstLayer.conv] + layers.map(\.conv) + [hiddenOutput, output].compactMap { $0 }).reduce(0) {
            $0 + $1.activeWeights
        }
    }
    public var trainingSteps: Int { 1 }
    public var samplingSteps: Int { height * width }

    /// The block around a mask-B layer's output y = MaskB * h_{l-1}: h_{l-1} + relu(y), or
    /// relu(y) without the residual sum.
    func block(_ h: Tensor<Scalar>, _ y: Tensor<Scalar>) -> Tensor<Scalar> {
        residual ? h + y.relu() : y.relu()
    }

    /// The 1x1 layers on features [N, C, h, w]: logits [N, outputs, h, w].
    func head(_ h: Tensor<Scalar>) -> Tensor<Scalar> { output(hiddenOutput.map { $0(h).relu() } ?? h) }

    /// The whole network on images [N, E, H, W]: logits [N, outputs, H, W].
    func network(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var h = firstLayer(x).relu()
        for layer in layers { h = block(h, layer(h)) }
        return head(h)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> { onePassLogits(inputs) }

    public func complete(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples {
        sampler == .naive
            ? completeNaively(pixels, keeping: given, using: &rng) : completeCached(pixels, keeping: given, using: &rng)
    }

    /// H * W steps, each computing every layer at pixel i only. Position i of layer l depends on
    /// layer l - 1 at positions up to i in raster order (mask B), and layer 1 on pixels before i
    /// (mask A): all computed or drawn by then, and never changed after. So each position of each
    /// layer is computed exactly once, from a k x k window of the layer below (`MaskedConv2d.valid`,
    /// the same kernel as the full pass, hence the same numbers), and the whole sample costs about
    /// one forward pass instead of H * W of them. The images of the batch go side by side: a
    /// feature at one position is [1, C, 1, N].
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func completeCached(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples {
        let d = dimension
        let (n, k, e) = (imageCount(pixels, keeping: given), outputsPerPixel, encodingSize)
        var out = pixels
        var logProbabilities = [Double](repeating: 0, count: n * d)
        // maps[0]: e(x) of the pixels drawn so far; maps[l]: the output of layer l.
        var maps = [FeatureMap<Scalar>(count: n, channels: e, height: height, width: width)]
        maps += (0...layers.count).map { _ in
            FeatureMap<Scalar>(count: n, channels: channels, height: height, width: width)
        }
        withoutGradient {
            for i in 0..<d {
                let (r, c) = (i / width, i % width)
                var h = firstLayer.valid(maps[0].windows(centredOn: r, c, size: firstKernel), stride: firstKernel)
                    .relu()
                maps[1].write(h, width: 1, row: r, column: c)
                for (l, layer) in layers.enumerated() {
                    let size = layer.kernelSize
                    h = block(h, layer.valid(maps[l + 1].windows(centredOn: r, c, size: size), stride: size))
                    maps[l + 2].write(h, width: 1, row: r, column: c)
                }
                steps.sampling += 1
                ImageSampling.step(
                    head(h).reshaped([k, n]).transposed(), index: i, given: given, levels: levels, dimension: d,
                    pixels: &out,
                    logProbabilities: &logProbabilities, using: &rng)
                maps[0].write(
                    ImageSampling.codes(of: (0..<n).map { out[$0 * d + i] }, self), width: 1, row: r, column: c)
            }
        }
        return PixelSamples(pixels: out, stepLogProbabilities: logProbabilities, dimension: d)
    }

    /// The pixels that the logits of pixel (row, column) can depend on, from the masks alone: the
    /// mask-B taps applied layer by layer down the stack, then mask A's. A set of raster indices.
    public func receptiveField(row: Int, column: Int) -> Set<Int> {
        func offsets(_ mask: CausalMask, _ k: Int) -> [(Int, Int)] {
            let m = mask.matrix(kernelSize: k)
            return (0..<k).flatMap { i in (0..<k).compactMap { j in m[i][j] == 1 ? (i - k / 2, j - k / 2) : nil } }
        }
        func spread(_ positions: Set<Int>, _ taps: [(Int, Int)]) -> Set<Int> {
            var out = Set<Int>()
            for p in positions {
                for (dy, dx) in taps {
                    let (y, x) = (p / width + dy, p % width + dx)
                    if y >= 0 && y < height && x >= 0 && x < width { out.insert(y * width + x) }
                }
            }
            return out
        }
        var positions: Set<Int> = [row * width + column]
        for layer in layers.reversed() { positions = spread(positions, offsets(.b, layer.kernelSize)) }
        return spread(positions, offsets(.a, firstKernel))
    }
}

/// What the plain and the gated PixelCNN share: a network from images [N, E, H, W] to logits
/// [N, K, H, W] whose masks let the logits of every pixel see only the pixels before it, so that one
/// pass gives all D conditionals, and a naive sampler that runs that pass once per pixel.
protocol MaskedConvolutionModel: AutoregressiveImageModel {
    func network(_ x: Tensor<Scalar>) -> Tensor<Scalar>
}

extension MaskedConvolutionModel {
    /// Inputs [N, D, E] as images [N, E, H, W].
    func images(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(
            inputs.rank == 3 && inputs.shape[1] == dimension && inputs.shape[2] == encodingSize,
            "\(Self.self)(\(height)x\(width), \(levels) levels) needs inputs [N, \(dimension), \(encodingSize)], got \(inputs.shape)"
        )
        return inputs.permuted([0, 2, 1]).reshaped([inputs.shape[0], encodingSize, height, width])
    }

    /// The logits of all D conditionals from one pass, [N, D, K] ([N, D] for K = 2): one
    /// sequential step, however many pixels.
    func onePassLogits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        let n = inputs.shape[0]
        steps.teacherForced += 1
        let k = outputsPerPixel
        let out = network(images(inputs)).reshaped([n, k, dimension]).permuted([0, 2, 1])
        return k == 1 ? out.reshaped([n, dimension]) : out
    }

    /// H * W full passes: at step i the network runs over the whole image drawn so far (pixels
    /// from i on are still zero, or the original's, and the masks hide them) and pixel i is drawn
    /// from its logits.
    func completeNaively(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples {
        let d = dimension
        let (n, k) = (imageCount(pixels, keeping: given), outputsPerPixel)
        var out = pixels
        var logProbabilities = [Double](repeating: 0, count: n * d)
        withoutGradient {
            for i in 0..<d {
                let a = network(images(inputs(out))).reshaped([n, k, d]).slice(i..<(i + 1), alongAxis: 2).reshaped([
                    n, k,
                ])
                steps.sampling += 1
                ImageSampling.step(
                    a, index: i, given: given, levels: levels, dimension: d, pixels: &out,
                    logProbabilities: &logProbabilities,
                    using: &rng)
            }
        }
        return PixelSamples(pixels: out, stepLogProbabilities: logProbabilities, dimension: d)
    }
}

extension PixelCNN: MaskedConvolutionModel {}
extension GatedPixelCNN: MaskedConvolutionModel {}
