import Tensors

/// The simplest PixelRNN: an LSTM reads the image as one long sequence of pixels in raster order.
///
/// At step i (i = 0, ..., D - 1) the LSTM reads pixel i - 1 and its hidden state gives the
/// distribution of pixel i:
///
///     x_i      = [e(x_{i-1}), start_i, row(i), column(i)]   e(x_{-1}) = 0, start_i = 1 only at i = 0
///     h_i, c_i = LSTM(x_i, h_{i-1}, c_{i-1})
///     logits_i = h_i . W_out + b_out                         (K logits, or one for a Bernoulli)
///
/// with e(v) the pixel's input vector (scaled level and one-hot code, see `AutoregressiveImageModel.inputs`), and
/// row(i), column(i) one-hot vectors (H and W long) saying where pixel i is. The start flag tells "no pixel yet" from a black pixel. The position is not
/// data, only the step number: an LSTM can learn to count to 64 by itself, but on 1000 images
/// that takes it a hundred epochs on a plateau where every pixel gets the same conditional;
/// told where it is, it learns the image's layout in the first epoch.
///
/// The state after step i has read exactly x_<i, so the model is causal by construction, and its
/// receptive field is the whole past. The price: D = H * W sequential steps, both to train
/// (teacher forcing: all inputs are known, but step i needs h_{i-1}) and to sample.
public struct RasterLSTM<Scalar: TensorScalar>: PixelRNN {
    public let height: Int
    public let width: Int
    public let levels: Int
    public let cell: LSTMCell<Scalar>
    /// hidden -> logits of one pixel.
    public let head: Linear<Scalar>
    public let steps = SequentialSteps()

    public init(height: Int, width: Int, levels: Int, hiddenSize: Int, using rng: inout Random) {
        precondition(height > 0 && width > 0 && hiddenSize > 0, "RasterLSTM needs positive sizes")
        precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
        self.height = height
        self.width = width
        self.levels = levels
        cell = LSTMCell(
            inputSize: (levels == 2 ? 1 : levels + 1) + 1 + height + width, hiddenSize: hiddenSize, using: &rng)
        head = Linear(hiddenSize, levels == 2 ? 1 : levels, using: &rng)
    }

    public var hiddenSize: Int { cell.hiddenSize }
    public var parameters: [Parameter<Scalar>] { cell.parameters + head.parameters }
    /// Multiply-adds per pixel of one pass: the LSTM step's two matrix products and the output layer.
    public var multiplyAddsPerPixel: Int {
        cell.inputWeight.value.count + cell.hiddenWeight.value.count + head.weight.value.count
    }
    public var trainingSteps: Int { height * width }
    public var samplingSteps: Int { height * width }

    /// The inputs that do not depend on the image: start flag and one-hot row and column of every
    /// step, [D, 1 + H + W].
    var positions: [Scalar] {
        let d = dimension
        let size = 1 + height + width
        var out = [Scalar](repeating: 0, count: d * size)
        out[0] = 1
        for i in 0..<d {
            out[i * size + 1 + i / width] = 1
            out[i * size + 1 + height + i % width] = 1
        }
        return out
    }

    /// The LSTM inputs of all steps, time-major [D, N, E + 1 + H + W]:
    /// x_i = [e(x_{i-1}), start_i, row(i), column(i)].
    func stepInputs(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        let (n, d, e) = (inputs.shape[0], inputs.shape[1], inputs.shape[2])
        let previous = Tensor.concatenate(
            [Tensor.zeros([n, 1, e]), inputs.slice(0..<(d - 1), alongAxis: 1)], alongAxis: 1)
        let size = 1 + height + width
        let position = Tensor(shape: [d, 1, size], scalars: positions).broadcasted(to: [d, n, size])
        return Tensor.concatenate([previous.permuted([1, 0, 2]), position], alongAxis: 2)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(
            inputs.rank == 3 && inputs.shape[1] == dimension && inputs.shape[2] == encodingSize,
            "RasterLSTM(\(height)x\(width), \(levels) levels) needs inputs [N, \(dimension), \(encodingSize)], got \(inputs.shape)"
        )
        let (n, d) = (inputs.shape[0], dimension)
        // D steps, one after the other: this recurrence is why the raster LSTM is slow. All D
        // inputs are known (teacher forcing), so the cell runs them as one fused sequence op, but
        // inside it step i still waits for h_{i-1}.
        let hiddens = cell.sequence(stepInputs(inputs))
        steps.teacherForced += d
        // The output layer is the same for every step: one matmul over all D * N hidden states.
        let k = outputsPerPixel
        let out = head(hiddens.reshaped([d * n, hiddenSize])).reshaped([d, n, k]).permuted([1, 0, 2])
        return k == 1 ? out.reshaped([n, d]) : out
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func complete(_ pixels: [UInt8], keeping given: Int, using rng: inout Random) -> PixelSamples {
        let d = dimension
        let n = imageCount(pixels, keeping: given)
        var out = pixels
        var logProbabilities = [Double](repeating: 0, count: n * d)
        withoutGradient {
            var state = cell.zeroState(batchSize: n)
            let (positions, size, e) = (self.positions, 1 + height + width, encodingSize)
            for i in 0..<d {
                // x_i = [e(x_{i-1}), start_i, row(i), column(i)] for every image.
                var x = [Scalar](repeating: 0, count: n * (e + size))
                let previous = i == 0 ? [] : encoded((0..<n).map { out[$0 * d + i - 1] })
                for m in 0..<n {
                    for q in 0..<e where i > 0 { x[m * (e + size) + q] = previous[m * e + q] }
                    for q in 0..<size { x[m * (e + size) + e + q] = positions[i * size + q] }
                }
                state = cell(Tensor(shape: [n, e + size], scalars: x), state)
                steps.sampling += 1
                ImageSampling.step(
                    head(state.hidden), index: i, given: given, levels: levels, dimension: d, pixels: &out,
                    logProbabilities: &logProbabilities, using: &rng)
            }
        }
        return PixelSamples(pixels: out, stepLogProbabilities: logProbabilities, dimension: d)
    }
}
