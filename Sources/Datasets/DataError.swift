import Foundation

/// What can be wrong with a data file. Every case names the file and says what to do; loaders
/// throw these instead of crashing, so a chapter stops with one readable line.
///
/// Positions are 0-based: `image 0` is the first record after the header, `row 0, column 0` its
/// top-left pixel, and `byte` the offset from the start of the file (for a hex dump).
public enum DataError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file does not exist.
    case missingFile(path: String)
    /// The file exists but could not be read (a folder, no permission, an I/O error).
    case unreadable(path: String, reason: String)
    /// The first four bytes are not the IDX magic number of unsigned bytes with the expected rank.
    case badMagic(path: String, found: UInt32, expected: UInt32)
    /// The header's axis sizes are not those of this dataset.
    case wrongShape(path: String, found: [Int], expected: [Int])
    /// The header gives the images zero rows or zero columns.
    case emptyImages(path: String, shape: [Int])
    /// The file is shorter (truncated) or longer than its header says it must be.
    case wrongSize(path: String, bytes: Int, expectedBytes: Int)
    /// A pixel is outside `0..<levels`.
    case pixelOutOfRange(path: String, image: Int, row: Int, column: Int, byte: Int, value: Int, levels: Int)
    /// A label is outside `0..<classes`.
    case labelOutOfRange(path: String, record: Int, byte: Int, label: Int, classes: Int)
    /// The image file and the label file hold different numbers of records.
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)

    static let fix = "Run Data/fetch.sh to recreate the data files."

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): data file not found. \(Self.fix) (Or set \(DataDirectory.environmentVariable) "
                + "to the folder that holds the data files.)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read the data file (\(reason))."
        case .badMagic(let path, let found, let expected):
            return "\(path): bad magic number 0x\(hex(found)), expected 0x\(hex(expected)) "
                + "(an IDX file of unsigned bytes with \(expected & 0xFF) axes). \(Self.fix)"
        case .wrongShape(let path, let found, let expected):
            return "\(path): header says shape \(found), expected \(expected). \(Self.fix)"
        case .emptyImages(let path, let shape):
            return "\(path): header says shape \(shape): images without pixels. \(Self.fix)"
        case .wrongSize(let path, let bytes, let expectedBytes):
            let what =
                bytes < expectedBytes
                ? "truncated: \(bytes) bytes, but its header needs \(expectedBytes)"
                : "\(bytes - expectedBytes) bytes of trailing data after the \(expectedBytes) its header describes"
            return "\(path): \(what). \(Self.fix)"
        case .pixelOutOfRange(let path, let image, let row, let column, let byte, let value, let levels):
            return "\(path): image \(image), row \(row), column \(column) (byte \(byte)) has value \(value), "
                + "outside 0...\(levels - 1). \(Self.fix)"
        case .labelOutOfRange(let path, let record, let byte, let label, let classes):
            return "\(path): label \(record) (byte \(byte)) is \(label), outside 0...\(classes - 1). \(Self.fix)"
        case .countMismatch(let imagesPath, let images, let labelsPath, let labels):
            return "\(imagesPath) holds \(images) images but \(labelsPath) holds \(labels) labels. \(Self.fix)"
        }
    }

    public var errorDescription: String? { description }
}

private func hex(_ x: UInt32) -> String {
    let digits = String(x, radix: 16, uppercase: true)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
