import Foundation
import Tensors

/// How well 2-D samples cover the modes of a mixture with known centres (the ring of 8
/// Gaussians, say), by the usual counts of the mode-collapse literature (Metz et al., 2017;
/// Srivastava et al., 2017):
///
/// - a sample is *on* mode k when it lies within `radius` (3 standard deviations of the data's
///   components) of centre k; otherwise it is *off-mode* (a sample between modes, say);
/// - mode k is *covered* when it holds at least `minimumShare` of all samples (1/32 by default:
///   a quarter of its fair share 1/8 on the ring of 8).
///
/// A generator that spreads mass between the modes covers them all but has a large off-mode
/// share. One whose samples are all off-mode covers none, which alone does not say whether it
/// collapsed; so each sample is also assigned to its *nearest* centre, however far, and a mode is
/// *reached* when it is the nearest for at least `minimumShare` of the samples. A collapsed
/// generator reaches 1 or 2 modes.
public struct ModeCoverage: Sendable {
    /// On-mode samples per mode.
    public let samplesPerMode: [Int]
    /// Samples per nearest mode (all samples, whatever their distance).
    public let samplesNearestToMode: [Int]
    /// Samples farther than `radius` from every centre.
    public let offMode: Int
    public let total: Int
    public let minimumShare: Double

    public init(samples: Tensor<Float>, centres: [SIMD2<Double>], radius: Double, minimumShare: Double = 1.0 / 32) {
        precondition(
            samples.rank == 2 && samples.shape[1] == 2,
            "mode coverage needs samples of shape [N, 2], got \(samples.shape)")
        var perMode = [Int](repeating: 0, count: centres.count)
        var nearest = [Int](repeating: 0, count: centres.count)
        var off = 0
        for n in 0..<samples.shape[0] {
            let p = SIMD2(Double(samples.scalars[2 * n]), Double(samples.scalars[2 * n + 1]))
            let squaredDistances = centres.map { ((p - $0) * (p - $0)).sum() }
            let k = squaredDistances.indices.min { squaredDistances[$0] < squaredDistances[$1] }!
            nearest[k] += 1
            if squaredDistances[k] <= radius * radius { perMode[k] += 1 } else { off += 1 }
        }
        samplesPerMode = perMode
        samplesNearestToMode = nearest
        offMode = off
        total = samples.shape[0]
        self.minimumShare = minimumShare
    }

    /// Modes holding at least `minimumShare` of the samples.
    public var modesCovered: Int {
        samplesPerMode.filter { Double($0) >= minimumShare * Double(total) }.count
    }

    /// Modes that are the nearest for at least `minimumShare` of the samples.
    public var modesReached: Int {
        samplesNearestToMode.filter { Double($0) >= minimumShare * Double(total) }.count
    }

    /// The fraction of samples on no mode.
    public var offModeShare: Double { Double(offMode) / Double(Swift.max(total, 1)) }
}
