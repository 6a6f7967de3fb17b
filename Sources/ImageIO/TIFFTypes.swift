import CLibTIFF
import CellTrackCore

/// A pixel type the TIFF writer can store: it names its bits per sample and TIFF SampleFormat.
///
/// Conforming types: `UInt8`, `UInt16`, `UInt32`, `Float`.
/// ```swift
/// UInt16.tiffBitsPerSample   // 16
/// Float.tiffSampleFormat     // .ieeeFloat
/// ```
public protocol TIFFPixel: Sendable {
    static var tiffBitsPerSample: Int { get }
    static var tiffSampleFormat: TIFFSampleFormat { get }
}

extension UInt8: TIFFPixel {
    public static var tiffBitsPerSample: Int { 8 }
    public static var tiffSampleFormat: TIFFSampleFormat { .unsignedInteger }
}
extension UInt16: TIFFPixel {
    public static var tiffBitsPerSample: Int { 16 }
    public static var tiffSampleFormat: TIFFSampleFormat { .unsignedInteger }
}
extension UInt32: TIFFPixel {
    public static var tiffBitsPerSample: Int { 32 }
    public static var tiffSampleFormat: TIFFSampleFormat { .unsignedInteger }
}
extension Float: TIFFPixel {
    public static var tiffBitsPerSample: Int { 32 }
    public static var tiffSampleFormat: TIFFSampleFormat { .ieeeFloat }
}

/// TIFF SampleFormat tag values (how the bits of one sample are interpreted).
public enum TIFFSampleFormat: Int, Sendable, Codable, CustomStringConvertible {
    case unsignedInteger = 1
    case signedInteger = 2
    case ieeeFloat = 3
    case undefined = 4

    public var description: String {
        switch self {
        case .unsignedInteger: return "uint"
        case .signedInteger: return "int"
        case .ieeeFloat: return "float"
        case .undefined: return "undefined"
        }
    }
}

/// Compression for written TIFFs. Deflate and ZSTD use a predictor (horizontal differencing
/// for integers, floating-point predictor for `Float`), which shrinks microscopy and label images.
public enum TIFFCompression: String, Sendable, Codable, CaseIterable {
    case none, lzw, deflate, zstd, packbits

    var libtiffCode: UInt16 {
        switch self {
        case .none: return UInt16(COMPRESSION_NONE)
        case .lzw: return UInt16(COMPRESSION_LZW)
        case .deflate: return UInt16(COMPRESSION_ADOBE_DEFLATE)
        case .zstd: return UInt16(COMPRESSION_ZSTD)
        case .packbits: return UInt16(COMPRESSION_PACKBITS)
        }
    }

    var usesPredictor: Bool { self == .lzw || self == .deflate || self == .zstd }

    /// Name of a TIFF Compression tag value, for `celltrack info`.
    static func name(ofCode code: Int) -> String {
        switch Int32(code) {
        case COMPRESSION_NONE: return "none"
        case COMPRESSION_LZW: return "LZW"
        case COMPRESSION_ADOBE_DEFLATE, COMPRESSION_DEFLATE: return "Deflate"
        case COMPRESSION_ZSTD: return "ZSTD"
        case COMPRESSION_PACKBITS: return "PackBits"
        case COMPRESSION_JPEG, COMPRESSION_OJPEG: return "JPEG"
        case COMPRESSION_LZMA: return "LZMA"
        case COMPRESSION_WEBP: return "WebP"
        case COMPRESSION_CCITTRLE, COMPRESSION_CCITTFAX3, COMPRESSION_CCITTFAX4: return "CCITT"
        default: return "code \(code)"
        }
    }
}

/// Physical metadata stored with (and read from) a TIFF.
///
/// ```swift
/// let meta = TIFFMetadata(pixelSizeUm: 0.065, frameIntervalMin: 5)
/// ```
public struct TIFFMetadata: Sendable, Equatable, Codable {
    /// Pixel size in µm (square pixels). Written as X/YResolution (pixels per µm) with
    /// ImageJ's `unit=micron`.
    public var pixelSizeUm: Double?
    /// Time between frames in minutes. Written as ImageJ `finterval` (seconds).
    public var frameIntervalMin: Double?
    /// Number of channels interleaved in a stack (ImageJ `channels=`), default 1.
    public var channels: Int
    /// Free text added to the ImageJ description as `celltrack=...` (kept on one line).
    public var note: String?

    public init(pixelSizeUm: Double? = nil, frameIntervalMin: Double? = nil, channels: Int = 1, note: String? = nil) {
        self.pixelSizeUm = pixelSizeUm
        self.frameIntervalMin = frameIntervalMin
        self.channels = channels
        self.note = note
    }
}

/// An RGB image stored as three planes of 8-bit samples, written as chunky (interleaved)
/// RGB by `TIFFStackWriter<UInt8>.appendRGB` (as a Raspberry-Pi camera would produce).
///
/// ```swift
/// let rgb = try RGBImage(red: r, green: g, blue: b)   // three Image<UInt8> of one size
/// ```
public struct RGBImage: Sendable, Equatable {
    public var red: Image<UInt8>
    public var green: Image<UInt8>
    public var blue: Image<UInt8>
    public var width: Int { red.width }
    public var height: Int { red.height }

    public init(red: Image<UInt8>, green: Image<UInt8>, blue: Image<UInt8>) throws {
        guard red.width == green.width, red.width == blue.width,
              red.height == green.height, red.height == blue.height else {
            throw ParameterError.invalid(name: "rgb planes",
                                         value: "\(red.width)x\(red.height), \(green.width)x\(green.height), \(blue.width)x\(blue.height)",
                                         reason: "red, green and blue must have the same size")
        }
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// Failure while writing a file (disk full, unwritable folder, ...). Not an `InputError`:
/// the input was fine, the output location was not.
public struct OutputError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    public var problem: String
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }
    public var description: String { "\(file): \(problem)" }
}
