import CPNG
import Foundation

/// A PNG file that could not be written or read.
///
/// The description names the file, says what went wrong (libpng's own message when libpng
/// failed, the system's when a folder could not be made) and what to do about it:
/// `cannot write Figures/x.png: Permission denied; check that the folder is writable ...`.
public struct PNGError: Error, Equatable, CustomStringConvertible {
    public enum Operation: Sendable { case write, read }

    public let operation: Operation
    /// The file as the caller named it.
    public let path: String
    /// What failed, in libpng's or the system's words.
    public let reason: String

    public var description: String {
        switch operation {
        case .write:
            "cannot write \(path): \(reason); check that the folder is writable, or write the figure somewhere else"
        case .read:
            "cannot read \(path): \(reason); check that the path is right and the file is a complete PNG (write it again if it was cut short)"
        }
    }
}

extension PNGError: LocalizedError {
    /// So that `error.localizedDescription` prints the same message.
    public var errorDescription: String? { description }
}

extension PixelFormat {
    /// The format as libpng's simplified API spells it. The composite macros (`PNG_FORMAT_RGBA`,
    /// ...) do not import into Swift, so the flags are combined here: no flag is 8-bit gray.
    var pngFormat: png_uint_32 {
        switch self {
        case .gray: 0
        case .grayAlpha: PNG_FORMAT_FLAG_ALPHA
        case .rgb: PNG_FORMAT_FLAG_COLOR
        case .rgba: PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
        }
    }

    /// The 8-bit format closest to what libpng reports for a file (16-bit and palette files are
    /// converted to it while reading).
    init(pngFormat: png_uint_32) {
        let color = pngFormat & PNG_FORMAT_FLAG_COLOR != 0
        let alpha = pngFormat & PNG_FORMAT_FLAG_ALPHA != 0
        switch (color, alpha) {
        case (false, false): self = .gray
        case (false, true): self = .grayAlpha
        case (true, false): self = .rgb
        case (true, true): self = .rgba
        }
    }
}

extension png_image {
    /// A control structure ready for libpng's simplified API: zeroed, with the version set.
    static func fresh() -> png_image {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        return image
    }

    /// libpng's error or warning text (a NUL-terminated `char message[64]`).
    var messageText: String {
        withUnsafeBytes(of: message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

extension Bitmap {
    /// Writes the image to `path` as an 8-bit PNG, creating missing parent folders.
    ///
    /// libpng writes a temporary file in the same folder, which is then renamed to `path` (a
    /// rename within one folder is atomic): nobody ever sees a half-written figure under its
    /// final name, and a failure leaves neither a partial file nor the temporary one behind.
    /// - Throws: `PNGError`.
    public func writePNG(to path: String) throws {
        let fail = { (reason: String) in PNGError(operation: .write, path: path, reason: reason) }
        let file = URL(fileURLWithPath: path)
        let folder = file.deletingLastPathComponent().path
        if let reason = Self.createFolder(folder) { throw fail(reason) }

        // mkstemp creates a new file under a unique name, so concurrent writers never share one.
        var template = Array("\(folder)/.\(file.lastPathComponent).XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw fail("cannot create a file in \(folder) (\(String(cString: strerror(errno))))")
        }
        fchmod(descriptor, 0o644)  // mkstemp makes it private (0600); a figure is for everyone to read
        close(descriptor)
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }

        var image = png_image.fresh()
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format.pngFormat
        // Row stride 0 lets libpng compute it (width * channels: rows are packed); no colour map.
        let written = pixels.withUnsafeBytes {
            png_image_write_to_file(&image, temporary, 0, $0.baseAddress, 0, nil)
        }
        guard written != 0 else {
            let reason = image.messageText
            png_image_free(&image)
            unlink(temporary)
            throw fail(reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw fail(reason)
        }
    }

    /// Reads the PNG at `path` as 8 bits per channel, in the file's own format (a palette image
    /// comes back as RGB or RGBA, a 16-bit one is reduced to 8 bits).
    /// - Throws: `PNGError` when the file is missing, not a PNG, or cut short.
    public init(readingPNG path: String) throws {
        let fail = { (reason: String) in PNGError(operation: .read, path: path, reason: reason) }
        var image = png_image.fresh()
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let reason = image.messageText
            png_image_free(&image)
            throw fail(reason)
        }
        let format = PixelFormat(pngFormat: image.format)
        image.format = format.pngFormat
        let (width, height) = (Int(image.width), Int(image.height))
        var pixels = [UInt8](repeating: 0, count: width * height * format.channels)
        // No background colour: the format keeps the file's alpha, so nothing is composited.
        let read = pixels.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, 0, nil)
        }
        guard read != 0 else {
            let reason = image.messageText
            png_image_free(&image)
            throw fail(reason)
        }
        self.init(width: width, height: height, format: format, pixels: pixels)
    }

    /// Creates `folder` and any missing parents (`mkdir -p`); returns what went wrong, or nil.
    private static func createFolder(_ folder: String) -> String? {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            return isFolder.boolValue ? nil : "\(folder) is a file, not a folder"
        }
        let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
        if parent != folder, let reason = createFolder(parent) { return reason }
        // EEXIST: another writer made it in the meantime, which is fine.
        guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
            return "cannot create the folder \(folder) (\(String(cString: strerror(errno))))"
        }
        return nil
    }
}
