// Reductions along one axis. The tensor is viewed as [outer, n, inner]: the axis has length n,
// `outer` is the product of the sizes before it and `inner` of those after it.

enum ReduceKernel { case sum, max }

// x is (outer, n, inner), y is (outer, inner); for max also the argmax index along n.
@_specialize(where S == Float)
@_specialize(where S == Double)
func reduceKernel<S: TensorScalar>(
    _ op: ReduceKernel, _ x: [S], outer: Int, n: Int, inner: Int
) -> (values: [S], argmax: [Int32]) {
    var argmax: [Int32] = []
    let values = [S](unsafeUninitializedCapacity: outer * inner) { y, count in
        count = outer * inner
        x.withUnsafeBufferPointer { x in
            switch op {
            case .sum:
                for o in 0..<outer {
                    let yo = y.baseAddress! + o * inner
                    for j in 0..<inner { yo[j] = 0 }
                    for k in 0..<n {
                        let xk = x.baseAddress! + (o * n + k) * inner
                        for j in 0..<inner { yo[j] += xk[j] }
                    }
                }
            case .max:
                argmax = [Int32](repeating: 0, count: outer * inner)
                argmax.withUnsafeMutableBufferPointer { am in
                    for o in 0..<outer {
                        let yo = y.baseAddress! + o * inner
                        let x0 = x.baseAddress! + o * n * inner
                        for j in 0..<inner { yo[j] = x0[j] }
                        for k in 1..<max(n, 1) {
                            let xk = x.baseAddress! + (o * n + k) * inner
                            for j in 0..<inner where xk[j] > yo[j] || xk[j].isNaN {
                                yo[j] = xk[j]
                                am[o * inner + j] = Int32(k)
                            }
                        }
                    }
                }
            }
        }
    }
    return (values, argmax)
}

// Copies x (shape `shape`) into the layout of its axes permuted by `perm`:
// y[i_perm[0], i_perm[1], ...] = x[i_0, i_1, ...].
@_specialize(where S == Float)
@_specialize(where S == Double)
func permuteKernel<S: TensorScalar>(_ x: [S], shape: [Int], perm: [Int]) -> [S] {
    let rank = shape.count
    let n = x.count
    let inStrides = Tensor<S>.strides(of: shape)
    let outShape = perm.map { shape[$0] }
    // Stride in x of a step along each output axis.
    let st = perm.map { inStrides[$0] }
    return [S](unsafeUninitializedCapacity: n) { y, count in
        count = n
        guard n > 0 else { return }
        x.withUnsafeBufferPointer { x in
            var index = [Int](repeating: 0, count: rank)
            var src = 0
            let inner = outShape[rank - 1], innerStride = st[rank - 1]
            var dst = 0
            while dst < n {
                for j in 0..<inner { y[dst + j] = x[src + j * innerStride] }
                dst += inner
                var axis = rank - 2
                while axis >= 0 {
                    index[axis] += 1
                    src += st[axis]
                    if index[axis] < outShape[axis] { break }
                    src -= st[axis] * outShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
