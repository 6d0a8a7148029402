import Plot
import Testing

/// Colours no text, frame or grid of a figure uses, so their pixels can be counted.
private let red = Color(red: 200, green: 10, blue: 20)
private let green = Color(red: 10, green: 180, blue: 30)
private let blue = Color(red: 20, green: 40, blue: 210)

private func count(_ color: Color, in canvas: Canvas) -> Int {
    var n = 0
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where canvas[x, y] == color { n += 1 }
    }
    return n
}

@Suite("categorical heat maps and bar charts that start near the smallest value")
struct CategoricalAndZoomedBarTests {
    @Test func everyCellTakesTheColourOfItsCategory() {
        // 2 x 3 cells of 10 x 10 pixels: category 0 three times, 1 twice, 2 once.
        let categories = [0, 1, 0, 2, 1, 0]
        let map = categoricalHeatMap(categories, rows: 2, columns: 3, colors: [red, green, blue], cellSize: 10)
        #expect(count(red, in: map) == 3 * 100)
        #expect(count(green, in: map) == 2 * 100)
        #expect(count(blue, in: map) == 100)
        // Row 0 is on top: the blue cell (row 1, column 0) lies below and left of the centre of
        // the green ones (rows 0 and 1, column 1).
        let (b, g) = (centroid(of: blue, in: map)!, centroid(of: green, in: map)!)
        #expect(b.y > g.y && b.x < g.x)
    }

    @Test func theLegendShowsOneSwatchPerName() {
        let legend = categoricalLegend(["kept", "zeroed", "blind spot"], colors: [red, green, blue], textScale: 1)
        // Each swatch is glyph height + 2 pixels square, its one-pixel border drawn in ink.
        let inner = (9 + 2 - 2) * (9 + 2 - 2)
        #expect([red, green, blue].map { count($0, in: legend) } == [inner, inner, inner])
        // Fewer names than colours leave the extra colours out.
        let short = categoricalLegend(["kept"], colors: [red, green], textScale: 1)
        #expect(count(green, in: short) == 0)
    }

    /// The heights in pixels of the bars of `chart`, one colour each.
    private func barHeights(_ chart: Canvas) -> [Int] {
        [red, green, blue].map { color in
            let box = boundingBox(of: chart) { $0 == color }!
            return box.maxY - box.minY + 1
        }
    }

    @Test func barsRiseFromTheFootOfAnAxisThatStartsNearTheSmallestValue() {
        let values = [80.0, 90, 100]
        let zoomed = barChart(values, labels: ["a", "b", "c"], colors: [red, green, blue], axisStart: 75)
        let h = barHeights(zoomed)
        // Heights grow linearly with the value above the axis's foot (equal steps of 10) ...
        #expect(abs((h[2] - h[1]) - (h[1] - h[0])) <= 2)
        // ... and the foot is well above 0: from 0, 80 would be 80% of 100.
        #expect(Double(h[0]) / Double(h[2]) < 0.5)
        // The negative control: the same chart from 0 shows the 80% the zoom removes.
        let fromZero = barHeights(barChart(values, labels: ["a", "b", "c"], colors: [red, green, blue]))
        #expect(abs(Double(fromZero[0]) / Double(fromZero[2]) - 0.8) < 0.02)
    }

    @Test func anAxisLabelledFigureKeepsThePictureAndAddsRoomForTheLabels() {
        let map = categoricalHeatMap([0, 1, 2, 0], rows: 2, columns: 2, colors: [red, green, blue], cellSize: 8)
        let labelled = withAxisLabels(map, xLabel: "input column", yLabel: "input row", scale: 1)
        #expect(labelled.width > map.width && labelled.height > map.height)
        #expect(count(red, in: labelled) == count(red, in: map) && count(blue, in: labelled) == 64)
    }
}
