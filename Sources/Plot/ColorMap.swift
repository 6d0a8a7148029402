/// A colour map turns a number in [0, 1] into a colour, by linear interpolation between
/// evenly spaced anchor colours.
public struct ColorMap: Sendable {
    /// The colours at 0, 1/(n-1), ..., 1.
    public let anchors: [Color]
    /// True when the middle of the map means zero (a signed quantity, shown symmetric about 0).
    public let isDiverging: Bool

    public init(anchors: [Color], isDiverging: Bool = false) {
        precondition(anchors.count >= 2, "a colour map needs at least two anchor colours")
        self.anchors = anchors
        self.isDiverging = isDiverging
    }

    /// The colour at `t`, clamped to [0, 1]; NaN gets the colour at 0.
    public func color(at t: Double) -> Color {
        let clamped = t.isNaN ? 0 : min(max(t, 0), 1)
        let position = clamped * Double(anchors.count - 1)
        let i = min(Int(position), anchors.count - 2)
        return anchors[i].mixed(with: anchors[i + 1], position - Double(i))
    }

    /// Perceptually uniform, dark purple to yellow: matplotlib's viridis sampled at ten points.
    /// Brightness rises steadily, so it also reads in gray print and for colour-blind readers.
    public static let viridis = ColorMap(
        anchors: [
            0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E,
            0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725,
        ].map { Color(hex: $0) })

    /// Blue (negative) through white (zero) to red (positive): ColorBrewer's RdBu, reversed.
    public static let diverging = ColorMap(
        anchors: [
            0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7,
            0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B,
        ].map { Color(hex: $0) },
        isDiverging: true)
}
