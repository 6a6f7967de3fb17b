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
        DIR/params.json. The same seed and options give byte-identical files.
        """)

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Number of frames.")
    var frames: Int = 40

    @Option(help: "Frame size as HEIGHTxWIDTH in pixels, e.g. 512x512.")
    var size: String = "256x256"

    @Option(help: "Cells at the first frame.")
    var cells: Int = 3

    @Option(help: "Random seed (same seed and options → same files).")
    var seed: UInt64 = 1

    @Option(name: .customLong("pixel-size"), help: "Pixel size in µm.")
    var pixelSize: Double = 0.065

    @Option(help: "Frame interval in minutes.")
    var interval: Double = 3

    @Option(help: "dark (phase-contrast-like) or bright (fluorescence-like) cells.")
    var polarity: String = "dark"

    @Option(help: "Noise scale: 0 = noise-free, 1 = realistic.")
    var noise: Double = 1

    @Option(name: .customLong("bit-depth"), help: "8 or 16 (default 16; 8 with --rgb).")
    var bitDepth: Int?

    @Flag(help: "Write 8-bit RGB frames as a Raspberry Pi camera does.")
    var rgb = false

    @Option(help: "Stage drift in µm per frame (0 = none).")
    var drift: Double = 0

    @Option(name: .customLong("doubling-min"), help: "Shortest doubling time in minutes.")
    var doublingMin: Double = 20

    @Option(name: .customLong("doubling-max"), help: "Longest doubling time in minutes.")
    var doublingMax: Double = 60

    @Option(help: "Division rule: adder or sizer.")
    var division: String = "adder"

    @Option(help: "Debris particles per 1000 µm².")
    var debris: Double = 8

    @Option(help: "TIFF compression: none, lzw, deflate, zstd, packbits.")
    var compression: String = "deflate"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func parameters() throws -> SynthParameters {
        var p = SynthParameters()
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]) else {
            throw ParameterError.invalid(name: "size", value: size, reason: "expected HEIGHTxWIDTH, e.g. 512x512")
        }
        p.height = h
        p.width = w
        p.frames = frames
        p.initialCells = cells
        p.seed = seed
        p.pixelSize = pixelSize
        p.interval = interval
        guard let pol = SynthParameters.Polarity(rawValue: polarity) else {
            throw ParameterError.invalid(name: "polarity", value: polarity, reason: "expected dark or bright")
        }
        p.polarity = pol
        guard let rule = SynthParameters.DivisionRule(rawValue: division) else {
            throw ParameterError.invalid(name: "division", value: division, reason: "expected adder or sizer")
        }
        p.divisionRule = rule
        p.noise = noise
        p.rgb = rgb
        p.bitDepth = bitDepth ?? (rgb ? 8 : 16)
        p.drift = drift
        p.doublingTimeMin = doublingMin
        p.doublingTimeMax = doublingMax
        p.debrisDensity = debris
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
