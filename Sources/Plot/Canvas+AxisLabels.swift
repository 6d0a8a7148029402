/// A figure with axis labels added around it: `xLabel` centred under it and `yLabel` running up
/// its left side, at text scale `scale`. For pictures drawn without axis labels of their own,
/// such as a heat map, whose axes are rows and columns of pixels.
public func withAxisLabels(_ canvas: Canvas, xLabel: String, yLabel: String, scale: Int = 2) -> Canvas {
    let (gap, lineHeight) = (3 * scale, BitmapFont.glyphHeight * scale)
    let left = yLabel.isEmpty ? 0 : lineHeight + 2 * gap
    let below = xLabel.isEmpty ? 0 : lineHeight + gap
    let width = max(left + canvas.width, Canvas.textSize(xLabel, scale: scale).width + 2 * gap)
    var result = Canvas(width: width, height: canvas.height + below)
    result.draw(canvas, x: left, y: 0)
    if !xLabel.isEmpty {
        result.drawText(xLabel, x: left + canvas.width / 2, y: canvas.height, anchor: .top, scale: scale)
    }
    if !yLabel.isEmpty {
        result.drawText(yLabel, x: gap, y: canvas.height / 2, anchor: .left, scale: scale, direction: .upward)
    }
    return result
}
