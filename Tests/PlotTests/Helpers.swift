import Foundation
import Plot
import Testing

/// A fresh, empty folder for one test, removed by `removeTemporaryFolder`.
func makeTemporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("PlotTests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTemporaryFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// The names in `folder`, hidden ones (such as a leftover temporary PNG) included.
func contents(of folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
}

/// Expects `body` to throw a `PNGError` whose message names `path`; returns the error.
@discardableResult
func expectPNGError(
    naming path: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> PNGError? {
    do {
        try body()
        Issue.record("expected a PNGError naming \(path), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as PNGError {
        #expect(error.path == path, sourceLocation: sourceLocation)
        #expect(error.description.contains(path), "\(error.description)", sourceLocation: sourceLocation)
        #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a PNGError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The smallest rectangle holding every pixel of `canvas` for which `matches` holds, or nil.
func boundingBox(
    of canvas: Canvas, where matches: (Color) -> Bool
) -> (minX: Int, minY: Int, maxX: Int, maxY: Int)? {
    var box: (minX: Int, minY: Int, maxX: Int, maxY: Int)?
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where matches(canvas[x, y]) {
            box = (min(box?.minX ?? x, x), min(box?.minY ?? y, y), max(box?.maxX ?? x, x), max(box?.maxY ?? y, y))
        }
    }
    return box
}

/// The mean position of the pixels of one colour.
func centroid(of color: Color, in canvas: Canvas) -> (x: Double, y: Double)? {
    var (sumX, sumY, count) = (0, 0, 0)
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where canvas[x, y] == color {
            (sumX, sumY, count) = (sumX + x, sumY + y, count + 1)
        }
    }
    return count == 0 ? nil : (Double(sumX) / Double(count), Double(sumY) / Double(count))
}
