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
    if S.self == Float.self {
        let (y, x) = (floats(y), floats(x))
        if n > 0 { parallelChunks(n) { r in zip8(r.count, y + r.lowerBound, x + r.lowerBound, y + r.lowerBound) { $0 + $1 } } }
        return
    }
    for i in 0..<n { y[i] += x[i] }
}
