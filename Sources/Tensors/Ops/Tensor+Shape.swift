// Shape ops: they move elements around and never change a value, so each backward rule moves the
// gradient back the other way (reshape back, inverse permutation, pad what was sliced, ...).

extension Tensor {
    /// The product of the sizes before `axis` and after it: the [outer, n, inner] view.
    func outerInner(_ axis: Int) -> (outer: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }

    /// The same elements under a new shape with the same count; one size may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[hole] = count / known
        }
        precondition(target.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        let oldShape = shape
        return Tensor.differentiable(
            op: "reshape", output: Tensor(shape: target, scalars: scalars), inputs: [self]
        ) { g in [g.reshaped(oldShape)] }
    }

    /// Axes reordered: axis i of the result is axis `permutation[i]` of this tensor.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(
            permutation.sorted() == Array(0..<rank), "\(permutation) is not a permutation of the axes of \(shape)")
        if rank <= 1 { return self }
        let y = Tensor(
            shape: permutation.map { shape[$0] }, scalars: permuteKernel(scalars, shape: shape, perm: permutation))
        var inverse = permutation
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Tensor.differentiable(op: "permute", output: y, inputs: [self]) { g in [g.permuted(inverse)] }
    }

    /// The last two axes swapped (the matrix transpose for rank 2).
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed() needs rank >= 2, shape is \(shape)")
        var perm = Array(0..<rank)
        perm.swapAt(rank - 1, rank - 2)
        return permuted(perm)
    }

    /// Elements `range` along `axis` (other axes whole).
    public func slice(_ range: Range<Int>, alongAxis axis: Int = 0) -> Tensor {
        let axis = normalized(axis: axis)
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "slice \(range) out of bounds for axis \(axis) of shape \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let (outer, inner) = outerInner(axis)
        let n = shape[axis]
        let out = copyingRows(
            scalars, srcLength: n, from: range.lowerBound, count: range.count, outer: outer, inner: inner)
        var widths = [(Int, Int)](repeating: (0, 0), count: rank)
        widths[axis] = (range.lowerBound, n - range.upperBound)
        return Tensor.differentiable(op: "slice", output: Tensor(shape: outShape, scalars: out), inputs: [self]) {
            g in [g.padded(widths)]
        }
    }

    /// Element `index` along `axis`, with that axis removed: `images.selecting(3)` is image 3.
    public func selecting(_ index: Int, alongAxis axis: Int = 0) -> Tensor {
        let axis = normalized(axis: axis)
        var outShape = shape
        outShape.remove(at: axis)
        return slice(index..<(index + 1), alongAxis: axis).reshaped(outShape)
    }

    /// Zero padding: `widths[axis] = (before, after)` elements added along each axis.
    public func padded(_ widths: [(Int, Int)], value: Scalar = 0) -> Tensor {
        precondition(widths.count == rank, "padding \(widths) needs one (before, after) pair per axis of \(shape)")
        var result = self.detached
        for (axis, w) in widths.enumerated() where w.0 > 0 || w.1 > 0 {
            var outShape = result.shape
            let n = outShape[axis]
            outShape[axis] = n + w.0 + w.1
            var out: [Scalar] = filledArray(value, count: outShape.reduce(1, *))
            let (outer, inner) = result.outerInner(axis)
            copyRows(
                result.scalars, srcLength: n, into: &out, dstLength: n + w.0 + w.1, to: w.0, outer: outer, inner: inner)
            result = Tensor(shape: outShape, scalars: out)
        }
        let original = shape
        return Tensor.differentiable(op: "pad", output: result, inputs: [self]) { g in
            var back = g
            for (axis, w) in widths.enumerated() where w.0 > 0 || w.1 > 0 {
                back = back.slice(w.0..<(w.0 + original[axis]), alongAxis: axis)
            }
            return [back]
        }
    }

    /// Tensors joined along `axis`; all other sizes must agree.
    public static func concatenate(_ parts: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let axis = parts[0].normalized(axis: axis)
        var outShape = parts[0].shape
        outShape[axis] = 0
        for p in parts {
            var s = p.shape
            s[axis] = 0
            precondition(s == outShape, "cannot concatenate shapes \(parts.map(\.shape)) along axis \(axis)")
        }
        outShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let total = outShape[axis]
        let (outer, inner) = parts[0].outerInner(axis)
        var out: [Scalar] = filledArray(0, count: outShape.reduce(1, *))
        var offsets: [Int] = []
        var offset = 0
        for p in parts {
            offsets.append(offset)
            let n = p.shape[axis]
            if n > 0 {
                copyRows(p.scalars, srcLength: n, into: &out, dstLength: total, to: offset, outer: outer, inner: inner)
            }
            offset += n
        }
        return differentiable(op: "concatenate", output: Tensor(shape: outShape, scalars: out), inputs: parts) { g in
            zip(parts, offsets).map { p, o in p.isRecorded ? g.slice(o..<(o + p.shape[axis]), alongAxis: axis) : nil }
        }
    }

    /// This tensor repeated along broadcast axes to `shape` (numpy rules).
    public func broadcasted(to newShape: [Int]) -> Tensor {
        if newShape == shape { return self }
        precondition(broadcastShape(shape, newShape) == newShape, "cannot broadcast \(shape) to \(newShape)")
        let y = Tensor.combine(.add, Tensor.zeros(newShape), self)
        // The tape sums the gradient back over the broadcast axes.
        return Tensor.differentiable(op: "broadcast", output: y, inputs: [self]) { g in [g] }
    }
}
