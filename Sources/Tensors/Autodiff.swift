// Reverse-mode automatic differentiation on a tape.
//
// While `valueAndGradient` runs a function, every op whose inputs depend on the watched tensors
// appends one record to the tape: the output's shape and a backward rule (a closure written right
// under the op's forward code) that maps the gradient of the output to the gradients of the
// inputs. Records are appended in creation order, so the tape is already topologically sorted:
// backward is one loop over the records in reverse, never a recursive graph walk (an unrolled
// 784-step LSTM would blow the stack). Gradients are accumulated (`+=`), never assigned, so a
// tensor used twice gets both contributions, and a gradient arriving for a broadcast operand is
// summed back to the operand's shape in one place, `accumulate`. After backward the tape is
// dropped, and with it every intermediate tensor the closures kept alive: memory stays flat over
// a long training run.

/// Where a tensor sits on a tape: which tape (so a tensor from an earlier step is a constant to a
/// later one) and which record.
struct TapeNode {
    let tape: ObjectIdentifier
    let index: Int
}

/// One tape per gradient computation, then dropped.
final class Tape<Scalar: TensorScalar> {
    struct Record {
        let op: String
        let shape: [Int]
        /// The tape positions of the inputs whose gradients `backward` returns, in order.
        let inputs: [Int?]
        let inputShapes: [[Int]]
        /// Gradient of the output -> gradient of each input (nil where none flows).
        let backward: ((Tensor<Scalar>) -> [Tensor<Scalar>?])?
    }
    var records: [Record] = []

    /// The tape that ops record on right now, if any. It is task-local: each task (each test,
    /// when Swift Testing runs them in parallel) has its own, and synchronous code sees the value
    /// of the task or thread it runs on.
    static var current: AnyObject? { TapeContext.current }

    var id: ObjectIdentifier { ObjectIdentifier(self) }

    /// Puts a leaf (a watched input or parameter) on the tape.
    func watch(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var y = x
        y.node = TapeNode(tape: id, index: records.count)
        records.append(Record(op: "input", shape: x.shape, inputs: [], inputShapes: [], backward: nil))
        return y
    }

    /// Runs every backward rule in reverse creation order, starting from d(output)/d(output) = 1,
    /// and returns the gradient of `output` with respect to every record (nil where none arrived).
    func backward(from output: Tensor<Scalar>) -> [Tensor<Scalar>?] {
        precondition(output.count == 1, "gradients are taken of a scalar loss, got shape \(output.shape)")
        var grads = [Tensor<Scalar>?](repeating: nil, count: records.count)
        guard let node = output.node, node.tape == id else { return grads }
        grads[node.index] = Tensor(shape: output.shape, repeating: 1)
        // Backward rules are written with ordinary tensor ops; they must not record themselves.
        TapeContext.$current.withValue(nil) { runBackward(from: node.index, &grads) }
        return grads
    }

    private func runBackward(from last: Int, _ grads: inout [Tensor<Scalar>?]) {
        for index in stride(from: last, through: 0, by: -1) {
            guard let g = grads[index], let rule = records[index].backward else { continue }
            let record = records[index]
            let inputGrads = rule(g)
            for (k, input) in record.inputs.enumerated() {
                guard let input, let gi = inputGrads[k] else { continue }
                NumericsCheck.inspect(gi, op: "backward of \(record.op)", shapes: record.inputShapes)
                accumulate(gi, into: &grads[input], shape: records[input].shape)
            }
            // Intermediate gradients are not needed once passed on; freeing them keeps memory low.
            if records[index].backward != nil { grads[index] = nil }
        }
    }

    /// `total += g`, after summing `g` over the axes along which the operand was broadcast.
    /// This is the only place where broadcasting is undone.
    private func accumulate(_ g: Tensor<Scalar>, into total: inout Tensor<Scalar>?, shape: [Int]) {
        let reduced = g.shape == shape ? g : g.summedToShape(shape)
        precondition(reduced.shape == shape, "gradient shape \(reduced.shape) does not match operand shape \(shape)")
        if total == nil {
            total = reduced
        } else {
            // In place: copy on write leaves any tensor that shares the storage untouched.
            total!.scalars.withUnsafeMutableBufferPointer { y in
                if y.count > 0 {
                    reduced.scalars.withUnsafeBufferPointer {
                        addInPlace(y.baseAddress!, $0.baseAddress!, count: y.count)
                    }
                }
            }
        }
    }
}

enum TapeContext {
    @TaskLocal static var current: AnyObject?
}

extension Tensor {
    /// True when this tensor depends on something the current tape differentiates.
    public var isTracked: Bool {
        guard let node, let tape = Tape<Scalar>.current else { return false }
        return node.tape == ObjectIdentifier(tape)
    }

    /// Finishes an op: checks its output for NaN or infinity when the check mode is on, and, if a
    /// tape is recording and any input is tracked, records the op's backward rule.
    ///
    /// `backward` gets the gradient of the output (same shape as `output`) and returns one
    /// gradient per input, in the order of `inputs`, each of the input's shape or broadcastable to
    /// it (the tape sums broadcast axes away), or nil where no gradient is needed. It is public so
    /// that a reader can add an op of their own, as the tests do.
    public static func differentiable(
        op: String, output: Tensor, inputs: [Tensor],
        backward: @escaping (_ gradient: Tensor) -> [Tensor?]
    ) -> Tensor {
        NumericsCheck.inspect(output, op: op, shapes: inputs.map(\.shape))
        guard let tape = Tape<Scalar>.current as? Tape<Scalar> else { return output }
        let positions: [Int?] = inputs.map { x in
            guard let node = x.node, node.tape == tape.id else { return nil }
            return node.index
        }
        guard positions.contains(where: { $0 != nil }) else { return output }
        var result = output
        result.node = TapeNode(tape: tape.id, index: tape.records.count)
        tape.records.append(
            Tape.Record(
                op: op, shape: output.shape, inputs: positions, inputShapes: inputs.map(\.shape),
                backward: backward))
        return result
    }
}

/// The value of `f` at `inputs` and its gradient with respect to each input.
///
/// `f` must return a one-element tensor (a loss). Gradients come back as values, one per input,
/// of the input's shape (zeros where the loss does not depend on it): there is no `zeroGrad()`.
///
///     let (loss, grads) = valueAndGradient(at: [x, w]) { t in ((t[0] * t[1]).sum()) }
public func valueAndGradient<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], of f: ([Tensor<Scalar>]) -> Tensor<Scalar>
) -> (value: Tensor<Scalar>, gradients: [Tensor<Scalar>]) {
    precondition(TapeContext.current == nil, "valueAndGradient cannot be nested")
    let tape = Tape<Scalar>()
    return TapeContext.$current.withValue(tape) {
        let watched = inputs.map { tape.watch($0) }
        let value = f(watched)
        precondition(value.count == 1, "valueAndGradient needs a one-element loss, got shape \(value.shape)")
        let grads = tape.backward(from: value)
        let gradients = zip(watched, inputs).map { w, x in grads[w.node!.index] ?? Tensor.zeros(x.shape) }
        return (value.detached, gradients)
    }
}

/// The value of `f` and its gradient with respect to each parameter (see `Parameter`).
///
///     let (loss, grads) = valueAndGradient(of: model.parameters) { model.loss(batch) }
///     optimizer.update(model.parameters, with: grads)
public func valueAndGradient<Scalar: TensorScalar>(
    of parameters: [Parameter<Scalar>], _ f: () -> Tensor<Scalar>
) -> (value: Tensor<Scalar>, gradients: [Tensor<Scalar>]) {
    let originals = parameters.map(\.value)
    defer { for (p, v) in zip(parameters, originals) { p.value = v } }
    return valueAndGradient(at: originals) { watched in
        for (p, w) in zip(parameters, watched) { p.value = w }
        return f()
    }
}

/// Runs `body` with recording switched off: for evaluation and sampling inside a gradient
/// computation, and to make a value a constant.
public func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
    try TapeContext.$current.withValue(nil, operation: body)
}

/// A trainable tensor owned by a layer. Layers read `value` in their forward pass; optimisers
/// replace it. It is a class so that a model, its optimiser and `valueAndGradient` all refer to
/// the same parameter.
public final class Parameter<Scalar: TensorScalar> {
    public var value: Tensor<Scalar>
    public let name: String

    public init(_ value: Tensor<Scalar>, name: String = "") {
        self.value = value
        self.name = name
    }

    public var shape: [Int] { value.shape }
}

/// The shape of a recorded computation, for reading only: which op each tape record is and which
/// records it read. It holds no values and no backward rules, and recording it runs `f` exactly
/// as `valueAndGradient` would, without the backward pass.
///
/// What it is for: the *critical path*, the longest chain of ops from an input to the output,
/// each op waiting for the one before. Ops on different branches could run side by side; ops on
/// one chain cannot, whatever the hardware. (A fused op is one node: read its chain as one step
/// only if it is internally parallel, as a convolution or a matrix product is; a fused recurrence
/// hides a chain of steps inside one node.)
public struct TapeGraph: Sendable {
    public struct Node: Sendable {
        /// The op's name ("input" for a watched tensor).
        public let op: String
        /// The shape of its output.
        public let shape: [Int]
        /// The positions of the records it read (inputs that were not on the tape are left out).
        public let parents: [Int]
    }

    /// Every record in creation order (a topological order: parents come first).
    public let nodes: [Node]
    /// The positions of the watched inputs, in the order given.
    public let inputs: [Int]
    /// The position of `f`'s result, or nil if it depends on no watched input.
    public let output: Int?

    /// The number of ops on the longest chain from record `start` to record `end` (0 when they
    /// are the same record), or nil when `end` does not depend on `start`. One loop in creation
    /// order: the length to a record is one more than the longest to any of its parents.
    public func longestPath(from start: Int, to end: Int) -> Int? {
        precondition(
            nodes.indices.contains(start) && nodes.indices.contains(end),
            "records \(start), \(end) are not on a tape of \(nodes.count)")
        guard start <= end else { return nil }
        var length = [Int](repeating: -1, count: end + 1)
        length[start] = 0
        for r in (start + 1)..<(end + 1) {
            for p in nodes[r].parents where p >= start && length[p] >= 0 {
                length[r] = Swift.max(length[r], length[p] + 1)
            }
        }
        return length[end] >= 0 ? length[end] : nil
    }

    /// The longest chain of ops from watched input `k` to the output, or nil if there is none.
    public func criticalPath(fromInput k: Int = 0) -> Int? {
        guard let output else { return nil }
        return longestPath(from: inputs[k], to: output)
    }
}

/// The tape that `valueAndGradient(at: inputs, of: f)` would record, as a `TapeGraph`: f is run
/// once on the watched inputs, no backward pass.
public func recordedTape<Scalar: TensorScalar>(
    at inputs: [Tensor<Scalar>], of f: ([Tensor<Scalar>]) -> Tensor<Scalar>
) -> TapeGraph {
    precondition(TapeContext.current == nil, "recordedTape cannot be nested in a gradient computation")
    let tape = Tape<Scalar>()
    return TapeContext.$current.withValue(tape) {
        let watched = inputs.map { tape.watch($0) }
        let value = f(watched)
        let output = value.node.flatMap { $0.tape == tape.id ? $0.index : nil }
        return TapeGraph(
            nodes: tape.records.map {
                TapeGraph.Node(op: $0.op, shape: $0.shape, parents: $0.inputs.compactMap { $0 })
            },
            inputs: watched.map { $0.node!.index }, output: output)
    }
}
