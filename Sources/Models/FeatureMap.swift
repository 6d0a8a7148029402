import Tensors

/// A feature map of N images, C channels, H x W positions, filled in position by position: the
/// cache of the fast PixelCNN samplers. Positions not yet computed hold zeros; a masked
/// convolution never reads them.
///
/// The samplers compute one position (or one row) of every image of the batch at once. Windows
/// are handed to the convolution side by side in one image, [1, C, h, N w], window n in columns
/// n w ..< (n + 1) w: with stride w (one output per window) the whole batch is one matrix product,
/// and every output element is summed in the same order as in the full pass.
///
/// Stored position-major, [H, W, C, N]: what a step reads or writes (a few positions of every
/// image) is then a few contiguous runs of C N values, not N C scattered ones, one per image map.
/// The layout moves values only; the windows, and so every number computed from them, are the
/// same as from an [N, C, H, W] map.
struct FeatureMap<Scalar: TensorScalar> {
    let count: Int
    let channels: Int
    let height: Int
    let width: Int
    var values: [Scalar]

    init(count: Int, channels: Int, height: Int, width: Int) {
        (self.count, self.channels, self.height, self.width) = (count, channels, height, width)
        values = [Scalar](repeating: 0, count: count * channels * height * width)
    }

    /// Where image m's channel c at (y, x) is stored.
    @inline(__always)
    private func offset(_ m: Int, _ c: Int, _ y: Int, _ x: Int) -> Int { ((y * width + x) * channels + c) * count + m }

    /// Rows `rows` and columns `columns` of every image's map, side by side: [1, C, rows, N columns],
    /// zero where the window reaches outside the image (the zero padding of the full convolution).
    /// `reading` (offsets from the window's first row) names the rows the convolution's active taps
    /// read; the others are left zero, not copied: a dilated kernel's window is mostly rows that
    /// no tap reads.
    func windows(rows: Range<Int>, columns: Range<Int>, reading: [Int]? = nil) -> Tensor<Scalar> {
        let (h, w, n) = (rows.count, columns.count, count)
        precondition(
            reading?.allSatisfy { (0..<h).contains($0) } ?? true,
            "window rows to read \(reading!) must lie in 0..<\(h), the window's height")
        var out = [Scalar](repeating: 0, count: channels * h * n * w)
        let y0 = Swift.max(rows.lowerBound, 0)
        let y1 = Swift.min(rows.upperBound, height)
        let x0 = Swift.max(columns.lowerBound, 0)
        let x1 = Swift.min(columns.upperBound, width)
        if y0 < y1 && x0 < x1 {
            values.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for y in y0..<y1 where reading?.contains(y - rows.lowerBound) ?? true {
                        for x in x0..<x1 {
                            for c in 0..<channels {
                                let from = offset(0, c, y, x)
                                let to = (c * h + y - rows.lowerBound) * n * w + x - columns.lowerBound
                                for m in 0..<n { target[to + m * w] = source[from + m] }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [1, channels, h, n * w], scalars: out)
    }

    /// The k x k windows centred on (row, column), side by side: [1, C, k, N k].
    func windows(centredOn row: Int, _ column: Int, size k: Int, reading: [Int]? = nil) -> Tensor<Scalar> {
        windows(
            rows: (row - k / 2)..<(row + k / 2 + 1), columns: (column - k / 2)..<(column + k / 2 + 1), reading: reading)
    }

    /// Writes a block [1, C, h, N w] laid out as `windows` returns it (image n's block in columns
    /// n * stride ..< n * stride + w, `stride` >= w) with its top left corner at (row, column).
    mutating func write(_ block: Tensor<Scalar>, width w: Int, stride: Int? = nil, row: Int, column: Int) {
        let (h, total) = (block.shape[2], block.shape[3])
        let step = stride ?? w
        precondition(
            block.shape[0] == 1 && block.shape[1] == channels, "block \(block.shape) does not fit \(channels) channels")
        precondition(
            (count - 1) * step + w <= total, "block \(block.shape) does not hold \(count) images of width \(w)")
        precondition(
            row >= 0 && column >= 0 && row + h <= height && column + w <= width,
            "a block of \(h) x \(w) at (\(row), \(column)) does not fit a \(height) x \(width) map")
        let n = count
        block.scalars.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { target in
                for y in 0..<h {
                    for x in 0..<w {
                        for c in 0..<channels {
                            let to = ((row + y) * width + column + x) * channels * n + c * n
                            let from = (c * h + y) * total + x
                            for m in 0..<n { target[to + m] = source[from + m * step] }
                        }
                    }
                }
            }
        }
    }
}
