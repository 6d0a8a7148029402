import Foundation
import Tensors

/// One epoch of minibatches: the indices 0..<count in a seeded random order, cut into batches of
/// `batchSize` (the last one shorter unless `dropLast`).
///
/// The permutation is drawn when the sequence is made (one Fisher-Yates shuffle from `rng`), so
/// the same seed gives the same batches and a new sequence per epoch gives a new order:
///
///     var rng = Random(seed: 1)
///     for epoch in 0..<epochs {
///         for batch in train.shuffledBatches(size: 64, using: &rng) { ... batch.nchw() ... }
///     }
public struct ShuffledBatches: Sequence, IteratorProtocol, Sendable {
    /// The order of this epoch: a permutation of 0..<count.
    public let order: [Int]
    public let batchSize: Int
    public let dropLast: Bool
    private var start = 0

    public init(count: Int, batchSize: Int, dropLast: Bool = false, using rng: inout Random) {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        self.order = rng.permutation(count)
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    /// How many batches the epoch has.
    public var batchCount: Int { dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize }

    /// The next batch of indices, or nil at the end of the epoch.
    public mutating func next() -> [Int]? {
        let end = Swift.min(start + batchSize, order.count)
        if start >= end || (dropLast && end - start < batchSize) { return nil }
        defer { start = end }
        return Array(order[start..<end])
    }
}

/// One epoch of an image set in minibatches (see `ShuffledBatches`); each element is an `ImageSet`.
public struct ImageSetBatches: Sequence, IteratorProtocol, Sendable {
    public let images: ImageSet
    public var indices: ShuffledBatches

    public mutating func next() -> ImageSet? { indices.next().map { images.subset($0) } }
}

extension ImageSet {
    /// One epoch in shuffled minibatches of `size` images (the last shorter unless `dropLast`).
    public func shuffledBatches(size: Int, dropLast: Bool = false, using rng: inout Random) -> ImageSetBatches {
        ImageSetBatches(
            images: self, indices: ShuffledBatches(count: count, batchSize: size, dropLast: dropLast, using: &rng))
    }
}

extension Tensor {
    /// The rows `indices` (along axis 0) of this tensor, in that order: a batch of data, shape
    /// [indices.count, rest of shape...]. For data only: the result is a constant on no tape.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gatheringRows needs a tensor of rank >= 1")
        let rowSize = shape.dropFirst().reduce(1, *)
        var out = [Scalar]()
        out.reserveCapacity(indices.count * rowSize)
        for i in indices {
            precondition(i >= 0 && i < shape[0], "row \(i) out of range for shape \(shape)")
            out += scalars[i * rowSize..<(i + 1) * rowSize]
        }
        return Tensor(shape: [indices.count] + shape.dropFirst(), scalars: out)
    }
}
