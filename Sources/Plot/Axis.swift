import Foundation

/// How an axis turns values into positions.
public enum AxisScale: Sendable {
    case linear
    /// Base-10 logarithmic: equal ratios take equal lengths. Values <= 0 cannot be shown and are
    /// left out.
    case log
}

/// A numbered axis: the range of the data widened to round tick values at both ends.
///
/// Linear ticks are the multiples `k * step` of a step that is 1, 2 or 5 times a power of ten: the
/// smallest such step that needs at most `maxTicks` ticks to reach from the last multiple at or
/// below the smallest value to the first at or above the largest. The axis runs from the first
/// tick to the last, so the ticks always cover the data. Log ticks are powers of ten (every
/// second or fifth one when the data span many decades; 1, 2, 5 times a power of ten when they
/// span a single decade).
public struct Axis: Sendable {
    public let scale: AxisScale
    /// The value at the start of the axis (left or bottom).
    public let lower: Double
    /// The value at the end of the axis (right or top).
    public let upper: Double
    /// Tick values, increasing, from `lower` to `upper`.
    public let ticks: [Double]
    /// The tick labels as drawn, one per tick: all with the same number of decimals on a linear
    /// axis ("0.0", "0.5", "1.0"), exponents for very large or small values ("2e-5").
    public let labels: [String]
    /// True for the category axis of a bar chart: no grid lines across the bars.
    let isCategorical: Bool

    /// An axis for `values`; non-finite values (and values <= 0 on a log axis) are ignored. With
    /// no usable values the axis is [0, 1] (linear) or [1, 10] (log).
    public init(covering values: [Double], scale: AxisScale = .linear, maxTicks: Int = 6) {
        precondition(maxTicks >= 2, "an axis needs room for at least two ticks")
        let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        var low = usable.min() ?? (scale == .linear ? 0 : 1)
        var high = usable.max() ?? (scale == .linear ? 1 : 10)
        if low == high {
            // A constant still deserves a readable axis: widen it around the value.
            switch scale {
            case .linear:
                let margin = low == 0 ? 1 : abs(low) / 10
                (low, high) = (low - margin, high + margin)
            case .log:
                (low, high) = (low / 2, high * 2)
            }
        }
        self.scale = scale
        self.isCategorical = false
        switch scale {
        case .linear: (ticks, labels) = Self.linearTicks(low, high, maxTicks: maxTicks)
        case .log: (ticks, labels) = Self.logTicks(low, high, maxTicks: maxTicks)
        }
        lower = ticks.first!
        upper = ticks.last!
    }

    /// The category axis of a bar chart: category i sits at value i, the axis runs from -0.5 to
    /// n - 0.5 so every bar gets the same room.
    init(categories: [String]) {
        scale = .linear
        isCategorical = true
        lower = -0.5
        upper = Double(categories.count) - 0.5
        ticks = categories.indices.map(Double.init)
        labels = categories
    }

    /// Where `value` lies along the axis: 0 at `lower`, 1 at `upper` (outside [0, 1] when the
    /// value is off the axis; -infinity for a value <= 0 on a log axis).
    public func fraction(of value: Double) -> Double {
        switch scale {
        case .linear: (value - lower) / (upper - lower)
        case .log: (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    private static func linearTicks(_ low: Double, _ high: Double, maxTicks: Int) -> ([Double], [String]) {
        // Try steps 1, 2, 5, 10, 20, ... times 10^exponent, from just below the even spacing up.
        var exponent = Int(floor(log10((high - low) / Double(maxTicks - 1))))
        var mantissas = [1, 2, 5][...]
        while true {
            let mantissa = mantissas.removeFirst()
            let step = decimal(mantissa, timesTenTo: exponent)
            // The tolerance keeps 0.3 / 0.1 = 2.9999999999999996 from becoming an extra tick.
            let first = Int(floor(low / step + 1e-9))
            let last = Int(ceil(high / step - 1e-9))
            if last - first + 1 <= maxTicks {
                let ticks = (first...last).map { decimal($0 * mantissa, timesTenTo: exponent) }
                return (ticks, linearLabels(ticks, exponent: exponent))
            }
            if mantissas.isEmpty {
                mantissas = [1, 2, 5][...]
                exponent += 1
            }
        }
    }

    /// Labels with as many decimals as the step needs (a step of 2 x 10^-3 needs three).
    private static func linearLabels(_ ticks: [Double], exponent: Int) -> [String] {
        let largest = ticks.map(abs).max()!
        if largest >= 1e6 || exponent < -4 {
            return ticks.map { compactLabel($0) }
        }
        return ticks.map { String(format: "%.*f", max(0, -exponent), $0) }
    }

    private static func logTicks(_ low: Double, _ high: Double, maxTicks: Int) -> ([Double], [String]) {
        var first = Int(floor(log10(low) + 1e-9))
        var last = Int(ceil(log10(high) - 1e-9))
        let ticks: [Double]
        if last - first <= 1 {
            // One decade: 1, 2 and 5 times its powers of ten, trimmed to just cover the data.
            last = first + 1
            let candidates = [1, 2, 5, 10].map { decimal($0, timesTenTo: first) }
            let start = candidates.lastIndex { $0 <= low * (1 + 1e-9) } ?? 0
            let end = candidates.firstIndex { $0 >= high * (1 - 1e-9) } ?? candidates.count - 1
            ticks = Array(candidates[start...end])
        } else {
            // Every `stride`-th power of ten, starting on a multiple of the stride.
            let stride = (last - first + maxTicks - 2) / (maxTicks - 1)
            first = Int(floor(Double(first) / Double(stride))) * stride
            last = first + (last - first + stride - 1) / stride * stride
            ticks = Swift.stride(from: first, through: last, by: stride).map { decimal(1, timesTenTo: $0) }
        }
        return (ticks, ticks.map { compactLabel($0) })
    }
}

/// `integer` x 10^exponent as the double nearest that decimal, so 3 x 10^-1 is the same double
/// as the literal 0.3: powers of ten up to 10^22 are exact, and a single division rounds
/// correctly (multiplying by the inexact 0.1 would not).
func decimal(_ integer: Int, timesTenTo exponent: Int) -> Double {
    let power = (0..<abs(exponent)).reduce(1.0) { product, _ in product * 10 }
    return exponent >= 0 ? Double(integer) * power : Double(integer) / power
}

/// The shortest usual spelling of a number to `significantDigits`: "0.001", "20", "2e-5", "1e6".
func compactLabel(_ value: Double, significantDigits: Int = 6) -> String {
    String(format: "%.*g", significantDigits, value)
        .replacingOccurrences(of: "e+0", with: "e")
        .replacingOccurrences(of: "e-0", with: "e-")
        .replacingOccurrences(of: "e+", with: "e")
}

/// A value for a label on a bar or in a heat-map cell: whole numbers as integers, others to
/// `significantDigits` significant digits ("0.412", "3.5"), large ones rounded ("1234").
func valueLabel(_ value: Double, significantDigits: Int = 3) -> String {
    guard abs(value) < 1e15 else { return compactLabel(value, significantDigits: significantDigits) }
    if value == value.rounded() || abs(value) >= decimal(1, timesTenTo: significantDigits) {
        return String(Int(value.rounded()))
    }
    return compactLabel(value, significantDigits: significantDigits)
}
