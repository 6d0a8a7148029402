import Foundation
import Tensors

/// The units every chapter reports a likelihood in.
///
/// A model's score on a test set is its negative log-likelihood in **nats per image**,
/// -1/N sum_n log p(x_n) (natural log), the number REFERENCE-RESULTS.md and the papers use for
/// binarised MNIST. **Bits per dimension** divides by the number of pixels (sub-pixels, for colour)
/// and converts to base 2: nats / (D ln 2). A uniform model over K levels scores D ln K nats
/// (64 ln 17 = 181.33 on 8x8 digits with 17 levels), the top of the ladder every model climbs down.
public enum Likelihood {
    /// Nats per image -> bits per dimension for images of `dimensions` values each.
    public static func bitsPerDimension(nats: Double, dimensions: Int) -> Double {
        nats / (Double(dimensions) * Foundation.log(2.0))
    }

    /// The NLL of the uniform model: every value uniform over `levels`.
    public static func uniformNats(dimensions: Int, levels: Int) -> Double {
        Double(dimensions) * Foundation.log(Double(levels))
    }

    /// log(mean(exp(x))) along `axis`, stably: logsumexp(x) - log n. (The importance-weighted
    /// bound and Parzen windows average likelihoods, not log-likelihoods.)
    public static func logMeanExp<S: TensorScalar>(_ x: Tensor<S>, alongAxis axis: Int) -> Tensor<S> {
        let n = x.shape[axis < 0 ? axis + x.rank : axis]
        return x.logSumExp(alongAxis: axis) - S(Foundation.log(Double(n)))
    }
}
