import CellTrackCore
import Foundation
import ImageIO

/// Counts describing a written movie.
public struct SynthSummary: Codable, Equatable, Sendable {
    public var frames: Int
    public var tracks: Int
    public var divisions: Int
    public var completeCycles: Int
    public var exits: Int
    public var lost: Int
}

/// What `params.json` holds: the parameters that reproduce the movie and what came out.
struct SynthManifest: Codable {
    var tool: String
    var version: String
    var parameters: SynthParameters
    var summary: SynthSummary
}

/// Writes a synthetic movie and its truth in the layout other tools rely on:
///
/// ```
/// DIR/stack.tif                         multi-page, ImageJ metadata (pixel size, interval)
/// DIR/01/t000.tif …                     one file per frame
/// DIR/01_GT/TRA/man_track000.tif …      uint16, label = track id
/// DIR/01_GT/TRA/man_track.txt           CTC "L B E P"
/// DIR/01_GT/SEG/man_seg000.tif …        the same labels (every cell annotated)
/// DIR/gt_tracks.csv                     per track: lineage, fate, true growth rate, lengths
/// DIR/gt_cells.csv                      per track, for shared/reference/evaluate.py
/// DIR/gt_objects.csv                    per cell per frame: true geometry
/// DIR/params.json                       parameters + summary
/// ```
///
/// Frames are streamed: memory is bounded by one frame, whatever the movie length.
///
/// ```swift
/// var p = SynthParameters(); p.frames = 10
/// let summary = try SynthWriter.write(p, to: "/tmp/movie")
/// ```
public enum SynthWriter {
    /// CTC frame-number width: 3 digits, 4 above 1000 frames.
    public static func digits(frames: Int) -> Int { frames <= 1000 ? 3 : 4 }

    /// Generates the movie described by `parameters` into `directory` (created if needed;
    /// files of the layout are overwritten). `progress` is called after each frame.
    @discardableResult
    public static func write(_ parameters: SynthParameters, to directory: String,
                             compression: TIFFCompression = .deflate,
                             progress: ((Int) -> Void)? = nil) throws -> SynthSummary {
        var movie = try SynthMovie(parameters: parameters)
        let p = parameters
        let fm = FileManager.default
        let root = URL(fileURLWithPath: directory)
        let framesDir = root.appendingPathComponent("01")
        let traDir = root.appendingPathComponent("01_GT/TRA")
        let segDir = root.appendingPathComponent("01_GT/SEG")
        do {
            for dir in [framesDir, traDir, segDir] { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
        } catch {
            throw OutputError(file: directory, problem: "cannot create the output folders (\(error.localizedDescription))")
        }
        let metadata = TIFFMetadata(pixelSizeUm: p.pixelSize, frameIntervalMin: p.interval)
        let pageBytes = Double(p.width * p.height) * (p.rgb ? 3 : 1) * (p.bitDepth == 8 ? 1 : 2)
        let bigTIFF = pageBytes * Double(p.frames) > 3.5e9
        let stackPath = root.appendingPathComponent("stack.tif").path
        let sink: FrameSink = p.bitDepth == 8
            ? .eight(try TIFFStackWriter<UInt8>(path: stackPath, compression: compression, metadata: metadata, bigTIFF: bigTIFF))
            : .sixteen(try TIFFStackWriter<UInt16>(path: stackPath, compression: compression, metadata: metadata, bigTIFF: bigTIFF))
        let objectsPath = root.appendingPathComponent("gt_objects.csv").path
        guard fm.createFile(atPath: objectsPath, contents: Data(TruthTables.objectsHeader.utf8)),
              let objects = FileHandle(forWritingAtPath: objectsPath) else {
            throw OutputError(file: objectsPath, problem: "cannot create file")
        }
        defer { try? objects.close() }
        try objects.seekToEnd()

        let width = digits(frames: p.frames)
        func name(_ prefix: String, _ index: Int) -> String {
            prefix + String(repeating: "0", count: max(0, width - String(index).count)) + String(index) + ".tif"
        }
        while let frame = movie.nextFrame() {
            let k = frame.index
            try sink.append(frame, rgb: p.rgb)
            try sink.writeSingle(frame, rgb: p.rgb, to: framesDir.appendingPathComponent(name("t", k)).path,
                                 compression: compression, metadata: metadata)
            try TIFFWriter.writeLabels(frame.labels, to: traDir.appendingPathComponent(name("man_track", k)).path,
                                       compression: compression)
            try TIFFWriter.writeLabels(frame.labels, to: segDir.appendingPathComponent(name("man_seg", k)).path,
                                       compression: compression)
            try objects.write(contentsOf: Data(TruthTables.objectRows(frame.cells).utf8))
            progress?(k)
        }
        try sink.close()

        let tracks = movie.tracks
        let summary = SynthSummary(
            frames: p.frames, tracks: tracks.count,
            divisions: tracks.filter { $0.fate == .divided }.count,
            completeCycles: tracks.filter(\.isCompleteCycle).count,
            exits: tracks.filter { $0.fate == .exit }.count,
            lost: tracks.filter { $0.fate == .lost }.count)
        try writeText(TruthTables.manTrack(tracks), to: traDir.appendingPathComponent("man_track.txt"))
        try writeText(TruthTables.gtTracksCSV(tracks), to: root.appendingPathComponent("gt_tracks.csv"))
        try writeText(TruthTables.gtCellsCSV(tracks), to: root.appendingPathComponent("gt_cells.csv"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let manifest = SynthManifest(tool: "celltrack synth", version: CellTrackVersion.string,
                                     parameters: p, summary: summary)
        var json = try encoder.encode(manifest)
        json.append(0x0A)
        try write(json, to: root.appendingPathComponent("params.json"))
        return summary
    }

    static func writeText(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    static func write(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw OutputError(file: url.path, problem: "cannot write (\(error.localizedDescription))")
        }
    }
}

/// The stack writer for the output sample type.
private enum FrameSink {
    case eight(TIFFStackWriter<UInt8>)
    case sixteen(TIFFStackWriter<UInt16>)

    static func narrow(_ image: Image<UInt16>) -> Image<UInt8> {
        image.map { UInt8(truncatingIfNeeded: min($0, 255)) }
    }

    static func rgb(_ frame: SynthFrame) throws -> RGBImage {
        try RGBImage(red: narrow(frame.channels[0]), green: narrow(frame.channels[1]), blue: narrow(frame.channels[2]))
    }

    func append(_ frame: SynthFrame, rgb: Bool) throws {
        switch self {
        case .eight(let writer):
            if rgb { try writer.appendRGB(Self.rgb(frame)) } else { try writer.append(Self.narrow(frame.channels[0])) }
        case .sixteen(let writer):
            try writer.append(frame.channels[0])
        }
    }

    func writeSingle(_ frame: SynthFrame, rgb: Bool, to path: String, compression: TIFFCompression,
                     metadata: TIFFMetadata) throws {
        switch self {
        case .eight:
            if rgb {
                let single = try TIFFStackWriter<UInt8>(path: path, compression: compression, metadata: metadata)
                try single.appendRGB(Self.rgb(frame))
                try single.close()
            } else {
                try TIFFWriter.write(Self.narrow(frame.channels[0]), to: path, compression: compression, metadata: metadata)
            }
        case .sixteen:
            try TIFFWriter.write(frame.channels[0], to: path, compression: compression, metadata: metadata)
        }
    }

    func close() throws {
        switch self {
        case .eight(let writer): try writer.close()
        case .sixteen(let writer): try writer.close()
        }
    }
}
