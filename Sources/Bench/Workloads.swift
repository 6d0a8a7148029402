// The workloads of `Benchmarks/peers.py`, same shapes, same layers, same batch, built with the
// library's public layers exactly as a chapter would build them: what is timed here is what the
// chapters get. Everything is Float; every random draw goes through one seeded `Random`.

import Datasets
import Foundation
import Models
import Tensors

/// Keeps results alive so the optimiser cannot drop the work that produced them.
nonisolated(unsafe) var sink: Float = 0

// MARK: - SGEMM

func benchSGEMM(_ options: TimingOptions) -> [Measurement] {
    var rng = Random(seed: 0)
    return [256, 512, 1024].map { n in
        let a = Tensor<Float>.uniform([n, n], low: -1, high: 1, using: &rng)
        let b = Tensor<Float>.uniform([n, n], low: -1, high: 1, using: &rng)
        let t = time(options) { sink += Tensor.matmul(a, b).scalars[0] }
        let name = "\(n)x\(n)x\(n)"
        return Measurement(
            section: "sgemm", name: name, ms: t.median, msMin: t.min, msMax: t.max, cpuMs: t.cpu,
            flops: 2 * pow(Double(n), 3),
            peer: PeerKey(section: "sgemm", name: name, impl: "numpy"))
    }
}

// MARK: - One 3x3 convolution layer

/// A scalar op whose backward rule hands `gy` on to y: the same as torch's `y.backward(gy)`, which
/// computes no value either, so the timed backward is the convolution's own. (Its value, 0, is
/// never read; only the gradient it seeds is.)
func seeded(_ y: Tensor<Float>, with gy: Tensor<Float>) -> Tensor<Float> {
    Tensor.differentiable(op: "seed", output: Tensor(0), inputs: [y]) { g in [gy * g] }
}

func benchConv(_ options: TimingOptions) -> [Measurement] {
    let (n, c, h, k) = (32, 32, 28, 3)
    var rng = Random(seed: 0)
    let x = Tensor<Float>.normal([n, c, h, h], using: &rng)
    let w = Tensor<Float>.normal([c, c, k, k], std: 0.1, using: &rng)
    let b = Tensor<Float>.zeros([c])
    let gy = Tensor<Float>.normal([n, c, h, h], using: &rng)
    let flops = 2.0 * Double(n * c * h * h * c * k * k)
    let name = "3x3 p1 N32 32->32 28x28"
    let forward = time(options) { sink += Tensor.conv2d(x, weight: w, bias: b, padding: 1).scalars[0] }
    let both = time(options) {
        let (_, grads) = valueAndGradient(at: [x, w, b]) { t in
            seeded(Tensor.conv2d(t[0], weight: t[1], bias: t[2], padding: 1), with: gy)
        }
        sink += grads[1].scalars[0]
    }
    return [
        Measurement(
            section: "conv", name: name + " fwd", ms: forward.median, msMin: forward.min, msMax: forward.max,
            cpuMs: forward.cpu,
            flops: flops, peer: PeerKey(section: "conv", name: name + " fwd", impl: "torch")),
        Measurement(
            section: "conv", name: name + " fwd+bwd(dx,dW)", ms: both.median, msMin: both.min, msMax: both.max,
            cpuMs: both.cpu,
            flops: 3 * flops, peer: PeerKey(section: "conv", name: name + " fwd+bwd(dx,dW)", impl: "torch")),
    ]
}

// MARK: - PixelCNN

/// 7x7 mask-A conv 1->32, five 3x3 mask-B convs 32->32, ReLU after each, 1x1 conv to one logit:
/// peers.py's net, built from the masked convolutions of chapter 3 (`MaskedConv2d`, `CausalMask`
/// in Models), so the benchmark times exactly what the chapter trains.
struct BenchPixelCNN {
    let layers: [MaskedConv2d<Float>]
    let output: Conv2d<Float>

    init(channels: Int = 32, maskedLayers: Int = 5, using rng: inout Random) {
        var layers = [MaskedConv2d<Float>(1, channels, kernelSize: 7, mask: .a, using: &rng)]
        for _ in 0..<maskedLayers {
            layers.append(MaskedConv2d<Float>(channels, channels, kernelSize: 3, mask: .b, using: &rng))
        }
        self.layers = layers
        output = Conv2d<Float>(channels, 1, kernelSize: 1, using: &rng)
    }

    var parameters: [Parameter<Float>] { layers.flatMap(\.parameters) + output.parameters }

    /// Logits of p(x_i = 1 | x_<i), [N, 1, H, W].
    func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> {
        var h = x
        for layer in layers { h = layer(h).relu() }
        return output(h)
    }
}

func benchPixelCNN(_ options: TimingOptions) -> [Measurement] {
    let (batch, size) = (32, 28)
    var rng = Random(seed: 0)
    let model = BenchPixelCNN(using: &rng)
    let adam = Adam<Float>(learningRate: 1e-3)
    let x = Tensor<Float>.bernoulli([batch, 1, size, size], p: 0.5, using: &rng)
    let parameters = model.parameters
    let step = time(options) {
        let (loss, grads) = valueAndGradient(of: parameters) {
            Tensor.binaryCrossEntropy(logits: model(x), targets: x).mean()
        }
        adam.update(parameters, with: grads)
        sink += loss.item
    }
    let forward = time(options) { sink += model(x).scalars[0] }
    let hw = Double(size * size)
    let forwardFlops = 2 * Double(batch) * hw * Double(32 * 1 * 49 + 5 * 32 * 32 * 9 + 32)
    let trainFlops = 3 * forwardFlops - 2 * Double(batch) * hw * 32 * 49
    let count = parameters.map(\.value.count).reduce(0, +)
    let name = "train step B32 28x28 (\(count) params)"
    return [
        Measurement(
            section: "pixelcnn", name: name, ms: step.median, msMin: step.min, msMax: step.max, cpuMs: step.cpu,
            flops: trainFlops,
            peer: PeerKey(section: "pixelcnn", name: name, impl: "torch")),
        Measurement(
            section: "pixelcnn", name: "forward only B32 (no grad)", ms: forward.median, msMin: forward.min,
            msMax: forward.max, cpuMs: forward.cpu, flops: forwardFlops,
            peer: PeerKey(section: "pixelcnn", name: "forward only B32 (no grad)", impl: "torch")),
    ]
}

// MARK: - Gated PixelCNN

/// Chapter 3's gated PixelCNN on MNIST (trained by `ch3-pixelcnn`): 16 channels per stack, a
/// 7x7 first layer, six 3x3 layers dilated 1, 2, 4, 8, 8, 1, a 1x1 ReLU layer of 32, one logit per
/// pixel; a training step on a minibatch of 16 binarised 28 x 28 images, as the chapter trains it.
func benchGatedPixelCNN(_ options: TimingOptions) -> [Measurement] {
    let batch = 16
    var rng = Random(seed: 0)
    let model = GatedPixelCNN<Float>(
        height: 28, width: 28, levels: 2, channels: 16, layers: 7, firstKernel: 7, outputHidden: 32,
        dilations: [1, 2, 4, 8, 8, 1], using: &rng)
    let adam = Adam<Float>(learningRate: 1e-3)
    let pixels = (0..<(batch * model.dimension)).map { _ in UInt8(rng.index(below: 2)) }
    let parameters = model.parameters
    let step = time(options) {
        let (loss, grads) = valueAndGradient(of: parameters) { model.loss(pixels) }
        adam.update(parameters, with: grads)
        sink += loss.item
    }
    let forward = time(options) { sink += withoutGradient { model.logits(model.inputs(pixels)) }.scalars[0] }
    // Every active weight once per pixel forward; backward twice that, less the first layer's input gradient.
    let forwardFlops = 2 * Double(batch * model.dimension * model.multiplyAddsPerPixel)
    // (No parameter count in the name: a dilated kernel is stored here as its (k - 1) d + 1 square,
    // mostly masked, and in torch as k x k.)
    let name = "train step B16 28x28, dilations 1,2,4,8,8,1"
    return [
        Measurement(
            section: "gated", name: name, ms: step.median, msMin: step.min, msMax: step.max, cpuMs: step.cpu,
            flops: 3 * forwardFlops, peer: PeerKey(section: "gated", name: name, impl: "torch")),
        Measurement(
            section: "gated", name: "forward only B16 (no grad)", ms: forward.median, msMin: forward.min,
            msMax: forward.max, cpuMs: forward.cpu, flops: forwardFlops,
            peer: PeerKey(section: "gated", name: "forward only B16 (no grad)", impl: "torch")),
    ]
}

// MARK: - LSTM PixelRNN

func benchLSTM(_ options: TimingOptions) -> [Measurement] {
    let (batch, steps, hidden, levels) = (64, 64, 128, 17)
    var rng = Random(seed: 0)
    let cell = LSTMCell<Float>(inputSize: 1, hiddenSize: hidden, using: &rng)
    let head = Linear<Float>(hidden, levels, using: &rng)
    let parameters = cell.parameters + head.parameters
    let adam = Adam<Float>(learningRate: 1e-3)
    // 8x8 images of 17 grey levels read in raster order; the input at step t is pixel t-1 / 16.
    let images = (0..<(batch * steps)).map { _ in rng.index(below: levels) }
    // Time-major [T, B, 1], as the fused sequence op (and RasterLSTM) reads it.
    let inputs = Tensor<Float>(
        shape: [steps, batch, 1],
        scalars: (0..<(steps * batch)).map { r in
            let (t, b) = (r / batch, r % batch)
            return t == 0 ? 0 : Float(images[b * steps + t - 1]) / 16
        })
    // Hidden states are stacked time-major, [T*B, H], so the label of row t*B + b is pixel t of image b.
    let labels = (0..<(steps * batch)).map { r in images[(r % batch) * steps + r / batch] }

    let train = time(options) {
        let (loss, grads) = valueAndGradient(of: parameters) {
            // Teacher forcing: the 64 steps as one fused sequence op, as RasterLSTM runs them.
            let logits = head(cell.sequence(inputs).reshaped([steps * batch, hidden]))
            return Tensor.crossEntropy(logits: logits, labels: labels).mean()
        }
        adam.update(parameters, with: grads)
        sink += loss.item
    }

    let sample = time(options) {
        var state = cell.zeroState(batchSize: batch)
        var x = Tensor<Float>.zeros([batch, 1])
        var pixels = [Int](repeating: 0, count: batch * steps)
        for t in 0..<steps {
            state = cell(x, state)
            let p = head(state.hidden).softmax().scalars
            var next = [Float](repeating: 0, count: batch)
            for b in 0..<batch {
                let s = rng.categorical(Array(p[(b * levels)..<((b + 1) * levels)]))
                pixels[b * steps + t] = s
                next[b] = Float(s) / 16
            }
            x = Tensor(shape: [batch, 1], scalars: next)
        }
        sink += Float(pixels[0])
    }

    let forwardFlops = 2 * Double(batch * steps) * Double(4 * hidden * (1 + hidden) + hidden * levels)
    return [
        Measurement(
            section: "lstm", name: "train step T64 B64 H128 17-way", ms: train.median, msMin: train.min,
            msMax: train.max, cpuMs: train.cpu, flops: 3 * forwardFlops,
            peer: PeerKey(section: "lstm", name: "train step T64 B64 H128 17-way", impl: "torch nn.LSTM")),
        Measurement(
            section: "lstm", name: "sample 64 imgs 8x8 (64 seq. steps)", ms: sample.median, msMin: sample.min,
            msMax: sample.max, cpuMs: sample.cpu, flops: forwardFlops,
            peer: PeerKey(section: "lstm", name: "sample 64 imgs 8x8 (64 seq. steps)", impl: "torch nn.LSTM")),
    ]
}

// MARK: - VAE

func benchVAE(_ options: TimingOptions) -> [Measurement] {
    let (batch, latent) = (100, 20)
    var rng = Random(seed: 0)
    let encoder1 = Linear<Float>(784, 400, using: &rng)
    let encoder2 = Linear<Float>(400, 2 * latent, using: &rng)
    let decoder1 = Linear<Float>(latent, 400, using: &rng)
    let decoder2 = Linear<Float>(400, 784, using: &rng)
    let parameters = encoder1.parameters + encoder2.parameters + decoder1.parameters + decoder2.parameters
    let adam = Adam<Float>(learningRate: 1e-3)
    let x = Tensor<Float>.bernoulli([batch, 784], p: 0.5, using: &rng)
    let step = time(options) {
        let noise = Tensor<Float>.normal([batch, latent], using: &rng)
        let (loss, grads) = valueAndGradient(of: parameters) {
            let stats = encoder2(encoder1(x).relu())
            let mean = stats.slice(0..<latent, alongAxis: 1)
            let logVariance = stats.slice(latent..<(2 * latent), alongAxis: 1)
            // The reparameterization trick: z = mu + sigma * eps.
            let z = mean + (logVariance * 0.5).exp() * noise
            let logits = decoder2(decoder1(z).relu())
            let reconstruction = Tensor.binaryCrossEntropy(logits: logits, targets: x).sum() / Float(batch)
            let kl = Tensor.gaussianKL(mean: mean, logVariance: logVariance).sum() / Float(batch)
            return reconstruction + kl
        }
        adam.update(parameters, with: grads)
        sink += loss.item
    }
    let forward = 2.0 * Double(batch * (784 * 400 + 400 * 40 + 20 * 400 + 400 * 784))
    let name = "MLP VAE 784-400-2x20 / 20-400-784 B100"
    return [
        Measurement(
            section: "vae", name: name, ms: step.median, msMin: step.min, msMax: step.max, cpuMs: step.cpu,
            flops: 3 * forward - 2 * Double(batch * 784 * 400), peer: PeerKey(section: "vae", name: name, impl: "torch")
        )
    ]
}

// MARK: - GAN

func benchGAN(_ options: TimingOptions) -> [Measurement] {
    let (batch, noiseSize) = (64, 64)
    var rng = Random(seed: 0)
    let g1 = Linear<Float>(noiseSize, 256, using: &rng)
    let g2 = Linear<Float>(256, 784, using: &rng)
    let d1 = Linear<Float>(784, 256, using: &rng)
    let d2 = Linear<Float>(256, 1, using: &rng)
    let generatorParameters = g1.parameters + g2.parameters
    let discriminatorParameters = d1.parameters + d2.parameters
    func generate(_ z: Tensor<Float>) -> Tensor<Float> { g2(g1(z).relu()).tanh() }
    func discriminate(_ x: Tensor<Float>) -> Tensor<Float> { d2(d1(x).leakyRelu(slope: 0.2)) }
    let adamG = Adam<Float>(learningRate: 2e-4, beta1: 0.5)
    let adamD = Adam<Float>(learningRate: 2e-4, beta1: 0.5)
    let real = Tensor<Float>.uniform([batch, 784], low: -1, high: 1, using: &rng)
    let ones = Tensor<Float>.ones([batch, 1])
    let zeros = Tensor<Float>.zeros([batch, 1])
    let step = time(options) {
        let z = Tensor<Float>.normal([batch, noiseSize], using: &rng)
        // D step: real images labelled 1, generated ones 0 (the generator is a constant here).
        let fake = generate(z)
        let (lossD, gradsD) = valueAndGradient(of: discriminatorParameters) {
            Tensor.binaryCrossEntropy(logits: discriminate(real), targets: ones).mean()
                + Tensor.binaryCrossEntropy(logits: discriminate(fake), targets: zeros).mean()
        }
        adamD.update(discriminatorParameters, with: gradsD)
        // G step, through the updated D: the non-saturating loss -log D(G(z)).
        let (lossG, gradsG) = valueAndGradient(of: generatorParameters) {
            Tensor.binaryCrossEntropy(logits: discriminate(generate(z)), targets: ones).mean()
        }
        adamG.update(generatorParameters, with: gradsG)
        sink += lossD.item + lossG.item
    }
    let g = 2.0 * Double(batch * (noiseSize * 256 + 256 * 784))
    let d = 2.0 * Double(batch * (784 * 256 + 256))
    let flops = g + 2 * d * 2 + 3 * d + (2 * g - 2 * Double(batch * noiseSize * 256))
    let name = "MLP GAN G 64-256-784, D 784-256-1, B64"
    return [
        Measurement(
            section: "gan", name: name, ms: step.median, msMin: step.min, msMax: step.max, cpuMs: step.cpu,
            flops: flops,
            peer: PeerKey(section: "gan", name: name, impl: "torch"))
    ]
}

// MARK: - Memory over a long run

/// Trains a small MLP for `steps` steps and reads the resident memory at fixed steps: the tape
/// and every intermediate it kept must be released after each step, so the figure stays flat.
func benchMemory(steps: Int = 10_000) -> (Measurement, [(step: Int, megabytes: Double)]) {
    var rng = Random(seed: 0)
    let l1 = Linear<Float>(64, 128, using: &rng)
    let l2 = Linear<Float>(128, 10, using: &rng)
    let parameters = l1.parameters + l2.parameters
    let adam = Adam<Float>(learningRate: 1e-3)
    let x = Tensor<Float>.normal([32, 64], using: &rng)
    let labels = (0..<32).map { _ in rng.index(below: 10) }
    let marks: Set<Int> = [100, steps / 4, steps / 2, 3 * steps / 4, steps]
    var readings: [(Int, Double)] = []
    let t0 = now()
    for s in 1...steps {
        let (loss, grads) = valueAndGradient(of: parameters) {
            Tensor.crossEntropy(logits: l2(l1(x).relu()), labels: labels).mean()
        }
        adam.update(parameters, with: grads)
        sink += loss.item
        if marks.contains(s) { readings.append((s, residentMegabytes() ?? .nan)) }
    }
    let ms = (now() - t0) * 1e3 / Double(steps)
    return (
        Measurement(
            section: "memory", name: "MLP 64-128-10 B32, \(steps) steps", ms: ms, msMin: ms, msMax: ms, flops: nil,
            peer: nil),
        readings
    )
}

// MARK: - Loading the datasets

/// Reading `Data/` as a chapter does at its start: both files of a dataset, checked, and cut into
/// its three splits.
func benchData(_ options: TimingOptions) throws -> [Measurement] {
    try RealDataset.allCases.map { dataset in
        _ = try dataset.loadSplits()  // a missing or corrupt file fails here, with the message, not in the timing
        let t = time(options) { sink += Float((try? dataset.loadSplits())?.test.count ?? 0) }
        return Measurement(
            section: "data", name: "\(dataset.rawValue): load and split (\(dataset.count) images)", ms: t.median,
            msMin: t.min,
            msMax: t.max, cpuMs: t.cpu, flops: nil, peer: nil)
    }
}
