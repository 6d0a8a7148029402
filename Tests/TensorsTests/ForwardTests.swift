import Foundation
import Testing

@testable import Tensors

/// Forward values against small cases computed by hand, and the stability cases.
@Suite("Forward values")
struct ForwardTests {
    @Test func creation() {
        #expect(Tensor<Float>.arange(0, 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor<Float>.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor<Double>.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor<Double>.full([3], 7).scalars == [7, 7, 7])
        let t = Tensor<Double>(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(t[1, 2] == 5)
        #expect(Tensor<Double>.strides(of: [2, 3, 4]) == [12, 4, 1])
    }

    @Test func arithmeticAndBroadcasting() {
        let a = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect((a + Tensor([10, 20])).scalars == [11, 22, 13, 24])
        #expect((a * Tensor(shape: [2, 1], scalars: [2, 3])).scalars == [2, 4, 9, 12])
        #expect((a / 2).scalars == [0.5, 1, 1.5, 2])
        #expect((1 - a).scalars == [0, -1, -2, -3])
        let c =
            Tensor<Double>(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6]) + Tensor(shape: [2, 1], scalars: [10, 20])
        #expect(c.shape == [2, 2, 3])
        #expect(c.scalars == [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
    }

    @Test func reductionsAndShapes() {
        let t = Tensor<Double>(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        #expect(t.sum().item == 21)
        #expect(t.sum(alongAxis: 0).scalars == [5, 7, 9])
        #expect(t.sum(alongAxis: 1).scalars == [9, 12])
        #expect(t.max(alongAxis: 1).scalars == [5, 6])
        #expect(t.mean().item == 3.5)
        #expect(t.transposed().scalars == [1, 4, 5, 2, 3, 6])
        #expect(t.slice(1..<3, alongAxis: 1).scalars == [5, 3, 2, 6])
        #expect(t.selecting(1).scalars == [4, 2, 6])
        #expect(t.padded([(0, 0), (1, 0)]).scalars == [0, 1, 5, 3, 0, 4, 2, 6])
        #expect(Tensor.concatenate([t, t.slice(0..<1)], alongAxis: 0).shape == [3, 3])
        #expect(t.gathering([2, 0]).scalars == [3, 4])
        let p = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init)).permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        #expect(p[3, 1, 2] == Double(1 * 12 + 2 * 4 + 3))
    }

    @Test func matmulByHand() {
        let a = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor<Double>(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        #expect((a • b).scalars == [58, 64, 139, 154])
    }

    /// A 3x3 image convolved with a 2x2 kernel, by hand; and the mask zeroing a tap.
    @Test func conv2dByHand() {
        let x = Tensor<Double>(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = Tensor<Double>(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
        #expect(Tensor.conv2d(x, weight: w).scalars == [-4, -4, -4, -4])
        let mask = Tensor<Double>(shape: [1, 1, 2, 2], scalars: [1, 1, 1, 0])
        #expect(Tensor.conv2d(x, weight: w, mask: mask).scalars == [1, 2, 4, 5])
        let padded = Tensor.conv2d(
            x, weight: Tensor(shape: [1, 1, 1, 1], scalars: [2]), bias: Tensor([1]), stride: 2, padding: 1)
        #expect(padded.shape == [1, 1, 3, 3])
        #expect(padded.scalars == [1, 1, 1, 1, 11, 1, 1, 1, 1])
    }

    @Test func stability() {
        let logits = Tensor<Float>([100, -100, 0])
        let bce1 = Tensor.binaryCrossEntropy(logits: logits, targets: Tensor([1, 1, 1]))
        expectClose(bce1.scalars, [0, 100, Float(Foundation.log(2.0))], tolerance: 1e-6)
        let bce0 = Tensor.binaryCrossEntropy(logits: logits, targets: Tensor([0, 0, 0]))
        expectClose(bce0.scalars, [100, 0, Float(Foundation.log(2.0))], tolerance: 1e-6)
        let logSigmoids = Tensor<Float>([-100, 100]).logSigmoid().scalars
        #expect(logSigmoids.allSatisfy { $0.isFinite })
        #expect(Tensor<Float>([-100]).logSigmoid().item == -100)
        let lse = Tensor<Float>([1e4, 1e4]).logSumExp(alongAxis: 0)
        #expect(Swift.abs(lse.item - (1e4 + Float(Foundation.log(2.0)))) < 1e-2)
        #expect(Tensor<Float>([-1e4, -1e4]).logSumExp(alongAxis: 0).item.isFinite)
        #expect(Tensor<Float>([-1000, 1000]).sigmoid().scalars == [0, 1])
        // Gradients at the extremes are finite too.
        let (_, g) = valueAndGradient(at: [Tensor<Float>([100, -100])]) { t in
            Tensor.binaryCrossEntropy(logits: t[0], targets: Tensor([0, 1])).sum()
        }
        #expect(g[0].scalars == [1, -1])
    }

    @Test func lossesByHand() {
        // KL(N(0,1) || N(0,1)) = 0; KL(N(1, e^0) || N(0,1)) = 0.5.
        #expect(Tensor.gaussianKL(mean: Tensor<Double>([0, 1]), logVariance: Tensor([0, 0])).scalars == [0, 0.5])
        let logp = Tensor.gaussianLogDensity(Tensor<Double>([0]), mean: Tensor([0]), logVariance: Tensor([0])).item
        #expect(Swift.abs(logp + 0.5 * Foundation.log(2 * Double.pi)) < 1e-12)
        let ce = Tensor.crossEntropy(logits: Tensor<Double>(shape: [1, 2], scalars: [0, 0]), labels: [1]).item
        #expect(Swift.abs(ce - Foundation.log(2.0)) < 1e-12)
    }

    @Test func randomIsReproducibleAndCalibrated() {
        var a = Random(seed: 42)
        var b = Random(seed: 42)
        #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
        var rng = Random(seed: 7)
        let n = 20000
        let xs = (0..<n).map { _ in rng.normal() }
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        #expect(Swift.abs(mean) < 0.03 && Swift.abs(variance - 1) < 0.05)
        var counts = [0, 0, 0]
        for _ in 0..<n { counts[rng.categorical([1.0, 2.0, 1.0])] += 1 }
        #expect(Swift.abs(Double(counts[1]) / Double(n) - 0.5) < 0.02)
        #expect(rng.permutation(10).sorted() == Array(0..<10))
    }
}
