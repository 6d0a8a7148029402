import Tensors

/// The Row LSTM of PixelRNN (van den Oord et al., 2016, section 3.1): an LSTM that runs down the
/// image one *row* per step, computing the state of a whole row at once with 1-D convolutions.
///
///     F        = MaskA_{k x k} * e(x)                   input features, [C, H, W]
///     s_i      = K^is (*) F_i                           input-to-state: masked 1-D conv along row i
///                                                       (k = 3, mask B: taps j-1 and j, not j+1),
///                                                       computed for all rows at once
///     [i, f, g, o]_i = s_i + K^ss (*) h_{i-1} + b       state-to-state: 1-D conv (k = 3) over the
///                                                       previous row's hidden state
///     c_i = sigmoid(f) * c_{i-1} + sigmoid(i) * tanh(g),   h_i = sigmoid(o) * tanh(c_i)
///     logits_{i,j} = W_2 . relu(W_1 . h_{i,j} + b_1) + b_2
///
/// with e(x) the pixels' input vectors (scaled level and one-hot code, see `AutoregressiveImageModel.inputs`).
/// Mask A (the centre and everything after it in raster order removed) makes F_{i,j} depend only
/// on pixels before (i, j); mask B on the row convolution lets position j see F at j - 1 and j
/// (both causal), never j + 1. The state-to-state convolution reads row i - 1 at j - 1, j, j + 1,
/// so the context grows by one column on each side per row going up: a *triangle* above the pixel.
/// Pixels of the current row further left than the mask-A kernel reaches, and pixels above but
/// outside the triangle, are never seen (the Diagonal BiLSTM of the paper fixes this).
///
/// Teacher forcing needs H sequential steps (every row at once); sampling still needs H * W,
/// because pixel (i, j) must be drawn before (i, j + 1) can be computed.
public struct RowLSTM<Scalar: TensorScalar>: PixelRNN {
    public let height: Int
    public let width: Int
    public let levels: Int
    public let hiddenSize: Int
    /// The first layer: a k x k convolution with mask A, E -> C channels, zero padding k / 2.
    public let inputConv: Conv2d<Scalar>
    /// K^is as [3 C, 4 h]: rows 0..<C act on column j - 1, C..<2C on j, 2C..<3C on j + 1.
    public let inputToState: Parameter<Scalar>
    /// The constant mask B of K^is, [3 C, 1]: 1 for the taps j - 1 and j, 0 for j + 1.
    public let inputToStateMask: Tensor<Scalar>
    /// K^ss as [3 h, 4 h], taps j - 1, j, j + 1 (the previous row is entirely in the past).
    public let stateToState: Parameter<Scalar>
    /// The gate bias, [4 h] in the order i, f, g, o; the forget bias starts at 1.
    public let bias: Parameter<Scalar>
    /// Two 1x1 layers from h_{i,j} to the logits of pixel (i, j).
    public let hiddenLayer: Linear<Scalar>
    public let outputLayer: Linear<Scalar>
    public let steps = SequentialSteps()

    /// - Parameters:
    ///   - features: C, the channels of the mask-A input convolution.
    ///   - inputKernel: k of the k x k mask-A input convolution (odd).
    public init(
        height: Int, width: Int, levels: Int, features: Int, hiddenSize: Int, inputKernel: Int = 3,
        using rng: inout Random
    ) {
        precondition(height > 0 && width > 0 && features > 0 && hiddenSize > 0, "RowLSTM needs positive sizes")
        precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
        precondition(inputKernel % 2 == 1, "the mask-A kernel size must be odd, got \(inputKernel)")
        self.height = height
        self.width = width
        self.levels = levels
        self.hiddenSize = hiddenSize
        let e = levels == 2 ? 1 : levels + 1
        inputConv = Conv2d(
            e, features, kernelSize: inputKernel, padding: inputKernel / 2,
            mask: RowLSTM.maskA(outChannels: features, inChannels: e, kernelSize: inputKernel), using: &rng)
        let (c, h) = (features, hiddenSize)
        inputToState = Parameter(
            Initializer.uniformFanIn.make([3 * c, 4 * h], fanIn: 2 * c, fanOut: 4 * h, using: &rng),
            name: "inputToState")
        inputToStateMask = Tensor(shape: [3 * c, 1], scalars: (0..<(3 * c)).map { $0 < 2 * c ? 1 : 0 })
        stateToState = Parameter(
            Initializer.uniformFanIn.make([3 * h, 4 * h], fanIn: 3 * h, fanOut: 4 * h, using: &rng),
            name: "stateToState")
        var b = [Scalar](repeating: 0, count: 4 * h)
        for j in h..<(2 * h) { b[j] = 1 }
        bias = Parameter(Tensor(b), name: "bias")
        hiddenLayer = Linear(h, h, using: &rng)
        outputLayer = Linear(h, levels == 2 ? 1 : levels, using: &rng)
    }

    /// Mask A of a k x k kernel, [out, in, k, k]: 1 above the centre row, and left of the centre in
    /// the centre row; 0 at the centre and after it (the same for every channel pair: all input
    /// channels describe the same pixel).
    public static func maskA(outChannels: Int, inChannels: Int, kernelSize k: Int) -> Tensor<Scalar> {
        let r = k / 2
        let one = (0..<(k * k)).map { p -> Scalar in p / k < r || (p / k == r && p % k < r) ? 1 : 0 }
        return Tensor(
            shape: [outChannels, inChannels, k, k], scalars: (0..<(outChannels * inChannels)).flatMap { _ in one })
    }

    public var features: Int { inputConv.weight.shape[0] }
    public var inputKernel: Int { inputConv.weight.shape[2] }
    public var parameters: [Parameter<Scalar>] {
        inputConv.parameters + [inputToState, stateToState, bias] + hiddenLayer.parameters + outputLayer.parameters
    }
    /// Multiply-adds per pixel of one pass: the mask-A window, the input-to-state taps j - 1 and j,
    /// the state-to-state taps, the two 1x1 layers.
    public var multiplyAddsPerPixel: Int {
        inputConv.activeWeights + 2 * features * 4 * hiddenSize + stateToState.value.count
            + hiddenLayer.weight.value.count
            + outputLayer.weight.value.count
    }
    public var trainingSteps: Int { height }
    public var samplingSteps: Int { height * width }

    /// x [M, W, C] -> [M * W, 3 C]: for every position j the values at j - 1, j, j + 1 side by side
    /// (zero beyond the row's ends). A 1-D convolution with k = 3 is this times a [3 C, O] kernel.
    func rowWindows(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let (m, w, c) = (x.shape[0], x.shape[1], x.shape[2])
        let p = x.padded([(0, 0), (1, 1), (0, 0)])
        return Tensor.concatenate(
            [p.slice(0..<w, alongAxis: 1), p.slice(1..<(w + 1), alongAxis: 1), p.slice(2..<(w + 2), alongAxis: 1)],
            alongAxis: 2
        ).reshaped([m * w, 3 * c])
    }

    /// F = MaskA * e(x) for images [N, E, H, W], channels last: [N, H, W, C].
    func inputFeatures(_ images: Tensor<Scalar>) -> Tensor<Scalar> { inputConv(images).permuted([0, 2, 3, 1]) }

    /// s = K^is (*) F with mask B, for features [N, R, W, C]: [N * R * W, 4 h].
    func inputToStateTerm(_ features: Tensor<Scalar>) -> Tensor<Scalar> {
        let (n, rows, w, c) = (features.shape[0], features.shape[1], features.shape[2], features.shape[3])
        return Tensor.matmul(rowWindows(features.reshaped([n * rows, w, c])), inputToState.value * inputToStateMask)
    }

    /// One step down the image: the state of row i from s_i [N * W, 4 h] and the state of row
    /// i - 1 (hidden [N, W, h], cell [N * W, h]).
    func rowStep(_ s: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>) -> (
        hidden: Tensor<Scalar>, cell: Tensor<Scalar>
    ) {
        let (n, w, h) = (hidden.shape[0], hidden.shape[1], hiddenSize)
        let (newHidden, newCell) = lstm(gates: s + stateToStateTerm(hidden), cell: cell)
        return (newHidden.reshaped([n, w, h]), newCell)
    }

    /// K^ss (*) h_{i-1} + b for the previous row's hidden state [N, W, h]: [N * W, 4 h].
    func stateToStateTerm(_ hidden: Tensor<Scalar>) -> Tensor<Scalar> {
        Tensor.matmul(rowWindows(hidden), stateToState.value) + bias.value
    }

    /// The LSTM cell's update from its gate pre-activations [M, 4 h] and old cell state [M, h]:
    /// c' = sigmoid(f) * c + sigmoid(i) * tanh(g), h' = sigmoid(o) * tanh(c').
    func lstm(gates: Tensor<Scalar>, cell: Tensor<Scalar>) -> (hidden: Tensor<Scalar>, cell: Tensor<Scalar>) {
        let h = hiddenSize
        let i = gates.slice(0..<h, alongAxis: 1).sigmoid()
        let f = gates.slice(h..<(2 * h), alongAxis: 1).sigmoid()
        let g = gates.slice((2 * h)..<(3 * h), alongAxis: 1).tanh()
        let o = gates.slice((3 * h)..<(4 * h), alongAxis: 1).sigmoid()
        let c = f * cell + i * g
        return (o * c.tanh(), c)
    }

    /// Logits from hidden states [..., h]: [..., outputs].
    func output(_ hidden: Tensor<Scalar>) -> Tensor<Scalar> { outputLayer(hiddenLayer(hidden).relu()) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(
            inputs.rank == 3 && inputs.shape[1] == dimension && inputs.shape[2] == encodingSize,
            "RowLSTM(\(height)x\(width), \(levels) levels) needs inputs [N, \(dimension), \(encodingSize)], got \(inputs.shape)"
        )
        let (n, w, h) = (inputs.shape[0], width, hiddenSize)
        let images = inputs.permuted([0, 2, 1]).reshaped([n, encodingSize, height, w])
        // The input-to-state part of every row at once (it does not depend on the state), row-major
        // [H, N * W, 4h] so that step i takes one slice.
        let s = inputToStateTerm(inputFeatures(images)).reshaped([n, height, w * 4 * h])
            .permuted([1, 0, 2])
        // H sequential steps, each a whole row.
        var hidden = Tensor<Scalar>.zeros([n, w, h])
        var cell = Tensor<Scalar>.zeros([n * w, h])
        var rows: [Tensor<Scalar>] = []
        for i in 0..<height {
            (hidden, cell) = rowStep(s.selecting(i).reshaped([n * w, 4 * h]), hidden: hidden, cell: cell)
            rows.append(hidden)
            steps.teacherForced += 1
        }
        let k = outputsPerPixel
        let out = output(Tensor.concatenate(rows, alongAxis: 0)).reshaped([height, n, w * k]).permuted([1, 0, 2])
        return out.reshaped(k == 1 ? [n, dimension] : [n, dimension, k])
    }

    /// Sampling pixel (i, j) needs the row state at column j, which needs the pixels of row i left
    /// of j: so every pixel is one step, H * W in all, each computing one position of the row:
    ///
    ///     F_{i,j-1}, F_{i,j}   from the k x k window of pixels above and left (mask A)
    ///     s_{i,j}            = K^is_{j-1} F_{i,j-1} + K^is_j F_{i,j}          (mask B: no tap j + 1)
    ///     gates_{i,j}        = s_{i,j} + (K^ss (*) h_{i-1})_j + b
    ///
    /// then the cell update at that one position. The same numbers as the teacher-forced pass, in
    /// another order (the tests check that the log-probabilities agree to 1e-10).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func complete(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples {
        let d = dimension
        let n = imageCount(pixels, keeping: given)
        let (w, h, e, c) = (width, hiddenSize, encodingSize, features)
        let (k, r) = (inputKernel, inputKernel / 2)
        var out = pixels
        var logProbabilities = [Double](repeating: 0, count: n * d)
        // e(x) of every pixel known so far, N x H x W x E (zero until a pixel is kept or drawn;
        // mask A never reads a pixel before it is).
        var code = [Scalar](repeating: 0, count: n * d * e)
        func write(_ m: Int, _ p: Int) {
            let v = encoded([out[m * d + p]])
            for q in 0..<e { code[(m * d + p) * e + q] = v[q] }
        }
        withoutGradient {
            // The mask-A convolution as a matrix over flattened k x k x E windows: [k k E, C].
            let kernel = (inputConv.weight.value * inputConv.mask!).permuted([2, 3, 1, 0]).reshaped([k * k * e, c])
            // One step's whole input is [F_{i,j-1}, F_{i,j}, h_{i-1,j-1}, h_{i-1,j}, h_{i-1,j+1}], and
            // its gate weights the input taps j - 1, j of K^is (mask B drops j + 1) over K^ss: then
            // the gates and the cell update are one fused LSTM step (`Tensor.lstmStep`, with no
            // recurrent term of its own), not fifteen small ops per pixel.
            let stepWeight = Tensor.concatenate(
                [inputToState.value.slice(0..<(2 * c), alongAxis: 0), stateToState.value], alongAxis: 0)
            let (noHidden, noHiddenWeight) = (Tensor<Scalar>.zeros([n, h]), Tensor<Scalar>.zeros([h, 4 * h]))
            var hidden = Tensor<Scalar>.zeros([n, w, h])
            var cell = Tensor<Scalar>.zeros([n, w, h])
            for i in 0..<height {
                let above = rowWindows(hidden).reshaped([n, w, 3 * h])
                var hiddens: [Tensor<Scalar>] = []
                var cells: [Tensor<Scalar>] = []
                for j in 0..<w {
                    // The windows of F_{i,j-1} and F_{i,j}, [N * 2, k k E]; F_{i,-1} is zero padding.
                    var windows = [Scalar](repeating: 0, count: n * 2 * k * k * e)
                    for m in 0..<n {
                        for t in 0..<2 {
                            for a in 0..<k {
                                for b in 0..<k {
                                    let (y, x) = (i - r + a, j - 1 + t - r + b)
                                    guard y >= 0, y < height, x >= 0, x < w else { continue }
                                    let from = (m * d + y * w + x) * e
                                    let to = (((m * 2 + t) * k + a) * k + b) * e
                                    for q in 0..<e { windows[to + q] = code[from + q] }
                                }
                            }
                        }
                    }
                    var f =
                        Tensor.matmul(Tensor(shape: [n * 2, k * k * e], scalars: windows), kernel)
                        + inputConv.bias.value
                    if j == 0 {
                        f = f * Tensor(shape: [n * 2, 1], scalars: (0..<(2 * n)).map { $0 % 2 == 0 ? 0 : 1 })
                    }
                    let input = Tensor.concatenate(
                        [f.reshaped([n, 2 * c]), above.slice(j..<(j + 1), alongAxis: 1).reshaped([n, 3 * h])],
                        alongAxis: 1)
                    let both = Tensor.lstmStep(
                        input: input, hidden: noHidden, cell: cell.slice(j..<(j + 1), alongAxis: 1).reshaped([n, h]),
                        inputWeight: stepWeight, hiddenWeight: noHiddenWeight, bias: bias.value)
                    let state = (hidden: both.slice(0..<h, alongAxis: 1), cell: both.slice(h..<(2 * h), alongAxis: 1))
                    steps.sampling += 1
                    ImageSampling.step(
                        output(state.hidden), index: i * w + j, given: given, levels: levels, dimension: d,
                        pixels: &out, logProbabilities: &logProbabilities, using: &rng)
                    for m in 0..<n { write(m, i * w + j) }
                    hiddens.append(state.hidden.reshaped([n, 1, h]))
                    cells.append(state.cell.reshaped([n, 1, h]))
                }
                hidden = Tensor.concatenate(hiddens, alongAxis: 1)
                cell = Tensor.concatenate(cells, alongAxis: 1)
            }
        }
        return PixelSamples(pixels: out, stepLogProbabilities: logProbabilities, dimension: d)
    }

    /// The pixels that the logits of pixel (row, column) can depend on, from the architecture
    /// alone: mask A's k x k window for F, mask B's taps j - 1 and j for s, and the state's taps
    /// j - 1, j, j + 1 one row up, applied recursively. A set of raster indices (the triangle).
    public func receptiveField(row: Int, column: Int) -> Set<Int> {
        let r = inputKernel / 2
        func inImage(_ a: Int, _ b: Int) -> Bool { a >= 0 && a < height && b >= 0 && b < width }
        // Pixels seen by F_{a,b}.
        func featureField(_ a: Int, _ b: Int) -> [Int] {
            var out: [Int] = []
            for da in -r...0 {
                for db in -r...r where da < 0 || db < 0 {
                    if inImage(a + da, b + db) { out.append((a + da) * width + b + db) }
                }
            }
            return out
        }
        var field = Set<Int>()
        // Hidden positions (a, b) that h_{row,column} depends on: the state's taps, row by row up.
        var positions: Set<Int> = [column]
        for a in stride(from: row, through: 0, by: -1) {
            for b in positions {
                for tap in [b - 1, b] where tap >= 0 && tap < width { field.formUnion(featureField(a, tap)) }
            }
            positions = Set(positions.flatMap { [$0 - 1, $0, $0 + 1] }.filter { $0 >= 0 && $0 < width })
        }
        return field
    }
}
