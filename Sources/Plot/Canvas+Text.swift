/// Which point of a text's bounding box the (x, y) given to `drawText` names.
public enum TextAnchor: Sendable {
    case topLeft, top, topRight
    case left, center, right
    case bottomLeft, bottom, bottomRight
}

/// Which way text runs.
public enum TextDirection: Sendable {
    /// Left to right, the usual way.
    case horizontal
    /// Bottom to top (turned 90 degrees counter-clockwise), as on a y-axis label.
    case upward
}

/// Text in the built-in bitmap font (`BitmapFont.swift`): printable ASCII, `\n` starts a new line,
/// any other character is drawn as "?". Every pixel is a `scale` x `scale` block.
extension Canvas {
    /// The size of the box `text` fills when drawn horizontally: 6 x scale pixels per character
    /// (less the blank column after the last one), 9 x scale pixels for one line and 11 x scale
    /// more for every further line. Descenders lie inside the box.
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let longest = lines.map(\.count).max() ?? 0
        let width = longest == 0 ? 0 : (longest * BitmapFont.advance - 1) * scale
        let height = (BitmapFont.glyphHeight + (lines.count - 1) * BitmapFont.lineSpacing) * scale
        return (width, height)
    }

    /// Draws `text` so that the `anchor` point of its bounding box lands on (x, y).
    ///
    /// Lines of a multi-line text are aligned the way the anchor says (left, centred or right).
    /// Upward text turns the whole box: it is `textSize(text).height` wide on the canvas.
    public mutating func drawText(
        _ text: String, x: Int, y: Int, anchor: TextAnchor = .topLeft, scale: Int = 1, color: Color = .ink,
        direction: TextDirection = .horizontal
    ) {
        precondition(scale >= 1, "text scale must be at least 1, got \(scale)")
        let (boxWidth, boxHeight) = Self.textSize(text, scale: scale)
        // The box as it lies on the canvas, and its top-left corner.
        let (onCanvasWidth, onCanvasHeight) = direction == .horizontal ? (boxWidth, boxHeight) : (boxHeight, boxWidth)
        let (fx, fy) = anchor.fractions
        let left = x - Int((fx * Double(onCanvasWidth - 1)).rounded())
        let top = y - Int((fy * Double(onCanvasHeight - 1)).rounded())

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (lineIndex, line) in lines.enumerated() {
            let lineWidth = line.isEmpty ? 0 : (line.count * BitmapFont.advance - 1) * scale
            // (u, v): position inside the unturned box, u to the right, v down.
            var u = Int((fx * Double(boxWidth - lineWidth)).rounded())
            let v = lineIndex * BitmapFont.lineSpacing * scale
            for character in line {
                for (row, bits) in BitmapFont.rows(of: character).enumerated() {
                    for column in 0..<BitmapFont.glyphWidth
                    where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                        let pu = u + column * scale
                        let pv = v + row * scale
                        switch direction {
                        case .horizontal:
                            fillRect(x: left + pu, y: top + pv, width: scale, height: scale, color: color)
                        case .upward:
                            // Turning counter-clockwise sends u (rightwards) to canvas up, v (down) to canvas right.
                            fillRect(
                                x: left + pv, y: top + boxWidth - pu - scale, width: scale, height: scale, color: color)
                        }
                    }
                }
                u += BitmapFont.advance * scale
            }
        }
    }
}

extension TextAnchor {
    /// Where the anchor sits in the box, as fractions of its width and height from the top left.
    var fractions: (Double, Double) {
        switch self {
        case .topLeft: (0, 0)
        case .top: (0.5, 0)
        case .topRight: (1, 0)
        case .left: (0, 0.5)
        case .center: (0.5, 0.5)
        case .right: (1, 0.5)
        case .bottomLeft: (0, 1)
        case .bottom: (0.5, 1)
        case .bottomRight: (1, 1)
        }
    }
}
