import Testing

@testable import Tensors

/// End to end: a small MLP learns XOR with Adam, and the same seed gives the same loss bit for bit.
@Suite("Training")
struct TrainingTests {
    static func trainXOR(seed: UInt64, steps: Int = 500) -> Float {
        var rng = Random(seed: seed)
        let l1 = Linear<Float>(2, 8, initializer: .xavierUniform, using: &rng)
        let l2 = Linear<Float>(8, 1, initializer: .xavierUniform, using: &rng)
        let parameters = l1.parameters + l2.parameters
        let x = Tensor<Float>(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        let y = Tensor<Float>(shape: [4, 1], scalars: [0, 1, 1, 0])
        let adam = Adam<Float>(learningRate: 0.05)
        var loss: Float = .nan
        for _ in 0..<steps {
            let (value, grads) = valueAndGradient(of: parameters) {
                Tensor.binaryCrossEntropy(logits: l2(l1(x).tanh()), targets: y).mean()
            }
            adam.update(parameters, with: grads)
            loss = value.item
        }
        return loss
    }

    @Test func mlpLearnsXOR() {
        let loss = Self.trainXOR(seed: 1)
        #expect(loss < 0.01, "final loss \(loss)")
    }

    @Test func sameSeedSameLossBitForBit() {
        #expect(Self.trainXOR(seed: 5, steps: 50).bitPattern == Self.trainXOR(seed: 5, steps: 50).bitPattern)
    }

    @Test func sgdWithMomentumDescends() {
        let p = Parameter(Tensor<Double>([3, -2]))
        let sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        for _ in 0..<200 {
            let (_, g) = valueAndGradient(of: [p]) { p.value.squared().sum() }
            sgd.update([p], with: g)
        }
        #expect(p.value.scalars.allSatisfy { Swift.abs($0) < 1e-3 })
    }

    @Test func adamFirstStepIsLearningRateTimesSign() {
        // With bias correction, Adam's first step is lr * g / (|g| + eps): lr in the sign of g.
        let p = Parameter(Tensor<Double>([1, -1, 5]))
        let adam = Adam<Double>(learningRate: 0.01)
        adam.update([p], with: [Tensor([0.3, -7, 1e-3])])
        expectClose(p.value.scalars, [0.99, -0.99, 4.99], tolerance: 1e-6)
    }

    @Test func clippingByGlobalNorm() {
        let (clipped, norm) = clippedByGlobalNorm([Tensor<Double>([3]), Tensor<Double>([4])], maxNorm: 1)
        #expect(norm == 5)
        expectClose(clipped.flatMap(\.scalars), [0.6, 0.8])
        #expect(clippedByGlobalNorm([Tensor<Double>([0.3])], maxNorm: 1).gradients[0].scalars == [0.3])
    }
}

/// The example of the README's "tensor library in one screen", verbatim: it must learn OR.
@Test func readmeExampleLearnsOR() {
    var rng = Random(seed: 1)
    let layer = Linear<Float>(2, 1, using: &rng)
    let adam = Adam<Float>(learningRate: 0.1)
    let x = Tensor<Float>(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
    let y = Tensor<Float>(shape: [4, 1], scalars: [0, 1, 1, 1])
    var last: Float = .nan
    for _ in 0..<200 {
        let (loss, grads) = valueAndGradient(of: layer.parameters) {
            Tensor.binaryCrossEntropy(logits: layer(x), targets: y).mean()
        }
        adam.update(layer.parameters, with: grads)
        last = loss.item
    }
    #expect(last < 0.1, "loss after 200 steps: \(last)")
    let predictions = layer(x).sigmoid().scalars.map { $0 > 0.5 ? 1 : 0 }
    #expect(predictions == [0, 1, 1, 1])
}
