import Foundation

/// The one seeded random generator of the workbook: xoshiro256** (Blackman and Vigna), seeded
/// through splitmix64. It gives the same stream on every machine, so a chapter run with the same
/// seed reproduces its numbers and figures. Nothing in the workbook calls the system random source:
/// every random choice takes a `Random` as `inout`.
public struct Random: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        // splitmix64 spreads a small seed over the 256-bit state (never all zero).
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A new generator whose stream does not overlap this one's in practice (for a sub-task that
    /// must not shift the main stream when it changes).
    public mutating func split() -> Random { Random(seed: next()) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// A standard normal draw (Box-Muller; one of the pair is used, so the stream stays simple).
    public mutating func normal() -> Double {
        var u = uniform()
        while u == 0 { u = uniform() }
        let v = uniform()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }

    /// True with probability `p`.
    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    /// An index drawn with the given (not necessarily normalised, non-negative) weights.
    // Pre-specialised like the kernels: sampling calls it once per pixel, from other modules.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public mutating func categorical<S: BinaryFloatingPoint>(_ weights: [S]) -> Int {
        var total = 0.0
        for w in weights { total += Double(w) }
        precondition(total > 0 && total.isFinite, "categorical needs positive finite weights, got total \(total)")
        var r = uniform() * total
        for (i, w) in weights.enumerated() {
            r -= Double(w)
            if r < 0 { return i }
        }
        // Rounding can leave r == 0 after the last positive weight.
        return weights.lastIndex { $0 > 0 }!
    }

    /// An index in 0..<n, uniformly.
    public mutating func index(below n: Int) -> Int {
        precondition(n > 0, "index(below:) needs n > 0")
        return Int(next(upperBound: UInt64(n)))
    }

    /// A uniformly random permutation of 0..<n (Fisher-Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            p.swapAt(i, index(below: i + 1))
        }
        return p
    }
}

// The creation functions are pre-specialised: called from another module, a generic per-element
// closure runs through witness tables (measured: a tenth of a GAN training step went there).
extension Tensor {
    /// Elements drawn uniformly from [low, high).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func uniform(
        _ shape: [Int], low: Scalar = 0, high: Scalar = 1, using rng: inout Random
    ) -> Tensor {
        let n = shape.reduce(1, *)
        let (lo, hi) = (Double(low), Double(high))
        return Tensor(shape: shape, scalars: (0..<n).map { _ in Scalar(rng.uniform(lo, hi)) })
    }

    /// Elements drawn from N(mean, std^2).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func normal(
        _ shape: [Int], mean: Scalar = 0, std: Scalar = 1, using rng: inout Random
    ) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { _ in mean + std * Scalar(rng.normal()) })
    }

    /// Elements that are 1 with probability `p` and 0 otherwise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func bernoulli(_ shape: [Int], p: Double, using rng: inout Random) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { _ in rng.bernoulli(p) ? 1 : 0 })
    }

    /// Each element 1 with the probability given by the same element of `probabilities`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func bernoulli(probabilities: Tensor, using rng: inout Random) -> Tensor {
        Tensor(
            shape: probabilities.shape,
            scalars: probabilities.scalars.map { rng.bernoulli(Double($0)) ? 1 : 0 })
    }
}
