// Threads for the kernels. Work is split statically: part t of T always covers the same range,
// so a result is the same bit for bit on every run with the same thread count (no work stealing,
// no reduction whose order depends on timing).

import Dispatch
import Foundation

/// How many threads the kernels may use. Set once at start-up (the bench's `--threads`); the
/// default is the number of active cores. Results are reproducible for a given count.
public enum Parallelism {
    nonisolated(unsafe) private static var requested = ProcessInfo.processInfo.activeProcessorCount

    public static var threadCount: Int {
        get { requested }
        set {
            precondition(newValue >= 1, "Parallelism.threadCount must be at least 1, got \(newValue)")
            requested = newValue
        }
    }
}

/// Runs `body(t)` for t in 0..<parts, on up to `parts` threads (the caller's thread is one of
/// them); returns when all are done. One part runs inline, without touching a thread pool.
@inline(__always)
func parallelFor(_ parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 {
        if parts == 1 { body(0) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: parts, execute: body)
}

/// The t-th of `parts` contiguous, nearly equal pieces of 0..<count.
@inline(__always)
func share(_ t: Int, of parts: Int, _ count: Int) -> Range<Int> {
    (t * count / parts)..<((t + 1) * count / parts)
}

/// Runs `body` over 0..<n in contiguous chunks: the whole range on this thread when n is small,
/// else one chunk per thread of at least `minimumPerThread` elements. For elementwise loops,
/// where each element's result does not depend on where a chunk starts.
@inline(__always)
func parallelChunks(_ n: Int, minimumPerThread: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let parts = min(Parallelism.threadCount, n / minimumPerThread)
    if parts <= 1 {
        body(0..<n)
        return
    }
    parallelFor(parts) { t in body(share(t, of: parts, n)) }
}
