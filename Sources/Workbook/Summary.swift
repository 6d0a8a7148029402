import Foundation

/// The summary the `workbook` run prints after its chapters: every model's test likelihood and
/// sampling time side by side, then the identities the chapters checked, read from the metrics
/// each chapter saved in `<figures>/results/chapterN.json`.
///
/// It relies on the chapters' naming of metrics, `<data>/<measure>/<model>`:
/// - `digits/test NLL/MADE` (nats per image), `.../test bits per dim/...`;
///   for latent-variable models the bounds `.../test -ELBO/...` and `.../test IWAE-k/...`;
/// - `.../sampling ms per image/...` (or `sampling ms for one image`, `sampling seconds per image`);
/// - identity checks: names containing `identity error`, `log p(x) - ELBO - KL`, `V(D*,G)`,
///   `2JSD-2log2`, `max abs error`, `sum of p over all images`.
public struct WorkbookSummary {
    public struct ChapterMetrics {
        public let number: Int
        public let title: String
        public let quick: Bool
        public let seconds: Double?
        public let metrics: [String: Double]

        /// The tightest importance-weighted bound on the NLL of `model` on `data`: the recorded
        /// `<data>/test IWAE-k/<model>` with the largest k, if there is one.
        func tightestIWAE(data: String, model: String) -> Double? {
            metrics.keys.compactMap { name -> (k: Int, value: Double)? in
                guard let p = MetricName(name), p.data == data, p.model == model, p.measure.hasPrefix("test IWAE-"),
                    let k = Int(p.measure.dropFirst("test IWAE-".count))
                else { return nil }
                return (k, metrics[name]!)
            }.max { $0.k < $1.k }?.value
        }
    }

    public let chapters: [ChapterMetrics]

    public init(chapters: [ChapterMetrics]) { self.chapters = chapters }

    /// Reads the metrics files of the given chapters from a figures folder; chapters that have not
    /// saved metrics there are skipped.
    public init(figures: URL, chapterNumbers: [Int]) throws {
        var found: [ChapterMetrics] = []
        for n in chapterNumbers {
            let url = figures.appendingPathComponent("results").appendingPathComponent("chapter\(n).json")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let data = try Data(contentsOf: url)
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                let metrics = object["metrics"] as? [String: Double]
            else {
                throw WorkbookError("\(url.path) is not a chapter metrics file; rerun chapter \(n) to rewrite it")
            }
            found.append(
                ChapterMetrics(
                    number: n, title: object["title"] as? String ?? "Chapter \(n)",
                    quick: object["quick"] as? Bool ?? false,
                    seconds: object["seconds"] as? Double, metrics: metrics))
        }
        self.chapters = found
    }

    /// One name split into its three parts, if it has them.
    static func parts(_ name: String) -> (data: String, measure: String, model: String)? {
        MetricName(name).map { ($0.data, $0.measure, $0.model) }
    }

    static let identityMarkers = [
        "identity error", "log p(x) - ELBO - KL", "V(D*,G)", "2JSD-2log2", "max abs error", "sum of p over all images",
    ]

    /// Test likelihood and sampling time of every model, one row per (chapter, data, model). For a
    /// latent-variable model, whose log p(x) has no closed form, the two upper bounds on its NLL:
    /// -ELBO and the tightest importance-weighted one (the largest k).
    public func modelsTable() -> ResultsTable {
        let table = ResultsTable(title: "Every model on its test split (nats per image; lower is better)")
        for chapter in chapters {
            struct Row {
                var nll: String?
                var bpd: String?
                var elbo: String?
                var iwae: (k: Int, value: String)?
                var sampling: String?
            }
            var rows: [String: Row] = [:]
            var order: [String] = []
            for name in chapter.metrics.keys.sorted() {
                guard let (data, measure, model) = Self.parts(name), let value = chapter.metrics[name] else { continue }
                let key = "\(data)/\(model)"
                var row = rows[key] ?? Row()
                switch measure {
                case "test NLL": row.nll = fmt(value)
                case "test bits per dim": row.bpd = fmt(value, 3)
                case "test -ELBO": row.elbo = fmt(value)
                case let m where m.hasPrefix("test IWAE-"):
                    let k = Int(m.dropFirst("test IWAE-".count)) ?? 0
                    if k > (row.iwae?.k ?? -1) { row.iwae = (k, "\(fmt(value)) (k \(k))") }
                case "sampling ms per image", "sampling ms for one image": row.sampling = fmt(value)
                case "sampling seconds per image": row.sampling = fmt(value * 1000)
                default: continue
                }
                if rows[key] == nil { order.append(key) }
                rows[key] = row
            }
            for key in order {
                let row = rows[key]!
                table.add(
                    "ch\(chapter.number) \(key)",
                    [
                        "test NLL": row.nll ?? "-", "bits/dim": row.bpd ?? "-", "-ELBO": row.elbo ?? "-",
                        "-IWAE bound": row.iwae?.value ?? "-", "sampling ms/image": row.sampling ?? "-",
                    ])
            }
        }
        return table
    }

    /// The generative-modelling trilemma, measured: for every model whose samples were scored by
    /// the digit judge (`<data>/samples recognised/<model>` and friends), its likelihood (test NLL,
    /// or for a latent-variable model its -ELBO and tightest IWAE bound), the quality of its
    /// samples (the fraction the judge recognises with probability >= 0.9, with its standard error;
    /// the entropy of the predicted classes, ln 10 = 2.30 when every class is drawn equally; the
    /// Frechet distance of the judge's features to the test images'), and its speed (milliseconds
    /// to sample one image in a batch, seconds to train). Rows in chapter order; the reference rows
    /// (real test images, training images) say where a perfect model would land.
    public func samplesTable() -> ResultsTable {
        let table = ResultsTable(title: "Likelihood, samples and speed: the generative-modelling trilemma")
        for chapter in chapters {
            var models: [String] = []
            for name in chapter.metrics.keys.sorted() {
                guard let p = MetricName(name), p.measure.hasPrefix("samples ") else { continue }
                let key = "\(p.data)/\(p.model)"
                if !models.contains(key) { models.append(key) }
            }
            for key in models {
                let slash = key.firstIndex(of: "/")!
                let (data, model) = (String(key[..<slash]), String(key[key.index(after: slash)...]))
                func value(_ measure: String) -> Double? { chapter.metrics["\(data)/\(measure)/\(model)"] }
                var likelihood = value("test NLL").map { fmt($0) } ?? "-"
                if let elbo = value("test -ELBO") {
                    likelihood = "<= \(fmt(chapter.tightestIWAE(data: data, model: model) ?? elbo))"
                }
                let recognised = value("samples recognised").map { r in
                    value("samples recognised SE").map { "\(fmt(r)) +- \(fmt($0))" } ?? fmt(r)
                }
                table.add(
                    "ch\(chapter.number) \(data): \(model)",
                    [
                        "NLL (nats)": likelihood, "recognised": recognised ?? "-",
                        "class entropy": value("samples class entropy").map { fmt($0) } ?? "-",
                        "Frechet distance": value("samples Frechet distance").map { fmt($0, 1) } ?? "-",
                        "sampling ms/image": (value("sampling ms per image") ?? value("sampling ms for one image")).map
                        { fmt($0) } ?? "-",
                        "train s": value("train seconds").map { fmt($0, 1) } ?? "-",
                    ])
            }
        }
        return table
    }

    /// One point per model of `samplesTable` that has both a likelihood and a recognised fraction:
    /// its NLL (or tightest bound), the fraction of its samples recognised, and its sampling time.
    public func trilemmaPoints() -> [(model: String, nll: Double, recognised: Double, samplingMs: Double?)] {
        scoredModels().compactMap { m in m.nll.map { (m.model, $0, m.recognised, m.samplingMs) } }
    }

    /// A model whose samples the judge scored (the real images' reference rows left out).
    struct ScoredModel {
        let chapter: Int, model: String
        /// The test NLL, or for a latent-variable model its tightest bound (`isBound`).
        let nll: Double?, isBound: Bool
        let recognised: Double, recognisedSE: Double?
        let samplingMs: Double?
        var label: String { "ch\(chapter) \(model)" }
    }

    func scoredModels() -> [ScoredModel] {
        var models: [ScoredModel] = []
        for chapter in chapters {
            for name in chapter.metrics.keys.sorted() {
                guard let p = MetricName(name), p.measure == "samples recognised", !p.model.hasSuffix(" images")
                else { continue }
                func value(_ measure: String) -> Double? { chapter.metrics["\(p.data)/\(measure)/\(p.model)"] }
                let bound = chapter.tightestIWAE(data: p.data, model: p.model)
                let exact = value("test NLL")
                models.append(
                    ScoredModel(
                        chapter: chapter.number, model: p.model, nll: exact ?? bound ?? value("test -ELBO"),
                        isBound: exact == nil, recognised: chapter.metrics[name]!,
                        recognisedSE: value("samples recognised SE"),
                        samplingMs: value("sampling ms per image") ?? value("sampling ms for one image")))
            }
        }
        return models
    }

    /// The trilemma table in plain words, read off its numbers: which model has the best
    /// likelihood, which has the most samples recognised (and whether the runner-up is within two
    /// standard errors of the difference, too close to call), which samples fastest, and why these
    /// need not be one model. Empty when fewer than two models had their samples scored.
    public func trilemmaVerdict() -> [String] {
        let models = scoredModels()
        guard models.count >= 2 else { return [] }
        var lines: [String] = []
        let likely = models.filter { $0.nll != nil }.sorted { $0.nll! < $1.nll! }
        if let best = likely.first {
            var line = "Likelihood: \(best.label) is best, \(fmt(best.nll!)) nats\(best.isBound ? " (a bound)" : "")"
            if likely.count > 1 { line += ", then \(likely[1].label) at \(fmt(likely[1].nll!))" }
            lines.append(line + ".")
        }
        // Two standard errors of the difference of two recognised fractions (nil without both).
        func twoSE(_ x: ScoredModel, _ y: ScoredModel) -> Double? {
            guard let a = x.recognisedSE, let b = y.recognisedSE else { return nil }
            return 2 * (a * a + b * b).squareRoot()
        }
        let judged = models.sorted { $0.recognised > $1.recognised }
        let (top, next) = (judged[0], judged[1])
        func withSE(_ m: ScoredModel) -> String { fmt(m.recognised) + (m.recognisedSE.map { " +- \(fmt($0))" } ?? "") }
        var samples =
            "Samples: \(top.label) has the most recognised, \(withSE(top)), then \(next.label), \(withSE(next))"
        if let limit = twoSE(top, next), top.recognised - next.recognised < limit {
            samples += ": within two standard errors of their difference, too close to call"
        }
        lines.append(samples + ".")
        let timed = models.filter { $0.samplingMs != nil }.sorted { $0.samplingMs! < $1.samplingMs! }
        if let fast = timed.first, let slow = timed.last, fast.label != slow.label {
            lines.append(
                "Speed: \(fast.label) samples fastest, \(fmt(fast.samplingMs!)) ms per image; the slowest, \(slow.label), "
                    + "takes \(fmt(slow.samplingMs!)) ms.")
        }
        // The pair that parts ways most clearly: a better likelihood and fewer samples recognised,
        // by more than two standard errors of the difference.
        let crossed = likely.flatMap { a in likely.map { b in (a, b) } }.filter { a, b in
            guard a.nll! < b.nll!, let limit = twoSE(a, b) else { return false }
            return b.recognised - a.recognised > limit
        }.max { $0.1.recognised - $0.0.recognised < $1.1.recognised - $1.0.recognised }
        if let (a, b) = crossed {
            lines.append(
                "Likelihood and samples part ways: \(a.label) has the better likelihood (\(fmt(a.nll!)) against "
                    + "\(fmt(b.nll!)) nats) and fewer samples recognised than \(b.label) (\(fmt(a.recognised)) against "
                    + "\(fmt(b.recognised))). A likelihood scores each pixel given the true pixels before it; a sample is "
                    + "built from the model's own and judged as a whole digit.")
        }
        lines.append(
            "Sampling speed is set by structure, not quality: D dependent steps for an autoregressive model, one pass for "
                + "a VAE or a GAN.")
        return lines
    }

    /// The identities the chapters checked numerically (errors should be near zero).
    public func identitiesTable() -> ResultsTable {
        let table = ResultsTable(title: "Identities checked by measurement")
        for chapter in chapters {
            for name in chapter.metrics.keys.sorted() where Self.identityMarkers.contains(where: name.contains) {
                table.add("ch\(chapter.number) \(name)", ["value": String(format: "%.6g", chapter.metrics[name]!)])
            }
        }
        return table
    }

    /// How long each chapter took.
    public func timesTable() -> ResultsTable {
        let table = ResultsTable(title: "Wall time per chapter")
        for chapter in chapters {
            table.add(
                "ch\(chapter.number) \(chapter.title)",
                [
                    "seconds": chapter.seconds.map { fmt($0, 1) } ?? "-", "mode": chapter.quick ? "quick" : "full",
                ])
        }
        return table
    }

    /// The tables as text, skipping empty ones.
    public func rendered() -> String {
        // The trilemma table is followed by what it shows, in plain words.
        let verdict = trilemmaVerdict().map { "- " + $0 }.joined(separator: "\n")
        let samples = samplesTable()
        let tables: [ResultsTable] = [modelsTable(), samples, identitiesTable(), timesTable()]
        return tables.filter { !$0.rows.isEmpty }.map {
            $0.rendered() + ($0 === samples && !verdict.isEmpty ? "\n\n" + verdict : "")
        }
        .joined(separator: "\n\n")
    }
}

/// A metric's name read as `<data>/<measure>/<model>` ("mnist/test NLL/PixelCNN"), the convention
/// the chapters record under: what the summary and the chapters that compare with earlier ones
/// read back.
public struct MetricName: Sendable, Equatable {
    public let data: String, measure: String, model: String

    /// nil for a name without the three parts (the model part may itself contain "/").
    public init?(_ name: String) {
        let p = name.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard p.count == 3, !p[0].isEmpty, !p[2].isEmpty else { return nil }
        (data, measure, model) = (p[0], p[1], p[2])
    }
}
