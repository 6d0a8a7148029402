// 2-D convolution of a whole batch, NCHW: im2col + GEMM per image, images split over threads.
//
//   input x (N, C, H, W); weight W' (O, C*T) packed from (O, C, KH, KW) over the T active taps;
//   output y (N, O, OH, OW).
//
// A tap (ki, kj) is active unless the mask is zero there for every (out, in) channel pair. A
// PixelCNN mask zeroes whole taps (a 3x3 mask B keeps 5 of 9, a 7x7 mask A 24 of 49), so the
// columns matrix of an image only gets rows for active taps: (C*T, OH*OW) instead of
// (C*KH*KW, OH*OW), and the GEMMs shrink by the same factor. With no mask, T = KH*KW and this is
// the ordinary im2col.
//
// Per image n (threads take contiguous runs of images; each has its own scratch):
//   forward   cols = im2col(x_n);  y_n (O, OH*OW) = bias + W' . cols
//   backward  dW' += g_n . cols^T (into the thread's own partial sum);  dcols = W'^T . g_n;
//             dx_n = col2im(dcols).
// The partial dW' of the threads are added in thread order, so the result is the same for a given
// thread count.

/// The active taps of a kernel, as offsets ki * KW + kj, in raster order.
struct ConvTaps: Equatable {
    let offsets: [Int]
    var count: Int { offsets.count }

    static func all(_ g: ConvGeometry) -> ConvTaps { ConvTaps(offsets: Array(0..<(g.kernelHeight * g.kernelWidth))) }
}

// cols (C*T, OH*OW): row (c, t) holds x[c, oh*s - p + ki, ow*s - p + kj] for tap t = (ki, kj),
// zero outside the image. For T = all taps this is exactly `im2col`.
@_specialize(where S == Float)
@_specialize(where S == Double)
func im2col<S: TensorScalar>(_ g: ConvGeometry, taps: ConvTaps, _ x: UnsafePointer<S>, _ cols: UnsafeMutablePointer<S>) {
    let (oh, ow, plane) = (g.outHeight, g.outWidth, g.outHeight * g.outWidth)
    for c in 0..<g.channels {
        let image = x + c * g.height * g.width
        for (t, offset) in taps.offsets.enumerated() {
            let (ki, kj) = (offset / g.kernelWidth, offset % g.kernelWidth)
            let row = cols + (c * taps.count + t) * plane
            // Output columns whose input column lies inside the image (for stride 1, one run).
            let first = max(0, (g.padding - kj + g.stride - 1) / g.stride)
            let last = min(ow, (g.width + g.padding - kj + g.stride - 1) / g.stride)
            for y in 0..<oh {
                let dst = row + y * ow
                let ih = y * g.stride - g.padding + ki
                if ih < 0 || ih >= g.height || first >= last {
                    dst.update(repeating: 0, count: ow)
                    continue
                }
                let src = image + ih * g.width - g.padding + kj
                if first > 0 { dst.update(repeating: 0, count: first) }
                if g.stride == 1 {
                    copyShort(src + first, dst + first, last - first)
                } else {
                    for x in first..<last { dst[x] = src[x * g.stride] }
                }
                if last < ow { (dst + last).update(repeating: 0, count: ow - last) }
            }
        }
    }
}

// The adjoint of im2col(taps:): every column entry is added onto the pixel it was read from.
@_specialize(where S == Float)
@_specialize(where S == Double)
func col2im<S: TensorScalar>(_ g: ConvGeometry, taps: ConvTaps, _ cols: UnsafePointer<S>, _ x: UnsafeMutablePointer<S>) {
    let (oh, ow, plane) = (g.outHeight, g.outWidth, g.outHeight * g.outWidth)
    for c in 0..<g.channels {
        let image = x + c * g.height * g.width
        for (t, offset) in taps.offsets.enumerated() {
            let (ki, kj) = (offset / g.kernelWidth, offset % g.kernelWidth)
            let row = cols + (c * taps.count + t) * plane
            let first = max(0, (g.padding - kj + g.stride - 1) / g.stride)
            let last = min(ow, (g.width + g.padding - kj + g.stride - 1) / g.stride)
            if first >= last { continue }
            for y in 0..<oh {
                let ih = y * g.stride - g.padding + ki
                if ih < 0 || ih >= g.height { continue }
                let src = row + y * ow
                let dst = image + ih * g.width - g.padding + kj
                if g.stride == 1 {
                    for x in first..<last { dst[x] += src[x] }
                } else {
                    for x in first..<last { dst[x * g.stride] += src[x] }
                }
            }
        }
    }
}

// dst[0..<n] = src[0..<n] for the short runs of im2col (a row of an image): inline, eight at a
// time for Float, rather than a call to memmove per run.
@inline(__always)
func copyShort<S: TensorScalar>(_ src: UnsafePointer<S>, _ dst: UnsafeMutablePointer<S>, _ n: Int) {
    var i = 0
    if S.self == Float.self {
        let (s, d) = (floats(src), floats(dst))
        while i + 8 <= n {
            store8(load8(s + i), d + i)
            i += 8
        }
    }
    while i < n {
        dst[i] = src[i]
        i += 1
    }
}

/// Sizes of one batched convolution.
struct ConvProblem {
    var geometry: ConvGeometry
    var taps: ConvTaps
    var batch: Int
    var outChannels: Int

    var inSize: Int { geometry.channels * geometry.height * geometry.width }
    var plane: Int { geometry.outHeight * geometry.outWidth }
    var outSize: Int { outChannels * plane }
    /// C*T: the rows of an image's columns matrix and the columns of W'.
    var depth: Int { geometry.channels * taps.count }
    /// A 1x1 kernel, stride 1, no padding: the columns matrix is the image itself.
    var isPointwise: Bool {
        geometry.kernelHeight == 1 && geometry.kernelWidth == 1 && geometry.stride == 1 && geometry.padding == 0
    }
}

// y (N, O, OH*OW) = bias + W' (O, C*T) . im2col(x_n), every image.
@_specialize(where S == Float)
@_specialize(where S == Double)
func conv2dForward<S: TensorScalar>(
    _ p: ConvProblem, _ x: UnsafePointer<S>, _ weight: UnsafePointer<S>, _ bias: UnsafePointer<S>?,
    _ y: UnsafeMutablePointer<S>, threads: Int = Parallelism.threadCount
) {
    let parts = min(threads, p.batch)
    parallelFor(parts) { t in
        let cols = p.isPointwise ? nil : UnsafeMutablePointer<S>.allocate(capacity: p.depth * p.plane)
        defer { cols?.deallocate() }
        for n in share(t, of: parts, p.batch) {
            let out = y + n * p.outSize
            if let bias {
                for o in 0..<p.outChannels { (out + o * p.plane).update(repeating: bias[o], count: p.plane) }
            }
            let image = x + n * p.inSize
            if let cols { im2col(p.geometry, taps: p.taps, image, cols) }
            gemm(
                GEMMShape(m: p.outChannels, n: p.plane, k: p.depth, accumulate: bias != nil), weight,
                cols.map { UnsafePointer($0) } ?? image, out, threads: 1)
        }
    }
}

// Gradients of conv2dForward for the output gradient g (N, O, OH*OW): dWeight (O, C*T) and
// dInput (N, C, H, W) are overwritten (either may be nil when not wanted); the bias gradient is
// the sum of g over images and positions, which the caller takes.
@_specialize(where S == Float)
@_specialize(where S == Double)
func conv2dBackward<S: TensorScalar>(
    _ p: ConvProblem, _ x: UnsafePointer<S>, _ weight: UnsafePointer<S>, _ g: UnsafePointer<S>,
    dWeight: UnsafeMutablePointer<S>?, dInput: UnsafeMutablePointer<S>?, threads: Int = Parallelism.threadCount
) {
    let parts = min(threads, p.batch)
    let weightCount = p.outChannels * p.depth
    if parts == 0 {
        dWeight?.update(repeating: 0, count: weightCount)
        return
    }
    // Thread t sums its images' dW' into partials[t]; thread 0 writes straight into dWeight.
    let partials = dWeight.map { dw in
        (0..<parts).map { t in t == 0 ? dw : UnsafeMutablePointer<S>.allocate(capacity: weightCount) }
    }
    defer { partials?.dropFirst().forEach { $0.deallocate() } }
    parallelFor(parts) { t in
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: 2 * p.depth * p.plane)
        defer { scratch.deallocate() }
        let (cols, dCols) = (scratch, scratch + p.depth * p.plane)
        var first = true
        for n in share(t, of: parts, p.batch) {
            let image = x + n * p.inSize, gn = g + n * p.outSize
            if let partials {
                let columns: UnsafePointer<S>
                if p.isPointwise {
                    columns = image
                } else {
                    im2col(p.geometry, taps: p.taps, image, cols)
                    columns = UnsafePointer(cols)
                }
                gemm(
                    GEMMShape(transB: true, m: p.outChannels, n: p.depth, k: p.plane, accumulate: !first), gn, columns,
                    partials[t], threads: 1)
                first = false
            }
            if let dInput {
                let dx = dInput + n * p.inSize
                if p.isPointwise {
                    gemm(GEMMShape(transA: true, m: p.depth, n: p.plane, k: p.outChannels), weight, gn, dx, threads: 1)
                } else {
                    gemm(GEMMShape(transA: true, m: p.depth, n: p.plane, k: p.outChannels), weight, gn, dCols, threads: 1)
                    dx.update(repeating: 0, count: p.inSize)
                    col2im(p.geometry, taps: p.taps, dCols, dx)
                }
            }
        }
        if first, let partials { partials[t].update(repeating: 0, count: weightCount) }
    }
    if let partials, let dw = dWeight {
        for t in 1..<parts { addInPlace(dw, partials[t], count: weightCount) }
    }
}

// weight (O, C, KH, KW) [* mask] -> the active taps and W' (O, C*T) over them. A tap is active
// unless the mask is zero there for every (o, c).
@_specialize(where S == Float)
@_specialize(where S == Double)
func packConvWeight<S: TensorScalar>(_ w: [S], mask: [S]?, _ g: ConvGeometry, outChannels: Int) -> (ConvTaps, [S]) {
    let area = g.kernelHeight * g.kernelWidth
    let pairs = outChannels * g.channels
    var taps = ConvTaps.all(g)
    if let mask {
        taps = ConvTaps(offsets: (0..<area).filter { tap in (0..<pairs).contains { mask[$0 * area + tap] != 0 } })
    }
    let t = taps.count
    var packed = [S](repeating: 0, count: pairs * t)
    for pair in 0..<pairs {
        for (k, tap) in taps.offsets.enumerated() {
            let i = pair * area + tap
            packed[pair * t + k] = mask.map { w[i] * $0[i] } ?? w[i]
        }
    }
    return (taps, packed)
}

// The adjoint: dW' (O, C*T) back to (O, C, KH, KW), zero at inactive taps, times the mask.
@_specialize(where S == Float)
@_specialize(where S == Double)
func unpackConvWeight<S: TensorScalar>(_ packed: [S], mask: [S]?, _ g: ConvGeometry, taps: ConvTaps, outChannels: Int) -> [S] {
    let area = g.kernelHeight * g.kernelWidth
    let pairs = outChannels * g.channels
    var w = [S](repeating: 0, count: pairs * area)
    for pair in 0..<pairs {
        for (k, tap) in taps.offsets.enumerated() {
            let i = pair * area + tap
            w[i] = mask.map { packed[pair * taps.count + k] * $0[i] } ?? packed[pair * taps.count + k]
        }
    }
    return w
}
