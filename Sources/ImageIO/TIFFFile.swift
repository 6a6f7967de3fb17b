import CLibTIFF
import CellTrackCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Storage layout of one TIFF page, as `celltrack info` reports it.
public struct TIFFPageLayout: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    public var samplesPerPixel: Int
    public var bitsPerSample: Int
    public var sampleFormat: TIFFSampleFormat
    /// TIFF Photometric code: 0 min-is-white, 1 min-is-black, 2 RGB, 3 palette, ...
    public var photometric: Int
    /// PlanarConfiguration 2: one plane per sample.
    public var planarSeparate: Bool
    /// TIFF Compression code (1 none, 5 LZW, 8 Deflate, 50000 ZSTD, 32773 PackBits, ...).
    public var compression: Int
    public var predictor: Int
    public var tiled: Bool
    public var tileWidth: Int
    public var tileHeight: Int
    public var rowsPerStrip: Int

    public var compressionName: String { TIFFCompression.name(ofCode: compression) }

    public var photometricName: String {
        switch Int32(photometric) {
        case PHOTOMETRIC_MINISWHITE: return "min-is-white"
        case PHOTOMETRIC_MINISBLACK: return "min-is-black"
        case PHOTOMETRIC_RGB: return "RGB"
        case PHOTOMETRIC_PALETTE: return "palette"
        case PHOTOMETRIC_SEPARATED: return "separated (CMYK)"
        case PHOTOMETRIC_YCBCR: return "YCbCr"
        default: return "code \(photometric)"
        }
    }

    /// e.g. "uint16", "float32", "int64", "uint1".
    public var sampleTypeName: String {
        switch sampleFormat {
        case .ieeeFloat: return "float\(bitsPerSample)"
        case .signedInteger: return "int\(bitsPerSample)"
        default: return "uint\(bitsPerSample)"
        }
    }

    var isRGB: Bool { photometric == Int(PHOTOMETRIC_RGB) && samplesPerPixel >= 3 }
    var isPalette: Bool { photometric == Int(PHOTOMETRIC_PALETTE) }

    /// The problem that makes this layout unreadable for us, if any.
    var unsupportedReason: String? {
        switch sampleFormat {
        case .unsignedInteger, .undefined:
            if ![1, 2, 4, 8, 16, 32, 64].contains(bitsPerSample) { return "unsupported sample format: \(bitsPerSample)-bit unsigned integers" }
        case .signedInteger:
            if ![8, 16, 32, 64].contains(bitsPerSample) { return "unsupported sample format: \(bitsPerSample)-bit signed integers" }
        case .ieeeFloat:
            if ![32, 64].contains(bitsPerSample) { return "unsupported sample format: \(bitsPerSample)-bit floating point" }
        }
        if samplesPerPixel < 1 { return "no samples per pixel" }
        let photo = Int32(photometric)
        if photo != PHOTOMETRIC_MINISBLACK && photo != PHOTOMETRIC_MINISWHITE && photo != PHOTOMETRIC_RGB && photo != PHOTOMETRIC_PALETTE {
            return "unsupported colour model (\(photometricName))"
        }
        if photo == PHOTOMETRIC_RGB && samplesPerPixel < 3 { return "RGB page with \(samplesPerPixel) samples per pixel" }
        if photo == PHOTOMETRIC_PALETTE && (sampleFormat == .ieeeFloat || bitsPerSample > 16) {
            return "palette page with \(sampleTypeName) indices"
        }
        return nil
    }
}

/// What the ImageJ ImageDescription (`ImageJ=...`) says about a hyperstack.
public struct ImageJDescription: Sendable, Equatable, Codable {
    public var images = 1
    public var channels = 1
    public var slices = 1
    public var frames = 1
    public var unit: String?
    /// Frame interval in ImageJ's time unit (`tunit`, seconds by default).
    public var finterval: Double?
    public var timeUnit: String?

    /// Parses "key=value" lines; returns nil when the text is not an ImageJ description.
    public static func parse(_ text: String) -> ImageJDescription? {
        guard text.hasPrefix("ImageJ=") else { return nil }
        var result = ImageJDescription()
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingSpaces
            let value = line[line.index(after: equals)...].trimmingSpaces
            switch key {
            case "images": result.images = Int(value) ?? result.images
            case "channels": result.channels = max(1, Int(value) ?? 1)
            case "slices": result.slices = max(1, Int(value) ?? 1)
            case "frames": result.frames = max(1, Int(value) ?? 1)
            case "unit": result.unit = value
            case "finterval": result.finterval = Double(value)
            case "tunit": result.timeUnit = value
            default: break
            }
        }
        return result
    }

    /// µm per ImageJ unit, when the unit is a known length.
    var micronsPerUnit: Double? {
        guard let unit = unit?.lowercased() else { return nil }
        switch unit {
        case "micron", "microns", "um", "\u{00B5}m", "\u{03BC}m", "\\u00b5m": return 1
        case "nm", "nanometer", "nanometers": return 0.001
        case "mm": return 1000
        case "cm": return 10000
        default: return nil
        }
    }

    /// Frame interval in minutes.
    var frameIntervalMinutes: Double? {
        guard let finterval, finterval > 0, finterval.isFinite else { return nil }
        switch (timeUnit ?? "sec").lowercased() {
        case "sec", "s", "second", "seconds": return finterval / 60
        case "min", "minute", "minutes": return finterval
        case "h", "hr", "hour", "hours": return finterval * 60
        case "ms", "msec": return finterval / 60000
        default: return nil
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}

/// What a scan of one TIFF file found: its full-resolution pages (reduced-resolution pages
/// skipped) with their directory offsets for O(1) random access, the layout of page 0 and the
/// metadata.
public struct TIFFFileSummary: Sendable, Equatable {
    public var path: String
    /// Directory offsets of the full-resolution pages, in file order.
    public var pageOffsets: [UInt64]
    public var layout: TIFFPageLayout
    public var bigEndian: Bool
    public var bigTIFF: Bool
    public var imageJ: ImageJDescription?
    public var ome: OMEDescription?
    /// How pages map to frames and channels.
    public var hyperstack: HyperstackLayout
    public var pixelSizeUm: Double?
    public var frameIntervalMin: Double?
    /// Set for ImageJ's large-stack format: one page directory, all images stored back to back.
    public var contiguousImages: ContiguousImages?
    /// Images in the file: page directories, or the ImageJ image count of a contiguous stack.
    public var pageCount: Int { contiguousImages?.count ?? pageOffsets.count }
}

/// ImageJ writes stacks above 4 GB as a classic TIFF with only the first page directory and
/// `images=N` in its description; the N uncompressed images follow each other in the file.
public struct ContiguousImages: Sendable, Equatable, Codable {
    public var firstOffset: UInt64
    public var imageBytes: Int
    public var count: Int
}

/// An open TIFF file with its scan summary. One thread at a time.
final class TIFFFile {
    let path: String
    let handle: TIFFHandle
    private(set) var summary: TIFFFileSummary
    private var currentOffset: UInt64?
    /// The directory whose horizontal differencing the decoder undoes itself (libtiff told
    /// predictor 1 for it, see `takeOverPredictor`); nil once another directory is read.
    private var predictorTakenOver: UInt64?

    var pageOffsets: [UInt64] { summary.pageOffsets }
    var layout: TIFFPageLayout { summary.layout }
    var pageCount: Int { summary.pageCount }

    /// "m": no memory mapping. libtiff then read()s uncompressed strips straight into our
    /// buffer instead of copying from a mapping page fault by page fault (measured faster).
    static let readMode = "rm"

    /// Reopens a file scanned before (no second walk over its pages).
    init(reopening summary: TIFFFileSummary) throws {
        self.path = summary.path
        self.summary = summary
        handle = try TIFFHandle(path: summary.path, mode: TIFFFile.readMode)
    }

    /// Opens the file, walks its pages and checks that all have the size of the first.
    init(path: String) throws {
        self.path = path
        handle = try TIFFHandle(path: path, mode: TIFFFile.readMode)
        let tiff = handle.tiff
        let bigEndian = TIFFIsBigEndian(tiff) != 0
        let bigTIFF = TIFFIsBigTIFF(tiff) != 0
        var pageOffsets: [UInt64] = []

        var first: TIFFPageLayout?
        var page = 0
        var seenOffsets = Set<UInt64>()
        while true {
            let offset = UInt64(TIFFCurrentDirOffset(tiff))
            // A cyclic IFD chain would loop forever; libtiff 4.5 detects it, this is a second guard.
            if !seenOffsets.insert(offset).inserted { break }
            let subfileType = handle.u32(TIFFTAG_SUBFILETYPE) ?? 0
            if subfileType & UInt32(FILETYPE_REDUCEDIMAGE) == 0 {
                let current = try TIFFFile.readLayout(handle, page: pageOffsets.count)
                if let first {
                    if current.width != first.width || current.height != first.height {
                        throw InputError(file: path, frame: pageOffsets.count,
                                         problem: "page is \(current.width)x\(current.height) but page 0 is \(first.width)x\(first.height); all pages of a series must have one size")
                    }
                } else {
                    first = current
                }
                pageOffsets.append(offset)
            }
            page += 1
            handle.resetMessages()
            if TIFFReadDirectory(tiff) != 1 {
                if let problem = handle.firstError {
                    throw InputError(file: path, frame: page, problem: "cannot read page directory (\(problem)); the file may be truncated")
                }
                break
            }
        }
        guard let first else { throw InputError(file: path, problem: "TIFF file has no image pages") }

        // Metadata from page 0.
        _ = TIFFSetSubDirectory(tiff, pageOffsets[0])
        currentOffset = pageOffsets[0]
        let description = handle.string(TIFFTAG_IMAGEDESCRIPTION)
        let imageJ = description.flatMap(ImageJDescription.parse)
        let ome = imageJ == nil ? description.flatMap(OMEDescription.parse) : nil
        var contiguous: ContiguousImages?
        if let imageJ, pageOffsets.count == 1, imageJ.images > 1 {
            contiguous = try TIFFFile.contiguousImages(handle, layout: first, images: imageJ.images)
        }
        let hyperstack = try HyperstackLayout.derive(path: path, pageCount: contiguous?.count ?? pageOffsets.count,
                                                     samplesPerPixel: first.samplesPerPixel, imageJ: imageJ, ome: ome)
        summary = TIFFFileSummary(path: path, pageOffsets: pageOffsets, layout: first, bigEndian: bigEndian,
                                  bigTIFF: bigTIFF, imageJ: imageJ, ome: ome, hyperstack: hyperstack,
                                  pixelSizeUm: ome?.physicalSizeXUm ?? TIFFFile.pixelSize(handle: handle, imageJ: imageJ),
                                  frameIntervalMin: imageJ?.frameIntervalMinutes ?? ome?.timeIncrementMin,
                                  contiguousImages: contiguous)
    }

    /// Checks that page 0 can start an ImageJ contiguous stack: uncompressed, strips stored back
    /// to back, and the file long enough for `images` images.
    static func contiguousImages(_ handle: TIFFHandle, layout: TIFFPageLayout, images: Int) throws -> ContiguousImages {
        let tiff = handle.tiff
        guard layout.compression == Int(COMPRESSION_NONE), !layout.tiled, layout.bitsPerSample >= 8 else {
            throw InputError(file: handle.path, problem: "ImageJ stack of \(images) images has only one page directory, which needs uncompressed strips (found \(layout.compressionName)\(layout.tiled ? ", tiles" : ""))")
        }
        let strips = Int(TIFFNumberOfStrips(tiff))
        let first = TIFFGetStrileOffset(tiff, 0)
        var end = first
        for strip in 0..<strips {
            guard TIFFGetStrileOffset(tiff, UInt32(strip)) == end else {
                throw InputError(file: handle.path, problem: "ImageJ stack of \(images) images has only one page directory but its strips are not stored back to back")
            }
            end += TIFFGetStrileByteCount(tiff, UInt32(strip))
        }
        let imageBytes = Int(end - first)
        let expected = layout.width * layout.height * layout.samplesPerPixel * layout.bitsPerSample / 8
        guard imageBytes == expected else {
            throw InputError(file: handle.path, frame: 0, problem: "page holds \(imageBytes) bytes, expected \(expected)")
        }
        var info = stat()
        let fileSize = fstat(TIFFFileno(tiff), &info) == 0 ? UInt64(info.st_size) : 0
        let available = fileSize > first ? Int((fileSize - first) / UInt64(imageBytes)) : 0
        guard available >= images else {
            throw InputError(file: handle.path, frame: available,
                             problem: "ImageJ stack declares \(images) images but the file holds only \(available); the file may be truncated")
        }
        return ContiguousImages(firstOffset: first, imageBytes: imageBytes, count: images)
    }

    /// Pixel size in µm from X resolution and its unit; inch-based resolutions are ignored
    /// because 72/96/300 dpi defaults of image programs say nothing about the microscope.
    static func pixelSize(handle: TIFFHandle, imageJ: ImageJDescription?) -> Double? {
        guard let resolution = handle.float(TIFFTAG_XRESOLUTION), resolution > 0, resolution.isFinite else { return nil }
        let pixelsPerUnit = Double(resolution)
        if let micronsPerUnit = imageJ?.micronsPerUnit { return micronsPerUnit / pixelsPerUnit }
        let unit = handle.u16(TIFFTAG_RESOLUTIONUNIT) ?? UInt16(RESUNIT_INCH)
        if unit == UInt16(RESUNIT_CENTIMETER) { return 1e4 / pixelsPerUnit }
        return nil
    }

    static func readLayout(_ handle: TIFFHandle, page: Int) throws -> TIFFPageLayout {
        let tiff = handle.tiff
        guard let width = handle.u32(TIFFTAG_IMAGEWIDTH), let height = handle.u32(TIFFTAG_IMAGELENGTH),
              width > 0, height > 0 else {
            throw InputError(file: handle.path, frame: page, problem: "page has no image size")
        }
        let bits = Int(handle.u16Defaulted(TIFFTAG_BITSPERSAMPLE))
        let samples = Int(handle.u16Defaulted(TIFFTAG_SAMPLESPERPIXEL))
        let formatCode = Int(handle.u16Defaulted(TIFFTAG_SAMPLEFORMAT))
        guard let format = TIFFSampleFormat(rawValue: formatCode) else {
            let name = formatCode == 5 || formatCode == 6 ? "complex numbers" : "SampleFormat \(formatCode)"
            throw InputError(file: handle.path, frame: page, problem: "unsupported sample format: \(name)")
        }
        let photometric = handle.u16(TIFFTAG_PHOTOMETRIC).map(Int.init)
            ?? (samples >= 3 ? Int(PHOTOMETRIC_RGB) : Int(PHOTOMETRIC_MINISBLACK))
        let tiled = TIFFIsTiled(tiff) != 0
        // A corrupt header can claim any size; refuse pages no microscope writes (> 4 GiB decoded).
        let pageBytes = Int(width) * Int(height) * max(1, samples) * max(1, bits) / 8
        if pageBytes > 1 << 32 {
            throw InputError(file: handle.path, frame: page, problem: "page claims \(width)x\(height) pixels (\(pageBytes >> 20) MiB), larger than any supported frame; the file may be corrupt")
        }
        return TIFFPageLayout(
            width: Int(width), height: Int(height), samplesPerPixel: samples, bitsPerSample: bits,
            sampleFormat: format, photometric: photometric,
            planarSeparate: handle.u16Defaulted(TIFFTAG_PLANARCONFIG) == UInt16(PLANARCONFIG_SEPARATE),
            compression: Int(handle.u16Defaulted(TIFFTAG_COMPRESSION)),
            predictor: Int(max(1, handle.u16Defaulted(TIFFTAG_PREDICTOR))),
            tiled: tiled,
            tileWidth: tiled ? Int(handle.u32(TIFFTAG_TILEWIDTH) ?? 0) : 0,
            tileHeight: tiled ? Int(handle.u32(TIFFTAG_TILELENGTH) ?? 0) : 0,
            rowsPerStrip: tiled ? 0 : Int(min(UInt32(height), handle.u32Defaulted(TIFFTAG_ROWSPERSTRIP))))
    }

    /// Makes `page` the current directory and returns its layout.
    func select(page: Int) throws -> TIFFPageLayout {
        precondition(page >= 0 && page < pageCount, "page out of range")
        // Images of a contiguous stack all share directory 0.
        let offset = summary.contiguousImages == nil ? pageOffsets[page] : pageOffsets[0]
        if currentOffset != offset {
            handle.resetMessages()
            currentOffset = nil
            guard TIFFSetSubDirectory(handle.tiff, offset) == 1 else {
                throw InputError(file: path, frame: page, problem: "cannot read page directory (\(handle.firstError ?? "libtiff failed"))")
            }
            currentOffset = offset
            predictorTakenOver = nil
        }
        var layout = try TIFFFile.readLayout(handle, page: page)
        if predictorTakenOver == offset { layout.predictor = 2 }   // the file's value
        return layout
    }

    /// Tells libtiff to leave the current directory's horizontal differencing (predictor 2) in
    /// the decoded strips, for the caller to undo. libtiff undoes it one sample at a time through
    /// memory (about 2 ns per 16-bit sample, a fifth of decoding a Deflate frame); a running sum
    /// in a register takes a fraction of that. Must be called before the directory's first
    /// strip is decoded (libtiff sets its decoder up then); returns false when libtiff refuses.
    func takeOverPredictor() -> Bool {
        guard let offset = currentOffset else { return false }
        if predictorTakenOver == offset { return true }
        guard ct_set_u16(handle.tiff, UInt32(TIFFTAG_PREDICTOR), 1) == 1 else { return false }
        predictorTakenOver = offset
        return true
    }
}

extension TIFFHandle {
    func u32Defaulted(_ tag: Int32) -> UInt32 {
        var value: UInt32 = 0
        _ = ct_get_u32_defaulted(tiff, UInt32(tag), &value)
        return value
    }
}
