import ArgumentParser
import CellTrackCore
import Foundation
import ImageIO
import Pipeline
import Segmentation

/// Options shared by `run` and `track`: where results go, physical scale, configuration.
struct PipelineOptions: ParsableArguments {
    @Option(help: "The SQLite database to write (created if missing; an unfinished identical run resumes). Required except with --print-config.")
    var db: String?

    @Option(help: "µm per pixel (overrides the file's metadata).")
    var pixelSize: Double?

    @Option(help: "Minutes between frames (overrides the file's metadata; required when the file has none).")
    var interval: Double?

    @Option(help: "JSON configuration (see --print-config); options given here override it.")
    var config: String?

    @Option(help: "Frames processed at once (default: number of cores). Results do not depend on it.")
    var workers: Int?

    @Flag(help: "No progress output (the summary is still printed).")
    var quiet = false

    @Option(help: .hidden)
    var stopAfterFrames: Int?

    func validate() throws {
        if let db, db.isEmpty { throw ValidationError("--db needs a file name") }
        if let pixelSize, !(pixelSize > 0 && pixelSize.isFinite) { throw ValidationError("--pixel-size must be a positive number of µm") }
        if let interval, !(interval > 0 && interval.isFinite) { throw ValidationError("--interval must be a positive number of minutes") }
        if let workers, workers < 1 { throw ValidationError("--workers must be 1 or more") }
    }

    /// The configuration file (or the defaults) with these options laid over it.
    func configuration() throws -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw InputError(file: config, problem: "cannot read the configuration file")
            }
            do {
                configuration = try PipelineConfiguration.load(json: String(decoding: data, as: UTF8.self))
            } catch let error as ConfigurationError {
                throw InputError(file: config, problem: error.description)
            } catch let error as ParameterError {
                throw InputError(file: config, problem: error.description)
            }
        }
        if let pixelSize { configuration.pixelSizeUm = pixelSize }
        if let interval { configuration.frameIntervalMin = interval }
        return configuration
    }

    func request(movies: [MovieInput], configuration: PipelineConfiguration, source: CellSource,
                 command: String) -> RunRequest {
        let canonical = ([command] + movies.map { movie in
            movie.inputs.map(absolutePath).joined(separator: " ")
                + movie.extraChannelInputs.map { " +channel " + $0.map(absolutePath).joined(separator: " ") }.joined()
        }).joined(separator: " ")
        return RunRequest(movies: movies, configuration: configuration, source: source, databasePath: db ?? "",
                          commandLine: canonical,
                          workers: workers ?? ProcessInfo.processInfo.activeProcessorCount,
                          progress: quiet ? .quiet : .automatic, stopAfterFrames: stopAfterFrames)
    }
}

func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return (path as NSString).standardizingPath }
    return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path) as NSString).standardizingPath
}

/// `celltrack run INPUT... --db FILE`: the whole pipeline.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment, link and measure every frame; lineages and growth rates into SQLite.",
        discussion: """
        Each INPUT is one movie (a position): a multi-page TIFF, a folder of per-frame TIFFs, or a \
        quoted glob. Several single-frame files (an unquoted glob) form one movie together. \
        Frames are segmented in parallel and linked in order; each frame is committed on its own, \
        so an interrupted run continues where it stopped when the same command is run again. \
        Other channels of a hyperstack are measured per cell; channels kept in separate files are \
        added with --measure-channel FROM=TO (e.g. Channel01=Channel02 replaces the text in each \
        input path). Every parameter is in the JSON printed by --print-config.

        Example:
          celltrack run movie.tif --db results.sqlite --pixel-size 0.065 --interval 5
          celltrack export csv --db results.sqlite --table movie_growth --out -
        """)

    @Argument(help: "Movies: multi-page TIFFs, folders of per-frame TIFFs, or quoted globs.")
    var inputs: [String] = []

    @OptionGroup var options: PipelineOptions

    @Flag(help: "Print the full configuration (defaults, the --config file and options applied) as JSON, and exit.")
    var printConfig = false

    @Option(help: "Channel (0-based) to segment; every other channel is measured per cell.")
    var segmentChannel: Int?

    @Option(help: "Segmentation method: auto (default; mothermachine when the first, middle and last frames show a row of at least six evenly spaced chambers, else colony for dark cells, recipe for bright), colony, recipe, or mothermachine (dark rods in mother-machine chambers along y or x).")
    var method: String?

    @Option(help: "Which cells: dark, bright or auto.")
    var polarity: String?

    @Option(help: "A channel in separate files: FROM=TO replaces FROM with TO in every input path (repeatable).")
    var measureChannel: [String] = []

    mutating func validate() throws {
        if !printConfig && inputs.isEmpty { throw ValidationError("give at least one INPUT movie") }
        if !printConfig && options.db == nil { throw ValidationError("--db FILE is required (the SQLite database to write)") }
        if let segmentChannel, segmentChannel < 0 { throw ValidationError("--segment-channel must be 0 or more") }
        if let method, SegmentationParameters.Method(rawValue: method) == nil {
            throw ValidationError("--method must be one of \(SegmentationParameters.Method.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let polarity, Polarity(rawValue: polarity) == nil { throw ValidationError("--polarity must be dark, bright or auto") }
        for spec in measureChannel where spec.split(separator: "=", omittingEmptySubsequences: false).count != 2
            || spec.hasPrefix("=") {
            throw ValidationError("--measure-channel takes FROM=TO, e.g. Channel01=Channel02 (got '\(spec)')")
        }
    }

    func run() throws {
        try runReportingErrors {
            var configuration = try options.configuration()
            if let segmentChannel { configuration.segmentChannel = segmentChannel }
            if let method { configuration.segmentation.method = SegmentationParameters.Method(rawValue: method)! }
            if let polarity { configuration.segmentation.polarity = Polarity(rawValue: polarity)! }
            try configuration.validate()
            if printConfig {
                print(configuration.jsonText())
                return
            }
            let movies = try MovieInputs.group(inputs, measureChannel: measureChannel)
            let request = options.request(movies: movies, configuration: configuration, source: .segmentation,
                                          command: "run")
            let summary = try RunEngine.run(request)
            print(RunSummaryText.describe(summary))
        }
    }
}

/// Turns command-line inputs into movies.
enum MovieInputs {
    static func group(_ inputs: [String], measureChannel: [String]) throws -> [MovieInput] {
        let substitutions = measureChannel.map { spec -> (String, String) in
            let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]))
        }
        func movie(name: String, inputs: [String]) throws -> MovieInput {
            let extra = try substitutions.map { from, to -> [String] in
                let replaced = inputs.map { $0.replacingOccurrences(of: from, with: to) }
                guard replaced != inputs else {
                    throw InputError(file: inputs.first, problem: "--measure-channel \(from)=\(to): '\(from)' does not occur in the input path")
                }
                return replaced
            }
            return MovieInput(name: name, inputs: inputs, extraChannelInputs: extra)
        }
        // Several single-frame files (a shell-expanded glob) are the frames of one movie.
        var isDirectory: ObjCBool = false
        let allFiles = inputs.count > 1 && inputs.allSatisfy {
            FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        if allFiles, try inputs.allSatisfy({ try MovieReader(inputs: [$0]).frameCount == 1 }) {
            let folder = ((absolutePath(inputs[0]) as NSString).deletingLastPathComponent as NSString).lastPathComponent
            return [try movie(name: folder.isEmpty ? "movie" : folder, inputs: inputs)]
        }
        var used: [String: Int] = [:]
        return try inputs.map { input in
            var name = ((input as NSString).lastPathComponent as NSString).deletingPathExtension
            if let glob = name.firstIndex(where: { "*?[".contains($0) }) {
                // A glob: its literal prefix names the movie ("Position01Channel01Frames*.tif").
                name = String(name[..<glob]).trimmingCharacters(in: CharacterSet(charactersIn: "_-. "))
            }
            if name.isEmpty { name = (absolutePath((input as NSString).deletingLastPathComponent) as NSString).lastPathComponent }
            used[name, default: 0] += 1
            if used[name]! > 1 { name += "-\(used[name]!)" }
            return try movie(name: name, inputs: [input])
        }
    }
}

/// The closing summary of `run` and `track`.
enum RunSummaryText {
    static func describe(_ s: RunSummary) -> String {
        var lines: [String] = []
        if !s.finished {
            lines.append("stopped after \(s.framesProcessedNow) frames (run \(s.runID) unfinished; the same command resumes it)")
            lines.append("database: \(s.databasePath)")
            return lines.joined(separator: "\n")
        }
        let resumed = s.resumed ? ", resumed (\(s.frames - s.framesProcessedNow) frames were already committed)" : ""
        lines.append("run \(s.runID) finished\(resumed)")
        lines.append("  movies \(s.movies), frames \(s.frames), cells \(s.cells), tracks \(s.tracks), "
                     + "divisions \(s.divisions), complete cell cycles \(s.completeCycles)")
        let rates = s.growthRatesPerHour.sorted()
        if !rates.isEmpty {
            let median = Quantile.linear(rates, 0.5), q1 = Quantile.linear(rates, 0.25), q3 = Quantile.linear(rates, 0.75)
            let doubling = median > 0 ? String(format: ", doubling time %.1f min", 60 * log(2) / median) : ""
            lines.append(String(format: "  growth rate (length, complete cycles) median %.3f /h (IQR %.3f–%.3f)%@",
                                median, q1, q3, doubling))
        } else {
            lines.append("  growth rate: no complete cell cycle (a cycle needs a birth and a division inside the movie)")
        }
        if !s.measuredCellWidthsPx.isEmpty {
            let widths = s.measuredCellWidthsPx.map { String(format: "%.1f", $0) }.joined(separator: ", ")
            lines.append("  cell width measured on the images (no usable pixel size), \(widths) px; µm columns from the files' "
                         + "pixel size, empty where they give none")
        }
        let mps = s.wallSeconds > 0 ? s.megapixelsProcessed / s.wallSeconds : 0
        lines.append(String(format: "  wall time %.2f s, %.1f MP/s", s.wallSeconds, mps))
        lines.append("database: \(s.databasePath)")
        lines.append("next: celltrack export csv --db \(s.databasePath) --table movie_growth --out -")
        return lines.joined(separator: "\n")
    }
}
