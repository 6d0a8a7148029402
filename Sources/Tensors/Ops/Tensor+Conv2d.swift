// 2-D convolution (cross-correlation, as in every deep-learning library), NCHW.
//
//   out[n, o, y, x] = bias[o] + sum_{c, i, j} W'[o, c, i, j] * in[n, c, y*s - p + i, x*s - p + j]
//
// with W' = weight * mask when a mask is given: a constant 0/1 tensor of the weight's shape that
// zeroes the connections a PixelCNN must not have (mask A and mask B). The mask is multiplied in
// once per call, not per element, and the gradient of a masked weight is masked too, so a zero
// connection stays zero during training.
//
// Each image goes through im2col (Kernels/Im2col.swift) and one GEMM:
//   out_n (O, OH*OW) = W' (O, C*KH*KW) . cols_n (C*KH*KW, OH*OW)
// Backward:  dW' += g_n . cols_n^T,   dcols_n = W'^T . g_n  then col2im into d in_n,
//            dbias = sum of g over n and positions,   dW = dW' * mask.

extension Tensor {
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        mask: Tensor? = nil
    ) -> Tensor {
        precondition(input.rank == 4 && weight.rank == 4, "conv2d needs input NCHW and weight OCHW, got \(input.shape) and \(weight.shape)")
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outChannels, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        precondition(weight.shape[1] == channels, "conv2d: input \(input.shape) has \(channels) channels, weight \(weight.shape) expects \(weight.shape[1])")
        precondition(stride >= 1 && padding >= 0, "conv2d needs stride >= 1 and padding >= 0")
        if let mask { precondition(mask.shape == weight.shape, "conv2d: mask \(mask.shape) must have the weight's shape \(weight.shape)") }
        if let bias { precondition(bias.shape == [outChannels], "conv2d: bias \(bias.shape) must be [\(outChannels)]") }
        let g = ConvGeometry(
            channels: channels, height: height, width: width, kernelHeight: kh, kernelWidth: kw, stride: stride,
            padding: padding)
        precondition(g.outHeight > 0 && g.outWidth > 0, "conv2d: kernel \(kh)x\(kw) does not fit input \(input.shape) with padding \(padding)")
        let (rows, cols) = (g.columnRows, g.columnCount)
        let effective = mask.map { Tensor.combine(.multiply, weight, $0) } ?? weight
        let inSize = channels * height * width, outSize = outChannels * cols
        var out = [Scalar](repeating: 0, count: batch * outSize)
        var columns = [Scalar](repeating: 0, count: rows * cols)
        for n in 0..<batch {
            input.scalars.withUnsafeBufferPointer { x in
                columns.withUnsafeMutableBufferPointer { im2col(g, x.baseAddress! + n * inSize, $0.baseAddress!) }
            }
            gemmArrays(GEMMShape(m: outChannels, n: cols, k: rows), effective.scalars, columns, into: &out, offsetC: n * outSize)
        }
        if let bias {
            for n in 0..<batch {
                for o in 0..<outChannels {
                    let b = bias.scalars[o], base = n * outSize + o * cols
                    for i in 0..<cols { out[base + i] += b }
                }
            }
        }
        let y = Tensor(shape: [batch, outChannels, g.outHeight, g.outWidth], scalars: out)
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return differentiable(op: "conv2d", output: y, inputs: inputs) { grad in
            var dInput = [Scalar](repeating: 0, count: input.isRecorded ? input.count : 0)
            var dWeight = [Scalar](repeating: 0, count: weight.count)
            var columns = [Scalar](repeating: 0, count: rows * cols)
            var dColumns = [Scalar](repeating: 0, count: rows * cols)
            for n in 0..<batch {
                if weight.isRecorded {
                    input.scalars.withUnsafeBufferPointer { x in
                        columns.withUnsafeMutableBufferPointer { im2col(g, x.baseAddress! + n * inSize, $0.baseAddress!) }
                    }
                    gemmArrays(
                        GEMMShape(transB: true, m: outChannels, n: rows, k: cols, accumulate: true), grad.scalars,
                        columns, into: &dWeight, offsetA: n * outSize)
                }
                if input.isRecorded {
                    gemmArrays(
                        GEMMShape(transA: true, m: rows, n: cols, k: outChannels), effective.scalars, grad.scalars,
                        into: &dColumns, offsetB: n * outSize)
                    dColumns.withUnsafeBufferPointer { dc in
                        dInput.withUnsafeMutableBufferPointer { col2im(g, dc.baseAddress!, $0.baseAddress! + n * inSize) }
                    }
                }
            }
            var dW = Tensor(shape: weight.shape, scalars: dWeight)
            if let mask { dW = Tensor.combine(.multiply, dW, mask) }
            var result: [Tensor?] = [input.isRecorded ? Tensor(shape: input.shape, scalars: dInput) : nil, dW]
            if bias != nil {
                result.append(grad.sum(alongAxes: [0, 2, 3]))
            }
            return result
        }
    }
}
