// The lines each section prints beside its reports: headings, and the per-step tables of the
// runs. main.swift reports the numbers; these functions only show how the runs got there.

import Foundation
import Models
import Tensors
import Workbook

/// Section 1's heading: how long D trained alone, and how much of each density the grid holds.
func printOptimalDiscriminatorHeading(line: LineSetting, pFixed: [Double], steps: Int, seconds: Double) {
    print("\n1. Optimal discriminator (G fixed; D trained alone for \(steps) steps in \(fmt(seconds, 1)) s)")
    print(
        "   mass on the grid: p_data \(fmt(line.grid.integrate(line.pData), 9)), p_g \(fmt(line.grid.integrate(pFixed), 9))"
    )
}

/// Section 1: the largest difference between C(t) and 2 JSD - 2 log 2 over all the shifts.
func printIdentityAcrossShifts(criterion: [Double], criterionByJSD: [Double]) {
    let worstIdentityGap = zip(criterion, criterionByJSD).map { abs($0 - $1) }.max()!
    print(
        "   largest |V(D*, G_t) - (2 JSD - 2 log 2)| over the \(criterion.count) shifts: \(String(format: "%.1e", worstIdentityGap))"
    )
}

/// Section 2's heading and the main run at its snapshots: JSD and D's distance to D*.
func printLineGANTable(_ run: LineGANRun, setting: String, steps: Int) {
    print("\n2. 1-D GAN, \(setting): \(steps) generator steps (\(fmt(run.seconds, 1)) s)")
    print("   step   JSD(p_data||p_g)   max |D - D*|   mean |D - D*|")
    for s in run.snapshots {
        print(String(format: "   %5d   %15.4f   %12.3f   %13.4f", s.step, s.jsd, s.gap.max, s.gap.mean))
    }
}

/// Section 3's heading and the two generator objectives, with |d loss / d logit|, at a few
/// values of D(G(z)).
func printObjectiveTable(
    dValues: [Double], minimax: (loss: [Double], slope: [Double]), nonSaturating: (loss: [Double], slope: [Double])
) {
    print("\n3. Generator objectives as functions of D(G(z)): |d loss / d logit|")
    print("   D(G(z))   minimax log(1-D)  |grad|   non-saturating -log D  |grad|")
    for target in [0.001, 0.01, 0.1, 0.5, 0.9, 0.999] {
        let i = dValues.indices.min { abs(dValues[$0] - target) < abs(dValues[$1] - target) }!
        print(
            String(
                format: "   %8.3f   %16.4f  %6.3f   %21.4f  %6.3f", dValues[i], minimax.loss[i], minimax.slope[i],
                nonSaturating.loss[i], nonSaturating.slope[i]))
    }
}

/// Section 3: where the early-training runs start (the mean of p_g, its JSD, D(G(z))).
func printEarlyTrainingHeading(line: LineSetting, pStart: [Double], startDofG: Double, steps: Int) {
    print(
        "\n   Early training from one start (mean of p_g at \(fmt(line.mean(pStart), 2)), JSD \(fmt(line.jensenShannon(pStart), 3)), D(G(z)) \(fmt(startDofG, 5))), \(steps) steps with k = 1:"
    )
}

/// Section 4's heading.
func printRingHeading(standardDeviation: Double) {
    print(
        "\n4. Ring of 8 Gaussians (std \(standardDeviation)): modes covered (>= 1/32 of 4000 samples within 3 std), off-mode share, modes reached"
    )
}

/// Section 4: a ring run's coverage at every snapshot before the last (the last is reported).
func printRingSnapshots(_ run: RingRun) {
    print("   \(run.name) (\(fmt(run.seconds, 1)) s)")
    for snap in run.snapshots.dropLast() {
        print(
            String(
                format: "     step %5d: covered %d/8, off-mode %.3f, reached %d/8", snap.step,
                snap.coverage.modesCovered, snap.coverage.offModeShare, snap.coverage.modesReached))
    }
}

/// Section 5's heading: how long the digits GAN trained, in steps of 64 images and in epochs.
func printDigitsHeading(steps: Int, trainingImages: Int, seconds: Double) {
    let epochs = Double(steps * 64) / Double(trainingImages)
    print(
        "\n5. MNIST-5k GAN: \(steps) steps (\(fmt(epochs, 1)) epochs) in \(fmt(seconds, 1)) s; means over the last 10% of steps:"
    )
}

/// Section 5: the Parzen window's samples, the widths sigma was chosen from, and the time taken.
func printParzenHeading(samples: Int, widths: [Double], seconds: Double) {
    print(
        "   Parzen window on \(samples) samples (sigma chosen on validation from \(widths.map { fmt($0, 2) }.joined(separator: ", ")); \(fmt(seconds, 1)) s):"
    )
}

/// Section 6's heading: the game, its steps, and the starting distance to the equilibrium.
func printGameHeading(steps: Int, eta: Double, startDistance: Double) {
    print(
        "\n6. min_x max_y x y from (1, 1), \(steps) steps of size \(eta): distance to the equilibrium (0, 0), from \(fmt(startDistance, 3))"
    )
}
