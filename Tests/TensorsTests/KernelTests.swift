import Testing
@testable import Tensors

/// Every fast kernel against its naive twin, over shapes that hit the edges.
@Suite("Kernels")
struct KernelTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 7), (4, 4, 4), (9, 1, 13), (1, 17, 3), (33, 31, 29)]

    @Test(arguments: [false, true], [false, true])
    func gemmMatchesNaive(transA: Bool, transB: Bool) {
        for (m, n, k) in Self.shapes {
            for accumulate in [false, true] {
                var rng = Random(seed: UInt64(m * 100 + n * 10 + k))
                let a = Tensor<Float>.uniform([m * k], low: -1, high: 1, using: &rng).scalars
                let b = Tensor<Float>.uniform([k * n], low: -1, high: 1, using: &rng).scalars
                let c0 = Tensor<Float>.uniform([m * n], low: -1, high: 1, using: &rng).scalars
                let s = GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k, accumulate: accumulate)
                var fast = c0, slow = c0
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        fast.withUnsafeMutableBufferPointer { gemm(s, a.baseAddress!, b.baseAddress!, $0.baseAddress!) }
                        slow.withUnsafeMutableBufferPointer { gemmNaive(s, a.baseAddress!, b.baseAddress!, $0.baseAddress!) }
                    }
                }
                // Float sums of k terms of size <= 1: rounding grows like k * 2^-24.
                expectClose(fast, slow, tolerance: Double(k + 1) * 2e-7)
            }
        }
    }

    /// im2col then col2im multiplies each pixel by the number of windows that read it.
    @Test func col2imIsTheAdjointOfIm2col() {
        let g = ConvGeometry(channels: 2, height: 5, width: 4, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
        var rng = Random(seed: 3)
        let x = Tensor<Double>.uniform([2 * 5 * 4], using: &rng).scalars
        let y = Tensor<Double>.uniform([g.columnRows * g.columnCount], using: &rng).scalars
        var cols = [Double](repeating: 0, count: y.count)
        var back = [Double](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in cols.withUnsafeMutableBufferPointer { im2col(g, xp.baseAddress!, $0.baseAddress!) } }
        y.withUnsafeBufferPointer { yp in back.withUnsafeMutableBufferPointer { col2im(g, yp.baseAddress!, $0.baseAddress!) } }
        // <im2col(x), y> == <x, col2im(y)>
        let lhs = zip(cols, y).map(*).reduce(0, +)
        let rhs = zip(x, back).map(*).reduce(0, +)
        #expect(Swift.abs(lhs - rhs) < 1e-12)
    }

    @Test func permuteMatchesIndexArithmetic() {
        let shape = [2, 3, 4, 5]
        let x = (0..<120).map(Double.init)
        let y = permuteKernel(x, shape: shape, perm: [3, 1, 0, 2])
        let t = Tensor<Double>(shape: [5, 3, 2, 4], scalars: y)
        for a in 0..<2 { for b in 0..<3 { for c in 0..<4 { for d in 0..<5 {
            #expect(t[d, b, a, c] == Double(((a * 3 + b) * 4 + c) * 5 + d))
        } } } }
    }
}
