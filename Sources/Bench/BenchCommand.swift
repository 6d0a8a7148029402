// `swift run -c release bench`: times, in Float, the workloads of `Benchmarks/peers.py` with the
// library's own layers, measures the machine's FMA ceiling in the same run, and prints a table:
// every workload's GFLOP/s and its fraction of the ceiling (with `--peers FILE`, side by side with
// the figures of a `python3 Benchmarks/peers.py --json FILE` run from the same minute, and the
// ratios).

import ArgumentParser
import Foundation
import Tensors

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Throughput of the tensor library on the lecture's models, against the machine's FMA ceiling and Benchmarks/peers.py."
    )

    static let sections = ["sgemm", "conv", "pixelcnn", "gated", "lstm", "vae", "gan", "memory", "data"]

    @Option(help: "Comma-separated workloads to run, from: \(sections.joined(separator: ",")).")
    var only: String = sections.joined(separator: ",")

    @Option(help: "Write one JSON record per workload to this file.")
    var json: String?

    @Option(help: "A Benchmarks/peers.py --json file from the same minute, to print ratios against.")
    var peers: String?

    @Option(help: "Timed samples per workload (the median is reported).")
    var samples: Int = 7

    @Option(help: "Untimed warm-up calls per workload.")
    var warmup: Int = 3

    @Option(help: "Minimum seconds per timed sample (the inner loop is calibrated to it).")
    var minSample: Double = 0.25

    @Option(help: "Threads the kernels use (peers.py --threads; the default is the number of cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Training steps of the memory workload.")
    var memorySteps: Int = 10_000

    func validate() throws {
        let unknown = selected.filter { !Self.sections.contains($0) }
        if !unknown.isEmpty {
            throw ValidationError(
                "unknown workload \(unknown.joined(separator: ", ")); choose from \(Self.sections.joined(separator: ","))"
            )
        }
        if samples < 1 || warmup < 0 || minSample <= 0 || memorySteps < 100 || threads < 1 {
            throw ValidationError(
                "--samples must be >= 1, --warmup >= 0, --min-sample > 0, --memory-steps >= 100, --threads >= 1")
        }
    }

    var selected: [String] { only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let reference = try peers.map { try PeerResults(path: $0) }
        let options = TimingOptions(samples: samples, warmup: warmup, minSample: minSample)
        Parallelism.threadCount = threads
        print(
            "bench: Float, \(threads) threads on \(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(samples) samples of >= \(minSample) s after \(warmup) warm-up calls"
        )
        let start = Ceiling.measure(threads: threads)
        print(describe(start, "at the start"))
        var results: [Measurement] = []
        var memory: [(step: Int, megabytes: Double)] = []
        for section in Self.sections where selected.contains(section) {
            let measured: [Measurement]
            switch section {
            case "sgemm": measured = benchSGEMM(options)
            case "conv": measured = benchConv(options)
            case "pixelcnn": measured = benchPixelCNN(options)
            case "gated": measured = benchGatedPixelCNN(options)
            case "lstm": measured = benchLSTM(options)
            case "vae": measured = benchVAE(options)
            case "gan": measured = benchGAN(options)
            case "data": measured = try benchData(options)
            default:
                let (m, readings) = benchMemory(steps: memorySteps)
                measured = [m]
                memory = readings
            }
            for m in measured { print(line(m, start, reference)) }
            results += measured
        }
        let end = Ceiling.measure(threads: threads)
        print(describe(end, "at the end"))
        let ceiling = start.best(end)
        if !memory.isEmpty {
            print(
                "resident memory (MB) by step: "
                    + memory.map { "\($0.step): \(String(format: "%.1f", $0.megabytes))" }.joined(separator: ", "))
        }
        print()
        print(table(results, ceiling, reference))
        if let json { try write(results, memory: memory, ceiling, reference, to: json) }
    }

    func describe(_ c: Ceiling, _ when: String) -> String {
        String(
            format:
                "ceiling %@: register-only FMA loop %.1f GFLOP/s on 1 thread, %.1f on %d threads; %.1f GFLOP per processor second",
            when, c.oneThread, c.allThreads, c.threads, c.perCPUSecond)
    }

    /// One progress line per workload as it finishes.
    func line(_ m: Measurement, _ ceiling: Ceiling, _ reference: PeerResults?) -> String {
        var s =
            "[\(m.section.padding(toLength: 8, withPad: " ", startingAt: 0))] \(m.name.padding(toLength: 42, withPad: " ", startingAt: 0)) "
            + String(format: "%9.3f ms", m.ms)
        if let g = m.gflopsPerSecond {
            s += String(format: "  %7.2f GFLOP/s (%4.1f%% of ceiling)", g, 100 * g / ceiling.allThreads)
        }
        if let c = m.cpuMs { s += String(format: "  (cpu %.3f ms)", c) }
        if let key = m.peer, let p = reference?.records[key] {
            s += String(format: "   %@ %.3f ms, ratio %.2f", key.impl, p.ms, m.ms / p.ms)
        }
        return s
    }

    /// The summary table; with peers, their time and the ratios ours / theirs (below 1: faster), of
    /// wall-clock time and of processor time.
    func table(_ results: [Measurement], _ ceiling: Ceiling, _ reference: PeerResults?) -> String {
        // %ceil: GFLOP/s over the N-thread ceiling. %core: GFLOP per processor second over the
        // loop's, the same fraction measured in processor time, which other jobs disturb less.
        var rows: [[String]] = [["workload", "ms", "GFLOP/s", "%ceil", "cpu ms", "%core"]]
        if reference != nil {
            rows[0] += ["peer", "peer ms", "peer GFLOP/s", "time ratio", "peer cpu ms", "cpu ratio"]
        }
        for m in results {
            let gflops: String = m.gflopsPerSecond.map { String(format: "%.1f", $0) } ?? "-"
            let fraction: String =
                m.gflopsPerSecond.map { String(format: "%.1f%%", 100 * $0 / ceiling.allThreads) } ?? "-"
            let cpu: String = m.cpuMs.map { String(format: "%.3f", $0) } ?? "-"
            var core = "-"
            if let f = m.flops, let c = m.cpuMs {
                core = String(format: "%.1f%%", 100 * f / (c * 1e-3) / 1e9 / ceiling.perCPUSecond)
            }
            var row: [String] = ["\(m.section): \(m.name)", String(format: "%.3f", m.ms), gflops, fraction, cpu, core]
            if let reference {
                if let key = m.peer, let p = reference.records[key] {
                    let peerGflops: String = p.gflops.map { String(format: "%.1f", $0) } ?? "-"
                    row += [key.impl, String(format: "%.3f", p.ms), peerGflops, String(format: "%.2f", m.ms / p.ms)]
                    let peerCpu: String = p.cpuMs.map { String(format: "%.3f", $0) } ?? "-"
                    var cpuRatio = "-"
                    if let ours = m.cpuMs, let theirs = p.cpuMs { cpuRatio = String(format: "%.2f", ours / theirs) }
                    row += [peerCpu, cpuRatio]
                } else {
                    row += ["-", "-", "-", "-", "-", "-"]
                }
            }
            rows.append(row)
        }
        let widths = (0..<rows[0].count).map { i in rows.map { $0[i].count }.max() ?? 0 }
        func render(_ cells: [String]) -> String {
            "| "
                + cells.enumerated().map { i, c in
                    let pad = String(repeating: " ", count: widths[i] - c.count)
                    return i == 0 ? c + pad : pad + c
                }.joined(separator: " | ") + " |"
        }
        let rule =
            "|"
            + widths.enumerated().map { i, w in String(repeating: "-", count: w + 1) + (i == 0 ? "-" : ":") }.joined(
                separator: "|") + "|"
        return ([render(rows[0]), rule] + rows.dropFirst().map(render)).joined(separator: "\n")
    }

    func write(
        _ results: [Measurement], memory: [(step: Int, megabytes: Double)], _ ceiling: Ceiling,
        _ reference: PeerResults?,
        to path: String
    ) throws {
        let records: [[String: Any]] = results.map { m in
            var r: [String: Any] = [
                "section": m.section, "name": m.name, "impl": "swift", "ms": m.ms, "ms_min": m.msMin, "ms_max": m.msMax,
            ]
            if let f = m.flops { r["gflop"] = f / 1e9 }
            if let g = m.gflopsPerSecond {
                r["gflops_per_s"] = g
                r["fraction_of_ceiling"] = g / ceiling.allThreads
            }
            if let f = m.flops, let c = m.cpuMs {
                r["fraction_of_core_per_cpu_second"] = f / (c * 1e-3) / 1e9 / ceiling.perCPUSecond
            }
            if let c = m.cpuMs { r["cpu_ms"] = c }
            if let key = m.peer, let p = reference?.records[key] {
                r["peer"] = ["impl": key.impl, "ms": p.ms, "time_ratio": m.ms / p.ms] as [String: Any]
            }
            if m.section == "memory" {
                r["resident_mb_by_step"] = memory.map { ["step": $0.step, "mb": $0.megabytes] as [String: Any] }
            }
            return r
        }
        let data = try JSONSerialization.data(
            withJSONObject: [
                "results": records,
                "ceiling": [
                    "gflops_1_thread": ceiling.oneThread, "gflops_all_threads": ceiling.allThreads,
                    "threads": ceiling.threads,
                    "gflop_per_cpu_second": ceiling.perCPUSecond,
                ],
            ] as [String: Any], options: [.prettyPrinted, .sortedKeys])
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw BenchError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
