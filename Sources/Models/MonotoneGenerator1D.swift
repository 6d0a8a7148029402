import Foundation
import Tensors

/// A 1-D generator whose density is known exactly: a strictly increasing neural network of the
/// noise z ~ N(0, 1),
///
///     G(z) = a + e^s z + sum_j softplus(w_j) tanh(e^{u_j} z + b_j),
///
/// one hidden layer of J tanh units whose slopes e^{u_j} and output weights softplus(w_j) are
/// positive, plus a skip connection of slope e^s > 0. So G'(z) >= e^s > 0, G is invertible, and
/// the change of variables gives its density exactly:
///
///     p_g(x) = N(z; 0, 1) / G'(z),   z = G^{-1}(x),
///     G'(z) = e^s + sum_j softplus(w_j) e^{u_j} (1 - tanh^2(e^{u_j} z + b_j)).
///
/// A steep unit (large e^{u_j} softplus(w_j)) stretches a small range of z over a wide range
/// of x, which thins the density there: that is how it makes the gap between two modes.
/// Parameters: a [1], s [1], w [J], u [J], b [J].
public struct MonotoneGenerator1D<Scalar: TensorScalar>: Network {
    public let shift: Parameter<Scalar>
    public let logScale: Parameter<Scalar>
    public let unitWeights: Parameter<Scalar>
    public let unitLogSlopes: Parameter<Scalar>
    public let unitOffsets: Parameter<Scalar>

    /// Starts close to N(mean, std^2): the units have small weights (softplus(-3) = 0.05), unit
    /// slopes near 1 and offsets spread over [-2, 2].
    public init(units: Int, mean: Double = 0, std: Double = 1, using rng: inout Random) {
        precondition(units >= 1 && std > 0, "the monotone generator needs at least one unit and a positive std")
        shift = Parameter(Tensor([Scalar(mean)]), name: "a")
        logScale = Parameter(Tensor([Scalar(Foundation.log(std))]), name: "s")
        unitWeights = Parameter(.normal([units], mean: -3, std: 0.1, using: &rng), name: "w")
        unitLogSlopes = Parameter(.normal([units], mean: 0, std: 0.1, using: &rng), name: "u")
        unitOffsets = Parameter(.uniform([units], low: -2, high: 2, using: &rng), name: "b")
    }

    public var parameters: [Parameter<Scalar>] { [shift, logScale, unitWeights, unitLogSlopes, unitOffsets] }

    /// z [N, 1] -> x [N, 1].
    public func callAsFunction(_ z: Tensor<Scalar>) -> Tensor<Scalar> {
        let hidden = (z * unitLogSlopes.value.exp() + unitOffsets.value).tanh()  // [N, J]
        let units = (hidden * unitWeights.value.softplus()).sum(alongAxis: 1, keepingDims: true)
        return z * logScale.value.exp() + shift.value + units
    }

    /// The current parameters in Double, for the exact density (read once, used many times).
    public var exact: Exact {
        func d(_ p: Parameter<Scalar>) -> [Double] { p.value.scalars.map { Double($0) } }
        return Exact(
            a: d(shift)[0], scale: Foundation.exp(d(logScale)[0]),
            weights: d(unitWeights).map { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) },
            slopes: d(unitLogSlopes).map { Foundation.exp($0) }, offsets: d(unitOffsets))
    }

    /// G, G', G^{-1} and p_g in Double, for fixed parameter values.
    public struct Exact: Sendable {
        public let a: Double, scale: Double
        public let weights: [Double], slopes: [Double], offsets: [Double]

        /// G(z).
        public func map(_ z: Double) -> Double {
            var x = a + scale * z
            for j in weights.indices { x += weights[j] * Foundation.tanh(slopes[j] * z + offsets[j]) }
            return x
        }

        /// G'(z) > 0.
        public func derivative(_ z: Double) -> Double {
            var d = scale
            for j in weights.indices {
                let t = Foundation.tanh(slopes[j] * z + offsets[j])
                d += weights[j] * slopes[j] * (1 - t * t)
            }
            return d
        }

        /// G^{-1}(x) by bisection. Since |sum of units| <= W = sum_j weights_j, G(z) lies within W
        /// of a + scale z, so z lies in [(x - a - W) / scale, (x - a + W) / scale].
        public func inverse(_ x: Double) -> Double {
            let w = weights.reduce(0, +)
            var lo = (x - a - w) / scale - 1e-9
            var hi = (x - a + w) / scale + 1e-9
            for _ in 0..<200 {
                let mid = 0.5 * (lo + hi)
                if mid <= lo || mid >= hi { break }  // the bracket is one ulp wide
                if map(mid) < x { lo = mid } else { hi = mid }
            }
            return 0.5 * (lo + hi)
        }

        /// log p_g(x) = log N(z; 0, 1) - log G'(z), z = G^{-1}(x).
        public func logDensity(_ x: Double) -> Double {
            let z = inverse(x)
            return -0.5 * z * z - 0.5 * Foundation.log(2 * Double.pi) - Foundation.log(derivative(z))
        }

        /// p_g(x).
        public func density(_ x: Double) -> Double { Foundation.exp(logDensity(x)) }
    }
}
