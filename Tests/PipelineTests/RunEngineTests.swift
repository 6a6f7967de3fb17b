import XCTest
import CellTrackCore
import Foundation
import ImageIO
import Segmentation
@testable import Pipeline
import Store

/// End-to-end runs of the pipeline on the bundled synthetic sample (40 frames, 256×256).
final class RunEngineTests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples")
    static let movie = samples.appendingPathComponent("synthetic/stack.tif").path

    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("celltrack-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func request(_ db: String, workers: Int = 2, stopAfter: Int? = nil,
                 configuration: PipelineConfiguration = PipelineConfiguration()) -> RunRequest {
        RunRequest(movies: [MovieInput(name: "synthetic", inputs: [Self.movie])], configuration: configuration,
                   databasePath: folder.appendingPathComponent(db).path, commandLine: "run \(Self.movie)",
                   workers: workers, progress: .quiet, stopAfterFrames: stopAfter)
    }

    /// The sample's frames as a folder of files without a pixel size: `run` measures the cells'
    /// width on frames 0, 20 and 39, segments and links at that scale (the sample's cells are
    /// 1.3 µm wide at 0.065 µm/px, ~20 px), finds the colony's divisions as with the pixel size,
    /// and leaves the µm columns empty.
    /// The sample's frames as files t000.tif … in `folder/name`, with `pixelSizeUm` or none.
    func writeSampleFrames(_ name: String, pixelSizeUm: Double?) throws -> URL {
        let reader = try MovieReader(inputs: [Self.movie])
        let frames = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        for k in 0..<reader.frameCount {
            let name = "t" + String(repeating: "0", count: 3 - String(k).count) + String(k) + ".tif"
            try TIFFWriter.write(try reader.readFrame(k).image, to: frames.appendingPathComponent(name).path,
                                 metadata: pixelSizeUm.map { TIFFMetadata(pixelSizeUm: $0) })
        }
        return frames
    }

    func testRunWithoutAPixelSizeMeasuresTheScale() throws {
        let frames = try writeSampleFrames("frames", pixelSizeUm: nil)
        XCTAssertNil(try MovieReader(inputs: [frames.path]).pixelSizeUm)
        let summary = try runFrames(frames, db: "unscaled.sqlite")
        XCTAssertEqual(summary.frames, 40)
        XCTAssertEqual(summary.measuredCellWidthsPx.count, 1)
        XCTAssertEqual(summary.measuredCellWidthsPx.first ?? 0, 17, accuracy: 2.5)   // CLI: 17.1 px
        XCTAssertGreaterThan(summary.divisions, 18)   // as with the pixel size (truth: 27)
        XCTAssertLessThan(summary.divisions, 35)
        let store = try Store(path: summary.databasePath, options: .init(readOnly: true))
        XCTAssertEqual(try store.count(query: "SELECT cell_id FROM cell WHERE area_um2 IS NOT NULL"), 0)
        XCTAssertEqual(try store.count(query: "SELECT movie_id FROM movie WHERE pixel_size_um IS NULL"), 1)
        // the cell count is the pixel-size run's within a few cells
        let scaled = try RunEngine.run(request("scaled.sqlite"))
        XCTAssertEqual(Double(summary.cells), Double(scaled.cells), accuracy: 0.05 * Double(scaled.cells))
        XCTAssertEqual(scaled.measuredCellWidthsPx, [])   // a pixel size: nothing measured
    }

    /// The sample's frames written with psc-phc's calibration, 1.6 µm per pixel (a stem-cell
    /// objective's; 1-µm cells would be 0.6 px wide): `run` sets the files' pixel size aside for
    /// the segmentation, measures the width as without one, and keeps 1.6 µm for the µm columns.
    func testRunSetsAnUnusableFilePixelSizeAside() throws {
        let frames = try writeSampleFrames("coarse", pixelSizeUm: 1.6)
        XCTAssertEqual(try MovieReader(inputs: [frames.path]).pixelSizeUm ?? 0, 1.6, accuracy: 1e-6)
        var p = SegmentationParameters()
        XCTAssertTrue(MovieScale.fileScaleIsUnusable(1.6, parameters: p))
        XCTAssertTrue(MovieScale.fileScaleIsUnusable(0.001, parameters: p))      // 1000 px
        XCTAssertFalse(MovieScale.fileScaleIsUnusable(0.065, parameters: p))
        XCTAssertFalse(MovieScale.fileScaleIsUnusable(nil, parameters: p))
        p.colony.cellWidthUm = 13                                                // stem cells: 8 px
        XCTAssertFalse(MovieScale.fileScaleIsUnusable(1.6, parameters: p))
        p = SegmentationParameters()
        p.method = .mothermachine                                                // its chambers set the scale
        XCTAssertFalse(MovieScale.fileScaleIsUnusable(1.6, parameters: p))
        let summary = try runFrames(frames, db: "coarse.sqlite")
        XCTAssertEqual(summary.measuredCellWidthsPx.count, 1)
        XCTAssertEqual(summary.measuredCellWidthsPx.first ?? 0, 17, accuracy: 2.5)
        XCTAssertGreaterThan(summary.divisions, 18)   // as with the true pixel size (truth: 27)
        XCTAssertLessThan(summary.divisions, 35)
        let store = try Store(path: summary.databasePath, options: .init(readOnly: true))
        XCTAssertEqual(try store.count(query: "SELECT movie_id FROM movie WHERE abs(pixel_size_um - 1.6) < 1e-6"), 1)
        XCTAssertEqual(try store.count(query: "SELECT cell_id FROM cell WHERE area_um2 IS NULL OR abs(area_um2 - area_px * 2.56) > 1e-6"), 0)
    }

    /// Three frames of a drawn chip into `folder/name`: ten bright lumens 38·`zoom` px apart,
    /// dark rods in them, written with 0.13 / `zoom` µm per pixel or without a pixel size.
    func drawChip(_ name: String, zoom: Int = 1, pixelSize: Bool = true) throws -> URL {
        let frames = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 3)
        let w = 400 * zoom, h = 260 * zoom
        for k in 0..<3 {
            var px = [Float](repeating: 3000, count: w * h)
            for y in 0..<(40 * zoom) { for x in 0..<w { px[y * w + x] = 1500 } }   // dark region above the chip
            for c in 0..<10 {
                let x0 = (23 + c * 38) * zoom, x1 = x0 + 12 * zoom - 1
                for y in (40 * zoom)...(220 * zoom) {
                    for x in x0...x1 { px[y * w + x] = (x < x0 + 2 * zoom || x > x1 - 2 * zoom) ? 8200 : 8600 }
                }
                var y = (43 + k * 4) * zoom
                while y + 30 * zoom < 210 * zoom {
                    for yy in y..<(y + 28 * zoom) { for x in (x0 + 3 * zoom)...(x1 - 3 * zoom) { px[yy * w + x] = 5600 } }
                    y += 31 * zoom
                }
            }
            for i in px.indices { px[i] += Float(rng.nextDouble() * 300 - 150) }
            try TIFFWriter.write(Image(uncheckedWidth: w, height: h, pixels: px), to: frames.appendingPathComponent("t00\(k).tif").path,
                                 metadata: pixelSize ? TIFFMetadata(pixelSizeUm: 0.13 / Double(zoom)) : nil)
        }
        return frames
    }

    /// `--method auto` on a mother-machine movie runs the mother-machine method on the whole
    /// movie, exactly as `--method mothermachine` does; the synthetic colony stays with auto, and
    /// an explicit method is never changed.
    func testAutoRunsTheMotherMachineMethodOnAChip() throws {
        let frames = try drawChip("chip")
        let reader = try MovieReader(inputs: [frames.path])
        var p = SegmentationParameters()
        let chip = try XCTUnwrap(try MovieMethod.motherMachine(reader, parameters: p, pixelSizeUm: reader.pixelSizeUm))
        XCTAssertEqual(chip.parameters.method, .mothermachine)
        XCTAssertFalse(chip.widthMeasured)
        XCTAssertNil(try MovieMethod.motherMachine(try MovieReader(inputs: [Self.movie]), parameters: p, pixelSizeUm: 0.065))
        XCTAssertNil(try MovieMethod.motherMachine(try MovieReader(inputs: [Self.movie]), parameters: p, pixelSizeUm: nil))
        p.method = .colony
        XCTAssertNil(try MovieMethod.motherMachine(reader, parameters: p, pixelSizeUm: reader.pixelSizeUm))

        let (auto, autoCells) = try runChip(frames, .auto, "auto.sqlite")
        let (mother, motherCells) = try runChip(frames, .mothermachine, "mm.sqlite")
        XCTAssertEqual(auto.cells, mother.cells)
        XCTAssertGreaterThanOrEqual(mother.cells, 3 * 10 * 4)    // ten chambers of four or five rods, three frames
        XCTAssertEqual(autoCells, motherCells)
    }

    /// The same chip three times as large and without a pixel size: at the default 10 px its chambers
    /// are not found; `auto` tries other widths, finds them, and runs the mother-machine method
    /// at that scale, with the width in the summary and the µm columns empty.
    func testAutoFindsAChipOfUnknownScale() throws {
        let frames = try drawChip("chip2", zoom: 3, pixelSize: false)
        let reader = try MovieReader(inputs: [frames.path])
        XCTAssertNil(reader.pixelSizeUm)
        XCTAssertFalse(MotherMachine.showsChip(try reader.readGrey(0).image, widthPixels: 10))
        let chip = try XCTUnwrap(try MovieMethod.motherMachine(reader, parameters: SegmentationParameters(), pixelSizeUm: nil))
        XCTAssertTrue(chip.widthMeasured)
        XCTAssertGreaterThan(chip.widthPixels, 10)
        let (summary, _) = try runChip(frames, .auto, "chip2.sqlite")
        XCTAssertGreaterThanOrEqual(summary.cells, 3 * 10 * 4)
        XCTAssertEqual(summary.measuredCellWidthsPx, [chip.widthPixels])
        let store = try Store(path: summary.databasePath, options: .init(readOnly: true))
        XCTAssertEqual(try store.count(query: "SELECT cell_id FROM cell WHERE area_um2 IS NOT NULL"), 0)
    }

    /// `run` on a folder of frames (5 min apart) into `folder/db`.
    func runFrames(_ frames: URL, db: String, method: SegmentationParameters.Method = .auto) throws -> RunSummary {
        var configuration = PipelineConfiguration()
        configuration.frameIntervalMin = 5
        configuration.segmentation.method = method
        return try RunEngine.run(RunRequest(movies: [MovieInput(name: frames.lastPathComponent, inputs: [frames.path])],
                                            configuration: configuration, databasePath: folder.appendingPathComponent(db).path,
                                            commandLine: "run \(frames.lastPathComponent)", workers: 2, progress: .quiet))
    }

    /// `runFrames`, and frame 2's cells as text (area@centroid) to compare two runs by.
    func runChip(_ frames: URL, _ method: SegmentationParameters.Method, _ name: String) throws -> (RunSummary, String) {
        let summary = try runFrames(frames, db: name, method: method)
        let store = try Store(path: summary.databasePath, options: .init(readOnly: true))
        let cells = try store.cells(movieID: 1, frameIndex: 2).map { "\($0.region.area)@\(Int($0.region.centroidX)),\(Int($0.region.centroidY))" }
        return (summary, cells.joined(separator: " "))
    }

    func testRunFindsTheSyntheticColonyAndItsDivisions() throws {
        let summary = try RunEngine.run(request("a.sqlite"))
        XCTAssertTrue(summary.finished)
        XCTAssertEqual(summary.frames, 40)
        // Samples/README.md: the truth has 55 tracks, 27 divisions, 24 complete cycles.
        XCTAssertGreaterThan(summary.divisions, 18)
        XCTAssertLessThan(summary.divisions, 35)
        XCTAssertGreaterThan(summary.completeCycles, 12)
        let rates = summary.growthRatesPerHour.sorted()
        let median = rates[rates.count / 2]
        // Doubling times 20–60 min → rates 0.69–2.08 /h.
        XCTAssertGreaterThan(median, 0.69)
        XCTAssertLessThan(median, 2.08)
        let store = try Store(path: summary.databasePath, options: .init(readOnly: true))
        try store.checkIntegrity()
        XCTAssertEqual(try store.count(query: "SELECT cell_id FROM cell WHERE track_id IS NULL"), 0)
        XCTAssertEqual(try store.count(query: "SELECT run_id FROM run WHERE status = 'finished'"), 1)
        XCTAssertEqual(try store.count(query: "SELECT frame_index FROM frame"), 40)
        XCTAssertEqual(try store.count(query: "SELECT cell_id FROM cell"), summary.cells)
        // the inputs were hashed while the first frames were segmented: the hash is recorded
        let hash = try ContentHasher.hashFiles([Self.movie])
        XCTAssertEqual(try store.count(query: "SELECT movie_id FROM movie WHERE input_hash = '\(hash)'"), 1)
        XCTAssertEqual(try store.count(query: "SELECT run_id FROM run WHERE input_fingerprint = 'synthetic=\(hash)'"), 1)
        // Invariants of the stored lineage: edges forward, at most two daughters.
        XCTAssertEqual(try store.count(query: """
            SELECT d.track_id FROM track d JOIN track m ON m.movie_id = d.movie_id AND m.track_id = d.parent_track_id
            WHERE d.first_frame_index <= m.last_frame_index
            """), 0)
        XCTAssertEqual(try store.count(query: """
            SELECT parent_track_id FROM track WHERE parent_track_id IS NOT NULL
            GROUP BY movie_id, parent_track_id HAVING count(*) > 2
            """), 0)
    }

    func testResultDoesNotDependOnTheWorkerCount() throws {
        _ = try RunEngine.run(request("one.sqlite", workers: 1))
        _ = try RunEngine.run(request("three.sqlite", workers: 3))
        XCTAssertEqual(try DatabaseDump.dump(folder.appendingPathComponent("one.sqlite").path),
                       try DatabaseDump.dump(folder.appendingPathComponent("three.sqlite").path))
    }

    func testAStoppedRunResumesToTheSameDatabase() throws {
        _ = try RunEngine.run(request("whole.sqlite"))
        let first = try RunEngine.run(request("pieces.sqlite", stopAfter: 7))
        XCTAssertFalse(first.finished)
        let second = try RunEngine.run(request("pieces.sqlite", workers: 1, stopAfter: 13))
        XCTAssertTrue(second.resumed)
        XCTAssertEqual(second.framesProcessedNow, 13)
        let last = try RunEngine.run(request("pieces.sqlite", workers: 3))
        XCTAssertTrue(last.finished)
        XCTAssertEqual(last.framesProcessedNow, 20)
        XCTAssertEqual(try DatabaseDump.dump(folder.appendingPathComponent("whole.sqlite").path),
                       try DatabaseDump.dump(folder.appendingPathComponent("pieces.sqlite").path))
    }

    func testDifferentParametersStartANewRunInTheSameFile() throws {
        _ = try RunEngine.run(request("two.sqlite", stopAfter: 3))
        var other = PipelineConfiguration()
        other.segmentation.openRadius = 3
        let second = try RunEngine.run(request("two.sqlite", stopAfter: 2, configuration: other))
        XCTAssertFalse(second.resumed)
        let store = try Store(path: folder.appendingPathComponent("two.sqlite").path, options: .init(readOnly: true))
        XCTAssertEqual(try store.count(query: "SELECT run_id FROM run"), 2)
        XCTAssertEqual(try store.count(query: "SELECT frame_index FROM frame"), 5)
    }

    func testAMovieWithoutAFrameIntervalIsBadInput() throws {
        let toy = Self.samples.appendingPathComponent("toy/disks.tif").path
        let r = RunRequest(movies: [MovieInput(name: "toy", inputs: [toy])], configuration: PipelineConfiguration(),
                           databasePath: folder.appendingPathComponent("toy.sqlite").path, commandLine: "run toy",
                           progress: .quiet)
        XCTAssertThrowsError(try RunEngine.run(r)) { error in
            let e = error as? InputError
            XCTAssertNotNil(e)
            XCTAssertTrue(e?.description.contains("--interval") ?? false)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("toy.sqlite").path),
                       "bad input must fail before the database is created")
    }
}

enum DatabaseDump {
    static func dump(_ path: String) throws -> [String: String] {
        let content = try Store(path: path, options: .init(readOnly: true)).comparableContent()
        XCTAssertGreaterThan(content["cell"]?.count ?? 0, 1000, "the dump must hold the cells")
        return content
    }
}
