import Foundation
import Tensors

/// Binarisation, quantisation and downsampling. Each returns a new set with the same labels.
extension ImageSet {
    /// Static binarisation: level 1 where v / (levels - 1) > `threshold`, else 0 (2 levels).
    /// The same on every run; with threshold 0.5, MNIST levels 128...255 become 1.
    public func binarized(threshold: Double = 0.5) -> ImageSet {
        let table = (0..<levels).map { Double($0) / Double(levels - 1) > threshold ? UInt8(1) : 0 }
        return ImageSet(unchecked: height, width, 2, pixels.map { table[Int($0)] }, labels)
    }

    /// Stochastic binarisation: each pixel independently 1 with probability v / (levels - 1).
    /// Draws exactly one uniform per pixel in row-major order, so the stream `rng` is left at
    /// depends only on the number of pixels.
    public func stochasticallyBinarized(using rng: inout Random) -> ImageSet {
        let p = (0..<levels).map { Double($0) / Double(levels - 1) }
        var out = [UInt8](repeating: 0, count: pixels.count)
        for i in pixels.indices where rng.uniform() < p[Int(pixels[i])] { out[i] = 1 }
        return ImageSet(unchecked: height, width, 2, out, labels)
    }

    /// Quantisation to `k` levels by equal-width bins of the old levels: q = floor(v * k / levels).
    /// 256 -> 4 levels maps 0...63 to 0, 64...127 to 1 and so on; 17 -> 4 maps 0...4 to 0, 5...8 to 1,
    /// 9...12 to 2, 13...16 to 3. Needs 2 <= k <= levels.
    public func quantized(levels k: Int) -> ImageSet {
        precondition(k >= 2 && k <= levels, "quantize to 2...\(levels) levels, got \(k)")
        let table = (0..<levels).map { UInt8($0 * k / levels) }
        return ImageSet(unchecked: height, width, k, pixels.map { table[Int($0)] }, labels)
    }

    /// Halves height and width: each output pixel is the mean of a 2 x 2 block, rounded half up,
    /// (a + b + c + d + 2) / 4 in integer arithmetic, so levels are kept. MNIST 28 x 28 -> 14 x 14.
    /// Needs even height and width.
    public func downsampled2x() -> ImageSet {
        precondition(height % 2 == 0 && width % 2 == 0, "downsampling needs even sizes, got \(height)x\(width)")
        let (h, w) = (height / 2, width / 2)
        var out = [UInt8](repeating: 0, count: count * h * w)
        for n in 0..<count {
            for r in 0..<h {
                for c in 0..<w {
                    let top = (n * height + 2 * r) * width + 2 * c
                    let bottom = top + width
                    let sum = Int(pixels[top]) + Int(pixels[top + 1]) + Int(pixels[bottom]) + Int(pixels[bottom + 1])
                    out[(n * h + r) * w + c] = UInt8((sum + 2) / 4)
                }
            }
        }
        return ImageSet(unchecked: h, w, levels, out, labels)
    }
}
