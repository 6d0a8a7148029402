// The test NLLs chapters 1 and 2 saved in this run's figures folder, for the side-by-side table
// and the ladder figure.

import Models
import Workbook

struct EarlierResults {
    /// Saved metrics per chapter; nil for a chapter that has not run with the same --figures and
    /// --quick.
    let metrics: [Int: [String: Double]?]

    /// Reads the metrics of `chapters` and says which are missing.
    init(_ chapter: Chapter, chapters: [Int]) {
        metrics = Dictionary(uniqueKeysWithValues: chapters.map { ($0, chapter.metrics(ofChapter: $0)) })
        for n in chapters where metrics[n]! == nil {
            print(
                "Chapter \(n)'s results are not in \(chapter.figures.path)/results (run chapter \(n) with the same --figures and --quick to compare)."
            )
        }
    }

    /// The test NLLs an earlier chapter saved for one data set ("digits" or "mnist"), chapter by
    /// chapter, largest first within a chapter.
    func testNLLs(_ data: String) -> [(model: String, nats: Double, chapter: Int)] {
        let prefix = "\(data)/test NLL/"
        return metrics.sorted { $0.key < $1.key }.flatMap { n, metrics in
            (metrics ?? [:]).filter { $0.key.hasPrefix(prefix) && !$0.key.hasSuffix("/uniform") }
                .map { (String($0.key.dropFirst(prefix.count)), $0.value, n) }.sorted { $0.1 > $1.1 }
        }
    }

    /// The rows above this chapter's in its results table: the uniform model, chapter 1's models,
    /// and chapter 2's LSTMs (their NLL; on MNIST they were not trained).
    func addRows(_ data: String, to table: ResultsTable) {
        let (dimension, levels) = data == "digits" ? (64, 17) : (784, 2)
        func add(_ label: String, _ nats: Double) {
            table.set(row: "\(data): \(label)", column: "test NLL", to: fmt(nats))
            let bits = Likelihood.bitsPerDimension(nats: nats, dimensions: dimension)
            table.set(row: "\(data): \(label)", column: "test bits per dim", to: fmt(bits, 3))
        }
        add("uniform (\(dimension) ln \(levels))", Likelihood.uniformNats(dimensions: dimension, levels: levels))
        for (model, nats, n) in testNLLs(data) { add("\(model) (chapter \(n))", nats) }
    }
}
