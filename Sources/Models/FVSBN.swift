import Tensors

/// The fully visible sigmoid belief network (Frey, 1998): logistic autoregression, every
/// conditional a linear function of the values before it,
///
///     p(x_i = 1 | x_<i) = sigmoid(b_i + sum_{j<i} W_ij x_j),
///
/// built as one linear layer whose weight is multiplied by a constant mask M with M_ij = 1 for
/// j < i and 0 otherwise: a strictly lower-triangular matrix, so logit i cannot see pixel i or any
/// after it. With K > 2 levels the same holds for K logits per value (softmax over levels): row
/// i*K + k of the weight is logit k of value i, and its mask row is that of value i.
///
/// Shapes: inputs [N, D]; weight and mask [D*O, D] (rows = conditionals, columns = inputs) with
/// O = 1 for K = 2 and O = K otherwise; bias [D*O]; logits [N, D] or [N, D, K].
public struct FVSBN<Scalar: TensorScalar>: AutoregressivePixelModel {
    public let dimension: Int
    public let levels: Int
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    /// The constant strictly lower-triangular 0/1 mask, [D*O, D].
    public let mask: Tensor<Scalar>

    /// Logits per value: 1 for a Bernoulli, K for a softmax.
    public var outputsPerValue: Int { levels == 2 ? 1 : levels }

    /// A model of D values with K levels; weights start small and uniform, biases at 0.
    public init(dimension: Int, levels: Int, using rng: inout Random) {
        precondition(dimension >= 1 && levels >= 2, "FVSBN needs dimension >= 1 and levels >= 2")
        self.dimension = dimension
        self.levels = levels
        let o = levels == 2 ? 1 : levels
        var m = [Scalar](repeating: 0, count: dimension * o * dimension)
        for row in 0..<dimension * o {
            let i = row / o
            for j in 0..<i { m[row * dimension + j] = 1 }
        }
        mask = Tensor(shape: [dimension * o, dimension], scalars: m)
        // PyTorch's default for a linear layer, U(-1/sqrt(fan-in), 1/sqrt(fan-in)), with the fan-in of
        // the whole layer; masked entries are stored as 0 so the parameter shows the structure.
        let w: Tensor<Scalar> = Initializer.uniformFanIn.make(
            [dimension * o, dimension], fanIn: dimension, fanOut: dimension * o, using: &rng)
        weight = Parameter(w * mask, name: "weight")
        bias = Parameter(.zeros([dimension * o]), name: "bias")
    }

    public var parameters: [Parameter<Scalar>] { [weight, bias] }
    public var outputBias: Parameter<Scalar> { bias }

    /// a = x . (W * M)^T + b. The gradient of the masked entries is zero (the product rule
    /// multiplies it by M), so they stay zero under any optimiser.
    public func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(
            inputs.rank == 2 && inputs.shape[1] == dimension,
            "FVSBN of \(dimension) values needs inputs [N, \(dimension)], got \(inputs.shape)")
        let a = Tensor.matmul(inputs, (weight.value * mask).transposed()) + bias.value
        return levels == 2 ? a : a.reshaped([inputs.shape[0], dimension, levels])
    }

    /// Ancestral sampling: for i = 1..D, a_i = b_i + sum_{j<i} W_ij x_j from the values already
    /// drawn, then x_i ~ p(x_i | x_<i). D^2/2 multiply-adds per image; no tensor ops.
    public func sample(count: Int, using rng: inout Random) -> PixelSamples {
        let (d, o) = (dimension, outputsPerValue)
        let w = (weight.value * mask).doubleScalars
        let b = bias.value.doubleScalars
        let scale = 1 / Double(levels - 1)
        var pixels = [UInt8](repeating: 0, count: count * d)
        var steps = [Double](repeating: 0, count: count * d)
        var x = [Double](repeating: 0, count: d)
        var a = [Double](repeating: 0, count: o)
        for n in 0..<count {
            for i in 0..<d {
                for k in 0..<o {
                    let row = (i * o + k) * d
                    var s = b[i * o + k]
                    for j in 0..<i { s += w[row + j] * x[j] }
                    a[k] = s
                }
                let (level, logP) = drawLevel(a[...], levels: levels, using: &rng)
                pixels[n * d + i] = level
                steps[n * d + i] = logP
                x[i] = Double(level) * scale
            }
        }
        return PixelSamples(pixels: pixels, stepLogProbabilities: steps, dimension: d)
    }
}
