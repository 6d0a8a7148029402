import Foundation

/// The Cholesky factorisation A = L L^T of a symmetric positive-definite n x n matrix, in Double.
///
/// Matrices are row-major `[Double]` of n * n values. With L lower triangular:
///
///     L_jj = sqrt(A_jj - sum_{k<j} L_jk^2),   L_ij = (A_ij - sum_{k<j} L_ik L_jk) / L_jj  (i > j)
///     log det A = 2 sum_j log L_jj,           A^-1 b: solve L y = b, then L^T x = y
///
/// and (x - mu)^T A^-1 (x - mu) = |L^-1 (x - mu)|^2. For the small matrices of the synthetic data
/// (Gaussian log-densities and posteriors); O(n^3) and no pivoting.
public struct Cholesky: Sendable {
    public let n: Int
    /// L, row-major n x n, zero above the diagonal.
    public let lower: [Double]

    /// Factorises `matrix` (n x n, row-major; only the lower triangle is read). Nil when it is not
    /// positive definite (a pivot <= 0).
    public init?(_ matrix: [Double], n: Int) {
        precondition(matrix.count == n * n, "a \(n)x\(n) matrix has \(n * n) entries, got \(matrix.count)")
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var pivot = matrix[j * n + j]
            for k in 0..<j { pivot -= l[j * n + k] * l[j * n + k] }
            guard pivot > 0, pivot.isFinite else { return nil }
            let ljj = pivot.squareRoot()
            l[j * n + j] = ljj
            for i in (j + 1)..<n {
                var s = matrix[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / ljj
            }
        }
        self.n = n
        self.lower = l
    }

    /// log det A = 2 sum_j log L_jj.
    public var logDeterminant: Double {
        2 * (0..<n).reduce(0) { $0 + Foundation.log(lower[$1 * n + $1]) }
    }

    /// y = L^-1 b (forward substitution).
    public func solveLower(_ b: [Double]) -> [Double] {
        precondition(b.count == n)
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= lower[i * n + k] * y[k] }
            y[i] /= lower[i * n + i]
        }
        return y
    }

    /// x = A^-1 b: forward substitution with L, then back substitution with L^T.
    public func solve(_ b: [Double]) -> [Double] {
        var x = solveLower(b)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { x[i] -= lower[k * n + i] * x[k] }
            x[i] /= lower[i * n + i]
        }
        return x
    }

    /// A^-1, row-major (column j is A^-1 e_j).
    public func inverse() -> [Double] {
        var inv = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            for (i, v) in solve(e).enumerated() { inv[i * n + j] = v }
        }
        return inv
    }

    /// L v: turns a standard normal vector v into a draw with covariance A.
    public func multiplyLower(_ v: [Double]) -> [Double] {
        precondition(v.count == n)
        return (0..<n).map { i in (0...i).reduce(0) { $0 + lower[i * n + $1] * v[$1] } }
    }

    /// (x - mean)^T A^-1 (x - mean) = |L^-1 (x - mean)|^2.
    public func mahalanobisSquared(_ x: [Double], mean: [Double]) -> Double {
        let u = solveLower(zip(x, mean).map { $0 - $1 })
        return u.reduce(0) { $0 + $1 * $1 }
    }

    /// log N(x; mean, A) = -(n log 2 pi + log det A + (x - mean)^T A^-1 (x - mean)) / 2.
    public func logNormalDensity(_ x: [Double], mean: [Double]) -> Double {
        -0.5 * (Double(n) * Foundation.log(2 * Double.pi) + logDeterminant + mahalanobisSquared(x, mean: mean))
    }
}
