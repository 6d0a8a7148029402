import Foundation
import ModelFixtures
import Tensors
import Testing

@testable import Models

@Suite("Gated PixelCNN with dilation: causal, no holes, the whole image in view, samplers agree")
struct GatedPixelCNNDilationTests {
    /// A small gated net in Double with random, not small, weights and positive biases (as the
    /// fixtures' nets), so that every connection that exists carries a non-zero gradient.
    static func make(
        height: Int, width: Int, levels: Int = 3, dilations: [Int]?, firstKernel: Int = 3, seed: UInt64 = 7
    ) -> GatedPixelCNN<Double> {
        var rng = Random(seed: seed)
        let layers = (dilations?.count ?? 2) + 1
        let model = GatedPixelCNN<Double>(
            height: height, width: width, levels: levels, channels: 2, layers: layers, firstKernel: firstKernel,
            outputHidden: 4,
            dilations: dilations, using: &rng)
        for p in model.parameters {
            p.value = p.value * 1.5 + Tensor.uniform(p.shape, low: -0.3, high: 0.3, using: &rng)
            if p.name == "bias" { p.value = p.value + 0.5 }
        }
        return model
    }

    /// Dilation 1 everywhere is the net without dilations: the same masks, the same weights drawn
    /// from the same seed, the same logits bit for bit.
    @Test func dilationOneIsTheUndilatedNet() {
        for mask in CausalMask.allCases {
            #expect(
                GatedStackMask.vertical(mask, kernelSize: 3, dilation: 1)
                    == GatedStackMask.vertical(mask, kernelSize: 3))
            #expect(
                GatedStackMask.horizontal(mask, kernelSize: 5, dilation: 1)
                    == GatedStackMask.horizontal(mask, kernelSize: 5))
        }
        var (r1, r2) = (Random(seed: 4), Random(seed: 4))
        let plain = GatedPixelCNN<Float>(height: 6, width: 5, levels: 2, channels: 3, layers: 3, using: &r1)
        let ones = GatedPixelCNN<Float>(
            height: 6, width: 5, levels: 2, channels: 3, layers: 3, dilations: [1, 1], using: &r2)
        #expect(zip(plain.parameters, ones.parameters).allSatisfy { $0.value == $1.value })
        let x = plain.inputs(Fixtures.randomPixels(count: 2, dimension: 30, levels: 2, seed: 5))
        #expect(plain.logits(x) == ones.logits(x))
    }

    /// The dilated 3x3 masks, written out: mask B's taps two pixels apart in a 5x5 square.
    @Test func dilatedMasks() {
        #expect(
            GatedStackMask.vertical(.b, kernelSize: 3, dilation: 2) == [
                [1, 0, 1, 0, 1],
                [0, 0, 0, 0, 0],
                [1, 0, 1, 0, 1],
                [0, 0, 0, 0, 0],
                [0, 0, 0, 0, 0],
            ])
        #expect(GatedStackMask.horizontal(.b, kernelSize: 3, dilation: 2)[2] == [1, 0, 1, 0, 0])
        #expect(
            GatedStackMask.horizontal(.b, kernelSize: 3, dilation: 2).enumerated().allSatisfy {
                $0 == 2 || !$1.contains(1)
            })
    }

    /// By autodiff: with dilations 1, 2, 4 after a 3x3 first layer (the field's reach 1, 2, 4, 8,
    /// each jump at most the reach so far) the logits of every pixel of an 8x9 image depend on no
    /// later pixel, on exactly the pixels the masks allow, with no hole, and the last pixel sees
    /// every earlier one. Dilations 1, 4, 4 jump further than the reach and leave holes, which
    /// the same check finds (the negative control).
    @Test func fieldByAutodiff() {
        let (height, width) = (8, 9)
        for (dilations, holesExpected) in [([1, 2, 4], false), ([1, 4, 4], true)] {
            let model = Self.make(height: height, width: width, dilations: dilations)
            let m = model.dependencyMatrix(at: Fixtures.randomInputs(model))
            #expect(m.nonCausalEntries.isEmpty, "\(dilations): \(m.nonCausalEntries.prefix(5))")
            var holes = 0
            for i in 0..<model.dimension {
                let (r, c) = (i / width, i % width)
                let field = model.receptiveField(row: r, column: c)
                #expect(
                    m.dependencies(of: i) == field,
                    "\(dilations): pixel \(i) sees \(m.dependencies(of: i).sorted()), masks allow \(field.sorted())")
                holes += ReceptiveField.blindSpot(of: field, row: r, column: c, width: width).count
                // Without holes, and with a reach of 8, every pixel sees every pixel before it.
                if !holesExpected {
                    #expect(
                        field == Set(0..<i), "\(dilations): pixel \(i) misses \(Set(0..<i).subtracting(field).sorted())"
                    )
                }
            }
            #expect((holes > 0) == holesExpected, "\(dilations): \(holes) holes")
        }
    }

    /// The cached sampler draws exactly the pixels of the naive one for a dilated net, and the
    /// one-pass likelihood equals the sum of the sampler's step log-probabilities.
    @Test(arguments: [2, 4])
    func samplersAgree(levels: Int) {
        var model = Self.make(height: 5, width: 6, levels: levels, dilations: [2, 1])
        var draws: [PixelSamples] = []
        for sampler in PixelCNNSampler.allCases {
            model.sampler = sampler
            var rng = Random(seed: 11)
            let samples = model.sample(count: 4, using: &rng)
            for (a, b) in zip(model.logLikelihoods(samples.pixels), samples.logProbabilities) {
                #expect(abs(a - b) <= 1e-10 * max(1, abs(a)), "\(sampler): one pass \(a), sampled \(b)")
            }
            draws.append(samples)
        }
        #expect(draws[0].pixels == draws[1].pixels)
        #expect(draws[0].stepLogProbabilities == draws[1].stepLogProbabilities)
    }
}

@Suite("Sampler windows: only the rows a dilated kernel reads are copied")
struct SamplerWindowTests {
    /// A window restricted to some rows holds the full window's values in those rows and zeros in
    /// the others; a dilated gated layer's stacks read the rows of its k x k taps only.
    @Test func restrictedWindowsKeepTheReadRowsAndZeroTheRest() {
        var map = FeatureMap<Double>(count: 2, channels: 3, height: 6, width: 5)
        map.values = (0..<map.values.count).map { Double($0 + 1) }
        let reading = [0, 2, 4]
        for (rows, columns) in [(-2..<3, -2..<7), (1..<6, 0..<5), (3..<8, 2..<4)] {
            let full = map.windows(rows: rows, columns: columns)
            let kept = map.windows(rows: rows, columns: columns, reading: reading)
            #expect(full.shape == kept.shape)
            let (h, rowLength) = (rows.count, full.shape[3])
            for c in 0..<3 {
                for y in 0..<h {
                    let range = ((c * h + y) * rowLength)..<((c * h + y + 1) * rowLength)
                    let expected =
                        reading.contains(y) ? Array(full.scalars[range]) : Array(repeating: 0, count: rowLength)
                    #expect(Array(kept.scalars[range]) == expected, "rows \(rows), channel \(c), window row \(y)")
                }
            }
        }
        var rng = Random(seed: 3)
        let layer = GatedPixelCNNLayer<Double>(4, 2, kernelSize: 3, mask: .b, dilation: 4, using: &rng)
        #expect(GatedPixelCNNLayer.rowsRead(by: layer.vertical) == [0, 4])
        #expect(GatedPixelCNNLayer.rowsRead(by: layer.horizontal) == [4])
    }
}
