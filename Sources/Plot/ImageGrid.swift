/// Images in a grid: samples, reconstructions, data next to model.
///
/// `pixels` holds a batch laid out as a tensor of `shape` `[n, channels, height, width]` (NCHW:
/// the channel planes of an image one after another, as `Tensor` stores them), or
/// `[n, height, width]` for gray images; channels is 1 (gray) or 3 (RGB). Values are intensities
/// in [0, 1], 0 black (clamped; NaN shows as black).
///
/// Image k goes to row k / columns, column k % columns (default: as many columns as rows, or one
/// more). Each is enlarged `scale` times (default: to about 64 pixels) by repeating pixels, so an
/// 8x8 digit shows 64 crisp squares, and framed by a thin gray line, `padding` pixels from its
/// neighbours. `rowCaptions` (one per row) go on the left, `tileCaptions` (one per image, in
/// order) under the images, `columnCaptions` (one per column, such as the value of a parameter
/// that changes along the rows) above the first row, and `title` on top.
public func imageGrid<T: BinaryFloatingPoint>(
    _ pixels: [T], shape: [Int], columns: Int? = nil, scale: Int? = nil, padding: Int = 6,
    rowCaptions: [String] = [], tileCaptions: [String] = [], title: String = "", columnCaptions: [String] = []
) -> Canvas {
    let bytes = pixels.map { value -> UInt8 in
        value.isNaN ? 0 : UInt8((min(max(Double(value), 0), 1) * 255).rounded())
    }
    return imageGrid(
        bytes, shape: shape, columns: columns, scale: scale, padding: padding, rowCaptions: rowCaptions,
        tileCaptions: tileCaptions, title: title, columnCaptions: columnCaptions)
}

/// Images in a grid, from integer gray levels: level v of `levels` shows as v / (levels - 1) of
/// white, so the default 256 takes bytes as they are, 17 suits the 8x8 digits (levels 0...16)
/// and 2 binary images (0 and 1). Otherwise as the floating-point `imageGrid`.
public func imageGrid(
    _ pixels: [UInt8], shape: [Int], levels: Int = 256, columns: Int? = nil, scale: Int? = nil, padding: Int = 6,
    rowCaptions: [String] = [], tileCaptions: [String] = [], title: String = "", columnCaptions: [String] = []
) -> Canvas {
    precondition(
        shape.count == 3 || shape.count == 4,
        "image grid shape is [n, channels, height, width] or [n, height, width], got \(shape)")
    let (count, channels) = (shape[0], shape.count == 4 ? shape[1] : 1)
    let (imageHeight, imageWidth) = (shape[shape.count - 2], shape[shape.count - 1])
    precondition(
        count > 0 && imageHeight > 0 && imageWidth > 0, "image grid needs at least one non-empty image, shape \(shape)")
    precondition(channels == 1 || channels == 3, "images have 1 (gray) or 3 (RGB) channels, got \(channels)")
    precondition(
        pixels.count == shape.reduce(1, *), "shape \(shape) holds \(shape.reduce(1, *)) values, got \(pixels.count)")
    precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
    precondition(pixels.allSatisfy { Int($0) < levels }, "a pixel is not below \(levels) levels")
    let pixels = levels == 256 ? pixels : pixels.map { UInt8((Double($0) * 255 / Double(levels - 1)).rounded()) }
    let layout = ImageGridLayout(
        count: count, imageWidth: imageWidth, imageHeight: imageHeight, columns: columns, scale: scale,
        padding: padding,
        rowCaptions: rowCaptions, tileCaptions: tileCaptions, title: title, columnCaptions: columnCaptions)

    var canvas = Canvas(width: layout.width, height: layout.height)
    if !title.isEmpty {
        canvas.drawText(title, x: layout.width / 2, y: layout.margin, anchor: .top, scale: 2)
    }
    let plane = imageHeight * imageWidth
    for k in 0..<count {
        let (left, top) = layout.tileOrigin(k)
        canvas.strokeRect(
            x: left - 1, y: top - 1, width: layout.tileWidth + 2, height: layout.tileHeight + 2, color: Color(gray: 187)
        )
        for y in 0..<imageHeight {
            for x in 0..<imageWidth {
                // Channel c of pixel (x, y) of image k sits at ((k * channels + c) * height + y) * width + x.
                let at = { (c: Int) in pixels[(k * channels + c) * plane + y * imageWidth + x] }
                let color = channels == 1 ? Color(gray: at(0)) : Color(red: at(0), green: at(1), blue: at(2))
                canvas.fillRect(
                    x: left + x * layout.scale, y: top + y * layout.scale, width: layout.scale, height: layout.scale,
                    color: color)
            }
        }
        if k < tileCaptions.count {
            canvas.drawText(
                tileCaptions[k], x: left + layout.tileWidth / 2, y: top + layout.tileHeight + layout.captionGap,
                anchor: .top, scale: layout.captionScale)
        }
    }
    for (column, caption) in columnCaptions.enumerated() {
        let (left, top) = layout.tileOrigin(column)
        canvas.drawText(
            caption, x: left + layout.tileWidth / 2, y: top - layout.captionGap, anchor: .bottom,
            scale: layout.captionScale)
    }
    for (row, caption) in rowCaptions.enumerated() {
        let (_, top) = layout.tileOrigin(row * layout.columns)
        canvas.drawText(
            caption, x: layout.gridLeft - layout.captionGap * 2, y: top + layout.tileHeight / 2, anchor: .right,
            scale: layout.captionScale)
    }
    return canvas
}

/// Where everything of an image grid goes: a pure computation, so tests can check it.
struct ImageGridLayout {
    let columns: Int
    let rows: Int
    /// Each image pixel becomes a `scale` x `scale` square.
    let scale: Int
    let tileWidth: Int
    let tileHeight: Int
    /// Room around the whole grid, and between a tile and its caption.
    let margin = 12
    let captionGap = 4
    /// Captions are drawn at scale 2 under tiles at least 48 pixels tall, else at scale 1.
    let captionScale: Int
    /// Left edge of the first column and top edge of the first row of cells.
    let gridLeft: Int
    let gridTop: Int
    /// A cell holds a tile and its caption; cells are `padding` apart.
    let cellWidth: Int
    let cellHeight: Int
    let padding: Int
    let width: Int
    let height: Int

    init(
        count: Int, imageWidth: Int, imageHeight: Int, columns: Int?, scale: Int?, padding: Int,
        rowCaptions: [String], tileCaptions: [String], title: String, columnCaptions: [String] = []
    ) {
        let columns = columns ?? Int(Double(count).squareRoot().rounded(.up))
        precondition(columns > 0, "an image grid needs at least one column")
        self.columns = columns
        rows = (count + columns - 1) / columns
        precondition(
            rowCaptions.isEmpty || rowCaptions.count == rows, "\(rowCaptions.count) row captions for \(rows) rows")
        precondition(tileCaptions.count <= count, "\(tileCaptions.count) tile captions for \(count) images")
        precondition(
            columnCaptions.count <= columns, "\(columnCaptions.count) column captions for \(columns) columns")
        self.scale = scale ?? max(1, 64 / max(imageWidth, imageHeight))
        precondition(self.scale >= 1, "image scale must be at least 1")
        tileWidth = imageWidth * self.scale
        tileHeight = imageHeight * self.scale
        let captionScale = tileHeight >= 48 ? 2 : 1
        self.captionScale = captionScale
        self.padding = padding

        // Column captions are as wide as tile captions: the widest of either sets the cell.
        let widestTileCaption =
            (tileCaptions + columnCaptions).map { Canvas.textSize($0, scale: captionScale).width }.max() ?? 0
        let columnCaptionHeight = columnCaptions.map { Canvas.textSize($0, scale: captionScale).height }.max() ?? 0
        let captionHeight = tileCaptions.map { Canvas.textSize($0, scale: captionScale).height }.max() ?? 0
        let widestRowCaption = rowCaptions.map { Canvas.textSize($0, scale: captionScale).width }.max() ?? 0
        // Captions wider than their tile widen its cell, keeping a blank of two characters between them.
        cellWidth = max(tileWidth, widestTileCaption + 2 * BitmapFont.advance * captionScale - padding)
        cellHeight = tileHeight + (tileCaptions.isEmpty ? 0 : captionGap + captionHeight)
        let gridWidth = columns * cellWidth + (columns - 1) * padding
        let titleSize = Canvas.textSize(title, scale: 2)
        let contentWidth = (rowCaptions.isEmpty ? 0 : widestRowCaption + 2 * captionGap) + gridWidth
        width = 2 * margin + max(contentWidth, titleSize.width)
        gridLeft = (width - contentWidth) / 2 + contentWidth - gridWidth
        gridTop =
            margin + (title.isEmpty ? 0 : titleSize.height + margin)
            + (columnCaptions.isEmpty ? 0 : columnCaptionHeight + captionGap)
        height = gridTop + rows * cellHeight + (rows - 1) * padding + margin
    }

    /// The top-left pixel of image k's tile.
    func tileOrigin(_ k: Int) -> (x: Int, y: Int) {
        let (row, column) = k.quotientAndRemainder(dividingBy: columns)
        return (
            gridLeft + column * (cellWidth + padding) + (cellWidth - tileWidth) / 2,
            gridTop + row * (cellHeight + padding)
        )
    }
}
