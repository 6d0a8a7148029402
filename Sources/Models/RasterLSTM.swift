import Tensors

/// The simplest PixelRNN: an LSTM reads the image as one long sequence of pixels in raster order.
///
/// At step i (i = 0, ..., D - 1) the LSTM reads pixel i - 1 and its hidden state gives the
/// distribution of pixel i:
///
///     x_i     = [v_{i-1}, 0]   for i > 0,   x_0 = [0, 1]   (the start token)
///     h_i, c_i = LSTM(x_i, h_{i-1}, c_{i-1})
///     logits_i = h_i . W_out + b_out        (K logits, or one for a Bernoulli)
///
/// with v the level scaled to [0, 1]. The second input is the start flag, so that "no pixel yet"
/// differs from a black pixel. The state after step i has read exactly x_<i, so the model is
/// causal by construction, and its receptive field is the whole past. The price: D = H * W
/// sequential steps, both to train (teacher forcing: all inputs are known, but step i needs
/// h_{i-1}) and to sample.
public struct RasterLSTM<Scalar: TensorScalar>: PixelRNN {
    public let height: Int
    public let width: Int
    public let levels: Int
    public let cell: LSTMCell<Scalar>
    /// hidden -> logits of one pixel.
    public let head: Linear<Scalar>

    public init(height: Int, width: Int, levels: Int, hiddenSize: Int, using rng: inout Random) {
        precondition(height > 0 && width > 0 && hiddenSize > 0, "RasterLSTM needs positive sizes")
        precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
        self.height = height
        self.width = width
        self.levels = levels
        cell = LSTMCell(inputSize: 2, hiddenSize: hiddenSize, using: &rng)
        head = Linear(hiddenSize, levels == 2 ? 1 : levels, using: &rng)
    }

    public var hiddenSize: Int { cell.hiddenSize }
    public var parameters: [Parameter<Scalar>] { cell.parameters + head.parameters }
    public var trainingSteps: Int { height * width }
    public var samplingSteps: Int { height * width }

    /// The LSTM inputs of all steps, time-major [D, N, 2]: x_i = [v_{i-1}, 0], x_0 = [0, 1].
    func stepInputs(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        let (n, d) = (inputs.shape[0], inputs.shape[1])
        let previous = Tensor.concatenate(
            [Tensor.zeros([n, 1]), inputs.slice(0..<(d - 1), alongAxis: 1)], alongAxis: 1)
        var flag = [Scalar](repeating: 0, count: n * d)
        for m in 0..<n { flag[m * d] = 1 }
        let start = Tensor(shape: [n, d, 1], scalars: flag)
        return Tensor.concatenate([previous.reshaped([n, d, 1]), start], alongAxis: 2).permuted([1, 0, 2])
    }

    public func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(
            inputs.rank == 2 && inputs.shape[1] == dimension,
            "RasterLSTM(\(height)x\(width)) needs inputs [N, \(dimension)], got \(inputs.shape)")
        let (n, d) = (inputs.shape[0], dimension)
        let x = stepInputs(inputs)
        // D steps, one after the other: this loop is why the raster LSTM is slow.
        var state = cell.zeroState(batchSize: n)
        var hiddens: [Tensor<Scalar>] = []
        hiddens.reserveCapacity(d)
        for i in 0..<d {
            state = cell(x.selecting(i), state)
            hiddens.append(state.hidden)
        }
        // The output layer is the same for every step: one matmul over all D * N hidden states.
        let k = outputsPerPixel
        let out = head(Tensor.concatenate(hiddens, alongAxis: 0)).reshaped([d, n, k]).permuted([1, 0, 2])
        return k == 1 ? out.reshaped([n, d]) : out
    }

    public func complete(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelRNNSamples {
        let d = dimension
        precondition(pixels.count % d == 0, "\(pixels.count) levels is not a whole number of \(height)x\(width) images")
        precondition((0...d).contains(given), "can keep 0...\(d) pixels, not \(given)")
        let n = pixels.count / d
        var out = pixels
        var logProbabilities = [Double](repeating: 0, count: n * d)
        withoutGradient {
            var state = cell.zeroState(batchSize: n)
            var x = Tensor<Scalar>(shape: [n, 2], scalars: (0..<n).flatMap { _ in [0, 1] })
            let scale = Scalar(levels - 1)
            for i in 0..<d {
                state = cell(x, state)
                PixelRNNSampling.step(
                    head(state.hidden), index: i, given: given, levels: levels, dimension: d, pixels: &out,
                    logProbabilities: &logProbabilities, using: &rng)
                x = Tensor(shape: [n, 2], scalars: (0..<n).flatMap { m in [Scalar(out[m * d + i]) / scale, 0] })
            }
        }
        return PixelRNNSamples(pixels: out, stepLogProbabilities: logProbabilities, dimension: d)
    }
}
