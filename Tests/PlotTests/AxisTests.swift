import Foundation
import Plot
import Testing

@Suite struct AxisTests {
    /// Checks that linear ticks are evenly spaced multiples of a round step (1, 2 or 5 times a
    /// power of ten), at most `maxTicks` of them, covering `values`.
    func expectRoundTicks(
        _ axis: Axis, covering values: [Double], maxTicks: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let ticks = axis.ticks
        #expect(ticks.count >= 2 && ticks.count <= maxTicks, "\(ticks)", sourceLocation: sourceLocation)
        #expect(
            ticks.first! <= values.min()! && ticks.last! >= values.max()!, "\(ticks) cover \(values)",
            sourceLocation: sourceLocation)
        #expect(axis.lower == ticks.first! && axis.upper == ticks.last!, sourceLocation: sourceLocation)
        let step = ticks[1] - ticks[0]
        let exponent = floor(log10(step) + 1e-9)
        let mantissa = step / pow(10, exponent)
        #expect([1, 2, 5].contains { abs(mantissa - $0) < 1e-6 }, "step \(step)", sourceLocation: sourceLocation)
        for tick in ticks {
            let multiple = tick / step
            #expect(
                abs(multiple - multiple.rounded()) < 1e-6, "\(tick) is a multiple of \(step)",
                sourceLocation: sourceLocation)
        }
        #expect(
            Set(axis.labels).count == ticks.count, "labels \(axis.labels) tell the ticks apart",
            sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        [0.0, 1], [0.21, 2.3], [-3.7, 12.2], [1e-5, 3e-5], [1234, 98765], [-1, -1e-3], [0.5, 0.5], [0.6931, 0.6932],
    ])
    func linearTicksAreRoundAndCoverTheData(values: [Double]) {
        for maxTicks in [3, 6, 10] {
            expectRoundTicks(Axis(covering: values, maxTicks: maxTicks), covering: values, maxTicks: maxTicks)
        }
    }

    @Test func ticksAndLabelsOfATrainingCurve() {
        let axis = Axis(covering: [0.21, 0.9, 2.3], maxTicks: 6)
        #expect(axis.ticks == [0, 0.5, 1, 1.5, 2, 2.5])
        #expect(axis.labels == ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"])
        // Ticks are the doubles nearest their decimals, so they print as written.
        #expect(Axis(covering: [0.1, 0.7], maxTicks: 7).ticks == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    }

    @Test func unusableValuesAreIgnored() {
        #expect(Axis(covering: [.nan, 2, .infinity, 9]).ticks == [2, 4, 6, 8, 10])
        #expect(Axis(covering: []).ticks.first == 0 && Axis(covering: []).ticks.last == 1)
        #expect(Axis(covering: [-1, 0, 0.05, 20], scale: .log).ticks == [0.01, 0.1, 1, 10, 100])
    }

    @Test func logTicksArePowersOfTen() {
        let axis = Axis(covering: [0.002, 30], scale: .log)
        #expect(axis.ticks == [0.001, 0.01, 0.1, 1, 10, 100])
        #expect(axis.labels == ["0.001", "0.01", "0.1", "1", "10", "100"])
        #expect(abs(axis.fraction(of: 0.1) - 0.4) < 1e-12)

        let manyDecades = Axis(covering: [3e-9, 0.5], scale: .log, maxTicks: 6)
        #expect(manyDecades.ticks == [1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1])
        #expect(manyDecades.labels.first == "1e-10")

        let oneDecade = Axis(covering: [0.25, 0.9], scale: .log)
        #expect(oneDecade.ticks == [0.2, 0.5, 1])
    }
}
