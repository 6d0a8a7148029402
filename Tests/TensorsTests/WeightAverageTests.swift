import Testing

@testable import Tensors

/// Polyak averaging against its closed form. The class folds the weights in step by step,
/// a_t = d_t a_{t-1} + (1 - d_t) w_t; unrolled, the average after T steps is
///
///     a_T = (prod_{t=1..T} d_t) w_0 + sum_{t=1..T} (1 - d_t) (prod_{s=t+1..T} d_s) w_t,
///
/// a weighted sum of the whole trajectory, computed here directly from the stored trajectory.
@Suite("Weight averaging (Polyak)")
struct WeightAverageTests {
    static func ramp(_ t: Int, decay: Double) -> Double { min(decay, Double(1 + t) / Double(10 + t)) }

    /// The closed form above, per element, for a trajectory w_0 ... w_T.
    static func closedForm(_ trajectory: [[Double]], decay: Double) -> [Double] {
        let steps = trajectory.count - 1
        return (0..<trajectory[0].count).map { j in
            (0...steps).reduce(0.0) { total, t in
                let later = t < steps ? (t + 1...steps).reduce(1.0) { $0 * ramp($1, decay: decay) } : 1
                let own = t == 0 ? 1 : 1 - ramp(t, decay: decay)
                return total + own * later * trajectory[t][j]
            }
        }
    }

    /// A random walk of two parameters (shapes [2, 3] and [4]) for `steps` steps, averaged; returns
    /// the trajectory (both parameters flattened into one vector) and the class's averages.
    static func walk(steps: Int, decay: Double, skipping skipped: Int? = nil) -> (
        trajectory: [[Double]], averages: [Double]
    ) {
        var rng = Random(seed: 11)
        let parameters = [
            Parameter(randomTensor([2, 3], seed: 1)), Parameter(randomTensor([4], seed: 2)),
        ]
        let average = WeightAverage(parameters, decay: decay)
        var trajectory = [parameters.flatMap(\.value.scalars)]
        for t in 1...steps {
            for p in parameters {
                p.value = Tensor(shape: p.shape, scalars: p.value.scalars.map { $0 + rng.normal() })
            }
            trajectory.append(parameters.flatMap(\.value.scalars))
            if t != skipped { average.update(parameters) }
        }
        return (trajectory, average.averages.flatMap { $0 })
    }

    @Test(arguments: [0.9, 0.999])
    func averageIsTheClosedFormOfTheTrajectory(decay: Double) {
        // 0.9 is reached by the ramp at t = 81; 0.999 never in 120 steps.
        let (trajectory, averages) = Self.walk(steps: 120, decay: decay)
        let expected = Self.closedForm(trajectory, decay: decay)
        let gap = zip(averages, expected).map { abs($0 - $1) }.max()!
        #expect(gap < 1e-12, "largest gap \(gap)")
        // Not simply the last weights.
        #expect(zip(averages, trajectory.last!).map { abs($0 - $1) }.max()! > 0.1)
    }

    /// Negative control: an average that misses one update (step 100 of 120) is off the closed form
    /// by far more than the tolerance the check uses.
    @Test func aMissedUpdateIsCaught() {
        let (trajectory, averages) = Self.walk(steps: 120, decay: 0.999, skipping: 100)
        let expected = Self.closedForm(trajectory, decay: 0.999)
        #expect(zip(averages, expected).map { abs($0 - $1) }.max()! > 1e-3)
    }

    @Test func swapInPutsTheAveragesInAndHandsBackTheWeights() {
        let p = Parameter(Tensor<Double>([1, 2]))
        let average = WeightAverage([p], decay: 0.5)
        p.value = Tensor<Double>([3, 6])
        average.update([p])  // d_1 = min(0.5, 2/11) = 2/11
        let held = average.swapIn([p])
        #expect(held[0].scalars == [3, 6])
        expectClose(p.value.scalars, [(2 * 1 + 9 * 3) / 11.0, (2 * 2 + 9 * 6) / 11.0], tolerance: 1e-15)
    }
}
