import Tensors

/// The masks of the two stacks of the gated PixelCNN, k x k (k odd), centred on the position
/// being computed. The vertical stack sees whole rows above (mask A: strictly above; mask B: the
/// centre row too, which in a vertical feature map holds only what came from rows above); the
/// horizontal stack sees the current row to the left (mask A: left of the centre; mask B: the
/// centre too).
///
/// With dilation d > 1 the k x k taps are spread d pixels apart: the pattern is (k - 1) d + 1
/// wide, and only the positions whose offsets from the centre are multiples of d may be 1 (the
/// k x k pattern's). A dilated convolution is then an ordinary convolution with this mask, and
/// costs only its k x k taps (conv2d skips taps masked for every channel pair).
public enum GatedStackMask {
    public static func vertical(_ mask: CausalMask, kernelSize k: Int, dilation d: Int = 1) -> [[Int]] {
        precondition(k >= 1 && k % 2 == 1, "a causal mask needs an odd kernel size, got \(k)")
        let pattern = (0..<k).map { i in (0..<k).map { _ in i < k / 2 || (mask == .b && i == k / 2) ? 1 : 0 } }
        return dilated(pattern, d)
    }

    public static func horizontal(_ mask: CausalMask, kernelSize k: Int, dilation d: Int = 1) -> [[Int]] {
        precondition(k >= 1 && k % 2 == 1, "a causal mask needs an odd kernel size, got \(k)")
        let pattern = (0..<k).map { i in
            (0..<k).map { j in i == k / 2 && (j < k / 2 || (mask == .b && j == k / 2)) ? 1 : 0 }
        }
        return dilated(pattern, d)
    }

    /// The k x k pattern with its taps d apart: (k - 1) d + 1 square, zeros in between.
    static func dilated(_ pattern: [[Int]], _ d: Int) -> [[Int]] {
        precondition(d >= 1, "dilation must be at least 1, got \(d)")
        if d == 1 { return pattern }
        let size = (pattern.count - 1) * d + 1
        return (0..<size).map { i in (0..<size).map { j in i % d == 0 && j % d == 0 ? pattern[i / d][j / d] : 0 } }
    }

    /// A spatial pattern as a conv2d weight mask, the same for every channel pair.
    static func tensor<S: TensorScalar>(_ pattern: [[Int]], outChannels: Int, inChannels: Int) -> Tensor<S> {
        let k = pattern.count
        let one = pattern.flatMap { $0.map { S($0) } }
        return Tensor(
            shape: [outChannels, inChannels, k, k], scalars: (0..<(outChannels * inChannels)).flatMap { _ in one })
    }
}

/// One layer of the gated PixelCNN (van den Oord et al., 2016, "Conditional Image Generation
/// with PixelCNN Decoders", figure 2), p channels per stack:
///
///     v'   = W_v * v                                  vertical stack, k x k, rows above only
///     v    = tanh(v'_{1..p}) . sigmoid(v'_{p+1..2p})  the gated unit
///     h'   = W_h * h  +  W_vh . v'                    horizontal stack (row to the left) plus
///                                                     the vertical stack's view of the rows above
///     h    = h_in + W_o . (tanh(h'_{1..p}) . sigmoid(h'_{p+1..2p}))    (residual after layer 1)
///
/// v at row r depends on rows above r only (mask A strictly above in layer 1, then mask B keeps
/// it so), which is why it may feed the horizontal stack at the same position without a shift.
public struct GatedPixelCNNLayer<Scalar: TensorScalar>: Layer {
    public let vertical: Conv2d<Scalar>
    public let horizontal: Conv2d<Scalar>
    public let verticalToHorizontal: Conv2d<Scalar>
    public let horizontalOutput: Conv2d<Scalar>
    public let mask: CausalMask
    /// Layer 1 (mask A, E input channels) has no residual connection; the others do.
    public var residual: Bool { mask == .b }

    /// `dilation` d spreads the k x k taps of both stacks d pixels apart (see `GatedStackMask`):
    /// the kernels are (k - 1) d + 1 wide, with k x k active taps.
    public init(
        _ inChannels: Int, _ channels: Int, kernelSize k: Int, mask: CausalMask, dilation: Int = 1,
        using rng: inout Random
    ) {
        self.mask = mask
        let size = (k - 1) * dilation + 1
        vertical = Conv2d(
            inChannels, 2 * channels, kernelSize: size, padding: size / 2,
            mask: GatedStackMask.tensor(
                GatedStackMask.vertical(mask, kernelSize: k, dilation: dilation), outChannels: 2 * channels,
                inChannels: inChannels),
            using: &rng)
        horizontal = Conv2d(
            inChannels, 2 * channels, kernelSize: size, padding: size / 2,
            mask: GatedStackMask.tensor(
                GatedStackMask.horizontal(mask, kernelSize: k, dilation: dilation), outChannels: 2 * channels,
                inChannels: inChannels),
            using: &rng)
        verticalToHorizontal = Conv2d(2 * channels, 2 * channels, kernelSize: 1, using: &rng)
        horizontalOutput = Conv2d(channels, channels, kernelSize: 1, using: &rng)
    }

    public var parameters: [Parameter<Scalar>] {
        vertical.parameters + horizontal.parameters + verticalToHorizontal.parameters + horizontalOutput.parameters
    }
    public var channels: Int { horizontalOutput.weight.shape[0] }
    /// The width of the kernels, (k - 1) d + 1 with dilation d.
    public var kernelSize: Int { vertical.weight.shape[2] }

    /// The spatial pattern of a stack's mask (the mask of its first channel pair; every pair has the same).
    static func pattern(of conv: Conv2d<Scalar>) -> [[Int]] {
        let k = conv.weight.shape[2]
        let m = conv.mask!.scalars
        return (0..<k).map { i in (0..<k).map { j in m[i * k + j] != 0 ? 1 : 0 } }
    }

    /// The rows of a stack's kernel that hold an active tap: the only rows of a window it reads.
    static func rowsRead(by conv: Conv2d<Scalar>) -> [Int] {
        pattern(of: conv).enumerated().filter { $0.element.contains(1) }.map(\.offset)
    }

    /// tanh(x_{1..p}) * sigmoid(x_{p+1..2p}) along the channel axis of [N, 2p, h, w].
    func gate(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.tanhSigmoidGate() }

    /// The horizontal stack's output from h' and the layer's input h_in at the same positions.
    func horizontalStep(_ preactivation: Tensor<Scalar>, input: Tensor<Scalar>) -> Tensor<Scalar> {
        let out = horizontalOutput(gate(preactivation))
        return residual ? input + out : out
    }

    /// (v, h) of the layer below, [N, in, H, W] each: (v, h) of this layer, [N, p, H, W] each.
    func callAsFunction(_ v: Tensor<Scalar>, _ h: Tensor<Scalar>) -> (v: Tensor<Scalar>, h: Tensor<Scalar>) {
        let vertical = self.vertical(v)
        let preactivation = horizontal(h) + verticalToHorizontal(vertical)
        return (gate(vertical), horizontalStep(preactivation, input: h))
    }
}

/// The gated PixelCNN: two stacks instead of one, so that the receptive field has no blind spot.
///
///     (v_1, h_1) = layer_1(e(x), e(x))          masks A
///     (v_l, h_l) = layer_l(v_{l-1}, h_{l-1})    masks B, l = 2..L
///     logits     = W_out . relu(W_hid . h_L) + b
///
/// The vertical stack grows a full rectangle of rows above the pixel (k x k kernels over whole
/// rows: no column is skipped), the horizontal stack the row to its left, and every layer hands
/// the rectangle to the row: pixel (i, j) sees rows i - L r .. i - 1 over columns j - L r ..
/// j + L r, and row i from j - L r to j - 1 (r = k / 2 after the first layer's k1 / 2), all of it.
/// The gated unit tanh . sigmoid (as in an LSTM) replaces the ReLU. Training: one pass; sampling:
/// H * W steps.
public struct GatedPixelCNN<Scalar: TensorScalar>: AutoregressiveImageModel {
    public let height: Int
    public let width: Int
    public let levels: Int
    public let layers: [GatedPixelCNNLayer<Scalar>]
    public let hiddenOutput: Conv2d<Scalar>
    public let output: Conv2d<Scalar>
    public var sampler: PixelCNNSampler = .cached
    public let steps = SequentialSteps()
    public let oneHotInputs: Bool

    /// - Parameters:
    ///   - channels: p, the feature maps of each stack.
    ///   - layers: L >= 1, the first with masks A and kernel `firstKernel`, the others masks B
    ///     and kernel `kernel` (both odd).
    ///   - outputHidden: channels of the 1x1 ReLU layer before the output layer (default p).
    ///   - oneHotInputs: whether e(v) includes the one-hot code of the level (K > 2).
    ///   - dilations: the dilation of each layer after the first (L - 1 values, default all 1):
    ///     layer l's taps d_l apart, so that the field grows by d_l (k / 2) rows and columns per
    ///     layer instead of k / 2, with no hole as long as each d_l is at most the field's extent
    ///     so far (`receptiveField` computes it from the masks).
    public init(
        height: Int, width: Int, levels: Int, channels: Int, layers: Int, firstKernel: Int = 7, kernel: Int = 3,
        outputHidden: Int? = nil, oneHotInputs: Bool = true, dilations: [Int]? = nil, using rng: inout Random
    ) {
        precondition(height > 0 && width > 0 && channels > 0 && layers >= 1, "GatedPixelCNN needs positive sizes")
        precondition(
            dilations == nil || dilations!.count == layers - 1,
            "give one dilation per layer after the first (\(layers - 1))")
        precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
        self.height = height
        self.width = width
        self.levels = levels
        self.oneHotInputs = oneHotInputs
        let e = ImageSampling.encodingSize(levels: levels, oneHot: oneHotInputs)
        self.layers = (0..<layers).map { l in
            GatedPixelCNNLayer(
                l == 0 ? e : channels, channels, kernelSize: l == 0 ? firstKernel : kernel, mask: l == 0 ? .a : .b,
                dilation: l == 0 ? 1 : dilations?[l - 1] ?? 1, using: &rng)
        }
        hiddenOutput = Conv2d(channels, outputHidden ?? channels, kernelSize: 1, using: &rng)
        output = Conv2d(outputHidden ?? channels, levels == 2 ? 1 : levels, kernelSize: 1, using: &rng)
    }

    public var channels: Int { layers[0].channels }
    public var parameters: [Parameter<Scalar>] {
        layers.flatMap(\.parameters) + hiddenOutput.parameters + output.parameters
    }
    /// Multiply-adds per pixel of one pass (every unmasked weight once).
    public var multiplyAddsPerPixel: Int {
        (layers.flatMap { [$0.vertical, $0.horizontal, $0.verticalToHorizontal, $0.horizontalOutput] } + [
            hiddenOutput, output,
        ])
        .reduce(0) { $0 + $1.activeWeights }
    }
    public var trainingSteps: Int { 1 }
    public var samplingSteps: Int { height * width }

    func head(_ h: Tensor<Scalar>) -> Tensor<Scalar> { output(hiddenOutput(h).relu()) }

    func network(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var (v, h) = (x, x)
        for layer in layers { (v, h) = layer(v, h) }
        return head(h)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> { onePassLogits(inputs) }

    /// The naive sampler (H * W full passes, `MaskedConvolutionModel.completeNaively`) or the
    /// cached one.
    public func complete(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples {
        sampler == .naive
            ? completeNaively(pixels, keeping: given, using: &rng) : completeCached(pixels, keeping: given, using: &rng)
    }

    /// H * W steps with every feature computed once. The vertical stack of row r depends on rows
    /// above r only, so at the start of each row it is computed for the whole row, every layer (a
    /// k-row window over the full width); then pixel by pixel the horizontal stack at that pixel
    /// only, every layer, from k x k windows of the layer below and the row's vertical features.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func completeCached(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples {
        let d = dimension
        let (n, k, e, p) = (imageCount(pixels, keeping: given), outputsPerPixel, encodingSize, channels)
        var out = pixels
        var logProbabilities = [Double](repeating: 0, count: n * d)
        var input = FeatureMap<Scalar>(count: n, channels: e, height: height, width: width)
        func maps(_ c: Int) -> [FeatureMap<Scalar>] {
            layers.map { _ in FeatureMap<Scalar>(count: n, channels: c, height: height, width: width) }
        }
        // Per layer: v' (pre-gate, 2p), v (p) and h (p).
        var (preVertical, vertical, horizontal) = (maps(2 * p), maps(p), maps(p))
        // Of a dilated layer's (k - 1) d + 1 window rows, only k (vertical) or 1 (horizontal) are read.
        let verticalRows = layers.map { GatedPixelCNNLayer.rowsRead(by: $0.vertical) }
        let horizontalRows = layers.map { GatedPixelCNNLayer.rowsRead(by: $0.horizontal) }
        withoutGradient {
            for r in 0..<height {
                for (l, layer) in layers.enumerated() {
                    // Rows r - q ... r + q over the full width and q columns of padding on each side,
                    // the images side by side: one output per image column, the rest straddles two
                    // images and is not used.
                    let q = layer.kernelSize / 2
                    let below = l == 0 ? input : vertical[l - 1]
                    let pre = layer.vertical.valid(
                        below.windows(rows: (r - q)..<(r + q + 1), columns: -q..<(width + q), reading: verticalRows[l]))
                    preVertical[l].write(pre, width: width, stride: width + 2 * q, row: r, column: 0)
                    vertical[l].write(layer.gate(pre), width: width, stride: width + 2 * q, row: r, column: 0)
                }
                for c in 0..<width {
                    var h = Tensor<Scalar>.zeros([1, e, 1, n])
                    for (l, layer) in layers.enumerated() {
                        let size = layer.kernelSize
                        let below = l == 0 ? input : horizontal[l - 1]
                        let pre =
                            layer.horizontal.valid(
                                below.windows(centredOn: r, c, size: size, reading: horizontalRows[l]), stride: size)
                            + layer.verticalToHorizontal(
                                preVertical[l].windows(rows: r..<(r + 1), columns: c..<(c + 1)))
                        h = layer.horizontalStep(pre, input: h)
                        horizontal[l].write(h, width: 1, row: r, column: c)
                    }
                    let i = r * width + c
                    steps.sampling += 1
                    ImageSampling.step(
                        head(h).reshaped([k, n]).transposed(), index: i, given: given, levels: levels, dimension: d,
                        pixels: &out,
                        logProbabilities: &logProbabilities, using: &rng)
                    input.write(
                        ImageSampling.codes(of: (0..<n).map { out[$0 * d + i] }, self), width: 1, row: r, column: c)
                }
            }
        }
        return PixelSamples(pixels: out, stepLogProbabilities: logProbabilities, dimension: d)
    }

    /// The pixels that the logits of pixel (row, column) can depend on, from the masks alone:
    /// going down the layers, h at a position reads h below through the horizontal mask (and
    /// itself, residual) and v' at the same position; v and v' read v below through the vertical
    /// mask. A set of raster indices.
    public func receptiveField(row: Int, column: Int) -> Set<Int> {
        func offsets(_ pattern: [[Int]]) -> [(Int, Int)] {
            let k = pattern.count
            return (0..<k).flatMap { i in (0..<k).compactMap { j in pattern[i][j] == 1 ? (i - k / 2, j - k / 2) : nil }
            }
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
        var (h, v): (Set<Int>, Set<Int>) = ([row * width + column], [])
        for layer in layers.reversed() {
            let newH = spread(h, offsets(GatedPixelCNNLayer.pattern(of: layer.horizontal))).union(
                layer.residual ? h : [])
            v = spread(h.union(v), offsets(GatedPixelCNNLayer.pattern(of: layer.vertical)))
            h = newH
        }
        return h.union(v)
    }
}
