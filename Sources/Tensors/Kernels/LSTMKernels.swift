// One LSTM step, fused: the four gates from one GEMM (two, counting the input's), their
// nonlinearities and the cell update in one pass over the batch.
//
//   x (B, I), h (B, H), c (B, H); Wx (I, 4H), Wh (H, 4H), b (4H); gates in the order i, f, g, o.
//   a = x . Wx + h . Wh + b                                      (B, 4H)
//   i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g)             kept as `gates` (B, 4H)
//   c' = f c + i g;  h' = o tanh(c')                              out (B, 2H) = [h' | c']
//
// Backward, for d(out) = [dh' | dc']:
//   dc  = dc' + dh' o (1 - tanh^2 c')      (the total gradient reaching c')
//   da_i = dc g i (1 - i);  da_f = dc c f (1 - f);  da_g = dc i (1 - g^2);  da_o = dh' tanh(c') o (1 - o)
//   d c_prev = dc f;  dh = da . Wh^T;  dx = da . Wx^T;  dWh = h^T . da;  dWx = x^T . da;  db = sum_b da
//
// The op (Ops/Tensor+LSTM.swift) calls the array-level functions `lstmStepForward`,
// `lstmStepBackward`, `lstmSequenceForward` and `lstmSequenceBackward`; the pointer-level loops
// below them do the work.

struct LSTMSizes {
    var batch: Int, input: Int, hidden: Int
    var gateWidth: Int { 4 * hidden }
}

// MARK: One step, on arrays

/// The forward step: out (B, 2H) = [h' | c'], and for the backward step the activated gates
/// (B, 4H) and tanh(c') (B, H).
func lstmStepForward<S: TensorScalar>(
    _ z: LSTMSizes, x: [S], h: [S], c: [S], inputWeight wx: [S], hiddenWeight wh: [S], bias b: [S]
) -> (out: [S], gates: [S], tanhC: [S]) {
    let (w, hh) = (z.gateWidth, z.hidden)
    var gates: [S] = uninitializedArray(count: z.batch * w) { a in
        withBaseAddresses(x, h, wx, wh, b) { p in lstmPreactivations(z, p[0], p[1], p[2], p[3], p[4], a) }
    }
    var tanhC: [S] = []
    let out: [S] = uninitializedArray(count: z.batch * 2 * hh) { out in
        tanhC = uninitializedArray(count: z.batch * hh) { t in
            withMutableBaseAddress(&gates) { a in
                withBaseAddresses(c) { cp in
                    lstmPointwise(z) { r, part in
                        lstmPointwiseForward(part, a + r * w, cp[0] + r * hh, out + r * 2 * hh, t + r * hh)
                    }
                }
            }
        }
    }
    return (out, gates, tanhC)
}

/// The backward step from d(out) (B, 2H): da (B, 4H), the gradient of the pre-activations, and,
/// when `cellGradient`, d c_prev (B, H).
func lstmStepBackward<S: TensorScalar>(
    _ z: LSTMSizes, dOut: [S], gates: [S], tanhC: [S], c: [S], cellGradient: Bool
) -> (da: [S], dc: [S]?) {
    let (w, hh) = (z.gateWidth, z.hidden)
    var dc: [S]? = nil
    let da: [S] = uninitializedArray(count: z.batch * w) { da in
        withBaseAddresses(dOut, gates, tanhC, c) { p in
            func run(_ dcp: UnsafeMutablePointer<S>?) {
                lstmPointwise(z) { r, part in
                    lstmPointwiseBackward(
                        part, p[0] + r * 2 * hh, p[1] + r * w, p[2] + r * hh, p[3] + r * hh, da + r * w,
                        dcp.map { $0 + r * hh })
                }
            }
            if cellGradient { dc = uninitializedArray(count: z.batch * hh) { run($0) } } else { run(nil) }
        }
    }
    return (da, dc)
}

/// Column sums of a (rows, n): the bias gradient, sum over the rows of da.
func columnSums<S: TensorScalar>(_ a: [S], rows: Int, n: Int) -> [S] {
    uninitializedArray(count: n) { y in withBaseAddresses(a) { columnSums($0[0], rows: rows, n: n, y) } }
}

// MARK: One step, on pointers

// a (B, 4H) = rows of b, then += x . Wx and += h . Wh.
@_specialize(where S == Float)
@_specialize(where S == Double)
func lstmPreactivations<S: TensorScalar>(
    _ z: LSTMSizes, _ x: UnsafePointer<S>, _ h: UnsafePointer<S>, _ wx: UnsafePointer<S>, _ wh: UnsafePointer<S>,
    _ b: UnsafePointer<S>, _ a: UnsafeMutablePointer<S>
) {
    let w = z.gateWidth
    for r in 0..<z.batch { (a + r * w).update(from: b, count: w) }
    if z.input > 0 { gemm(GEMMShape(m: z.batch, n: w, k: z.input, accumulate: true), x, wx, a) }
    gemm(GEMMShape(m: z.batch, n: w, k: z.hidden, accumulate: true), h, wh, a)
}

// The pointwise part of the forward step for rows of `a` (pre-activations, overwritten with the
// activated gates): writes out (B, 2H) = [h' | c'] and tanhC (B, H) = tanh(c').
@_specialize(where S == Float)
@_specialize(where S == Double)
func lstmPointwiseForward<S: TensorScalar>(
    _ z: LSTMSizes, _ gates: UnsafeMutablePointer<S>, _ c: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>,
    _ tanhC: UnsafeMutablePointer<S>
) {
    let h = z.hidden
    guard S.self == Float.self else {
        // The reference: one element at a time, as the formulas above read.
        for r in 0..<z.batch {
            let a = gates + r * 4 * h
            let cr = c + r * h
            let o = out + r * 2 * h
            let t = tanhC + r * h
            for j in 0..<h {
                let i = 1 / (1 + S.exp(-a[j]))
                let f = 1 / (1 + S.exp(-a[h + j]))
                let g = S.tanh(a[2 * h + j])
                let og = 1 / (1 + S.exp(-a[3 * h + j]))
                (a[j], a[h + j], a[2 * h + j], a[3 * h + j]) = (i, f, g, og)
                let cNew = f * cr[j] + i * g
                t[j] = S.tanh(cNew)
                o[j] = og * t[j]
                o[h + j] = cNew
            }
        }
        return
    }
    // Float: eight lanes at a time.
    let (gates, c, out, tanhC) = (floats(gates), floats(c), floats(out), floats(tanhC))
    for r in 0..<z.batch {
        let a = gates + r * 4 * h
        let cr = c + r * h
        let o = out + r * 2 * h
        let t = tanhC + r * h
        // i and f, then g, then o: each a contiguous run of H values.
        map8(2 * h, a, a) { VectorMath.sigmoid($0) }
        map8(h, a + 2 * h, a + 2 * h) { VectorMath.tanh($0) }
        map8(h, a + 3 * h, a + 3 * h) { VectorMath.sigmoid($0) }
        for j in stride(from: 0, to: h, by: 8) {
            let n = min(8, h - j)
            let (iv, fv, gv) = (loadPartial(a + j, n), loadPartial(a + h + j, n), loadPartial(a + 2 * h + j, n))
            let (ov, cv) = (loadPartial(a + 3 * h + j, n), loadPartial(cr + j, n))
            let cNew = fv * cv + iv * gv
            let th = VectorMath.tanh(cNew)
            storePartial(ov * th, o + j, n)
            storePartial(cNew, o + h + j, n)
            storePartial(th, t + j, n)
        }
    }
}

// The pointwise part of the backward step: from d(out) (B, 2H), the activated gates, tanh(c')
// and c, writes da (B, 4H) and, if wanted, d c_prev (B, H).
@_specialize(where S == Float)
@_specialize(where S == Double)
func lstmPointwiseBackward<S: TensorScalar>(
    _ z: LSTMSizes, _ dOut: UnsafePointer<S>, _ gates: UnsafePointer<S>, _ tanhC: UnsafePointer<S>,
    _ c: UnsafePointer<S>,
    _ da: UnsafeMutablePointer<S>, _ dc: UnsafeMutablePointer<S>?
) {
    let h = z.hidden
    guard S.self == Float.self else {
        // The reference: one element at a time, as the formulas above read.
        for r in 0..<z.batch {
            let a = gates + r * 4 * h
            let d = da + r * 4 * h
            let g = dOut + r * 2 * h
            let t = tanhC + r * h
            let cr = c + r * h
            for j in 0..<h {
                let (i, f, gg, o) = (a[j], a[h + j], a[2 * h + j], a[3 * h + j])
                let dcTotal = g[h + j] + g[j] * o * (1 - t[j] * t[j])
                d[j] = dcTotal * gg * i * (1 - i)
                d[h + j] = dcTotal * cr[j] * f * (1 - f)
                d[2 * h + j] = dcTotal * i * (1 - gg * gg)
                d[3 * h + j] = g[j] * t[j] * o * (1 - o)
                dc?[r * h + j] = dcTotal * f
            }
        }
        return
    }
    // Float: eight lanes at a time.
    let (dOut, gates, tanhC, c, da) = (floats(dOut), floats(gates), floats(tanhC), floats(c), floats(da))
    let dcPrev = dc.map { floats($0) }
    for r in 0..<z.batch {
        let a = gates + r * 4 * h
        let d = da + r * 4 * h
        let g = dOut + r * 2 * h
        let t = tanhC + r * h
        let cr = c + r * h
        for j in stride(from: 0, to: h, by: 8) {
            let n = min(8, h - j)
            let (iv, fv, gv) = (loadPartial(a + j, n), loadPartial(a + h + j, n), loadPartial(a + 2 * h + j, n))
            let (ov, tv, cv) = (loadPartial(a + 3 * h + j, n), loadPartial(t + j, n), loadPartial(cr + j, n))
            let (dh, dcv) = (loadPartial(g + j, n), loadPartial(g + h + j, n))
            let one = Float8(repeating: 1)
            let dcTotal = dcv + dh * ov * (one - tv * tv)
            storePartial(dcTotal * gv * iv * (one - iv), d + j, n)
            storePartial(dcTotal * cv * fv * (one - fv), d + h + j, n)
            storePartial(dcTotal * iv * (one - gv * gv), d + 2 * h + j, n)
            storePartial(dh * tv * ov * (one - ov), d + 3 * h + j, n)
            if let dcPrev { storePartial(dcTotal * fv, dcPrev + r * h + j, n) }
        }
    }
}

/// Up to eight Floats from p (n of them; the other lanes zero), and back.
@inline(__always) func loadPartial(_ p: UnsafePointer<Float>, _ n: Int) -> Float8 {
    if n == 8 { return load8(p) }
    var v = Float8()
    for k in 0..<n { v[k] = p[k] }
    return v
}
@inline(__always) func storePartial(_ v: Float8, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n == 8 {
        store8(v, p)
    } else {
        for k in 0..<n { p[k] = v[k] }
    }
}

/// Runs `body(firstRow, sizes)` over the batch rows of a step, split over threads when the step
/// is large enough (each part sees sizes with its own row count).
@inline(__always)
func lstmPointwise(_ z: LSTMSizes, _ body: (Int, LSTMSizes) -> Void) {
    let parts = min(Parallelism.threadCount, z.batch * z.hidden / 2048)
    if parts <= 1 {
        body(0, z)
        return
    }
    parallelFor(parts) { t in
        let rows = share(t, of: parts, z.batch)
        var part = z
        part.batch = rows.count
        body(rows.lowerBound, part)
    }
}

// Column sums of a (rows, n) into y (n), rows in order.
@_specialize(where S == Float)
@_specialize(where S == Double)
func columnSums<S: TensorScalar>(_ a: UnsafePointer<S>, rows: Int, n: Int, _ y: UnsafeMutablePointer<S>) {
    y.update(repeating: 0, count: n)
    for r in 0..<rows { addInPlace(y, a + r * n, count: n) }
}

// MARK: A whole sequence

// A whole sequence from the zero state, fused (what cuDNN and oneDNN do for a teacher-forced LSTM):
//
//   x (T, B, I); Wx (I, 4H), Wh (H, 4H), b (4H). Saved for backward: gates (T, B, 4H) activated,
//   tanhC (T, B, H), cells (T, B, H) = c_t, hiddens (T, B, H) = h_t.
//
// Every input is known before the loop starts, so x . Wx + b for all T steps is one large GEMM;
// only h_{t-1} . Wh has to wait for the step before. Backward runs the steps in reverse for da_t
// (the recurrence: dh_{t-1} = da_t . Wh^T, dc_{t-1} = dc_t f_t) and then forms the weight
// gradients once for the whole sequence: dWh = H_prev^T . DA, dWx = X^T . DA, db = column sums of
// DA, dx = DA . Wx^T: four large GEMMs instead of 4 T small ones.
struct LSTMSequenceBuffers<S: TensorScalar> {
    var gates: [S], tanhC: [S], cells: [S], hiddens: [S]

    /// The base addresses of the four arrays, for the step loop that writes them all.
    mutating func withPointers<R>(
        _ body: (
            _ gates: UnsafeMutablePointer<S>, _ tanhC: UnsafeMutablePointer<S>, _ cells: UnsafeMutablePointer<S>,
            _ hiddens: UnsafeMutablePointer<S>
        ) -> R
    ) -> R {
        withMutableBaseAddress(&gates) { g in
            withMutableBaseAddress(&tanhC) { t in
                withMutableBaseAddress(&cells) { c in withMutableBaseAddress(&hiddens) { h in body(g, t, c, h) } }
            }
        }
    }
}

/// The forward pass over T steps from the zero state; returns what backward needs, the hidden
/// states among it.
@_specialize(where S == Float)
@_specialize(where S == Double)
func lstmSequenceForward<S: TensorScalar>(
    steps t: Int, _ z: LSTMSizes, x: [S], inputWeight wx: [S], hiddenWeight wh: [S], bias b: [S]
) -> LSTMSequenceBuffers<S> {
    let (w, h, rows) = (z.gateWidth, z.hidden, z.batch)
    var out = LSTMSequenceBuffers<S>(
        gates: filledArray(0, count: t * rows * w), tanhC: filledArray(0, count: t * rows * h),
        cells: filledArray(0, count: t * rows * h), hiddens: filledArray(0, count: t * rows * h))
    // All input projections at once: G = rows of b, then += X . Wx.
    withMutableBaseAddress(&out.gates) { g in
        withBaseAddresses(b) { bp in for r in 0..<(t * rows) { (g + r * w).update(from: bp[0], count: w) } }
    }
    if z.input > 0 { gemmArrays(GEMMShape(m: t * rows, n: w, k: z.input, accumulate: true), x, wx, into: &out.gates) }
    // Scratch: the state [h_t | c_t] of the step being computed, and c_{-1} = 0.
    let step: UnsafeMutablePointer<S> = workspace(zeros: rows * 2 * h)
    let zeros: UnsafeMutablePointer<S> = workspace(zeros: rows * h)
    defer {
        step.deallocate()
        zeros.deallocate()
    }
    withBaseAddresses(wh) { whp in
        // The hidden weight is the B of every step's product: packed once.
        let whPanels = PreparedOperand(whp[0], transposed: false, k: h, n: w)
        out.withPointers { gates, tanhC, cells, hiddens in
            for s in 0..<t {
                let (a, tanh) = (gates + s * rows * w, tanhC + s * rows * h)
                let cPrev = s == 0 ? zeros : cells + (s - 1) * rows * h
                // Each thread takes whole rows of the batch through the step: its rows of
                // h_{t-1} . Wh, then their gates (one parallel region a step).
                lstmPointwise(z) { r0, part in
                    if s > 0 {
                        gemm(
                            GEMMShape(m: part.batch, n: w, k: h, accumulate: true), hiddens + ((s - 1) * rows + r0) * h,
                            prepared: whPanels, a + r0 * w, threads: 1)
                    }
                    lstmPointwiseForward(part, a + r0 * w, cPrev + r0 * h, step + r0 * 2 * h, tanh + r0 * h)
                    // [h_t | c_t] per row, split into the two sequences.
                    for r in r0..<(r0 + part.batch) {
                        (hiddens + (s * rows + r) * h).update(from: step + r * 2 * h, count: h)
                        (cells + (s * rows + r) * h).update(from: step + r * 2 * h + h, count: h)
                    }
                }
            }
        }
    }
    return out
}

/// From dH (T, B, H), the gradient of every hidden state, returns DA (T, B, 4H), the gradient of
/// every step's pre-activations; the weight and input gradients follow from it by GEMMs.
@_specialize(where S == Float)
@_specialize(where S == Double)
func lstmSequenceBackward<S: TensorScalar>(
    steps t: Int, _ z: LSTMSizes, dHidden: [S], saved: LSTMSequenceBuffers<S>, hiddenWeight wh: [S]
) -> [S] {
    let (w, h, rows) = (z.gateWidth, z.hidden, z.batch)
    var da: [S] = filledArray(0, count: t * rows * w)
    // Scratch: dOut = [dh_t | dc_t] of the step being undone; dcPrev receives dc_{t-1}, dhPrev
    // dh_{t-1}; c_{-1} = 0.
    let dOut: UnsafeMutablePointer<S> = workspace(zeros: rows * 2 * h)
    let (dcPrev, dhPrev, zeros): (UnsafeMutablePointer<S>, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>) =
        (workspace(zeros: rows * h), workspace(zeros: rows * h), workspace(zeros: rows * h))
    defer { for p in [dOut, dcPrev, dhPrev, zeros] { p.deallocate() } }
    withMutableBaseAddress(&da) { da in
        withBaseAddresses(dHidden, saved.gates, saved.tanhC, saved.cells, wh) { p in
            let (dHidden, gates, tanhC, cells) = (p[0], p[1], p[2], p[3])
            // Wh^T is the B of every step's dh_{t-1} = da_t . Wh^T: packed once.
            let whT = PreparedOperand(p[4], transposed: true, k: w, n: h)
            for s in stride(from: t - 1, through: 0, by: -1) {
                let cPrev = s == 0 ? UnsafePointer(zeros) : cells + (s - 1) * rows * h
                let (a, tanh, d) = (gates + s * rows * w, tanhC + s * rows * h, da + s * rows * w)
                // Whole rows of the batch per thread, as in the forward pass.
                lstmPointwise(z) { r0, part in
                    for r in r0..<(r0 + part.batch) {
                        let (o, dh) = (dOut + r * 2 * h, dHidden + (s * rows + r) * h)
                        // dh_t = dH_t + (the recurrence's dh_t); dc_t from step t + 1.
                        for j in 0..<h {
                            o[j] = dh[j] + (s == t - 1 ? 0 : dhPrev[r * h + j])
                            o[h + j] = s == t - 1 ? 0 : dcPrev[r * h + j]
                        }
                    }
                    lstmPointwiseBackward(
                        part, dOut + r0 * 2 * h, a + r0 * w, tanh + r0 * h, cPrev + r0 * h, d + r0 * w, dcPrev + r0 * h)
                    if s > 0 {
                        gemm(
                            GEMMShape(transB: true, m: part.batch, n: h, k: w), UnsafePointer(d + r0 * w),
                            prepared: whT, dhPrev + r0 * h, threads: 1)
                    }
                }
            }
        }
    }
    return da
}
