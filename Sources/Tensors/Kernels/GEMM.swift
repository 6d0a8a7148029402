// General matrix multiply, row-major:  C (m, n) = op(A) (m, k) . op(B) (k, n)  [+ C]
// where op(A) = A or A^T. A is stored (m, k), or (k, m) when transposed; likewise B.
// `accumulate` adds into C instead of overwriting it.
//
// Float runs the packed, blocked, two-thread kernel of SGEMM.swift; Double (gradient checks)
// runs the simple row kernel below. `gemmNaive` is the reference both are tested against.

struct GEMMShape {
    var transA = false, transB = false
    var m: Int, n: Int, k: Int
    var accumulate = false
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func gemm<S: TensorScalar>(
    _ s: GEMMShape, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>,
    threads: Int = Parallelism.threadCount
) {
    if S.self == Float.self {
        sgemm(s, floats(a), floats(b), floats(c), threads: threads)
        return
    }
    let (m, n, k) = (s.m, s.n, s.k)
    if !s.accumulate { c.update(repeating: 0, count: m * n) }
    if m == 0 || n == 0 || k == 0 { return }
    if s.transB {
        // Materialise B^T (k, n) once so the inner loop below runs over contiguous rows of B.
        let bt = UnsafeMutablePointer<S>.allocate(capacity: k * n)
        defer { bt.deallocate() }
        for j in 0..<n { for p in 0..<k { bt[p * n + j] = b[j * k + p] } }
        gemmRows(s.transA, m, n, k, a, UnsafePointer(bt), c)
    } else {
        gemmRows(s.transA, m, n, k, a, b, c)
    }
}

/// op(B) prepared once for several products C = op(A) . op(B) that share it: packed into the
/// SGEMM kernel's panels for Float, used as it is for Double. The caller keeps B alive and
/// unchanged while the preparation is in use.
final class PreparedOperand<S: TensorScalar> {
    let transposed: Bool, k: Int, n: Int
    let base: UnsafePointer<S>
    let panels: SGEMMPanels?

    init(_ b: UnsafePointer<S>, transposed: Bool, k: Int, n: Int) {
        (self.base, self.transposed, self.k, self.n) = (b, transposed, k, n)
        panels =
            S.self == Float.self
            ? SGEMMPanels(
                MatrixOperand(base: floats(b), transposed: transposed, stride: transposed ? k : n), k: k, n: n) : nil
    }
}

/// C = op(A) . op(B) [+ C] with op(B) prepared: the same numbers as `gemm` with B itself.
@_specialize(where S == Float)
@_specialize(where S == Double)
func gemm<S: TensorScalar>(
    _ s: GEMMShape, _ a: UnsafePointer<S>, prepared b: PreparedOperand<S>, _ c: UnsafeMutablePointer<S>,
    threads: Int = Parallelism.threadCount
) {
    precondition(s.transB == b.transposed && s.k == b.k && s.n == b.n, "the prepared operand does not fit the product")
    if let panels = b.panels {
        sgemm(s, floats(a), panels: panels, floats(c), threads: threads)
    } else {
        gemm(s, a, b.base, c, threads: threads)
    }
}

// C[i, :] += sum_p A[i, p] * B[p, :], four rows of C at a time so each row of B loaded from
// memory is used four times; the innermost loop over j is contiguous and vectorises.
@_specialize(where S == Float)
@_specialize(where S == Double)
func gemmRows<S: TensorScalar>(
    _ transA: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>,
    _ c: UnsafeMutablePointer<S>
) {
    @inline(__always) func elementOfA(_ i: Int, _ p: Int) -> S { transA ? a[p * m + i] : a[i * k + p] }
    var i = 0
    while i + 4 <= m {
        let c0 = c + i * n
        let c1 = c0 + n
        let c2 = c1 + n
        let c3 = c2 + n
        for p in 0..<k {
            let a0 = elementOfA(i, p)
            let a1 = elementOfA(i + 1, p)
            let a2 = elementOfA(i + 2, p)
            let a3 = elementOfA(i + 3, p)
            let bp = b + p * n
            for j in 0..<n {
                let bv = bp[j]
                c0[j] += a0 * bv
                c1[j] += a1 * bv
                c2[j] += a2 * bv
                c3[j] += a3 * bv
            }
        }
        i += 4
    }
    while i < m {
        let ci = c + i * n
        for p in 0..<k {
            let av = elementOfA(i, p)
            let bp = b + p * n
            for j in 0..<n { ci[j] += av * bp[j] }
        }
        i += 1
    }
}

/// The naive triple loop, kept as the reference every fast GEMM is tested against.
func gemmNaive<S: TensorScalar>(
    _ s: GEMMShape, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>
) {
    for i in 0..<s.m {
        for j in 0..<s.n {
            var acc: S = s.accumulate ? c[i * s.n + j] : 0
            for p in 0..<s.k {
                let av = s.transA ? a[p * s.m + i] : a[i * s.k + p]
                let bv = s.transB ? b[j * s.k + p] : b[p * s.n + j]
                acc += av * bv
            }
            c[i * s.n + j] = acc
        }
    }
}
