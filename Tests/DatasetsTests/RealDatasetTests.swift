import Foundation
import Tensors
import Testing

@testable import Datasets

/// The committed files: counts, shapes, ranges, and the documented splits.
@Suite struct RealDatasetTests {
    @Test(arguments: RealDataset.allCases)
    func countsShapesAndRanges(_ dataset: RealDataset) throws {
        let set = try dataset.load()
        #expect(set.count == dataset.count)
        #expect(set.height == dataset.height && set.width == dataset.width)
        #expect(set.levels == dataset.levels)
        #expect(set.pixels.count == dataset.count * dataset.height * dataset.width)
        // Both ends of the range occur: nothing was clipped or rescaled.
        #expect(set.pixels.min() == 0 && Int(set.pixels.max()!) == dataset.levels - 1)
        #expect(Set(set.labels) == Set(0..<10))
        let floats = set.subset(0..<500).unitPixels()
        #expect(floats.min() == 0 && floats.max() == 1)
    }

    @Test func classCounts() throws {
        var digits = [Int](repeating: 0, count: 10)
        for label in try RealDataset.digits8x8.load().labels { digits[label] += 1 }
        #expect(digits == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        // MNIST-5k is sorted by label, 500 of each digit.
        let mnist = try RealDataset.mnist5k.load().labels
        #expect(mnist == (0..<10).flatMap { [Int](repeating: $0, count: 500) })
    }

    @Test func firstDigitIsAZero() throws {
        // The first row of digits.csv.gz, a zero: a check that the bytes are in row-major order.
        let digits = try RealDataset.digits8x8.load()
        #expect(Array(digits.image(0).prefix(16)) == [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0])
        #expect(digits.labels[0] == 0 && digits[0, 1, 3] == 15)
    }

    @Test(arguments: RealDataset.allCases)
    func tensorShapes(_ dataset: RealDataset) throws {
        let set = try dataset.load(.validation)
        let nchw = set.nchw()
        #expect(nchw.shape == [set.count, 1, dataset.height, dataset.width])
        let flat: Tensor<Double> = set.flattened(as: Double.self)
        #expect(flat.shape == [set.count, dataset.height * dataset.width])
        // Same values, same order; level v is v / (levels - 1).
        #expect(zip(nchw.scalars, flat.scalars).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        let n = 7
        #expect(nchw[n, 0, 3, 2] == Float(set[n, 3, 2]) / Float(dataset.levels - 1))
    }

    @Test(arguments: RealDataset.allCases)
    func splitsAreDisjointCompleteAndHoldEveryDigit(_ dataset: RealDataset) throws {
        let all = try dataset.load()
        let sizes: [Split: Int] =
            dataset == .digits8x8
            ? [.train: 1000, .validation: 350, .test: 447] : [.train: 4000, .validation: 500, .test: 500]
        var seen = Set<Int>()
        for split in Split.allCases {
            let rows = dataset.splitIndices(split, labels: all.labels)
            #expect(rows.count == sizes[split], "\(dataset) \(split)")
            #expect(seen.isDisjoint(with: rows), "\(dataset) \(split) overlaps an earlier split")
            seen.formUnion(rows)
            #expect(Set(rows.map { all.labels[$0] }) == Set(0..<10), "\(dataset) \(split) lacks a digit")
        }
        #expect(seen == Set(0..<dataset.count))
    }

    @Test func digitsSplitIsTomczaksFileOrder() throws {
        let labels = try RealDataset.digits8x8.load().labels
        #expect(RealDataset.digits8x8.splitIndices(.train, labels: labels) == Array(0..<1000))
        #expect(RealDataset.digits8x8.splitIndices(.validation, labels: labels) == Array(1000..<1350))
        #expect(RealDataset.digits8x8.splitIndices(.test, labels: labels) == Array(1350..<1797))
    }

    @Test func mnistSplitIsPerClass() throws {
        let (train, validation, test) = try RealDataset.mnist5k.loadSplits()
        for (set, perDigit) in [(train, 400), (validation, 50), (test, 50)] {
            var counts = [Int](repeating: 0, count: 10)
            for label in set.labels { counts[label] += 1 }
            #expect(counts == [Int](repeating: perDigit, count: 10))
        }
        // The test images of digit 3 are the last 50 of its 500: file rows 1950..<2000.
        let all = try RealDataset.mnist5k.load()
        let threes = RealDataset.mnist5k.splitIndices(.test, labels: all.labels).filter { all.labels[$0] == 3 }
        #expect(threes == Array(1950..<2000))
        #expect(test.subset(150..<200) == all.subset(Array(1950..<2000)))
    }

    @Test func dataDirectoryIsNextToTheSources() {
        #expect(DataDirectory.sourceDefault.lastPathComponent == "Data")
        for dataset in RealDataset.allCases {
            let file = DataDirectory.sourceDefault.appendingPathComponent(dataset.imagesFileName)
            #expect(FileManager.default.fileExists(atPath: file.path), "\(file.path)")
        }
    }

    @Test func environmentVariableOverridesTheFolder() {
        let elsewhere = DataDirectory.resolve(environment: [DataDirectory.environmentVariable: "/srv/digits"])
        #expect(elsewhere.path == "/srv/digits")
        #expect(
            DataDirectory.resolve(environment: [DataDirectory.environmentVariable: ""]) == DataDirectory.sourceDefault)
        #expect(DataDirectory.resolve(environment: [:]) == DataDirectory.sourceDefault)
    }

    @Test func loadFromAnotherFolder() throws {
        // What GENERATIVE_WORKBOOK_DATA selects: any folder holding the four files.
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for name in [RealDataset.digits8x8.imagesFileName, RealDataset.digits8x8.labelsFileName] {
            try FileManager.default.copyItem(
                at: DataDirectory.sourceDefault.appendingPathComponent(name),
                to: folder.url.appendingPathComponent(name))
        }
        #expect(try RealDataset.digits8x8.load(from: folder.url) == RealDataset.digits8x8.load())
    }
}
