// The machine's arithmetic ceiling, measured in the same run as the workloads: a loop of fused
// multiply-adds on eight-lane registers that never touches memory, on one thread and on N. No
// kernel can do more floating-point work per second than this loop on the same cores, so a
// workload's GFLOP/s divided by it says how far the workload is from what the cores can do.

import Foundation
import Tensors

/// GFLOP/s of the register-only FMA loop on one thread and on `threads` threads (best of a few
/// runs: the ceiling is what the cores can do, so the least disturbed run is the one to keep).
///
/// On a machine shared with other jobs the wall-clock ceiling drops with the share of the cores this
/// process gets. `perCPUSecond` divides the same loop's work by the processor time it used instead
/// (one thread): what one core does per second it actually runs, which other jobs disturb far
/// less. A workload's GFLOP per processor second over it is the load-independent fraction.
struct Ceiling {
    let oneThread: Double
    let threads: Int
    let allThreads: Double
    let perCPUSecond: Double

    static func measure(threads: Int, seconds: Double = 0.2, runs: Int = 3) -> Ceiling {
        let one = (0..<runs).map { _ in rate(threads: 1, seconds: seconds) }
        let all = (0..<runs).map { _ in rate(threads: threads, seconds: seconds) }
        return Ceiling(
            oneThread: one.map(\.wall).max()!, threads: threads, allThreads: all.map(\.wall).max()!,
            perCPUSecond: one.map(\.cpu).max()!)
    }

    /// The better of two measurements (say, one at the start of a run and one at its end).
    func best(_ other: Ceiling) -> Ceiling {
        Ceiling(
            oneThread: max(oneThread, other.oneThread), threads: threads, allThreads: max(allThreads, other.allThreads),
            perCPUSecond: max(perCPUSecond, other.perCPUSecond))
    }

    /// GFLOP/s of `threads` threads each running `fmaLoop` for about `seconds`: per second of wall
    /// clock, and per second of processor time.
    private static func rate(threads: Int, seconds: Double) -> (wall: Double, cpu: Double) {
        // Calibrate on one thread: iterations for about `seconds`.
        var iterations = 1 << 16
        while true {
            let t0 = now()
            sink += fmaLoop(iterations)
            if now() - t0 >= seconds / 4 { break }
            iterations *= 2
        }
        iterations *= 4
        let results = UnsafeMutableBufferPointer<Float>.allocate(capacity: threads)
        defer { results.deallocate() }
        let (t0, cpu0) = (now(), processorTime())
        DispatchQueue.concurrentPerform(iterations: threads) { t in results[t] = fmaLoop(iterations) }
        let (elapsed, cpu) = (now() - t0, processorTime() - cpu0)
        sink += results.reduce(0, +)
        let gflop = Double(threads) * Double(iterations) * flopsPerIteration / 1e9
        return (gflop / elapsed, gflop / cpu)
    }

    /// Twelve independent 8-lane accumulators, one multiply-add each per iteration.
    static let flopsPerIteration = 12.0 * 8 * 2

    /// c = c * m + k on twelve registers, `iterations` times: enough independent chains to keep two
    /// FMA pipes busy through the instruction's latency (4-5 cycles), and a fixed point k / (1 - m)
    /// so the values neither overflow nor become subnormal.
    @inline(never)
    static func fmaLoop(_ iterations: Int) -> Float {
        let m = SIMD8<Float>(repeating: 0.999_9)
        let k = SIMD8<Float>(repeating: Float(iterations & 1) + 1e-3)
        var c0 = SIMD8<Float>(repeating: 1)
        var c1 = c0 + 1
        var c2 = c0 + 2
        var c3 = c0 + 3
        var c4 = c0 + 4
        var c5 = c0 + 5
        var c6 = c0 + 6
        var c7 = c0 + 7
        var c8 = c0 + 8
        var c9 = c0 + 9
        var c10 = c0 + 10
        var c11 = c0 + 11
        for _ in 0..<iterations {
            c0 = k.addingProduct(c0, m)
            c1 = k.addingProduct(c1, m)
            c2 = k.addingProduct(c2, m)
            c3 = k.addingProduct(c3, m)
            c4 = k.addingProduct(c4, m)
            c5 = k.addingProduct(c5, m)
            c6 = k.addingProduct(c6, m)
            c7 = k.addingProduct(c7, m)
            c8 = k.addingProduct(c8, m)
            c9 = k.addingProduct(c9, m)
            c10 = k.addingProduct(c10, m)
            c11 = k.addingProduct(c11, m)
        }
        let s = (c0 + c1 + c2 + c3) + (c4 + c5 + c6 + c7) + (c8 + c9 + c10 + c11)
        return s.sum()
    }
}
