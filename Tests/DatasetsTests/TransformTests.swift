import Foundation
import Tensors
import Testing

@testable import Datasets

@Suite struct TransformTests {
    /// One 2 x 4 image with 17 levels: 0, 4, 8, 9 / 12, 16, 1, 15.
    static let tiny = ImageSet(height: 2, width: 4, levels: 17, pixels: [0, 4, 8, 9, 12, 16, 1, 15], labels: [7])

    @Test func staticBinarisationIsAboveHalf() {
        // v / 16 > 0.5 means v >= 9: the level 8 (exactly 0.5) stays 0.
        let b = Self.tiny.binarized()
        #expect(b.levels == 2 && b.pixels == [0, 0, 0, 1, 1, 1, 0, 1] && b.labels == [7])
        #expect(Self.tiny.binarized(threshold: 0.2).pixels == [0, 1, 1, 1, 1, 1, 0, 1])
    }

    @Test func mnistBinarisationThreshold() throws {
        let mnist = try RealDataset.mnist5k.load().subset(0..<100)
        let b = mnist.binarized()
        #expect(zip(mnist.pixels, b.pixels).allSatisfy { ($0 >= 128) == ($1 == 1) })
    }

    @Test func stochasticBinarisationIsSeededAndUnbiased() throws {
        let digits = try RealDataset.digits8x8.load()
        var a = Random(seed: 3)
        var b = Random(seed: 3)
        let first = digits.stochasticallyBinarized(using: &a)
        #expect(first == digits.stochasticallyBinarized(using: &b))
        #expect(first != digits.stochasticallyBinarized(using: &a))
        // The mean of the bits estimates the mean intensity: 115,008 pixels, standard error < 0.0015.
        let intensity = digits.unitPixels(as: Double.self).reduce(0, +) / Double(digits.pixels.count)
        let ones = Double(first.pixels.reduce(0) { $0 + Int($1) }) / Double(digits.pixels.count)
        expectClose(ones, intensity, tolerance: 0.006, "fraction of ones")
        // Black stays black and white stays white.
        #expect(zip(digits.pixels, first.pixels).allSatisfy { $0 == 0 ? $1 == 0 : $0 == 16 ? $1 == 1 : true })
    }

    @Test func quantisationUsesEqualBins() {
        let q = Self.tiny.quantized(levels: 4)
        #expect(q.levels == 4 && q.pixels == [0, 0, 1, 2, 2, 3, 0, 3])
        #expect(Self.tiny.quantized(levels: 17) == Self.tiny)
        let all = ImageSet(height: 1, width: 256, levels: 256, pixels: (0...255).map { UInt8($0) }, labels: [0])
        let counts = (0..<8).map { level in all.quantized(levels: 8).pixels.filter { $0 == level }.count }
        #expect(counts == [Int](repeating: 32, count: 8))
    }

    @Test func downsamplingAveragesBlocks() {
        // Blocks (0, 4, 12, 16) -> 32 / 4 = 8; (8, 9, 1, 15) -> (33 + 2) / 4 = 8.
        let d = Self.tiny.downsampled2x()
        #expect(d.height == 1 && d.width == 2 && d.levels == 17 && d.pixels == [8, 8])
        let round = ImageSet(height: 2, width: 2, levels: 256, pixels: [255, 255, 255, 254], labels: [0])
        #expect(round.downsampled2x().pixels == [255])  // 1019 / 4 = 254.75 rounds up
    }

    @Test func mnistTo14x14() throws {
        let mnist = try RealDataset.mnist5k.load(.test)
        let small = mnist.downsampled2x()
        #expect(small.count == 500 && small.height == 14 && small.width == 14 && small.labels == mnist.labels)
        #expect(small.nchw().shape == [500, 1, 14, 14])
        // The mean intensity survives averaging (up to rounding, at most 0.5 level per pixel).
        let mean = { (s: ImageSet) in Double(s.pixels.reduce(0) { $0 + Int($1) }) / Double(s.pixels.count) }
        expectClose(mean(small), mean(mnist), tolerance: 0.5)
    }

    @Test func subsetKeepsOrderAndLabels() {
        let set = ImageSet(height: 1, width: 2, levels: 4, pixels: [0, 1, 2, 3, 1, 1], labels: [5, 6, 7])
        let s = set.subset([2, 0, 2])
        #expect(s.pixels == [1, 1, 0, 1, 1, 1] && s.labels == [7, 5, 7])
        #expect(set.subset(1..<3) == set.subset([1, 2]))
    }
}
