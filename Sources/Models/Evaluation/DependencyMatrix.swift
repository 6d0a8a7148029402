import Foundation
import Tensors

/// Which inputs each output of a network depends on, read off its gradients: entry (i, j) is
///
///     M[i, j] = sum_m sum_e | d (w . y[m, i, :]) / d x[m, j, e] |
///
/// for inputs x [M, P, E] (P positions of E features, M examples) and outputs y [M, Q, K] (Q
/// positions of K values, or [M, Q]), with w seeded random weights over the K values (a sum could
/// cancel). An entry is exactly 0 when the tape has no path from input j to output i: the way
/// Germain et al. (2015) and karpathy/pytorch-made check MADE's masks. For an autoregressive
/// model with inputs and outputs in raster order it must be strictly lower-triangular; below the
/// diagonal, zeros are pixels the model never sees (a blind spot, or out of reach).
public struct DependencyMatrix: Sendable {
    /// Q: output positions (rows).
    public let rows: Int
    /// P: input positions (columns).
    public let columns: Int
    /// Q x P, row-major.
    public let values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "a \(rows)x\(columns) matrix needs \(rows * columns) values")
        (self.rows, self.columns, self.values) = (rows, columns, values)
    }

    public subscript(row: Int, column: Int) -> Double { values[row * columns + column] }

    /// Row i: how strongly output i depends on every input, P values.
    public func row(_ i: Int) -> [Double] { Array(values[(i * columns)..<((i + 1) * columns)]) }

    /// The inputs output i depends on at all (non-zero entries of row i).
    public func dependencies(of i: Int) -> Set<Int> { Set((0..<columns).filter { self[i, $0] != 0 }) }

    /// Entries (i, j) with j >= i that are not zero: a model whose inputs and outputs are in the
    /// same order is causal exactly when this is empty.
    public var nonCausalEntries: [(row: Int, column: Int)] {
        (0..<rows).flatMap { i in (i..<columns).compactMap { j in self[i, j] != 0 ? (i, j) : nil } }
    }

    /// Entries (i, j) with j < i that are zero: earlier inputs output i does not see.
    public var unseenEarlierEntries: Int {
        (0..<rows).reduce(0) { sum, i in sum + (0..<Swift.min(i, columns)).filter { self[i, $0] == 0 }.count }
    }

    /// The dependency matrix of `f` at `x` [M, P, E], for the output positions `outputs` (default:
    /// all Q, in order; row r of the result is output position outputs[r]).
    ///
    /// Every row needs its own backward pass, so the rows are computed in batches: the input is
    /// repeated once per row, copy r picks output outputs[r], and one pass gives the gradients of
    /// all of them (the copies do not interact: f must treat the examples of a batch
    /// independently, as every model here does). `batchLimit` caps the copies per pass.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func of<S: TensorScalar>(
        _ f: (Tensor<S>) -> Tensor<S>, at x: Tensor<S>, outputs: [Int]? = nil, seed: UInt64 = 1, batchLimit: Int = 64
    ) -> DependencyMatrix {
        precondition(x.rank == 3, "inputs must be [M, P, E], got \(x.shape)")
        let (m, p, e) = (x.shape[0], x.shape[1], x.shape[2])
        let probe = withoutGradient { f(x) }
        precondition(
            probe.shape[0] == m && (probe.rank == 2 || probe.rank == 3),
            "outputs must be [M, Q] or [M, Q, K], got \(probe.shape)")
        let (q, k) = (probe.shape[1], probe.rank == 3 ? probe.shape[2] : 1)
        let wanted = outputs ?? Array(0..<q)
        precondition(wanted.allSatisfy { (0..<q).contains($0) }, "output positions must be in 0..<\(q)")
        var rng = Random(seed: seed)
        let weights = (0..<k).map { _ in S(rng.normal()) }
        var values = [Double](repeating: 0, count: wanted.count * p)
        let rowsPerPass = Swift.max(1, batchLimit / Swift.max(m, 1))
        var start = 0
        while start < wanted.count {
            let chunk = Array(wanted[start..<Swift.min(start + rowsPerPass, wanted.count)])
            let copies = Tensor.concatenate(Array(repeating: x, count: chunk.count), alongAxis: 0)
            // The reduction: w . y[copy, output, :] for the output position of each copy.
            var pick = [S](repeating: 0, count: chunk.count * m * q * k)
            for (r, output) in chunk.enumerated() {
                for n in 0..<m {
                    for c in 0..<k { pick[((r * m + n) * q + output) * k + c] = weights[c] }
                }
            }
            let picked = Tensor(shape: [chunk.count * m, q * k], scalars: pick)
            let g = valueAndGradient(at: [copies]) { t in (f(t[0]).reshaped([chunk.count * m, q * k]) * picked).sum() }
                .gradients[0].scalars
            for r in 0..<chunk.count {
                for n in 0..<m {
                    for j in 0..<p {
                        var s = 0.0
                        for c in 0..<e { s += Swift.abs(Double(g[((r * m + n) * p + j) * e + c])) }
                        values[(start + r) * p + j] += s
                    }
                }
            }
            start += chunk.count
        }
        return DependencyMatrix(rows: wanted.count, columns: p, values: values)
    }
}

/// Reading receptive fields (sets of raster indices of an H x W image).
public enum ReceptiveField {
    /// The blind spot of the field of pixel (row, column): the pixels before it inside the field's
    /// bounding box that the field misses, that is, in the rows above between the field's leftmost
    /// and rightmost columns, and in the current row from its leftmost column on. Empty for a
    /// field without holes (the raster LSTM's, the gated PixelCNN's); the upper right wedge of a
    /// plain PixelCNN's.
    public static func blindSpot(of field: Set<Int>, row: Int, column: Int, width: Int) -> Set<Int> {
        guard !field.isEmpty else { return [] }
        let columns = field.map { $0 % width }
        let (top, left, right) = (field.map { $0 / width }.min()!, columns.min()!, columns.max()!)
        var hull = Set<Int>()
        for y in top..<row { for x in left...right { hull.insert(y * width + x) } }
        if left < column { for x in left..<column { hull.insert(row * width + x) } }
        return hull.subtracting(field)
    }
}

extension AutoregressiveImageModel {
    /// The dependency matrix of the logits on the input pixels at `inputs` [M, D, E] (see
    /// `inputs`; any values will do): D x D, or only the rows of the pixels `outputs`.
    public func dependencyMatrix(at inputs: Tensor<Scalar>, outputs: [Int]? = nil) -> DependencyMatrix {
        DependencyMatrix.of({ logits($0) }, at: inputs, outputs: outputs)
    }

    /// The receptive field of pixel i's logits by autodiff: row i of the dependency matrix, D values.
    public func receptiveField(ofPixel i: Int, at inputs: Tensor<Scalar>) -> [Double] {
        dependencyMatrix(at: inputs, outputs: [i]).row(0)
    }
}
