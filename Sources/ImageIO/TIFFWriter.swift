import CLibTIFF
import CellTrackCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes single-page TIFFs (images and label masks). Every file is written under a temporary
/// name in the destination folder and renamed when complete, so a crash never leaves a
/// half-written file that looks finished.
///
/// ```swift
/// try TIFFWriter.write(image, to: "out/frame000.tif", compression: .zstd,
///                      metadata: TIFFMetadata(pixelSizeUm: 0.065))
/// try TIFFWriter.writeLabels(labels, to: "out/mask000.tif")   // uint16, or uint32 above 65535
/// ```
public enum TIFFWriter {
    /// Writes one grey image. `metadata`, when given, adds resolution tags and an ImageJ description.
    public static func write<P: TIFFPixel>(_ image: Image<P>, to path: String,
                                           compression: TIFFCompression = .deflate,
                                           metadata: TIFFMetadata? = nil) throws {
        try write(image, to: path, compression: compression, metadata: metadata, deflateLevel: nil)
    }

    /// `deflateLevel` (1–12, libtiff's ZIPQUALITY; nil: libtiff's default, 6) applies to Deflate.
    static func write<P: TIFFPixel>(_ image: Image<P>, to path: String, compression: TIFFCompression,
                                    metadata: TIFFMetadata?, deflateLevel: Int?) throws {
        let writer = try TIFFStackWriter<P>(path: path, compression: compression, metadata: metadata,
                                            imageJDescription: metadata != nil)
        writer.deflateLevel = deflateLevel
        do {
            try writer.append(image)
            try writer.close()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Writes a label image: uint16 when the largest label fits (≤ 65535), otherwise uint32.
    /// CTC tools and Fiji expect uint16 masks, so the narrow type is preferred. Deflate at level
    /// 1: masks of long runs compress nearly as well as at the default 6, several times faster
    /// (writing was a fifth of `segment`'s time on 12-MP frames).
    public static func writeLabels(_ labels: LabelImage, to path: String,
                                   compression: TIFFCompression = .deflate) throws {
        let maxLabel = labels.withUnsafeBufferPointer { buffer -> UInt32 in
            var largest: UInt32 = 0
            for value in buffer where value > largest { largest = value }
            return largest
        }
        if maxLabel <= UInt32(UInt16.max) {
            var narrow = Image<UInt16>(width: labels.width, height: labels.height, repeating: 0,
                                       pixelSize: labels.pixelSize)
            labels.withUnsafeBufferPointer { source in
                narrow.withUnsafeMutableBufferPointer { target in
                    for index in 0..<source.count { target[index] = UInt16(truncatingIfNeeded: source[index]) }
                }
            }
            try write(narrow, to: path, compression: compression, metadata: nil, deflateLevel: 1)
        } else {
            try write(labels, to: path, compression: compression, metadata: nil, deflateLevel: 1)
        }
    }
}

/// Writes a multi-page TIFF stack, one page per `append`, readable by ImageJ/Fiji as a
/// time series (ImageJ description with `images=`, `frames=`, `channels=`, `unit=micron`,
/// `finterval=` in seconds; X/YResolution in pixels per µm when the pixel size is known).
///
/// The file is written under a temporary name and renamed by `close()`. If the writer is
/// dropped without `close()`, the temporary file is removed and nothing appears at `path`.
///
/// Pages are either grey (`append`) or, for `P == UInt8`, chunky 8-bit RGB (`appendRGB`);
/// all pages must have the same size and kind.
///
/// ```swift
/// let stack = try TIFFStackWriter<UInt16>(path: "movie.tif", compression: .zstd,
///                                         metadata: TIFFMetadata(pixelSizeUm: 0.1, frameIntervalMin: 2))
/// for frame in frames { try stack.append(frame) }
/// try stack.close()
/// ```
public final class TIFFStackWriter<P: TIFFPixel> {
    public let path: String
    public let compression: TIFFCompression
    public let metadata: TIFFMetadata?
    /// Pages written so far.
    public private(set) var pageCount = 0

    private let temporaryPath: String
    private let writeImageJDescription: Bool
    private var handle: TIFFHandle?
    private var pageWidth = -1
    private var pageHeight = -1
    private var pageSamples = 0
    private var stripScratch: [UInt8] = []
    private var finished = false
    /// Deflate level for the pages still to come (nil: libtiff's default).
    var deflateLevel: Int?

    /// Creates the temporary file next to `path`. `bigTIFF` writes the 64-bit variant (needed
    /// above 4 GB; ImageJ's own opener cannot read it, Fiji/Bio-Formats and tifffile can).
    public convenience init(path: String, compression: TIFFCompression = .deflate,
                            metadata: TIFFMetadata? = nil, bigTIFF: Bool = false) throws {
        try self.init(path: path, compression: compression, metadata: metadata,
                      imageJDescription: true, bigTIFF: bigTIFF)
    }

    init(path: String, compression: TIFFCompression, metadata: TIFFMetadata?,
         imageJDescription: Bool, bigTIFF: Bool = false) throws {
        if let metadata {
            if let size = metadata.pixelSizeUm, !(size > 0 && size.isFinite) {
                throw ParameterError.invalid(name: "pixelSizeUm", value: "\(size)", reason: "must be a positive number")
            }
            if let interval = metadata.frameIntervalMin, !(interval > 0 && interval.isFinite) {
                throw ParameterError.invalid(name: "frameIntervalMin", value: "\(interval)", reason: "must be a positive number")
            }
            if metadata.channels < 1 {
                throw ParameterError.invalid(name: "channels", value: "\(metadata.channels)", reason: "must be at least 1")
            }
        }
        self.path = path
        self.compression = compression
        self.metadata = metadata
        self.writeImageJDescription = imageJDescription
        self.temporaryPath = TIFFStackWriter.temporaryName(for: path)
        do {
            self.handle = try TIFFHandle(path: temporaryPath, mode: bigTIFF ? "w8" : "w")
        } catch let error as InputError {
            throw OutputError(file: path, problem: "cannot create file (\(error.problem))")
        }
    }

    deinit { abandon() }

    /// Appends one grey page.
    public func append(_ image: Image<P>) throws {
        try checkPage(width: image.width, height: image.height, samples: 1)
        let rowBytes = image.width * P.tiffBitsPerSample / 8
        try image.withUnsafeBufferPointer { buffer in
            try writePage(bytes: UnsafeRawBufferPointer(buffer), rowBytes: rowBytes, width: image.width,
                          height: image.height, samples: 1)
        }
    }

    /// Closes the file and renames it to `path`. The ImageJ description of page 0 is updated
    /// with the final page count. Throws when no page was written.
    public func close() throws {
        guard !finished, let handle else { throw OutputError(file: path, problem: "writer already closed") }
        guard pageCount > 0 else {
            abandon()
            throw OutputError(file: path, problem: "no page written")
        }
        handle.resetMessages()
        let flushed = TIFFFlush(handle.tiff)
        let problem = handle.firstError
        handle.closeHandle()
        self.handle = nil
        if flushed != 1 || problem != nil {
            abandon()
            throw OutputError(file: path, problem: problem ?? "cannot flush file")
        }
        if writeImageJDescription, pageCount > 1 {
            // The first page was written before the count was known: rewrite its directory.
            do {
                let update = try TIFFHandle(path: temporaryPath, mode: "r+")
                update.resetMessages()
                var ok = TIFFSetDirectory(update.tiff, 0) == 1
                ok = ok && ct_set_string(update.tiff, UInt32(TIFFTAG_IMAGEDESCRIPTION), imageJDescription(pages: pageCount)) == 1
                ok = ok && TIFFRewriteDirectory(update.tiff) == 1
                let updateProblem = update.firstError
                update.closeHandle()
                if !ok || updateProblem != nil {
                    abandon()
                    throw OutputError(file: path, problem: "cannot update ImageJ description (\(updateProblem ?? "libtiff failed"))")
                }
            } catch let error as InputError {
                abandon()
                throw OutputError(file: path, problem: "cannot reopen file (\(error.problem))")
            }
        }
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            abandon()
            throw OutputError(file: path, problem: "cannot rename temporary file (\(reason))")
        }
        finished = true
    }

    /// Drops the temporary file (after an error). Safe to call more than once.
    func abandon() {
        guard !finished else { return }
        finished = true
        handle?.closeHandle()
        handle = nil
        unlink(temporaryPath)
    }

    // MARK: internals

    private static func temporaryName(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return "\(folder).\(name).partial-\(getpid())"
    }

    private func checkPage(width: Int, height: Int, samples: Int) throws {
        guard !finished, handle != nil else { throw OutputError(file: path, problem: "writer already closed") }
        guard width > 0, height > 0 else {
            throw ParameterError.invalid(name: "image size", value: "\(width)x\(height)", reason: "must be at least 1x1")
        }
        if pageCount > 0, width != pageWidth || height != pageHeight || samples != pageSamples {
            throw ParameterError.invalid(name: "page \(pageCount)", value: "\(width)x\(height)x\(samples)",
                                         reason: "all pages of a stack must be \(pageWidth)x\(pageHeight)x\(pageSamples)")
        }
        pageWidth = width
        pageHeight = height
        pageSamples = samples
    }

    func imageJDescription(pages: Int) -> String {
        let channels = metadata?.channels ?? 1
        var lines = ["ImageJ=1.11a", "images=\(pages)"]
        if channels > 1 {
            lines.append("channels=\(channels)")
            if pages / channels > 1 { lines.append("frames=\(pages / channels)") }
            lines.append("hyperstack=true")
            lines.append("mode=grayscale")
        } else if pages > 1 {
            lines.append("frames=\(pages)")
        }
        if metadata?.pixelSizeUm != nil { lines.append("unit=micron") }
        if let interval = metadata?.frameIntervalMin { lines.append("finterval=\(interval * 60)") }
        if let note = metadata?.note {
            let oneLine = String(note.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
            lines.append("celltrack=\(oneLine)")
        }
        lines.append("loop=false")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes one page from `rowBytes`-strided rows of interleaved samples.
    func writePage(bytes: UnsafeRawBufferPointer, rowBytes: Int, width: Int, height: Int, samples: Int) throws {
        guard let handle else { throw OutputError(file: path, problem: "writer already closed") }
        let tiff = handle.tiff
        handle.resetMessages()
        let bits = UInt16(P.tiffBitsPerSample)
        var ok = true
        func set16(_ tag: Int32, _ value: UInt16) { ok = ok && ct_set_u16(tiff, UInt32(tag), value) == 1 }
        func set32(_ tag: Int32, _ value: UInt32) { ok = ok && ct_set_u32(tiff, UInt32(tag), value) == 1 }
        set32(TIFFTAG_IMAGEWIDTH, UInt32(width))
        set32(TIFFTAG_IMAGELENGTH, UInt32(height))
        set16(TIFFTAG_BITSPERSAMPLE, bits)
        set16(TIFFTAG_SAMPLESPERPIXEL, UInt16(samples))
        set16(TIFFTAG_SAMPLEFORMAT, UInt16(P.tiffSampleFormat.rawValue))
        set16(TIFFTAG_PHOTOMETRIC, UInt16(samples == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK))
        set16(TIFFTAG_PLANARCONFIG, UInt16(PLANARCONFIG_CONTIG))
        set16(TIFFTAG_COMPRESSION, compression.libtiffCode)
        if compression == .deflate, let level = deflateLevel {
            set16(TIFFTAG_ZIPQUALITY, UInt16(min(max(level, 1), 12)))
        }
        if compression.usesPredictor {
            let predictor = P.tiffSampleFormat == .ieeeFloat ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL
            set16(TIFFTAG_PREDICTOR, UInt16(predictor))
        }
        // Strips of about 256 KB: large enough for good compression and fast reads.
        let rowsPerStrip = max(1, min(height, (256 * 1024) / max(1, rowBytes)))
        set32(TIFFTAG_ROWSPERSTRIP, UInt32(rowsPerStrip))
        if let size = metadata?.pixelSizeUm {
            ok = ok && ct_set_float(tiff, UInt32(TIFFTAG_XRESOLUTION), Float(1 / size)) == 1
            ok = ok && ct_set_float(tiff, UInt32(TIFFTAG_YRESOLUTION), Float(1 / size)) == 1
            // ImageJ convention: unit NONE in the tag, `unit=micron` in the description.
            set16(TIFFTAG_RESOLUTIONUNIT, UInt16(writeImageJDescription ? RESUNIT_NONE : RESUNIT_CENTIMETER))
            if !writeImageJDescription {
                ok = ok && ct_set_float(tiff, UInt32(TIFFTAG_XRESOLUTION), Float(1e4 / size)) == 1
                ok = ok && ct_set_float(tiff, UInt32(TIFFTAG_YRESOLUTION), Float(1e4 / size)) == 1
            }
        }
        if writeImageJDescription, pageCount == 0 {
            ok = ok && ct_set_string(tiff, UInt32(TIFFTAG_IMAGEDESCRIPTION), imageJDescription(pages: 1)) == 1
        }
        ct_set_string(tiff, UInt32(TIFFTAG_SOFTWARE), "celltrack \(CellTrackVersion.string)")
        guard ok else { throw OutputError(file: path, problem: "cannot set TIFF tags (\(handle.firstError ?? "libtiff refused"))") }

        // libtiff's predictors and byte swapping modify the buffer they encode: copy each strip.
        let stripBytes = rowsPerStrip * rowBytes
        if stripScratch.count < stripBytes { stripScratch = [UInt8](repeating: 0, count: stripBytes) }
        var strip: UInt32 = 0
        var row = 0
        try stripScratch.withUnsafeMutableBytes { scratch in
            while row < height {
                let rows = min(rowsPerStrip, height - row)
                let count = rows * rowBytes
                scratch.baseAddress!.copyMemory(from: bytes.baseAddress! + row * rowBytes, byteCount: count)
                if TIFFWriteEncodedStrip(tiff, strip, scratch.baseAddress!, tmsize_t(count)) < 0 {
                    throw OutputError(file: path, problem: "cannot write page \(pageCount) (\(handle.firstError ?? "write failed"))")
                }
                strip += 1
                row += rows
            }
        }
        if TIFFWriteDirectory(tiff) != 1 {
            throw OutputError(file: path, problem: "cannot write page \(pageCount) (\(handle.firstError ?? "write failed"))")
        }
        pageCount += 1
    }
}

extension TIFFStackWriter where P == UInt8 {
    /// Appends one chunky 8-bit RGB page (samples interleaved R, G, B per pixel).
    /// A stack holds either grey or RGB pages, not both.
    public func appendRGB(_ image: RGBImage) throws {
        try checkPage(width: image.width, height: image.height, samples: 3)
        let count = image.width * image.height
        var interleaved = [UInt8](repeating: 0, count: count * 3)
        image.red.withUnsafeBufferPointer { red in
            image.green.withUnsafeBufferPointer { green in
                image.blue.withUnsafeBufferPointer { blue in
                    interleaved.withUnsafeMutableBufferPointer { out in
                        for index in 0..<count {
                            out[3 * index] = red[index]
                            out[3 * index + 1] = green[index]
                            out[3 * index + 2] = blue[index]
                        }
                    }
                }
            }
        }
        try interleaved.withUnsafeBytes { bytes in
            try writePage(bytes: bytes, rowBytes: image.width * 3, width: image.width, height: image.height, samples: 3)
        }
    }

    /// Same as `appendRGB(_:)` from three planes.
    public func appendRGB(red: Image<UInt8>, green: Image<UInt8>, blue: Image<UInt8>) throws {
        try appendRGB(RGBImage(red: red, green: green, blue: blue))
    }
}
