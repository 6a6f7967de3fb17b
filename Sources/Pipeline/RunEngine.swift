import CellTrackCore
import Foundation
import ImageIO
import Lineage
import Segmentation
import Store
import Tracking

/// One movie (a position): its frames, and optionally per-channel inputs measured per cell.
public struct MovieInput: Sendable, Equatable {
    /// Name in the database (unique within a run), e.g. the file or folder name.
    public var name: String
    /// A multi-page TIFF, a folder of per-frame TIFFs, or a glob (as `MovieReader` takes).
    public var inputs: [String]
    /// Further channels given as separate files (same frames), each measured per cell.
    public var extraChannelInputs: [[String]]

    public init(name: String, inputs: [String], extraChannelInputs: [[String]] = []) {
        self.name = name
        self.inputs = inputs
        self.extraChannelInputs = extraChannelInputs
    }
}

/// Where the cells of each frame come from.
public enum CellSource: Sendable, Equatable {
    /// Segment the images with `PipelineConfiguration.segmentation`.
    case segmentation
    /// Label masks made elsewhere (Omnipose, Cellpose, DeLTA, ground truth). Label values are
    /// arbitrary per frame.
    case givenMasks
}

/// What `celltrack run` (or `track`) is asked to do.
public struct RunRequest: Sendable {
    public var movies: [MovieInput]
    public var configuration: PipelineConfiguration
    public var source: CellSource
    public var databasePath: String
    /// The command in canonical form (absolute inputs, no options that leave results unchanged):
    /// with the parameters and inputs it decides whether an unfinished run is resumed.
    public var commandLine: String
    /// Frames segmented at once; results do not depend on it.
    public var workers: Int
    public var progress: ProgressReporter.Mode
    /// Test hook: stop (as if killed) after committing this many frames in this invocation.
    public var stopAfterFrames: Int?

    public init(movies: [MovieInput], configuration: PipelineConfiguration, source: CellSource = .segmentation,
                databasePath: String, commandLine: String,
                workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                progress: ProgressReporter.Mode = .automatic, stopAfterFrames: Int? = nil) {
        self.movies = movies
        self.configuration = configuration
        self.source = source
        self.databasePath = databasePath
        self.commandLine = commandLine
        self.workers = workers
        self.progress = progress
        self.stopAfterFrames = stopAfterFrames
    }
}

/// Totals of a run, for the closing summary.
public struct RunSummary: Sendable, Equatable {
    public var runID: Int64
    public var resumed: Bool
    public var movies = 0
    public var frames = 0
    /// Frames processed by this invocation (the rest were committed by an earlier one).
    public var framesProcessedNow = 0
    public var cells = 0
    public var tracks = 0
    public var divisions = 0
    public var completeCycles = 0
    /// Elongation rates (1/h, from ln length) of complete cell cycles.
    public var growthRatesPerHour: [Double] = []
    public var wallSeconds = 0.0
    public var megapixelsProcessed = 0.0
    public var databasePath = ""
    /// Database ids of the movies, in input order.
    public var movieIDs: [Int64] = []
    /// False when the run stopped early (`stopAfterFrames`).
    public var finished = true
    /// The cell width (px) measured on each movie without a usable pixel size (`ScaleEstimate`,
    /// `MovieScale.fileScaleIsUnusable`), in input order; movies with a usable pixel size, or
    /// too few rods to measure, have none.
    public var measuredCellWidthsPx: [Double] = []
}

/// A frame after the parallel stage: everything the ordered stage needs, nothing more. No label
/// image: the cells travel as runs (a few KB per frame instead of 4 bytes per pixel), so frames
/// waiting in the window cost almost nothing.
struct ProcessedFrame: Sendable {
    var width: Int
    var height: Int
    var pixelSize: Double?
    /// The cells' pixels, for linking.
    var runs: LabelRuns
    var regions: [Region]
    var record: FrameRecord
    var cells: [CellRecord]
}

/// The inputs' content hashes, computed on their own thread (`ContentHasher.hashFiles` per
/// movie, in order).
final class InputHashing: @unchecked Sendable {
    /// Stands for a hash not known yet (never a hash: those are 16 hex digits).
    static let pending = "pending"
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<[String], InputError>?
    private var waited = false   // read and written by the caller's thread only

    init(files: [[String]]) {
        let thread = Thread { [self] in
            var hashes: [String] = []
            for movieFiles in files {
                do { hashes.append(try ContentHasher.hashFiles(movieFiles)) } catch {
                    result = .failure(InputError(file: movieFiles.first, problem: "cannot read the input to hash it: \(error.localizedDescription)"))
                    done.signal()
                    return
                }
            }
            result = .success(hashes)
            done.signal()
        }
        thread.start()
    }

    /// The hashes, one per movie; waits for them the first time. One calling thread.
    func wait() throws -> [String] {
        if !waited { done.wait(); waited = true }
        return try result!.get()
    }
}

/// Runs the pipeline: reader → N segmentation workers → ordered linker → one database writer.
///
/// Memory is bounded by the frames in flight (`workers + 2`) plus one small record per cell
/// (the lineage graph); it does not grow with frame size × movie length. Each frame is one
/// transaction: a run killed at any point resumes after its last committed frame, replaying
/// the stored masks through the linker, so the result equals an uninterrupted run.
///
/// ```swift
/// let request = RunRequest(movies: [MovieInput(name: "pos1", inputs: ["pos1.tif"])],
///                          configuration: config, databasePath: "out.sqlite",
///                          commandLine: "run /data/pos1.tif")
/// let summary = try RunEngine.run(request)
/// ```
public enum RunEngine {
    public static func run(_ request: RunRequest) throws -> RunSummary {
        let started = Date()
        MemoryPolicy.reuseFrameBuffers()
        let config = request.configuration
        try config.validate()
        guard !request.movies.isEmpty else { throw InputError(problem: "no input movies") }
        let names = request.movies.map(\.name)
        guard Set(names).count == names.count else {
            throw InputError(problem: "two inputs have the same movie name; give each position its own file or folder name")
        }

        // Open every movie first: bad input fails before the database is touched.
        var opened: [(MovieInput, MovieReader, MovieRecord)] = []
        for movie in request.movies {
            let reader = try MovieReader(inputs: movie.inputs, channel: config.segmentChannel)
            let pixelSize = config.pixelSizeUm ?? reader.pixelSizeUm
            let interval = config.frameIntervalMin ?? reader.frameIntervalMin
            guard let interval, interval > 0 else {
                throw InputError(file: reader.sources.first?.path, problem:
                    "the frame interval is unknown (no ImageJ finterval in the file): pass --interval MINUTES, growth rates per hour need it")
            }
            var paths = Set(reader.sources.map(\.path))
            for extra in movie.extraChannelInputs {
                let channelReader = try MovieReader(inputs: extra)
                paths.formUnion(channelReader.sources.map(\.path))
                guard channelReader.frameCount == reader.frameCount,
                      channelReader.width == reader.width, channelReader.height == reader.height else {
                    throw InputError(file: channelReader.sources.first?.path, problem:
                        "channel input has \(channelReader.frameCount) frames of \(channelReader.width)x\(channelReader.height); the movie has \(reader.frameCount) of \(reader.width)x\(reader.height)")
                }
            }
            let files = paths.sorted()
            let record = MovieRecord(name: movie.name, sourcePaths: files, widthPx: reader.width, heightPx: reader.height,
                                     frameCount: reader.frameCount, pixelSizeUm: pixelSize, frameIntervalMin: interval,
                                     channelNames: channelNames(reader: reader, movie: movie, config: config),
                                     inputHash: InputHashing.pending)
            opened.append((movie, reader, record))
        }

        // The inputs' content hashes identify the run for resuming. When no unfinished run with
        // this command and these parameters exists, a new run starts whatever the hashes are:
        // they are computed on a thread while the first frames are segmented, and recorded
        // before the first frame is committed, so every committed frame is under the final
        // fingerprint (hashing a 200-MB stack took 50-90 ms before any frame could start; an
        // overnight stack on an SD card, minutes).
        let store = try Store(path: request.databasePath)
        let parametersJSON = config.jsonText()
        let hashing = InputHashing(files: opened.map(\.2.sourcePaths))
        func runRecord(_ hashes: [String]) -> RunRecord {
            let fingerprint = zip(opened, hashes).map { "\($0.0.2.name)=\($0.1)" }.joined(separator: ";")
            return RunRecord(commandLine: request.commandLine, parametersJSON: parametersJSON, inputFingerprint: fingerprint)
        }
        func adopt(_ hashes: [String]) { for k in opened.indices { opened[k].2.inputHash = hashes[k] } }
        let mayResume = try store.hasUnfinishedRun(like: runRecord(opened.map { _ in InputHashing.pending }))
        var hashesRecorded = false
        if mayResume {
            adopt(try hashing.wait())
            hashesRecorded = true
        }
        let progress = try store.beginOrResume(run: runRecord(opened.map(\.2.inputHash)))
        var summary = RunSummary(runID: progress.runID, resumed: progress.resumed)
        summary.databasePath = request.databasePath
        summary.movies = opened.count

        var budget = request.stopAfterFrames
        do {
            for k in opened.indices {
                let (movie, reader, record) = opened[k]
                let movieProgress = try store.addMovie(record, runID: progress.runID)
                summary.movieIDs.append(movieProgress.movieID)
                let recordHashes = {
                    guard !hashesRecorded else { return }
                    let hashes = try hashing.wait()
                    adopt(hashes)
                    try store.recordInputHashes(runID: progress.runID, run: runRecord(hashes),
                                                movieHashes: [(movieProgress.movieID, hashes[k])])
                    hashesRecorded = true
                }
                let outcome = try processMovie(movie: movie, reader: reader, record: record,
                                               movieID: movieProgress.movieID,
                                               resumeAfter: movieProgress.lastCommittedFrameIndex,
                                               request: request, store: store, budget: &budget,
                                               beforeFirstCommit: recordHashes)
                summary.frames += record.frameCount
                summary.framesProcessedNow += outcome.framesProcessed
                if let width = outcome.measuredWidthPx { summary.measuredCellWidthsPx.append(width) }
                summary.megapixelsProcessed += Double(outcome.framesProcessed * record.widthPx * record.heightPx) / 1e6
                guard outcome.finished, let lineage = outcome.lineage else {
                    summary.finished = false
                    break
                }
                summary.cells += outcome.cells
                summary.tracks += lineage.tracks.count
                summary.divisions += lineage.tracks.filter { $0.fate == .divided }.count
                let complete = lineage.tracks.filter(\.isCompleteCycle)
                summary.completeCycles += complete.count
                summary.growthRatesPerHour += complete.compactMap { $0.lengthFit?.ratePerHour }
            }
            if summary.finished { try store.finishRun(runID: progress.runID) }
        } catch {
            try? store.failRun(runID: progress.runID, message: "\(error)")
            throw error
        }
        summary.wallSeconds = Date().timeIntervalSince(started)
        return summary
    }

    struct MovieOutcome {
        var framesProcessed: Int
        var finished: Bool
        var cells: Int
        /// The cell width (px) measured on the movie (no pixel size), if any.
        var measuredWidthPx: Double? = nil
        /// nil when the movie stopped before its last frame.
        var lineage: LineageResult?
    }

    static func channelNames(reader: MovieReader, movie: MovieInput, config: PipelineConfiguration) -> [String] {
        var names = ["segmented"]
        for c in measuredChannels(reader: reader, config: config) { names.append(channelName(c, reader: reader)) }
        for k in movie.extraChannelInputs.indices { names.append("extra\(k + 1)") }
        return names
    }

    static func channelName(_ c: Int, reader: MovieReader) -> String {
        if reader.layout.samplesPerPixel >= 3 && reader.channelCount == reader.layout.samplesPerPixel {
            return ["red", "green", "blue", "alpha"][min(c, 3)]
        }
        return "c\(c)"
    }

    /// Channels of the file itself measured per cell: every channel but the segmented one.
    static func measuredChannels(reader: MovieReader, config: PipelineConfiguration) -> [Int] {
        guard reader.channelCount > 1 else { return [] }
        return (0..<reader.channelCount).filter { $0 != reader.defaultChannel }
    }

    static func processMovie(movie: MovieInput, reader: MovieReader, record: MovieRecord, movieID: Int64,
                             resumeAfter: Int?, request: RunRequest, store: Store,
                             budget: inout Int?, beforeFirstCommit: () throws -> Void = {}) throws -> MovieOutcome {
        // What the images decide (MovieSetup): the mother-machine method for a chip under auto;
        // without a usable pixel size, the segmentation's scale measured on the movie's own cells
        // (the linker's µm distances follow it; the µm columns keep the files' pixel size, or stay
        // empty). Deterministic, so a resumed run decides the same. The chip check decodes frame
        // 0 first; the worker that segments frame 0 takes that copy.
        var frame0: GreyImage? = nil
        let setup = request.source == .segmentation
            ? try MovieSetup.resolve(reader, parameters: request.configuration.segmentation, pixelSizeUm: record.pixelSizeUm,
                                     fromFiles: request.configuration.pixelSizeUm == nil, workers: max(1, request.workers),
                                     doing: "segmenting and linking",
                                     readFrame: { k in
                                         let image = try reader.readGrey(k).image
                                         if k == 0 { frame0 = image }
                                         return image
                                     })
            : MovieSetup(parameters: request.configuration.segmentation)
        var movieConfig = request.configuration
        movieConfig.segmentation = setup.parameters
        let config = movieConfig
        // only as the worker would read it (integers kept), and only if frame 0 is still to come
        let handOff = frame0.flatMap { f in
            Segmenter.readsIntegerFrames(config.segmentation) && (resumeAfter ?? -1) < 0 ? FrameHandOff(index: 0, image: f) : nil
        }
        frame0 = nil
        let segmentationPixelSize = setup.segmentationPixelSize
        let frameCount = reader.frameCount
        var tracker = try Tracker(parameters: config.linking)
        // frozen graph nodes leave memory as the movie streams (GraphSpill), so memory does not
        // grow with the movie's length
        let spill = try GraphSpill(directory: spillDirectory(request.databasePath))
        var cellCount = 0

        // Resume: feed the committed frames back to the linker from the stored masks.
        let start = (resumeAfter ?? -1) + 1
        for index in 0..<start {
            let labels = try store.labelImage(movieID: movieID, frameIndex: index)
            let regions = try store.cells(movieID: movieID, frameIndex: index).map(\.region)
            var runs = LabelRuns(labels)
            if let segmentationPixelSize { runs.pixelSize = segmentationPixelSize }
            try link(&tracker, index: index, cells: runs, regions: regions, reader: reader)
            if let frozen = tracker.removeFrozen() { try spill.append(frozen) }
            cellCount += regions.count
        }

        let workers = max(1, request.workers)
        let readers = try [reader] + (1..<workers).map { _ in try MovieReader(inputs: movie.inputs, channel: config.segmentChannel) }
        let channelReaders = try (0..<workers).map { _ in try movie.extraChannelInputs.map { try MovieReader(inputs: $0) } }
        let measured = measuredChannels(reader: reader, config: config)
        let source = request.source
        let pixelSize = record.pixelSizeUm
        let interval = record.frameIntervalMin ?? 1

        let remaining = frameCount - start
        let limit = budget.map { min($0, remaining) } ?? remaining
        let reporter = ProgressReporter(total: remaining, mode: request.progress)
        for note in setup.notes { reporter.note(note) }
        var processed = 0
        try OrderedParallel.run(range: start..<(start + limit), workers: workers, window: workers + 1,
                                produce: { index, worker, sharing in
            try processFrame(index: index, reader: readers[worker], channelReaders: channelReaders[worker],
                             measuredChannels: measured, source: source, config: config,
                             pixelSize: pixelSize, segmentationPixelSize: segmentationPixelSize,
                             interval: interval, sharing: sharing, decoded: handOff?.take(index))
        }, consume: { index, frame in
            try link(&tracker, index: index, cells: frame.runs, regions: frame.regions, reader: reader)
            if let frozen = tracker.removeFrozen() { try spill.append(frozen) }
            if processed == 0 { try beforeFirstCommit() }
            try store.writeFrame(frame.record, cells: frame.cells, movieID: movieID)
            processed += 1
            cellCount += frame.cells.count
            reporter.update(done: processed, cells: cellCount)
        })
        reporter.finish()
        // the workers' kept frame buffers would sit under the lineage's memory at the peak
        Segmenter.releaseFrameBuffers()
        if processed == 0 { try beforeFirstCommit() }
        if let b = budget { budget = b - processed }
        guard start + limit == frameCount else {
            return MovieOutcome(framesProcessed: processed, finished: false, cells: cellCount, measuredWidthPx: setup.measuredWidthPx,
                                lineage: nil)
        }

        let graph = try tracker.takeFinished(segments: spill.reader())
        let times = (0..<frameCount).map { Double($0) * interval }
        let lineage = try LineageBuilder.build(graph: graph, frameTimesMin: times, parameters: config.lineage)
        let records = LineageRecords.make(graph: graph, lineage: lineage, pixelSizeUm: pixelSize)
        try store.replaceLineage(movieID: movieID, tracks: records.tracks, divisions: records.divisions,
                                 assignments: records.assignments)
        return MovieOutcome(framesProcessed: processed, finished: true, cells: cellCount, measuredWidthPx: setup.measuredWidthPx,
                            lineage: lineage)
    }

    /// The temporary graph file goes beside the database (the volume meant for large output),
    /// unless `TMPDIR` is set.
    static func spillDirectory(_ databasePath: String) -> String? {
        if ProcessInfo.processInfo.environment["TMPDIR"] != nil { return nil }
        let dir = (databasePath as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    private static func link(_ tracker: inout Tracker, index: Int, cells: LabelRuns, regions: [Region],
                             reader: MovieReader) throws {
        do {
            try tracker.addFrame(index: index, cells: cells, regions: regions)
        } catch let error as ParameterError {
            let source = reader.sources[index]
            throw InputError(file: source.path, frame: source.page, problem: error.description)
        }
    }

    /// The parallel stage: read, segment (or take the given mask), measure, encode masks.
    static func processFrame(index: Int, reader: MovieReader, channelReaders: [MovieReader], measuredChannels: [Int],
                             source: CellSource, config: PipelineConfiguration, pixelSize: Double?,
                             segmentationPixelSize: Double? = nil,
                             interval: Double, sharing: WorkSharing? = nil,
                             decoded: GreyImage? = nil) throws -> ProcessedFrame {
        let clock = ContinuousClock()
        let began = clock.now
        let frameSource = reader.sources[index]
        // segmentation and linking: the measured scale when the true pixel size is unknown
        let scale = segmentationPixelSize ?? pixelSize
        var cells: LabelRuns
        var regions: [Region]
        let quality: FrameQuality
        switch source {
        case .segmentation:
            // `decoded`: this frame as readGrey gives it, read earlier (MovieMethod)
            let image = try decoded ?? reader.readGrey(index, keepingIntegers: Segmenter.readsIntegerFrames(config.segmentation)).image
            do {
                let result = try Segmenter.segment(image, parameters: config.segmentation, pixelSize: scale,
                                                   sharing: sharing)
                cells = result.cells
                regions = result.regions
            } catch let error as ParameterError {
                throw InputError(file: frameSource.path, frame: frameSource.page, problem: error.description)
            }
            quality = FrameQuality.measure(frame: image, foregroundPixels: cells.foregroundPixels)
        case .givenMasks:
            let labels = try reader.readLabels(index)
            cells = LabelRuns(labels)
            regions = RegionMeasurer.measure(runs: cells, intensity: nil)
            quality = FrameQuality.measure(image: labels.map { Float($0 == 0 ? 0 : 1) }, labels: labels)
        }
        cells.pixelSize = scale   // what the linker reads

        // Other channels: intensity per cell, and the mean over background pixels as the local
        // background that the corrected mean subtracts.
        var extra: [[ChannelIntensity]] = Array(repeating: [], count: regions.count)
        let rows = (measuredChannels.isEmpty && channelReaders.isEmpty) ? nil : cells.byRow()
        func addChannel(_ channelImage: Image<Float>) {
            let measuredRegions = RegionMeasurer.measure(runs: cells, intensity: channelImage)
            let background = backgroundMean(channelImage, cellsByRow: rows!)
            for (k, m) in measuredRegions.enumerated() {
                extra[k].append(ChannelIntensity(mean: m.meanIntensity, total: m.totalIntensity, min: m.minIntensity,
                                                 max: m.maxIntensity,
                                                 backgroundCorrectedMean: background.map { m.meanIntensity - $0 }))
            }
        }
        for c in measuredChannels { addChannel(try reader.readFrame(index, channel: c).image) }
        for channelReader in channelReaders { addChannel(try channelReader.readFrame(index).image) }

        let records = regions.enumerated().map { k, r in
            CellRecord(region: r, pixelSizeUm: pixelSize, runs: cells.runs(of: k), extraChannels: extra[k])
        }
        let elapsed = clock.now - began
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let record = FrameRecord(frameIndex: index, timeMin: Double(index) * interval, sourcePath: frameSource.path,
                                 sourcePage: frameSource.page, foregroundFraction: quality.foregroundFraction,
                                 cellCount: regions.count, meanIntensity: quality.meanIntensity,
                                 focusMeasure: quality.focusMeasure, processingMs: ms)
        return ProcessedFrame(width: cells.width, height: cells.height, pixelSize: cells.pixelSize, runs: cells,
                              regions: regions, record: record, cells: records)
    }

    /// Mean of the pixels outside every cell; nil when the cells cover the frame. Sums in
    /// raster order, skipping the cells' runs (`LabelRuns.byRow`).
    static func backgroundMean(_ image: Image<Float>, cellsByRow rows: (rowStart: [Int], entries: [(run: LabelRuns.Run, object: Int32)])) -> Double? {
        var sum = 0.0
        var count = 0
        let w = image.width
        image.withUnsafeBufferPointer { px in
            for y in 0..<image.height {
                let row = y * w
                var x = 0
                for e in rows.entries[rows.rowStart[y]..<rows.rowStart[y + 1]] {
                    for i in (row + x)..<(row + Int(e.run.x0)) { sum += Double(px[i]) }
                    count += Int(e.run.x0) - x
                    x = Int(e.run.x1)
                }
                for i in (row + x)..<(row + w) { sum += Double(px[i]) }
                count += w - x
            }
        }
        return count > 0 ? sum / Double(count) : nil
    }
}
