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
