/// What a legend shows beside a name, in the entry's colour: a piece of line, a line over a
/// shaded band, or a marker.
enum LegendSwatch {
    case line(width: Int, dash: Int?)
    case shadedLine(width: Int)
    case marker(radius: Int)
}

struct LegendEntry {
    let name: String
    let color: Color
    let swatch: LegendSwatch
}

extension PlotFrame {
    /// The top-left corner of the legend box in the corner of the data area where it hides the
    /// fewest data pixels, and how many. Ties go to the preferred corner: top right, top left,
    /// bottom right, bottom left (min(by:) keeps the first of equal counts).
    func bestLegendCorner(_ size: (width: Int, height: Int), on canvas: Canvas) -> (x: Int, y: Int, hidden: Int) {
        let inset = 4 * textScale
        let (leftX, rightX) = (left + inset, right - inset - size.width + 1)
        let (topY, bottomY) = (top + inset, bottom - inset - size.height + 1)
        let corners = [(rightX, topY), (leftX, topY), (rightX, bottomY), (leftX, bottomY)].map { (x: $0.0, y: $0.1) }
        let hidden = corners.map { canvas.dataPixels(x: $0.x, y: $0.y, width: size.width, height: size.height) }
        let best = hidden.indices.min { hidden[$0] < hidden[$1] }!
        return (corners[best].x, corners[best].y, hidden[best])
    }

    private var legendRowSpacing: Int { 4 * textScale }
    private var legendInnerMargin: Int { 5 * textScale }
    private var legendSwatchWidth: Int { 16 * textScale }

    /// The size of the legend box: one row per entry, a swatch and the name in each.
    func legendSize(_ entries: [LegendEntry]) -> (width: Int, height: Int) {
        let lineHeight = BitmapFont.glyphHeight * textScale
        let textWidth = entries.map { Canvas.textSize($0.name, scale: textScale).width }.max()!
        return (
            2 * legendInnerMargin + legendSwatchWidth + gap + textWidth,
            2 * legendInnerMargin + entries.count * lineHeight + (entries.count - 1) * legendRowSpacing
        )
    }

    /// Draws the legend box with its top-left corner at (x, y).
    func drawLegend(_ entries: [LegendEntry], x: Int, y: Int, on canvas: inout Canvas) {
        let s = textScale
        let size = legendSize(entries)
        canvas.fillRect(x: x, y: y, width: size.width, height: size.height, color: .white)
        canvas.strokeRect(x: x, y: y, width: size.width, height: size.height, color: Color(gray: 170))
        for (i, entry) in entries.enumerated() {
            let rowTop = y + legendInnerMargin + i * (BitmapFont.glyphHeight * s + legendRowSpacing)
            let middle = rowTop + 7 * s / 2  // halfway down a capital letter
            let swatchLeft = x + legendInnerMargin
            let swatchRight = swatchLeft + legendSwatchWidth - 1
            switch entry.swatch {
            case .line(let lineWidth, let dash):
                canvas.drawLine(
                    from: (swatchLeft, middle), to: (swatchRight, middle), color: entry.color, width: lineWidth,
                    dash: dash)
            case .shadedLine(let lineWidth):
                for row in middle..<rowTop + 7 * s {
                    for column in swatchLeft...swatchRight {
                        canvas.blend(x: column, y: row, color: entry.color, alpha: shadeOpacity)
                    }
                }
                canvas.drawLine(
                    from: (swatchLeft, middle), to: (swatchRight, middle), color: entry.color, width: lineWidth)
            case .marker(let radius):
                canvas.fillCircle(x: (swatchLeft + swatchRight) / 2, y: middle, radius: radius, color: entry.color)
            }
            canvas.drawText(entry.name, x: swatchRight + 1 + gap, y: rowTop, scale: s)
        }
    }
}

extension Canvas {
    /// How many pixels of the rectangle show data: any colour but the white background and
    /// the gray grid.
    fileprivate func dataPixels(x: Int, y: Int, width: Int, height: Int) -> Int {
        var count = 0
        for row in y..<y + height {
            for column in x..<x + width where contains(x: column, y: row) {
                let color = self[column, row]
                if color != .white && color != .lightGray { count += 1 }
            }
        }
        return count
    }
}
