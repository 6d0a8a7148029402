/// A matrix as a grid of coloured cells with a colour bar: PixelCNN masks, receptive fields,
/// per-pixel probabilities.
///
/// `values` holds `rows` x `columns` numbers, row-major, row 0 at the top as in an image: cell
/// (r, c) is `values[r * columns + c]`. Colours run over `range` (default: the data's range,
/// made symmetric about 0 for a diverging map) widened to round ticks, as the colour bar on the
/// right shows. `showValues` writes each value in its cell, dark on light cells and white on dark
/// ones, when the text fits. `highlight` outlines cells, such as the pixel being predicted. Row
/// and column indices run down the left and along the bottom. Cells are `cellSize` pixels
/// (default: the map is about 320 pixels across). `colorBarLabel` names what the colours measure,
/// with its unit; it runs up the right of the colour bar's tick labels (none by default), and must
/// be no longer than the map is tall.
public func heatMap<T: BinaryFloatingPoint>(
    _ values: [T], rows: Int, columns: Int, colorMap: ColorMap = .viridis, range: ClosedRange<Double>? = nil,
    showValues: Bool = false, highlight: [(row: Int, column: Int)] = [], title: String = "", cellSize: Int? = nil,
    colorBarLabel: String = ""
) -> Canvas {
    precondition(rows > 0 && columns > 0, "a heat map needs at least one row and column")
    precondition(
        values.count == rows * columns,
        "a \(rows)x\(columns) heat map needs \(rows * columns) values, got \(values.count)")
    let values = values.map { Double($0) }
    let cell = cellSize ?? min(max(320 / max(rows, columns), 4), 64)
    let (mapWidth, mapHeight) = (columns * cell, rows * cell)
    let s = max(mapWidth, mapHeight) >= 160 ? 2 : 1
    let (gap, padding, tickLength, lineHeight) = (3 * s, 8 * s, 4 * s, BitmapFont.glyphHeight * s)

    // The colour scale is an axis along the colour bar.
    let finite = values.filter(\.isFinite)
    var ends = range.map { [$0.lowerBound, $0.upperBound] } ?? [finite.min() ?? 0, finite.max() ?? 1]
    if range == nil && colorMap.isDiverging {
        let largest = ends.map(abs).max()!
        ends = [-largest, largest]
    }
    let scale = Axis(covering: ends, maxTicks: min(max(mapHeight / (20 * s), 3), 8))
    let barWidth = 8 * s

    // Index labels on every k-th row and column, k the first of 1, 2, 5, 10, ... that leaves room.
    let widestColumnLabel = Canvas.textSize(String(columns - 1), scale: s).width
    let columnStep = roundStep(atLeast: Double(widestColumnLabel + 2 * s) / Double(cell))
    let rowStep = roundStep(atLeast: Double(lineHeight + 4 * s) / Double(cell))
    let rowLabelWidth = Canvas.textSize(String(rows - 1), scale: s).width
    let barLabelWidth = scale.labels.map { Canvas.textSize($0, scale: s).width }.max()!

    // Left to right: row labels, map, colour bar, its labels, its name. Top to bottom: title, map,
    // column labels.
    let barNameWidth = colorBarLabel.isEmpty ? 0 : 2 * gap + lineHeight
    let barNameLength = Canvas.textSize(colorBarLabel, scale: s).width
    precondition(
        barNameLength <= mapHeight,
        "the colour bar label \"\(colorBarLabel)\" is \(barNameLength) pixels long, the map \(mapHeight) tall: "
            + "shorten the label or enlarge the cells")
    let contentWidth =
        rowLabelWidth + gap + mapWidth + 4 * gap + barWidth + tickLength + gap + barLabelWidth + barNameWidth
    let titleSize = Canvas.textSize(title, scale: s)
    let width = 2 * padding + max(contentWidth, titleSize.width)
    let mapLeft = (width - contentWidth) / 2 + rowLabelWidth + gap
    let mapTop = padding + (title.isEmpty ? 0 : titleSize.height + 2 * gap)
    let height = mapTop + mapHeight + gap + lineHeight + padding
    var canvas = Canvas(width: width, height: height)
    if !title.isEmpty {
        canvas.drawText(title, x: width / 2, y: padding, anchor: .top, scale: s)
    }

    let colorOf = { (value: Double) in colorMap.color(at: scale.fraction(of: value)) }
    for row in 0..<rows {
        for column in 0..<columns {
            canvas.fillRect(
                x: mapLeft + column * cell, y: mapTop + row * cell, width: cell, height: cell,
                color: colorOf(values[row * columns + column]))
        }
    }
    if showValues {
        // The largest text scale at which every value fits its cell, if any.
        let labels = values.map { valueLabel($0, significantDigits: 2) }
        let fits = { (scale: Int) in labels.allSatisfy { Canvas.textSize($0, scale: scale).width <= cell - 2 * scale } }
        if let textScale = [s, 1].first(where: { fits($0) && BitmapFont.glyphHeight * $0 <= cell - 2 }) {
            for (i, label) in labels.enumerated() {
                let (row, column) = i.quotientAndRemainder(dividingBy: columns)
                canvas.drawText(
                    label, x: mapLeft + column * cell + cell / 2, y: mapTop + row * cell + cell / 2, anchor: .center,
                    scale: textScale, color: contrasting(colorOf(values[i])))
            }
        }
    }
    for (row, column) in highlight {
        precondition(
            row >= 0 && row < rows && column >= 0 && column < columns,
            "highlighted cell (\(row), \(column)) is off the map")
        let lineWidth = max(2, cell / 12)
        canvas.strokeRect(
            x: mapLeft + column * cell, y: mapTop + row * cell, width: cell, height: cell,
            color: contrasting(colorOf(values[row * columns + column])), lineWidth: lineWidth)
    }
    canvas.strokeRect(x: mapLeft - 1, y: mapTop - 1, width: mapWidth + 2, height: mapHeight + 2, color: .ink)
    for row in stride(from: 0, to: rows, by: rowStep) {
        canvas.drawText(String(row), x: mapLeft - gap, y: mapTop + row * cell + cell / 2, anchor: .right, scale: s)
    }
    for column in stride(from: 0, to: columns, by: columnStep) {
        canvas.drawText(
            String(column), x: mapLeft + column * cell + cell / 2, y: mapTop + mapHeight + gap, anchor: .top, scale: s)
    }

    // The colour bar: the top row shows the top of the scale.
    let barLeft = mapLeft + mapWidth + 4 * gap
    for y in 0..<mapHeight {
        let fraction = 1 - Double(y) / Double(mapHeight - 1)
        canvas.fillRect(x: barLeft, y: mapTop + y, width: barWidth, height: 1, color: colorMap.color(at: fraction))
    }
    canvas.strokeRect(x: barLeft - 1, y: mapTop - 1, width: barWidth + 2, height: mapHeight + 2, color: .ink)
    for (tick, label) in zip(scale.ticks, scale.labels) {
        let y = mapTop + mapHeight - 1 - Int((scale.fraction(of: tick) * Double(mapHeight - 1)).rounded())
        canvas.drawLine(from: (barLeft + barWidth + 1, y), to: (barLeft + barWidth + tickLength, y), color: .ink)
        canvas.drawText(label, x: barLeft + barWidth + tickLength + gap, y: y, anchor: .left, scale: s)
    }
    if !colorBarLabel.isEmpty {
        canvas.drawText(
            colorBarLabel, x: barLeft + barWidth + tickLength + gap + barLabelWidth + 2 * gap,
            y: mapTop + mapHeight / 2,
            anchor: .left, scale: s, direction: .upward)
    }
    return canvas
}

/// Dark text on a light background, white on a dark one.
func contrasting(_ background: Color) -> Color { background.brightness > 0.55 ? .ink : .white }

/// The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `minimum`.
func roundStep(atLeast minimum: Double) -> Int {
    var power = 1
    while true {
        for mantissa in [1, 2, 5] where Double(mantissa * power) >= minimum { return mantissa * power }
        power *= 10
    }
}
