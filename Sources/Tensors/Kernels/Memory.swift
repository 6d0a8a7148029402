// How freed tensor storage goes back to the system. glibc serves blocks above 128 KB with fresh
// mmap pages and returns them on free, and trims the heap when 128 KB lie free at its top; a
// training step allocates and frees activations of megabytes every op, so every step paid page
// faults and page zeroing again (measured: a quarter of a PixelCNN step). Blocks up to 32 MB now
// come from the heap, and up to 128 MB of free space stays there for the next step, much as the
// caching allocators of other libraries keep it. (A step of chapter 3's gated PixelCNN on MNIST
// frees more than 32 MB of activations; kept at 32 MB, they went back to the system and came
// back as page faults every step: 52.5 ms a step against 39.9 with 128 MB kept, `bench --only
// gated`.) Memory still goes back when a run frees more: resident memory stays flat over a long
// training run (the bench's `memory` workload).

#if canImport(Glibc)
    import Glibc
#endif

enum AllocatorTuning {
    /// Touched by the allocation helpers; the settings are applied once per process.
    static let applied: Bool = {
        #if canImport(Glibc)
            // mallopt is declared in <malloc.h>, which the Glibc module does not export; it is looked
            // up by name. The parameter numbers are glibc's M_TRIM_THRESHOLD (-1), M_MMAP_THRESHOLD (-3).
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
                let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
                _ = mallopt(-3, 32 << 20)
                _ = mallopt(-1, 128 << 20)
            }
        #endif
        return true
    }()
}
