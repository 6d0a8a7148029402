import Testing

@testable import Tensors

/// Every fast kernel against its naive twin, over shapes that hit the edges.
@Suite("Kernels")
struct KernelTests {
    /// Shapes that hit every edge of the Float kernels' tiling (micro-tile 6 x 8 or, with FMA,
    /// 6 x 16; k-slice 256, or all of k up to 320; row block 72, column block 1024): one element, sizes below, at and past
    /// a tile, k past a slice, rows past a block, columns past a block, tall and skinny, short and
    /// wide.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (3, 5, 7), (6, 8, 4), (7, 9, 13), (9, 1, 13), (1, 17, 3), (33, 31, 29), (13, 17, 300),
        (150, 20, 9), (5, 1030, 3), (200, 2, 5), (2, 3, 520), (64, 128, 40), (12, 48, 260), (6, 16, 1),
        (7, 20, 321),
    ]

    static func gemmOperands(_ m: Int, _ n: Int, _ k: Int) -> (a: [Float], b: [Float], c: [Float]) {
        var rng = Random(seed: UInt64(m * 10_000 + n * 100 + k))
        let a = Tensor<Float>.uniform([m * k], low: -1, high: 1, using: &rng).scalars
        let b = Tensor<Float>.uniform([k * n], low: -1, high: 1, using: &rng).scalars
        let c = Tensor<Float>.uniform([m * n], low: -1, high: 1, using: &rng).scalars
        return (a, b, c)
    }

    static func run(_ s: GEMMShape, _ a: [Float], _ b: [Float], _ c: [Float], threads: Int? = nil, naive: Bool = false)
        -> [Float]
    {
        var out = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    if naive {
                        gemmNaive(s, a.baseAddress!, b.baseAddress!, c.baseAddress!)
                    } else if let threads {
                        sgemm(s, a.baseAddress!, b.baseAddress!, c.baseAddress!, threads: threads)
                    } else {
                        gemm(s, a.baseAddress!, b.baseAddress!, c.baseAddress!)
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: [false, true], [false, true])
    func gemmMatchesNaive(transA: Bool, transB: Bool) {
        for (m, n, k) in Self.shapes {
            for accumulate in [false, true] {
                let (a, b, c0) = Self.gemmOperands(m, n, k)
                let s = GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k, accumulate: accumulate)
                // Float sums of k terms of size <= 1: rounding grows like k * 2^-24.
                let slow = Self.run(s, a, b, c0, naive: true)
                expectClose(Self.run(s, a, b, c0), slow, tolerance: Double(k + 1) * 2e-7)
                expectClose(Self.run(s, a, b, c0, threads: 2), slow, tolerance: Double(k + 1) * 2e-7)
            }
        }
    }

    /// A B packed once and used for several products gives the same bits as packing it each time.
    @Test(arguments: [false, true])
    func preparedOperandGivesTheSameBits(transB: Bool) {
        for (m, n, k) in Self.shapes {
            let (a, b, c0) = Self.gemmOperands(m, n, k)
            let s = GEMMShape(transA: false, transB: transB, m: m, n: n, k: k, accumulate: true)
            let plain = Self.run(s, a, b, c0)
            for threads in [1, 2] {
                var out = c0
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        let prepared = PreparedOperand(b.baseAddress!, transposed: transB, k: k, n: n)
                        out.withUnsafeMutableBufferPointer {
                            gemm(s, a.baseAddress!, prepared: prepared, $0.baseAddress!, threads: threads)
                        }
                    }
                }
                #expect(out == plain, "\(m)x\(n)x\(k), transB \(transB), \(threads) threads")
            }
        }
    }

    /// The Double path (used by gradient checks) against the same reference.
    @Test func doubleGemmMatchesNaive() {
        for (m, n, k) in Self.shapes.prefix(8) {
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                var rng = Random(seed: UInt64(m + n + k))
                let a = Tensor<Double>.uniform([m * k], using: &rng).scalars
                let b = Tensor<Double>.uniform([k * n], using: &rng).scalars
                var fast = [Double](repeating: 0, count: m * n)
                var slow = fast
                let s = GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        fast.withUnsafeMutableBufferPointer { gemm(s, a.baseAddress!, b.baseAddress!, $0.baseAddress!) }
                        slow.withUnsafeMutableBufferPointer {
                            gemmNaive(s, a.baseAddress!, b.baseAddress!, $0.baseAddress!)
                        }
                    }
                }
                expectClose(fast, slow, tolerance: Double(k + 1) * 1e-15)
            }
        }
    }

    /// Threads split C statically and every element is summed in the same order, so one, two
    /// and three threads give the same bits, run after run.
    @Test func gemmIsDeterministicAcrossRunsAndThreadCounts() {
        for (m, n, k) in [(150, 40, 300), (12, 700, 50)] {
            let (a, b, c0) = Self.gemmOperands(m, n, k)
            let s = GEMMShape(transA: false, transB: true, m: m, n: n, k: k, accumulate: true)
            let first = Self.run(s, a, b, c0, threads: 2)
            #expect(Self.run(s, a, b, c0, threads: 2) == first)
            #expect(Self.run(s, a, b, c0, threads: 1) == first)
            #expect(Self.run(s, a, b, c0, threads: 3) == first)
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
        x.withUnsafeBufferPointer { xp in
            cols.withUnsafeMutableBufferPointer { im2col(g, xp.baseAddress!, $0.baseAddress!) }
        }
        y.withUnsafeBufferPointer { yp in
            back.withUnsafeMutableBufferPointer { col2im(g, yp.baseAddress!, $0.baseAddress!) }
        }
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
        for a in 0..<2 {
            for b in 0..<3 {
                for c in 0..<4 {
                    for d in 0..<5 {
                        #expect(t[d, b, a, c] == Double(((a * 3 + b) * 4 + c) * 5 + d))
                    }
                }
            }
        }
    }

    /// Operands gathered through a table of row starts (MatrixOperand.rowStarts, how a convolution
    /// reads the shifted rows of a padded image) give the product of the gathered copies.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gatheredOperandsMatchTheirCopies(transA: Bool, transB: Bool) {
        let (m, n, k) = (13, 37, 29)
        var rng = Random(seed: 23)
        let pool = Tensor<Float>.uniform([4000], low: -1, high: 1, using: &rng).scalars
        // Stored rows of A and B: (k, m) / (m, k) and (n, k) / (k, n), starting anywhere in the pool.
        let (rowsA, lengthA) = transA ? (k, m) : (m, k)
        let (rowsB, lengthB) = transB ? (n, k) : (k, n)
        let startsA = (0..<rowsA).map { _ in rng.index(below: pool.count - lengthA) }
        let startsB = (0..<rowsB).map { _ in rng.index(below: pool.count - lengthB) }
        let copyA = startsA.flatMap { pool[$0..<($0 + lengthA)] }
        let copyB = startsB.flatMap { pool[$0..<($0 + lengthB)] }
        let shape = GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k)
        let expected = Self.run(shape, copyA, copyB, [Float](repeating: 0, count: m * n), naive: true)
        var out = [Float](repeating: .nan, count: m * n)
        pool.withUnsafeBufferPointer { pool in
            startsA.withUnsafeBufferPointer { sa in
                startsB.withUnsafeBufferPointer { sb in
                    let a = MatrixOperand(
                        base: pool.baseAddress!, transposed: transA, stride: 0, rowStarts: sa.baseAddress!)
                    let b = MatrixOperand(
                        base: pool.baseAddress!, transposed: transB, stride: 0, rowStarts: sb.baseAddress!)
                    out.withUnsafeMutableBufferPointer { sgemm(shape, a, b, panels: nil, $0.baseAddress!, threads: 2) }
                }
            }
        }
        expectClose(out, expected, tolerance: 1e-5)
    }
}

@Suite("Worker pool")
struct WorkerPoolTests {
    final class Counts: @unchecked Sendable {
        var values: [Int]
        init(_ n: Int) { values = [Int](repeating: 0, count: n) }
    }

    static func region(_ parts: Int, nested: Bool = false) -> Bool {
        let counts = Counts(parts)
        counts.values.withUnsafeMutableBufferPointer { c in
            let base = c.baseAddress!
            parallelFor(parts) { t in
                if nested { parallelFor(2) { _ in } }
                base[t] += 1
            }
        }
        return counts.values.allSatisfy { $0 == 1 }
    }

    @Test func everyPartRunsOnce() {
        for i in 0..<2000 { #expect(Self.region(2 + i % 3, nested: i % 7 == 0)) }
    }

    @Test func concurrentCallers() async {
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 { group.addTask { (0..<500).allSatisfy { Self.region(2 + $0 % 2) } } }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(results)
    }
}
