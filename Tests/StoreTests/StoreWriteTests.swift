import CellTrackCore
import Foundation
import XCTest
@testable import Store

final class StoreWriteTests: StoreTestCase {
    func testSyntheticRunPassesIntegrityAndForeignKeyChecks() throws {
        let store = try Store(path: dbPath())
        let (_, movie, synthetic) = try fillSynthetic(store)
        try store.checkIntegrity()
        let cells = synthetic.frames.reduce(0) { $0 + $1.cells.count }
        XCTAssertEqual(try store.count(query: "SELECT * FROM cell"), cells)
        XCTAssertEqual(try store.count(query: "SELECT * FROM cell WHERE track_id IS NULL"), 0)
        XCTAssertEqual(try store.count(query: "SELECT * FROM track"), synthetic.tracks.count)
        XCTAssertEqual(try store.count(query: "SELECT * FROM division"), synthetic.divisions.count)
        XCTAssertGreaterThan(synthetic.divisions.count, 5)
        XCTAssertEqual(try store.tracks(movieID: movie.movieID), synthetic.tracks)
        XCTAssertEqual(try store.divisions(movieID: movie.movieID), synthetic.divisions.sorted { $0.motherTrackID < $1.motherTrackID })
        XCTAssertEqual(try store.frames(movieID: movie.movieID), synthetic.frames.map(\.frame))
        XCTAssertEqual(try store.movies().map(\.record), [synthetic.movie])
    }

    func testCellsReadBackEqualWrittenWithTrackAssignments() throws {
        let store = try Store(path: dbPath())
        let (_, movie, synthetic) = try fillSynthetic(store, parameters: .init(roots: 5, frames: 8, channels: 3, seed: 9))
        for entry in synthetic.frames {
            var expected = entry.cells
            for i in expected.indices {
                let a = synthetic.assignments.first { $0.frameIndex == entry.frame.frameIndex && $0.label == expected[i].label }!
                expected[i].trackID = a.trackID
                expected[i].growthRateLengthPerH = a.growthRateLengthPerH
            }
            XCTAssertEqual(try store.cells(movieID: movie.movieID, frameIndex: entry.frame.frameIndex), expected)
        }
    }

    func testLabelImageRebuiltFromMasksEqualsPaintedCells() throws {
        // A small hand-made label image: three cells, one touching the border.
        var labels = LabelImage(width: 12, height: 9, repeating: 0)
        for (x, y, l) in [(0, 0, 1), (1, 0, 1), (0, 1, 1), (5, 4, 2), (6, 4, 2), (7, 5, 2), (11, 8, 3), (10, 8, 3), (11, 7, 3)] {
            labels[x, y] = UInt32(l)
        }
        let boxes: [UInt32: MaskRLE.BoundingBox] = [1: .init(minX: 0, minY: 0, maxX: 2, maxY: 2),
                                                    2: .init(minX: 5, minY: 4, maxX: 8, maxY: 6),
                                                    3: .init(minX: 10, minY: 7, maxX: 12, maxY: 9)]
        let store = try Store(path: dbPath())
        let progress = try store.beginOrResume(run: Self.runRecord)
        let movie = try store.addMovie(MovieRecord(name: "m", sourcePaths: ["a.tif"], widthPx: 12, heightPx: 9, frameCount: 1,
                                                   pixelSizeUm: nil, frameIntervalMin: nil, inputHash: "h"), runID: progress.runID)
        let cells = boxes.keys.sorted().map { label in
            CellRecord(region: Region(label: label, area: 3, centroidX: 1, centroidY: 1, minX: boxes[label]!.minX,
                                      minY: boxes[label]!.minY, maxX: boxes[label]!.maxX, maxY: boxes[label]!.maxY,
                                      meanIntensity: 5, totalIntensity: 15),
                       pixelSizeUm: nil, labels: labels)
        }
        XCTAssertNil(cells[0].lengthUm)
        XCTAssertEqual(cells[1].region, Region(label: 2, area: 3, centroidX: 1, centroidY: 1, minX: 5, minY: 4, maxX: 8, maxY: 6,
                                               meanIntensity: 5, totalIntensity: 15))
        XCTAssertEqual(try MaskRLE.foregroundCount(cells[1].maskRLE), 3)
        try store.writeFrame(FrameRecord(frameIndex: 0, timeMin: nil, sourcePath: "a.tif", sourcePage: 0, foregroundFraction: 0.08,
                                         cellCount: 3, meanIntensity: 1, focusMeasure: 1, processingMs: 1),
                             cells: cells, movieID: movie.movieID)
        XCTAssertEqual(try store.labelImage(movieID: movie.movieID, frameIndex: 0).pixels, labels.pixels)
        // Painting track ids instead (CTC export): cells without a track are left out.
        try store.replaceLineage(movieID: movie.movieID, tracks: [
            TrackRecord(trackID: 7, parentTrackID: nil, rootTrackID: 7, generation: 0, firstFrameIndex: 0, lastFrameIndex: 0, fate: .endOfMovie),
        ], divisions: [], assignments: [CellTrackAssignment(frameIndex: 0, label: 2, trackID: 7)])
        let byTrack = try store.labelImage(movieID: movie.movieID, frameIndex: 0, labels: .trackID)
        XCTAssertEqual(byTrack.pixels, labels.pixels.map { $0 == 2 ? 7 : 0 })
    }

    func testReplaceLineageIsIdempotentAndAtomic() throws {
        let store = try Store(path: dbPath())
        let (_, movie, synthetic) = try fillSynthetic(store)
        let first = try dump(store)
        try store.replaceLineage(movieID: movie.movieID, tracks: synthetic.tracks, divisions: synthetic.divisions,
                                 assignments: synthetic.assignments)
        XCTAssertEqual(try dump(store), first)
        // An assignment to a cell that does not exist fails and leaves the previous lineage intact.
        var bad = synthetic.assignments
        bad.append(CellTrackAssignment(frameIndex: 0, label: 9999, trackID: 1))
        XCTAssertThrowsError(try store.replaceLineage(movieID: movie.movieID, tracks: synthetic.tracks, divisions: [],
                                                      assignments: bad)) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .invalidArgument)
            XCTAssertTrue("\(error)".contains("label 9999"))
        }
        // A division naming a track that does not exist fails at commit (deferred foreign key).
        var orphan = synthetic.divisions
        orphan.append(DivisionRecord(motherTrackID: 1, daughter1TrackID: 5000, daughter2TrackID: 5001, frameIndex: 1,
                                     daughter1OverlapFraction: 1, daughter2OverlapFraction: 1, sizeRatio: 1))
        XCTAssertThrowsError(try store.replaceLineage(movieID: movie.movieID, tracks: synthetic.tracks, divisions: orphan,
                                                      assignments: synthetic.assignments))
        XCTAssertEqual(try dump(store), first)
        try store.checkIntegrity()
    }

    func testDivisionDaughtersAreStoredInTrackOrder() throws {
        let store = try Store(path: dbPath())
        let (_, movie, synthetic) = try fillSynthetic(store)
        var swapped = synthetic.divisions
        for i in swapped.indices {
            let d = swapped[i]
            swapped[i] = DivisionRecord(motherTrackID: d.motherTrackID, daughter1TrackID: d.daughter2TrackID,
                                        daughter2TrackID: d.daughter1TrackID, frameIndex: d.frameIndex,
                                        daughter1OverlapFraction: d.daughter2OverlapFraction,
                                        daughter2OverlapFraction: d.daughter1OverlapFraction, sizeRatio: d.sizeRatio)
        }
        try store.replaceLineage(movieID: movie.movieID, tracks: synthetic.tracks, divisions: swapped, assignments: synthetic.assignments)
        XCTAssertEqual(try store.divisions(movieID: movie.movieID), synthetic.divisions.sorted { $0.motherTrackID < $1.motherTrackID })
    }

    func testGrowthViewMatchesDirectComputation() throws {
        let store = try Store(path: dbPath())
        let (_, _, synthetic) = try fillSynthetic(store)
        let rates = synthetic.tracks.filter { $0.parentTrackID != nil && $0.fate == .divided }
            .compactMap(\.growthRateLengthPerH).sorted()
        XCTAssertGreaterThan(rates.count, 3)
        let mean = rates.reduce(0, +) / Double(rates.count)
        let median = rates.count % 2 == 1 ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
        let sd = (rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rates.count - 1)).squareRoot()
        var csv = ""
        try store.exportCSV(query: """
            SELECT n_cycles, mean_growth_rate_length_per_h, median_growth_rate_length_per_h, sd_growth_rate_length_per_h
            FROM movie_growth
            """) { csv += $0 }
        let row = try RFC4180.parse(csv)[1]
        XCTAssertEqual(Int(row[0]), rates.count)
        XCTAssertEqual(Double(row[1])!, mean, accuracy: 1e-12)
        XCTAssertEqual(Double(row[2])!, median, accuracy: 1e-12)
        XCTAssertEqual(Double(row[3])!, sd, accuracy: 1e-9)
        // Synthetic rates are drawn around 0.9/h.
        XCTAssertEqual(mean, 0.9, accuracy: 0.15)
    }

    func testMedianOfOddAndEvenCounts() throws {
        let store = try Store(path: dbPath())
        let progress = try store.beginOrResume(run: Self.runRecord)
        for (name, rates) in [("odd", [3.0, 1.0, 2.0]), ("even", [4.0, 1.0, 3.0, 2.0])] {
            let movie = try store.addMovie(MovieRecord(name: name, sourcePaths: [], widthPx: 4, heightPx: 4, frameCount: 3,
                                                       pixelSizeUm: 1, frameIntervalMin: 1, inputHash: name), runID: progress.runID)
            for f in 0..<3 {
                try store.writeFrame(FrameRecord(frameIndex: f, timeMin: Double(f), sourcePath: "x", sourcePage: f, foregroundFraction: 0,
                                                 cellCount: 0, meanIntensity: 0, focusMeasure: 0, processingMs: 0),
                                     cells: [], movieID: movie.movieID)
            }
            var tracks = [TrackRecord(trackID: 1, parentTrackID: nil, rootTrackID: 1, generation: 0, firstFrameIndex: 0,
                                      lastFrameIndex: 0, fate: .divided, divisionLengthUm: 2)]
            for (i, rate) in rates.enumerated() {
                tracks.append(TrackRecord(trackID: i + 2, parentTrackID: 1, rootTrackID: 1, generation: 1, firstFrameIndex: 1,
                                          lastFrameIndex: 1, fate: .divided, divisionLengthUm: 2, growthRateLengthPerH: rate))
            }
            try store.replaceLineage(movieID: movie.movieID, tracks: tracks, divisions: [], assignments: [])
        }
        var csv = ""
        try store.exportCSV(query: "SELECT movie_name, median_growth_rate_length_per_h FROM movie_growth ORDER BY movie_name") { csv += $0 }
        XCTAssertEqual(csv, "movie_name,median_growth_rate_length_per_h\r\neven,2.5\r\nodd,2.0\r\n")
    }

    func testBatchOfFramesIsAllOrNothing() throws {
        let store = try Store(path: dbPath())
        let progress = try store.beginOrResume(run: Self.runRecord)
        let synthetic = SyntheticLineage.generate(.init(roots: 4, frames: 4, seed: 8))
        let movie = try store.addMovie(synthetic.movie, runID: progress.runID)
        try store.writeFrames(Array(synthetic.frames[0..<2]), movieID: movie.movieID)
        XCTAssertEqual(try store.progress(movieID: movie.movieID).lastCommittedFrameIndex, 1)
        // Frames 2 and 3 plus a repeated frame 1: the whole batch is refused.
        XCTAssertThrowsError(try store.writeFrames(Array(synthetic.frames[2..<4]) + [synthetic.frames[1]], movieID: movie.movieID)) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .constraint)
            XCTAssertTrue("\(error)".contains("writing frames 2…1"), "\(error)")
        }
        XCTAssertEqual(try store.progress(movieID: movie.movieID).committedFrameCount, 2)
        // An error thrown by the in-transaction callback rolls the batch back too.
        struct Stop: Error {}
        var seen: [Int] = []
        XCTAssertThrowsError(try store.writeFrames(Array(synthetic.frames[2..<4]), movieID: movie.movieID) { index in
            seen.append(index)
            if index == 3 { throw Stop() }
        })
        XCTAssertEqual(seen, [2, 3])
        XCTAssertEqual(try store.progress(movieID: movie.movieID).committedFrameCount, 2)
        try store.writeFrames(Array(synthetic.frames[2..<4]), movieID: movie.movieID)
        XCTAssertEqual(try store.progress(movieID: movie.movieID).lastCommittedFrameIndex, 3)
    }

    func testReadersExportWhileAWriterHoldsATransaction() throws {
        let writer = try Store(path: dbPath())
        let (_, movie, _) = try fillSynthetic(writer, parameters: .init(roots: 3, frames: 3, seed: 2))
        try writer.connection.execute("BEGIN IMMEDIATE; DELETE FROM cell_channel;")
        let reader = try Store(path: dbPath(), options: .init(readOnly: true))
        var csv = ""
        let rows = try reader.exportCSV(table: "cell_channel") { csv += $0 }
        XCTAssertGreaterThan(rows, 0, "WAL readers see the last committed state")
        XCTAssertEqual(try reader.cells(movieID: movie.movieID, frameIndex: 0).count,
                       try writer.cells(movieID: movie.movieID, frameIndex: 0).count)
        try writer.connection.execute("ROLLBACK")
    }
}
