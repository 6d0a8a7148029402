import Tensors

/// A feature map [N, C, H, W] filled in position by position: the cache of the fast PixelCNN
/// samplers. Positions not yet computed hold zeros; a masked convolution never reads them.
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

    /// The block of rows `rows` and columns `columns` of every map, [N, C, rows, columns], with
    /// zeros where it reaches outside the image (the zero padding of the full convolution).
    func window(rows: Range<Int>, columns: Range<Int>) -> Tensor<Scalar> {
        let (h, w) = (rows.count, columns.count)
        var out = [Scalar](repeating: 0, count: count * channels * h * w)
        let y0 = Swift.max(rows.lowerBound, 0), y1 = Swift.min(rows.upperBound, height)
        let x0 = Swift.max(columns.lowerBound, 0), x1 = Swift.min(columns.upperBound, width)
        if y0 < y1 && x0 < x1 {
            for plane in 0..<(count * channels) {
                for y in y0..<y1 {
                    let from = (plane * height + y) * width
                    let to = (plane * h + y - rows.lowerBound) * w - columns.lowerBound
                    for x in x0..<x1 { out[to + x] = values[from + x] }
                }
            }
        }
        return Tensor(shape: [count, channels, h, w], scalars: out)
    }

    /// A k x k window centred on (row, column).
    func window(centredOn row: Int, _ column: Int, size k: Int) -> Tensor<Scalar> {
        window(rows: (row - k / 2)..<(row + k / 2 + 1), columns: (column - k / 2)..<(column + k / 2 + 1))
    }

    /// Writes a block [N, C, h, w] with its top left corner at (row, column).
    mutating func write(_ block: Tensor<Scalar>, row: Int, column: Int) {
        let (h, w) = (block.shape[2], block.shape[3])
        precondition(block.shape[0] == count && block.shape[1] == channels, "block \(block.shape) does not fit [\(count), \(channels), ...]")
        let scalars = block.scalars
        for plane in 0..<(count * channels) {
            for y in 0..<h {
                let to = (plane * height + row + y) * width + column
                let from = (plane * h + y) * w
                for x in 0..<w { values[to + x] = scalars[from + x] }
            }
        }
    }
}
