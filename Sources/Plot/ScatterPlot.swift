/// Points coloured by class, with a legend: a VAE's latent space, samples of a 2-D GAN.
///
/// Point i is (x[i], y[i]) of class `classes[i]` (0, 1, 2, ...; nil puts every point in class 0),
/// drawn as a disc of `markerRadius` pixels (default 3 on a 640 x 480 figure, 2 on a small one)
/// centred on the pixel of its value, in `Color.categorical[class % 10]`. `classNames[k]` names
/// class k in the legend; with no names there is no legend. Points are drawn in order, later
/// ones on top; non-finite points are left out. `xRange` and `yRange` fix the axes (widened to
/// round ticks; points outside are cut off), so that the panels of one figure share their limits;
/// `equalAspect` gives a unit the same length across and up (see `PlotFrame.drawPlot`); `circles`
/// (centre and radius in data units) are stroked in ink over the points.
public func scatterPlot<T: BinaryFloatingPoint>(
    x: [T], y: [T], classes: [Int]? = nil, classNames: [String] = [], title: String = "", xLabel: String = "",
    yLabel: String = "", markerRadius: Int? = nil, width: Int = 640, height: Int = 480,
    xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil, equalAspect: Bool = false,
    circles: [(x: Double, y: Double, radius: Double)] = []
) -> Canvas {
    precondition(x.count == y.count, "scatter plot has \(x.count) x values but \(y.count) y values")
    precondition(classes == nil || classes!.count == x.count, "scatter plot needs one class per point")
    precondition(classes?.allSatisfy { $0 >= 0 } ?? true, "classes are numbered from 0")
    let (xs, ys) = (x.map { Double($0) }, y.map { Double($0) })
    let maxXTicks = PlotFrame.maxTicks(width: width, height: height).x
    let radius = markerRadius ?? PlotFrame.textScale(width: width, height: height) + 1
    let color = { (k: Int) in Color.categorical[k % Color.categorical.count] }
    let legend = classNames.indices.map {
        LegendEntry(name: classNames[$0], color: color($0), swatch: .marker(radius: radius))
    }
    let fixedLimits = xRange != nil || yRange != nil
    return PlotFrame.drawPlot(
        width: width, height: height,
        x: Axis(covering: xRange.map { [$0.lowerBound, $0.upperBound] } ?? xs, maxTicks: maxXTicks),
        yValues: yRange.map { [$0.lowerBound, $0.upperBound] } ?? ys, title: title, xLabel: xLabel, yLabel: yLabel,
        legend: legend, equalAspect: equalAspect
    ) { frame, canvas in
        func drawPoints(_ canvas: inout Canvas) {
            for i in xs.indices where xs[i].isFinite && ys[i].isFinite {
                canvas.fillCircle(
                    x: frame.pixelX(xs[i]), y: frame.pixelY(ys[i]), radius: radius, color: color(classes?[i] ?? 0))
            }
            // Circles of a radius in x units (round only with equal aspect), two pixels thick.
            let pixelsPerUnit = Double(frame.right - frame.left) / (frame.xAxis.upper - frame.xAxis.lower)
            for c in circles {
                let r = Int((c.radius * pixelsPerUnit).rounded())
                for thickness in 0..<2 {
                    canvas.strokeCircle(x: frame.pixelX(c.x), y: frame.pixelY(c.y), radius: r + thickness, color: .ink)
                }
            }
        }
        // With fixed limits, points outside them are cut off at the frame.
        if fixedLimits { frame.clip(&canvas, drawPoints) } else { drawPoints(&canvas) }
    }
}
