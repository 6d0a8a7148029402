/// An RGB raster to draw figures on.
///
/// Pixel (x, y) is column x (0 at the left) of row y (0 at the top); its three bytes, red, green,
/// blue, start at `pixels[(y * width + x) * 3]`. Drawing operations (`Canvas+Shapes.swift`,
/// `Canvas+Text.swift`) clip to the canvas, or to a smaller rectangle inside `clipped(to...)`:
/// whatever falls outside is silently dropped, so callers never need to check bounds themselves.
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB bytes, `width * height * 3` of them.
    public private(set) var pixels: [UInt8]
    /// Where drawing lands: the whole canvas, except inside `clipped(to...)`.
    private var visibleColumns: Range<Int>
    private var visibleRows: Range<Int>

    /// A canvas of the given size painted with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "a canvas needs a positive size, got \(width)x\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        visibleColumns = 0..<width
        visibleRows = 0..<height
        for i in 0..<width * height {
            pixels[3 * i] = background.red
            pixels[3 * i + 1] = background.green
            pixels[3 * i + 2] = background.blue
        }
    }

    /// True when (x, y) lies on the canvas.
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && x < width && y >= 0 && y < height }

    /// The colour of pixel (x, y), which must lie on the canvas.
    public subscript(x: Int, y: Int) -> Color {
        get {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) is off a \(width)x\(height) canvas")
            let i = (y * width + x) * 3
            return Color(red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2])
        }
        set {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) is off a \(width)x\(height) canvas")
            let i = (y * width + x) * 3
            pixels[i] = newValue.red
            pixels[i + 1] = newValue.green
            pixels[i + 2] = newValue.blue
        }
    }

    /// Paints pixel (x, y) if it is visible; every drawing operation goes through here.
    public mutating func plot(x: Int, y: Int, color: Color) {
        if visibleColumns.contains(x) && visibleRows.contains(y) { self[x, y] = color }
    }

    /// Paints pixel (x, y) with `color` at opacity `alpha` over what is there, if it is visible.
    public mutating func blend(x: Int, y: Int, color: Color, alpha: Double) {
        if visibleColumns.contains(x) && visibleRows.contains(y) { self[x, y] = self[x, y].mixed(with: color, alpha) }
    }

    /// Runs `draw` with drawing restricted to the `width` x `height` rectangle at (x, y): a plot's
    /// data stays inside its axes even when a curve leaves the chosen range.
    public mutating func clipped(toX x: Int, y: Int, width: Int, height: Int, _ draw: (inout Canvas) -> Void) {
        let (columns, rows) = (visibleColumns, visibleRows)
        visibleColumns = columns.clamped(to: x..<max(x, x + width))
        visibleRows = rows.clamped(to: y..<max(y, y + height))
        draw(&self)
        (visibleColumns, visibleRows) = (columns, rows)
    }

    /// Copies `other` onto this canvas with its top-left corner at (x, y) (clipped).
    public mutating func draw(_ other: Canvas, x: Int, y: Int) {
        for row in 0..<other.height {
            for column in 0..<other.width {
                plot(x: x + column, y: y + row, color: other[column, row])
            }
        }
    }

    /// The canvas as an RGB image, ready for `writePNG(to:)`.
    public var bitmap: Bitmap { Bitmap(width: width, height: height, format: .rgb, pixels: pixels) }

    /// Writes the canvas as an RGB PNG, creating missing folders (see `Bitmap.writePNG(to:)`).
    /// - Throws: `PNGError`.
    public func writePNG(to path: String) throws { try bitmap.writePNG(to: path) }
}
