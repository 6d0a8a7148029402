import Foundation
import Testing

@testable import Datasets

/// Broken data files end in a `DataError` that names the file and what is wrong, never a crash.
/// Each case writes a tiny image file (3 images of 2 x 2, 17 levels) and label file, spoils one
/// thing, and loads them.
@Suite struct BadInputTests {
    /// Three 2 x 2 images with levels 0...16, labels 0...2.
    static let pixels: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16]
    static let labels: [UInt8] = [0, 1, 2]
    static let images = IDX.encode(shape: [3, 2, 2], bytes: pixels)
    static let labelFile = IDX.encode(shape: [3], bytes: labels)

    enum Case: String, CaseIterable {
        case missingImages, missingLabels, folderInsteadOfFile, emptyFile, truncatedHeader, truncatedPixels,
            trailingBytes, badMagic, wrongRank, wrongCount, emptyImages, pixelOutOfRange, labelOutOfRange,
            countMismatch
    }

    /// The spoiled image and label files of `c` (nil: do not write the file) and the error expected,
    /// given the two paths.
    static func setUp(_ c: Case) -> (images: [UInt8]?, labels: [UInt8]?, expected: (String, String) -> DataError) {
        var images = Self.images
        var labelFile = Self.labelFile
        let expected: (String, String) -> DataError
        switch c {
        case .missingImages:
            return (nil, labelFile, { i, _ in .missingFile(path: i) })
        case .missingLabels:
            return (images, nil, { _, l in .missingFile(path: l) })
        case .folderInsteadOfFile:
            return (images, nil, { _, l in .unreadable(path: l, reason: "it is a folder") })
        case .emptyFile:
            images = []
            expected = { i, _ in .wrongSize(path: i, bytes: 0, expectedBytes: 16) }
        case .truncatedHeader:
            images = Array(images.prefix(10))
            expected = { i, _ in .wrongSize(path: i, bytes: 10, expectedBytes: 16) }
        case .truncatedPixels:
            images.removeLast(5)
            expected = { i, _ in .wrongSize(path: i, bytes: 23, expectedBytes: 28) }
        case .trailingBytes:
            images += [0, 0]
            expected = { i, _ in .wrongSize(path: i, bytes: 30, expectedBytes: 28) }
        case .badMagic:
            images[2] = 0x0D  // the IDX type code of float32
            expected = { i, _ in .badMagic(path: i, found: 0x0D03, expected: 0x0803) }
        case .wrongRank:
            images = IDX.encode(shape: [12], bytes: Self.pixels)
            expected = { i, _ in .badMagic(path: i, found: 0x0801, expected: 0x0803) }
        case .wrongCount:
            images = IDX.encode(shape: [2, 2, 2], bytes: Array(Self.pixels.prefix(8)))
            expected = { i, _ in .wrongShape(path: i, found: [2, 2, 2], expected: [3, 2, 2]) }
        case .emptyImages:
            // Without an expected shape, a header giving images no columns is caught on its own.
            images = IDX.encode(shape: [3, 2, 0], bytes: [])
            expected = { i, _ in .emptyImages(path: i, shape: [3, 2, 0]) }
        case .pixelOutOfRange:
            images[16 + 9] = 17  // image 2, row 0, column 1
            expected = { i, _ in .pixelOutOfRange(path: i, image: 2, row: 0, column: 1, byte: 25, value: 17, levels: 17)
            }
        case .labelOutOfRange:
            labelFile[8 + 1] = 10
            expected = { _, l in .labelOutOfRange(path: l, record: 1, byte: 9, label: 10, classes: 10) }
        case .countMismatch:
            labelFile = IDX.encode(shape: [2], bytes: [0, 1])
            expected = { i, l in .countMismatch(imagesPath: i, images: 3, labelsPath: l, labels: 2) }
        }
        return (images, labelFile, expected)
    }

    @Test(arguments: Case.allCases)
    func badFileThrowsATypedErrorNamingTheFile(_ c: Case) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (images, labels, expected) = Self.setUp(c)
        let imagesURL = folder.url.appendingPathComponent("images-idx3-ubyte")
        let labelsURL = folder.url.appendingPathComponent("labels-idx1-ubyte")
        if let images { try folder.write(imagesURL.lastPathComponent, images) }
        if let labels { try folder.write(labelsURL.lastPathComponent, labels) }
        if c == .folderInsteadOfFile {
            try FileManager.default.createDirectory(at: labelsURL, withIntermediateDirectories: false)
        }

        // Two cases go without an expected shape, which would catch them earlier as a wrong shape.
        let shape: [Int]? = c == .emptyImages || c == .countMismatch ? nil : [3, 2, 2]
        let error = #expect(throws: DataError.self) {
            try ImageSet.load(images: imagesURL, labels: labelsURL, levels: 17, expectedShape: shape)
        }
        let want = expected(imagesURL.path, labelsURL.path)
        #expect(error == want)
        let message = error?.description ?? ""
        #expect(
            message.contains(
                c == .missingLabels || c == .labelOutOfRange || c == .folderInsteadOfFile
                    ? labelsURL.path : imagesURL.path))
        if c != .folderInsteadOfFile { #expect(message.contains("Data/fetch.sh"), "\(message)") }
    }

    @Test func theUntouchedFilesLoad() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let images = try folder.write("i", Self.images)
        let labels = try folder.write("l", Self.labelFile)
        let set = try ImageSet.load(images: images, labels: labels, levels: 17, expectedShape: [3, 2, 2])
        #expect(set.pixels == Self.pixels && set.labels == [0, 1, 2] && set.height == 2 && set.width == 2)
        #expect(set[2, 1, 1] == 16)
    }

    @Test func missingRealDataSaysWhichFileAndWhatToRun() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let error = #expect(throws: DataError.self) { try RealDataset.mnist5k.load(from: folder.url) }
        let message = error?.description ?? ""
        #expect(message.contains("mnist5k-images-idx3-ubyte") && message.contains("not found"))
        #expect(message.contains("Run Data/fetch.sh") && message.contains("GENERATIVE_WORKBOOK_DATA"))
        // What a chapter prints from a caught `any Error`.
        if let error { #expect((error as any Error).localizedDescription == message) }
    }

    @Test func aLevelTooHighForTheDigitsIsCaughtAtItsPosition() throws {
        // The real digits file with one pixel set to 17 (of 17 levels 0...16).
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let source = DataDirectory.sourceDefault
        var bytes = [UInt8](try Data(contentsOf: source.appendingPathComponent(RealDataset.digits8x8.imagesFileName)))
        let (image, row, column) = (1234, 5, 6)
        bytes[16 + image * 64 + row * 8 + column] = 17
        try folder.write(RealDataset.digits8x8.imagesFileName, bytes)
        try FileManager.default.copyItem(
            at: source.appendingPathComponent(RealDataset.digits8x8.labelsFileName),
            to: folder.url.appendingPathComponent(RealDataset.digits8x8.labelsFileName))
        let error = #expect(throws: DataError.self) { try RealDataset.digits8x8.load(from: folder.url) }
        #expect(error?.description.contains("image 1234, row 5, column 6") == true, "\(String(describing: error))")
    }
}
