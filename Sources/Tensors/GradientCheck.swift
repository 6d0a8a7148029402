/// Gradient checking: compares the gradients autodiff computes with central finite differences,
/// in `Double`.
///
/// The function's output is reduced to a scalar with *seeded random weights*, L = sum(f(x) * R),
/// not with a plain sum: a backward rule that ignored its incoming gradient would pass a sum check.
/// Each element of each input is moved by +-epsilon and
///     dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps),
/// whose error is O(eps^2) plus rounding of order |L| * 1e-16 / eps. The relative error of one
/// element is |a - n| / max(|a|, |n|), taken as zero when |a - n| is below the absolute floor
/// (near-zero gradients, where a relative error means nothing).
///
/// A check that compared nothing proves nothing: over zero elements (no inputs, or only empty
/// ones) the result's error is infinite, so that every tolerance rejects it.
public enum GradientCheck {
    public struct Result: CustomStringConvertible, Sendable {
        /// The largest relative error over all elements of all inputs; infinity when no element
        /// was compared.
        public let maxRelativeError: Double
        /// Where it occurred: input number, element index, autodiff and finite-difference values.
        public let worst: (input: Int, element: Int, analytic: Double, numeric: Double)
        /// How many elements were compared.
        public let elements: Int

        public var description: String {
            if elements == 0 { return "no element compared: the check proves nothing" }
            return
                "max relative error \(maxRelativeError) over \(elements) elements (input \(worst.input), element \(worst.element): autodiff \(worst.analytic), finite difference \(worst.numeric))"
        }
    }

    /// |a - b| / max(|a|, |b|), or 0 when |a - b| <= absoluteFloor.
    public static func relativeError(_ a: Double, _ b: Double, absoluteFloor: Double = 1e-8) -> Double {
        let diff = Swift.abs(a - b)
        if diff <= absoluteFloor { return 0 }
        return diff / Swift.max(Swift.abs(a), Swift.abs(b))
    }

    /// Checks the gradient of `f` with respect to every element of every input.
    public static func check(
        at inputs: [Tensor<Double>], epsilon: Double = 1e-6, absoluteFloor: Double = 1e-8, seed: UInt64 = 12345,
        _ f: ([Tensor<Double>]) -> Tensor<Double>
    ) -> Result {
        // The random weights R, one per output element, fixed by the seed.
        let probe = withoutGradient { f(inputs) }
        var rng = Random(seed: seed)
        let weights = Tensor<Double>.normal(probe.shape, using: &rng)
        func loss(_ x: [Tensor<Double>]) -> Tensor<Double> { (f(x) * weights).sum() }

        let analytic = valueAndGradient(at: inputs, of: loss).gradients
        var worst = (input: 0, element: 0, analytic: 0.0, numeric: 0.0)
        var maxError = -1.0
        var elements = 0
        for (k, x) in inputs.enumerated() {
            for i in 0..<x.count {
                var plus = inputs
                var minus = inputs
                plus[k].scalars[i] += epsilon
                minus[k].scalars[i] -= epsilon
                let numeric = (loss(plus).item - loss(minus).item) / (2 * epsilon)
                let a = analytic[k].scalars[i]
                let e = relativeError(a, numeric, absoluteFloor: absoluteFloor)
                elements += 1
                if e > maxError {
                    maxError = e
                    worst = (k, i, a, numeric)
                }
            }
        }
        // Nothing compared is a failure, not a pass.
        let error = elements == 0 ? Double.infinity : Swift.max(maxError, 0)
        return Result(maxRelativeError: error, worst: worst, elements: elements)
    }

    /// Checks the gradient with respect to a model's parameters (their values are restored).
    public static func check(
        parameters: [Parameter<Double>], epsilon: Double = 1e-6, absoluteFloor: Double = 1e-8, seed: UInt64 = 12345,
        _ f: () -> Tensor<Double>
    ) -> Result {
        let originals = parameters.map(\.value)
        defer { for (p, v) in zip(parameters, originals) { p.value = v } }
        return check(at: originals, epsilon: epsilon, absoluteFloor: absoluteFloor, seed: seed) { values in
            for (p, v) in zip(parameters, values) { p.value = v }
            return f()
        }
    }
}
