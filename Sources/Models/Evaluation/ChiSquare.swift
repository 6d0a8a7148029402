import Foundation

/// Pearson's chi-square goodness-of-fit test: do the frequencies of samples match the
/// probabilities a model claims for them?
///
///     X^2 = sum_c (O_c - E_c)^2 / E_c,   E_c = N p_c,
///
/// which for N draws from p follows a chi-square distribution with (cells - 1) degrees of freedom.
/// The approximation needs E_c >= 5 or so, so cells below `minimumExpected` are pooled into one
/// "rest" cell (and that cell too is dropped if it stays below the minimum, merged into the
/// smallest other cell). The p-value is P(chi2_df >= X^2): small values (< 0.01, say) say the
/// samples do not come from p.
public struct ChiSquareTest: Sendable, CustomStringConvertible {
    public let statistic: Double
    public let degreesOfFreedom: Int
    public let pValue: Double
    /// Cells after pooling.
    public let cells: Int

    /// `observed[c]` counts of N draws in cell c; `probabilities[c]` the claimed p_c (summing to 1).
    public init(observed: [Int], probabilities: [Double], minimumExpected: Double = 5) {
        precondition(observed.count == probabilities.count && !observed.isEmpty, "one probability per observed count")
        let n = Double(observed.reduce(0, +))
        var cellsO: [Double] = []
        var cellsE: [Double] = []
        var restO = 0.0
        var restE = 0.0
        for (o, p) in zip(observed, probabilities) {
            let e = n * p
            if e >= minimumExpected {
                cellsO.append(Double(o))
                cellsE.append(e)
            } else {
                restO += Double(o)
                restE += e
            }
        }
        if restE >= minimumExpected || (cellsE.isEmpty && restE > 0) {
            cellsO.append(restO)
            cellsE.append(restE)
        } else if restE > 0 || restO > 0, let smallest = cellsE.indices.min(by: { cellsE[$0] < cellsE[$1] }) {
            cellsO[smallest] += restO
            cellsE[smallest] += restE
        }
        var x2 = 0.0
        for (o, e) in zip(cellsO, cellsE) where e > 0 { x2 += (o - e) * (o - e) / e }
        statistic = x2
        cells = cellsE.count
        degreesOfFreedom = Swift.max(cells - 1, 1)
        pValue = ChiSquareTest.upperTail(x2, degreesOfFreedom: degreesOfFreedom)
    }

    /// P(chi2_k >= x) = Q(k/2, x/2), the regularised upper incomplete gamma function.
    public static func upperTail(_ x: Double, degreesOfFreedom k: Int) -> Double {
        regularizedGammaQ(Double(k) / 2, x / 2)
    }

    public var description: String {
        String(format: "X^2 = %.1f on %d degrees of freedom, p = %.3f", statistic, degreesOfFreedom, pValue)
    }
}

/// Q(a, x) = Gamma(a, x) / Gamma(a): by its power series for P = 1 - Q when x < a + 1, by a
/// continued fraction (modified Lentz) otherwise (Numerical Recipes, section 6.2).
func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
    precondition(a > 0, "the gamma function's shape must be positive")
    if x <= 0 { return 1 }
    let logPrefix = a * Foundation.log(x) - x - Foundation.lgamma(a)
    if x < a + 1 {
        var term = 1 / a
        var sum = term
        var ap = a
        for _ in 0..<10_000 {
            ap += 1
            term *= x / ap
            sum += term
            if Swift.abs(term) < Swift.abs(sum) * 1e-15 { break }
        }
        return Swift.max(0, 1 - sum * Foundation.exp(logPrefix))
    }
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    for i in 1...10_000 {
        let an = -Double(i) * (Double(i) - a)
        b += 2
        d = an * d + b
        if Swift.abs(d) < tiny { d = tiny }
        c = b + an / c
        if Swift.abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if Swift.abs(delta - 1) < 1e-15 { break }
    }
    return Foundation.exp(logPrefix) * h
}
