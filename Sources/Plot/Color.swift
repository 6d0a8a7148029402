/// An opaque sRGB colour, one byte per channel.
public struct Color: Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour written as in CSS, `Color(hex: 0x1F77B4)`.
    public init(hex: UInt32) {
        self.init(red: UInt8(hex >> 16 & 0xFF), green: UInt8(hex >> 8 & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// A gray level: 0 is black, 255 is white.
    public init(gray: UInt8) { self.init(red: gray, green: gray, blue: gray) }

    /// `(1 - t) * self + t * other`, channel by channel, for `t` in [0, 1].
    public func mixed(with other: Color, _ t: Double) -> Color {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
        return Color(red: mix(red, other.red), green: mix(green, other.green), blue: mix(blue, other.blue))
    }

    /// Relative brightness in [0, 1] (Rec. 601 weights), to pick black or white text on a cell.
    public var brightness: Double {
        (0.299 * Double(red) + 0.587 * Double(green) + 0.114 * Double(blue)) / 255
    }

    public static let white = Color(gray: 255)
    public static let black = Color(gray: 0)
    /// Text and axes: not quite black, which is easier on the eye.
    public static let ink = Color(gray: 34)
    /// Grid lines and frames that should recede behind the data.
    public static let lightGray = Color(gray: 224)
    public static let gray = Color(gray: 128)

    /// Ten colours that stay distinct from one another (matplotlib's "tab10"): class `k` of a
    /// scatter plot and series `k` of a line plot get `categorical[k % 10]`.
    public static let categorical: [Color] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
        0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ].map { Color(hex: $0) }
}
