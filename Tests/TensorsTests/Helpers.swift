import Testing

@testable import Tensors

/// Seeded random Double inputs for gradient checks.
func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor<Double> {
    var rng = Random(seed: seed)
    return .uniform(shape, low: low, high: high, using: &rng)
}

/// Expects the autodiff gradient of `f` at `inputs` to match central finite differences with a
/// relative error of at most `tolerance` (every element of every input).
func expectGradientsMatch(
    _ inputs: [Tensor<Double>], tolerance: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation,
    _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>
) {
    let result = GradientCheck.check(at: inputs, f)
    #expect(result.maxRelativeError <= tolerance, "\(result)", sourceLocation: sourceLocation)
}

/// Expects two arrays to agree elementwise within `tolerance` (absolute, scaled by magnitude).
func expectClose<S: TensorScalar>(
    _ a: [S], _ b: [S], tolerance: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(a.count == b.count, "counts \(a.count) and \(b.count) differ", sourceLocation: sourceLocation)
    for (i, (x, y)) in zip(a, b).enumerated() {
        let (dx, dy) = (Double(x), Double(y))
        if Swift.abs(dx - dy) > tolerance * Swift.max(1, Swift.abs(dx), Swift.abs(dy)) {
            Issue.record("element \(i): \(x) vs \(y)", sourceLocation: sourceLocation)
            return
        }
    }
}
