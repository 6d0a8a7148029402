/// Several figures side by side under one title, so that a chapter writes one PNG that tells
/// one story (samples next to the training curve that produced them, say).
///
/// Canvases go left to right in rows of `columns` (default: all in one row), `spacing` pixels
/// apart; each sits at the top of its row, centred in its column, which is as wide as the widest
/// canvas in it. The title is set at scale 3, above the scale-2 titles of the figures.
public func panel(_ canvases: [Canvas], title: String = "", columns: Int? = nil, spacing: Int = 16) -> Canvas {
    precondition(!canvases.isEmpty, "a panel needs at least one canvas")
    let columns = min(columns ?? canvases.count, canvases.count)
    precondition(columns > 0, "a panel needs at least one column")
    let rows = (canvases.count + columns - 1) / columns
    let columnWidths = (0..<columns).map { c in
        stride(from: c, to: canvases.count, by: columns).map { canvases[$0].width }.max()!
    }
    let rowHeights = (0..<rows).map { r in
        canvases[r * columns..<min((r + 1) * columns, canvases.count)].map(\.height).max()!
    }

    let margin = 16
    let titleSize = Canvas.textSize(title, scale: 3)
    let contentWidth = columnWidths.reduce(0, +) + (columns - 1) * spacing
    let width = 2 * margin + max(contentWidth, titleSize.width)
    let top = margin + (title.isEmpty ? 0 : titleSize.height + margin)
    let height = top + rowHeights.reduce(0, +) + (rows - 1) * spacing + margin
    var result = Canvas(width: width, height: height)
    if !title.isEmpty {
        result.drawText(title, x: width / 2, y: margin, anchor: .top, scale: 3)
    }
    var y = top
    for r in 0..<rows {
        var x = (width - contentWidth) / 2
        for c in 0..<columns where r * columns + c < canvases.count {
            let canvas = canvases[r * columns + c]
            result.draw(canvas, x: x + (columnWidths[c] - canvas.width) / 2, y: y)
            x += columnWidths[c] + spacing
        }
        y += rowHeights[r] + spacing
    }
    return result
}
