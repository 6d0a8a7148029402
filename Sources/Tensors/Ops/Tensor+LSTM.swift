// The LSTM step as one op (Kernels/LSTMKernels.swift): what `LSTMCell` runs. Composed from matmul,
// slices and pointwise ops the same step records about fifteen tape nodes and as many tensors;
// fused it records one, and its backward rule is the hand-derived one below (llm.c style),
// checked against finite differences in GradientCheckTests like every other op.

extension Tensor {
    /// One step of an LSTM, fused:
    ///
    ///     [i, f, g, o] = x . inputWeight + h . hiddenWeight + bias     (gate order i, f, g, o)
    ///     c' = sigmoid(f) * c + sigmoid(i) * tanh(g);   h' = sigmoid(o) * tanh(c')
    ///
    /// x is [batch, inputSize]; h and c are [batch, hiddenSize]; inputWeight is
    /// [inputSize, 4 hiddenSize], hiddenWeight [hiddenSize, 4 hiddenSize], bias [4 hiddenSize].
    /// Returns [batch, 2 hiddenSize]: h' in the first hiddenSize columns, c' in the rest.
    public static func lstmStep(
        input x: Tensor, hidden h: Tensor, cell c: Tensor, inputWeight wx: Tensor, hiddenWeight wh: Tensor,
        bias b: Tensor
    ) -> Tensor {
        precondition(
            x.rank == 2 && h.rank == 2,
            "lstmStep needs x [batch, input] and h [batch, hidden], got \(x.shape) and \(h.shape)")
        let z = LSTMSizes(batch: x.shape[0], input: x.shape[1], hidden: h.shape[1])
        precondition(
            h.shape == [z.batch, z.hidden] && c.shape == h.shape && wx.shape == [z.input, z.gateWidth]
                && wh.shape == [z.hidden, z.gateWidth] && b.shape == [z.gateWidth],
            "lstmStep: shapes x \(x.shape), h \(h.shape), c \(c.shape), inputWeight \(wx.shape), hiddenWeight \(wh.shape), bias \(b.shape) do not fit one another"
        )
        let (out, gates, tanhC) = lstmStepForward(
            z, x: x.scalars, h: h.scalars, c: c.scalars, inputWeight: wx.scalars, hiddenWeight: wh.scalars,
            bias: b.scalars)
        let y = Tensor(shape: [z.batch, 2 * z.hidden], scalars: out)
        return differentiable(op: "lstmStep", output: y, inputs: [x, h, c, wx, wh, b]) { grad in
            // da (B, 4H): the gradient of the pre-activations, and dc = dc_total f; everything
            // else follows from da by the rules of a = x . Wx + h . Wh + b.
            let (da, dc) = lstmStepBackward(
                z, dOut: grad.scalars, gates: gates, tanhC: tanhC, c: c.scalars, cellGradient: c.isRecorded)
            let w = z.gateWidth
            func product(_ s: GEMMShape, _ p: [Scalar], _ q: [Scalar], _ shape: [Int]) -> Tensor {
                Tensor(shape: shape, scalars: gemmArray(s, p, q))
            }
            // dx = da . Wx^T,  dh = da . Wh^T,  dWx = x^T . da,  dWh = h^T . da,  db = sum over the batch of da.
            let dx =
                x.isRecorded
                ? product(GEMMShape(transB: true, m: z.batch, n: z.input, k: w), da, wx.scalars, x.shape) : nil
            let dh =
                h.isRecorded
                ? product(GEMMShape(transB: true, m: z.batch, n: z.hidden, k: w), da, wh.scalars, h.shape) : nil
            let dwx =
                wx.isRecorded
                ? product(GEMMShape(transA: true, m: z.input, n: w, k: z.batch), x.scalars, da, wx.shape) : nil
            let dwh =
                wh.isRecorded
                ? product(GEMMShape(transA: true, m: z.hidden, n: w, k: z.batch), h.scalars, da, wh.shape) : nil
            let db = b.isRecorded ? Tensor(shape: b.shape, scalars: columnSums(da, rows: z.batch, n: w)) : nil
            return [dx, dh, dc.map { Tensor(shape: c.shape, scalars: $0) }, dwx, dwh, db]
        }
    }
}

extension Tensor {
    /// A whole LSTM sequence from the zero state, fused into one op (teacher forcing: every input
    /// is known before the first step):
    ///
    ///     for t = 0 ..< T:  [i, f, g, o]_t = x_t . inputWeight + h_{t-1} . hiddenWeight + bias
    ///                       c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g),  h_t = sigmoid(o) * tanh(c_t)
    ///
    /// with h_{-1} = c_{-1} = 0: the same as T `lstmStep`s, each fed the state of the one before.
    /// x is [T, batch, inputSize], time-major; returns every hidden state, [T, batch, hiddenSize].
    ///
    /// Fused, the input products of all steps are one GEMM, and backward forms the weight
    /// gradients once for the whole sequence (Kernels/LSTMKernels.swift): only the recurrence
    /// h_{t-1} . hiddenWeight, and its transpose in backward, runs step by step.
    public static func lstmSequence(inputs x: Tensor, inputWeight wx: Tensor, hiddenWeight wh: Tensor, bias b: Tensor)
        -> Tensor
    {
        precondition(x.rank == 3, "lstmSequence needs inputs [time, batch, input], got \(x.shape)")
        let (steps, z) = (x.shape[0], LSTMSizes(batch: x.shape[1], input: x.shape[2], hidden: wh.shape[0]))
        precondition(
            wx.shape == [z.input, z.gateWidth] && wh.shape == [z.hidden, z.gateWidth] && b.shape == [z.gateWidth],
            "lstmSequence: shapes inputs \(x.shape), inputWeight \(wx.shape), hiddenWeight \(wh.shape), bias \(b.shape) do not fit one another"
        )
        let saved = lstmSequenceForward(
            steps: steps, z, x: x.scalars, inputWeight: wx.scalars, hiddenWeight: wh.scalars, bias: b.scalars)
        let y = Tensor(shape: [steps, z.batch, z.hidden], scalars: saved.hiddens)
        return differentiable(op: "lstmSequence", output: y, inputs: [x, wx, wh, b]) { grad in
            // DA (T B, 4H): the gradient of every step's pre-activations, from the steps in reverse.
            let da = lstmSequenceBackward(
                steps: steps, z, dHidden: grad.scalars, saved: saved, hiddenWeight: wh.scalars)
            let (w, rows) = (z.gateWidth, steps * z.batch)
            func product(_ s: GEMMShape, _ p: [Scalar], _ q: [Scalar], _ shape: [Int], offsetB: Int = 0) -> Tensor {
                Tensor(shape: shape, scalars: gemmArray(s, p, q, offsetB: offsetB))
            }
            // dX = DA . Wx^T,  dWx = X^T . DA,  dWh = H_prev^T . DA,  db = column sums of DA.
            let dx =
                x.isRecorded
                ? product(GEMMShape(transB: true, m: rows, n: z.input, k: w), da, wx.scalars, x.shape) : nil
            let dwx =
                wx.isRecorded
                ? product(GEMMShape(transA: true, m: z.input, n: w, k: rows), x.scalars, da, wx.shape) : nil
            // h_{t-1} pairs with da_t for t >= 1 (h_{-1} = 0 adds nothing).
            let dwh: Tensor? =
                !wh.isRecorded
                ? nil
                : steps < 2
                    ? Tensor.zeros(wh.shape)
                    : product(
                        GEMMShape(transA: true, m: z.hidden, n: w, k: rows - z.batch), saved.hiddens, da, wh.shape,
                        offsetB: z.batch * w)
            let db = b.isRecorded ? Tensor(shape: b.shape, scalars: columnSums(da, rows: rows, n: w)) : nil
            return [dx, dwx, dwh, db]
        }
    }
}
