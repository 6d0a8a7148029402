// 2-D convolution of a whole batch, NCHW, images split over threads (each thread takes a
// contiguous run of images and has its own scratch).
//
//   input x (N, C, H, W); weight W' (O, C*T) packed from (O, C, KH, KW) over the T active taps;
//   output y (N, O, OH, OW).
//
// A tap (ki, kj) is active unless the mask is zero there for every (out, in) channel pair. A
// PixelCNN mask zeroes whole taps (a 3x3 mask B keeps 5 of 9, a 7x7 mask A 24 of 49), so the
// products only get rows for active taps: depth C*T instead of C*KH*KW, and the work shrinks by the
// same factor. With no mask, T = KH*KW.
//
// Two ways to the same sums:
//
// - Stride 1, a kernel larger than 1x1 and at least 8 output channels (every convolution of the
//   workbook's PixelCNNs but the 1x1 output layers), Float: shifted rows.
//   Each image is zero-padded once into planes of width Wp = W + 2p. Output position (oy, ox) is
//   then at oy*Wp + ox, and tap (ki, kj) of channel c reads padded[c][oy*Wp + ox + ki*Wp + kj]:
//   row (c, t) of the columns matrix of im2col is the padded plane read from a fixed offset on. So
//   that matrix ("shifted rows", S) is never written: the micro-kernels of ShiftedConvolution.swift
//   read it in place, with the OH*OW output positions as the rows of their tiles and the channels
//   as the columns:
//     forward   y_n (O, OH*OW) = bias + (S(x_n)^T . W'^T)^T      W'^T packed once for all images
//     dW'       dW'^T (C*T, O) += S(x_n) . g_n^T                 six rows of S read in place
//     dx        dx_n (C, H*W) = (S(gpad_n)^T . Wflip^T)^T        g_n padded by K-1-p, taps mirrored:
//               dx is the stride-1 correlation of g with the flipped kernel, the same product again.
//   Every element is summed in the order (and the slices of k) of the plain GEMM of the
//   padded-width layout, bit for bit (ShiftedConvolutionTests).
// - Otherwise (stride > 1, 1x1 kernels, few channels, Double for the gradient checks): im2col + GEMM
//   per image.
//     forward   cols = im2col(x_n);  y_n (O, OH*OW) = bias + W' . cols
//     dW'       dW' += g_n . cols^T;   dx   dcols = W'^T . g_n;  dx_n = col2im(dcols).
// Partial weight gradients of the threads are added in thread order, so a result is the same for
// a given thread count. The direct seven-loop convolution of ConvKernelTests (`reference`) is the
// naive twin both are tested against, over odd shapes, strides, paddings and masks.

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
func im2col<S: TensorScalar>(_ g: ConvGeometry, taps: ConvTaps, _ x: UnsafePointer<S>, _ cols: UnsafeMutablePointer<S>)
{
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
func col2im<S: TensorScalar>(_ g: ConvGeometry, taps: ConvTaps, _ cols: UnsafePointer<S>, _ x: UnsafeMutablePointer<S>)
{
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

// y (N, O, OH*OW) = bias + W' (O, C*T) . columns(x_n), every image.
@_specialize(where S == Float)
@_specialize(where S == Double)
func conv2dForward<S: TensorScalar>(
    _ p: ConvProblem, _ x: UnsafePointer<S>, _ weight: UnsafePointer<S>, _ bias: UnsafePointer<S>?,
    _ y: UnsafeMutablePointer<S>, threads: Int = Parallelism.threadCount
) {
    if S.self == Float.self, p.usesShiftedRows {
        shiftedForward(p, floats(x), floats(weight), bias.map { floats($0) }, floats(y), threads: threads)
        return
    }
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
    let shifted = S.self == Float.self && p.usesShiftedRows
    if let dWeight {
        if shifted {
            shiftedWeightGradient(p, floats(x), floats(g), floats(dWeight), threads: threads)
        } else {
            im2colWeightGradient(p, x, g, dWeight, threads: threads)
        }
    }
    if let dInput {
        if shifted && p.inputGradientUsesShiftedRows {
            shiftedInputGradient(p, floats(weight), floats(g), floats(dInput), threads: threads)
        } else {
            im2colInputGradient(p, weight, g, dInput, threads: threads)
        }
    }
}

// dW' (O, C*T) = sum_n g_n . cols_n^T. Thread t sums its images into partials[t] (thread 0 straight
// into dWeight); the partials are then added in thread order.
@_specialize(where S == Float)
@_specialize(where S == Double)
func im2colWeightGradient<S: TensorScalar>(
    _ p: ConvProblem, _ x: UnsafePointer<S>, _ g: UnsafePointer<S>, _ dWeight: UnsafeMutablePointer<S>, threads: Int
) {
    let parts = min(threads, p.batch)
    let weightCount = p.outChannels * p.depth
    dWeight.update(repeating: 0, count: weightCount)
    let partials = (0..<parts).map { t in t == 0 ? dWeight : UnsafeMutablePointer<S>.allocate(capacity: weightCount) }
    defer { for partial in partials.dropFirst() { partial.deallocate() } }
    parallelFor(parts) { t in
        if t > 0 { partials[t].update(repeating: 0, count: weightCount) }
        let cols = p.isPointwise ? nil : UnsafeMutablePointer<S>.allocate(capacity: p.depth * p.plane)
        defer { cols?.deallocate() }
        for n in share(t, of: parts, p.batch) {
            let image = x + n * p.inSize
            if let cols { im2col(p.geometry, taps: p.taps, image, cols) }
            gemm(
                GEMMShape(transB: true, m: p.outChannels, n: p.depth, k: p.plane, accumulate: true), g + n * p.outSize,
                cols.map { UnsafePointer($0) } ?? image, partials[t], threads: 1)
        }
    }
    for t in partials.indices.dropFirst() { addInPlace(dWeight, partials[t], count: weightCount) }
}

// dx_n = col2im(W'^T . g_n), every image.
@_specialize(where S == Float)
@_specialize(where S == Double)
func im2colInputGradient<S: TensorScalar>(
    _ p: ConvProblem, _ weight: UnsafePointer<S>, _ g: UnsafePointer<S>, _ dInput: UnsafeMutablePointer<S>, threads: Int
) {
    let parts = min(threads, p.batch)
    parallelFor(parts) { t in
        let dCols = UnsafeMutablePointer<S>.allocate(capacity: p.depth * p.plane)
        defer { dCols.deallocate() }
        for n in share(t, of: parts, p.batch) {
            let (dx, gn) = (dInput + n * p.inSize, g + n * p.outSize)
            let shape = GEMMShape(transA: true, m: p.depth, n: p.plane, k: p.outChannels)
            if p.isPointwise {
                gemm(shape, weight, gn, dx, threads: 1)
            } else {
                gemm(shape, weight, gn, dCols, threads: 1)
                dx.update(repeating: 0, count: p.inSize)
                col2im(p.geometry, taps: p.taps, dCols, dx)
            }
        }
    }
}

// MARK: - Stride 1: shifted rows of the padded image

extension ConvProblem {
    /// Stride 1 and a kernel larger than 1x1; with fewer than 8 output channels most of the 16
    /// columns of a micro-tile would be wasted, and im2col (with O as the short side) is cheaper.
    var usesShiftedRows: Bool { geometry.stride == 1 && !isPointwise && outChannels >= 8 && batch > 0 }
    /// The input gradient pads g by K-1-p, which needs p <= K-1, and has C as its short side.
    var inputGradientUsesShiftedRows: Bool {
        geometry.padding < geometry.kernelHeight && geometry.padding < geometry.kernelWidth && geometry.channels >= 8
    }
    /// The image the forward pass and the weight gradient read: x_n padded by p.
    var paddedInput: PaddedImage {
        let g = geometry
        return PaddedImage(
            channels: g.channels, height: g.height, width: g.width, padHeight: g.padding, padWidth: g.padding,
            kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    }
    /// The image the input gradient reads: g_n padded by K-1-p.
    var paddedGradient: PaddedImage {
        let g = geometry
        return PaddedImage(
            channels: outChannels, height: g.outHeight, width: g.outWidth, padHeight: g.kernelHeight - 1 - g.padding,
            padWidth: g.kernelWidth - 1 - g.padding, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    }
}

/// An image (C, H, W) zero-padded for a stride-1 kernel: planes of Hp x Wp, each followed by KW
/// zeros of slack so the last shifted row stays inside its plane. Output position (oy, ox) of the
/// convolution is q = oy*Wp + ox, and tap (ki, kj) of channel c reads plane c at q + ki*Wp + kj.
struct PaddedImage {
    let channels: Int, height: Int, width: Int, padHeight: Int, padWidth: Int, kernelHeight: Int, kernelWidth: Int

    var paddedWidth: Int { width + 2 * padWidth }
    var planeStride: Int { (height + 2 * padHeight) * paddedWidth + kernelWidth }
    var count: Int { channels * planeStride }
    var outHeight: Int { height + 2 * padHeight - kernelHeight + 1 }
    var outWidth: Int { paddedWidth - kernelWidth + 1 }
    /// Output positions in the padded-width layout, OH * Wp (columns ox >= OW are dropped).
    var positions: Int { outHeight * paddedWidth }

    /// dst (C, planeStride) = src (C, H, W) with its zero border. With `bordersAreZero` (dst was
    /// filled before), only the interior is written: the border is still zero.
    func fill(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, bordersAreZero: Bool = false) {
        if !bordersAreZero { dst.update(repeating: 0, count: count) }
        for c in 0..<channels {
            for y in 0..<height {
                copyShort(
                    src + (c * height + y) * width, dst + c * planeStride + (y + padHeight) * paddedWidth + padWidth,
                    width)
            }
        }
    }

    /// Where row (c, t) of the shifted-rows matrix starts, for c over the channels and t over the
    /// taps: c*planeStride + ki*Wp + kj, or with `mirrored`, the tap (KH-1-ki, KW-1-kj).
    func rowStarts(_ taps: ConvTaps, mirrored: Bool = false) -> [Int] {
        (0..<channels).flatMap { c in
            taps.offsets.map { offset in
                var (ki, kj) = (offset / kernelWidth, offset % kernelWidth)
                if mirrored { (ki, kj) = (kernelHeight - 1 - ki, kernelWidth - 1 - kj) }
                return c * planeStride + ki * paddedWidth + kj
            }
        }
    }
}

// y_n (O, OH, OW) = bias + (shifted(x_n)^T . W'^T)^T, the product (OH*OW, O) computed position-major
// (ShiftedConvolution.swift) with W'^T packed once for all images.
func shiftedForward(
    _ p: ConvProblem, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
    _ y: UnsafeMutablePointer<Float>, threads: Int
) {
    let image = p.paddedInput
    let weights = SGEMMPanels(
        MatrixOperand(base: weight, transposed: true, stride: p.depth), k: p.depth, n: p.outChannels)
    let parts = min(threads, p.batch)
    image.rowStarts(p.taps).withUnsafeBufferPointer { starts in
        parallelFor(parts) { t in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: image.count)
            let product = UnsafeMutablePointer<Float>.allocate(capacity: p.outSize)
            let scratch = ShiftedScratch(slice: min(SGEMMBlocking.slice(p.depth), p.depth))
            defer {
                padded.deallocate()
                product.deallocate()
                scratch.deallocate()
            }
            for n in share(t, of: parts, p.batch) {
                image.fill(x + n * p.inSize, padded, bordersAreZero: n > share(t, of: parts, p.batch).lowerBound)
                shiftedPositionProduct(
                    image, padded, starts: starts.baseAddress!, weights, bias: bias, into: y + n * p.outSize,
                    product: product, scratch: scratch)
            }
        }
    }
}

// dW' (O, C*T) = (sum_n shifted(x_n) . g_n^T)^T over the kept positions. Thread t sums its images'
// dW'^T into its own partial; the partials are added in thread order.
func shiftedWeightGradient(
    _ p: ConvProblem, _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dWeight: UnsafeMutablePointer<Float>,
    threads: Int
) {
    let image = p.paddedInput
    let (outChannels, depth) = (p.outChannels, p.depth)
    let starts = image.rowStarts(p.taps)
    let parts = min(threads, p.batch)
    let partials = (0..<parts).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: depth * outChannels) }
    defer { for partial in partials { partial.deallocate() } }
    starts.withUnsafeBufferPointer { starts in
        parallelFor(parts) { t in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: image.count)
            let scratch = ShiftedScratch(
                slice: min(SGEMMBlocking.slice(image.positions), image.positions), columns: outChannels)
            defer {
                padded.deallocate()
                scratch.deallocate()
            }
            partials[t].update(repeating: 0, count: depth * outChannels)
            for n in share(t, of: parts, p.batch) {
                image.fill(x + n * p.inSize, padded, bordersAreZero: n > share(t, of: parts, p.batch).lowerBound)
                shiftedWeightProduct(
                    image, padded, starts: starts, g + n * p.outSize, outChannels: outChannels, partials[t],
                    scratch: scratch)
            }
        }
    }
    for t in 1..<parts { addInPlace(partials[0], partials[t], count: depth * outChannels) }
    for o in 0..<outChannels {
        for r in 0..<depth { dWeight[o * depth + r] = partials[0][r * outChannels + o] }
    }
}

// dx_n (C, H, W) = (shifted(gpad_n)^T . Wflip^T)^T, where gpad_n is g_n padded by K-1-p, its rows
// (o, t) read the mirrored tap, and Wflip (C, O*T)[c, (o, t)] = W'[o, (c, t)].
func shiftedInputGradient(
    _ p: ConvProblem, _ weight: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dInput: UnsafeMutablePointer<Float>,
    threads: Int
) {
    let image = p.paddedGradient
    let (channels, taps) = (p.geometry.channels, p.taps.count)
    let depth = p.outChannels * taps
    var flipped = [Float](repeating: 0, count: channels * depth)
    for o in 0..<p.outChannels {
        for c in 0..<channels {
            for t in 0..<taps { flipped[c * depth + o * taps + t] = weight[o * p.depth + c * taps + t] }
        }
    }
    let weights = flipped.withUnsafeBufferPointer { flipped in
        SGEMMPanels(MatrixOperand(base: flipped.baseAddress!, transposed: true, stride: depth), k: depth, n: channels)
    }
    let parts = min(threads, p.batch)
    image.rowStarts(p.taps, mirrored: true).withUnsafeBufferPointer { starts in
        parallelFor(parts) { t in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: image.count)
            let product = UnsafeMutablePointer<Float>.allocate(capacity: p.inSize)
            let scratch = ShiftedScratch(slice: min(SGEMMBlocking.slice(depth), depth))
            defer {
                padded.deallocate()
                product.deallocate()
                scratch.deallocate()
            }
            for n in share(t, of: parts, p.batch) {
                image.fill(g + n * p.outSize, padded, bordersAreZero: n > share(t, of: parts, p.batch).lowerBound)
                shiftedPositionProduct(
                    image, padded, starts: starts.baseAddress!, weights, bias: nil, into: dInput + n * p.inSize,
                    product: product, scratch: scratch)
            }
        }
    }
}

// MARK: - Array-level wrappers for the op

/// y (N, O, OH, OW) of conv2dForward, as a new array.
@_specialize(where S == Float)
@_specialize(where S == Double)
func conv2dForwardArray<S: TensorScalar>(_ p: ConvProblem, input: [S], weight: [S], bias: [S]?) -> [S] {
    uninitializedArray(count: p.batch * p.outSize) { y in
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                withOptionalPointer(bias) { conv2dForward(p, x.baseAddress!, w.baseAddress!, $0, y) }
            }
        }
    }
}

/// (dW' (O, C*T), dx (N, C, H, W)) of conv2dBackward as new arrays, each only when asked for
/// (conv2dBackward writes every element of both, so they are not zeroed first).
@_specialize(where S == Float)
@_specialize(where S == Double)
func conv2dBackwardArrays<S: TensorScalar>(
    _ p: ConvProblem, input: [S], weight: [S], gradient: [S], wantWeight: Bool, wantInput: Bool
) -> (weight: [S]?, input: [S]?) {
    input.withUnsafeBufferPointer { x in
        weight.withUnsafeBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                func run(_ dw: UnsafeMutablePointer<S>?, _ dx: UnsafeMutablePointer<S>?) {
                    conv2dBackward(p, x.baseAddress!, w.baseAddress!, g.baseAddress!, dWeight: dw, dInput: dx)
                }
                func withInput(_ dw: UnsafeMutablePointer<S>?) -> [S]? {
                    // (An empty batch still gets its weight gradient, zeros.)
                    guard wantInput, !input.isEmpty else {
                        run(dw, nil)
                        return wantInput ? [] : nil
                    }
                    return uninitializedArray(count: input.count) { run(dw, $0) }
                }
                guard wantWeight, !weight.isEmpty else { return (wantWeight ? [] : nil, withInput(nil)) }
                var dInput: [S]? = nil
                let dWeight: [S] = uninitializedArray(count: weight.count) { dInput = withInput($0) }
                return (dWeight, dInput)
            }
        }
    }
}

/// body(pointer to a's storage, or nil).
private func withOptionalPointer<S, R>(_ a: [S]?, _ body: (UnsafePointer<S>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress!) }
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
        // One pass over the mask in memory order (pair by pair), not one strided pass per tap: a
        // dilated kernel is mostly inactive taps, and each of those needs every pair read.
        var active = [Bool](repeating: false, count: area)
        mask.withUnsafeBufferPointer { m in
            for pair in 0..<pairs {
                let row = pair * area
                for tap in 0..<area where m[row + tap] != 0 { active[tap] = true }
            }
        }
        taps = ConvTaps(offsets: (0..<area).filter { active[$0] })
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
func unpackConvWeight<S: TensorScalar>(_ packed: [S], mask: [S]?, _ g: ConvGeometry, taps: ConvTaps, outChannels: Int)
    -> [S]
{
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
