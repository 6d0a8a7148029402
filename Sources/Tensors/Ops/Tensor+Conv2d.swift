// 2-D convolution (cross-correlation, as in every deep-learning library), NCHW.
//
//   out[n, o, y, x] = bias[o] + sum_{c, i, j} W'[o, c, i, j] * in[n, c, y*s - p + i, x*s - p + j]
//
// with W' = weight * mask when a mask is given: a constant 0/1 tensor of the weight's shape that
// zeroes the connections a PixelCNN must not have (mask A and mask B). The mask is multiplied in
// once per call, not per element, and the gradient of a masked weight is masked too, so a zero
// connection stays zero during training. Taps the mask zeroes for every channel pair are left out
// of the computation altogether (Kernels/Conv2d.swift).
//
// Each image goes through im2col and one GEMM (images are split over threads):
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
        // W' packed as (O, C*T) over the active taps: the mask applied once, here.
        let (taps, packed) = packConvWeight(weight.scalars, mask: mask?.scalars, g, outChannels: outChannels)
        let problem = ConvProblem(geometry: g, taps: taps, batch: batch, outChannels: outChannels)
        let out: [Scalar] = uninitializedArray(count: batch * problem.outSize) { y in
            input.scalars.withUnsafeBufferPointer { x in
                packed.withUnsafeBufferPointer { w in
                    if let bias {
                        bias.scalars.withUnsafeBufferPointer { conv2dForward(problem, x.baseAddress!, w.baseAddress!, $0.baseAddress!, y) }
                    } else {
                        conv2dForward(problem, x.baseAddress!, w.baseAddress!, nil, y)
                    }
                }
            }
        }
        let y = Tensor(shape: [batch, outChannels, g.outHeight, g.outWidth], scalars: out)
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return differentiable(op: "conv2d", output: y, inputs: inputs) { grad in
            var dPacked: [Scalar] = weight.isRecorded ? filledArray(0, count: packed.count) : []
            var dInput: [Scalar] = input.isRecorded ? filledArray(0, count: input.count) : []
            input.scalars.withUnsafeBufferPointer { x in
                packed.withUnsafeBufferPointer { w in
                    grad.scalars.withUnsafeBufferPointer { gp in
                        dPacked.withUnsafeMutableBufferPointer { dw in
                            dInput.withUnsafeMutableBufferPointer { dx in
                                conv2dBackward(
                                    problem, x.baseAddress!, w.baseAddress!, gp.baseAddress!,
                                    dWeight: weight.isRecorded ? dw.baseAddress! : nil,
                                    dInput: input.isRecorded ? dx.baseAddress! : nil)
                            }
                        }
                    }
                }
            }
            var result: [Tensor?] = [
                input.isRecorded ? Tensor(shape: input.shape, scalars: dInput) : nil,
                weight.isRecorded
                    ? Tensor(shape: weight.shape, scalars: unpackConvWeight(dPacked, mask: mask?.scalars, g, taps: taps, outChannels: outChannels))
                    : nil,
            ]
            if bias != nil { result.append(grad.sum(alongAxes: [0, 2, 3])) }
            return result
        }
    }
}
