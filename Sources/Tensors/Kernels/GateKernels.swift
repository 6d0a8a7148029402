// The gated unit tanh(a) . sigmoid(b) of the gated PixelCNN, fused. x holds `blocks` pairs of
// halves (a, b), each of `inner` elements: x [N, 2p, H, W] is N pairs of p*H*W. The forward pass
// writes y = t . s and keeps t = tanh(a) and s = sigmoid(b) for the backward pass, which writes
//
//     da = (g s) (1 - t^2),    db = ((g t) s) (1 - s)
//
// into the two halves of the gradient: the products of the unfused ops (the multiply's rule, then
// tanh's and sigmoid's fused rules, BinaryKernel) in their order, so fused and unfused agree bit
// for bit. One pass each way, where slices, tanh, sigmoid and the multiply take five forward and
// six backward, two of them over zero-padded arrays of the input's size.

/// Calls body(o, h, count) over the blocks * inner elements, split over threads: `count` elements
/// from offset o of a (blocks, inner) array, whose twins in a (blocks, 2, inner) array start at h
/// (first half) and h + inner (second half).
@inline(__always)
private func parallelHalves(blocks: Int, inner: Int, _ body: (Int, Int, Int) -> Void) {
    parallelChunks(blocks * inner) { r in
        var i = r.lowerBound
        while i < r.upperBound {
            let block = i / inner
            let end = Swift.min(r.upperBound, (block + 1) * inner)
            body(i, i + block * inner, end - i)
            i = end
        }
    }
}

/// (y, t, s), each blocks * inner.
@_specialize(where S == Float)
@_specialize(where S == Double)
func gateForward<S: TensorScalar>(_ x: [S], blocks: Int, inner: Int) -> (y: [S], t: [S], s: [S]) {
    let n = blocks * inner
    precondition(x.count == 2 * n, "the gate needs two halves of \(n) elements, got \(x.count)")
    var t: [S] = []
    var s: [S] = []
    let y: [S] = uninitializedArray(count: n) { y in
        t = uninitializedArray(count: n) { t in
            s = uninitializedArray(count: n) { s in
                x.withUnsafeBufferPointer { x in
                    let x = x.baseAddress!
                    guard S.self == Float.self else {
                        // The scalar loops of unaryKernel (tanh, sigmoid) and binaryLoop (multiply).
                        for b in 0..<blocks {
                            let (a, g) = (x + 2 * b * inner, x + (2 * b + 1) * inner)
                            for i in 0..<inner {
                                let o = b * inner + i
                                t[o] = S.tanh(a[i])
                                s[o] = scalarSigmoid(g[i])
                                y[o] = t[o] * s[o]
                            }
                        }
                        return
                    }
                    let (xf, yf, tf, sf) = (floats(x), floats(y), floats(t), floats(s))
                    parallelHalves(blocks: blocks, inner: inner) { o, h, count in
                        gateForwardFloat(count, xf + h, xf + h + inner, yf + o, tf + o, sf + o)
                    }
                }
            }
        }
    }
    return (y, t, s)
}

/// The gradient of x, 2 * blocks * inner, from g, t and s (blocks * inner each).
@_specialize(where S == Float)
@_specialize(where S == Double)
func gateBackward<S: TensorScalar>(_ g: [S], t: [S], s: [S], blocks: Int, inner: Int) -> [S] {
    let n = blocks * inner
    precondition(g.count == n && t.count == n && s.count == n, "the gate's gradient needs \(n) elements")
    return uninitializedArray(count: 2 * n) { dx in
        g.withUnsafeBufferPointer { g in
            t.withUnsafeBufferPointer { t in
                s.withUnsafeBufferPointer { s in
                    let (g, t, s) = (g.baseAddress!, t.baseAddress!, s.baseAddress!)
                    guard S.self == Float.self else {
                        for b in 0..<blocks {
                            let (da, db) = (dx + 2 * b * inner, dx + (2 * b + 1) * inner)
                            for i in 0..<inner {
                                let o = b * inner + i
                                da[i] = apply(.tanhGradient, apply(.multiply, g[o], s[o]), t[o])
                                db[i] = apply(.sigmoidGradient, apply(.multiply, g[o], t[o]), s[o])
                            }
                        }
                        return
                    }
                    let (gf, tf, sf, df) = (floats(g), floats(t), floats(s), floats(dx))
                    parallelHalves(blocks: blocks, inner: inner) { o, h, count in
                        gateBackwardFloat(count, gf + o, tf + o, sf + o, df + h, df + h + inner)
                    }
                }
            }
        }
    }
}

// Eight lanes at a time, the tail padded with zeros as in map8: VectorMath's tanh and sigmoid,
// as unaryFloat computes them.
private func gateForwardFloat(
    _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    _ t: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>
) {
    @inline(__always) func step(_ va: Float8, _ vb: Float8) -> (Float8, Float8, Float8) {
        let vt = VectorMath.tanh(va)
        let vs = VectorMath.sigmoid(vb)
        return (vt * vs, vt, vs)
    }
    var i = 0
    while i + 8 <= n {
        let (vy, vt, vs) = step(load8(a + i), load8(b + i))
        store8(vy, y + i)
        store8(vt, t + i)
        store8(vs, s + i)
        i += 8
    }
    if i < n {
        var (va, vb) = (Float8(), Float8())
        for j in 0..<(n - i) { (va[j], vb[j]) = (a[i + j], b[i + j]) }
        let (vy, vt, vs) = step(va, vb)
        for j in 0..<(n - i) { (y[i + j], t[i + j], s[i + j]) = (vy[j], vt[j], vs[j]) }
    }
}

// The lanes of binaryFloat's multiply, tanhGradient and sigmoidGradient, in that order.
private func gateBackwardFloat(
    _ n: Int, _ g: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
    _ da: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>
) {
    @inline(__always) func step(_ vg: Float8, _ vt: Float8, _ vs: Float8) -> (Float8, Float8) {
        let gs = vg * vs
        let gt = vg * vt
        return (gs * (1 - vt * vt), gt * vs * (1 - vs))
    }
    var i = 0
    while i + 8 <= n {
        let (va, vb) = step(load8(g + i), load8(t + i), load8(s + i))
        store8(va, da + i)
        store8(vb, db + i)
        i += 8
    }
    if i < n {
        var (vg, vt, vs) = (Float8(), Float8(), Float8())
        for j in 0..<(n - i) { (vg[j], vt[j], vs[j]) = (g[i + j], t[i + j], s[i + j]) }
        let (va, vb) = step(vg, vt, vs)
        for j in 0..<(n - i) { (da[i + j], db[i + j]) = (va[j], vb[j]) }
    }
}
