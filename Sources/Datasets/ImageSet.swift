import Foundation
import Tensors

/// A set of gray images with integer levels, and a label for each.
///
/// `pixels` holds image n, row r, column c at `(n * height + r) * width + c` (N x H x W, row-major),
/// each a level in `0..<levels`: 17 levels (0...16) for the 8x8 digits, 256 for MNIST, 2 after
/// binarisation. As a float the level v is v / (levels - 1), so 0 is black and the top level 1.
/// `labels[n]` is the class of image n (the digit, for the real sets; the pattern number for bars and
/// stripes). A value type: subsets and transforms return new sets.
public struct ImageSet: Sendable, Equatable {
    /// Rows and columns of every image.
    public let height: Int
    public let width: Int
    /// The number of gray levels: every pixel is in `0..<levels` (2...256).
    public let levels: Int
    /// N x H x W levels, row-major.
    public let pixels: [UInt8]
    /// One class per image.
    public let labels: [Int]

    /// A set from row-major pixels; checks that the sizes agree and every pixel is below `levels`.
    public init(height: Int, width: Int, levels: Int, pixels: [UInt8], labels: [Int]) {
        precondition(height > 0 && width > 0, "image size \(height)x\(width) must be positive")
        precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
        precondition(
            pixels.count == labels.count * height * width,
            "\(labels.count) images of \(height)x\(width) need \(labels.count * height * width) pixels, got \(pixels.count)"
        )
        precondition(pixels.allSatisfy { Int($0) < levels }, "a pixel is outside 0..<\(levels)")
        self.height = height
        self.width = width
        self.levels = levels
        self.pixels = pixels
        self.labels = labels
    }

    /// The number of images N.
    public var count: Int { labels.count }
    /// H * W.
    public var pixelsPerImage: Int { height * width }

    /// The H * W levels of image `n`, row-major.
    public func image(_ n: Int) -> ArraySlice<UInt8> {
        pixels[n * pixelsPerImage..<(n + 1) * pixelsPerImage]
    }

    /// The level of image `n` at `row`, `column`.
    public subscript(n: Int, row: Int, column: Int) -> UInt8 {
        pixels[(n * height + row) * width + column]
    }

    /// The images at `indices`, in that order (repeats allowed).
    public func subset(_ indices: [Int]) -> ImageSet {
        let d = pixelsPerImage
        var chosen = [UInt8]()
        chosen.reserveCapacity(indices.count * d)
        for n in indices { chosen += pixels[n * d..<(n + 1) * d] }
        return ImageSet(unchecked: height, width, levels, chosen, indices.map { labels[$0] })
    }

    /// The images in `range`.
    public func subset(_ range: Range<Int>) -> ImageSet {
        let d = pixelsPerImage
        return ImageSet(
            unchecked: height, width, levels, Array(pixels[range.lowerBound * d..<range.upperBound * d]),
            Array(labels[range]))
    }

    /// All pixels as floats in [0, 1]: level v becomes v / (levels - 1). N * H * W values, row-major.
    // Pre-specialised for Float and Double: called unspecialised from another module, this loop
    // took 145 ms for MNIST-5k instead of a few.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func unitPixels<S: TensorScalar>(as _: S.Type = Float.self) -> [S] {
        // A table of `levels` entries: one lookup per pixel instead of a division.
        let table = (0..<levels).map { S($0) / S(levels - 1) }
        return pixels.map { table[Int($0)] }
    }

    /// The images as a tensor of shape [N, 1, H, W] (NCHW, one channel), values v / (levels - 1).
    public func nchw<S: TensorScalar>(as type: S.Type = Float.self) -> Tensor<S> {
        Tensor(shape: [count, 1, height, width], scalars: unitPixels(as: type))
    }

    /// The images as a tensor of shape [N, H * W], one flattened image per row, values v / (levels - 1).
    public func flattened<S: TensorScalar>(as type: S.Type = Float.self) -> Tensor<S> {
        Tensor(shape: [count, pixelsPerImage], scalars: unitPixels(as: type))
    }

    /// For the loaders and transforms, whose pixels are in range by construction.
    init(unchecked height: Int, _ width: Int, _ levels: Int, _ pixels: [UInt8], _ labels: [Int]) {
        self.height = height
        self.width = width
        self.levels = levels
        self.pixels = pixels
        self.labels = labels
    }
}

extension ImageSet {
    /// Reads an image file and a label file in IDX format (see `IDX`) and checks them: rank 3 and
    /// rank 1, the same count, every pixel in `0..<levels`, every label in `0..<classes`, and the
    /// header sizes, where `expectedShape` ([N, H, W]) is given.
    /// Throws `DataError` naming the file and what is wrong with it.
    public static func load(
        images imagesURL: URL, labels labelsURL: URL, levels: Int, classes: Int = 10, expectedShape: [Int]? = nil
    ) throws -> ImageSet {
        precondition((2...256).contains(levels), "levels must be in 2...256, got \(levels)")
        let (shape, pixels) = try IDX.read(imagesURL, rank: 3, expectedShape: expectedShape)
        let (labelShape, labelBytes) = try IDX.read(labelsURL, rank: 1, expectedShape: expectedShape.map { [$0[0]] })
        guard labelShape[0] == shape[0] else {
            throw DataError.countMismatch(
                imagesPath: imagesURL.path, images: shape[0], labelsPath: labelsURL.path, labels: labelShape[0])
        }
        let (height, width) = (shape[1], shape[2])
        guard height > 0, width > 0 else { throw DataError.emptyImages(path: imagesURL.path, shape: shape) }
        // One pass over the bytes; with 256 levels every byte is a valid level.
        if levels < 256, let bad = pixels.firstIndex(where: { Int($0) >= levels }) {
            throw DataError.pixelOutOfRange(
                path: imagesURL.path, image: bad / (height * width), row: bad / width % height, column: bad % width,
                byte: 16 + bad, value: Int(pixels[bad]), levels: levels)
        }
        if let bad = labelBytes.firstIndex(where: { Int($0) >= classes }) {
            throw DataError.labelOutOfRange(
                path: labelsURL.path, record: bad, byte: 8 + bad, label: Int(labelBytes[bad]), classes: classes)
        }
        return ImageSet(unchecked: height, width, levels, pixels, labelBytes.map { Int($0) })
    }
}
