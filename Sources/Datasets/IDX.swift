import Foundation

/// Reading IDX files, the format of the original MNIST distribution (LeCun et al.).
///
/// Layout, all integers big-endian:
///
///     bytes 0-3    magic 0x0000_08_nn: two zero bytes, type 0x08 (unsigned byte), nn = number of axes
///     bytes 4...   nn sizes, one uint32 each, outermost first
///     then         size_0 * ... * size_(nn-1) unsigned bytes, row-major
///
/// so a set of N gray H x W images is `0x00000803, N, H, W` followed by N*H*W pixels, and its labels
/// `0x00000801, N` followed by N bytes. The whole file is read with one `Data(contentsOf:)` and copied
/// once into `[UInt8]`: there is nothing to parse, which is why `Data/` stores this and not CSV.
public enum IDX {
    /// The magic number of an IDX file of unsigned bytes with `rank` axes.
    public static func magic(rank: Int) -> UInt32 { 0x0000_0800 | UInt32(rank) }

    /// The sizes of the axes and the bytes of the file at `url`, checked against the expected rank
    /// and, where `expectedShape` is given, against those sizes.
    /// Throws `DataError` for a missing, unreadable, truncated, overlong or malformed file.
    public static func read(_ url: URL, rank: Int, expectedShape: [Int]? = nil) throws -> (shape: [Int], bytes: [UInt8])
    {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.missingFile(path: path)
        }
        if isDirectory.boolValue { throw DataError.unreadable(path: path, reason: "it is a folder") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DataError.unreadable(path: path, reason: error.localizedDescription)
        }

        return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            let headerSize = 4 * (1 + rank)
            // A file too short for its magic number is reported as truncated, not as bad magic.
            guard bytes.count >= 4 else {
                throw DataError.wrongSize(path: path, bytes: bytes.count, expectedBytes: headerSize)
            }
            func uint32(at offset: Int) -> UInt32 {
                (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
            }
            let found = uint32(at: 0)
            guard found == magic(rank: rank) else {
                throw DataError.badMagic(path: path, found: found, expected: magic(rank: rank))
            }
            guard bytes.count >= headerSize else {
                throw DataError.wrongSize(path: path, bytes: bytes.count, expectedBytes: headerSize)
            }
            let shape = (0..<rank).map { Int(uint32(at: 4 + 4 * $0)) }
            if let expectedShape, shape != expectedShape {
                throw DataError.wrongShape(path: path, found: shape, expected: expectedShape)
            }
            // A corrupt header could claim more elements than an Int holds.
            var elements = 1
            for size in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: size)
                guard !overflow else { throw DataError.wrongSize(path: path, bytes: bytes.count, expectedBytes: .max) }
                elements = product
            }
            let (expectedBytes, overflow) = headerSize.addingReportingOverflow(elements)
            guard !overflow, bytes.count == expectedBytes else {
                throw DataError.wrongSize(
                    path: path, bytes: bytes.count, expectedBytes: overflow ? .max : expectedBytes)
            }
            return (shape, Array(bytes[headerSize...]))
        }
    }

    /// The bytes of an IDX file of unsigned bytes with the given shape (header + row-major data):
    /// the inverse of `read`, for tests and for writing derived sets.
    public static func encode(shape: [Int], bytes: [UInt8]) -> [UInt8] {
        precondition(
            shape.reduce(1, *) == bytes.count, "shape \(shape) needs \(shape.reduce(1, *)) bytes, got \(bytes.count)")
        var out: [UInt8] = []
        out.reserveCapacity(4 * (shape.count + 1) + bytes.count)
        for word in [magic(rank: shape.count)] + shape.map({ UInt32($0) }) {
            out += [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
        }
        return out + bytes
    }
}
