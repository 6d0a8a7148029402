import Plot
import Testing

@Suite struct CanvasTests {
    /// The pixels of `canvas` painted in `color`, as (x, y) pairs in row-major order.
    func painted(_ canvas: Canvas, _ color: Color = .black) -> [[Int]] {
        var pixels: [[Int]] = []
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas[x, y] == color { pixels.append([x, y]) }
        }
        return pixels
    }

    @Test func oneEveryColumnAlongAShallowLine() {
        var canvas = Canvas(width: 10, height: 10)
        canvas.drawLine(from: (1, 1), to: (7, 4), color: .black)
        let pixels = painted(canvas)
        #expect(pixels.map { $0[0] }.sorted() == Array(1...7), "one pixel per column, ends included")
        #expect(pixels.contains([1, 1]) && pixels.contains([7, 4]))
    }

    @Test(arguments: [1, 2, 3, 5])
    func thickLinesCoverTheirWidth(width: Int) {
        var canvas = Canvas(width: 40, height: 40)
        canvas.drawLine(from: (5, 20), to: (30, 20), color: .black, width: width)
        canvas.drawLine(from: (20, 5), to: (20, 15), color: .black, width: width)
        let pixels = painted(canvas)
        #expect(pixels.filter { $0[0] == 10 }.count == width, "a horizontal line is `width` rows thick")
        #expect(pixels.filter { $0[1] == 10 }.count == width, "a vertical line is `width` columns thick")
    }

    @Test func dashesAlternate() {
        var canvas = Canvas(width: 50, height: 5)
        canvas.drawLine(from: (0, 2), to: (39, 2), color: .black, dash: 5)
        let columns = painted(canvas).map { $0[0] }
        #expect(columns == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 30, 31, 32, 33, 34])
    }

    @Test func rectanglesAndClipping() {
        var canvas = Canvas(width: 10, height: 10)
        canvas.fillRect(x: 2, y: 3, width: 4, height: 2, color: .black)
        #expect(painted(canvas) == [[2, 3], [3, 3], [4, 3], [5, 3], [2, 4], [3, 4], [4, 4], [5, 4]])

        var outlined = Canvas(width: 10, height: 10)
        outlined.strokeRect(x: 1, y: 1, width: 5, height: 4, color: .black)
        #expect(painted(outlined).count == 2 * 5 + 2 * 2, "the border only")
        #expect(outlined[3, 2] == .white)

        var clipped = Canvas(width: 10, height: 10)
        clipped.fillRect(x: -5, y: 8, width: 100, height: 100, color: .black)
        #expect(painted(clipped).count == 10 * 2, "what falls off the canvas is dropped")
        clipped.clipped(toX: 0, y: 0, width: 3, height: 3) { canvas in
            canvas.fillRect(x: 0, y: 0, width: 10, height: 10, color: .gray)
        }
        #expect(painted(clipped, .gray).count == 9, "drawing stays inside the clip rectangle")
    }

    @Test(arguments: [0, 1, 3, 6])
    func circlesAreRoundAndCentred(radius: Int) {
        var canvas = Canvas(width: 21, height: 21)
        canvas.fillCircle(x: 10, y: 10, radius: radius, color: .black)
        let filled = painted(canvas)
        #expect(filled.contains([10, 10]))
        for (x, y) in [(10 + radius, 10), (10 - radius, 10), (10, 10 + radius), (10, 10 - radius)] {
            #expect(filled.contains([x, y]), "the disc reaches \(radius) pixels each way")
        }
        #expect(!filled.contains([11 + radius, 10]))
        #expect(Set(filled.map { [20 - $0[0], $0[1]] }) == Set(filled), "mirror symmetric")

        var ring = Canvas(width: 21, height: 21)
        ring.strokeCircle(x: 10, y: 10, radius: radius, color: .black)
        let outline = painted(ring)
        #expect(outline.contains([10 + radius, 10]))
        #expect(radius == 0 || !outline.contains([10, 10]), "a ring is hollow")
        #expect(Set(outline).isSubset(of: Set(filled)))
    }

    @Test(arguments: ["A", "Hello, world!", "p_data", "x\ny = 0.001", "gjpqy_"], [1, 2])
    func textStaysInsideItsBox(text: String, scale: Int) {
        var canvas = Canvas(width: 200, height: 100)
        canvas.drawText(text, x: 10, y: 20, scale: scale, color: .black)
        let size = Canvas.textSize(text, scale: scale)
        let box = boundingBox(of: canvas) { $0 == .black }
        #expect(box != nil, "the text left ink")
        if let box {
            #expect(box.minX >= 10 && box.minY >= 20)
            #expect(box.maxX < 10 + size.width && box.maxY < 20 + size.height)
        }
    }

    @Test(arguments: [TextDirection.horizontal, .upward])
    func anchorsPlaceTheBox(direction: TextDirection) {
        var canvas = Canvas(width: 100, height: 100)
        canvas.drawText("Loss", x: 50, y: 50, anchor: .center, scale: 2, color: .black, direction: direction)
        let size = Canvas.textSize("Loss", scale: 2)
        let (width, height) = direction == .horizontal ? (size.width, size.height) : (size.height, size.width)
        let box = boundingBox(of: canvas) { $0 == .black }!
        // The box of the text, centred on (50, 50), holds all the ink.
        #expect(box.minX >= 50 - width / 2 - 1 && box.maxX <= 50 + width / 2)
        #expect(box.minY >= 50 - height / 2 - 1 && box.maxY <= 50 + height / 2)
        if direction == .horizontal {
            #expect(abs(Double(box.minX + box.maxX) / 2 - 50) <= 1, "\"Loss\" has ink in its first and last columns")
        }
    }

    @Test func everyPrintableCharacterHasItsOwnGlyph() {
        var glyphs: [Canvas] = []
        for code in 33...126 {
            var canvas = Canvas(width: 5, height: 9)
            canvas.drawText(String(UnicodeScalar(UInt8(code))), x: 0, y: 0, color: .black)
            #expect(!painted(canvas).isEmpty, "character \(code) is blank")
            #expect(!glyphs.contains(canvas), "character \(code) looks like another one")
            glyphs.append(canvas)
        }
        var unknown = Canvas(width: 5, height: 9)
        unknown.drawText("é", x: 0, y: 0, color: .black)
        #expect(unknown == glyphs[Int(UnicodeScalar("?").value) - 33], "other characters are drawn as ?")
    }

    @Test func colorMaps() {
        #expect(ColorMap.viridis.color(at: 0) == Color(hex: 0x440154))
        #expect(ColorMap.viridis.color(at: 1) == Color(hex: 0xFDE725))
        #expect(ColorMap.viridis.color(at: -3) == ColorMap.viridis.color(at: 0), "clamped")
        let brightness = stride(from: 0.0, through: 1, by: 0.05).map { ColorMap.viridis.color(at: $0).brightness }
        #expect(zip(brightness, brightness.dropFirst()).allSatisfy { $0 < $1 }, "viridis grows steadily brighter")
        #expect(ColorMap.diverging.color(at: 0.5).brightness > 0.95, "zero is white")
        #expect(ColorMap.diverging.color(at: 0).blue > ColorMap.diverging.color(at: 0).red, "negative is blue")
        #expect(ColorMap.diverging.color(at: 1).red > ColorMap.diverging.color(at: 1).blue, "positive is red")
    }
}
