import Plot
import Testing

/// Colours no text, frame or grid of a figure uses, so their pixels can be counted.
private let red = Color(red: 200, green: 10, blue: 20)
private let green = Color(red: 10, green: 180, blue: 30)

/// The number of ink pixels (text, frames, ticks) in columns `columns` of `canvas`.
private func inkCount(in canvas: Canvas, columns: Range<Int>) -> Int {
    var n = 0
    for y in 0..<canvas.height {
        for x in columns where canvas[x, y] == .ink { n += 1 }
    }
    return n
}

/// The first pixel (row by row) in columns `0..<width` where two equally tall canvases differ,
/// or nil where they agree.
private func firstDifference(_ a: Canvas, _ b: Canvas, width: Int) -> (x: Int, y: Int)? {
    precondition(a.height == b.height, "the canvases differ in height")
    for y in 0..<a.height {
        for x in 0..<width where a[x, y] != b[x, y] { return (x, y) }
    }
    return nil
}

@Suite("colour-bar names, bar-chart x labels and image-grid column headers")
struct LabelledFigureTests {
    @Test func aColourBarNameIsWrittenRightOfTheBarAndMovesNothingElse() {
        let values = (0..<16).map { Double($0) }
        let plain = heatMap(values, rows: 4, columns: 4, cellSize: 20)
        let named = heatMap(values, rows: 4, columns: 4, cellSize: 20, colorBarLabel: "level (nats)")
        // The named map is one upward line of text (plus gaps) wider, and the same map, bar and
        // tick labels lie in its first columns, pixel for pixel (all but the right margin of 8
        // pixels at text scale 1, where the name begins).
        let kept = plain.width - 8
        #expect(named.width > plain.width)
        #expect(named.height == plain.height)
        let moved = firstDifference(plain, named, width: kept)
        #expect(moved == nil, "first difference at \(String(describing: moved))")
        // The extra columns hold the name in ink. The negative control: an empty name adds nothing.
        #expect(inkCount(in: named, columns: kept..<named.width) > 20)
        #expect(inkCount(in: plain, columns: kept..<plain.width) == 0)
        let empty = heatMap(values, rows: 4, columns: 4, cellSize: 20, colorBarLabel: "")
        let changed = firstDifference(plain, empty, width: plain.width)
        #expect(empty.width == plain.width && changed == nil)
    }

    @Test func aBarChartXLabelTakesALineUnderTheCategories() {
        let values = [1.0, 2.0]
        let plain = barChart(values, labels: ["a", "b"], colors: [red, green])
        let labelled = barChart(values, labels: ["a", "b"], colors: [red, green], xLabel: "gray level k")
        #expect(plain.width == labelled.width && plain.height == labelled.height)
        // The label's line comes out of the data area: the same bars are shorter ...
        let height = { (chart: Canvas, color: Color) -> Int in
            let box = boundingBox(of: chart) { $0 == color }!
            return box.maxY - box.minY + 1
        }
        #expect(height(labelled, green) < height(plain, green))
        // ... and ink appears in the bottom rows, which the plain chart leaves blank.
        let bottomInk = { (chart: Canvas) in
            boundingBox(of: chart) { $0 == .ink }!.maxY
        }
        #expect(bottomInk(labelled) > bottomInk(plain))
    }

    @Test func fewerValueDigitsWriteNarrowerValueLabels() {
        // One bar of 0.123456: "0.123" with three significant digits, "0.12" with two, so the ink
        // above the bar (its value label) is one character (6 pixels at scale 1) narrower.
        let width = { (digits: Int) -> Int in
            let chart = barChart([0.123456], labels: ["a"], colors: [red], width: 300, height: 200, valueDigits: digits)
            let bar = boundingBox(of: chart) { $0 == red }!
            // Between the frame's top edge (ink at both ends of the bar) and the bar.
            let frameTop = (0..<bar.minY).last { chart[bar.minX, $0] == .ink && chart[bar.maxX, $0] == .ink }!
            var (minX, maxX) = (Int.max, Int.min)
            for y in (frameTop + 1)..<bar.minY {
                for x in bar.minX...bar.maxX where chart[x, y] == .ink { (minX, maxX) = (min(minX, x), max(maxX, x)) }
            }
            return maxX - minX + 1
        }
        #expect(width(3) - width(2) == 6)
    }

    @Test func columnHeadersSitAboveTheFirstRow() {
        // Two rows of two 4x4 images, each a solid gray.
        let pixels = (0..<4).flatMap { k in [UInt8](repeating: UInt8(40 + 40 * k), count: 16) }
        let plain = imageGrid(pixels, shape: [4, 4, 4], columns: 2, scale: 4)
        let headed = imageGrid(pixels, shape: [4, 4, 4], columns: 2, scale: 4, columnCaptions: ["t 0", "t 1"])
        let tile = { (grid: Canvas, k: Int) in boundingBox(of: grid) { $0 == Color(gray: UInt8(40 + 40 * k)) }! }
        // The tiles move down by the headers' line, and the ink of the headers lies above the
        // first row, none of it between the rows (where tile captions would go).
        let shift = tile(headed, 0).minY - tile(plain, 0).minY
        #expect(shift > 0 && tile(headed, 3).minY - tile(plain, 3).minY == shift)
        let ink = boundingBox(of: headed) { $0 == .ink }!
        #expect(ink.maxY < tile(headed, 0).minY)
        // The negative control: tile captions of the same text go under the first row.
        let captioned = imageGrid(pixels, shape: [4, 4, 4], columns: 2, scale: 4, tileCaptions: ["t 0", "t 1"])
        #expect(boundingBox(of: captioned) { $0 == .ink }!.minY > tile(captioned, 0).maxY)
    }
}
