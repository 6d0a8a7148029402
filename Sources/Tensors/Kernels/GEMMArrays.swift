// The GEMM kernel (GEMM.swift) on arrays: what the ops call. A and B are read from the given
// offsets into their storage, so one operand of a batched product needs no copy.

/// op(A) . op(B) as a new [m, n] array.
func gemmArray<S: TensorScalar>(_ s: GEMMShape, _ a: [S], _ b: [S], offsetA: Int = 0, offsetB: Int = 0) -> [S] {
    uninitializedArray(count: s.m * s.n) { c in
        withBaseAddresses(a, b) { p in gemm(s, p[0] + offsetA, p[1] + offsetB, c) }
    }
}

/// op(A) . op(B) written (or added, with `accumulate`) into c from `offsetC`.
func gemmArrays<S: TensorScalar>(
    _ s: GEMMShape, _ a: [S], _ b: [S], into c: inout [S], offsetA: Int = 0, offsetB: Int = 0, offsetC: Int = 0
) {
    withMutableBaseAddress(&c) { c in
        withBaseAddresses(a, b) { p in gemm(s, p[0] + offsetA, p[1] + offsetB, c + offsetC) }
    }
}
