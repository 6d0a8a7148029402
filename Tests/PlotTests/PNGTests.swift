import Foundation
import Plot
import Testing

@Suite struct PNGTests {
    /// A 7x5 image whose bytes all differ from their neighbours, alpha included.
    static func pattern(_ format: PixelFormat) -> Bitmap {
        let count = 7 * 5 * format.channels
        return Bitmap(width: 7, height: 5, format: format, pixels: (0..<count).map { UInt8($0 * 37 % 256) })
    }

    @Test(arguments: PixelFormat.allCases)
    func roundTrip(format: PixelFormat) throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = "\(folder)/image.png"
        let image = Self.pattern(format)
        try image.writePNG(to: path)
        let read = try Bitmap(readingPNG: path)
        #expect(read.format == format)
        #expect(read == image)
        #expect(contents(of: folder) == ["image.png"], "no temporary file is left behind")
    }

    @Test func canvasRoundTrip() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        var canvas = Canvas(width: 3, height: 2)
        canvas[2, 1] = Color(red: 10, green: 20, blue: 30)
        try canvas.writePNG(to: "\(folder)/canvas.png")
        #expect(try Bitmap(readingPNG: "\(folder)/canvas.png") == canvas.bitmap)
    }

    @Test func missingFoldersAreCreated() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = "\(folder)/Figures/chapter1/samples.png"
        try Self.pattern(.gray).writePNG(to: path)
        #expect(try Bitmap(readingPNG: path) == Self.pattern(.gray))
    }

    @Test func writingReplacesAnExistingFile() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = "\(folder)/figure.png"
        try Self.pattern(.rgb).writePNG(to: path)
        try Self.pattern(.gray).writePNG(to: path)
        #expect(try Bitmap(readingPNG: path) == Self.pattern(.gray))
        #expect(contents(of: folder) == ["figure.png"])
    }

    /// Folders that cannot be written even by root: below a regular file, and in /proc.
    enum UnwritableFolder: CaseIterable {
        case belowARegularFile
        case procfs
    }

    @Test(arguments: UnwritableFolder.allCases)
    func unwritableFolderThrows(_ kind: UnwritableFolder) throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path: String
        switch kind {
        case .belowARegularFile:
            try Data("not a folder".utf8).write(to: URL(fileURLWithPath: "\(folder)/notes.txt"))
            path = "\(folder)/notes.txt/figure.png"
        case .procfs:
            #if !os(Linux)
                return
            #endif
            path = "/proc/plot-test-figure.png"
        }
        let error = expectPNGError(naming: path) { try Self.pattern(.rgb).writePNG(to: path) }
        #expect(error?.description.hasPrefix("cannot write \(path): ") == true)
        #expect(
            error?.description.hasSuffix("; check that the folder is writable, or write the figure somewhere else")
                == true)
        #expect(error?.localizedDescription == error?.description)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(
            contents(of: folder) == (kind == .belowARegularFile ? ["notes.txt"] : []),
            "no temporary file is left behind")
    }

    /// Files that are not complete PNGs.
    enum BadFile: String, CaseIterable {
        case missing, empty, notPNG, truncatedHeader, truncatedData
    }

    @Test(arguments: BadFile.allCases)
    func badFileThrows(_ kind: BadFile) throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = "\(folder)/\(kind.rawValue).png"
        // A real PNG, noisy enough that its compressed data is long, to cut short below.
        let noise = Bitmap(
            width: 32, height: 32, format: .rgb, pixels: (0..<32 * 32 * 3).map { UInt8($0 * 7919 % 251) })
        try noise.writePNG(to: "\(folder)/whole.png")
        let whole = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/whole.png"))
        let bytes: Data? =
            switch kind {
            case .missing: nil
            case .empty: Data()
            case .notPNG: Data("step,loss\n1,0.69\n".utf8)
            case .truncatedHeader: whole.prefix(20)
            case .truncatedData: whole.prefix(whole.count / 2)
            }
        try bytes?.write(to: URL(fileURLWithPath: path))
        let before = contents(of: folder)
        let error = expectPNGError(naming: path) { _ = try Bitmap(readingPNG: path) }
        #expect(error?.description.hasPrefix("cannot read \(path): ") == true)
        #expect(error?.description.contains("; check that the path is right") == true)
        #expect(contents(of: folder) == before, "reading leaves the folder as it was")
    }
}
