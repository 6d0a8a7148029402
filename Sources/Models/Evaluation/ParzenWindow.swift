import Foundation
import Tensors

/// A Gaussian Parzen window (kernel density estimate) on M sample points c_m in D dimensions,
///
///     p(x) = 1/M sum_m N(x; c_m, sigma^2 I),
///     log p(x) = logmeanexp_m(-|x - c_m|^2 / (2 sigma^2)) - D/2 log(2 pi sigma^2),
///
/// the metric the GAN paper reports for models whose likelihood cannot be computed (Table 1,
/// after Breuleux et al. 2011): fit the window to the model's samples, choose sigma on
/// validation data, report the mean log-density of the test set. It is a poor measure of a
/// model (Theis et al., 2016): in 784 dimensions it mostly measures nearest-sample distances,
/// and even the training images used as samples score no better than a good model does.
///
/// The squared distances are computed once, by one matrix product, and reused for every sigma.
public struct ParzenWindow: Sendable {
    /// |x_n - c_m|^2 for the N points and M centres, [N, M] row-major.
    public let squaredDistances: [Float]
    public let pointCount: Int
    public let centreCount: Int
    public let dimensions: Int

    /// `points` [N, D] are evaluated under the window on `centres` [M, D].
    public init(points: Tensor<Float>, centres: Tensor<Float>) {
        precondition(
            points.rank == 2 && centres.rank == 2 && points.shape[1] == centres.shape[1],
            "Parzen window needs points [N, D] and centres [M, D], got \(points.shape) and \(centres.shape)")
        let (n, m, d) = (points.shape[0], centres.shape[0], points.shape[1])
        // |x - c|^2 = |x|^2 + |c|^2 - 2 x.c, the cross terms as one [N, D] x [D, M] product.
        let cross = withoutGradient { Tensor.matmul(points, centres.transposed()) }.scalars
        func squaredNorms(_ t: Tensor<Float>, _ rows: Int) -> [Float] {
            (0..<rows).map { r in
                var s: Float = 0
                for v in t.scalars[r * d..<(r + 1) * d] { s += v * v }
                return s
            }
        }
        let xx = squaredNorms(points, n)
        let cc = squaredNorms(centres, m)
        var distances = [Float](repeating: 0, count: n * m)
        for i in 0..<n {
            for j in 0..<m { distances[i * m + j] = Swift.max(xx[i] + cc[j] - 2 * cross[i * m + j], 0) }
        }
        squaredDistances = distances
        pointCount = n
        centreCount = m
        dimensions = d
    }

    /// log p(x_n) for every point, in nats.
    public func logDensities(sigma: Double) -> [Double] {
        precondition(sigma > 0, "the Parzen window width must be positive, got \(sigma)")
        let scale = -1 / (2 * sigma * sigma)
        let normaliser = -0.5 * Double(dimensions) * Foundation.log(2 * Double.pi * sigma * sigma)
        let logM = Foundation.log(Double(centreCount))
        return (0..<pointCount).map { i in
            let row = squaredDistances[i * centreCount..<(i + 1) * centreCount]
            // logmeanexp, shifted by the nearest centre's term so that nothing underflows.
            let nearest = Double(row.min()!) * scale
            var total = 0.0
            for d2 in row { total += Foundation.exp(Double(d2) * scale - nearest) }
            return nearest + Foundation.log(total) - logM + normaliser
        }
    }

    /// The mean log-density of the points and its standard error (std / sqrt(N)).
    public func meanLogDensity(sigma: Double) -> (mean: Double, standardError: Double) {
        let values = logDensities(sigma: sigma)
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Swift.max(n - 1, 1)
        return (mean, (variance / n).squareRoot())
    }

    /// The width among `candidates` with the highest mean log-density, and every score.
    public func bestWidth(among candidates: [Double]) -> (sigma: Double, scores: [Double]) {
        precondition(!candidates.isEmpty, "no candidate widths")
        let scores = candidates.map { meanLogDensity(sigma: $0).mean }
        let best = scores.indices.max { scores[$0] < scores[$1] }!
        return (candidates[best], scores)
    }
}
