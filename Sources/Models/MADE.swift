import Tensors

/// MADE, the masked autoencoder for distribution estimation (Germain et al., 2015): a one-hidden-
/// layer network whose weights are masked so that output i depends only on the inputs before i.
///
/// Every value i gets a degree d(i) (its place in the order, 1..D); every hidden unit h a degree
/// m(h) in [min d, max d). Connections are kept only where they respect the order:
///
///     input j -> hidden h   iff d(j) <= m(h)        (M1, [D, H])
///     hidden h -> output i  iff m(h) <  d(i)        (M2, [H, D*O])
///     input j -> output i   iff d(j) <  d(i)        (Md, [D, D*O], the direct FVSBN term)
///
///     h = relu(x . (W1 * M1) + b1),   a = h . (W2 * M2) + x . (Wd * Md) + b2
///
/// so a path from input j to output i exists only when d(j) <= m(h) < d(i). The direct term makes
/// the model an FVSBN plus a hidden layer; it can only do better than the FVSBN alone.
///
/// Degrees need not be distinct: values with equal degree are conditionally independent given
/// the values of smaller degree. The colour models use that: degrees 3p+c+1 chain R -> G -> B
/// inside pixel p; degrees p+1 for all three channels make them independent within the pixel.
/// Degrees must not decrease along the value index (the sampling order).
public struct MADE<Scalar: TensorScalar>: AutoregressivePixelModel {
    public let dimension: Int
    public let levels: Int
    public let hiddenSize: Int
    /// d(i) of every value, non-decreasing.
    public let degrees: [Int]
    /// m(h) of every hidden unit.
    public let hiddenDegrees: [Int]
    public let inputWeight: Parameter<Scalar>, inputBias: Parameter<Scalar>
    public let outputWeight: Parameter<Scalar>, outputBias: Parameter<Scalar>
    public let directWeight: Parameter<Scalar>
    /// The constant 0/1 masks M1 [D, H], M2 [H, D*O], Md [D, D*O].
    public let inputMask: Tensor<Scalar>, outputMask: Tensor<Scalar>, directMask: Tensor<Scalar>

    public var outputsPerValue: Int { levels == 2 ? 1 : levels }

    /// A MADE over D values in raster order (degrees 1...D).
    public init(dimension: Int, levels: Int, hiddenSize: Int, using rng: inout Random) {
        self.init(degrees: Array(1...dimension), levels: levels, hiddenSize: hiddenSize, using: &rng)
    }

    /// A MADE whose value i has degree `degrees[i]`. Hidden degrees are spread evenly over
    /// [min d, max d) (deterministic, so every stage of the order gets its share of units).
    public init(degrees: [Int], levels: Int, hiddenSize: Int, using rng: inout Random) {
        precondition(levels >= 2 && hiddenSize >= 1, "MADE needs levels >= 2 and hiddenSize >= 1")
        precondition(
            zip(degrees, degrees.dropFirst()).allSatisfy { $0 <= $1 }, "MADE degrees must not decrease along the values"
        )
        let (low, high) = (degrees.first!, degrees.last!)
        precondition(high > low, "MADE needs at least two distinct degrees")
        let d = degrees.count
        let o = levels == 2 ? 1 : levels
        let h = hiddenSize
        self.dimension = d
        self.levels = levels
        self.hiddenSize = h
        self.degrees = degrees
        let hiddenDegrees = (0..<h).map { low + $0 * (high - low) / h }
        self.hiddenDegrees = hiddenDegrees

        func mask(_ rows: Int, _ cols: Int, _ keep: (Int, Int) -> Bool) -> Tensor<Scalar> {
            var m = [Scalar](repeating: 0, count: rows * cols)
            for r in 0..<rows { for c in 0..<cols where keep(r, c) { m[r * cols + c] = 1 } }
            return Tensor(shape: [rows, cols], scalars: m)
        }
        inputMask = mask(d, h) { j, u in degrees[j] <= hiddenDegrees[u] }
        outputMask = mask(h, d * o) { u, io in hiddenDegrees[u] < degrees[io / o] }
        directMask = mask(d, d * o) { j, io in degrees[j] < degrees[io / o] }

        let w1: Tensor<Scalar> = Initializer.uniformFanIn.make([d, h], fanIn: d, fanOut: h, using: &rng)
        let w2: Tensor<Scalar> = Initializer.uniformFanIn.make([h, d * o], fanIn: h, fanOut: d * o, using: &rng)
        inputWeight = Parameter(w1 * inputMask, name: "inputWeight")
        inputBias = Parameter(.zeros([h]), name: "inputBias")
        outputWeight = Parameter(w2 * outputMask, name: "outputWeight")
        outputBias = Parameter(.zeros([d * o]), name: "outputBias")
        // The direct term starts at zero: at first the model is its hidden layer alone.
        directWeight = Parameter(.zeros([d, d * o]), name: "directWeight")
    }

    public var parameters: [Parameter<Scalar>] { [inputWeight, inputBias, outputWeight, outputBias, directWeight] }

    public func logits(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(
            inputs.rank == 2 && inputs.shape[1] == dimension,
            "MADE of \(dimension) values needs inputs [N, \(dimension)], got \(inputs.shape)")
        let hidden = (Tensor.matmul(inputs, inputWeight.value * inputMask) + inputBias.value).relu()
        let a =
            Tensor.matmul(hidden, outputWeight.value * outputMask)
            + Tensor.matmul(inputs, directWeight.value * directMask) + outputBias.value
        return levels == 2 ? a : a.reshaped([inputs.shape[0], dimension, levels])
    }

    /// Ancestral sampling with NADE's trick: the hidden pre-activations are kept and updated as
    /// each value is drawn, s_h += W1[i, h] x_i, instead of running the network again (D times
    /// cheaper). Hidden unit h is complete when value i needs it, since m(h) < d(i) means every
    /// input it sees has a smaller degree, hence an earlier index.
    public func sample(count: Int, using rng: inout Random) -> PixelSamples {
        let (d, o, h) = (dimension, outputsPerValue, hiddenSize)
        let w1 = (inputWeight.value * inputMask).doubleScalars
        let b1 = inputBias.value.doubleScalars
        let w2 = (outputWeight.value * outputMask).doubleScalars
        let wd = (directWeight.value * directMask).doubleScalars
        let b2 = outputBias.value.doubleScalars
        let scale = 1 / Double(levels - 1)
        var pixels = [UInt8](repeating: 0, count: count * d)
        var steps = [Double](repeating: 0, count: count * d)
        var a = [Double](repeating: 0, count: o)
        var pre = [Double](repeating: 0, count: h)
        var x = [Double](repeating: 0, count: d)
        for n in 0..<count {
            for u in 0..<h { pre[u] = b1[u] }
            for i in 0..<d {
                for k in 0..<o { a[k] = b2[i * o + k] }
                // Masked entries of w2 and wd are zero, so units and inputs not yet complete add nothing.
                for u in 0..<h where pre[u] > 0 {
                    let r = pre[u]
                    let row = u * d * o + i * o
                    for k in 0..<o { a[k] += r * w2[row + k] }
                }
                for j in 0..<i where x[j] != 0 {
                    let row = j * d * o + i * o
                    for k in 0..<o { a[k] += x[j] * wd[row + k] }
                }
                let (level, logP) = drawLevel(a[...], levels: levels, using: &rng)
                pixels[n * d + i] = level
                steps[n * d + i] = logP
                x[i] = Double(level) * scale
                if x[i] != 0 { for u in 0..<h { pre[u] += w1[i * h + u] * x[i] } }
            }
        }
        return PixelSamples(pixels: pixels, stepLogProbabilities: steps, dimension: d)
    }
}
