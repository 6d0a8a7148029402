/// One step of a long short-term memory cell (Hochreiter and Schmidhuber, 1997):
///
///     [i, f, g, o] = x . Wx + h . Wh + b          (four gates, each [batch, hidden])
///     c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
///     h' = sigmoid(o) * tanh(c')
///
/// x is [batch, inputSize]; h and c are [batch, hiddenSize]. The forget-gate bias starts at 1 so
/// that the cell remembers by default early in training (Jozefowicz et al., 2015).
public struct LSTMCell<Scalar: TensorScalar>: Layer {
    public let inputWeight: Parameter<Scalar>
    public let hiddenWeight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    public let hiddenSize: Int

    public struct State {
        public var hidden: Tensor<Scalar>
        public var cell: Tensor<Scalar>
        public init(hidden: Tensor<Scalar>, cell: Tensor<Scalar>) {
            self.hidden = hidden
            self.cell = cell
        }
    }

    public init(inputSize: Int, hiddenSize: Int, using rng: inout Random) {
        let init4 = Initializer.uniformFanIn
        inputWeight = Parameter(
            init4.make([inputSize, 4 * hiddenSize], fanIn: hiddenSize, fanOut: hiddenSize, using: &rng),
            name: "inputWeight")
        hiddenWeight = Parameter(
            init4.make([hiddenSize, 4 * hiddenSize], fanIn: hiddenSize, fanOut: hiddenSize, using: &rng),
            name: "hiddenWeight")
        var b = [Scalar](repeating: 0, count: 4 * hiddenSize)
        for j in hiddenSize..<(2 * hiddenSize) { b[j] = 1 }
        bias = Parameter(Tensor(b), name: "bias")
        self.hiddenSize = hiddenSize
    }

    public var parameters: [Parameter<Scalar>] { [inputWeight, hiddenWeight, bias] }

    /// The all-zero state for a batch.
    public func zeroState(batchSize: Int) -> State {
        State(hidden: .zeros([batchSize, hiddenSize]), cell: .zeros([batchSize, hiddenSize]))
    }

    /// One step, as one fused op (`Tensor.lstmStep`); the composed form, kept as the reference
    /// the tests compare with, is `composedStep`.
    public func callAsFunction(_ x: Tensor<Scalar>, _ state: State) -> State {
        let both = Tensor.lstmStep(
            input: x, hidden: state.hidden, cell: state.cell, inputWeight: inputWeight.value,
            hiddenWeight: hiddenWeight.value, bias: bias.value)
        let h = hiddenSize
        return State(hidden: both.slice(0..<h, alongAxis: 1), cell: both.slice(h..<(2 * h), alongAxis: 1))
    }

    /// The cell run over a whole sequence from the zero state, as one fused op
    /// (`Tensor.lstmSequence`): inputs [T, batch, inputSize], time-major -> the hidden states of
    /// every step, [T, batch, hiddenSize]. The same as T calls of the cell, each fed the state of
    /// the call before, but the input products and the weight gradients are computed for all
    /// steps at once.
    public func sequence(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        Tensor.lstmSequence(
            inputs: inputs, inputWeight: inputWeight.value, hiddenWeight: hiddenWeight.value, bias: bias.value)
    }

    /// The same step composed from matmul, slices and pointwise ops, as the formula reads.
    func composedStep(_ x: Tensor<Scalar>, _ state: State) -> State {
        let gates = Tensor.matmul(x, inputWeight.value) + Tensor.matmul(state.hidden, hiddenWeight.value) + bias.value
        let h = hiddenSize
        let i = gates.slice(0..<h, alongAxis: 1).sigmoid()
        let f = gates.slice(h..<(2 * h), alongAxis: 1).sigmoid()
        let g = gates.slice((2 * h)..<(3 * h), alongAxis: 1).tanh()
        let o = gates.slice((3 * h)..<(4 * h), alongAxis: 1).sigmoid()
        let cell = f * state.cell + i * g
        return State(hidden: o * cell.tanh(), cell: cell)
    }
}
