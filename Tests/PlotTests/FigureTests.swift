import Plot
import Testing

/// Layout checks on tiny inputs whose pictures are known, found by colour so that the tests do
/// not depend on margins.
@Suite struct FigureTests {
    @Test func imageGridPlacesTilesRowByRow() {
        // Five 4-wide, 3-tall gray images, image k a solid gray of 10 + 20 k.
        let pixels = (0..<5).flatMap { k in [UInt8](repeating: UInt8(10 + 20 * k), count: 12) }
        let grid = imageGrid(pixels, shape: [5, 1, 3, 4], columns: 3, scale: 2, padding: 4)
        let boxes = (0..<5).map { k in boundingBox(of: grid) { $0 == Color(gray: UInt8(10 + 20 * k)) }! }
        let (left, top) = (boxes[0].minX, boxes[0].minY)
        for (k, box) in boxes.enumerated() {
            let (row, column) = k.quotientAndRemainder(dividingBy: 3)
            #expect(box.minX == left + column * (8 + 4) && box.minY == top + row * (6 + 4), "tile \(k)")
            #expect(box.maxX - box.minX + 1 == 8 && box.maxY - box.minY + 1 == 6, "tile \(k) is 4x3 scaled by 2")
        }
    }

    @Test(arguments: [(levels: 256, level: UInt8(51), gray: UInt8(51)), (17, 4, 64), (2, 1, 255)])
    func imageGridScalesGrayLevels(levels: Int, level: UInt8, gray: UInt8) {
        let grid = imageGrid([level], shape: [1, 1, 1], levels: levels, scale: 1)
        #expect(boundingBox(of: grid) { $0 == Color(gray: gray) } != nil, "level \(level) of \(levels) is gray \(gray)")
    }

    @Test func imageGridReadsChannelPlanes() {
        // One 2x1 RGB image in NCHW order: red plane, green plane, blue plane.
        let red: [Float] = [1, 0]
        let green: [Float] = [0, 1]
        let blue: [Float] = [0, 0]
        let grid = imageGrid(red + green + blue, shape: [1, 3, 1, 2], scale: 1)
        let pure = (red: Color(red: 255, green: 0, blue: 0), green: Color(red: 0, green: 255, blue: 0))
        let redPixel = boundingBox(of: grid) { $0 == pure.red }!
        let greenPixel = boundingBox(of: grid) { $0 == pure.green }!
        #expect(
            redPixel.minX == redPixel.maxX && greenPixel.minX == redPixel.minX + 1 && greenPixel.minY == redPixel.minY)
    }

    @Test func imageGridClampsIntensities() {
        let grid = imageGrid([-1, 2, .nan, 0.5] as [Float], shape: [1, 1, 4], scale: 1)
        let left = boundingBox(of: grid) { $0 == Color(gray: 128) }!.minX - 3
        let row = boundingBox(of: grid) { $0 == Color(gray: 128) }!.minY
        #expect(
            (0..<4).map { grid[left + $0, row] } == [
                Color(gray: 0), Color(gray: 255), Color(gray: 0), Color(gray: 128),
            ])
    }

    @Test func scatterPointsLandOnTheirPixels() {
        // Corners (0, 0) and (10, 10) of the axis, its middle, and a point a quarter across and
        // three quarters up; one class each, so each can be found by its colour.
        let canvas = scatterPlot(x: [0, 10, 5, 2.5], y: [0, 10, 5, 7.5], classes: [0, 1, 2, 3])
        let centre = (0..<4).map { centroid(of: Color.categorical[$0], in: canvas)! }
        #expect(centre.allSatisfy { $0.x == $0.x.rounded() && $0.y == $0.y.rounded() }, "markers are centred on pixels")
        #expect(centre[0].x < centre[1].x && centre[0].y > centre[1].y, "y grows upwards")
        let across = centre[1].x - centre[0].x
        let up = centre[0].y - centre[1].y
        #expect(
            abs(centre[2].x - (centre[0].x + across / 2)) <= 0.5 && abs(centre[2].y - (centre[0].y - up / 2)) <= 0.5)
        #expect(
            abs(centre[3].x - (centre[0].x + across / 4)) <= 0.5 && abs(centre[3].y - (centre[0].y - 3 * up / 4)) <= 0.5
        )
    }

    @Test func legendGoesWhereItHidesNoData() {
        // A diagonal from bottom left to top right leaves the top-left corner free.
        let x = (0...10).map(Double.init)
        let color = Color.categorical[0]
        let unnamed = linePlot([Series("", x: x, y: x)])
        let named = linePlot([Series("identity", x: x, y: x)])
        let swatch = 32 * 2  // 16 x 2 pixels long, as thick as the 2-pixel line on a 640 x 480 plot
        #expect(
            painted(color, in: named) == painted(color, in: unnamed) + swatch,
            "the legend adds its swatch and hides nothing")
    }

    @Test func heatMapCellsFollowRowMajorOrder() {
        let canvas = heatMap([0, 1, 1, 0] as [Double], rows: 2, columns: 2, cellSize: 10)
        let (low, high) = (ColorMap.viridis.color(at: 0), ColorMap.viridis.color(at: 1))
        // The first low-coloured pixel in reading order is the top-left corner of cell (0, 0).
        let origin = boundingBox(of: canvas) { $0 == low }!
        let (x, y) = (origin.minX, origin.minY)
        #expect(canvas[x + 5, y + 5] == low && canvas[x + 15, y + 5] == high)
        #expect(canvas[x + 5, y + 15] == high && canvas[x + 15, y + 15] == low)
    }

    @Test func barsRiseInProportionFromZero() {
        let canvas = barChart([1.0, 2.0], labels: ["a", "b"])
        let a = boundingBox(of: canvas) { $0 == Color.categorical[0] }!
        let b = boundingBox(of: canvas) { $0 == Color.categorical[1] }!
        #expect(a.maxY == b.maxY, "both stand on zero")
        let (heightA, heightB) = (a.maxY - a.minY, b.maxY - b.minY)
        #expect(abs(heightB - 2 * heightA) <= 1)
        #expect(a.maxX - a.minX == b.maxX - b.minX)
    }

    @Test func panelPutsFiguresSideBySide() {
        let first = Canvas(width: 100, height: 50, background: Color.categorical[0])
        let second = Canvas(width: 60, height: 80, background: Color.categorical[1])
        let combined = panel([first, second], spacing: 10)
        #expect(combined.width == 16 + 100 + 10 + 60 + 16 && combined.height == 16 + 80 + 16)
        let a = boundingBox(of: combined) { $0 == Color.categorical[0] }!
        let b = boundingBox(of: combined) { $0 == Color.categorical[1] }!
        #expect(a.minX == 16 && a.minY == 16 && a.maxX == 115 && a.maxY == 65)
        #expect(b.minX == 126 && b.minY == 16 && b.maxX == 185 && b.maxY == 95)
    }
}

/// How many pixels of `canvas` have `color`.
private func painted(_ color: Color, in canvas: Canvas) -> Int {
    var count = 0
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where canvas[x, y] == color { count += 1 }
    }
    return count
}
