import Testing

@testable import Tensors

@Suite("Autodiff engine")
struct AutodiffTests {
    /// Fan-out: x used three times must get all three contributions (d/dx (x + x) x = 4x).
    @Test func gradientsAccumulate() {
        let x = Tensor<Double>([1.5, -2])
        let (_, g) = valueAndGradient(at: [x]) { t in ((t[0] + t[0]) * t[0]).sum() }
        #expect(g[0].scalars == [6, -8])
    }

    @Test func broadcastGradientIsSummedToOperandShape() {
        let a = Tensor<Double>(shape: [2, 3], repeating: 1)
        let b = Tensor<Double>([1, 2, 3])
        let (_, g) = valueAndGradient(at: [a, b]) { t in (t[0] * t[1]).sum() }
        #expect(g[1].shape == [3])
        #expect(g[1].scalars == [2, 2, 2])
        #expect(g[0].scalars == [1, 2, 3, 1, 2, 3])
    }

    @Test func unusedInputGetsZeros() {
        let (_, g) = valueAndGradient(at: [Tensor<Double>([1, 2]), Tensor<Double>([3])]) { t in t[0].sum() }
        #expect(g[1].scalars == [0])
    }

    @Test func noRecordingOutsideOrInsideWithoutGradient() {
        let x = Tensor<Double>([1, 2])
        #expect((x * x).isTracked == false)
        let (_, g) = valueAndGradient(at: [x]) { t in
            let constant = withoutGradient { t[0] * t[0] }
            #expect(!constant.isTracked)
            return (constant * t[0]).sum()
        }
        // Only the direct factor is differentiated: d/dx (c * x) = c = x^2.
        #expect(g[0].scalars == [1, 4])
    }

    @Test func detachedStopsGradient() {
        let (_, g) = valueAndGradient(at: [Tensor<Double>([3])]) { t in (t[0].detached * t[0]).sum() }
        #expect(g[0].scalars == [3])
    }

    @Test func parametersAreRestoredAndGradientsComeBackAsValues() {
        var rng = Random(seed: 1)
        let layer = Linear<Double>(2, 1, using: &rng)
        let before = layer.weight.value
        let (loss, grads) = valueAndGradient(of: layer.parameters) {
            layer(Tensor(shape: [1, 2], scalars: [1, 2])).sum()
        }
        #expect(layer.weight.value == before && layer.weight.value.node == nil)
        #expect(grads[0].scalars == [1, 2] && grads[1].scalars == [1])
        #expect(Swift.abs(loss.item - (before.scalars[0] + 2 * before.scalars[1])) < 1e-12)
    }

    /// A long chain (a 5000-step recurrence) runs backward without recursion.
    @Test func longChainDoesNotRecurse() {
        let (_, g) = valueAndGradient(at: [Tensor<Double>([1])]) { t in
            var h = t[0]
            for _ in 0..<5000 { h = h * 1.0001 }
            return h.sum()
        }
        #expect(Swift.abs(g[0].item - 1.0001.pow(5000)) < 1e-9)
    }

    /// The check mode names the op that first produced a NaN, and the step.
    @Test func nonFiniteCheckNamesTheOp() throws {
        let error = NumericsCheck.enabled {
            let x = Tensor<Float>([1, -1])
            _ = (x.log() * 2).exp()
            return #expect(throws: NonFiniteValueError.self) { try NumericsCheck.throwIfFound(step: 17) }
        }
        #expect(error?.op == "log")
        #expect(error?.step == 17)
        #expect(error?.description.contains("[2]") == true)
        // Off by default: the same NaN goes unreported.
        _ = Tensor<Float>([-1]).log()
        #expect(NumericsCheck.takeReport() == nil)
    }
}

extension Double {
    fileprivate func pow(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * self } }
}
