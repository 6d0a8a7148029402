import Foundation
import Tensors

/// Synthetic colour images whose channels are correlated inside a pixel and whose exact log p(x)
/// and entropy are known: the test bed for ordering R, G, B inside a pixel.
///
/// An image is H x W pixels, each three levels (R, G, B) in `0..<levels`, stored pixel by pixel,
/// R G B inside a pixel (value 3p + c). Pixels are drawn in raster order:
///
///     R_p = R_{p-1} with probability `stay`, else uniform      (R_0 uniform)
///     G_p = R_p     with probability `copy`, else uniform
///     B_p = floor((R_p + G_p) / 2) with probability `copy`, else uniform
///
/// "Uniform" may land on the same level, so p(v | target) = copy [v = target] + (1 - copy) / K.
/// R runs along the raster as a Markov chain (bands of colour); G and B follow R inside the pixel.
/// The chain rule in the lecture's order, p(R) p(G | R) p(B | R, G) per pixel, can represent this
/// exactly; a model that treats the channels of a pixel as independent given the earlier pixels
/// cannot, and `channelIndependentFloor` is the best it can do.
public struct CorrelatedColours: Sendable {
    public let height: Int
    public let width: Int
    public let levels: Int
    public let stay: Double
    public let copy: Double

    public init(height: Int, width: Int, levels: Int = 4, stay: Double = 0.8, copy: Double = 0.8) {
        precondition(height >= 1 && width >= 1 && levels >= 2, "need a positive size and levels >= 2")
        precondition((0...1).contains(stay) && (0...1).contains(copy), "stay and copy are probabilities")
        self.height = height
        self.width = width
        self.levels = levels
        self.stay = stay
        self.copy = copy
    }

    public var pixelCount: Int { height * width }
    /// 3 H W values per image.
    public var dimension: Int { 3 * pixelCount }

    /// p(v | target) = mix [v = target] + (1 - mix) / K.
    func p(_ v: Int, target: Int, mix: Double) -> Double {
        (v == target ? mix : 0) + (1 - mix) / Double(levels)
    }

    /// p(R_p, G_p, B_p | R_{p-1}), with `previous` nil for the first pixel.
    public func pixelProbability(r: Int, g: Int, b: Int, previous: Int?) -> Double {
        let pr = previous.map { p(r, target: $0, mix: stay) } ?? 1 / Double(levels)
        return pr * p(g, target: r, mix: copy) * p(b, target: (r + g) / 2, mix: copy)
    }

    /// log p(x) in nats for one image of `dimension` levels.
    public func logProbability<C: Collection>(_ x: C) -> Double where C.Element == UInt8 {
        let v = x.map { Int($0) }
        precondition(v.count == dimension && v.allSatisfy { $0 < levels }, "need \(dimension) levels below \(levels)")
        var total = 0.0
        for q in 0..<pixelCount {
            total += Foundation.log(
                pixelProbability(r: v[3 * q], g: v[3 * q + 1], b: v[3 * q + 2], previous: q == 0 ? nil : v[3 * q - 3]))
        }
        return total
    }

    /// `count` images, N x 3HW levels.
    public func sample(count: Int, using rng: inout Random) -> [UInt8] {
        let k = levels
        func mixed(_ target: Int, _ mix: Double) -> Int { rng.uniform() < mix ? target : rng.index(below: k) }
        var out = [UInt8]()
        out.reserveCapacity(count * dimension)
        for _ in 0..<count {
            var previous = rng.index(below: k)
            for q in 0..<pixelCount {
                let r = q == 0 ? previous : mixed(previous, stay)
                let g = mixed(r, copy)
                let b = mixed((r + g) / 2, copy)
                out += [UInt8(r), UInt8(g), UInt8(b)]
                previous = r
            }
        }
        return out
    }

    /// The joint distribution of one pixel's (R, G, B) given R of the pixel before (nil: first pixel),
    /// K^3 values indexed (r K + g) K + b.
    func pixelJoint(previous: Int?) -> [Double] {
        var joint: [Double] = []
        for r in 0..<levels {
            for g in 0..<levels {
                for b in 0..<levels {
                    joint.append(pixelProbability(r: r, g: g, b: b, previous: previous))
                }
            }
        }
        return joint
    }

    /// The entropy of the images in nats, exactly: H(pixel 0) + (HW - 1) H(pixel | previous R), the
    /// stationary distribution of R being uniform. No model can have a lower expected NLL.
    public var entropy: Double {
        let first = entropyOf(pixelJoint(previous: nil))
        let later = (0..<levels).map { entropyOf(pixelJoint(previous: $0)) }.reduce(0, +) / Double(levels)
        return first + Double(pixelCount - 1) * later
    }

    /// The lowest expected NLL of any model whose three channels are independent given the earlier
    /// pixels: it is best off with the true marginals q(R | past) q(G | past) q(B | past), costing
    /// H(R | past) + H(G | past) + H(B | past) per pixel. Minus `entropy`, it is the total
    /// correlation of the channels that such a model throws away.
    public var channelIndependentFloor: Double {
        func factorised(_ joint: [Double]) -> Double {
            let k = levels
            var mr = [Double](repeating: 0, count: k)
            var mg = mr
            var mb = mr
            for r in 0..<k {
                for g in 0..<k {
                    for b in 0..<k {
                        let v = joint[(r * k + g) * k + b]
                        mr[r] += v
                        mg[g] += v
                        mb[b] += v
                    }
                }
            }
            return entropyOf(mr) + entropyOf(mg) + entropyOf(mb)
        }
        let first = factorised(pixelJoint(previous: nil))
        let later = (0..<levels).map { factorised(pixelJoint(previous: $0)) }.reduce(0, +) / Double(levels)
        return first + Double(pixelCount - 1) * later
    }

    /// Degrees for `MADE` in the lecture's order: R, then G given R, then B given R and G, pixel by
    /// pixel (value 3p + c has degree 3p + c + 1).
    public var chainedChannelDegrees: [Int] { Array(1...dimension) }

    /// Degrees for `MADE` with the channels of a pixel independent given the earlier pixels: all
    /// three values of pixel p have degree p + 1.
    public var independentChannelDegrees: [Int] { (0..<dimension).map { $0 / 3 + 1 } }
}

/// -sum p log p in nats.
func entropyOf(_ p: [Double]) -> Double {
    p.reduce(0) { $0 - ($1 > 0 ? $1 * Foundation.log($1) : 0) }
}
