import Foundation

/// Something that turns gradients into parameter updates. Gradients come from
/// `valueAndGradient(of:)` in the parameters' order.
public protocol Optimizer {
    associatedtype Scalar: TensorScalar
    func update(_ parameters: [Parameter<Scalar>], with gradients: [Tensor<Scalar>])
}

/// Per-parameter state of an optimiser (velocity; or Adam's first and second moments), kept by
/// parameter identity.
final class Moments<Scalar: TensorScalar> {
    var first: [Scalar]
    var second: [Scalar]
    init(count: Int) {
        first = filledArray(0, count: count)
        second = filledArray(0, count: count)
    }
}

final class SlotStore<Scalar: TensorScalar> {
    private var slots: [ObjectIdentifier: Moments<Scalar>] = [:]
    func moments(_ p: Parameter<Scalar>) -> Moments<Scalar> {
        if let s = slots[ObjectIdentifier(p)] { return s }
        let s = Moments<Scalar>(count: p.value.count)
        slots[ObjectIdentifier(p)] = s
        return s
    }
}

func checkPairs<S>(_ parameters: [Parameter<S>], _ gradients: [Tensor<S>]) {
    precondition(parameters.count == gradients.count, "\(parameters.count) parameters but \(gradients.count) gradients")
    for (p, g) in zip(parameters, gradients) {
        precondition(
            p.shape == g.shape, "gradient shape \(g.shape) does not match parameter \(p.name) of shape \(p.shape)")
    }
}

/// Stochastic gradient descent with momentum: u = momentum * u + g; p -= learningRate * u.
public final class SGD<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Scalar
    public let momentum: Scalar
    private let state = SlotStore<Scalar>()

    public init(learningRate: Scalar, momentum: Scalar = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public func update(_ parameters: [Parameter<Scalar>], with gradients: [Tensor<Scalar>]) {
        checkPairs(parameters, gradients)
        for (p, g) in zip(parameters, gradients) {
            let s = state.moments(p)
            do {
                p.value.scalars.withUnsafeMutableBufferPointer { pv in
                    g.scalars.withUnsafeBufferPointer { gv in
                        s.first.withUnsafeMutableBufferPointer { u in
                            sgdKernel(
                                pv.baseAddress!, gv.baseAddress!, u.baseAddress!, n: pv.count, lr: learningRate,
                                momentum: momentum)
                        }
                    }
                }
            }
        }
    }
}

/// Adam with bias correction (Kingma and Ba, 2015).
public final class Adam<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Scalar
    public let beta1: Scalar, beta2: Scalar, epsilon: Scalar
    /// Updates taken so far (the t of the bias correction).
    public private(set) var step = 0
    private let state = SlotStore<Scalar>()

    public init(learningRate: Scalar = 1e-3, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func update(_ parameters: [Parameter<Scalar>], with gradients: [Tensor<Scalar>]) {
        checkPairs(parameters, gradients)
        step += 1
        let t = Double(step)
        let c1 = 1 - Foundation.pow(Double(beta1), t)
        let c2 = 1 - Foundation.pow(Double(beta2), t)
        let lr = Scalar(Double(learningRate) * c2.squareRoot() / c1)
        let eps = Scalar(Double(epsilon) * c2.squareRoot())
        for (p, g) in zip(parameters, gradients) {
            let s = state.moments(p)
            do {
                p.value.scalars.withUnsafeMutableBufferPointer { pv in
                    g.scalars.withUnsafeBufferPointer { gv in
                        s.first.withUnsafeMutableBufferPointer { m in
                            s.second.withUnsafeMutableBufferPointer { v in
                                adamKernel(
                                    pv.baseAddress!, gv.baseAddress!, m.baseAddress!, v.baseAddress!, n: pv.count,
                                    lr: lr,
                                    beta1: beta1, beta2: beta2, eps: eps)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The joint L2 norm of all elements of all tensors, sqrt(sum of squares), accumulated in Double:
/// the size of a whole gradient. Inlinable so that a caller in another module gets it specialised
/// for its scalar: unspecialised, every element went through the generic BinaryFloatingPoint
/// conversion, which made the norm the costliest part of an MNIST GAN step.
@inlinable
public func globalNorm<S: TensorScalar>(_ tensors: [Tensor<S>]) -> Double {
    var total = 0.0
    for t in tensors { for v in t.scalars { total += Double(v) * Double(v) } }
    return total.squareRoot()
}

/// Gradients scaled down together so that their joint L2 norm is at most `maxNorm`; returns them
/// with the norm before clipping (worth logging: a jump announces a divergence).
public func clippedByGlobalNorm<S: TensorScalar>(_ gradients: [Tensor<S>], maxNorm: S) -> (
    gradients: [Tensor<S>], norm: S
) {
    let norm = S(globalNorm(gradients))
    guard norm > maxNorm, norm.isFinite else { return (gradients, norm) }
    let scale = maxNorm / norm
    return (gradients.map { $0.mapped(.mulScalar(scale)) }, norm)
}
