/// How many 8-bit channels a pixel has, and what they mean: the four layouts a PNG can hold
/// that Plot reads and writes.
public enum PixelFormat: Int, CaseIterable, Sendable {
    /// One byte per pixel: 0 is black, 255 is white.
    case gray = 1
    /// Two bytes per pixel: gray, then alpha (0 is transparent, 255 is opaque).
    case grayAlpha = 2
    /// Three bytes per pixel: red, green, blue.
    case rgb = 3
    /// Four bytes per pixel: red, green, blue, alpha.
    case rgba = 4

    /// Bytes per pixel.
    public var channels: Int { rawValue }
}

/// An 8-bit image as a PNG file stores it.
///
/// `pixels` holds `height` rows of `width` pixels, top row first, each pixel `format.channels`
/// bytes (interleaved, e.g. `r, g, b, r, g, b, ...`): pixel (x, y) starts at byte
/// `(y * width + x) * format.channels`. Write it with `writePNG(to:)`, read one with
/// `Bitmap(readingPNG:)` (both in `Bitmap+PNG.swift`).
public struct Bitmap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let format: PixelFormat
    public var pixels: [UInt8]

    /// An image of the given size and format from its interleaved, row-major bytes.
    public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image needs a positive size, got \(width)x\(height)")
        precondition(
            pixels.count == width * height * format.channels,
            "a \(width)x\(height) \(format) image has \(width * height * format.channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }
}
