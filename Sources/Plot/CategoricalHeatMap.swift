/// A matrix of categories as a grid of coloured cells, without a colour bar: which input each
/// output of a network depends on, a mask, any map whose cells are kinds rather than amounts.
///
/// `categories` holds `rows` x `columns` indices into `colors`, row-major, row 0 at the top as in
/// an image. Row and column indices run down the left and along the bottom, every k-th one where
/// all would not fit; `yLabel` and `xLabel` name the two axes. The names of the colours go in a
/// `categoricalLegend` (one for a whole panel of maps, or `legend: names` here, under the map).
/// `highlight` outlines cells, such as the pixel being predicted.
/// Cells are `cellSize` pixels (default: the map is about 320 pixels across); `textScale` sets
/// the text (default 2 on a map of at least 160 pixels, else 1).
public func categoricalHeatMap(
    _ categories: [Int], rows: Int, columns: Int, colors: [Color], legend names: [String] = [], title: String = "",
    xLabel: String = "", yLabel: String = "", highlight: [(row: Int, column: Int)] = [], cellSize: Int? = nil,
    textScale: Int? = nil
) -> Canvas {
    precondition(rows > 0 && columns > 0, "a heat map needs at least one row and column")
    precondition(
        categories.count == rows * columns,
        "a \(rows)x\(columns) heat map needs \(rows * columns) categories, got \(categories.count)")
    precondition(
        categories.allSatisfy { colors.indices.contains($0) },
        "every category must index one of the \(colors.count) colours")
    precondition(names.isEmpty || names.count == colors.count, "a legend needs one name per colour")
    let cell = cellSize ?? min(max(320 / max(rows, columns), 4), 64)
    let (mapWidth, mapHeight) = (columns * cell, rows * cell)
    let s = textScale ?? (max(mapWidth, mapHeight) >= 160 ? 2 : 1)
    let (gap, padding, lineHeight) = (3 * s, 8 * s, BitmapFont.glyphHeight * s)

    // Index labels on every k-th row and column, k the first of 1, 2, 5, 10, ... that leaves room.
    let widestColumnLabel = Canvas.textSize(String(columns - 1), scale: s).width
    let columnStep = roundStep(atLeast: Double(widestColumnLabel + 2 * s) / Double(cell))
    let rowStep = roundStep(atLeast: Double(lineHeight + 4 * s) / Double(cell))
    let rowLabelWidth = Canvas.textSize(String(rows - 1), scale: s).width
    let yLabelWidth = yLabel.isEmpty ? 0 : lineHeight + 2 * gap

    // Left to right: y label, row labels, map. Top to bottom: title, map, column labels, x label,
    // legend.
    let legendCanvas = names.isEmpty ? nil : categoricalLegend(names, colors: colors, textScale: s)
    let contentWidth = yLabelWidth + rowLabelWidth + gap + mapWidth
    let titleSize = Canvas.textSize(title, scale: s)
    let xLabelSize = Canvas.textSize(xLabel, scale: s)
    let width = 2 * padding + max(contentWidth, titleSize.width, legendCanvas?.width ?? 0, xLabelSize.width)
    let mapLeft = (width - contentWidth) / 2 + yLabelWidth + rowLabelWidth + gap
    let mapTop = padding + (title.isEmpty ? 0 : titleSize.height + 2 * gap)
    let xLabelTop = mapTop + mapHeight + gap + lineHeight + gap
    let legendTop = xLabelTop + (xLabel.isEmpty ? 0 : lineHeight + 2 * gap)
    let height = legendTop + (legendCanvas.map { $0.height + gap } ?? 0) + padding
    var canvas = Canvas(width: width, height: height)
    if !title.isEmpty {
        canvas.drawText(title, x: width / 2, y: padding, anchor: .top, scale: s)
    }
    for row in 0..<rows {
        for column in 0..<columns {
            canvas.fillRect(
                x: mapLeft + column * cell, y: mapTop + row * cell, width: cell, height: cell,
                color: colors[categories[row * columns + column]])
        }
    }
    for (row, column) in highlight {
        precondition(
            row >= 0 && row < rows && column >= 0 && column < columns,
            "highlighted cell (\(row), \(column)) is off the map")
        canvas.strokeRect(
            x: mapLeft + column * cell, y: mapTop + row * cell, width: cell, height: cell,
            color: contrasting(colors[categories[row * columns + column]]), lineWidth: max(2, cell / 12))
    }
    canvas.strokeRect(x: mapLeft - 1, y: mapTop - 1, width: mapWidth + 2, height: mapHeight + 2, color: .ink)
    for row in stride(from: 0, to: rows, by: rowStep) {
        canvas.drawText(String(row), x: mapLeft - gap, y: mapTop + row * cell + cell / 2, anchor: .right, scale: s)
    }
    for column in stride(from: 0, to: columns, by: columnStep) {
        canvas.drawText(
            String(column), x: mapLeft + column * cell + cell / 2, y: mapTop + mapHeight + gap, anchor: .top, scale: s)
    }
    if !xLabel.isEmpty {
        canvas.drawText(xLabel, x: mapLeft + mapWidth / 2, y: xLabelTop, anchor: .top, scale: s)
    }
    if !yLabel.isEmpty {
        canvas.drawText(
            yLabel, x: padding, y: mapTop + mapHeight / 2, anchor: .left, scale: s, direction: .upward)
    }
    if let legendCanvas {
        canvas.draw(legendCanvas, x: (width - legendCanvas.width) / 2, y: legendTop)
    }
    return canvas
}

/// The names of categorical colours, each after a square swatch of its colour, in one row (or
/// `columns` to a row): the legend of a categorical heat map, or of a whole panel of them.
public func categoricalLegend(_ names: [String], colors: [Color], columns: Int? = nil, textScale: Int = 2) -> Canvas {
    precondition(!names.isEmpty && names.count <= colors.count, "a legend needs a colour for each of its names")
    let s = textScale
    let (gap, padding, lineHeight) = (3 * s, 4 * s, BitmapFont.glyphHeight * s)
    let swatch = lineHeight + 2 * s
    let perRow = min(columns ?? names.count, names.count)
    let rowCount = (names.count + perRow - 1) / perRow
    // Every entry of a column as wide as the widest name in it, so the columns line up.
    let entryWidths = (0..<perRow).map { c in
        stride(from: c, to: names.count, by: perRow).map {
            swatch + 2 * gap + Canvas.textSize(names[$0], scale: s).width
        }.max()!
    }
    let spacing = 6 * gap
    let width = 2 * padding + entryWidths.reduce(0, +) + (perRow - 1) * spacing
    let rowHeight = swatch + 2 * gap
    var canvas = Canvas(width: width, height: 2 * padding + rowCount * rowHeight - 2 * gap)
    for (i, name) in names.enumerated() {
        let (row, column) = i.quotientAndRemainder(dividingBy: perRow)
        let x = padding + entryWidths[0..<column].reduce(0, +) + column * spacing
        let y = padding + row * rowHeight
        canvas.fillRect(x: x, y: y, width: swatch, height: swatch, color: colors[i])
        canvas.strokeRect(x: x, y: y, width: swatch, height: swatch, color: .ink)
        canvas.drawText(name, x: x + swatch + 2 * gap, y: y + swatch / 2, anchor: .left, scale: s)
    }
    return canvas
}
