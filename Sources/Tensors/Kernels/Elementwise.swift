// Elementwise inner loops. Each loop is a plain indexed loop over contiguous memory, with the
// choice of operation made once outside it (never a closure call per element), so the compiler
// can vectorise it. Kernels are generic and pre-specialised for Float and Double.

/// The one-input elementwise functions. Parameters ride along in the case.
enum UnaryKernel<S: TensorScalar> {
    case negate, exp, log, log1p, sqrt, tanh, sigmoid, relu, abs, sign, square
    /// 1 where x > 0, else 0 (the derivative of relu).
    case step
    case pow(S)
    case leakyRelu(S)
    case clamp(S, S)
    /// 1 where low <= x <= high, else 0 (the derivative of clamp).
    case inside(S, S)
    case addScalar(S)
    case mulScalar(S)
}

// y[i] = f(x[i]) for i in 0..<n. Double runs the scalar loops, the reference; Float runs eight lanes
// at a time (VectorMath.swift), split over threads when the tensor is large.
@_specialize(where S == Float)
@_specialize(where S == Double)
func unaryKernel<S: TensorScalar>(_ op: UnaryKernel<S>, _ x: [S]) -> [S] {
    let n = x.count
    return [S](unsafeUninitializedCapacity: n) { y, count in
        x.withUnsafeBufferPointer { x in
            guard S.self == Float.self, n > 0 else {
                switch op {
                case .negate: for i in 0..<n { y[i] = -x[i] }
                case .exp: for i in 0..<n { y[i] = S.exp(x[i]) }
                case .log: for i in 0..<n { y[i] = S.log(x[i]) }
                case .log1p: for i in 0..<n { y[i] = S.log1p(x[i]) }
                case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
                case .tanh: for i in 0..<n { y[i] = S.tanh(x[i]) }
                case .sigmoid: for i in 0..<n { y[i] = scalarSigmoid(x[i]) }
                case .relu: for i in 0..<n { y[i] = x[i] > 0 ? x[i] : 0 }
                case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
                case .sign: for i in 0..<n { y[i] = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0) }
                case .square: for i in 0..<n { y[i] = x[i] * x[i] }
                case .step: for i in 0..<n { y[i] = x[i] > 0 ? 1 : 0 }
                case .pow(let p): for i in 0..<n { y[i] = S.pow(x[i], p) }
                case .leakyRelu(let slope): for i in 0..<n { y[i] = x[i] > 0 ? x[i] : slope * x[i] }
                case .clamp(let lo, let hi): for i in 0..<n { y[i] = Swift.min(Swift.max(x[i], lo), hi) }
                case .inside(let lo, let hi): for i in 0..<n { y[i] = x[i] >= lo && x[i] <= hi ? 1 : 0 }
                case .addScalar(let c): for i in 0..<n { y[i] = x[i] + c }
                case .mulScalar(let c): for i in 0..<n { y[i] = x[i] * c }
                }
                return
            }
            // Float: eight lanes at a time (unaryFloat below), split over threads when n is large.
            let floatOp = unsafeBitCast(op, to: UnaryKernel<Float>.self)
            let xf = UnsafeRawPointer(x.baseAddress!).assumingMemoryBound(to: Float.self)
            let yf = UnsafeMutableRawPointer(y.baseAddress!).assumingMemoryBound(to: Float.self)
            parallelChunks(n) { r in unaryFloat(floatOp, r.count, xf + r.lowerBound, yf + r.lowerBound) }
        }
        count = n
    }
}

/// 1 / (1 + e^-v), written so that exp never overflows: for v < 0, e^v / (1 + e^v). The scalar
/// (Double) sigmoid of unaryKernel and of the fused gate.
@inline(__always)
func scalarSigmoid<S: TensorScalar>(_ v: S) -> S {
    if v >= 0 { return 1 / (1 + S.exp(-v)) }
    let e = S.exp(v)
    return e / (1 + e)
}

// The Float loops of unaryKernel, same results as the scalar ones above (to within the ulps of
// VectorMath for exp, log, log1p, tanh and sigmoid).
func unaryFloat(_ op: UnaryKernel<Float>, _ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let zero = Float8()
    let one = Float8(repeating: 1)
    switch op {
    case .negate: map8(n, x, y) { -$0 }
    case .exp: map8(n, x, y) { VectorMath.exp($0) }
    case .log: map8(n, x, y) { VectorMath.log($0) }
    case .log1p: map8(n, x, y) { VectorMath.log1p($0) }
    case .sqrt: map8(n, x, y) { VectorMath.squareRoot($0) }
    case .tanh: map8(n, x, y) { VectorMath.tanh($0) }
    case .sigmoid: map8(n, x, y) { VectorMath.sigmoid($0) }
    case .relu: map8(n, x, y) { zero.replacing(with: $0, where: $0 .> zero) }
    case .abs: map8(n, x, y) { VectorMath.abs($0) }
    case .sign: map8(n, x, y) { zero.replacing(with: one, where: $0 .> zero).replacing(with: -one, where: $0 .< zero) }
    case .square: map8(n, x, y) { $0 * $0 }
    case .step: map8(n, x, y) { zero.replacing(with: one, where: $0 .> zero) }
    case .pow(let p): for i in 0..<n { y[i] = Float.pow(x[i], p) }
    case .leakyRelu(let slope): map8(n, x, y) { ($0 * slope).replacing(with: $0, where: $0 .> zero) }
    case .clamp(let lo, let hi):
        map8(n, x, y) { VectorMath.minimum(VectorMath.maximum($0, Float8(repeating: lo)), Float8(repeating: hi)) }
    case .inside(let lo, let hi):
        map8(n, x, y) { zero.replacing(with: one, where: $0 .>= Float8(repeating: lo) .& $0 .<= Float8(repeating: hi)) }
    case .addScalar(let c): map8(n, x, y) { $0 + c }
    case .mulScalar(let c): map8(n, x, y) { $0 * c }
    }
}

enum BinaryKernel {
    case add, subtract, multiply, divide, maximum, minimum
    // The backward rules of the activations, fused: one pass over (g, a) instead of three or four.
    /// g (1 - a^2), with a = tanh(x): the gradient g passed back through tanh.
    case tanhGradient
    /// g a (1 - a), with a = sigmoid(x): through sigmoid.
    case sigmoidGradient
    /// g where a > 0, slope g elsewhere, with a = x: through relu (slope 0) and leakyRelu.
    case reluGradient(slope: Double)
}

/// The shape two operands broadcast to under numpy's rules: align shapes at the right; along each
/// axis the sizes must be equal or one of them 1 (or missing).
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Strides of `shape` read as `outShape` under broadcasting (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let own = Tensor<Float>.strides(of: shape)
    let lead = outShape.count - shape.count
    return (0..<outShape.count).map { i in i < lead || shape[i - lead] == 1 ? 0 : own[i - lead] }
}

@inline(__always)
func apply<S: TensorScalar>(_ op: BinaryKernel, _ a: S, _ b: S) -> S {
    switch op {
    case .add: return a + b
    case .subtract: return a - b
    case .multiply: return a * b
    case .divide: return a / b
    case .maximum: return Swift.max(a, b)
    case .minimum: return Swift.min(a, b)
    case .tanhGradient: return a * (1 - b * b)
    case .sigmoidGradient: return a * b * (1 - b)
    case .reluGradient(let slope): return b > 0 ? a : S(slope) * a
    }
}

// out[i...] = a[i...] op b[i...] with a (shape sa) and b (shape sb) broadcast to outShape.
// Fast paths for equal shapes and a scalar operand; otherwise an odometer over the outer axes with
// a strided inner loop.
@_specialize(where S == Float)
@_specialize(where S == Double)
func binaryKernel<S: TensorScalar>(
    _ op: BinaryKernel, _ a: [S], _ sa: [Int], _ b: [S], _ sb: [Int]
) -> (shape: [Int], scalars: [S]) {
    let shape = sa == sb ? sa : broadcastShape(sa, sb)
    let n = shape.reduce(1, *)
    let out = [S](unsafeUninitializedCapacity: n) { y, count in
        count = n
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                if a.count == n && b.count == n {
                    binaryLoop(op, n, a.baseAddress!, 1, b.baseAddress!, 1, y.baseAddress!)
                } else if b.count == 1 && a.count == n {
                    binaryLoop(op, n, a.baseAddress!, 1, b.baseAddress!, 0, y.baseAddress!)
                } else if a.count == 1 && b.count == n {
                    binaryLoop(op, n, a.baseAddress!, 0, b.baseAddress!, 1, y.baseAddress!)
                } else if n > 0 {
                    let stA = broadcastStrides(sa, to: shape)
                    let stB = broadcastStrides(sb, to: shape)
                    let rank = shape.count
                    let inner = shape[rank - 1]
                    var index = [Int](repeating: 0, count: rank)
                    var offA = 0
                    var offB = 0
                    var offY = 0
                    while offY < n {
                        binaryLoop(
                            op, inner, a.baseAddress! + offA, stA[rank - 1], b.baseAddress! + offB,
                            stB[rank - 1], y.baseAddress! + offY)
                        offY += inner
                        // Advance the odometer over the outer axes.
                        var axis = rank - 2
                        while axis >= 0 {
                            index[axis] += 1
                            offA += stA[axis]
                            offB += stB[axis]
                            if index[axis] < shape[axis] { break }
                            offA -= stA[axis] * shape[axis]
                            offB -= stB[axis] * shape[axis]
                            index[axis] = 0
                            axis -= 1
                        }
                    }
                }
            }
        }
    }
    return (shape, out)
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func binaryLoop<S: TensorScalar>(
    _ op: BinaryKernel, _ n: Int, _ a: UnsafePointer<S>, _ ia: Int, _ b: UnsafePointer<S>, _ ib: Int,
    _ y: UnsafeMutablePointer<S>
) {
    guard S.self == Float.self, (ia == 1 && ib <= 1) || (ia == 0 && ib == 1) else {
        // One loop per operation and stride pattern, so each is a simple vectorisable loop.
        switch (op, ia, ib) {
        case (.add, 1, 1): for i in 0..<n { y[i] = a[i] + b[i] }
        case (.subtract, 1, 1): for i in 0..<n { y[i] = a[i] - b[i] }
        case (.multiply, 1, 1): for i in 0..<n { y[i] = a[i] * b[i] }
        case (.divide, 1, 1): for i in 0..<n { y[i] = a[i] / b[i] }
        case (.add, 1, 0):
            let c = b[0]
            for i in 0..<n { y[i] = a[i] + c }
        case (.subtract, 1, 0):
            let c = b[0]
            for i in 0..<n { y[i] = a[i] - c }
        case (.multiply, 1, 0):
            let c = b[0]
            for i in 0..<n { y[i] = a[i] * c }
        case (.divide, 1, 0):
            let c = b[0]
            for i in 0..<n { y[i] = a[i] / c }
        default: for i in 0..<n { y[i] = apply(op, a[i * ia], b[i * ib]) }
        }
        return
    }
    // Float with contiguous operands (or a single value): eight lanes at a time (binaryFloat below).
    let af = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self)
    let bf = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self)
    let yf = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
    parallelChunks(n) { r in
        binaryFloat(op, r.count, af + r.lowerBound * ia, ia, bf + r.lowerBound * ib, ib, yf + r.lowerBound)
    }
}

// The Float loops of binaryLoop for contiguous operands, one of which may be a single value
// (stride 0), eight lanes at a time.
func binaryFloat(
    _ op: BinaryKernel, _ n: Int, _ a: UnsafePointer<Float>, _ ia: Int, _ b: UnsafePointer<Float>, _ ib: Int,
    _ y: UnsafeMutablePointer<Float>
) {
    @inline(__always) func run(_ f: (Float8, Float8) -> Float8) {
        if ia == 1 && ib == 1 {
            zip8(n, a, b, y, f)
        } else if ia == 1 {
            let c = Float8(repeating: b[0])
            map8(n, a, y) { f($0, c) }
        } else {
            let c = Float8(repeating: a[0])
            map8(n, b, y) { f(c, $0) }
        }
    }
    switch op {
    case .add: run { $0 + $1 }
    case .subtract: run { $0 - $1 }
    case .multiply: run { $0 * $1 }
    case .divide: run { $0 / $1 }
    case .maximum: run { $0.replacing(with: $1, where: $1 .> $0) }
    case .minimum: run { $0.replacing(with: $1, where: $1 .< $0) }
    case .tanhGradient: run { $0 * (1 - $1 * $1) }
    case .sigmoidGradient: run { $0 * $1 * (1 - $1) }
    case .reluGradient(let slope):
        let s = Float(slope)
        run { ($0 * s).replacing(with: $0, where: $1 .> Float8()) }
    }
}
