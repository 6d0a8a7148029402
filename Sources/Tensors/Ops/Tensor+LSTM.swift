// The LSTM step as one op (Kernels/LSTM.swift): what `LSTMCell` runs. Composed from matmul,
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
        precondition(x.rank == 2 && h.rank == 2, "lstmStep needs x [batch, input] and h [batch, hidden], got \(x.shape) and \(h.shape)")
        let z = LSTMSizes(batch: x.shape[0], input: x.shape[1], hidden: h.shape[1])
        precondition(
            h.shape == [z.batch, z.hidden] && c.shape == h.shape && wx.shape == [z.input, z.gateWidth]
                && wh.shape == [z.hidden, z.gateWidth] && b.shape == [z.gateWidth],
            "lstmStep: shapes x \(x.shape), h \(h.shape), c \(c.shape), inputWeight \(wx.shape), hiddenWeight \(wh.shape), bias \(b.shape) do not fit one another")
        var tanhC: [Scalar] = []
        var gates: [Scalar] = []
        let out: [Scalar] = uninitializedArray(count: z.batch * 2 * z.hidden) { out in
            gates = uninitializedArray(count: z.batch * z.gateWidth) { a in
                x.scalars.withUnsafeBufferPointer { xp in
                    h.scalars.withUnsafeBufferPointer { hp in
                        wx.scalars.withUnsafeBufferPointer { wxp in
                            wh.scalars.withUnsafeBufferPointer { whp in
                                b.scalars.withUnsafeBufferPointer { bp in
                                    lstmPreactivations(z, xp.baseAddress!, hp.baseAddress!, wxp.baseAddress!, whp.baseAddress!, bp.baseAddress!, a)
                                }
                            }
                        }
                    }
                }
            }
            tanhC = uninitializedArray(count: z.batch * z.hidden) { t in
                gates.withUnsafeMutableBufferPointer { a in
                    c.scalars.withUnsafeBufferPointer { cp in
                        lstmPointwise(z) { rows, z in
                            lstmPointwiseForward(z, a.baseAddress! + rows * z.gateWidth, cp.baseAddress! + rows * z.hidden, out + rows * 2 * z.hidden, t + rows * z.hidden)
                        }
                    }
                }
            }
        }
        let y = Tensor(shape: [z.batch, 2 * z.hidden], scalars: out)
        return differentiable(op: "lstmStep", output: y, inputs: [x, h, c, wx, wh, b]) { grad in
            // da (B, 4H): the gradient of the pre-activations; everything else follows from it.
            var dc: [Scalar] = []
            let da: [Scalar] = uninitializedArray(count: z.batch * z.gateWidth) { da in
                grad.scalars.withUnsafeBufferPointer { g in
                    gates.withUnsafeBufferPointer { a in
                        tanhC.withUnsafeBufferPointer { t in
                            c.scalars.withUnsafeBufferPointer { cp in
                                func run(_ dcp: UnsafeMutablePointer<Scalar>?) {
                                    lstmPointwise(z) { r, z in
                                        let (hh, w) = (z.hidden, z.gateWidth)
                                        lstmPointwiseBackward(
                                            z, g.baseAddress! + r * 2 * hh, a.baseAddress! + r * w, t.baseAddress! + r * hh, cp.baseAddress! + r * hh,
                                            da + r * w, dcp.map { $0 + r * hh })
                                    }
                                }
                                if c.isRecorded {
                                    dc = uninitializedArray(count: z.batch * z.hidden) { run($0) }
                                } else {
                                    run(nil)
                                }
                            }
                        }
                    }
                }
            }
            let w = z.gateWidth
            func product(_ s: GEMMShape, _ p: [Scalar], _ q: [Scalar], _ shape: [Int]) -> Tensor {
                Tensor(shape: shape, scalars: gemmArray(s, p, q))
            }
            let dx = x.isRecorded ? product(GEMMShape(transB: true, m: z.batch, n: z.input, k: w), da, wx.scalars, x.shape) : nil
            let dh = h.isRecorded ? product(GEMMShape(transB: true, m: z.batch, n: z.hidden, k: w), da, wh.scalars, h.shape) : nil
            let dwx = wx.isRecorded ? product(GEMMShape(transA: true, m: z.input, n: w, k: z.batch), x.scalars, da, wx.shape) : nil
            let dwh = wh.isRecorded ? product(GEMMShape(transA: true, m: z.hidden, n: w, k: z.batch), h.scalars, da, wh.shape) : nil
            let db: Tensor? =
                b.isRecorded
                ? Tensor(shape: b.shape, scalars: uninitializedArray(count: w) { y in da.withUnsafeBufferPointer { columnSums($0.baseAddress!, rows: z.batch, n: w, y) } })
                : nil
            return [dx, dh, c.isRecorded ? Tensor(shape: c.shape, scalars: dc) : nil, dwx, dwh, db]
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
    public static func lstmSequence(inputs x: Tensor, inputWeight wx: Tensor, hiddenWeight wh: Tensor, bias b: Tensor) -> Tensor {
        precondition(x.rank == 3, "lstmSequence needs inputs [time, batch, input], got \(x.shape)")
        let (steps, z) = (x.shape[0], LSTMSizes(batch: x.shape[1], input: x.shape[2], hidden: wh.shape[0]))
        precondition(
            wx.shape == [z.input, z.gateWidth] && wh.shape == [z.hidden, z.gateWidth] && b.shape == [z.gateWidth],
            "lstmSequence: shapes inputs \(x.shape), inputWeight \(wx.shape), hiddenWeight \(wh.shape), bias \(b.shape) do not fit one another")
        let saved = x.scalars.withUnsafeBufferPointer { xp in
            wx.scalars.withUnsafeBufferPointer { wxp in
                wh.scalars.withUnsafeBufferPointer { whp in
                    b.scalars.withUnsafeBufferPointer { bp in
                        lstmSequenceForward(steps: steps, z, xp.baseAddress!, wxp.baseAddress!, whp.baseAddress!, bp.baseAddress!)
                    }
                }
            }
        }
        let y = Tensor(shape: [steps, z.batch, z.hidden], scalars: saved.hiddens)
        return differentiable(op: "lstmSequence", output: y, inputs: [x, wx, wh, b]) { grad in
            let da = grad.scalars.withUnsafeBufferPointer { g in
                wh.scalars.withUnsafeBufferPointer { lstmSequenceBackward(steps: steps, z, g.baseAddress!, saved, $0.baseAddress!) }
            }
            let (w, rows) = (z.gateWidth, steps * z.batch)
            func product(_ s: GEMMShape, _ p: [Scalar], _ q: [Scalar], _ shape: [Int], offsetA: Int = 0, offsetB: Int = 0) -> Tensor {
                Tensor(shape: shape, scalars: gemmArray(s, p, q, offsetA: offsetA, offsetB: offsetB))
            }
            let dx = x.isRecorded ? product(GEMMShape(transB: true, m: rows, n: z.input, k: w), da, wx.scalars, x.shape) : nil
            let dwx = wx.isRecorded ? product(GEMMShape(transA: true, m: z.input, n: w, k: rows), x.scalars, da, wx.shape) : nil
            // h_{t-1} pairs with da_t for t >= 1 (h_{-1} = 0 adds nothing).
            let dwh: Tensor? =
                !wh.isRecorded ? nil
                : steps < 2 ? Tensor.zeros(wh.shape)
                : product(
                    GEMMShape(transA: true, m: z.hidden, n: w, k: rows - z.batch), saved.hiddens, da, wh.shape,
                    offsetB: z.batch * w)
            let db: Tensor? =
                b.isRecorded
                ? Tensor(shape: b.shape, scalars: uninitializedArray(count: w) { y in da.withUnsafeBufferPointer { columnSums($0.baseAddress!, rows: rows, n: w, y) } })
                : nil
            return [dx, dwx, dwh, db]
        }
    }
}
