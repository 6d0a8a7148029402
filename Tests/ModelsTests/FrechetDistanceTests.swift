import Foundation
import Tensors
import Testing

@testable import Models

@Suite("Frechet distance: symmetric eigen-decomposition, identical sets, closed forms")
struct FrechetDistanceTests {
    /// A random symmetric matrix (entries U(-1, 1) mirrored).
    static func randomSymmetric(_ n: Int, using rng: inout Random) -> [Double] {
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                a[i * n + j] = rng.uniform(-1, 1)
                a[j * n + i] = a[i * n + j]
            }
        }
        return a
    }

    /// A random orthogonal matrix Q (Gram-Schmidt on Gaussian columns), row-major.
    static func randomRotation(_ n: Int, using rng: inout Random) -> [Double] {
        var columns: [[Double]] = []
        while columns.count < n {
            var v = (0..<n).map { _ in rng.normal() }
            for u in columns {
                let dot = zip(u, v).reduce(0.0) { $0 + $1.0 * $1.1 }
                for k in 0..<n { v[k] -= dot * u[k] }
            }
            let norm = v.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            if norm > 1e-6 { columns.append(v.map { $0 / norm }) }
        }
        return (0..<(n * n)).map { columns[$0 % n][$0 / n] }
    }

    /// Q D Q^T for a diagonal D.
    static func rotated(_ diagonal: [Double], by q: [Double]) -> [Double] {
        let n = diagonal.count
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { for k in 0..<n { out[i * n + j] += q[i * n + k] * diagonal[k] * q[j * n + k] } }
        }
        return out
    }

    /// The closed form for diagonal covariances: |mu_1 - mu_2|^2 + sum_j (s1_j + s2_j - 2 sqrt(s1_j s2_j)).
    static func diagonalClosedForm(_ m1: [Double], _ s1: [Double], _ m2: [Double], _ s2: [Double]) -> Double {
        var d = 0.0
        for j in m1.indices {
            d += (m1[j] - m2[j]) * (m1[j] - m2[j]) + s1[j] + s2[j] - 2 * (s1[j] * s2[j]).squareRoot()
        }
        return d
    }

    /// A v_k = lambda_k v_k for every eigenpair, and V is orthonormal: checked by matrix-vector
    /// products, not by the rotations that produced them.
    @Test(arguments: [1, 2, 5, 17])
    func eigenPairs(n: Int) {
        var rng = Random(seed: UInt64(n))
        let a = Self.randomSymmetric(n, using: &rng)
        let e = SymmetricEigen(a, n: n)
        for k in 0..<n {
            let v = (0..<n).map { e.vectors[$0 * n + k] }
            for i in 0..<n {
                var av = 0.0
                for j in 0..<n { av += a[i * n + j] * v[j] }
                #expect(abs(av - e.values[k] * v[i]) < 1e-10, "row \(i) of A v_\(k)")
            }
            for l in 0..<n {
                var dot = 0.0
                for i in 0..<n { dot += e.vectors[i * n + k] * e.vectors[i * n + l] }
                let identity: Double = k == l ? 1 : 0
                #expect(abs(dot - identity) < 1e-10)
            }
        }
        // The trace is the sum of the eigenvalues.
        var trace = 0.0
        for i in 0..<n { trace += a[i * n + i] }
        let eigenvalueSum: Double = e.values.reduce(0, +)
        #expect(abs(eigenvalueSum - trace) < 1e-10)
    }

    /// The square root of a positive-definite matrix squares back to it.
    @Test func squareRoot() {
        var rng = Random(seed: 3)
        let n = 6
        let q = Self.randomRotation(n, using: &rng)
        let a = Self.rotated((0..<n).map { _ in rng.uniform(0.1, 4) }, by: q)
        let r = SymmetricEigen(a, n: n).squareRoot
        let rr = FrechetDistance.multiply(r, r, n)
        for i in 0..<(n * n) { #expect(abs(rr[i] - a[i]) < 1e-10) }
    }

    /// Identical sets of vectors are at distance zero (up to rounding), however correlated.
    @Test func identicalSetsAreAtZero() {
        var rng = Random(seed: 5)
        let rows = (0..<300).map { _ -> [Double] in
            let z = (0..<8).map { _ in rng.normal() }
            return (0..<8).map { (j: Int) -> Double in
                let mixed: Double = z[j] + 0.8 * z[(j + 1) % 8]
                return mixed + Double(j)
            }
        }
        let scale: Double = FrechetDistance.Moments(rows).covariance.reduce(0.0) { max($0, abs($1)) }
        #expect(abs(FrechetDistance.between(rows, rows)) < 1e-9 * scale)
        // Shifting one set by a vector t adds exactly |t|^2.
        let shifted: [[Double]] = rows.map { row in
            var moved = row
            moved[2] += 3
            return moved
        }
        #expect(abs(FrechetDistance.between(rows, shifted) - 9) < 1e-9)
    }

    /// One dimension: N(m1, s1^2) and N(m2, s2^2) are (m1 - m2)^2 + (s1 - s2)^2 apart.
    @Test func oneDimension() {
        let a = FrechetDistance.Moments(mean: [1.5], covariance: [4])
        let b = FrechetDistance.Moments(mean: [-0.5], covariance: [0.25])
        #expect(abs(FrechetDistance.between(a, b) - (4 + 1.5 * 1.5)) < 1e-12)
    }

    /// Two Gaussians with diagonal covariances, both rotated by the same orthogonal Q (so neither
    /// covariance is diagonal and the eigen-decompositions do real work): the distance is rotation
    /// invariant, so it must equal the diagonal closed form. A broken variant that replaces
    /// tr (S_1 S_2)^{1/2} by sqrt(tr S_1 S_2) misses it by far (the negative control).
    @Test func rotatedDiagonalGaussians() {
        var rng = Random(seed: 11)
        let n = 7
        let (m1, m2) = ((0..<n).map { _ in rng.uniform(-1, 1) }, (0..<n).map { _ in rng.uniform(-1, 1) })
        let (s1, s2) = ((0..<n).map { _ in rng.uniform(0.05, 3) }, (0..<n).map { _ in rng.uniform(0.05, 3) })
        let q = Self.randomRotation(n, using: &rng)
        func rotate(_ m: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { out[i] += q[i * n + j] * m[j] } }
            return out
        }
        let a = FrechetDistance.Moments(mean: rotate(m1), covariance: Self.rotated(s1, by: q))
        let b = FrechetDistance.Moments(mean: rotate(m2), covariance: Self.rotated(s2, by: q))
        let expected = Self.diagonalClosedForm(m1, s1, m2, s2)
        #expect(abs(FrechetDistance.between(a, b) - expected) < 1e-9 * max(1, expected))

        // The negative control: the same check rejects a wrong cross term.
        let product = FrechetDistance.multiply(a.covariance, b.covariance, n)
        var (traceProduct, meanTerm) = (0.0, 0.0)
        for j in 0..<n {
            traceProduct += product[j * n + j]
            meanTerm += (a.mean[j] - b.mean[j]) * (a.mean[j] - b.mean[j])
        }
        let traces: Double = s1.reduce(0, +) + s2.reduce(0, +)
        let broken = meanTerm + traces - 2 * traceProduct.squareRoot()
        #expect(abs(broken - expected) > 0.1)
    }

    /// From samples: 20000 draws from each of two diagonal Gaussians give moments, and a distance,
    /// close to the closed form (the sampling error of the moments is about 1%).
    @Test func fromSamples() {
        var rng = Random(seed: 13)
        let (m1, s1, m2, s2) = ([0.0, 1, -1], [1.0, 0.25, 2], [0.5, 1, 0], [0.5, 1, 2])
        func draw(_ m: [Double], _ s: [Double]) -> [[Double]] {
            (0..<20000).map { _ in (0..<3).map { (j: Int) -> Double in m[j] + s[j].squareRoot() * rng.normal() } }
        }
        let expected = Self.diagonalClosedForm(m1, s1, m2, s2)
        let measured = FrechetDistance.between(draw(m1, s1), draw(m2, s2))
        #expect(abs(measured - expected) < 0.05 * expected, "measured \(measured), closed form \(expected)")
    }
}
