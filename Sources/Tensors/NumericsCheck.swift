/// The check mode for non-finite values, in the manner of PyTorch's anomaly detection.
///
/// Off by default (scanning every output costs time). When on, the first op whose output (or
/// whose backward gradient) holds a NaN or an infinity is remembered with the op's name and the
/// shapes of its inputs; `NumericsCheck.throwIfFound(step:)`, which training loops call after each
/// step, turns it into an error naming the op, the shapes and the step.
public enum NumericsCheck {
    nonisolated(unsafe) public static var isEnabled = false
    nonisolated(unsafe) private static var first: NonFiniteValueError?

    /// Records `t` as the first non-finite result if it is one (only in check mode).
    static func inspect<S: TensorScalar>(_ t: Tensor<S>, op: @autoclosure () -> String, shapes: @autoclosure () -> [[Int]]) {
        guard isEnabled, first == nil else { return }
        if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
            first = NonFiniteValueError(
                op: op(), inputShapes: shapes(), outputShape: t.shape, value: "\(t.scalars[bad])", step: nil)
        }
    }

    /// The first non-finite result since the last call, if any, and forgets it.
    public static func takeReport() -> NonFiniteValueError? {
        defer { first = nil }
        return first
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
