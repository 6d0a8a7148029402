import Foundation
import Tensors
import Testing

@testable import Datasets

@Suite struct MinibatchTests {
    @Test func sameSeedSameBatches() {
        var a = Random(seed: 42)
        var b = Random(seed: 42)
        let first = Array(ShuffledBatches(count: 103, batchSize: 10, using: &a))
        #expect(first == Array(ShuffledBatches(count: 103, batchSize: 10, using: &b)))
        // The next epoch from the same generator is another order.
        #expect(first != Array(ShuffledBatches(count: 103, batchSize: 10, using: &a)))
        var c = Random(seed: 43)
        #expect(first != Array(ShuffledBatches(count: 103, batchSize: 10, using: &c)))
    }

    @Test(arguments: [false, true])
    func everyIndexOncePerEpoch(dropLast: Bool) {
        var rng = Random(seed: 1)
        let epoch = ShuffledBatches(count: 103, batchSize: 10, dropLast: dropLast, using: &rng)
        let batches = Array(epoch)
        #expect(batches.count == epoch.batchCount)
        #expect(batches.count == (dropLast ? 10 : 11))
        #expect(batches.dropLast().allSatisfy { $0.count == 10 })
        #expect(batches.last?.count == (dropLast ? 10 : 3))
        let seen = batches.flatMap { $0 }
        #expect(Set(seen).count == seen.count)
        #expect(dropLast ? seen.count == 100 : Set(seen) == Set(0..<103))
        #expect(seen != Array(0..<seen.count))  // shuffled
    }

    @Test func imageSetBatches() throws {
        let digits = try RealDataset.digits8x8.load(.validation)
        var rng = Random(seed: 7)
        let epoch = digits.shuffledBatches(size: 64, using: &rng)
        let order = epoch.indices.order
        var seen = 0
        for batch in epoch {
            let expected = digits.subset(Array(order[seen..<seen + batch.count]))
            #expect(batch == expected)
            seen += batch.count
        }
        #expect(seen == 350)
    }

    @Test func gatheringRows() {
        let t = Tensor<Float>(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        let g = t.gatheringRows([2, 0, 2])
        #expect(g.shape == [3, 2] && g.scalars == [20, 21, 0, 1, 20, 21])
        let images = Tensor<Float>(shape: [4, 1, 1, 2], scalars: Array(0..<8).map(Float.init))
        #expect(images.gatheringRows([3]).shape == [1, 1, 1, 2])
        #expect(images.gatheringRows([3]).scalars == [6, 7])
    }
}
