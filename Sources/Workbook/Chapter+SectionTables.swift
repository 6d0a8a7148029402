import Foundation

extension Chapter {
    /// Reports one measured number into a table of its own section instead of the chapter's
    /// results table: set in `table` (row `data: model`, column `measure`, from a name of the
    /// form `data/measure/model`) and recorded under `name` for the results JSON and the summary.
    /// For numbers that would make the chapter's one table too wide (timings of many models,
    /// counts per layer); the chapter prints `table.rendered()` where the section ends, so each
    /// number is printed once, in its table. `row` and `column` name the cell when the name does
    /// not split into three parts as meant (a measure with "/" in it).
    @discardableResult
    public func report(
        _ name: String, _ value: Double, digits: Int = 2, in table: ResultsTable, row: String? = nil,
        column: String? = nil
    ) -> Double {
        record(name, value)
        let shown = Self.format(value, digits: digits)
        var (label, measure) = (name, "value")
        if let parts = MetricName(name) { (label, measure) = ("\(parts.data): \(parts.model)", parts.measure) }
        table.set(row: row ?? label, column: column ?? measure, to: shown)
        return value
    }
}
