import ArgumentParser
import CellTrackCore
import Foundation
import ImageIO

/// `celltrack info INPUT...`: what each input holds (frames, size, sample type, storage,
/// metadata), as text or JSON.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe TIFF inputs: frames, size, sample type, compression, metadata.",
        discussion: """
        INPUT is a multi-page TIFF, a folder of per-frame .tif/.tiff files (natural order), or a \
        quoted glob pattern. Each INPUT is described separately. Exit code 1 when an input cannot be read.
        """)

    @Argument(help: "TIFF files, folders of per-frame TIFFs, or glob patterns.")
    var inputs: [String]

    @Flag(help: "Print one JSON array (one object per input).")
    var json = false

    @Option(help: "Channel (0-based) of multi-channel inputs; an error when it does not exist.")
    var channel: Int?

    /// Benchmark aid (hidden): decode every frame and report the read throughput.
    @Flag(help: .hidden)
    var readAll = false

    func validate() throws {
        if let channel, channel < 0 { throw ValidationError("--channel must be 0 or more") }
    }

    func run() throws {
        try runReportingErrors {
            var descriptions: [InputDescription] = []
            var firstFailure: InputError?
            for input in inputs {
                do {
                    let movie = try MovieReader(inputs: [input], channel: channel)
                    var description = InputDescription(input: input, movie: movie)
                    if readAll { description.readThroughput = try Info.readEveryFrame(movie) }
                    descriptions.append(description)
                    if !json { print(description.text) }
                } catch let error as InputError {
                    // Describe the other inputs, then fail with the first problem.
                    printError(error.description)
                    if firstFailure == nil { firstFailure = error }
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try encoder.encode(descriptions)
                print(String(decoding: data, as: UTF8.self))
            }
            if firstFailure != nil { throw ExitCode(1) }
        }
    }

    /// Decodes all frames (grey Float, as the pipeline reads them) and times it.
    static func readEveryFrame(_ movie: MovieReader) throws -> ReadThroughput {
        let start = DispatchTime.now().uptimeNanoseconds
        var checksum = 0.0
        for index in 0..<movie.frameCount {
            let frame = try movie.readFrame(index)
            // Touch the result so the read cannot be optimised away.
            checksum += Double(frame.image.pixels[frame.image.count / 2])
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let layout = movie.layout
        let bytesPerFrame = Double(movie.width * movie.height * max(1, layout.bitsPerSample * layout.samplesPerPixel / 8))
        let megabytes = bytesPerFrame * Double(movie.frameCount) / 1e6
        return ReadThroughput(frames: movie.frameCount, decodedMB: megabytes, seconds: seconds,
                              mbPerSecond: megabytes / max(seconds, 1e-9), checksum: checksum)
    }
}

struct ReadThroughput: Encodable {
    var frames: Int
    var decodedMB: Double
    var seconds: Double
    var mbPerSecond: Double
    var checksum: Double
}

/// One input as `info` reports it.
struct InputDescription: Encodable {
    var input: String
    var files: Int
    var firstFile: String
    var frames: Int
    var width: Int
    var height: Int
    var samplesPerPixel: Int
    var bitsPerSample: Int
    var sampleFormat: String
    var photometric: String
    var planarConfiguration: String
    var compression: String
    var predictor: Int
    var tiling: String
    var byteOrder: String
    var bigTIFF: Bool
    var channels: Int
    var pagesPerFile: Int
    var pixelSizeUm: Double?
    var frameIntervalMin: Double?
    var imageJ: Bool
    var ome: Bool
    var readThroughput: ReadThroughput?

    init(input: String, movie: MovieReader) {
        let first = movie.files[0]
        let layout = first.layout
        self.input = input
        files = movie.files.count
        firstFile = first.path
        frames = movie.frameCount
        width = movie.width
        height = movie.height
        samplesPerPixel = layout.samplesPerPixel
        bitsPerSample = layout.bitsPerSample
        sampleFormat = layout.sampleTypeName
        photometric = layout.photometricName
        planarConfiguration = layout.samplesPerPixel == 1 ? "single" : (layout.planarSeparate ? "planar" : "chunky")
        compression = layout.compressionName
        predictor = layout.predictor
        tiling = layout.tiled ? "tiles \(layout.tileWidth)x\(layout.tileHeight)" : "strips of \(layout.rowsPerStrip) rows"
        byteOrder = first.bigEndian ? "big-endian" : "little-endian"
        bigTIFF = first.bigTIFF
        channels = movie.channelCount
        pagesPerFile = first.pageCount
        pixelSizeUm = movie.pixelSizeUm
        frameIntervalMin = movie.frameIntervalMin
        imageJ = first.imageJ != nil
        ome = first.ome != nil
    }

    private enum CodingKeys: String, CodingKey {
        case input, files, firstFile, frames, width, height, samplesPerPixel, bitsPerSample, sampleFormat,
             photometric, planarConfiguration, compression, predictor, tiling, byteOrder, bigTIFF, channels,
             pagesPerFile, pixelSizeUm, frameIntervalMin, imageJ, ome, readThroughput
    }

    /// Unknown values are written as `null` so every object has the same keys.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        try c.encode(files, forKey: .files)
        try c.encode(firstFile, forKey: .firstFile)
        try c.encode(frames, forKey: .frames)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(samplesPerPixel, forKey: .samplesPerPixel)
        try c.encode(bitsPerSample, forKey: .bitsPerSample)
        try c.encode(sampleFormat, forKey: .sampleFormat)
        try c.encode(photometric, forKey: .photometric)
        try c.encode(planarConfiguration, forKey: .planarConfiguration)
        try c.encode(compression, forKey: .compression)
        try c.encode(predictor, forKey: .predictor)
        try c.encode(tiling, forKey: .tiling)
        try c.encode(byteOrder, forKey: .byteOrder)
        try c.encode(bigTIFF, forKey: .bigTIFF)
        try c.encode(channels, forKey: .channels)
        try c.encode(pagesPerFile, forKey: .pagesPerFile)
        try c.encode(pixelSizeUm, forKey: .pixelSizeUm)
        try c.encode(frameIntervalMin, forKey: .frameIntervalMin)
        try c.encode(imageJ, forKey: .imageJ)
        try c.encode(ome, forKey: .ome)
        if let readThroughput { try c.encode(readThroughput, forKey: .readThroughput) }
    }

    var text: String {
        func number(_ value: Double?, _ unit: String) -> String {
            guard let value else { return "unknown" }
            return "\(String(format: "%.6g", value)) \(unit)"
        }
        var lines = [
            "\(input)",
            "  files:          \(files)\(files > 1 ? " (first: \(firstFile))" : "")",
            "  frames:         \(frames)",
            "  size:           \(width) x \(height)",
            "  samples/pixel:  \(samplesPerPixel) (\(photometric)\(samplesPerPixel > 1 ? ", \(planarConfiguration)" : ""))",
            "  sample type:    \(sampleFormat) (\(bitsPerSample) bits)",
            "  compression:    \(compression)\(predictor > 1 ? " + predictor \(predictor)" : "")",
            "  layout:         \(tiling)",
            "  byte order:     \(byteOrder)\(bigTIFF ? ", BigTIFF" : "")",
            "  channels:       \(channels)\(imageJ ? " (ImageJ)" : ome ? " (OME)" : "")",
            "  pixel size:     \(number(pixelSizeUm, "µm"))",
            "  frame interval: \(number(frameIntervalMin, "min"))",
        ]
        if let readThroughput {
            lines.append("  read all:       \(readThroughput.frames) frames, \(String(format: "%.1f", readThroughput.decodedMB)) MB in \(String(format: "%.3f", readThroughput.seconds)) s = \(String(format: "%.0f", readThroughput.mbPerSecond)) MB/s")
        }
        return lines.joined(separator: "\n")
    }
}
