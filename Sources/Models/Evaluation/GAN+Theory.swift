// The GAN paper's theory in one dimension, computed by quadrature on a grid.
//
// For a fixed generator, V(D, G) = integral of p_data(x) log D(x) + p_g(x) log(1 - D(x)) dx, and
// the integrand a log y + b log(1 - y) (a, b >= 0) has its maximum over y in (0, 1) where its
// derivative a / y - b / (1 - y) is zero: y = a / (a + b). So
//
//     D*(x) = p_data(x) / (p_data(x) + p_g(x)),
//
// and, writing m = (p_data + p_g) / 2,
//
//     V(D*, G) = E_data[log p_data / (2m)] + E_g[log p_g / (2m)]
//              = KL(p_data || m) + KL(p_g || m) - 2 log 2 = 2 JSD(p_data || p_g) - 2 log 2,
//
// whose minimum -log 4 is reached exactly when p_g = p_data (JSD is 0 only there).

import Foundation

/// Points and weights of composite Simpson's rule on [lower, upper]: sum_i weights[i] f(x[i])
/// approximates the integral of f with an error O(h^4 f'''').
public struct QuadratureGrid: Sendable {
    public let x: [Double]
    public let weights: [Double]

    /// `count` equally spaced points (made odd if even, as Simpson's rule needs).
    public init(from lower: Double, to upper: Double, count: Int) {
        precondition(upper > lower && count >= 3, "a quadrature grid needs lower < upper and at least 3 points")
        let n = count % 2 == 1 ? count : count + 1
        let h = (upper - lower) / Double(n - 1)
        x = (0..<n).map { lower + Double($0) * h }
        weights = (0..<n).map { i in
            let w: Double = (i == 0 || i == n - 1) ? 1 : (i % 2 == 1 ? 4 : 2)
            return w * h / 3
        }
    }

    /// The integral of the function whose values at `x` are `values`.
    public func integrate(_ values: [Double]) -> Double {
        precondition(values.count == x.count, "\(values.count) values for a grid of \(x.count) points")
        var total = 0.0
        for i in values.indices { total += weights[i] * values[i] }
        return total
    }

    /// The integral of f.
    public func integrate(_ f: (Double) -> Double) -> Double { integrate(x.map(f)) }
}

public enum GANTheory {
    /// a log b, taken as 0 when a = 0 (the limit), so that a density that vanishes somewhere
    /// contributes nothing there.
    @inline(__always) public static func xLogY(_ a: Double, _ b: Double) -> Double {
        a == 0 ? 0 : a * Foundation.log(b)
    }

    /// D*(x) = p_data / (p_data + p_g); 1/2 where both densities are 0 (D is free there).
    public static func optimalDiscriminator(pData: Double, pModel: Double) -> Double {
        let total = pData + pModel
        return total > 0 ? pData / total : 0.5
    }

    /// The integrand of V at one point: p_data log D + p_g log(1 - D).
    public static func pointwiseValue(discriminator d: Double, pData: Double, pModel: Double) -> Double {
        xLogY(pData, d) + xLogY(pModel, 1 - d)
    }

    /// V(D, G) = integral of p_data log D + p_g log(1 - D), from the values of the three
    /// functions on the grid.
    public static func value(discriminator d: [Double], pData: [Double], pModel: [Double], on grid: QuadratureGrid)
        -> Double
    {
        grid.integrate(d.indices.map { pointwiseValue(discriminator: d[$0], pData: pData[$0], pModel: pModel[$0]) })
    }

    /// The integrand of V at one point for a discriminator given by its logit l, D = sigmoid(l),
    /// as the networks give it: p_data log sigmoid(l) + p_g log sigmoid(-l), each log-sigmoid
    /// computed stably (finite where D rounds to 0 or 1) and each term 0 where its density is 0.
    public static func pointwiseValue(discriminatorLogit l: Double, pData: Double, pModel: Double) -> Double {
        func logSigmoid(_ a: Double) -> Double { -(Swift.max(-a, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(a)))) }
        return (pData == 0 ? 0 : pData * logSigmoid(l)) + (pModel == 0 ? 0 : pModel * logSigmoid(-l))
    }

    /// V(D, G) for a discriminator given by its logits on the grid, D = sigmoid(logits): the same
    /// code for every D, the best one included.
    public static func value(
        discriminatorLogits l: [Double], pData: [Double], pModel: [Double], on grid: QuadratureGrid
    ) -> Double {
        grid.integrate(
            l.indices.map { pointwiseValue(discriminatorLogit: l[$0], pData: pData[$0], pModel: pModel[$0]) })
    }

    /// The logit of D*: log p_data - log p_g (plus or minus infinity where one density is 0, and 0
    /// where both are, where D is free).
    public static func optimalDiscriminatorLogit(pData: Double, pModel: Double) -> Double {
        pData == 0 && pModel == 0 ? 0 : Foundation.log(pData) - Foundation.log(pModel)
    }

    /// V(D*, G) = integral of p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g)).
    /// (Both logs straight from the densities: 1 - D* would round to 0 where p_g << p_data.)
    public static func optimalValue(pData: [Double], pModel: [Double], on grid: QuadratureGrid) -> Double {
        grid.integrate(
            pData.indices.map { i in
                let total = pData[i] + pModel[i]
                return total == 0 ? 0 : xLogY(pData[i], pData[i] / total) + xLogY(pModel[i], pModel[i] / total)
            })
    }

    /// KL(p || q) = integral of p log(p / q).
    public static func kullbackLeibler(_ p: [Double], _ q: [Double], on grid: QuadratureGrid) -> Double {
        grid.integrate(p.indices.map { i in p[i] == 0 ? 0 : p[i] * (Foundation.log(p[i]) - Foundation.log(q[i])) })
    }

    /// JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2, m = (p + q) / 2; between 0 and log 2.
    /// p / m is computed as 2p / (p + q): m itself would round to 0 where p is the smallest
    /// positive Double and q is 0.
    public static func jensenShannon(_ p: [Double], _ q: [Double], on grid: QuadratureGrid) -> Double {
        grid.integrate(
            p.indices.map { i in
                let total = p[i] + q[i]
                return total == 0 ? 0 : 0.5 * (xLogY(p[i], 2 * p[i] / total) + xLogY(q[i], 2 * q[i] / total))
            })
    }
}
