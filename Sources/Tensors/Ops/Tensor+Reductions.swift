// Reductions. A reduction along an axis sees the tensor as [outer, n, inner] (Kernels/Reduce.swift).
// Sum's backward spreads the gradient back over the reduced axis; max sends it to the winner;
// logsumexp, log-softmax and softmax are composed from these, so they need no rule of their own.

extension Tensor {
    func reduced(_ op: ReduceKernel, axis: Int) -> (Tensor, argmax: [Int32]) {
        let (outer, inner) = outerInner(axis)
        let (values, argmax) = reduceKernel(op, scalars, outer: outer, n: shape[axis], inner: inner)
        var outShape = shape
        outShape[axis] = 1
        return (Tensor(shape: outShape, scalars: values), argmax)
    }

    /// The sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor {
        let total = reshaped([1, count]).sum(alongAxes: [1])
        return total.reshaped([])
    }

    /// Sums along `axes`; with `keepingDims` the reduced axes stay with size 1.
    public func sum(alongAxes axes: [Int], keepingDims: Bool = false) -> Tensor {
        let axes = Set(axes.map { normalized(axis: $0) }).sorted()
        var y = self.detached
        for axis in axes { y = y.reduced(.sum, axis: axis).0 }
        let kept = y.shape
        if !keepingDims {
            y = Tensor(
                shape: shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element), scalars: y.scalars)
        }
        let inputShape = shape
        return Tensor.differentiable(op: "sum", output: y, inputs: [self]) { g in
            [Tensor.combine(.add, Tensor.zeros(inputShape), g.reshaped(kept))]
        }
    }

    public func sum(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDims: keepingDims)
    }

    /// The mean of all elements, as a rank-0 tensor.
    public func mean() -> Tensor { sum() / Scalar(Swift.max(count, 1)) }

    public func mean(alongAxes axes: [Int], keepingDims: Bool = false) -> Tensor {
        let n = axes.map { shape[normalized(axis: $0)] }.reduce(1, *)
        return sum(alongAxes: axes, keepingDims: keepingDims) / Scalar(n)
    }

    /// The largest element along `axis`; the gradient flows to the (first) largest element only.
    public func max(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
        let axis = normalized(axis: axis)
        let (kept, argmax) = reduced(.max, axis: axis)
        var outShape = shape
        if keepingDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        let inputShape = shape
        let (outer, inner) = outerInner(axis)
        let n = shape[axis]
        return Tensor.differentiable(op: "max", output: Tensor(shape: outShape, scalars: kept.scalars), inputs: [self])
        {
            g in
            var dx: [Scalar] = filledArray(0, count: inputShape.reduce(1, *))
            for o in 0..<outer {
                for j in 0..<inner {
                    dx[(o * n + Int(argmax[o * inner + j])) * inner + j] = g.scalars[o * inner + j]
                }
            }
            return [Tensor(shape: inputShape, scalars: dx)]
        }
    }

    /// log(sum(exp(x))) along `axis`, computed stably as m + log(sum(exp(x - m))) with m the
    /// maximum (held constant: the result does not depend on it, so neither does the gradient).
    public func logSumExp(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
        let m = max(alongAxis: axis, keepingDims: true).detached
        let finiteM = m.mapped(.clamp(-Scalar.greatestFiniteMagnitude, Scalar.greatestFiniteMagnitude))
        let lse = (self - finiteM).exp().sum(alongAxis: axis, keepingDims: true).log() + finiteM
        if keepingDims { return lse }
        var outShape = shape
        outShape.remove(at: normalized(axis: axis))
        return lse.reshaped(outShape)
    }

    /// log softmax(x) = x - logsumexp(x) along `axis` (default: the last).
    ///
    /// Along the last axis this is one fused op (Kernels/LossKernels.swift) whose backward rule is
    /// dx = g - softmax(x) * sum(g) per row; along other axes it is composed as written.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        if normalized(axis: axis) == rank - 1 && count > 0 { return rowSoftmax(log: true) }
        return self - logSumExp(alongAxis: axis, keepingDims: true)
    }

    /// softmax(x) = e^x / sum(e^x) along `axis` (default: the last); along the last axis one fused
    /// op with the backward rule dx = y * (g - sum(g * y)) per row.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        if normalized(axis: axis) == rank - 1 && count > 0 { return rowSoftmax(log: false) }
        return logSoftmax(alongAxis: axis).exp()
    }

    /// softmax or log-softmax over the last axis, as one op.
    func rowSoftmax(log: Bool) -> Tensor {
        let classes = shape[rank - 1]
        let rows = count / Swift.max(shape[rank - 1], 1)
        let y = softmaxRows(rows: rows, classes: classes, scalars, log: log)
        let output = Tensor(shape: shape, scalars: y)
        return Tensor.differentiable(op: log ? "logSoftmax" : "softmax", output: output, inputs: [self]) { g in
            let dx = softmaxRowsBackward(rows: rows, classes: classes, gradient: g.scalars, output: y, log: log)
            return [Tensor(shape: output.shape, scalars: dx)]
        }
    }

    /// For x of shape [..., C] and one class index per row (count / C of them), the picked
    /// elements x[..., index], of shape [...]: the log-probability of each observed class.
    public func gathering(_ indices: [Int]) -> Tensor {
        let classes = shape[rank - 1]
        let rows = count / Swift.max(classes, 1)
        precondition(indices.count == rows, "gathering needs \(rows) indices for shape \(shape), got \(indices.count)")
        var picked: [Scalar] = filledArray(0, count: rows)
        for (r, c) in indices.enumerated() {
            precondition(c >= 0 && c < classes, "class index \(c) out of range 0..<\(classes)")
            picked[r] = scalars[r * classes + c]
        }
        let inputShape = shape
        return Tensor.differentiable(
            op: "gather", output: Tensor(shape: Array(shape.dropLast()), scalars: picked), inputs: [self]
        ) { g in
            var dx: [Scalar] = filledArray(0, count: rows * classes)
            for (r, c) in indices.enumerated() { dx[r * classes + c] += g.scalars[r] }
            return [Tensor(shape: inputShape, scalars: dx)]
        }
    }

    /// The gradient `g` (of a broadcast result) summed over the axes along which an operand of
    /// `target` shape was broadcast. Used by the tape only.
    func summedToShape(_ target: [Int]) -> Tensor {
        let lead = rank - target.count
        precondition(lead >= 0, "cannot sum shape \(shape) down to \(target)")
        var axes = Array(0..<lead)
        for (i, size) in target.enumerated() where size == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        let summed = axes.isEmpty ? self : sum(alongAxes: axes, keepingDims: true)
        return summed.reshaped(target)
    }
}
