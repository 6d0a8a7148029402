import Tensors

/// An autoregressive image model whose conditionals are computed by a recurrent network
/// (PixelRNN, van den Oord et al. 2016): the chain rule in raster order,
///
///     p(x) = prod_{i=1}^{D} p(x_i | x_1, ..., x_{i-1}),
///
/// with the network's state carrying x_<i. Two members: `RasterLSTM` (one LSTM step per pixel) and
/// `RowLSTM` (one LSTM step per row, a whole row at once). Everything else (inputs, the loss,
/// sampling, completions) is that of every `AutoregressiveImageModel`.
public protocol PixelRNN<Scalar>: AutoregressiveImageModel {}

/// The name chapter 2 uses for what a sampler drew (the same type as chapter 1's samples).
public typealias PixelRNNSamples = PixelSamples

/// The name chapter 2's tests use for the shared pixel code and sampling step.
typealias PixelRNNSampling = ImageSampling
