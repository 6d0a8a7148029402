/// One bar per value, each with its value written above it: the NLL of several models, say.
///
/// Bar i rises from 0 to `values[i]` (a negative value hangs below 0) above its name
/// `labels[i]`; names too wide for their bar are broken at spaces or set smaller. Bars take the colours of
/// `Color.categorical` in order unless `colors` are given. `reference` draws a dashed horizontal
/// line (an entropy floor, a baseline) named in a legend. The y axis covers 0, every bar, room
/// for the value labels, and the reference.
///
/// `axisStart`, when given, replaces 0 as the bottom of the y axis (rounded down to a tick), so
/// that small differences between large values show: every bar rises from the bottom of the
/// axis, a broken-axis mark (two slanted strokes) crosses the y axis near its foot, and a note
/// under the chart says where the axis starts. The reference line is then drawn behind the bars
/// and the value labels stand on a white ground, so the line never strikes through them.
///
/// `xLabel` names the categories under the bars (none by default; not with `axisStart`, whose
/// note takes its line). Value labels carry `valueDigits` significant digits (default 3).
public func barChart<T: BinaryFloatingPoint>(
    _ values: [T], labels: [String], title: String = "", yLabel: String = "",
    reference: (value: Double, label: String)? = nil, colors: [Color]? = nil, width: Int = 640, height: Int = 480,
    axisStart: Double? = nil, xLabel: String = "", valueDigits: Int = 3
) -> Canvas {
    precondition(!values.isEmpty && values.count == labels.count, "a bar chart needs one label per value")
    precondition(colors == nil || colors!.count == values.count, "a bar chart needs one colour per bar")
    precondition(axisStart == nil || xLabel.isEmpty, "a bar chart with axisStart writes its note where xLabel goes")
    precondition(valueDigits >= 1, "value labels need at least one significant digit")
    let values = values.map { Double($0) }
    let s = PlotFrame.textScale(width: width, height: height)
    let dash = 5 * s

    var yValues = values + [axisStart ?? 0]
    if let reference { yValues.append(reference.value) }
    // Headroom above the tallest bar (and below the lowest) for its value label.
    let spread = (yValues.max()! - yValues.min()!)
    if let axisStart {
        precondition(values.allSatisfy { $0 > axisStart }, "every bar must rise above axisStart \(axisStart)")
        yValues.append(yValues.max()! + 0.12 * spread)
    } else {
        yValues += [yValues.max()! + 0.12 * spread, yValues.min()! < 0 ? yValues.min()! - 0.12 * spread : 0]
    }
    let legend = reference.map { [LegendEntry(name: $0.label, color: .ink, swatch: .line(width: s, dash: dash))] } ?? []

    // With `axisStart`, a blank x label keeps a line free for the note, written once the axis is
    // laid out (the note names the axis's first tick).
    return PlotFrame.drawPlot(
        width: width, height: height, x: Axis(categories: labels), yValues: yValues, title: title,
        xLabel: axisStart == nil ? xLabel : " ",
        yLabel: yLabel, legend: legend
    ) { frame, canvas in
        if axisStart != nil {
            drawBarsFromAxisFoot(
                values, labels: labels, colors: colors, reference: reference, valueDigits: valueDigits, frame: frame,
                on: &canvas)
            return
        }
        let barWidth = frame.pixelX(0.3) - frame.pixelX(-0.3)
        // Value labels at the frame's text scale if they all fit their bar's share, else smaller.
        let valueLabels = values.map { valueLabel($0, significantDigits: valueDigits) }
        let share = frame.pixelX(1) - frame.pixelX(0)
        let labelScale = valueLabels.allSatisfy { Canvas.textSize($0, scale: s).width <= share - 2 * s } ? s : 1
        let zero = frame.pixelY(0)
        for (i, value) in values.enumerated() {
            let left = frame.pixelX(Double(i)) - barWidth / 2
            let top = min(frame.pixelY(value), zero)
            let bottom = max(frame.pixelY(value), zero)
            canvas.fillRect(
                x: left, y: top, width: barWidth, height: bottom - top + 1,
                color: colors?[i] ?? Color.categorical[i % Color.categorical.count])
            let (y, anchor) = value >= 0 ? (top - frame.gap, TextAnchor.bottom) : (bottom + frame.gap, TextAnchor.top)
            canvas.drawText(valueLabels[i], x: left + barWidth / 2, y: y, anchor: anchor, scale: labelScale)
        }
        if let reference {
            let y = frame.pixelY(reference.value)
            canvas.drawLine(from: (frame.left + 1, y), to: (frame.right - 1, y), color: .ink, width: s, dash: dash)
        }
    }
}

/// The bars of a chart whose y axis does not start at 0 (see `barChart`'s `axisStart`): the
/// reference line first, then the bars from the foot of the axis, the value labels on a white
/// ground, and the broken-axis mark.
private func drawBarsFromAxisFoot(
    _ values: [Double], labels: [String], colors: [Color]?, reference: (value: Double, label: String)?,
    valueDigits: Int, frame: PlotFrame, on canvas: inout Canvas
) {
    let s = frame.textScale
    if let reference {
        let y = frame.pixelY(reference.value)
        canvas.drawLine(from: (frame.left + 1, y), to: (frame.right - 1, y), color: .ink, width: s, dash: 5 * s)
    }
    let barWidth = frame.pixelX(0.3) - frame.pixelX(-0.3)
    let valueLabels = values.map { valueLabel($0, significantDigits: valueDigits) }
    let share = frame.pixelX(1) - frame.pixelX(0)
    let labelScale = valueLabels.allSatisfy { Canvas.textSize($0, scale: s).width <= share - 2 * s } ? s : 1
    // Where the axis, rounded down to a tick, reaches 0 after all, the bars rise from 0 and
    // nothing is broken.
    let broken = frame.yAxis.lower > 0
    let foot = broken ? frame.bottom : frame.pixelY(0)
    for (i, value) in values.enumerated() {
        let left = frame.pixelX(Double(i)) - barWidth / 2
        let top = frame.pixelY(value)
        canvas.fillRect(
            x: left, y: top, width: barWidth, height: foot - top,
            color: colors?[i] ?? Color.categorical[i % Color.categorical.count])
        let size = Canvas.textSize(valueLabels[i], scale: labelScale)
        let (x, y) = (left + barWidth / 2, top - frame.gap)
        // The ground reaches from above the label down to the bar, so a line close to the bar's
        // top passes behind the label, not between it and its bar.
        canvas.fillRect(
            x: x - size.width / 2 - 2 * s, y: y - size.height - 2 * s, width: size.width + 4 * s,
            height: top - (y - size.height - 2 * s), color: .white)
        canvas.drawText(valueLabels[i], x: x, y: y, anchor: .bottom, scale: labelScale)
    }
    guard broken else { return }
    let note = "note: the y axis starts at \(frame.yAxis.labels[0]), not at 0 (broken-axis mark)"
    canvas.drawText(
        note, x: (frame.left + frame.right) / 2, y: canvas.height - 1 - frame.padding, anchor: .bottom, scale: s)
    // The break: a white gap across the y axis between two parallel slanted strokes.
    let (x, y, half) = (frame.left, frame.bottom - 8 * s, 5 * s)
    canvas.fillRect(x: x - half, y: y - s, width: 2 * half + 1, height: 3 * s, color: .white)
    for dy in [-2 * s, 2 * s] {
        canvas.drawLine(from: (x - half, y + dy + s), to: (x + half, y + dy - s), color: .ink, width: s)
    }
}
