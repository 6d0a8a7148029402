import Foundation
import Testing

@testable import Workbook

@Suite("report into a section table")
struct SectionTableTests {
    @Test func aReportInASectionTableFillsThatTableAndRecordsTheMetric() throws {
        let (chapter, folder) = try scratchChapter()
        defer { try? FileManager.default.removeItem(at: folder) }
        let section = ResultsTable(title: "speed")
        chapter.report("digits/train images per s (same run)/Row LSTM", 1267.08, digits: 0, in: section)
        chapter.report("mnist/multiply-adds per pixel/PixelCNN", 26400, digits: 0, in: section)
        #expect(chapter.metrics["digits/train images per s (same run)/Row LSTM"] == 1267.08)
        #expect(chapter.metrics["mnist/multiply-adds per pixel/PixelCNN"] == 26400)
        #expect(section.rows.map(\.label) == ["digits: Row LSTM", "mnist: PixelCNN"])
        #expect(section.columns == ["train images per s (same run)", "multiply-adds per pixel"])
        #expect(section.rows[0].values == ["train images per s (same run)": "1267"])
        // The chapter's own table is left alone.
        #expect(chapter.results.rows.isEmpty)
    }

    @Test func rowAndColumnNameTheCellWhenTheMeasureHoldsASlash() throws {
        let (chapter, folder) = try scratchChapter()
        defer { try? FileManager.default.removeItem(at: folder) }
        let section = ResultsTable(title: "matrices")
        let name = "dependency matrix/|d a_i / d x_j| for j >= i, max abs error/plain 2 layers"
        chapter.report(name, 0, in: section, row: "plain, 2 layers", column: "max |d a_i / d x_j|")
        #expect(chapter.metrics[name] == 0)
        #expect(section.rows.map(\.label) == ["plain, 2 layers"])
        #expect(section.columns == ["max |d a_i / d x_j|"])
        // Without them the name splits at its first two slashes, into the wrong parts.
        chapter.report(name, 0, in: section)
        #expect(section.rows.map(\.label).last == "dependency matrix:  d x_j| for j >= i, max abs error/plain 2 layers")
    }
}
