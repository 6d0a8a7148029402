import Testing

@testable import Tensors

/// Float sums at scale: the pairwise sum of Kernels/Reduce.swift against the same sum in Double,
/// and a plain left-to-right Float sum as the negative control that the same check rejects.
@Suite("Pairwise Float sums")
struct SumAccuracyTests {
    /// 100 000 terms in [0, 1): the sum is about 50 000, where a Float's spacing is 0.004.
    static func terms(_ count: Int = 100_000) -> [Float] {
        var rng = Random(seed: 19)
        return Tensor<Float>.uniform([count], low: 0, high: 1, using: &rng).scalars
    }

    static func exact(_ x: [Float]) -> Double { x.reduce(0) { $0 + Double($1) } }

    static func relativeError(_ value: Float, _ exact: Double) -> Double {
        Swift.abs(Double(value) - exact) / Swift.abs(exact)
    }

    @Test func longSumIsCloseToTheDoubleSum() {
        let x = Self.terms()
        let error = Self.relativeError(Tensor(shape: [x.count], scalars: x).sum().item, Self.exact(x))
        // Pairwise: a few units of Float's eps (6e-8) times log2(n / 128) ~ 10 levels.
        #expect(error < 2e-7, "relative error \(error)")
    }

    /// The negative control: left to right, the same data misses the same bound by far.
    @Test func leftToRightSumFailsTheSameCheck() {
        let x = Self.terms()
        var naive: Float = 0
        for v in x { naive += v }
        let error = Self.relativeError(naive, Self.exact(x))
        #expect(error > 2e-6, "relative error \(error)")
    }

    /// Along an axis with inner > 1 (the bias gradient of a convolution sums over N*H*W): every
    /// column close to its Double sum.
    @Test func sumAlongAnAxisIsCloseToTheDoubleSum() {
        let (n, inner) = (70_000, 3)
        var rng = Random(seed: 7)
        let x = Tensor<Float>.uniform([n, inner], low: 0, high: 1, using: &rng)
        let sums = x.sum(alongAxis: 0).scalars
        for j in 0..<inner {
            let exact = (0..<n).reduce(0.0) { $0 + Double(x.scalars[$1 * inner + j]) }
            let error = Self.relativeError(sums[j], exact)
            #expect(error < 2e-7, "column \(j): relative error \(error)")
        }
    }

    /// Every length, across the edges of the eight-wide loop and of the 128-term block, sums to
    /// within Float precision of the Double sum.
    @Test(arguments: [1, 7, 8, 9, 127, 128, 129, 1000, 4097])
    func pairwiseSumOfAnyLengthMatchesDouble(_ n: Int) {
        let x = Self.terms(n)
        let value = x.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, n) }
        #expect(Swift.abs(Double(value) - Self.exact(x)) <= 1e-6 * Double(Swift.max(n, 1)))
    }
}
