// A model the chapter trained, with what it measured about it, and the count of its free
// parameters.

import Datasets
import Models
import Tensors
import Workbook

/// One trained model: its short name ("PixelCNN") and table label with its sizes, the data set
/// ("digits" or "mnist"), the model with its cached sampler and a copy with the naive one, the
/// training log, the free parameters and the test NLL in nats per image.
struct Trained {
    let name: String
    let label: String
    let data: String
    let model: any AutoregressiveImageModel<Float>
    let naive: any AutoregressiveImageModel<Float>
    let log: TrainingLog
    let parameters: Int
    let nll: Double

    /// The plain PixelCNN `model` trained on `data`, measured on `test`.
    init(_ name: String, _ model: PixelCNN<Float>, on data: String, log: TrainingLog, test: ImageSet) {
        let first = model.firstLayer.conv.weight.value.shape.last!
        self.init(
            name: name, label: "PixelCNN (\(first)x\(first) A, \(model.layers.count) x 3x3 B, C \(model.channels))",
            data: data,
            model: model, naive: naiveSampling(model), log: log, parameters: freeParameters(convolutions(model)),
            nll: model.meanNLL(test.pixels))
    }

    /// The gated PixelCNN `model` trained on `data`, measured on `test`.
    init(_ name: String, _ model: GatedPixelCNN<Float>, on data: String, log: TrainingLog, test: ImageSet) {
        self.init(
            name: name, label: "gated PixelCNN (\(model.layers.count) layers, p \(model.channels))", data: data,
            model: model, naive: naiveSampling(model), log: log, parameters: freeParameters(convolutions(model)),
            nll: model.meanNLL(test.pixels))
    }

    init(
        name: String, label: String, data: String, model: any AutoregressiveImageModel<Float>,
        naive: any AutoregressiveImageModel<Float>, log: TrainingLog, parameters: Int, nll: Double
    ) {
        (self.name, self.label, self.data, self.model, self.naive) = (name, label, data, model, naive)
        (self.log, self.parameters, self.nll) = (log, parameters, nll)
    }
}

/// Weights the masks let through, and biases: what training can change.
func freeParameters(_ convs: [Conv2d<Float>]) -> Int {
    convs.reduce(0) { $0 + $1.activeWeights + $1.bias.value.count }
}

func convolutions(_ m: PixelCNN<Float>) -> [Conv2d<Float>] { [m.firstLayer.conv] + m.layers.map(\.conv) + [m.output] }

func convolutions(_ m: GatedPixelCNN<Float>) -> [Conv2d<Float>] {
    m.layers.flatMap { [$0.vertical, $0.horizontal, $0.verticalToHorizontal, $0.horizontalOutput] }
        + [m.hiddenOutput, m.output]
}

/// Copies of the models that sample naively (the whole network once per pixel); they share the
/// weights, so they draw from the same distributions.
func naiveSampling(_ model: PixelCNN<Float>) -> PixelCNN<Float> {
    var copy = model
    copy.sampler = .naive
    return copy
}

func naiveSampling(_ model: GatedPixelCNN<Float>) -> GatedPixelCNN<Float> {
    var copy = model
    copy.sampler = .naive
    return copy
}
