/// Lines, rectangles and circles. Coordinates are pixel indices (see `Canvas`); shapes partly or
/// wholly off the canvas are clipped.
extension Canvas {
    /// A straight line from `start` to `end`, both ends included.
    ///
    /// A line `width` pixels wide covers exactly `width` pixels across its shorter axis (rows for a
    /// mostly horizontal line). With `dash` set, it alternates `dash` pixels drawn and `dash` skipped.
    public mutating func drawLine(
        from start: (x: Int, y: Int), to end: (x: Int, y: Int), color: Color, width: Int = 1, dash: Int? = nil
    ) {
        var phase = 0
        stroke(from: start, to: end, color: color, width: width, dash: dash, includingStart: true, phase: &phase)
    }

    /// Straight lines through `points` in order. Joints are filled, and a dash pattern runs on
    /// across them, so a dashed curve made of many short segments still looks dashed.
    public mutating func drawPolyline(_ points: [(x: Int, y: Int)], color: Color, width: Int = 1, dash: Int? = nil) {
        guard let first = points.first else { return }
        var phase = 0
        if points.count == 1 {
            stroke(from: first, to: first, color: color, width: width, dash: dash, includingStart: true, phase: &phase)
        }
        for i in points.indices.dropFirst() {
            stroke(
                from: points[i - 1], to: points[i], color: color, width: width, dash: dash,
                includingStart: i == 1, phase: &phase)
            // A thick polyline bending sharply would show a notch at the joint without this square.
            if width > 1 && i < points.count - 1 && isDrawn(phase: phase - 1, dash: dash) {
                let lo = -(width - 1) / 2
                fillRect(x: points[i].x + lo, y: points[i].y + lo, width: width, height: width, color: color)
            }
        }
    }

    /// Bresenham's algorithm: step one pixel at a time along the longer axis and carry the error
    /// of the shorter one, so each step paints the pixel nearest the true line. A thick line paints
    /// a run of `width` pixels across the shorter axis at each step.
    private mutating func stroke(
        from start: (x: Int, y: Int), to end: (x: Int, y: Int), color: Color, width: Int, dash: Int?,
        includingStart: Bool, phase: inout Int
    ) {
        precondition(width >= 1, "a line needs a width of at least 1 pixel, got \(width)")
        let dx = abs(end.x - start.x)
        let dy = -abs(end.y - start.y)
        let stepX = start.x < end.x ? 1 : -1
        let stepY = start.y < end.y ? 1 : -1
        let mostlyVertical = dx < -dy
        var (x, y) = start
        var error = dx + dy
        var first = true
        while true {
            if !first || includingStart {
                if isDrawn(phase: phase, dash: dash) {
                    for offset in -(width - 1) / 2...width / 2 {
                        if mostlyVertical {
                            plot(x: x + offset, y: y, color: color)
                        } else {
                            plot(x: x, y: y + offset, color: color)
                        }
                    }
                }
                phase += 1
            }
            first = false
            if x == end.x && y == end.y { break }
            let twiceError = 2 * error
            if twiceError >= dy {
                error += dy
                x += stepX
            }
            if twiceError <= dx {
                error += dx
                y += stepY
            }
        }
    }

    /// Whether the pixel at `phase` along a dashed line is in a dash (always, for a solid line).
    private func isDrawn(phase: Int, dash: Int?) -> Bool {
        guard let dash else { return true }
        return (phase / dash) % 2 == 0
    }

    /// Fills the `width` x `height` rectangle whose top-left pixel is (x, y).
    public mutating func fillRect(x: Int, y: Int, width: Int, height: Int, color: Color) {
        for row in y..<y + max(height, 0) {
            for column in x..<x + max(width, 0) { plot(x: column, y: row, color: color) }
        }
    }

    /// Outlines the `width` x `height` rectangle at (x, y) with a border `lineWidth` pixels thick,
    /// drawn inside the rectangle.
    public mutating func strokeRect(x: Int, y: Int, width: Int, height: Int, color: Color, lineWidth: Int = 1) {
        let t = min(lineWidth, width, height)
        fillRect(x: x, y: y, width: width, height: t, color: color)
        fillRect(x: x, y: y + height - t, width: width, height: t, color: color)
        fillRect(x: x, y: y + t, width: t, height: height - 2 * t, color: color)
        fillRect(x: x + width - t, y: y + t, width: t, height: height - 2 * t, color: color)
    }

    /// Fills the disc of `radius` pixels centred on pixel (x, y): the pixels with
    /// dx^2 + dy^2 <= r^2 + r (the `+ r` rounds the outline like the midpoint circle algorithm).
    /// Radius 0 is the single pixel.
    public mutating func fillCircle(x: Int, y: Int, radius: Int, color: Color) {
        let limit = radius * radius + radius
        for dy in -radius...radius {
            for dx in -radius...radius where dx * dx + dy * dy <= limit {
                plot(x: x + dx, y: y + dy, color: color)
            }
        }
    }

    /// Draws the one-pixel ring of `radius` around pixel (x, y): the pixels with
    /// r^2 - r < dx^2 + dy^2 <= r^2 + r (radius 0 is the single pixel).
    public mutating func strokeCircle(x: Int, y: Int, radius: Int, color: Color) {
        let inner = radius == 0 ? -1 : radius * radius - radius
        let outer = radius * radius + radius
        for dy in -radius...radius {
            for dx in -radius...radius {
                let d = dx * dx + dy * dy
                if d > inner && d <= outer { plot(x: x + dx, y: y + dy, color: color) }
            }
        }
    }
}
