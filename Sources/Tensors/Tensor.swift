/// An n-dimensional array of `Float` or `Double`, stored row-major and contiguous.
///
/// `shape` lists the size of every axis, outermost first: a batch of 32 gray 28x28 images is
/// `[32, 1, 28, 28]` (NCHW) and element `[n, c, h, w]` sits at `((n*C + c)*H + h)*W + w`.
/// A tensor is a value: ops return new tensors and never change their inputs. The storage is a
/// Swift array, so copies are cheap until one of them is written (copy on write).
///
/// A tensor may also carry a place on the current autodiff tape (`Autodiff.swift`); that is how
/// `valueAndGradient` knows which results depend on the inputs it differentiates.
public struct Tensor<Scalar: TensorScalar> {
    /// The size of each axis, outermost first. `[]` is a scalar (one element).
    public private(set) var shape: [Int]
    /// The elements in row-major order.
    public internal(set) var scalars: [Scalar]
    /// Where this tensor was recorded on a tape, or nil for a constant.
    var node: TapeNode?

    /// A tensor with the given shape and row-major elements.
    public init(shape: [Int], scalars: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative size in shape \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) holds \(shape.reduce(1, *)) elements but \(scalars.count) were given")
        self.shape = shape
        self.scalars = scalars
        self.node = nil
    }

    /// A rank-0 tensor holding one value.
    public init(_ value: Scalar) { self.init(shape: [], scalars: [value]) }

    /// A rank-1 tensor holding `values`.
    public init(_ values: [Scalar]) { self.init(shape: [values.count], scalars: values) }

    /// A tensor of `shape` whose every element is `value`.
    public init(shape: [Int], repeating value: Scalar) {
        self.init(shape: shape, scalars: filledArray(value, count: shape.reduce(1, *)))
    }

    /// The same values in another precision (Float training weights into a Double check, say).
    public init<Other: TensorScalar>(_ other: Tensor<Other>) {
        self.init(shape: other.shape, scalars: other.scalars.map { Scalar($0) })
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }
    public static func full(_ shape: [Int], _ value: Scalar) -> Tensor {
        Tensor(shape: shape, repeating: value)
    }

    /// `[start, start + step, ...]` up to but excluding `end`, as a rank-1 tensor.
    public static func arange(_ start: Scalar = 0, _ end: Scalar, step: Scalar = 1) -> Tensor {
        precondition(step != 0, "arange needs a non-zero step")
        var values: [Scalar] = []
        var v = start
        while step > 0 ? v < end : v > end {
            values.append(v)
            v += step
        }
        return Tensor(values)
    }

    /// The number of elements.
    public var count: Int { scalars.count }
    /// The number of axes.
    public var rank: Int { shape.count }

    /// The single value of a one-element tensor (a loss, say).
    public var item: Scalar {
        precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
        return scalars[0]
    }

    /// The row-major strides of `shape`: how far apart neighbours along each axis are.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = s
            s *= shape[axis]
        }
        return strides
    }

    /// Element access by full index, `t[n, c, h, w]` (reading; ops build new tensors).
    public subscript(index: Int...) -> Scalar {
        precondition(index.count == rank, "index \(index) does not fit shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) out of range for shape \(shape)")
            offset = offset * shape[axis] + i
        }
        return scalars[offset]
    }

    /// Resolves a possibly negative axis (`-1` is the last) against the rank.
    func normalized(axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "axis \(axis) is out of range for shape \(shape)")
        return a
    }

    /// The same tensor with its autodiff record dropped: gradients do not flow through it.
    public var detached: Tensor {
        var copy = self
        copy.node = nil
        return copy
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(describing: $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(shown)\(count > 8 ? ", ..." : "")]"
    }
}

extension Tensor: Equatable {
    /// Same shape and identical elements (the autodiff record does not count).
    public static func == (a: Tensor, b: Tensor) -> Bool { a.shape == b.shape && a.scalars == b.scalars }
}

/// A programmer-error check whose message survives optimised builds (`precondition` drops
/// interpolated messages under -O; shape errors must name the shapes involved).
@inline(__always)
func precondition(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
