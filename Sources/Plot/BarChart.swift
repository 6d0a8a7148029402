/// One bar per value, each with its value written above it: the NLL of several models, say.
///
/// Bar i rises from 0 to `values[i]` (a negative value hangs below 0) above its name
/// `labels[i]`; names too wide for their bar are broken at spaces or set smaller. Bars take the colours of
/// `Color.categorical` in order unless `colors` are given. `reference` draws a dashed horizontal
/// line (an entropy floor, a baseline) named in a legend. The y axis covers 0, every bar, room
/// for the value labels, and the reference.
public func barChart<T: BinaryFloatingPoint>(
    _ values: [T], labels: [String], title: String = "", yLabel: String = "",
    reference: (value: Double, label: String)? = nil, colors: [Color]? = nil, width: Int = 640, height: Int = 480
) -> Canvas {
    precondition(!values.isEmpty && values.count == labels.count, "a bar chart needs one label per value")
    precondition(colors == nil || colors!.count == values.count, "a bar chart needs one colour per bar")
    let values = values.map { Double($0) }
    let s = PlotFrame.textScale(width: width, height: height)
    let dash = 5 * s

    var yValues = values + [0]
    if let reference { yValues.append(reference.value) }
    // Headroom above the tallest bar (and below the lowest) for its value label.
    let spread = (yValues.max()! - yValues.min()!)
    yValues += [yValues.max()! + 0.12 * spread, yValues.min()! < 0 ? yValues.min()! - 0.12 * spread : 0]
    let legend = reference.map { [LegendEntry(name: $0.label, color: .ink, swatch: .line(width: s, dash: dash))] } ?? []

    return PlotFrame.drawPlot(
        width: width, height: height, x: Axis(categories: labels), yValues: yValues, title: title, xLabel: "",
        yLabel: yLabel, legend: legend
    ) { frame, canvas in
        let barWidth = frame.pixelX(0.3) - frame.pixelX(-0.3)
        // Value labels at the frame's text scale if they all fit their bar's share, else smaller.
        let valueLabels = values.map { valueLabel($0) }
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
