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
    for i in 0..<n {
        let gi = g[i]
        m[i] = beta1 * m[i] + (1 - beta1) * gi
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
        p[i] -= lr * m[i] / (v[i].squareRoot() + eps)
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
