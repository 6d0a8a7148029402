import Foundation

/// One measured workload: the median over timed samples, taken after warm-up. A sample is the
/// mean over an inner loop calibrated to last at least `minSample` seconds, exactly as
/// `../shared/bench/peers.py` measures, so the two sets of figures compare.
struct Measurement {
    let section: String
    let name: String
    /// Milliseconds per call: median, fastest and slowest sample.
    let ms: Double, msMin: Double, msMax: Double
    /// Floating-point operations per call, where that is meaningful.
    let flops: Double?
    /// The key of the `peers.py` record this compares with (section, name, implementation).
    let peer: PeerKey?

    var gflopsPerSecond: Double? { flops.map { $0 / (ms * 1e-3) / 1e9 } }
}

struct TimingOptions {
    var samples = 7
    var warmup = 3
    var minSample = 0.25
}

/// Seconds on a monotonic clock.
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

/// Median, minimum and maximum milliseconds per call of `body`.
func time(_ options: TimingOptions, _ body: () -> Void) -> (median: Double, min: Double, max: Double) {
    for _ in 0..<options.warmup { body() }
    // Calibrate the inner loop so that one sample lasts at least minSample seconds.
    var n = 1
    while true {
        let t0 = now()
        for _ in 0..<n { body() }
        let dt = now() - t0
        if dt >= options.minSample || n >= 1 << 20 { break }
        n = max(n * 2, Int(Double(n) * options.minSample / max(dt, 1e-9) * 1.1))
    }
    var samples: [Double] = []
    for _ in 0..<options.samples {
        let t0 = now()
        for _ in 0..<n { body() }
        samples.append((now() - t0) / Double(n) * 1e3)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[0], samples[samples.count - 1])
}

/// Resident memory of this process in megabytes, from /proc/self/statm (second field, in pages).
func residentMegabytes() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}
