// Array creation for the ops. Ops are generic code that runs unspecialised when called from
// another module, and there `[Scalar](repeating: 0, count: n)` fills the array one element at a
// time through the type's value witness (measured: 10% of a VAE step). These helpers are
// pre-specialised, so the fill is a plain vectorised loop, or is skipped when a kernel is about
// to write every element anyway.

// n copies of value.
@_specialize(where S == Float)
@_specialize(where S == Double)
func filledArray<S: TensorScalar>(_ value: S, count n: Int) -> [S] {
    _ = AllocatorTuning.applied
    return [S](unsafeUninitializedCapacity: n) { y, count in
        if let p = y.baseAddress { for i in 0..<n { p[i] = value } }
        count = n
    }
}

// An array of n elements that `fill` initialises completely (it gets the base address; it must
// write every element: the memory is not zeroed first).
@_specialize(where S == Float)
@_specialize(where S == Double)
func uninitializedArray<S: TensorScalar>(count n: Int, _ fill: (UnsafeMutablePointer<S>) -> Void) -> [S] {
    _ = AllocatorTuning.applied
    return [S](unsafeUninitializedCapacity: n) { y, count in
        if n > 0 { fill(y.baseAddress!) }
        count = n
    }
}

// y += x, elementwise over n elements (the tape's gradient accumulation, done in place).
@_specialize(where S == Float)
@_specialize(where S == Double)
func addInPlace<S: TensorScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, count n: Int) {
    guard S.self == Float.self else {
        for i in 0..<n { y[i] += x[i] }
        return
    }
    // Float: eight lanes at a time, split over threads when n is large.
    let (y, x) = (floats(y), floats(x))
    if n > 0 {
        parallelChunks(n) { r in zip8(r.count, y + r.lowerBound, x + r.lowerBound, y + r.lowerBound) { $0 + $1 } }
    }
}

// Pointers for the kernels. The ops hold arrays, the kernels take pointers; these helpers hand a
// kernel the base addresses of several arrays in one closure, where one
// `withUnsafeBufferPointer` per array would nest a level deeper for each.

/// Calls `body` with the base addresses of `arrays`, in order, valid for the duration of the call.
func withBaseAddresses<T, R>(_ arrays: [T]..., body: ([UnsafePointer<T>]) -> R) -> R {
    var bases: [UnsafePointer<T>] = []
    bases.reserveCapacity(arrays.count)
    func pin(_ i: Int) -> R {
        if i == arrays.count { return body(bases) }
        return arrays[i].withUnsafeBufferPointer { p in
            bases.append(p.baseAddress!)
            return pin(i + 1)
        }
    }
    return pin(0)
}

/// Calls `body` with the base address of `array`, for a kernel that writes it.
func withMutableBaseAddress<T, R>(_ array: inout [T], _ body: (UnsafeMutablePointer<T>) -> R) -> R {
    array.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

/// n zeroed elements of working memory for a kernel, released by the caller with `deallocate()`
/// (a `defer` right after the allocation).
func workspace<S: TensorScalar>(zeros n: Int) -> UnsafeMutablePointer<S> {
    let p = UnsafeMutablePointer<S>.allocate(capacity: Swift.max(n, 1))
    p.initialize(repeating: 0, count: n)
    return p
}
