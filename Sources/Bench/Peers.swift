import Foundation

/// Which record of `Benchmarks/peers.py --json` a workload compares with.
struct PeerKey: Hashable {
    let section: String
    let name: String
    let impl: String
}

/// The records of a `Benchmarks/peers.py --json` file, by key: milliseconds, GFLOP/s and processor ms.
struct PeerResults {
    var records: [PeerKey: (ms: Double, gflops: Double?, cpuMs: Double?)] = [:]
    var threads: Int?

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let results = root["results"] as? [[String: Any]]
        else { throw BenchError("\(path) is not a Benchmarks/peers.py --json file (no \"results\" list)") }
        threads = root["threads"] as? Int
        for r in results {
            guard let section = r["section"] as? String, let name = r["name"] as? String,
                let impl = r["impl"] as? String, let ms = r["ms"] as? Double
            else { continue }
            records[PeerKey(section: section, name: name, impl: impl)] = (
                ms, r["gflops_per_s"] as? Double, r["cpu_ms"] as? Double
            )
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
