import Foundation

/// The layout shared by line, curve, scatter and bar plots, and the drawing of everything
/// around their data:
///
///     +--------------------------------------+
///     |                title                 |
///     |  y  0.8 -+------------------------+  |
///     |  l       |       data area        |  |
///     |  a  0.4 -+  (grid at the ticks)   |  |
///     |  b       |                        |  |
///     |  e  0.0 -+------------------------+  |
///     |  l       0      10     20     30     |
///     |                x label               |
///     +--------------------------------------+
///
/// Margins are measured from the text they hold, so long tick labels are never clipped. A legend
/// (`PlotFrame+Legend.swift`) goes into a corner of the data area, or into a column on the
/// right (see `drawPlot`).
struct PlotFrame {
    let xAxis: Axis
    let yAxis: Axis
    let title: String
    let xLabel: String
    let yLabel: String
    /// The data area in canvas pixels, edges included (the frame is drawn on them).
    let left: Int
    let top: Int
    let right: Int
    let bottom: Int
    /// The scale of all text: 2 on a 640 x 480 figure, 1 on a small one.
    let textScale: Int
    /// Spacing in pixels, all proportional to the text scale.
    let tickLength: Int
    let gap: Int
    let padding: Int
    /// The x tick labels as drawn, their scale, and how far every second one is moved down:
    /// category names too wide for their bar are broken at spaces, staggered, or set at scale 1.
    let xTickLabels: [String]
    let xTickScale: Int
    let xTickStagger: Int

    /// Text scale 2 when the figure is at least 400 pixels both ways, else 1.
    static func textScale(width: Int, height: Int) -> Int { min(width, height) >= 400 ? 2 : 1 }

    /// At most this many ticks per axis: about one per 80 pixels across and 64 up at scale 2.
    static func maxTicks(width: Int, height: Int) -> (x: Int, y: Int) {
        let s = textScale(width: width, height: height)
        return (min(max(width / (40 * s), 3), 10), min(max(height / (32 * s), 3), 10))
    }

    /// Lays out a `width` x `height` figure; `legendColumn` pixels on the right are kept free
    /// for a legend.
    init(
        width: Int, height: Int, x: Axis, y: Axis, title: String, xLabel: String, yLabel: String, legendColumn: Int = 0
    ) {
        let s = Self.textScale(width: width, height: height)
        let (tickLength, gap, padding) = (4 * s, 3 * s, 8 * s)
        let lineHeight = BitmapFont.glyphHeight * s
        let yTickWidth = y.labels.map { Canvas.textSize($0, scale: s).width }.max() ?? 0
        let left = padding + (yLabel.isEmpty ? 0 : lineHeight + 2 * gap) + yTickWidth + gap + tickLength

        // Category names are a bar's share of the width apart. The first of these that leaves two
        // blank characters between neighbours on a row wins: the names as they are or broken at
        // spaces, on one row or staggered on two, at the figure's text scale or at scale 1.
        var (xTickLabels, xTickScale, staggered) = (x.labels, s, false)
        if x.isCategorical {
            let share = (width - padding - legendColumn - left) / max(x.labels.count, 1)
            let broken = x.labels.map { $0.replacingOccurrences(of: " ", with: "\n") }
            let choices = [s, 1].flatMap { scale in
                [false, true].flatMap { staggered in [(x.labels, scale, staggered), (broken, scale, staggered)] }
            }
            (xTickLabels, xTickScale, staggered) =
                choices.first { labels, scale, staggered in
                    let widths = labels.map { Canvas.textSize($0, scale: scale).width }
                    let step = staggered ? 2 : 1
                    return zip(widths, widths.dropFirst(step)).allSatisfy {
                        ($0 + $1) / 2 + 2 * BitmapFont.advance * scale <= step * share
                    }
                } ?? choices.last!
        }
        let labelHeight = xTickLabels.map { Canvas.textSize($0, scale: xTickScale).height }.max() ?? 0
        let xTickStagger = staggered ? labelHeight + gap : 0
        let xTickHeight = labelHeight + xTickStagger
        let lastXTickWidth = xTickLabels.last.map { Canvas.textSize($0, scale: xTickScale).width } ?? 0

        self.xAxis = x
        self.yAxis = y
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.textScale = s
        (self.tickLength, self.gap, self.padding) = (tickLength, gap, padding)
        (self.xTickLabels, self.xTickScale, self.xTickStagger) = (xTickLabels, xTickScale, xTickStagger)
        self.left = left
        top = padding + (title.isEmpty ? 0 : Canvas.textSize(title, scale: s).height + 2 * gap)
        bottom = height - 1 - padding - (xLabel.isEmpty ? 0 : lineHeight + gap) - xTickHeight - gap - tickLength
        // The last x tick label is centred on the right edge: leave room for its right half.
        right = width - 1 - max(padding + legendColumn, lastXTickWidth / 2 + gap)
        precondition(
            right - left >= 20 && bottom - top >= 20, "a \(width)x\(height) figure is too small for its labels")
    }

    /// Lays out and draws a whole plot: axes, then `drawData`, then the legend. The y axis
    /// covers `yValues` (see `Axis`).
    ///
    /// The legend goes into a corner of the data area that no data pixel touches (preferring top
    /// right, top left, bottom right, bottom left; data pixels are any colour but the white
    /// background and the gray grid). When every corner is taken, the plot is laid out again,
    /// first with headroom above the data as tall as the legend (if that takes at most 40% of the
    /// height), then with the legend in a column right of the data area (if that takes at most a
    /// third of the width). If no corner is free even so, the legend goes where it hides the
    /// fewest data pixels.
    ///
    /// With `equalAspect` (linear axes only) one unit takes as many pixels across as up: the figure
    /// is narrowed or shortened (never enlarged) until the data area has the shape of the data's
    /// ranges, and the legend goes into the corner where it hides the fewest data pixels, since
    /// headroom or a legend column would undo the aspect.
    static func drawPlot(
        width: Int, height: Int, x xAxis: Axis, yValues: [Double], yScale: AxisScale = .linear, title: String,
        xLabel: String, yLabel: String, legend: [LegendEntry], equalAspect: Bool = false,
        drawData: (PlotFrame, inout Canvas) -> Void
    ) -> Canvas {
        let maxYTicks = maxTicks(width: width, height: height).y
        let plain = Axis(covering: yValues, scale: yScale, maxTicks: maxYTicks)
        if equalAspect {
            precondition(yScale == .linear && xAxis.scale == .linear, "equal aspect needs linear axes")
            var size = (width: width, height: height)
            // Margins depend on the text scale, which depends on the size: two corrections settle it.
            for _ in 0..<2 {
                let trial = PlotFrame(
                    width: size.width, height: size.height, x: xAxis, y: plain, title: title, xLabel: xLabel,
                    yLabel: yLabel)
                let (areaWidth, areaHeight) = (
                    Double(width - (size.width - (trial.right - trial.left))),
                    Double(height - (size.height - (trial.bottom - trial.top)))
                )
                let (xSpan, ySpan) = (xAxis.upper - xAxis.lower, plain.upper - plain.lower)
                let pixelsPerUnit = min(areaWidth / xSpan, areaHeight / ySpan)
                size = (
                    width - Int((areaWidth - pixelsPerUnit * xSpan).rounded()),
                    height - Int((areaHeight - pixelsPerUnit * ySpan).rounded())
                )
            }
            let frame = PlotFrame(
                width: size.width, height: size.height, x: xAxis, y: plain, title: title, xLabel: xLabel, yLabel: yLabel
            )
            var canvas = Canvas(width: size.width, height: size.height)
            frame.drawAxes(on: &canvas)
            drawData(frame, &canvas)
            if !legend.isEmpty {
                let corner = frame.bestLegendCorner(frame.legendSize(legend), on: canvas)
                frame.drawLegend(legend, x: corner.x, y: corner.y, on: &canvas)
            }
            return canvas
        }
        func render(y: Axis, legendColumn: Int = 0) -> (PlotFrame, Canvas) {
            let frame = PlotFrame(
                width: width, height: height, x: xAxis, y: y, title: title, xLabel: xLabel, yLabel: yLabel,
                legendColumn: legendColumn)
            var canvas = Canvas(width: width, height: height)
            frame.drawAxes(on: &canvas)
            drawData(frame, &canvas)
            return (frame, canvas)
        }
        var (frame, canvas) = render(y: plain)
        guard !legend.isEmpty else { return canvas }
        let size = frame.legendSize(legend)
        var (x, y, hidden) = frame.bestLegendCorner(size, on: canvas)
        guard hidden > 0 else {
            frame.drawLegend(legend, x: x, y: y, on: &canvas)
            return canvas
        }

        // Headroom: a value above the axis, as far beyond it as the legend is tall (plus a margin).
        let fraction = Double(size.height + 8 * frame.textScale) / Double(frame.bottom - frame.top)
        if fraction <= 0.4 {
            let above =
                switch yScale {
                case .linear: plain.upper + fraction * (plain.upper - plain.lower)
                case .log: plain.upper * pow(plain.upper / plain.lower, fraction)
                }
            let (roomyFrame, roomyCanvas) = render(
                y: Axis(covering: yValues + [above], scale: yScale, maxTicks: maxYTicks))
            let roomy = roomyFrame.bestLegendCorner(size, on: roomyCanvas)
            if roomy.hidden == 0 {
                (frame, canvas, x, y, hidden) = (roomyFrame, roomyCanvas, roomy.x, roomy.y, 0)
            }
        }
        let column = size.width + 4 * frame.gap
        if hidden > 0 && column <= width / 3 {
            (frame, canvas) = render(y: plain, legendColumn: column)
            (x, y) = (frame.right + 4 * frame.gap + 1, frame.top)
        }
        frame.drawLegend(legend, x: x, y: y, on: &canvas)
        return canvas
    }

    /// The canvas column of data value `x`.
    func pixelX(_ x: Double) -> Int { left + Int((xAxis.fraction(of: x) * Double(right - left)).rounded()) }

    /// The canvas row of data value `y` (rows grow downwards, values upwards).
    func pixelY(_ y: Double) -> Int { bottom - Int((yAxis.fraction(of: y) * Double(bottom - top)).rounded()) }

    /// Runs `draw` with drawing clipped to the data area.
    func clip(_ canvas: inout Canvas, _ draw: (inout Canvas) -> Void) {
        canvas.clipped(toX: left, y: top, width: right - left + 1, height: bottom - top + 1, draw)
    }

    /// Draws the title, grid, frame, ticks, tick labels and axis labels; data is drawn after.
    func drawAxes(on canvas: inout Canvas) {
        let s = textScale
        for (i, (tick, label)) in zip(xAxis.ticks, xTickLabels).enumerated() {
            let x = pixelX(tick)
            if !xAxis.isCategorical && x > left && x < right {
                canvas.drawLine(from: (x, top + 1), to: (x, bottom - 1), color: .lightGray)
            }
            canvas.drawLine(from: (x, bottom + 1), to: (x, bottom + tickLength), color: .ink)
            let stagger = i % 2 == 1 ? xTickStagger : 0
            canvas.drawText(label, x: x, y: bottom + tickLength + gap + stagger, anchor: .top, scale: xTickScale)
        }
        for (tick, label) in zip(yAxis.ticks, yAxis.labels) {
            let y = pixelY(tick)
            if y > top && y < bottom {
                canvas.drawLine(from: (left + 1, y), to: (right - 1, y), color: .lightGray)
            }
            canvas.drawLine(from: (left - tickLength, y), to: (left - 1, y), color: .ink)
            canvas.drawText(label, x: left - tickLength - gap, y: y, anchor: .right, scale: s)
        }
        canvas.strokeRect(x: left, y: top, width: right - left + 1, height: bottom - top + 1, color: .ink)

        let centreX = (left + right) / 2
        if !title.isEmpty {
            // Centred over the data area, but moved in if that would push it off the canvas.
            let half = Canvas.textSize(title, scale: s).width / 2
            let x = min(max(centreX, half + padding), canvas.width - 1 - half - padding)
            canvas.drawText(title, x: x, y: padding, anchor: .top, scale: s)
        }
        if !xLabel.isEmpty {
            canvas.drawText(xLabel, x: centreX, y: canvas.height - 1 - padding, anchor: .bottom, scale: s)
        }
        if !yLabel.isEmpty {
            canvas.drawText(yLabel, x: padding, y: (top + bottom) / 2, anchor: .left, scale: s, direction: .upward)
        }
    }
}
