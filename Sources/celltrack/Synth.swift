import ArgumentParser
import CellTrackCore
import Foundation
import ImageIO
import Synth

/// `celltrack synth --out DIR`: a synthetic movie with CTC ground truth and true growth rates.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic time-lapse movie with ground truth (CTC masks, lineage, true growth rates).",
        discussion: """
        Layout: DIR/stack.tif, DIR/01/t000.tif…, DIR/01_GT/TRA/man_track000.tif… + man_track.txt,
        DIR/01_GT/SEG/man_seg000.tif…, DIR/gt_tracks.csv, DIR/gt_cells.csv, DIR/gt_objects.csv,
        DIR/params.json. The same seed and options give byte-identical files;
        `--config DIR/params.json` regenerates a movie.
        """)

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "JSON parameters: a SynthParameters object or a params.json written by synth. Options given on the command line override it.")
    var config: String?

    @Option(help: "Number of frames (default 40).")
    var frames: Int?

    @Option(help: "Frame size as HEIGHTxWIDTH in pixels (default 256x256).")
    var size: String?

    @Option(help: "Cells at the first frame (default 3).")
    var cells: Int?

    @Option(help: "Random seed; the same seed and options give the same files (default 1).")
    var seed: UInt64?

    @Option(name: .customLong("pixel-size"), help: "Pixel size in µm (default 0.065).")
    var pixelSize: Double?

    @Option(help: "Frame interval in minutes (default 3).")
    var interval: Double?

    @Option(help: "dark (phase-contrast-like, default) or bright (fluorescence-like) cells.")
    var polarity: String?

    @Option(help: "Noise scale: 0 = noise-free, 1 = realistic (default).")
    var noise: Double?

    @Option(name: .customLong("bit-depth"), help: "8 or 16 (default 16; 8 with --rgb).")
    var bitDepth: Int?

    @Flag(help: "Write 8-bit RGB frames as a Raspberry Pi camera does.")
    var rgb = false

    @Option(help: "Stage drift in µm per frame (default 0 = none).")
    var drift: Double?

    @Option(name: .customLong("doubling-min"), help: "Shortest doubling time in minutes (default 20).")
    var doublingMin: Double?

    @Option(name: .customLong("doubling-max"), help: "Longest doubling time in minutes (default 60).")
    var doublingMax: Double?

    @Option(help: "Division rule: adder (default) or sizer.")
    var division: String?

    @Option(help: "Debris particles per 1000 µm² (default 8).")
    var debris: Double?

    @Option(help: "TIFF compression: none, lzw, deflate (default), zstd, packbits.")
    var compression: String = "deflate"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    /// Defaults, then the configuration file, then the options given.
    func parameters() throws -> SynthParameters {
        var p = SynthParameters()
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw InputError(file: config, problem: "cannot read the configuration file")
            }
            p = try SynthParameters.fromConfiguration(data, file: config)
        }
        if let size {
            let parts = size.lowercased().split(separator: "x")
            guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]) else {
                throw ParameterError.invalid(name: "size", value: size, reason: "expected HEIGHTxWIDTH, e.g. 512x512")
            }
            p.height = h
            p.width = w
        }
        if let frames { p.frames = frames }
        if let cells { p.initialCells = cells }
        if let seed { p.seed = seed }
        if let pixelSize { p.pixelSize = pixelSize }
        if let interval { p.interval = interval }
        if let polarity {
            guard let value = SynthParameters.Polarity(rawValue: polarity) else {
                throw ParameterError.invalid(name: "polarity", value: polarity, reason: "expected dark or bright")
            }
            p.polarity = value
        }
        if let division {
            guard let rule = SynthParameters.DivisionRule(rawValue: division) else {
                throw ParameterError.invalid(name: "division", value: division, reason: "expected adder or sizer")
            }
            p.divisionRule = rule
        }
        if let noise { p.noise = noise }
        if rgb {
            p.rgb = true
            if bitDepth == nil { p.bitDepth = 8 }
        }
        if let bitDepth { p.bitDepth = bitDepth }
        if let drift { p.drift = drift }
        if let doublingMin { p.doublingTimeMin = doublingMin }
        if let doublingMax { p.doublingTimeMax = doublingMax }
        if let debris { p.debrisDensity = debris }
        try p.validate()
        return p
    }

    func run() throws {
        try runReportingErrors {
            let p = try parameters()
            guard let codec = TIFFCompression(rawValue: compression) else {
                throw ParameterError.invalid(name: "compression", value: compression,
                                             reason: "expected none, lzw, deflate, zstd or packbits")
            }
            let start = Date()
            let summary = try SynthWriter.write(p, to: out, compression: codec)
            if !quiet {
                let seconds = Date().timeIntervalSince(start)
                print("synth: \(summary.frames) frames \(p.height)x\(p.width), \(summary.tracks) tracks, "
                      + "\(summary.divisions) divisions (\(summary.completeCycles) complete cycles), "
                      + "\(summary.exits) left the field, in \(String(format: "%.2f", seconds)) s → \(out)")
            }
        }
    }
}
