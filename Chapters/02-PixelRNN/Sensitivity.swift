// How strongly one pixel's prediction depends on every input pixel, by autodiff: chapter 2's
// measured receptive field.

import Models
import Tensors

extension AutoregressiveImageModel where Scalar == Float {
    /// For pixel `pixel` of every image in `images` (N x D levels): the logit a_i of the observed
    /// level (the only logit when K = 2), differentiated with respect to every input, and
    ///
    ///     s_j = (1 / N) sum_m sum_e | d a_i[m] / d e(x_j)[m, e] |,
    ///
    /// D values. s_j is exactly 0 when the tape has no path from pixel j to the logit.
    func sensitivity(ofPixel pixel: Int, in images: [UInt8]) -> [Double] {
        let d = dimension
        let n = images.count / d
        let k = outputsPerPixel
        let e = encodingSize
        let x = inputs(images)
        let picked = (0..<n).map { m in pixel * k + (k == 1 ? 0 : Int(images[m * d + pixel])) }
        let g = valueAndGradient(at: [x]) { t in
            logits(t[0]).reshaped([n, d * k]).gathering(picked).sum()
        }.gradients[0].scalars
        return (0..<d).map { j in
            (0..<n).reduce(0.0) { sum, m in
                sum + (0..<e).reduce(0.0) { $0 + Double(Swift.abs(g[(m * d + j) * e + $1])) }
            } / Double(n)
        }
    }
}
