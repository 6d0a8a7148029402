// Losses and log-densities. The two cross-entropies are fused ops with their own backward rules
// (Kernels/LossKernels.swift), each kept next to its composed form, the reference it is tested
// against; the Gaussian terms are composed from the elementwise ops, so the ops' gradient rules
// cover them. Each is written in the form that stays finite for extreme inputs.

import Foundation

extension Tensor {
    /// Binary cross-entropy of Bernoulli(sigmoid(logits)) at `targets` (0 or 1, or in between),
    /// elementwise: -[t log sigmoid(l) + (1 - t) log(1 - sigmoid(l))]
    ///            = max(l, 0) - l t + log(1 + e^-|l|)
    /// (finite at |l| = 100, where sigmoid rounds to 0 or 1).
    ///
    /// One fused op (Kernels/LossKernels.swift) with its own backward rule:
    ///     d/dl = sigmoid(l) - t,   d/dt = -l.
    /// Shapes that differ (broadcasting) go through the composed form instead.
    public static func binaryCrossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
        guard logits.shape == targets.shape else { return composedBinaryCrossEntropy(logits: logits, targets: targets) }
        let y = Tensor(
            shape: logits.shape, scalars: bceWithLogitsForward(logits: logits.scalars, targets: targets.scalars))
        return differentiable(op: "binaryCrossEntropy", output: y, inputs: [logits, targets]) { g in
            let dl: Tensor? =
                logits.isRecorded
                ? Tensor(
                    shape: logits.shape,
                    scalars: bceWithLogitsBackward(
                        logits: logits.scalars, targets: targets.scalars, gradient: g.scalars))
                : nil
            return [dl, targets.isRecorded ? -(g * logits) : nil]
        }
    }

    /// The same loss composed from elementwise ops, as the formula reads (the reference the
    /// fused op is tested against, and the path for broadcast shapes).
    static func composedBinaryCrossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
        logits.relu() - logits * targets + (-logits.abs()).exp().log1p()
    }

    /// Categorical cross-entropy -log softmax(logits)[label], for logits [..., C] and one label
    /// per row; the result has the shape [...].
    ///
    /// One fused op (Kernels/LossKernels.swift): per row, lse = logsumexp(l) and loss = lse - l[label];
    /// its backward rule is  d/dl_j = softmax(l)_j - [j == label].
    public static func crossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
        let classes = logits.shape[logits.rank - 1]
        let rows = logits.count / Swift.max(classes, 1)
        precondition(
            labels.count == rows,
            "crossEntropy needs \(rows) labels for logits of shape \(logits.shape), got \(labels.count)")
        for c in labels { precondition(c >= 0 && c < classes, "class index \(c) out of range 0..<\(classes)") }
        let (loss, lse) = softmaxCrossEntropyForward(
            rows: rows, classes: classes, logits: logits.scalars, labels: labels)
        let y = Tensor(shape: Array(logits.shape.dropLast()), scalars: loss)
        return differentiable(op: "crossEntropy", output: y, inputs: [logits]) { g in
            let d = softmaxCrossEntropyBackward(
                rows: rows, classes: classes, logits: logits.scalars, labels: labels, lse: lse, gradient: g.scalars)
            return [Tensor(shape: logits.shape, scalars: d)]
        }
    }

    /// The same loss composed from log-softmax and a gather (the reference for the fused op).
    static func composedCrossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
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
        ((logVariance2 - logVariance1) + (logVariance1.exp() + (mean1 - mean2).squared()) / logVariance2.exp() - 1)
            * 0.5
    }

    /// log N(x; mean, e^logVariance) elementwise: -0.5 (log 2 pi + logVariance + (x - mean)^2 / e^logVariance).
    public static func gaussianLogDensity(_ x: Tensor, mean: Tensor, logVariance: Tensor) -> Tensor {
        ((x - mean).squared() / logVariance.exp() + logVariance + Scalar(Foundation.log(2 * Double.pi))) * -0.5
    }
}
