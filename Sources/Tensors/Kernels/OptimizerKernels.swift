// Parameter updates in place. p, g, m, v all have n elements.

// Adam (Kingma and Ba, 2015) with bias correction folded into the step size:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr_t m / (sqrt(v) + eps_t)
// where lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) and eps_t = eps sqrt(1 - b2^t), which is the same as
// dividing m and v by their bias corrections.
@_specialize(where S == Float)
@_specialize(where S == Double)
func adamKernel<S: TensorScalar>(
    _ p: UnsafeMutablePointer<S>, _ g: UnsafePointer<S>, _ m: UnsafeMutablePointer<S>, _ v: UnsafeMutablePointer<S>,
    n: Int, lr: S, beta1: S, beta2: S, eps: S
) {
    guard S.self == Float.self else {
        for i in 0..<n {
            let gi = g[i]
            m[i] = beta1 * m[i] + (1 - beta1) * gi
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
            p[i] -= lr * m[i] / (v[i].squareRoot() + eps)
        }
        return
    }
    // Float: eight lanes at a time, split over threads when n is large.
    let (p, g, m, v) = (floats(p), floats(g), floats(m), floats(v))
    let (lr, b1, b2, eps) = (
        Float8(repeating: unsafeBitCast(lr, to: Float.self)), Float8(repeating: unsafeBitCast(beta1, to: Float.self)),
        Float8(repeating: unsafeBitCast(beta2, to: Float.self)), Float8(repeating: unsafeBitCast(eps, to: Float.self))
    )
    parallelChunks(n) { r in
        var i = r.lowerBound
        // Eight at a time; the last few through the same formula one by one.
        while i + 8 <= r.upperBound {
            let gi = load8(g + i)
            let mi = b1 * load8(m + i) + (1 - b1) * gi
            let vi = b2 * load8(v + i) + (1 - b2) * gi * gi
            store8(mi, m + i)
            store8(vi, v + i)
            store8(load8(p + i) - lr * mi / (VectorMath.squareRoot(vi) + eps), p + i)
            i += 8
        }
        if i < r.upperBound {
            var gi = Float8()
            var mi = Float8()
            var vi = Float8()
            var pi = Float8()
            for j in 0..<(r.upperBound - i) { (gi[j], mi[j], vi[j], pi[j]) = (g[i + j], m[i + j], v[i + j], p[i + j]) }
            mi = b1 * mi + (1 - b1) * gi
            vi = b2 * vi + (1 - b2) * gi * gi
            pi = pi - lr * mi / (VectorMath.squareRoot(vi) + eps)
            for j in 0..<(r.upperBound - i) { (m[i + j], v[i + j], p[i + j]) = (mi[j], vi[j], pi[j]) }
        }
    }
}

// SGD with (heavy-ball) momentum:  u = mu u + g;  p -= lr u.
@_specialize(where S == Float)
@_specialize(where S == Double)
func sgdKernel<S: TensorScalar>(
    _ p: UnsafeMutablePointer<S>, _ g: UnsafePointer<S>, _ u: UnsafeMutablePointer<S>, n: Int, lr: S, momentum: S
) {
    for i in 0..<n {
        u[i] = momentum * u[i] + g[i]
        p[i] -= lr * u[i]
    }
}

// Polyak averaging (`WeightAverage`):  a = d a + (1 - d) w.
@_specialize(where S == Float)
@_specialize(where S == Double)
func averageKernel<S: TensorScalar>(_ a: UnsafeMutablePointer<S>, _ w: UnsafePointer<S>, n: Int, decay d: S) {
    let rest = 1 - d
    for i in 0..<n { a[i] = d * a[i] + rest * w[i] }
}

@inline(__always) func floats<S>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
@inline(__always) func floats<S>(_ p: UnsafePointer<S>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}
