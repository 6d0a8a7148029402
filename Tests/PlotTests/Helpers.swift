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

/// A small seeded generator (splitmix64) for example data: the tests of Plot do not depend on
/// Tensors, whose `Random` the chapters use.
struct ExampleRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }

    /// Standard normal, by the Box-Muller transform.
    mutating func normal() -> Double {
        let u = 1 - uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * uniform())
    }
}
