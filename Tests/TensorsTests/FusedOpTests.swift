import Testing

@testable import Tensors

/// The fused ops (LSTM step, binary and softmax cross-entropy): gradient checks in Double against
/// finite differences, and values and gradients in Float against the composed forms they replace.
@Suite("Fused ops")
struct FusedOpTests {
    // MARK: Gradient checks (Double, every element, max relative error <= 1e-6)

    @Test func lstmStepGradients() {
        let (batch, input, hidden) = (3, 2, 4)
        let x = randomTensor([batch, input], seed: 40)
        let h = randomTensor([batch, hidden], seed: 41)
        let c = randomTensor([batch, hidden], seed: 42)
        let wx = randomTensor([input, 4 * hidden], seed: 43)
        let wh = randomTensor([hidden, 4 * hidden], seed: 44)
        let b = randomTensor([4 * hidden], seed: 45)
        expectGradientsMatch([x, h, c, wx, wh, b]) { t in
            Tensor.lstmStep(input: t[0], hidden: t[1], cell: t[2], inputWeight: t[3], hiddenWeight: t[4], bias: t[5])
        }
        // Hidden size not a multiple of the eight lanes, and a step fed its own output.
        let h5 = randomTensor([2, 5], seed: 46)
        let c5 = randomTensor([2, 5], seed: 47)
        expectGradientsMatch([
            randomTensor([2, 1], seed: 48), h5, c5, randomTensor([1, 20], seed: 49), randomTensor([5, 20], seed: 50),
            randomTensor([20], seed: 51),
        ]) { t in
            let s1 = Tensor.lstmStep(
                input: t[0], hidden: t[1], cell: t[2], inputWeight: t[3], hiddenWeight: t[4], bias: t[5])
            return Tensor.lstmStep(
                input: t[0] * 0.5, hidden: s1.slice(0..<5, alongAxis: 1), cell: s1.slice(5..<10, alongAxis: 1),
                inputWeight: t[3], hiddenWeight: t[4], bias: t[5])
        }
    }

    @Test func lstmSequenceGradients() {
        // Three steps (the recurrence in both directions), a hidden size past one vector of eight.
        let (steps, batch, input, hidden) = (3, 2, 2, 9)
        expectGradientsMatch([
            randomTensor([steps, batch, input], seed: 60), randomTensor([input, 4 * hidden], seed: 61),
            randomTensor([hidden, 4 * hidden], seed: 62), randomTensor([4 * hidden], seed: 63),
        ]) { t in Tensor.lstmSequence(inputs: t[0], inputWeight: t[1], hiddenWeight: t[2], bias: t[3]) }
        // One step: no recurrence, and the hidden weight gets no gradient.
        expectGradientsMatch([
            randomTensor([1, 3, 2], seed: 64), randomTensor([2, 8], seed: 65), randomTensor([2, 8], seed: 66),
            randomTensor([8], seed: 67),
        ]) { t in
            Tensor.lstmSequence(inputs: t[0], inputWeight: t[1], hiddenWeight: t[2], bias: t[3]) * 2
        }
    }

    @Test func binaryCrossEntropyGradients() {
        let logits = randomTensor([4, 5], seed: 52, low: -4, high: 4)
        let targets = randomTensor([4, 5], seed: 53, low: 0, high: 1)
        // Both operands differentiated: d/dl = sigmoid(l) - t, d/dt = -l.
        expectGradientsMatch([logits, targets]) { Tensor.binaryCrossEntropy(logits: $0[0], targets: $0[1]) }
        // Reduced to a scalar first (the gradient arriving is then one value).
        expectGradientsMatch([logits]) { Tensor.binaryCrossEntropy(logits: $0[0], targets: targets).mean() }
    }

    @Test func crossEntropyGradients() {
        let logits = randomTensor([2, 3, 7], seed: 54, low: -3, high: 3)
        let labels = [6, 0, 3, 2, 2, 5]
        expectGradientsMatch([logits]) { Tensor.crossEntropy(logits: $0[0], labels: labels) }
        expectGradientsMatch([logits]) { Tensor.crossEntropy(logits: $0[0], labels: labels).mean() }
    }

    @Test func softmaxGradients() {
        let x = randomTensor([3, 2, 6], seed: 57, low: -3, high: 3)
        expectGradientsMatch([x]) { $0[0].softmax() }
        expectGradientsMatch([x]) { $0[0].logSoftmax() }
        expectGradientsMatch([x]) { $0[0].logSoftmax(alongAxis: 2).exp() * 0.5 }
    }

    @Test func tanhSigmoidGateGradients() {
        // [N, 2p, H, W] with p = 3 and a plane of 5: the halves are not whole vectors of eight.
        expectGradientsMatch([randomTensor([2, 6, 1, 5], seed: 70, low: -3, high: 3)]) { $0[0].tanhSigmoidGate() }
        // A gradient arriving through a later op, and a rank-2 input (one feature per half).
        expectGradientsMatch([randomTensor([3, 2], seed: 71, low: -3, high: 3)]) { ($0[0].tanhSigmoidGate() * 2).exp() }
    }

    // MARK: Fused against composed, in Float

    @Test func softmaxMatchesComposedForm() {
        var rng = Random(seed: 58)
        let x = Tensor<Float>.uniform([4, 19], low: -20, high: 20, using: &rng)
        let weights = Tensor<Float>.normal([4, 19], using: &rng)
        let (fv, fg) = valueAndGradient(at: [x]) { ($0[0].logSoftmax() * weights).sum() }
        let (cv, cg) = valueAndGradient(at: [x]) {
            (($0[0] - $0[0].logSumExp(alongAxis: 1, keepingDims: true)) * weights).sum()
        }
        expectClose([fv.item], [cv.item], tolerance: 1e-5)
        expectClose(fg[0].scalars, cg[0].scalars, tolerance: 1e-5)
        let p = x.softmax()
        expectClose(p.scalars, x.logSoftmax().exp().scalars, tolerance: 1e-6)
        #expect(Tensor<Float>(shape: [1, 3], scalars: [-.infinity, 0, -.infinity]).softmax().scalars == [0, 1, 0])
    }

    /// The fused gate is the three ops and two slices it replaces, bit for bit (values and
    /// gradients), in Float (eight lanes, split over threads past 32k elements, tails padded) and in
    /// Double (the scalar loops). Negative control: the halves swapped, sigmoid(a) . tanh(b), is a
    /// different function, and the same comparison tells it apart.
    @Test func tanhSigmoidGateMatchesComposedForm() {
        func compare<S: TensorScalar>(_ shape: [Int], _ type: S.Type, seed: UInt64) {
            var rng = Random(seed: seed)
            let x = Tensor<S>.uniform(shape, low: -6, high: 6, using: &rng)
            var half = shape
            half[1] /= 2
            let weights = Tensor<S>.normal(half, using: &rng)
            let p = half[1]
            func run(_ gate: (Tensor<S>) -> Tensor<S>) -> ([S], [S]) {
                let (value, grads) = valueAndGradient(at: [x]) { (gate($0[0]) * weights).sum() }
                return (gate(x).scalars + [value.item], grads[0].scalars)
            }
            let fused = run { $0.tanhSigmoidGate() }
            let composed = run { $0.slice(0..<p, alongAxis: 1).tanh() * $0.slice(p..<(2 * p), alongAxis: 1).sigmoid() }
            /// How many elements differ (0 for the same bits, or -1 and -0 apart).
            func differing(_ a: [S], _ b: [S]) -> Int { a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : -1 }
            #expect(differing(fused.0, composed.0) == 0, "values of \(S.self) \(shape)")
            #expect(differing(fused.1, composed.1) == 0, "gradients of \(S.self) \(shape)")
            let swapped = run { $0.slice(0..<p, alongAxis: 1).sigmoid() * $0.slice(p..<(2 * p), alongAxis: 1).tanh() }
            #expect(
                differing(swapped.0, composed.0) > 0 && differing(swapped.1, composed.1) > 0, "the control must differ")
        }
        compare([16, 32, 28, 28], Float.self, seed: 72)  // the gated PixelCNN's shape on MNIST: threads
        compare([3, 10, 1, 7], Float.self, seed: 73)  // runs of 35 with tails, across block boundaries
        compare([2, 6, 3, 3], Double.self, seed: 74)
    }

    @Test func lstmCellMatchesComposedStep() {
        var rng = Random(seed: 55)
        let cell = LSTMCell<Float>(inputSize: 3, hiddenSize: 13, using: &rng)
        let x = Tensor<Float>.normal([5, 3], using: &rng)
        let state = LSTMCell<Float>.State(hidden: .normal([5, 13], using: &rng), cell: .normal([5, 13], using: &rng))
        func loss(_ step: (Tensor<Float>, LSTMCell<Float>.State) -> LSTMCell<Float>.State) -> (Float, [Tensor<Float>]) {
            let (value, grads) = valueAndGradient(of: cell.parameters) {
                let s1 = step(x, state)
                let s2 = step(x * 0.5, s1)
                return (s2.hidden * 2 + s2.cell).sum()
            }
            return (value.item, grads)
        }
        let fused = loss { cell($0, $1) }
        let composed = loss { cell.composedStep($0, $1) }
        expectClose([fused.0], [composed.0], tolerance: 1e-5)
        for (a, b) in zip(fused.1, composed.1) { expectClose(a.scalars, b.scalars, tolerance: 1e-5) }
    }

    /// The fused sequence is the steps it replaces: same hidden states, same gradients (Float).
    @Test func lstmSequenceMatchesSteps() {
        var rng = Random(seed: 59)
        let (steps, batch) = (7, 5)
        let cell = LSTMCell<Float>(inputSize: 3, hiddenSize: 13, using: &rng)
        let x = Tensor<Float>.normal([steps, batch, 3], using: &rng)
        let weights = Tensor<Float>.normal([steps, batch, 13], using: &rng)
        let (fused, fusedGrads) = valueAndGradient(at: [x] + cell.parameters.map(\.value)) { t in
            (Tensor.lstmSequence(inputs: t[0], inputWeight: t[1], hiddenWeight: t[2], bias: t[3]) * weights).sum()
        }
        let (stepped, steppedGrads) = valueAndGradient(at: [x] + cell.parameters.map(\.value)) { t in
            var state = cell.zeroState(batchSize: batch)
            var hiddens: [Tensor<Float>] = []
            for s in 0..<steps {
                let both = Tensor.lstmStep(
                    input: t[0].selecting(s), hidden: state.hidden, cell: state.cell, inputWeight: t[1],
                    hiddenWeight: t[2], bias: t[3])
                state = .init(hidden: both.slice(0..<13, alongAxis: 1), cell: both.slice(13..<26, alongAxis: 1))
                hiddens.append(state.hidden.reshaped([1, batch, 13]))
            }
            return (Tensor.concatenate(hiddens, alongAxis: 0) * weights).sum()
        }
        expectClose([fused.item], [stepped.item], tolerance: 1e-5)
        for (a, b) in zip(fusedGrads, steppedGrads) { expectClose(a.scalars, b.scalars, tolerance: 1e-5) }
    }

    /// `LSTMCell.sequence` against an independent reference: the recurrence written out from
    /// primitive ops (matmul, slice, sigmoid, tanh), neither fused kernel involved, in Double:
    /// the same hidden states and the same gradients with respect to inputs and weights.
    @Test func cellSequenceMatchesTheRecurrenceFromPrimitiveOps() {
        var rng = Random(seed: 61)
        let (steps, batch, input, hidden) = (6, 3, 4, 5)
        let cell = LSTMCell<Double>(inputSize: input, hiddenSize: hidden, using: &rng)
        for p in cell.parameters { p.value = p.value + Tensor.uniform(p.shape, low: -0.5, high: 0.5, using: &rng) }
        let x = Tensor<Double>.normal([steps, batch, input], using: &rng)
        let weights = Tensor<Double>.normal([steps, batch, hidden], using: &rng)
        /// h_t, c_t from x_t, h_{t-1}, c_{t-1}: the formula of the LSTM, gate order i, f, g, o.
        func reference(_ x: Tensor<Double>, _ wx: Tensor<Double>, _ wh: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<
            Double
        > {
            var (h, c) = (Tensor<Double>.zeros([batch, hidden]), Tensor<Double>.zeros([batch, hidden]))
            var hiddens: [Tensor<Double>] = []
            for t in 0..<steps {
                let a = Tensor.matmul(x.selecting(t), wx) + Tensor.matmul(h, wh) + b
                let gate = { (k: Int) in a.slice((k * hidden)..<((k + 1) * hidden), alongAxis: 1) }
                c = gate(1).sigmoid() * c + gate(0).sigmoid() * gate(2).tanh()
                h = gate(3).sigmoid() * c.tanh()
                hiddens.append(h.reshaped([1, batch, hidden]))
            }
            return Tensor.concatenate(hiddens, alongAxis: 0)
        }
        let (wx, wh, b) = (cell.inputWeight.value, cell.hiddenWeight.value, cell.bias.value)
        expectClose(cell.sequence(x).scalars, reference(x, wx, wh, b).scalars, tolerance: 1e-12)
        let fused = valueAndGradient(at: [x] + cell.parameters.map(\.value)) { t in
            for (p, v) in zip(cell.parameters, t.dropFirst()) { p.value = v }
            defer { (cell.inputWeight.value, cell.hiddenWeight.value, cell.bias.value) = (wx, wh, b) }
            return (cell.sequence(t[0]) * weights).sum()
        }
        let composed = valueAndGradient(at: [x, wx, wh, b]) { t in (reference(t[0], t[1], t[2], t[3]) * weights).sum() }
        expectClose([fused.value.item], [composed.value.item], tolerance: 1e-12)
        for (a, r) in zip(fused.gradients, composed.gradients) { expectClose(a.scalars, r.scalars, tolerance: 1e-11) }
        // The comparison can fail: with the input and forget gates swapped, h_1 =
        // sigmoid(o) tanh(sigmoid(f) tanh(g)) (c_0 = 0) is another number.
        let a = Tensor.matmul(x.selecting(0), wx) + b
        let gate = { (k: Int) in a.slice((k * hidden)..<((k + 1) * hidden), alongAxis: 1) }
        let wrong = (gate(3).sigmoid() * (gate(1).sigmoid() * gate(2).tanh()).tanh()).sum().item
        let right = cell.sequence(x).selecting(0).sum().item
        #expect(Swift.abs(wrong - right) > 1e-3, "swapping the input and forget gates should change h_1")
    }

    @Test func lossesMatchComposedForms() {
        var rng = Random(seed: 56)
        // Values across the range where the stable forms matter, and past the vector width.
        let logits = Tensor<Float>.uniform([3, 37], low: -30, high: 30, using: &rng)
        let targets = Tensor<Float>.bernoulli([3, 37], p: 0.5, using: &rng)
        let (fv, fg) = valueAndGradient(at: [logits]) {
            Tensor.binaryCrossEntropy(logits: $0[0], targets: targets).sum()
        }
        let (cv, cg) = valueAndGradient(at: [logits]) {
            Tensor.composedBinaryCrossEntropy(logits: $0[0], targets: targets).sum()
        }
        expectClose([fv.item], [cv.item], tolerance: 1e-5)
        expectClose(fg[0].scalars, cg[0].scalars, tolerance: 1e-6)

        let labels = (0..<3).map { _ in rng.index(below: 37) }
        let (sv, sg) = valueAndGradient(at: [logits]) { Tensor.crossEntropy(logits: $0[0], labels: labels).sum() }
        let (tv, tg) = valueAndGradient(at: [logits]) {
            Tensor.composedCrossEntropy(logits: $0[0], labels: labels).sum()
        }
        expectClose([sv.item], [tv.item], tolerance: 1e-5)
        expectClose(sg[0].scalars, tg[0].scalars, tolerance: 1e-6)
    }

    /// Extreme logits stay finite, as in the composed forms.
    @Test func fusedLossesAreStable() {
        let l = Tensor<Float>([-1000, 1000, 0])
        #expect(Tensor.binaryCrossEntropy(logits: l, targets: Tensor([0, 1, 1])).scalars.allSatisfy { $0.isFinite })
        let ce = Tensor.crossEntropy(
            logits: Tensor<Float>(shape: [2, 3], scalars: [1e4, 0, -1e4, -.infinity, 0, -.infinity]), labels: [2, 1])
        #expect(ce.scalars == [2e4, 0])
    }
}
