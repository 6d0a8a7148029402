// Threads for the kernels. Work is split statically: part t of T always covers the same range,
// so a result is the same bit for bit on every run with the same thread count (no work stealing,
// no reduction whose order depends on timing).

import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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
    if !WorkerPool.shared.run(parts, body) {
        DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }
}

/// A fork-join pool for the short parallel regions of a training step (an LSTM step has a few
/// GEMMs of a tenth of a millisecond each). The parts of a region are claimed one at a time by
/// whichever thread is free, the caller included: part t always computes the same thing, so the
/// result does not depend on which thread ran it, and a worker that is slow to wake (another
/// job on the machine) costs nothing, since the caller takes its parts. A worker that has just
/// finished a region spins for a while before it sleeps, so the next region starts within a
/// microsecond instead of a thread wake-up (tens of microseconds on a VM: what Dispatch's pool
/// pays per region). One region at a time: a caller that finds the pool busy (another task, or a
/// region inside a region) gets `false` and uses Dispatch instead.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: max(ProcessInfo.processInfo.activeProcessorCount - 1, 0))

    private let workerCount: Int
    private let busy = Atomic<Bool>(false)
    /// The current region as (a counter bumped once per region) << 32 | (its parts) << 16 |
    /// (parts handed out so far): one value, so a claim made against an earlier region fails.
    private let claims = Atomic<Int>(0)
    /// Parts of the current region finished.
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    /// The current region's work, written before `claims` moves to the new region (release) and
    /// read after a successful claim (acquire); it is not replaced before every claimed part is
    /// finished.
    private var job: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var started = false

    /// Spins of an idle worker before it sleeps (some tens of microseconds).
    private static let spinLimit = 20_000

    private init(workers: Int) {
        workerCount = workers
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
    }

    private func startWorkers() {
        for w in 0..<workerCount {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.name = "Tensors worker \(w + 1)"
            thread.start()
        }
        started = true
    }

    /// Claims the next part of region `generation`, or nil when there is none left (or the region
    /// is over).
    @inline(__always)
    private func claim(_ generation: Int) -> Int? {
        var word = claims.load(ordering: .acquiring)
        while word >> 32 == generation && word & 0xFFFF < (word >> 16) & 0xFFFF {
            let (exchanged, original) = claims.compareExchange(
                expected: word, desired: word + 1, ordering: .acquiringAndReleasing)
            if exchanged { return word & 0xFFFF }
            word = original
        }
        return nil
    }

    /// Runs the region on the pool, or returns false if the pool cannot take it now.
    func run(_ parts: Int, _ body: (Int) -> Void) -> Bool {
        guard workerCount > 0, parts < 0xFFFF,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        defer { busy.store(false, ordering: .releasing) }
        if !started { startWorkers() }
        withoutActuallyEscaping(body) { body in
            job = body
            finished.store(0, ordering: .relaxed)
            let generation = claims.load(ordering: .relaxed) >> 32 + 1
            claims.store(generation << 32 | parts << 16, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(&mutex)
                pthread_cond_broadcast(&wake)
                pthread_mutex_unlock(&mutex)
            }
            while let t = claim(generation) {
                body(t)
                finished.add(1, ordering: .releasing)
            }
            var spins = 0
            while finished.load(ordering: .acquiring) < parts {
                spins += 1
                if spins > Self.spinLimit { sched_yield() }
            }
            job = nil
        }
        return true
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            var current = claims.load(ordering: .acquiring) >> 32
            while current == seen {
                spins += 1
                if spins >= Self.spinLimit {
                    // Sleep until the next region. The sleeper count is raised before the last
                    // look at the region, so a caller that starts one either sees the sleeper or
                    // is seen.
                    pthread_mutex_lock(&mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while claims.load(ordering: .sequentiallyConsistent) >> 32 == seen {
                        pthread_cond_wait(&wake, &mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(&mutex)
                    spins = 0
                }
                current = claims.load(ordering: .acquiring) >> 32
            }
            seen = current
            while let t = claim(current) {
                job?(t)
                finished.add(1, ordering: .releasing)
            }
        }
    }
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
