import Foundation

/// Where the data files live: the folder `Data/` at the root of this repository.
///
/// The folder is found from this source file's own path (`#filePath` is
/// `<root>/Sources/Datasets/DataDirectory.swift`), so every chapter, test and benchmark built from
/// this checkout finds it without copying anything: SwiftPM resources would copy 4 MB into every
/// build folder and need `Bundle.module`, which differs between platforms. When the binary runs
/// somewhere the sources are not (a copied executable), set the environment variable
/// `GENERATIVE_WORKBOOK_DATA` to the folder holding the files.
public enum DataDirectory {
    /// The environment variable that overrides the location of `Data/`.
    public static let environmentVariable = "GENERATIVE_WORKBOOK_DATA"

    /// `$GENERATIVE_WORKBOOK_DATA` if set and not empty, else `<root>/Data` next to the sources.
    public static var url: URL { resolve(environment: ProcessInfo.processInfo.environment) }

    /// The rule of `url` for a given environment.
    public static func resolve(environment: [String: String]) -> URL {
        if let override = environment[environmentVariable], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return sourceDefault
    }

    /// `<root>/Data`, three levels up from this file.
    public static let sourceDefault: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Sources/Datasets
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // <root>
        .appendingPathComponent("Data", isDirectory: true)
}
