import Plot
import Testing

/// Layout checks on tiny inputs whose pictures are known, found by colour so that the tests do
/// not depend on margins.
@Suite struct FigureTests {
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

}

/// How many pixels of `canvas` have `color`.
private func painted(_ color: Color, in canvas: Canvas) -> Int {
    var count = 0
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where canvas[x, y] == color { count += 1 }
    }
    return count
}
