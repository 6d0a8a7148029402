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

/// Rows `from ..< from + count` of src ([outer, srcLength, inner]) as a new [outer, count, inner] array.
func copyingRows<S: TensorScalar>(_ src: [S], srcLength: Int, from: Int, count: Int, outer: Int, inner: Int) -> [S] {
    uninitializedArray(count: outer * count * inner) { dst in
        withBaseAddresses(src) {
            copyRows(
                $0[0], srcLength: srcLength, from: from, dst, dstLength: count, to: 0, count: count, outer: outer,
                inner: inner)
        }
    }
}

/// All srcLength rows of src ([outer, srcLength, inner]) into rows `to ..< to + srcLength` of
/// dst ([outer, dstLength, inner]).
func copyRows<S: TensorScalar>(
    _ src: [S], srcLength: Int, into dst: inout [S], dstLength: Int, to: Int, outer: Int, inner: Int
) {
    withMutableBaseAddress(&dst) { dst in
        withBaseAddresses(src) {
            copyRows(
                $0[0], srcLength: srcLength, from: 0, dst, dstLength: dstLength, to: to, count: srcLength, outer: outer,
                inner: inner)
        }
    }
}
