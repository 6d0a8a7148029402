// Matrix products. Forward and backward all go through one GEMM kernel; the backward products
// use its transposed variants, so no transposed copy of an operand is ever built here:
//   C = A . B   =>   dA = dC . B^T,   dB = A^T . dC.

extension Tensor {
    /// The matrix product.
    /// - a [m, k] . b [k, n] -> [m, n]
    /// - a [B, m, k] . b [B, k, n] -> [B, m, n] (batched)
    /// - a [..., k] . b [k, n] -> [..., n] (every row of a times the same b, as in a Linear layer)
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        if a.rank == 3 && b.rank == 3 { return batchedMatmul(a, b) }
        precondition(b.rank == 2 && a.rank >= 1, "matmul of shapes \(a.shape) and \(b.shape) is not defined")
        let k = a.shape[a.rank - 1]
        precondition(k == b.shape[0], "matmul: inner sizes differ in \(a.shape) . \(b.shape)")
        let m = a.count / Swift.max(k, 1)
        let n = b.shape[1]
        let c = gemmArray(GEMMShape(m: m, n: n, k: k), a.scalars, b.scalars)
        let outShape = Array(a.shape.dropLast()) + [n]
        return differentiable(op: "matmul", output: Tensor(shape: outShape, scalars: c), inputs: [a, b]) { g in
            var da: Tensor? = nil
            var db: Tensor? = nil
            if a.isRecorded {
                da = Tensor(
                    shape: a.shape, scalars: gemmArray(GEMMShape(transB: true, m: m, n: k, k: n), g.scalars, b.scalars))
            }
            if b.isRecorded {
                db = Tensor(
                    shape: b.shape, scalars: gemmArray(GEMMShape(transA: true, m: k, n: n, k: m), a.scalars, g.scalars))
            }
            return [da, db]
        }
    }

    static func batchedMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (batch, m, k) = (a.shape[0], a.shape[1], a.shape[2])
        precondition(
            b.shape[0] == batch && b.shape[1] == k, "batched matmul of shapes \(a.shape) and \(b.shape) is not defined")
        let n = b.shape[2]
        var c: [Scalar] = filledArray(0, count: batch * m * n)
        for i in 0..<batch {
            gemmArrays(
                GEMMShape(m: m, n: n, k: k), a.scalars, b.scalars, into: &c, offsetA: i * m * k, offsetB: i * k * n,
                offsetC: i * m * n)
        }
        return differentiable(op: "batched matmul", output: Tensor(shape: [batch, m, n], scalars: c), inputs: [a, b]) {
            g in
            var da: [Scalar] = filledArray(0, count: a.count)
            var db: [Scalar] = filledArray(0, count: b.count)
            for i in 0..<batch {
                gemmArrays(
                    GEMMShape(transB: true, m: m, n: k, k: n), g.scalars, b.scalars, into: &da, offsetA: i * m * n,
                    offsetB: i * k * n, offsetC: i * m * k)
                gemmArrays(
                    GEMMShape(transA: true, m: k, n: n, k: m), a.scalars, g.scalars, into: &db, offsetA: i * m * k,
                    offsetB: i * m * n, offsetC: i * k * n)
            }
            return [Tensor(shape: a.shape, scalars: da), Tensor(shape: b.shape, scalars: db)]
        }
    }
}

/// `a • b`, the matrix product (see `Tensor.matmul`).
infix operator • : MultiplicationPrecedence
public func • <S>(a: Tensor<S>, b: Tensor<S>) -> Tensor<S> { Tensor.matmul(a, b) }
