// Fused losses: one pass forward, one pass backward, no intermediate tensors.
//
// Binary cross-entropy with logits, elementwise over n values l (logits) and t (targets):
//   loss = max(l, 0) - l t + log(1 + e^-|l|)       dloss/dl = sigmoid(l) - t,   dloss/dt = -l
//
// Softmax cross-entropy over rows of C logits l and one label per row:
//   lse = m + log sum_j e^(l_j - m)  (m the row maximum);  loss = lse - l_label
//   dloss/dl_j = e^(l_j - lse) - [j == label]

// loss[i] for i in 0..<n.
@_specialize(where S == Float)
@_specialize(where S == Double)
func bceWithLogitsForward<S: TensorScalar>(
    _ n: Int, _ l: UnsafePointer<S>, _ t: UnsafePointer<S>, _ loss: UnsafeMutablePointer<S>
) {
    guard S.self == Float.self else {
        for i in 0..<n { loss[i] = Swift.max(l[i], 0) - l[i] * t[i] + S.log1p(S.exp(-Swift.abs(l[i]))) }
        return
    }
    // Float: eight lanes at a time, split over threads when n is large.
    let (l, t, loss) = (floats(l), floats(t), floats(loss))
    parallelChunks(n) { r in
        zip8(r.count, l + r.lowerBound, t + r.lowerBound, loss + r.lowerBound) { lv, tv in
            VectorMath.maximum(lv, Float8()) - lv * tv
                + VectorMath.log1p(VectorMath.expNonPositive(-VectorMath.abs(lv)))
        }
    }
}

// dl[i] = g[i] (sigmoid(l[i]) - t[i]); g has n values, or one (a scalar gradient for every element).
@_specialize(where S == Float)
@_specialize(where S == Double)
func bceWithLogitsBackward<S: TensorScalar>(
    _ n: Int, _ l: UnsafePointer<S>, _ t: UnsafePointer<S>, _ g: UnsafePointer<S>, gradientStride: Int,
    _ dl: UnsafeMutablePointer<S>
) {
    guard S.self == Float.self else {
        for i in 0..<n {
            let l = l[i]
            let sigmoid = l >= 0 ? 1 / (1 + S.exp(-l)) : S.exp(l) / (1 + S.exp(l))
            dl[i] = g[i * gradientStride] * (sigmoid - t[i])
        }
        return
    }
    // Float: eight lanes at a time, split over threads when n is large.
    let (l, t, g, dl) = (floats(l), floats(t), floats(g), floats(dl))
    parallelChunks(n) { r in
        let s = r.lowerBound
        zip8(r.count, l + s, t + s, dl + s) { lv, tv in VectorMath.sigmoid(lv) - tv }
        if gradientStride == 0 {
            let gv = g[0]
            map8(r.count, dl + s, dl + s) { $0 * gv }
        } else {
            zip8(r.count, dl + s, g + s, dl + s) { $0 * $1 }
        }
    }
}

// For rows of C logits: lse[r] (log-sum-exp) and loss[r] = lse[r] - l[r, label[r]].
@_specialize(where S == Float)
@_specialize(where S == Double)
func softmaxCrossEntropyForward<S: TensorScalar>(
    rows: Int, classes: Int, _ l: UnsafePointer<S>, _ labels: UnsafePointer<Int>, _ lse: UnsafeMutablePointer<S>,
    _ loss: UnsafeMutablePointer<S>
) {
    for r in 0..<rows {
        let row = l + r * classes
        var m = row[0]
        for j in 1..<classes where row[j] > m { m = row[j] }
        // A row of infinities would give inf - inf; the shift only needs to be finite.
        m = Swift.min(Swift.max(m, -S.greatestFiniteMagnitude), S.greatestFiniteMagnitude)
        var sum: S = 0
        for j in 0..<classes { sum += S.exp(row[j] - m) }
        lse[r] = m + S.log(sum)
        loss[r] = lse[r] - row[labels[r]]
    }
}

// dl[r, j] = g[r] (e^(l[r, j] - lse[r]) - [j == label[r]]).
@_specialize(where S == Float)
@_specialize(where S == Double)
func softmaxCrossEntropyBackward<S: TensorScalar>(
    rows: Int, classes: Int, _ l: UnsafePointer<S>, _ labels: UnsafePointer<Int>, _ lse: UnsafePointer<S>,
    _ g: UnsafePointer<S>, gradientStride: Int, _ dl: UnsafeMutablePointer<S>
) {
    for r in 0..<rows {
        let (row, d, gr) = (l + r * classes, dl + r * classes, g[r * gradientStride])
        for j in 0..<classes { d[j] = gr * S.exp(row[j] - lse[r]) }
        d[labels[r]] -= gr
    }
}

// Softmax over rows of C values: y = e^(x - m) / sum, or its log x - m - log sum (m the row maximum,
// clamped finite so that a row of infinities gives no inf - inf).
@_specialize(where S == Float)
@_specialize(where S == Double)
func softmaxRows<S: TensorScalar>(
    rows: Int, classes: Int, _ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, log: Bool
) {
    for r in 0..<rows {
        let (row, out) = (x + r * classes, y + r * classes)
        var m = row[0]
        for j in 1..<classes where row[j] > m { m = row[j] }
        m = Swift.min(Swift.max(m, -S.greatestFiniteMagnitude), S.greatestFiniteMagnitude)
        var sum: S = 0
        for j in 0..<classes {
            out[j] = S.exp(row[j] - m)
            sum += out[j]
        }
        if log {
            let shift = m + S.log(sum)
            for j in 0..<classes { out[j] = row[j] - shift }
        } else {
            let scale = 1 / sum
            for j in 0..<classes { out[j] *= scale }
        }
    }
}

// Gradients of softmaxRows for the output gradient g, given the output y:
//   softmax:      dx = y (g - sum_j g_j y_j)
//   log-softmax:  dx = g - e^y sum_j g_j
@_specialize(where S == Float)
@_specialize(where S == Double)
func softmaxRowsBackward<S: TensorScalar>(
    rows: Int, classes: Int, _ g: UnsafePointer<S>, _ y: UnsafePointer<S>, _ dx: UnsafeMutablePointer<S>, log: Bool
) {
    for r in 0..<rows {
        let (gr, yr, d) = (g + r * classes, y + r * classes, dx + r * classes)
        var dot: S = 0
        if log {
            for j in 0..<classes { dot += gr[j] }
            for j in 0..<classes { d[j] = gr[j] - S.exp(yr[j]) * dot }
        } else {
            for j in 0..<classes { dot += gr[j] * yr[j] }
            for j in 0..<classes { d[j] = yr[j] * (gr[j] - dot) }
        }
    }
}

// MARK: On arrays (what Ops/Tensor+Losses.swift and Ops/Tensor+Reductions.swift call)

/// Binary cross-entropy with logits, elementwise over l and t (same count).
func bceWithLogitsForward<S: TensorScalar>(logits l: [S], targets t: [S]) -> [S] {
    uninitializedArray(count: l.count) { loss in
        withBaseAddresses(l, t) { p in bceWithLogitsForward(l.count, p[0], p[1], loss) }
    }
}

/// dl = g (sigmoid(l) - t), for g of l.count values or of one (a scalar gradient for every element).
func bceWithLogitsBackward<S: TensorScalar>(logits l: [S], targets t: [S], gradient g: [S]) -> [S] {
    uninitializedArray(count: l.count) { dl in
        withBaseAddresses(l, t, g) { p in
            bceWithLogitsBackward(l.count, p[0], p[1], p[2], gradientStride: g.count == 1 ? 0 : 1, dl)
        }
    }
}

/// Softmax cross-entropy of rows of C logits and one label per row: the loss per row, and the
/// row's log-sum-exp for the backward pass.
func softmaxCrossEntropyForward<S: TensorScalar>(rows: Int, classes: Int, logits: [S], labels: [Int]) -> (
    loss: [S], lse: [S]
) {
    var lse: [S] = []
    let loss: [S] = uninitializedArray(count: rows) { loss in
        lse = uninitializedArray(count: rows) { lse in
            withBaseAddresses(labels) { lab in
                withBaseAddresses(logits) { l in
                    softmaxCrossEntropyForward(rows: rows, classes: classes, l[0], lab[0], lse, loss)
                }
            }
        }
    }
    return (loss, lse)
}

/// dl[r, j] = g[r] (softmax(l[r])_j - [j == label[r]]), for g of `rows` values or of one.
func softmaxCrossEntropyBackward<S: TensorScalar>(
    rows: Int, classes: Int, logits: [S], labels: [Int], lse: [S], gradient g: [S]
) -> [S] {
    uninitializedArray(count: rows * classes) { dl in
        withBaseAddresses(labels) { lab in
            withBaseAddresses(logits, lse, g) { p in
                softmaxCrossEntropyBackward(
                    rows: rows, classes: classes, p[0], lab[0], p[1], p[2], gradientStride: g.count == 1 ? 0 : 1, dl)
            }
        }
    }
}

/// Softmax (or log-softmax, with `log`) over each row of C values of x.
func softmaxRows<S: TensorScalar>(rows: Int, classes: Int, _ x: [S], log: Bool) -> [S] {
    uninitializedArray(count: x.count) { y in
        withBaseAddresses(x) { softmaxRows(rows: rows, classes: classes, $0[0], y, log: log) }
    }
}

/// The gradient of `softmaxRows` for the output gradient g, given its output y.
func softmaxRowsBackward<S: TensorScalar>(rows: Int, classes: Int, gradient g: [S], output y: [S], log: Bool) -> [S] {
    uninitializedArray(count: rows * classes) { dx in
        withBaseAddresses(g, y) { p in softmaxRowsBackward(rows: rows, classes: classes, p[0], p[1], dx, log: log) }
    }
}
