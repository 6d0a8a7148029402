/// The check mode for non-finite values, in the manner of PyTorch's anomaly detection.
///
/// Off by default (scanning every output costs time). Inside `NumericsCheck.enabled { ... }`, the
/// first op whose output (or whose backward gradient) holds a NaN or an infinity is remembered with
/// the op's name and the shapes of its inputs; `NumericsCheck.throwIfFound(step:)`, which training
/// loops call after each step, turns it into an error naming the op, the shapes and the step.
/// The mode is task-local, like the tape, so parallel tests do not see each other's values.
public enum NumericsCheck {
    final class Monitor: @unchecked Sendable {
        var first: NonFiniteValueError?
    }
    @TaskLocal static var monitor: Monitor?

    /// Runs `body` with the check on (or off, for `on: false`).
    public static func enabled<R>(_ on: Bool = true, _ body: () throws -> R) rethrows -> R {
        try $monitor.withValue(on ? Monitor() : nil, operation: body)
    }

    /// Records `t` as the first non-finite result if it is one (only in check mode).
    static func inspect<S: TensorScalar>(
        _ t: Tensor<S>, op: @autoclosure () -> String, shapes: @autoclosure () -> [[Int]]
    ) {
        guard let monitor, monitor.first == nil else { return }
        if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
            monitor.first = NonFiniteValueError(
                op: op(), inputShapes: shapes(), outputShape: t.shape, value: "\(t.scalars[bad])", step: nil)
        }
    }

    /// The first non-finite result since the last call, if any, and forgets it.
    public static func takeReport() -> NonFiniteValueError? {
        defer { monitor?.first = nil }
        return monitor?.first
    }

    /// Throws the first non-finite result recorded so far, tagged with the training step.
    public static func throwIfFound(step: Int) throws {
        if var report = takeReport() {
            report.step = step
            throw report
        }
    }
}

/// An op produced NaN or infinity.
public struct NonFiniteValueError: Error, CustomStringConvertible, Sendable {
    public let op: String
    public let inputShapes: [[Int]]
    public let outputShape: [Int]
    public let value: String
    public var step: Int?

    public var description: String {
        let at = step.map { " at training step \($0)" } ?? ""
        let shapes = inputShapes.map { "\($0)" }.joined(separator: ", ")
        return "\(op) produced \(value)\(at) (input shapes \(shapes); output shape \(outputShape)). "
            + "Usual fixes: a lower learning rate, gradient clipping, or a stable form of the loss "
            + "(log-sigmoid, logsumexp) instead of log(sigmoid) or log(sum(exp))."
    }
}
