import Foundation

/// The table of measured numbers a chapter prints at its end (and the README copies).
/// Rows are free-form: a label column then one value per column; missing values print as "-".
public final class ResultsTable {
    public let title: String
    public private(set) var columns: [String] = []
    public private(set) var rows: [(label: String, values: [String: String])] = []

    public init(title: String) { self.title = title }

    /// Adds a row; values are keyed by column name, columns appear in first-use order.
    public func add(_ label: String, _ values: KeyValuePairs<String, String>) {
        var dict: [String: String] = [:]
        for (k, v) in values {
            if !columns.contains(k) { columns.append(k) }
            dict[k] = v
        }
        rows.append((label, dict))
    }

    /// Sets one cell: the row `label` (added at the end if new) in `column` (added if new).
    public func set(row label: String, column: String, to value: String) {
        if !columns.contains(column) { columns.append(column) }
        if let i = rows.firstIndex(where: { $0.label == label }) {
            rows[i].values[column] = value
        } else {
            rows.append((label, [column: value]))
        }
    }

    /// The table as aligned plain text (also valid Markdown): labels left, numbers right.
    public func rendered() -> String {
        let header = [""] + columns
        var body: [[String]] = []
        for row in rows {
            body.append([row.label] + columns.map { row.values[$0] ?? "-" })
        }
        let all = [header] + body
        var widths: [Int] = []
        for i in 0..<header.count {
            widths.append(all.map { $0[i].count }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            var out: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                out.append(i == 0 ? cell + pad : pad + cell)
            }
            return "| " + out.joined(separator: " | ") + " |"
        }
        var rule = "|"
        for (i, w) in widths.enumerated() {
            rule += i == 0 ? String(repeating: "-", count: w + 2) + "|" : String(repeating: "-", count: w + 1) + ":|"
        }
        return ([title, "", line(header), rule] + body.map(line)).joined(separator: "\n")
    }

    /// Writes {"title": ..., "columns": [...], "rows": [{"label": ..., "values": {...}}]}.
    public func writeJSON(to path: String) throws {
        let object: [String: Any] = [
            "title": title, "columns": columns,
            "rows": rows.map { ["label": $0.label, "values": $0.values] as [String: Any] },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw WorkbookError("cannot write results to \(path): \(error.localizedDescription)")
        }
    }
}

/// Number formatting used across the tables.
public func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
