/// Points coloured by class, with a legend: a VAE's latent space, samples of a 2-D GAN.
///
/// Point i is (x[i], y[i]) of class `classes[i]` (0, 1, 2, ...; nil puts every point in class 0),
/// drawn as a disc of `markerRadius` pixels (default 3 on a 640 x 480 figure, 2 on a small one)
/// centred on the pixel of its value, in `Color.categorical[class % 10]`. `classNames[k]` names
/// class k in the legend; with no names there is no legend. Points are drawn in order, later
/// ones on top; non-finite points are left out.
public func scatterPlot<T: BinaryFloatingPoint>(
    x: [T], y: [T], classes: [Int]? = nil, classNames: [String] = [], title: String = "", xLabel: String = "",
    yLabel: String = "", markerRadius: Int? = nil, width: Int = 640, height: Int = 480
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
    return PlotFrame.drawPlot(
        width: width, height: height, x: Axis(covering: xs, maxTicks: maxXTicks), yValues: ys, title: title,
        xLabel: xLabel, yLabel: yLabel, legend: legend
    ) { frame, canvas in
        for i in xs.indices where xs[i].isFinite && ys[i].isFinite {
            canvas.fillCircle(
                x: frame.pixelX(xs[i]), y: frame.pixelY(ys[i]), radius: radius, color: color(classes?[i] ?? 0))
        }
    }
}
