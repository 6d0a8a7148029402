// Block copies for slicing, padding and concatenation. Both tensors are viewed as
// [outer, length, inner] along the axis in question; `count` rows of `inner` elements are copied
// from row `from` of src (length srcLength) to row `to` of dst (length dstLength), for every outer.

@_specialize(where S == Float)
@_specialize(where S == Double)
func copyRows<S: TensorScalar>(
    _ src: UnsafePointer<S>, srcLength: Int, from: Int,
    _ dst: UnsafeMutablePointer<S>, dstLength: Int, to: Int,
    count: Int, outer: Int, inner: Int
) {
    let block = count * inner
    for o in 0..<outer {
        let s = src + (o * srcLength + from) * inner
        let d = dst + (o * dstLength + to) * inner
        d.update(from: s, count: block)
    }
}
