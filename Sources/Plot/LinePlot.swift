/// How a series is drawn.
public enum SeriesStyle: Sendable {
    case solid
    case dashed
    /// A solid line with the area between it and y = 0 shaded: a density.
    case filled
}

/// Opacity of the shading under a `.filled` series: light enough that grid lines and other
/// curves show through, and overlapping shades mix.
let shadeOpacity = 0.25

/// One named curve of a line plot: `y[i]` over `x[i]`.
public struct Series: Sendable {
    /// The legend entry (a series with an empty name gets none).
    public var name: String
    /// The x values; nil means 0, 1, 2, ... in `linePlot` and the shared x in `curvesPlot`.
    public var x: [Double]?
    public var y: [Double]
    /// nil: the series' place in the list picks a colour from `Color.categorical`.
    public var color: Color?
    public var style: SeriesStyle

    /// A series over x = 0, 1, 2, ... (training steps, say), or over a `curvesPlot`'s shared x.
    public init<Y: BinaryFloatingPoint>(_ name: String, y: [Y], color: Color? = nil, style: SeriesStyle = .solid) {
        self.name = name
        self.x = nil
        self.y = y.map { Double($0) }
        self.color = color
        self.style = style
    }

    /// A series of points (x[i], y[i]); both arrays have the same length.
    public init<X: BinaryFloatingPoint, Y: BinaryFloatingPoint>(
        _ name: String, x: [X], y: [Y], color: Color? = nil, style: SeriesStyle = .solid
    ) {
        precondition(x.count == y.count, "series \(name) has \(x.count) x values but \(y.count) y values")
        self.init(name, y: y, color: color, style: style)
        self.x = x.map { Double($0) }
    }
}

/// A line plot of several series with a legend: training curves, ELBO terms, gradient norms.
///
/// Each series is drawn as straight lines through its points in order; a NaN or infinite value
/// (or a value <= 0 with `yScale: .log`) leaves a gap. The axes cover all the data with round
/// ticks (see `Axis`); the legend sits in the corner where it hides the least data. With
/// `equalAspect` a unit of x is as long as a unit of y (a path in the plane, say).
public func linePlot(
    _ series: [Series], title: String = "", xLabel: String = "", yLabel: String = "",
    yScale: AxisScale = .linear, width: Int = 640, height: Int = 480, equalAspect: Bool = false
) -> Canvas {
    let xs = series.map { $0.x ?? $0.y.indices.map(Double.init) }
    return drawSeries(
        series, xs: xs, yScale: yScale, yRange: nil, title: title, xLabel: xLabel, yLabel: yLabel,
        width: width, height: height, equalAspect: equalAspect)
}

/// Several functions of the same x on one axis: p_data, p_g, D and D* of the GAN chapter.
///
/// Every curve's `y` has one value per element of `x` (a curve's own `x`, if set, is ignored).
/// `yRange` fixes the y axis (it is still widened to round ticks) and clips what lies outside;
/// without it the axis covers every curve, and 0 when a curve is `.filled`.
public func curvesPlot<X: BinaryFloatingPoint>(
    x: [X], _ curves: [Series], title: String = "", xLabel: String = "", yLabel: String = "",
    yRange: ClosedRange<Double>? = nil, width: Int = 640, height: Int = 480
) -> Canvas {
    for curve in curves {
        precondition(
            curve.y.count == x.count, "curve \(curve.name) has \(curve.y.count) values for \(x.count) x values")
    }
    let shared = x.map { Double($0) }
    return drawSeries(
        curves, xs: curves.map { _ in shared }, yScale: .linear, yRange: yRange, title: title, xLabel: xLabel,
        yLabel: yLabel, width: width, height: height)
}

/// What `linePlot` and `curvesPlot` share: axes, the shading of filled series, the lines, the legend.
private func drawSeries(
    _ series: [Series], xs: [[Double]], yScale: AxisScale, yRange: ClosedRange<Double>?, title: String,
    xLabel: String, yLabel: String, width: Int, height: Int, equalAspect: Bool = false
) -> Canvas {
    let maxXTicks = PlotFrame.maxTicks(width: width, height: height).x
    var yValues = yRange.map { [$0.lowerBound, $0.upperBound] } ?? series.flatMap(\.y)
    if yRange == nil && yScale == .linear && series.contains(where: { $0.style == .filled }) {
        yValues.append(0)  // a shaded area reaches down to zero
    }
    let s = PlotFrame.textScale(width: width, height: height)
    let (lineWidth, dash) = (s, 5 * s)
    let colors = series.indices.map { series[$0].color ?? Color.categorical[$0 % Color.categorical.count] }
    let legend = series.indices.filter { !series[$0].name.isEmpty }.map { i in
        let swatch: LegendSwatch =
            switch series[i].style {
            case .solid: .line(width: lineWidth, dash: nil)
            case .dashed: .line(width: lineWidth, dash: dash)
            case .filled: .shadedLine(width: lineWidth)
            }
        return LegendEntry(name: series[i].name, color: colors[i], swatch: swatch)
    }

    return PlotFrame.drawPlot(
        width: width, height: height, x: Axis(covering: xs.flatMap { $0 }, maxTicks: maxXTicks), yValues: yValues,
        yScale: yScale, title: title, xLabel: xLabel, yLabel: yLabel, legend: legend, equalAspect: equalAspect
    ) { frame, canvas in
        // Each series as runs of canvas points, broken where a value cannot be drawn.
        let runs = zip(series, xs).map { one, x in
            var runs: [[(x: Int, y: Int)]] = [[]]
            for (x, y) in zip(x, one.y) {
                if x.isFinite && y.isFinite && (yScale == .linear || y > 0) {
                    runs[runs.count - 1].append((frame.pixelX(x), frame.pixelY(y)))
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            return runs
        }
        frame.clip(&canvas) { canvas in
            // Shading first, so that no shade dims another series' line.
            let baseline = min(max(frame.pixelY(yScale == .linear ? 0 : frame.yAxis.lower), frame.top), frame.bottom)
            for i in series.indices where series[i].style == .filled {
                for run in runs[i] { shade(below: run, to: baseline, color: colors[i], on: &canvas) }
            }
            for i in series.indices {
                for run in runs[i] {
                    canvas.drawPolyline(
                        run, color: colors[i], width: lineWidth, dash: series[i].style == .dashed ? dash : nil)
                }
            }
        }
    }
}

/// Shades each column between the polyline `run` (x increasing) and the row `baseline`.
private func shade(below run: [(x: Int, y: Int)], to baseline: Int, color: Color, on canvas: inout Canvas) {
    // One row per column first, so a column shared by two segments is not shaded twice.
    var curveRow: [Int: Int] = [:]
    for (a, b) in zip(run, run.dropFirst()) where b.x > a.x {
        for column in a.x...b.x {
            curveRow[column] = a.y + (b.y - a.y) * (column - a.x) / (b.x - a.x)
        }
    }
    for (column, row) in curveRow {
        for y in min(row, baseline)...max(row, baseline) {
            canvas.blend(x: column, y: y, color: color, alpha: shadeOpacity)
        }
    }
}
