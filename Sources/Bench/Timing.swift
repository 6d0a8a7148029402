import Foundation

/// One measured workload: the median over timed samples, taken after warm-up. A sample is the
/// mean over an inner loop calibrated to last at least `minSample` seconds, exactly as
/// `Benchmarks/peers.py` measures, so the two sets of figures compare.
struct Measurement {
    let section: String
    let name: String
    /// Milliseconds per call: median, fastest and slowest sample.
    let ms: Double, msMin: Double, msMax: Double
    /// Processor time (all threads, user + system) per call in the timed samples, in ms: on a
    /// machine shared with other jobs this moves less than the wall-clock time.
    var cpuMs: Double? = nil
    /// Floating-point operations per call, where that is meaningful.
    let flops: Double?
    /// The key of the `Benchmarks/peers.py` record this compares with (section, name, implementation).
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

/// Processor seconds used by this process so far (user + system, all threads).
func processorTime() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + 1e-6 * Double(usage.ru_utime.tv_usec)
    let system = Double(usage.ru_stime.tv_sec) + 1e-6 * Double(usage.ru_stime.tv_usec)
    return user + system
}

/// Median, minimum and maximum milliseconds per call of `body`, and processor ms per call.
func time(_ options: TimingOptions, _ body: () -> Void) -> (median: Double, min: Double, max: Double, cpu: Double) {
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
    let cpu0 = processorTime()
    for _ in 0..<options.samples {
        let t0 = now()
        for _ in 0..<n { body() }
        samples.append((now() - t0) / Double(n) * 1e3)
    }
    let cpu = (processorTime() - cpu0) * 1e3 / Double(n * options.samples)
    samples.sort()
    return (samples[samples.count / 2], samples[0], samples[samples.count - 1], cpu)
}

/// Resident memory of this process in megabytes, from /proc/self/statm (second field, in pages).
func residentMegabytes() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}
