import Foundation

/// The Frechet distance between two sets of feature vectors, each summarised by a Gaussian (its
/// mean and covariance): the distance of the Frechet Inception Distance (Heusel et al., 2017),
/// here on the features of the workbook's own digit judge (`DigitJudge`).
///
/// For N(mu_1, S_1) and N(mu_2, S_2) the squared 2-Wasserstein distance is
///
///     d^2 = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2})
///
/// and tr (S_1^{1/2} S_2 S_1^{1/2})^{1/2} = tr (S_1 S_2)^{1/2} is the sum of the square roots of
/// the eigenvalues of the symmetric matrix S_1^{1/2} S_2 S_1^{1/2}. Both square roots come from
/// symmetric eigen-decompositions (`SymmetricEigen`, Jacobi rotations), in Double; eigenvalues
/// that rounding pushes below zero count as zero. Like FID, it reports d^2 (the squared distance).
///
///     let fd = FrechetDistance.between(sampleFeatures, testFeatures)   // rows: one vector each
public enum FrechetDistance {
    /// The mean and covariance of a set of vectors: the Gaussian it is summarised by.
    public struct Moments: Sendable {
        /// d, the length of every vector.
        public let dimension: Int
        /// mu, d values.
        public let mean: [Double]
        /// S, d x d row-major: the unbiased covariance sum_n (x_n - mu)(x_n - mu)^T / (N - 1).
        public let covariance: [Double]

        /// The moments of `rows` (N >= 2 vectors of one length d).
        public init(_ rows: [[Double]]) {
            precondition(rows.count >= 2, "a covariance needs at least 2 vectors, got \(rows.count)")
            let d = rows[0].count
            precondition(d > 0 && rows.allSatisfy { $0.count == d }, "every vector must have the same positive length")
            var mean = [Double](repeating: 0, count: d)
            for row in rows { for j in 0..<d { mean[j] += row[j] } }
            for j in 0..<d { mean[j] /= Double(rows.count) }
            var covariance = [Double](repeating: 0, count: d * d)
            var centred = [Double](repeating: 0, count: d)
            for row in rows {
                for j in 0..<d { centred[j] = row[j] - mean[j] }
                for i in 0..<d where centred[i] != 0 {
                    for j in i..<d { covariance[i * d + j] += centred[i] * centred[j] }
                }
            }
            let scale = 1 / Double(rows.count - 1)
            for i in 0..<d {
                for j in i..<d {
                    covariance[i * d + j] *= scale
                    covariance[j * d + i] = covariance[i * d + j]
                }
            }
            self.init(mean: mean, covariance: covariance)
        }

        /// Moments given directly (`covariance` d x d, symmetric positive semi-definite).
        public init(mean: [Double], covariance: [Double]) {
            precondition(
                covariance.count == mean.count * mean.count,
                "a \(mean.count)-vector needs a \(mean.count)x\(mean.count) covariance")
            self.dimension = mean.count
            self.mean = mean
            self.covariance = covariance
        }
    }

    /// d^2 between the Gaussians of two sets of vectors (rows), see the type's documentation.
    public static func between(_ a: [[Double]], _ b: [[Double]]) -> Double {
        between(Moments(a), Moments(b))
    }

    /// d^2 between N(mu_a, S_a) and N(mu_b, S_b).
    public static func between(_ a: Moments, _ b: Moments) -> Double {
        precondition(
            a.dimension == b.dimension, "vectors of length \(a.dimension) and \(b.dimension) cannot be compared")
        let d = a.dimension
        var meanTerm = 0.0
        for j in 0..<d { meanTerm += (a.mean[j] - b.mean[j]) * (a.mean[j] - b.mean[j]) }
        var traces = 0.0
        for j in 0..<d { traces += a.covariance[j * d + j] + b.covariance[j * d + j] }
        // M = S_a^{1/2} S_b S_a^{1/2} is symmetric positive semi-definite; tr M^{1/2} is the sum
        // of the square roots of its eigenvalues.
        let root = SymmetricEigen(a.covariance, n: d).squareRoot
        let m = symmetrized(multiply(multiply(root, b.covariance, d), root, d), d)
        let crossTrace = SymmetricEigen(m, n: d).values.reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
        return meanTerm + traces - 2 * crossTrace
    }

    /// A B for n x n row-major matrices.
    static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n where a[i * n + k] != 0 {
                let aik = a[i * n + k]
                for j in 0..<n { c[i * n + j] += aik * b[k * n + j] }
            }
        }
        return c
    }

    /// (M + M^T) / 2: removes the rounding asymmetry of a product that is symmetric in exact arithmetic.
    static func symmetrized(_ m: [Double], _ n: Int) -> [Double] {
        var s = m
        for i in 0..<n { for j in 0..<n { s[i * n + j] = 0.5 * (m[i * n + j] + m[j * n + i]) } }
        return s
    }
}

/// The eigen-decomposition A = V diag(lambda) V^T of a symmetric n x n matrix (row-major, Double),
/// by the cyclic Jacobi method: each rotation in the plane (p, q) zeroes the entry A_pq,
///
///     theta = (A_qq - A_pp) / (2 A_pq),   t = sign(theta) / (|theta| + sqrt(theta^2 + 1)),
///     c = 1 / sqrt(t^2 + 1),  s = t c,    A <- J^T A J,   V <- V J,
///
/// sweeping over all pairs until the off-diagonal part is negligible (quadratic convergence; a
/// few sweeps for the 64 x 64 covariances of the judge's features). Slow for large n (O(n^3) per
/// sweep) but short, exact to rounding, and it needs no pivoting.
public struct SymmetricEigen: Sendable {
    public let n: Int
    /// lambda_1 ... lambda_n, in the order of the columns of `vectors` (not sorted).
    public let values: [Double]
    /// V, row-major n x n, orthonormal: column k is the eigenvector of `values[k]`.
    public let vectors: [Double]

    public init(_ matrix: [Double], n: Int, maxSweeps: Int = 60) {
        precondition(matrix.count == n * n, "a \(n)x\(n) matrix has \(n * n) entries, got \(matrix.count)")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = Swift.max(a.reduce(0) { Swift.max($0, Swift.abs($1)) }, Double.leastNormalMagnitude)
        for _ in 0..<maxSweeps {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p * n + q] * a[p * n + q] } }
            if off.squareRoot() <= 1e-15 * scale * Double(n) { break }
            for p in 0..<n {
                for q in (p + 1)..<n {
                    let apq = a[p * n + q]
                    if Swift.abs(apq) <= 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    // A <- J^T A J: rows p and q, then columns p and q.
                    for k in 0..<n {
                        let (akp, akq) = (a[k * n + p], a[k * n + q])
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k])
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        self.n = n
        self.values = (0..<n).map { a[$0 * n + $0] }
        self.vectors = v
    }

    /// V diag(f(lambda)) V^T.
    public func mapped(_ f: (Double) -> Double) -> [Double] {
        let fl = values.map(f)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in 0..<n { s += vectors[i * n + k] * fl[k] * vectors[j * n + k] }
                out[i * n + j] = s
                out[j * n + i] = s
            }
        }
        return out
    }

    /// The symmetric square root A^{1/2} = V diag(sqrt(max(lambda, 0))) V^T of a positive
    /// semi-definite A (eigenvalues that rounding made negative count as zero).
    public var squareRoot: [Double] { mapped { Swift.max($0, 0).squareRoot() } }
}
