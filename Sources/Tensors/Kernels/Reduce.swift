// Reductions along one axis. The tensor is viewed as [outer, n, inner]: the axis has length n,
// `outer` is the product of the sizes before it and `inner` of those after it.
//
// Sums are pairwise, as numpy's: blocks of up to 128 terms are added in order (eight interleaved
// running sums for a contiguous block), and the block sums are combined in a balanced tree. Left to
// right, the rounding error of a Float sum of n terms grows like n * eps (about 1e-3 relative at
// 65k terms); pairwise, like log2(n) * eps, at the same speed (the eight running sums even let the
// additions overlap).

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
                if inner == 1 {
                    for o in 0..<outer { y[o] = pairwiseSum(x.baseAddress! + o * n, n) }
                } else {
                    let scratch = UnsafeMutablePointer<S>.allocate(capacity: inner * Int.bitWidth)
                    defer { scratch.deallocate() }
                    for o in 0..<outer {
                        pairwiseSumRows(
                            x.baseAddress! + o * n * inner, rows: n, inner: inner, y.baseAddress! + o * inner,
                            scratch: scratch)
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
            let inner = outShape[rank - 1]
            let innerStride = st[rank - 1]
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

/// Terms summed in order before blocks are combined pairwise (numpy's PW_BLOCKSIZE).
let pairwiseBlock = 128

// sum of x[0..<n]: a block of at most 128 terms with eight interleaved running sums, else the two
// halves (the first a multiple of 8 terms) summed the same way and added.
@_specialize(where S == Float)
@_specialize(where S == Double)
func pairwiseSum<S: TensorScalar>(_ x: UnsafePointer<S>, _ n: Int) -> S {
    if n > pairwiseBlock {
        let half = (n / 2) & ~7
        return pairwiseSum(x, half) + pairwiseSum(x + half, n - half)
    }
    var (s0, s1, s2, s3, s4, s5, s6, s7) = (S.zero, S.zero, S.zero, S.zero, S.zero, S.zero, S.zero, S.zero)
    var i = 0
    while i + 8 <= n {
        s0 += x[i]
        s1 += x[i + 1]
        s2 += x[i + 2]
        s3 += x[i + 3]
        s4 += x[i + 4]
        s5 += x[i + 5]
        s6 += x[i + 6]
        s7 += x[i + 7]
        i += 8
    }
    var s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while i < n {
        s += x[i]
        i += 1
    }
    return s
}

// dst (inner) = sum over k < n of the rows x[k, 0..<inner]: up to 128 rows added in order, else the
// two halves summed the same way (the second into scratch) and added. `scratch` holds inner values
// per level of halving (inner * Int.bitWidth is always enough).
@_specialize(where S == Float)
@_specialize(where S == Double)
func pairwiseSumRows<S: TensorScalar>(
    _ x: UnsafePointer<S>, rows n: Int, inner: Int, _ dst: UnsafeMutablePointer<S>, scratch: UnsafeMutablePointer<S>
) {
    if n > pairwiseBlock {
        let half = n / 2
        pairwiseSumRows(x, rows: half, inner: inner, dst, scratch: scratch)
        pairwiseSumRows(x + half * inner, rows: n - half, inner: inner, scratch, scratch: scratch + inner)
        for j in 0..<inner { dst[j] += scratch[j] }
        return
    }
    for j in 0..<inner { dst[j] = 0 }
    for k in 0..<n {
        let row = x + k * inner
        for j in 0..<inner { dst[j] += row[j] }
    }
}
