import Foundation
import Tensors

/// Bars and stripes on an n x n binary image: the uniform distribution over the images whose every
/// row is constant (stripes: any subset of the n rows filled) or whose every column is constant
/// (bars: any subset of the columns filled).
///
/// There are 2^n stripe images and 2^n bar images, but the empty and the full image are both, so
/// the distinct patterns number 2^(n+1) - 2 and
///
///     p(x) = 1 / (2^(n+1) - 2) for a pattern, 0 otherwise;   H = ln(2^(n+1) - 2) nats.
///
/// (The textbook sampler "pick an orientation, then fill each line with probability 1/2" is not
/// this distribution: it gives the empty and full images twice the mass. `sample` draws a pattern
/// uniformly.) n = 4: 30 patterns, H = ln 30 = 3.401 nats.
public struct BarsAndStripes: Sendable {
    /// n: the images are n x n.
    public let size: Int
    /// The distinct patterns, each n * n levels (0 or 1) row-major: first the 2^n stripe images
    /// (row r filled when bit r of the index is set), then the bar images that are neither empty
    /// nor full (column c filled when bit c is set).
    public let patterns: [[UInt8]]

    public init(size n: Int) {
        precondition(n >= 1 && n <= 12, "bars and stripes needs 1 <= n <= 12, got \(n)")
        var patterns: [[UInt8]] = []
        for mask in 0..<(1 << n) {
            patterns.append((0..<n * n).map { UInt8(mask >> ($0 / n) & 1) })  // row = index / n
        }
        for mask in 1..<((1 << n) - 1) {
            patterns.append((0..<n * n).map { UInt8(mask >> ($0 % n) & 1) })  // column = index % n
        }
        self.size = n
        self.patterns = patterns
    }

    /// 2^(n+1) - 2.
    public var patternCount: Int { patterns.count }

    /// The entropy ln(2^(n+1) - 2) in nats: the best mean negative log-likelihood any model can reach.
    public var entropy: Double { Foundation.log(Double(patternCount)) }

    /// True when every row or every column of `x` (n * n values 0/1, row-major) is constant.
    public func contains<C: Collection>(_ x: C) -> Bool where C.Element == UInt8 {
        let v = Array(x)
        precondition(v.count == size * size, "an image of bars and stripes has \(size * size) pixels, got \(v.count)")
        guard v.allSatisfy({ $0 <= 1 }) else { return false }
        let n = size
        let rowsConstant = (0..<n).allSatisfy { r in (0..<n).allSatisfy { v[r * n + $0] == v[r * n] } }
        let columnsConstant = (0..<n).allSatisfy { c in (0..<n).allSatisfy { v[$0 * n + c] == v[c] } }
        return rowsConstant || columnsConstant
    }

    /// log p(x) = -ln(2^(n+1) - 2) for a pattern, -infinity otherwise.
    public func logProbability<C: Collection>(_ x: C) -> Double where C.Element == UInt8 {
        contains(x) ? -entropy : -Double.infinity
    }

    /// Every pattern once, as an image set; the label is the pattern's index in `patterns`.
    public var all: ImageSet {
        ImageSet(unchecked: size, size, 2, patterns.flatMap { $0 }, Array(patterns.indices))
    }

    /// `count` independent draws, each pattern with probability 1 / (2^(n+1) - 2); the label is the
    /// pattern's index in `patterns`.
    public func sample(count: Int, using rng: inout Random) -> ImageSet {
        let picks = (0..<count).map { _ in rng.index(below: patternCount) }
        return ImageSet(unchecked: size, size, 2, picks.flatMap { patterns[$0] }, picks)
    }
}
