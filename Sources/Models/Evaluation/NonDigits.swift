import Datasets
import Tensors

/// Images that are not one digit, made from a set of digits and the generator: what the judge
/// (`DigitJudge`) learns to meet with a uniform output. Four kinds, in turn:
///
/// - `noise`: every pixel on with probability p ~ U(0.05, 0.5), over the whole image or over a
///   random rectangle (a smudge);
/// - `blobs`: one to four filled ellipses, radii 3 to H/4 + 2;
/// - `patches`: a digit cut into a 4 x 4 grid of blocks, the blocks shuffled;
/// - `overlay`: two digits of different classes, the pixelwise maximum.
///
/// All are drawn in the digits' levels (on pixels at the top level, off at 0), so a binarised
/// set gets binary junk.
public enum NonDigits: String, CaseIterable, Sendable {
    case noise, blobs, patches, overlay

    /// `count` non-digits (N x H x W levels), the kinds in turn starting from a random one.
    public static func draw(count: Int, from digits: ImageSet, using rng: inout Random) -> [UInt8] {
        let first = rng.index(below: allCases.count)
        var out: [UInt8] = []
        out.reserveCapacity(count * digits.pixelsPerImage)
        for n in 0..<count { out += allCases[(first + n) % allCases.count].image(from: digits, using: &rng) }
        return out
    }

    /// One image of this kind, H x W levels.
    public func image(from digits: ImageSet, using rng: inout Random) -> [UInt8] {
        let (h, w, top) = (digits.height, digits.width, UInt8(digits.levels - 1))
        var out = [UInt8](repeating: 0, count: h * w)
        switch self {
        case .noise:
            let p = rng.uniform(0.05, 0.5)
            var (rows, columns) = (0..<h, 0..<w)
            if rng.bernoulli(0.5) {
                let (y, x) = (rng.index(below: h / 2), rng.index(below: w / 2))
                rows = y..<(y + h / 3 + rng.index(below: h / 2))
                columns = x..<(x + w / 3 + rng.index(below: w / 2))
            }
            for r in rows where r < h { for c in columns where c < w { if rng.bernoulli(p) { out[r * w + c] = top } } }
        case .blobs:
            for _ in 0..<(1 + rng.index(below: 4)) {
                let (cy, cx) = (rng.uniform(0, Double(h)), rng.uniform(0, Double(w)))
                let big = Double(h / 4 + 2)
                let (ry, rx) = (rng.uniform(3, big), rng.uniform(3, big))
                for r in 0..<h {
                    for c in 0..<w {
                        let (dy, dx) = ((Double(r) + 0.5 - cy) / ry, (Double(c) + 0.5 - cx) / rx)
                        if dy * dy + dx * dx <= 1 { out[r * w + c] = top }
                    }
                }
            }
        case .patches:
            let source = digits.image(rng.index(below: digits.count))
            let (ph, pw) = (Swift.max(h / 4, 1), Swift.max(w / 4, 1))
            let (gh, gw) = (h / ph, w / pw)
            let order = rng.permutation(gh * gw)
            for (to, from) in order.enumerated() {
                let (ty, tx, fy, fx) = (to / gw * ph, to % gw * pw, from / gw * ph, from % gw * pw)
                for r in 0..<ph {
                    for c in 0..<pw { out[(ty + r) * w + tx + c] = source[source.startIndex + (fy + r) * w + fx + c] }
                }
            }
        case .overlay:
            let a = rng.index(below: digits.count)
            var b = rng.index(below: digits.count)
            while digits.labels[b] == digits.labels[a] && Set(digits.labels).count > 1 {
                b = rng.index(below: digits.count)
            }
            let (x, y) = (digits.image(a), digits.image(b))
            for i in 0..<(h * w) { out[i] = Swift.max(x[x.startIndex + i], y[y.startIndex + i]) }
        }
        return out
    }
}
