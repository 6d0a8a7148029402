// Losses and log-densities, composed from the elementwise ops so that every one is covered by the
// ops' gradient rules; each is written in the form that stays finite for extreme inputs.

import Foundation

extension Tensor {
    /// Binary cross-entropy of Bernoulli(sigmoid(logits)) at `targets` (0 or 1, or in between),
    /// elementwise: -[t log sigmoid(l) + (1 - t) log(1 - sigmoid(l))]
    ///            = max(l, 0) - l t + log(1 + e^-|l|)
    /// (finite at |l| = 100, where sigmoid rounds to 0 or 1).
    public static func binaryCrossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
        logits.relu() - logits * targets + (-logits.abs()).exp().log1p()
    }

    /// Categorical cross-entropy -log softmax(logits)[label], for logits [..., C] and one label
    /// per row; the result has the shape [...].
    public static func crossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
        -logits.logSoftmax(alongAxis: -1).gathering(labels)
    }

    /// KL(N(mean, e^logVariance) || N(0, 1)) elementwise, in closed form:
    /// 0.5 (mean^2 + e^logVariance - 1 - logVariance).
    public static func gaussianKL(mean: Tensor, logVariance: Tensor) -> Tensor {
        (mean.squared() + logVariance.exp() - logVariance - 1) * 0.5
    }

    /// KL(N(m1, e^lv1) || N(m2, e^lv2)) elementwise, in closed form:
    /// 0.5 (lv2 - lv1 + (e^lv1 + (m1 - m2)^2) / e^lv2 - 1).
    public static func gaussianKL(
        mean1: Tensor, logVariance1: Tensor, mean2: Tensor, logVariance2: Tensor
    ) -> Tensor {
        ((logVariance2 - logVariance1) + (logVariance1.exp() + (mean1 - mean2).squared()) / logVariance2.exp() - 1) * 0.5
    }

    /// log N(x; mean, e^logVariance) elementwise: -0.5 (log 2 pi + logVariance + (x - mean)^2 / e^logVariance).
    public static func gaussianLogDensity(_ x: Tensor, mean: Tensor, logVariance: Tensor) -> Tensor {
        ((x - mean).squared() / logVariance.exp() + logVariance + Scalar(Foundation.log(2 * Double.pi))) * -0.5
    }
}
