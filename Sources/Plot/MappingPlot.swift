import Foundation

/// A 1-D generator drawn as Goodfellow et al. (2014) draw it in their Figure 1: curves over x on
/// top (p_data, p_g and D, say), and below them two horizontal lines, x above and z below, on
/// the same scale as the curves' x axis, with a line from each z_i up to x_i = G(z_i).
///
/// Where the lines crowd together on the x line, G contracts and p_g is high; where they fan out,
/// it expands. `curves` are drawn as lines (solid or dashed; `.filled` is drawn solid); every
/// curve's `y` has one value per element of `x`. `yRange` fixes the y axis of the curves.
/// `mapping` pairs (z, G(z)); pairs with an end off the axis are left out. The band of the two
/// lines is `bandHeight` pixels tall (default 3/10 of the height).
public func mappingPlot(
    x: [Double], _ curves: [Series], mapping: [(z: Double, x: Double)], yRange: ClosedRange<Double>,
    title: String = "", yLabel: String = "", xName: String = "x", zName: String = "z", width: Int = 400,
    height: Int = 520, bandHeight: Int? = nil
) -> Canvas {
    for curve in curves {
        precondition(
            curve.y.count == x.count, "curve \(curve.name) has \(curve.y.count) values for \(x.count) x values")
    }
    let band = bandHeight ?? height * 3 / 10
    let topHeight = height - band
    let s = PlotFrame.textScale(width: width, height: topHeight)
    let (lineWidth, dash) = (s, 5 * s)
    let colors = curves.indices.map { curves[$0].color ?? Color.categorical[$0 % Color.categorical.count] }
    let legend = curves.indices.filter { !curves[$0].name.isEmpty }.map { i in
        LegendEntry(
            name: curves[i].name, color: colors[i],
            swatch: .line(width: lineWidth, dash: curves[i].style == .dashed ? dash : nil))
    }
    let xAxis = Axis(covering: x, maxTicks: PlotFrame.maxTicks(width: width, height: topHeight).x)
    // The legend is drawn here rather than by drawPlot, so that the plot is laid out once and its
    // frame (the pixel of every x) is the one the band below is drawn with.
    var captured: PlotFrame?
    var top = PlotFrame.drawPlot(
        width: width, height: topHeight, x: xAxis, yValues: [yRange.lowerBound, yRange.upperBound], title: title,
        xLabel: "", yLabel: yLabel, legend: []
    ) { frame, canvas in
        captured = frame
        frame.clip(&canvas) { canvas in
            for (i, curve) in curves.enumerated() {
                let points = zip(x, curve.y).filter { $0.0.isFinite && $0.1.isFinite }.map {
                    (frame.pixelX($0.0), frame.pixelY($0.1))
                }
                canvas.drawPolyline(
                    points.map { (x: $0.0, y: $0.1) }, color: colors[i], width: lineWidth,
                    dash: curve.style == .dashed ? dash : nil)
            }
        }
    }
    let frame = captured!
    if !legend.isEmpty {
        let corner = frame.bestLegendCorner(frame.legendSize(legend), on: top)
        frame.drawLegend(legend, x: corner.x, y: corner.y, on: &top)
    }

    var canvas = Canvas(width: width, height: height)
    canvas.draw(top, x: 0, y: 0)
    let glyph = BitmapFont.glyphHeight * s
    let xLine = topHeight + 2 * frame.gap
    let zLine = height - 1 - frame.padding - glyph - frame.gap - frame.tickLength
    for row in [xLine, zLine] {
        canvas.drawLine(from: (frame.left, row), to: (frame.right, row), color: .ink, width: s)
    }
    canvas.drawText(xName, x: frame.left - frame.gap, y: xLine, anchor: .right, scale: s)
    canvas.drawText(zName, x: frame.left - frame.gap, y: zLine, anchor: .right, scale: s)
    // The z line shares the x axis' scale: its ticks are the same values.
    for tick in xAxis.ticks {
        let column = frame.pixelX(tick)
        canvas.drawLine(from: (column, zLine + 1), to: (column, zLine + frame.tickLength), color: .ink)
    }
    for (tick, label) in zip(xAxis.ticks, xAxis.labels) {
        canvas.drawText(label, x: frame.pixelX(tick), y: zLine + frame.tickLength + frame.gap, anchor: .top, scale: s)
    }
    let arrow = Color(gray: 70)
    for pair in mapping where pair.z.isFinite && pair.x.isFinite {
        let (from, to) = (frame.pixelX(pair.z), frame.pixelX(pair.x))
        guard (frame.left...frame.right).contains(from) && (frame.left...frame.right).contains(to) else { continue }
        canvas.drawLine(from: (from, zLine - s), to: (to, xLine + s), color: arrow)
        canvas.fillCircle(x: from, y: zLine, radius: s + 1, color: arrow)
        canvas.fillCircle(x: to, y: xLine, radius: s + 1, color: arrow)
    }
    return canvas
}
