import Tensors

/// Nearest neighbours in Euclidean distance, by exhaustive search: for each row of `queries`
/// [Q, D], the `count` rows of `references` [R, D] closest to it, nearest first, with their
/// distances ||q - r|| (ties go to the lower index).
///
/// The GAN paper's Figure 2 shows each generated sample next to its nearest training image: a
/// generator that copied its training data would sit at distance 0 from it.
public func nearestNeighbours(
    of queries: Tensor<Float>, in references: Tensor<Float>, count: Int
) -> [[(index: Int, distance: Double)]] {
    precondition(queries.rank == 2 && references.rank == 2, "nearest neighbours need [N, D] queries and references")
    let d = queries.shape[1]
    precondition(references.shape[1] == d, "queries have \(d) features but references \(references.shape[1])")
    precondition((1...references.shape[0]).contains(count), "count must be between 1 and the number of references")
    let (q, r) = (queries.scalars, references.scalars)
    return (0..<queries.shape[0]).map { i in
        let squared = q.withUnsafeBufferPointer { q in
            r.withUnsafeBufferPointer { r in
                (0..<references.shape[0]).map { j in
                    var sum: Float = 0
                    for k in 0..<d {
                        let difference = q[i * d + k] - r[j * d + k]
                        sum += difference * difference
                    }
                    return sum
                }
            }
        }
        let order = squared.indices.sorted { (squared[$0], $0) < (squared[$1], $1) }
        return order.prefix(count).map { (index: $0, distance: Double(squared[$0]).squareRoot()) }
    }
}
