// Integrals over a 2-D latent space by quadrature: where a VAE's z has two dimensions, log p(x)
// and the posterior p(z|x) are computable to high accuracy on a grid, and with them every term of
//
//     log p(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) + KL(q(z|x) || p(z|x)).
//
// The rule is the plain sum over a uniform grid, h1 h2 sum_j f(z_j) (the trapezoid rule, once the
// integrand is negligible on the border). For smooth integrands that decay fast, such as
// Gaussian-like posteriors, it converges faster than any power of the spacing h: for a Gaussian
// of standard deviation s its relative error is about 2 exp(-2 pi^2 s^2 / h^2), 1e-8 already at
// h = s. The work is choosing a box that holds the mass of both q(z|x) and p(z|x).

import Foundation

/// A uniform grid of `count` x `count` points on the box [lower0, upper0] x [lower1, upper1].
public struct LatentGrid2D: Sendable, Equatable {
    public let lower: [Double]
    public let upper: [Double]
    /// Points per axis.
    public let count: Int

    public init(lower: [Double], upper: [Double], count: Int) {
        precondition(lower.count == 2 && upper.count == 2, "a 2-D grid needs two lower and two upper ends")
        precondition(
            upper[0] > lower[0] && upper[1] > lower[1], "a grid needs lower < upper, got \(lower) and \(upper)")
        precondition(count >= 3, "a grid needs at least 3 points per axis")
        self.lower = lower
        self.upper = upper
        self.count = count
    }

    /// A grid centred on `center` reaching `halfWidth` either way along each axis.
    public init(center: [Double], halfWidth: [Double], count: Int) {
        self.init(
            lower: [center[0] - halfWidth[0], center[1] - halfWidth[1]],
            upper: [center[0] + halfWidth[0], center[1] + halfWidth[1]], count: count)
    }

    /// The spacing along each axis.
    public var spacing: [Double] { (0..<2).map { (upper[$0] - lower[$0]) / Double(count - 1) } }
    /// h0 h1: the weight of every point.
    public var cellArea: Double { spacing[0] * spacing[1] }
    /// count^2 points.
    public var pointCount: Int { count * count }

    /// The coordinate of index i along axis a.
    public func coordinate(_ i: Int, axis a: Int) -> Double { lower[a] + Double(i) * spacing[a] }

    /// All points, row-major: point j = r * count + c is (coordinate(c, 0), coordinate(r, 1)),
    /// so rows of the grid run along z_1 (bottom to top in a plot) and columns along z_0. Flat
    /// [z0, z1, z0, z1, ...], 2 * count^2 values.
    public var points: [Double] {
        var p: [Double] = []
        p.reserveCapacity(2 * pointCount)
        for r in 0..<count {
            for c in 0..<count { p += [coordinate(c, axis: 0), coordinate(r, axis: 1)] }
        }
        return p
    }

    /// Whether point j lies on the border of the box.
    public func isOnBorder(_ j: Int) -> Bool {
        let (r, c) = j.quotientAndRemainder(dividingBy: count)
        return r == 0 || c == 0 || r == count - 1 || c == count - 1
    }
}

/// What quadrature gives for one x: log p(x) and the posterior on a grid fitted to p(z|x), the
/// expectations under q on a grid fitted to q(z|x).
public struct LatentQuadratureResult: Sendable {
    /// log p(x) = log integral of p(x|z) p(z) dz.
    public let logMarginal: Double
    /// The same sum over every other point of the grid (spacing 2h): the difference from
    /// `logMarginal` bounds the error of the rule, which shrinks much faster than h.
    public let logMarginalAtDoubleSpacing: Double
    /// Mean and covariance (2 x 2 row-major) of p(z|x).
    public let posteriorMean: [Double]
    public let posteriorCovariance: [Double]
    /// The largest log p(x, z) on the border of the posterior's box, relative to its largest value
    /// on the grid: very negative when the box holds all the mass.
    public let borderDrop: Double
    /// The grid of log p(x) and log p(z|x) at its points (row-major, see `LatentGrid2D.points`).
    public let posteriorGrid: LatentGrid2D
    public let logPosterior: [Double]

    /// integral of q(z|x) dz on q's grid: 1 when the grid holds q's mass.
    public let massOfQ: Double
    /// E_q[log p(x|z)].
    public let expectedLogLikelihood: Double
    /// KL(q(z|x) || p(z)) by quadrature (to compare with the closed form).
    public let klToPrior: Double
    /// E_q[log p(x, z)] and E_q[log q(z|x)].
    public let expectedLogJoint: Double
    public let expectedLogQ: Double
    /// The grid fitted to q(z|x).
    public let qGrid: LatentGrid2D

    /// KL(q(z|x) || p(z|x)) = E_q[log q(z|x) - log p(z|x)] = E_q[log q] - E_q[log p(x, z)] + log p(x).
    public var klToPosterior: Double { expectedLogQ - expectedLogJoint + logMarginal }

    /// The ELBO with the expectation by quadrature and the closed-form KL to the prior.
    public func elbo(closedFormKL kl: Double) -> Double { expectedLogLikelihood - kl }
}

public enum LatentQuadrature {
    /// log(h0 h1 sum_j exp(v_j)), the largest term factored out; with `everyOther`, the sum over
    /// the points of even row and column only (spacing 2h; needs an odd count).
    public static func logIntegral(_ v: [Double], on grid: LatentGrid2D, everyOther: Bool = false) -> Double {
        precondition(v.count == grid.pointCount, "\(v.count) values for a grid of \(grid.pointCount) points")
        let top = v.max()!
        var total = 0.0
        for r in 0..<grid.count where !everyOther || r % 2 == 0 {
            for c in 0..<grid.count where !everyOther || c % 2 == 0 {
                total += Foundation.exp(v[r * grid.count + c] - top)
            }
        }
        return top + Foundation.log(total * grid.cellArea * (everyOther ? 4 : 1))
    }

    /// log p(x), the posterior's moments and the border drop from log p(x, z) on a grid.
    static func posterior(logJoint: [Double], on grid: LatentGrid2D) -> (
        logMarginal: Double, coarser: Double, mean: [Double], covariance: [Double], borderDrop: Double,
        logPosterior: [Double]
    ) {
        let logMarginal = logIntegral(logJoint, on: grid)
        let coarser = grid.count % 2 == 1 ? logIntegral(logJoint, on: grid, everyOther: true) : .nan
        let logPosterior = logJoint.map { $0 - logMarginal }
        var mean = [0.0, 0.0]
        var second = [0.0, 0.0, 0.0]
        let points = grid.points
        for j in 0..<grid.pointCount {
            let p = Foundation.exp(logPosterior[j]) * grid.cellArea
            let (z0, z1) = (points[2 * j], points[2 * j + 1])
            mean[0] += p * z0
            mean[1] += p * z1
            second[0] += p * z0 * z0
            second[1] += p * z0 * z1
            second[2] += p * z1 * z1
        }
        let offDiagonal = second[1] - mean[0] * mean[1]
        let covariance = [second[0] - mean[0] * mean[0], offDiagonal, offDiagonal, second[2] - mean[1] * mean[1]]
        let top = logJoint.max()!
        var borderDrop = -Double.infinity
        for j in 0..<grid.pointCount where grid.isOnBorder(j) { borderDrop = Swift.max(borderDrop, logJoint[j] - top) }
        return (logMarginal, coarser, mean, covariance, borderDrop, logPosterior)
    }

    /// The expectations under q from log p(x|z), log p(z), log q(z|x) on a grid that holds q.
    static func underQ(logLikelihood: [Double], logPrior: [Double], logQ: [Double], on grid: LatentGrid2D) -> (
        mass: Double, logLikelihood: Double, klToPrior: Double, logJoint: Double, logQ: Double
    ) {
        var mass = 0.0
        var ll = 0.0
        var kl = 0.0
        var joint = 0.0
        var entropy = 0.0
        for j in 0..<grid.pointCount {
            let q = Foundation.exp(logQ[j]) * grid.cellArea
            guard q > 0 else { continue }
            mass += q
            ll += q * logLikelihood[j]
            kl += q * (logQ[j] - logPrior[j])
            joint += q * (logLikelihood[j] + logPrior[j])
            entropy += q * logQ[j]
        }
        return (mass, ll, kl, joint, entropy)
    }

    /// Quadrature of one x with q(z|x) = N(qMean, diag qStd^2), on two grids:
    /// - for p(z|x): a coarse `coarseCount`^2 grid over [-5, 5]^2 (widened to hold q) finds where
    ///   log p(x, z) is within 30 nats of its largest value; a fine grid of `count`^2 points (odd)
    ///   on that region, one coarse step wider on every side, gives log p(x); while the rule with
    ///   every other point disagrees by more than `tolerance` nats, the spacing is halved (at
    ///   most `maxCount` points per axis), and while the border is within 20 nats of the peak the
    ///   box is widened;
    /// - for q: qMean +- 8 qStd with `qCount`^2 points (spacing half a standard deviation).
    /// `evaluate(grid)` returns log p(x|z), log p(z), log q(z|x) at `grid.points`.
    public static func fitted(
        qMean: [Double], qStd: [Double], coarseCount: Int = 33, count: Int = 49, maxCount: Int = 193, qCount: Int = 33,
        tolerance: Double = 1e-6,
        evaluate: (LatentGrid2D) -> (logLikelihood: [Double], logPrior: [Double], logQ: [Double])
    ) -> LatentQuadratureResult {
        precondition(qMean.count == 2 && qStd.count == 2, "fitted quadrature is for a 2-D latent space")
        precondition(count % 2 == 1, "the fine grid needs an odd number of points per axis")
        func joint(_ grid: LatentGrid2D) -> [Double] {
            let v = evaluate(grid)
            return zip(v.logLikelihood, v.logPrior).map { $0 + $1 }
        }
        // Where the posterior's mass is.
        let coarse = LatentGrid2D(
            lower: (0..<2).map { Swift.min(-5, qMean[$0] - 7 * qStd[$0]) },
            upper: (0..<2).map { Swift.max(5, qMean[$0] + 7 * qStd[$0]) },
            count: coarseCount)
        let coarseJoint = joint(coarse)
        let top = coarseJoint.max()!
        var lower = [Double.infinity, .infinity]
        var upper = [-Double.infinity, -.infinity]
        let coarsePoints = coarse.points
        for j in 0..<coarse.pointCount where coarseJoint[j] > top - 30 {
            for a in 0..<2 {
                lower[a] = Swift.min(lower[a], coarsePoints[2 * j + a] - coarse.spacing[a])
                upper[a] = Swift.max(upper[a], coarsePoints[2 * j + a] + coarse.spacing[a])
            }
        }
        // The fine grid, refined until the rule has converged and the border holds no mass.
        var n = count
        var grid = LatentGrid2D(lower: lower, upper: upper, count: n)
        var p = posterior(logJoint: joint(grid), on: grid)
        for _ in 0..<6 {
            let wide = p.borderDrop > -20
            let coarseRule = Swift.abs(p.logMarginal - p.coarser) > tolerance
            guard wide || (coarseRule && n < maxCount) else { break }
            if wide {
                let half = (0..<2).map { (grid.upper[$0] - grid.lower[$0]) * 0.75 }
                let centre = (0..<2).map { (grid.upper[$0] + grid.lower[$0]) / 2 }
                grid = LatentGrid2D(center: centre, halfWidth: half, count: n)
            } else {
                n = 2 * n - 1
                grid = LatentGrid2D(lower: grid.lower, upper: grid.upper, count: n)
            }
            p = posterior(logJoint: joint(grid), on: grid)
        }
        // The expectations under q, on q's own grid.
        let qGrid = LatentGrid2D(center: qMean, halfWidth: qStd.map { 8 * $0 }, count: qCount)
        let v = evaluate(qGrid)
        let q = underQ(logLikelihood: v.logLikelihood, logPrior: v.logPrior, logQ: v.logQ, on: qGrid)
        return LatentQuadratureResult(
            logMarginal: p.logMarginal, logMarginalAtDoubleSpacing: p.coarser, posteriorMean: p.mean,
            posteriorCovariance: p.covariance,
            borderDrop: p.borderDrop, posteriorGrid: grid, logPosterior: p.logPosterior, massOfQ: q.mass,
            expectedLogLikelihood: q.logLikelihood, klToPrior: q.klToPrior, expectedLogJoint: q.logJoint,
            expectedLogQ: q.logQ,
            qGrid: qGrid)
    }
}
