import ArgumentParser
import CellTrackCore
import Foundation
import ImageIO
import Pipeline
import Segmentation

/// `celltrack segment INPUT --out DIR`: per-frame label masks `mask###.tif` (CTC naming).
struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment every frame into a label mask (mask000.tif, mask001.tif, ... in DIR).",
        discussion: """
        Methods: auto (default) runs mothermachine on a movie whose first, middle and last frames \
        show a chip's row of chambers, else colony for dark cells (phase contrast, bright field) and \
        the recipe for bright cells (fluorescence). colony: intensity-based segmentation of touching rods \
        (Hessian ridges between cells, core markers, watershed on intensity; sizes from --cell-width \
        and the pixel size; see docs/colony-method.md). The recipe: Gaussian smoothing, flat-field correction, threshold (Otsu or a value) with a \
        polarity, binary opening, exact distance transform, markers (h-maxima by default, or \
        peak_local_max), watershed on the negated distance, size filter. Labels are 1..n in raster \
        order of each cell's first pixel. Frames are segmented in parallel on all cores; memory \
        holds only the frames in flight. Defaults given in µm are converted with the pixel size \
        (--pixel-size, else the file's, else the scale at which the first, middle and last \
        frames are best explained as rods of the expected width, else 0.1 µm). A --config JSON file (the `run` configuration, or \
        just its "segmentation" object; keys may be left out) \
        gives defaults that the options override.
        """)

    @Argument(help: "A multi-page TIFF, a folder of per-frame TIFFs, or a quoted glob.")
    var inputs: [String]

    @Option(help: "Output folder (created if needed).")
    var out: String

    @Option(help: "Segmentation method: auto (default: mothermachine when the first, middle and last frames show a row of at least six evenly spaced chambers, else colony for dark cells, recipe for bright), colony, recipe, or mothermachine (dark rods in the chambers of a mother machine, chambers along y or x; colony when none are found).")
    var method: String?

    @Option(help: "colony: expected cell width in µm (default 1.0, E. coli); with the pixel size it sets every size.")
    var cellWidth: Double?

    @Option(help: "Which cells: dark, bright or auto (the minority side of the threshold).")
    var polarity: String?

    @Option(help: "'otsu' or a fixed value in image units (after preprocessing).")
    var threshold: String?

    @Option(help: "Gaussian smoothing sigma in px (0 = off; default 1).")
    var smoothSigma: Double?

    @Option(help: "Flat-field background scale in µm (0 = off; default 12).")
    var flatfield: Double?

    @Option(help: "Flat-field frame (TIFF, first frame used): divide by (flat - dark).")
    var flat: String?

    @Option(help: "Dark frame (TIFF) subtracted before the flat-field division.")
    var dark: String?

    @Option(help: "Radius (px) of the binary opening that removes speckles (0 = off; default 2).")
    var openRadius: Int?

    @Option(help: "Markers: hmax (h-maxima of the distance map; default) or peak (peak_local_max).")
    var markers: String?

    @Option(name: .customLong("h"), help: "h for h-maxima markers, px (default 0.1 µm).")
    var h: Double?

    @Option(help: "peak_local_max min_distance, px (default 0.8 µm).")
    var minDistance: Int?

    @Option(help: "peak_local_max footprint disk radius, px (0 = square; default min-distance).")
    var footprint: Int?

    @Option(help: "Drop objects smaller than this, px (default 0.4 µm²).")
    var minArea: Int?

    @Option(help: "Grow cells by this many µm after segmentation (default 0).")
    var expand: Double?

    @Option(help: "µm per pixel (overrides the file's metadata).")
    var pixelSize: Double?

    @Option(help: "Channel to read (0-based) for multi-channel inputs.")
    var channel: Int?

    @Option(help: "JSON file with SegmentationParameters (options given here override it).")
    var config: String?

    @Option(help: "Frames segmented at once (default: number of cores).")
    var threads: Int?

    func validate() throws {
        if let method, SegmentationParameters.Method(rawValue: method) == nil {
            throw ValidationError("--method must be one of \(SegmentationParameters.Method.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(method)')")
        }
        if let polarity, Polarity(rawValue: polarity) == nil { throw ValidationError("--polarity must be dark, bright or auto (got '\(polarity)')") }
        if let threshold, SegmentationParameters.ThresholdChoice(parsing: threshold) == nil {
            throw ValidationError("--threshold must be 'otsu' or a number (got '\(threshold)')")
        }
        if let markers, SegmentationParameters.MarkerMethod(rawValue: markers) == nil {
            throw ValidationError("--markers must be hmax or peak (got '\(markers)')")
        }
        if let pixelSize, !(pixelSize > 0 && pixelSize.isFinite) { throw ValidationError("--pixel-size must be a positive number of µm") }
        if let channel, channel < 0 { throw ValidationError("--channel must be 0 or more") }
        if let threads, threads < 1 { throw ValidationError("--threads must be 1 or more") }
        if dark != nil && flat == nil { throw ValidationError("--dark needs --flat") }
        do { try parameters(base: SegmentationParameters()).validate() } catch let error as ParameterError {
            throw ValidationError(error.description)
        }
    }

    /// Options applied over `base` (the config file or the defaults).
    func parameters(base: SegmentationParameters) -> SegmentationParameters {
        var p = base
        if let method { p.method = SegmentationParameters.Method(rawValue: method) ?? p.method }
        if let polarity { p.polarity = Polarity(rawValue: polarity) ?? p.polarity }
        if let threshold { p.threshold = SegmentationParameters.ThresholdChoice(parsing: threshold) ?? p.threshold }
        if let smoothSigma { p.smoothSigma = smoothSigma }
        if let flatfield { p.flatField = flatfield }
        if flat != nil { p.flatField = 0 }   // acquired frames replace the estimated background
        if let openRadius { p.openRadius = openRadius }
        if let markers { p.markers = SegmentationParameters.MarkerMethod(rawValue: markers) ?? p.markers }
        if let h { p.h = h }
        if let minDistance { p.minDistance = minDistance }
        if let footprint { p.footprint = footprint }
        if let minArea { p.minArea = minArea }
        if let expand { p.expand = expand }
        if let cellWidth { p.colony.cellWidthUm = cellWidth }
        return p
    }

    func run() throws {
        try runReportingErrors {
            var base = SegmentationParameters()
            if let config {
                guard let data = FileManager.default.contents(atPath: config) else {
                    throw InputError(file: config, problem: "cannot read the configuration file")
                }
                // the `run` configuration file, or just its "segmentation" object; any key may be
                // left out (defaults), unknown keys are an error
                let text = String(decoding: data, as: UTF8.self)
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                let wrapped = object.map { $0["segmentation"] == nil } == true ? "{\"segmentation\": \(text)}" : text
                do { base = try PipelineConfiguration.load(json: wrapped).segmentation } catch {
                    throw InputError(file: config, problem: "not a valid segmentation configuration: \(error)")
                }
            }
            var params = parameters(base: base)
            try params.validate()
            MemoryPolicy.reuseFrameBuffers()
            let movie = try MovieReader(inputs: inputs, channel: channel)
            let flatImage = try flat.map { try MovieReader(inputs: [$0]).readFrame(0).image }
            let darkImage = try dark.map { try MovieReader(inputs: [$0]).readFrame(0).image }
            // what the images decide: the mother-machine method for a chip under auto, the scale
            // when the pixel size is unknown or unusable (MovieSetup, as `run` does)
            let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
            let setup = try MovieSetup.resolve(movie, parameters: params, pixelSizeUm: pixelSize ?? movie.pixelSizeUm,
                                               fromFiles: pixelSize == nil, workers: workers, doing: "segmenting",
                                               prepare: { image in
                guard let flatImage else { return image }
                return .float(try Preprocess.flatField(image.asFloat, flat: flatImage, dark: darkImage))
            })
            for note in setup.notes { FileHandle.standardError.write(Data((note + "\n").utf8)) }
            params = setup.parameters
            let px = setup.segmentationPixelSize ?? pixelSize ?? movie.pixelSizeUm
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let digits = max(3, String(max(movie.frameCount - 1, 0)).count)
            try Segment.segmentAll(movie: movie, inputs: inputs, channel: channel, parameters: params,
                                   pixelSize: px, workers: workers, flat: flatImage, dark: darkImage) { index, labels in
                let name = "mask" + String(repeating: "0", count: max(0, digits - String(index).count)) + String(index) + ".tif"
                try TIFFWriter.writeLabels(labels, to: (out as NSString).appendingPathComponent(name))
            }
        }
    }

    /// Segments every frame on `workers` threads (each with its own reader) and hands the labels
    /// to `write` in frame order: the Pipeline's `OrderedParallel`, so memory is bounded by the
    /// frames in flight and the output does not depend on the thread count.
    static func segmentAll(movie: MovieReader, inputs: [String], channel: Int?, parameters: SegmentationParameters,
                           pixelSize: Double?, workers: Int, flat: Image<Float>?, dark: Image<Float>?,
                           write: (Int, LabelImage) throws -> Void) throws {
        let workers = max(1, workers)
        let readers = try [movie] + (1..<workers).map { _ in try MovieReader(inputs: inputs, channel: channel) }
        final class Readers: @unchecked Sendable {
            let all: [MovieReader]
            init(_ all: [MovieReader]) { self.all = all }
        }
        let shared = Readers(readers)
        try OrderedParallel.run(range: 0..<movie.frameCount, workers: workers, window: workers + 1, produce: { index, worker, sharing in
            // integer frames stay integer unless a flat-field correction makes them Float
            var (image, source) = try shared.all[worker].readGrey(index, keepingIntegers: Segmenter.readsIntegerFrames(parameters))
            do {
                if let flat { image = .float(try Preprocess.flatField(image.asFloat, flat: flat, dark: dark)) }
                return try Segmenter.segment(image, parameters: parameters, pixelSize: pixelSize, sharing: sharing).labels
            } catch let error as ParameterError {
                throw InputError(file: source.path, frame: source.page, problem: error.description)
            }
        }, consume: write)
    }
}
