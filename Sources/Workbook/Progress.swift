import Foundation

/// A one-line progress display for long loops: epoch, step, loss, rate and time left.
/// On a terminal the line is redrawn in place; otherwise (CI, a pipe) a plain line is printed
/// about every `interval` seconds and at the end, so logs stay short.
public final class Progress {
    public let label: String
    public let total: Int
    private let started = Date()
    private var lastPrint = Date.distantPast
    private let interval: Double
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastLength = 0

    public init(_ label: String, total: Int, interval: Double = 5) {
        self.label = label
        self.total = max(total, 1)
        self.interval = interval
    }

    /// Reports `step` (1-based) of `total`; `epoch` and `loss` are shown when given.
    public func update(step: Int, epoch: Int? = nil, loss: Double? = nil, extra: String = "") {
        let now = Date()
        let done = step >= total
        let due = now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.1 : interval)
        guard done || due else { return }
        lastPrint = now
        let line = Progress.line(
            label: label, step: step, total: total, epoch: epoch, loss: loss, elapsed: now.timeIntervalSince(started),
            extra: extra)
        if isTerminal {
            let pad = String(repeating: " ", count: max(0, lastLength - line.count))
            print("\r" + line + pad, terminator: done ? "\n" : "")
            fflush(stdout)
            lastLength = line.count
        } else {
            print(line)
        }
    }

    /// The text of one progress line (public for tests).
    public static func line(
        label: String, step: Int, total: Int, epoch: Int?, loss: Double?, elapsed: Double, extra: String = ""
    ) -> String {
        var parts = ["\(label): step \(step)/\(total)"]
        if let epoch { parts.append("epoch \(epoch)") }
        if let loss { parts.append(String(format: "loss %.4f", loss)) }
        let rate = Double(step) / max(elapsed, 1e-9)
        parts.append(String(format: "%.1f steps/s", rate))
        let left = Double(total - step) / max(rate, 1e-9)
        parts.append(
            step >= total ? String(format: "done in %@", formatDuration(elapsed)) : "ETA \(formatDuration(left))")
        if !extra.isEmpty { parts.append(extra) }
        return parts.joined(separator: " | ")
    }
}

/// 75 -> "1m15s", 4.2 -> "4.2s".
public func formatDuration(_ seconds: Double) -> String {
    if !seconds.isFinite { return "?" }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let s = Int(seconds.rounded())
    return s < 3600
        ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}

/// Wall-clock seconds taken by `body`, and its result.
public func timed<R>(_ body: () throws -> R) rethrows -> (result: R, seconds: Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let r = try body()
    return (r, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
