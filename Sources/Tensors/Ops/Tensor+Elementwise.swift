// Elementwise ops. Each forward is one kernel call; its backward rule, right below it, is written
// with ordinary tensor ops in terms of the output gradient g. Binary ops broadcast under numpy's
// rules; their backward rules return gradients of the broadcast shape and the tape sums them back
// to each operand's shape (Autodiff.swift, `accumulate`).

extension Tensor {
    func mapped(_ kernel: UnaryKernel<Scalar>) -> Tensor {
        Tensor(shape: shape, scalars: unaryKernel(kernel, scalars))
    }

    static func combine(_ op: BinaryKernel, _ a: Tensor, _ b: Tensor) -> Tensor {
        let (shape, scalars) = binaryKernel(op, a.scalars, a.shape, b.scalars, b.shape)
        return Tensor(shape: shape, scalars: scalars)
    }

    // MARK: Arithmetic

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        differentiable(op: "add", output: combine(.add, a, b), inputs: [a, b]) { g in [g, g] }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        differentiable(op: "subtract", output: combine(.subtract, a, b), inputs: [a, b]) { g in [g, -g] }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        differentiable(op: "multiply", output: combine(.multiply, a, b), inputs: [a, b]) { g in
            [a.isRecorded ? g * b : nil, b.isRecorded ? g * a : nil]
        }
    }

    /// Division is its own kernel for speed; its rule is that of a * b^-1.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let y = combine(.divide, a, b)
        return differentiable(op: "divide", output: y, inputs: [a, b]) { g in
            [g / b, -(g * y) / b]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        differentiable(op: "negate", output: a.mapped(.negate), inputs: [a]) { g in [-g] }
    }

    public static func + (a: Tensor, c: Scalar) -> Tensor {
        differentiable(op: "add scalar", output: a.mapped(.addScalar(c)), inputs: [a]) { g in [g] }
    }
    public static func - (a: Tensor, c: Scalar) -> Tensor { a + (-c) }
    public static func * (a: Tensor, c: Scalar) -> Tensor {
        differentiable(op: "multiply by scalar", output: a.mapped(.mulScalar(c)), inputs: [a]) { g in
            [g * c]
        }
    }
    public static func / (a: Tensor, c: Scalar) -> Tensor { a * (1 / c) }
    public static func + (c: Scalar, a: Tensor) -> Tensor { a + c }
    public static func - (c: Scalar, a: Tensor) -> Tensor { -a + c }
    public static func * (c: Scalar, a: Tensor) -> Tensor { a * c }
    public static func / (c: Scalar, a: Tensor) -> Tensor { a.pow(-1) * c }

    /// Elementwise maximum of two tensors (broadcasting); the gradient goes to the larger one.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let y = combine(.maximum, a, b)
        return differentiable(op: "maximum", output: y, inputs: [a, b]) { g in
            let aWins = (a - b).mapped(.inside(0, .infinity))  // 1 where a >= b
            return [g * aWins, g * (1 - aWins)]
        }
    }

    // MARK: Functions

    /// x^p for a constant exponent p.
    public func pow(_ p: Scalar) -> Tensor {
        let x = self
        return Tensor.differentiable(op: "pow", output: mapped(.pow(p)), inputs: [x]) { g in
            [g * x.mapped(.pow(p - 1)) * p]
        }
    }

    public func squared() -> Tensor {
        let x = self
        return Tensor.differentiable(op: "square", output: mapped(.square), inputs: [x]) { g in [g * x * 2] }
    }

    public func exp() -> Tensor {
        let y = mapped(.exp)
        return Tensor.differentiable(op: "exp", output: y, inputs: [self]) { g in [g * y] }
    }

    public func log() -> Tensor {
        let x = self
        return Tensor.differentiable(op: "log", output: mapped(.log), inputs: [x]) { g in [g / x] }
    }

    /// log(1 + x), accurate for small x.
    public func log1p() -> Tensor {
        let x = self
        return Tensor.differentiable(op: "log1p", output: mapped(.log1p), inputs: [x]) { g in [g / (x + 1)] }
    }

    public func sqrt() -> Tensor {
        let y = mapped(.sqrt)
        return Tensor.differentiable(op: "sqrt", output: y, inputs: [self]) { g in [g / y * 0.5] }
    }

    public func tanh() -> Tensor {
        let y = mapped(.tanh)
        // d tanh(x) / dx = 1 - tanh(x)^2: g (1 - y^2), one fused pass.
        return Tensor.differentiable(op: "tanh", output: y, inputs: [self]) { g in [Tensor.combine(.tanhGradient, g, y)]
        }
    }

    /// 1 / (1 + e^-x), computed without overflow for large |x|.
    public func sigmoid() -> Tensor {
        let y = mapped(.sigmoid)
        // d sigmoid(x) / dx = sigmoid(x) (1 - sigmoid(x)): g y (1 - y), one fused pass.
        return Tensor.differentiable(op: "sigmoid", output: y, inputs: [self]) { g in
            [Tensor.combine(.sigmoidGradient, g, y)]
        }
    }

    /// The gated unit of the gated PixelCNN: tanh(a) . sigmoid(b), where a and b are the first and
    /// second halves of axis 1, [N, 2p, ...] -> [N, p, ...]. The same values and gradients, bit for
    /// bit, as `slice(0..<p, alongAxis: 1).tanh() * slice(p..<(2 * p), alongAxis: 1).sigmoid()`, in
    /// one pass each way (GateKernels.swift).
    public func tanhSigmoidGate() -> Tensor {
        precondition(rank >= 2 && shape[1] % 2 == 0, "the gate needs an even axis 1 of [N, 2p, ...], got \(shape)")
        var half = shape
        half[1] /= 2
        let (blocks, inner) = (shape[0], half.dropFirst().reduce(1, *))
        let (y, t, s) = gateForward(scalars, blocks: blocks, inner: inner)
        let shape = self.shape
        return Tensor.differentiable(op: "tanh-sigmoid gate", output: Tensor(shape: half, scalars: y), inputs: [self]) {
            g in [Tensor(shape: shape, scalars: gateBackward(g.scalars, t: t, s: s, blocks: blocks, inner: inner))]
        }
    }

    public func relu() -> Tensor {
        let x = self
        // The gradient passes where x > 0 and stops elsewhere.
        return Tensor.differentiable(op: "relu", output: mapped(.relu), inputs: [x]) { g in
            [Tensor.combine(.reluGradient(slope: 0), g, x)]
        }
    }

    /// x for x > 0, slope * x otherwise.
    public func leakyRelu(slope: Scalar = 0.2) -> Tensor {
        let x = self
        // The gradient passes where x > 0 and is scaled by the slope elsewhere.
        return Tensor.differentiable(op: "leakyRelu", output: mapped(.leakyRelu(slope)), inputs: [x]) { g in
            [Tensor.combine(.reluGradient(slope: Double(slope)), g, x)]
        }
    }

    public func abs() -> Tensor {
        let x = self
        return Tensor.differentiable(op: "abs", output: mapped(.abs), inputs: [x]) { g in [g * x.mapped(.sign)] }
    }

    /// Values limited to [low, high]; the gradient is zero where the limit is active.
    public func clamped(_ low: Scalar, _ high: Scalar) -> Tensor {
        let x = self
        return Tensor.differentiable(op: "clamp", output: mapped(.clamp(low, high)), inputs: [x]) { g in
            [g * x.mapped(.inside(low, high))]
        }
    }

    /// log(1 + e^x), composed in the stable form relu(x) + log1p(e^-|x|).
    public func softplus() -> Tensor { relu() + (-abs()).exp().log1p() }

    /// log(sigmoid(x)) = -softplus(-x), finite even at x = -100 where sigmoid underflows.
    public func logSigmoid() -> Tensor { -(-self).softplus() }

    /// Inside a backward rule: whether this input was recorded on the tape, i.e. whether its
    /// gradient is wanted. Rules use it to skip work for constant operands (data, masks).
    var isRecorded: Bool { node != nil }
}

/// Free-function spellings, for formulas that read better that way.
public func exp<S>(_ x: Tensor<S>) -> Tensor<S> { x.exp() }
public func log<S>(_ x: Tensor<S>) -> Tensor<S> { x.log() }
public func tanh<S>(_ x: Tensor<S>) -> Tensor<S> { x.tanh() }
public func sigmoid<S>(_ x: Tensor<S>) -> Tensor<S> { x.sigmoid() }
public func relu<S>(_ x: Tensor<S>) -> Tensor<S> { x.relu() }
public func softplus<S>(_ x: Tensor<S>) -> Tensor<S> { x.softplus() }
