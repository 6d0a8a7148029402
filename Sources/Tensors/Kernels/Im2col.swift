// im2col / col2im: the layout change that turns a convolution into one matrix multiply.
//
// One image x is (C, H, W). Its columns matrix is (C*KH*KW, OH*OW): row (c, ki, kj) holds, for
// every output position (oh, ow), the input pixel x[c, oh*stride - pad + ki, ow*stride - pad + kj]
// (zero outside the image). Then  out (O, OH*OW) = weight (O, C*KH*KW) . columns.

struct ConvGeometry: Equatable {
    var channels: Int, height: Int, width: Int
    var kernelHeight: Int, kernelWidth: Int
    var stride: Int, padding: Int

    var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    var columnRows: Int { channels * kernelHeight * kernelWidth }
    var columnCount: Int { outHeight * outWidth }
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func im2col<S: TensorScalar>(_ g: ConvGeometry, _ x: UnsafePointer<S>, _ cols: UnsafeMutablePointer<S>) {
    let (oh, ow) = (g.outHeight, g.outWidth)
    for c in 0..<g.channels {
        for ki in 0..<g.kernelHeight {
            for kj in 0..<g.kernelWidth {
                let row = cols + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * oh * ow
                for y in 0..<oh {
                    let ih = y * g.stride - g.padding + ki
                    let dst = row + y * ow
                    if ih < 0 || ih >= g.height {
                        for x in 0..<ow { dst[x] = 0 }
                        continue
                    }
                    let src = x + (c * g.height + ih) * g.width
                    for x in 0..<ow {
                        let iw = x * g.stride - g.padding + kj
                        dst[x] = iw >= 0 && iw < g.width ? src[iw] : 0
                    }
                }
            }
        }
    }
}

// The adjoint of im2col: every column entry is added back onto the input pixel it was read from.
@_specialize(where S == Float)
@_specialize(where S == Double)
func col2im<S: TensorScalar>(_ g: ConvGeometry, _ cols: UnsafePointer<S>, _ x: UnsafeMutablePointer<S>) {
    let (oh, ow) = (g.outHeight, g.outWidth)
    for c in 0..<g.channels {
        for ki in 0..<g.kernelHeight {
            for kj in 0..<g.kernelWidth {
                let row = cols + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * oh * ow
                for y in 0..<oh {
                    let ih = y * g.stride - g.padding + ki
                    if ih < 0 || ih >= g.height { continue }
                    let src = row + y * ow
                    let dst = x + (c * g.height + ih) * g.width
                    for x in 0..<ow {
                        let iw = x * g.stride - g.padding + kj
                        if iw >= 0 && iw < g.width { dst[iw] += src[x] }
                    }
                }
            }
        }
    }
}
