// 2-D convolution (cross-correlation, as in every deep-learning library), NCHW.
//
//   out[n, o, y, x] = bias[o] + sum_{c, i, j} W'[o, c, i, j] * in[n, c, y*s - p + i, x*s - p + j]
//
// with W' = weight * mask when a mask is given: a constant 0/1 tensor of the weight's shape that
// zeroes the connections a PixelCNN must not have (mask A and mask B). The mask is multiplied in
// once per call, not per element, and the gradient of a masked weight is masked too, so a zero
// connection stays zero during training. Taps the mask zeroes for every channel pair are left out
// of the computation altogether (Kernels/Convolution.swift, which also says how the sums are cut
// into matrix products).
//
// With W' (O, C*T) the packed weight over the T active taps and cols_n (C*T, OH*OW) the input
// patches of image n (im2col):
//   forward   out_n = bias + W' . cols_n
//   backward  dW' = sum_n g_n . cols_n^T,   d in = the adjoint of the patches of W'^T . g_n,
//             dbias = sum of g over n and positions,   dW = dW' * mask.

extension Tensor {
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        mask: Tensor? = nil
    ) -> Tensor {
        precondition(
            input.rank == 4 && weight.rank == 4,
            "conv2d needs input NCHW and weight OCHW, got \(input.shape) and \(weight.shape)")
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outChannels, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        precondition(
            weight.shape[1] == channels,
            "conv2d: input \(input.shape) has \(channels) channels, weight \(weight.shape) expects \(weight.shape[1])")
        precondition(stride >= 1 && padding >= 0, "conv2d needs stride >= 1 and padding >= 0")
        if let mask {
            precondition(
                mask.shape == weight.shape, "conv2d: mask \(mask.shape) must have the weight's shape \(weight.shape)")
        }
        if let bias { precondition(bias.shape == [outChannels], "conv2d: bias \(bias.shape) must be [\(outChannels)]") }
        let g = ConvGeometry(
            channels: channels, height: height, width: width, kernelHeight: kh, kernelWidth: kw, stride: stride,
            padding: padding)
        precondition(
            g.outHeight > 0 && g.outWidth > 0,
            "conv2d: kernel \(kh)x\(kw) does not fit input \(input.shape) with padding \(padding)")
        // W' packed as (O, C*T) over the active taps: the mask applied once, here.
        let (taps, packed) = packConvWeight(weight.scalars, mask: mask?.scalars, g, outChannels: outChannels)
        let problem = ConvProblem(geometry: g, taps: taps, batch: batch, outChannels: outChannels)
        let out = conv2dForwardArray(problem, input: input.scalars, weight: packed, bias: bias?.scalars)
        let y = Tensor(shape: [batch, outChannels, g.outHeight, g.outWidth], scalars: out)
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return differentiable(op: "conv2d", output: y, inputs: inputs) { grad in
            let (dPacked, dInput) = conv2dBackwardArrays(
                problem, input: input.scalars, weight: packed, gradient: grad.scalars, wantWeight: weight.isRecorded,
                wantInput: input.isRecorded)
            var result: [Tensor?] = [
                dInput.map { Tensor(shape: input.shape, scalars: $0) },
                dPacked.map {
                    Tensor(
                        shape: weight.shape,
                        scalars: unpackConvWeight($0, mask: mask?.scalars, g, taps: taps, outChannels: outChannels))
                },
            ]
            if bias != nil { result.append(grad.sum(alongAxes: [0, 2, 3])) }
            return result
        }
    }
}
