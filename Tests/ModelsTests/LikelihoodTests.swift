import Foundation
import Tensors
import Testing

@testable import Models

@Suite("Likelihood units")
struct LikelihoodTests {
    @Test func uniformLadderTop() {
        #expect(Swift.abs(Likelihood.uniformNats(dimensions: 64, levels: 17) - 181.3262) < 1e-3)
        #expect(Swift.abs(Likelihood.uniformNats(dimensions: 784, levels: 2) - 543.4274) < 1e-3)
        // Uniform binary pixels cost exactly one bit each.
        #expect(Swift.abs(Likelihood.bitsPerDimension(nats: 784 * Foundation.log(2.0), dimensions: 784) - 1) < 1e-12)
    }

    @Test func logMeanExpIsStable() {
        let x = Tensor<Double>(shape: [1, 3], scalars: [1000, 1000, 1000])
        #expect(Swift.abs(Likelihood.logMeanExp(x, alongAxis: 1).item - 1000) < 1e-9)
        let y = Tensor<Double>(shape: [2], scalars: [0, Foundation.log(3.0)])
        #expect(Swift.abs(Likelihood.logMeanExp(y, alongAxis: 0).item - Foundation.log(2.0)) < 1e-12)
    }
}
