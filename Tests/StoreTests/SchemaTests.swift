import Foundation
import XCTest
@testable import Store

final class SchemaTests: StoreTestCase {
    private var schemaFile: String {
        get throws { try String(contentsOf: Self.repositoryRoot.appendingPathComponent("schema.sql"), encoding: .utf8) }
    }

    /// The embedded copy is schema.sql byte for byte (rerun scripts/embed-schema.sh when this fails).
    func testEmbeddedSchemaEqualsFileOnDisk() throws {
        XCTAssertEqual(Store.schemaSQL, try schemaFile, "Sources/Store/EmbeddedSchema.swift is stale: run scripts/embed-schema.sh")
    }

    /// A database created by Store equals one created by executing schema.sql verbatim.
    func testNewDatabaseEqualsExecutingSchemaFile() throws {
        _ = try Store(path: dbPath("store.db"))
        let reference = try Connection(path: dbPath("reference.db"), create: true)
        try reference.execute(try schemaFile)
        let created = try Connection(path: dbPath("store.db"), create: false)

        func master(_ c: Connection) throws -> [String] {
            let s = try c.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            var rows: [String] = []
            while try s.step() { rows.append("\(s.text(0))|\(s.text(1))|\(s.text(2))|\(s.optionalText(3) ?? "NULL")") }
            return rows
        }
        let expected = try master(reference)
        XCTAssertGreaterThan(expected.count, 15)
        XCTAssertEqual(try master(created), expected)
        XCTAssertEqual(try created.scalarInt("PRAGMA user_version"), Int64(Store.schemaVersion))
        XCTAssertEqual(try reference.scalarInt("PRAGMA user_version"), Int64(Store.schemaVersion))
        XCTAssertEqual(try created.scalarInt("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1)
    }

    func testRequiredTablesColumnsAndViewsExist() throws {
        let store = try Store(path: dbPath())
        let names = try store.tableNames()
        for name in ["run", "movie", "frame", "cell", "cell_channel", "track", "division", "movie_growth", "frame_counts",
                     "mother_daughter", "adder", "cell_cycle", "track_ancestry", "sister_pairs", "cell_timeline", "run_summary"] {
            XCTAssertTrue(names.contains(name), "missing \(name)")
        }
        XCTAssertEqual(try store.count(query: """
            SELECT name FROM pragma_table_info('track')
            WHERE name IN ('track_id', 'growth_rate_length_per_h', 'growth_rate_area_per_h')
            """), 3)
        XCTAssertEqual(try store.count(query: "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%STRICT%'"), 7)
    }

    func testConstraintsRejectBadRows() throws {
        let store = try Store(path: dbPath())
        let progress = try store.beginOrResume(run: Self.runRecord)
        let movie = try store.addMovie(MovieRecord(name: "m", sourcePaths: ["a.tif"], widthPx: 10, heightPx: 10, frameCount: 1,
                                                   pixelSizeUm: 0.1, frameIntervalMin: 1, inputHash: "h"), runID: progress.runID)
        let frame = FrameRecord(frameIndex: 0, timeMin: 0, sourcePath: "a.tif", sourcePage: 0, foregroundFraction: 1.5,
                                cellCount: 0, meanIntensity: 0, focusMeasure: 0, processingMs: 0)
        XCTAssertThrowsError(try store.writeFrame(frame, cells: [], movieID: movie.movieID)) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .constraint)
            XCTAssertTrue("\(error)".contains("foreground_fraction"), "\(error)")
        }
        // A cell pointing at a frame of another movie violates the foreign key.
        XCTAssertThrowsError(try store.connection.execute(
            "INSERT INTO frame (movie_id, frame_index, source_path, source_page, foreground_fraction, cell_count, mean_intensity, focus_measure, processing_ms) VALUES (99, 0, 'x', 0, 0, 0, 0, 0, 0)"))
        // A track must be a root exactly when it has no parent.
        XCTAssertThrowsError(try store.replaceLineage(movieID: movie.movieID, tracks: [
            TrackRecord(trackID: 1, parentTrackID: nil, rootTrackID: 1, generation: 1, firstFrameIndex: 0, lastFrameIndex: 0, fate: .lost),
        ], divisions: [], assignments: []))
    }
}
