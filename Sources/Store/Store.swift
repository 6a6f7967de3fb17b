import CSQLite
import CellTrackCore
import Lineage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The celltrack database (`schema.sql`): the one owner of an SQLite connection in WAL mode.
///
/// Write pattern of a run (the pipeline's side):
/// ```swift
/// let store = try Store(path: "out.db")
/// let progress = try store.beginOrResume(run: RunRecord(commandLine: cmd, parametersJSON: json, inputFingerprint: fp))
/// let movie = try store.addMovie(movieRecord, runID: progress.runID)
/// let start = (movie.lastCommittedFrameIndex ?? -1) + 1          // resume after the last committed frame
/// for frame in start..<n { try store.writeFrame(frameRecord, cells: cellRecords, movieID: movie.movieID) }
/// try store.replaceLineage(movieID: movie.movieID, tracks: t, divisions: d, assignments: a)
/// try store.finishRun(runID: progress.runID)
/// ```
///
/// Design decisions:
/// - Frames, their cells and the cells' channel rows are written in one transaction per frame
///   (`writeFrame`) or per batch (`writeFrames`), so a crash at any point leaves whole frames.
/// - Cells are stored with `track_id` NULL; the lineage (tracks, divisions, each cell's track and
///   instantaneous growth rate) is computed at the end and written by `replaceLineage` in one
///   transaction that first removes the movie's previous lineage, so it is idempotent.
/// - `synchronous = NORMAL` in WAL: a killed process loses nothing committed; a power cut may lose
///   the last commits but never corrupts the file, and resuming redoes those frames.
/// - Not thread-safe: one owner (the pipeline's writer) calls it.
public final class Store {
    /// The `PRAGMA user_version` this build creates and understands.
    public static let schemaVersion = 1
    /// The verbatim text of `schema.sql` that creates a new database.
    public static var schemaSQL: String { EmbeddedSchema.sql }

    public struct Options: Codable, Equatable, Sendable {
        /// How long a write waits for another writer's lock before failing with `.busy`.
        public var busyTimeoutMilliseconds: Int32
        /// Open an existing database for reading only (export): never creates a file or the
        /// schema, works in read-only locations. Writes then fail with `.readOnly`.
        public var readOnly: Bool
        public init(busyTimeoutMilliseconds: Int32 = 5_000, readOnly: Bool = false) {
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.readOnly = readOnly
        }
    }

    /// The database file's path as given.
    public let path: String
    let connection: Connection

    private var insertFrameStatement: Statement?
    private var insertCellStatement: Statement?
    private var insertChannelStatement: Statement?

    /// Opens `path`, creating the file and the schema when it does not exist.
    ///
    /// Throws `StoreError` with kind `.readOnly`/`.cannotOpen` (location), `.notADatabase`,
    /// `.corrupt`, `.foreignDatabase` (an SQLite file with other tables) or `.newerSchema`.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        if options.readOnly {
            guard access(path, F_OK) == 0 else {
                throw StoreError(path: path, kind: .cannotOpen, message: "no such database file")
            }
        } else {
            try Store.checkLocation(path)
        }
        connection = try Connection(path: path, create: !options.readOnly, readOnly: options.readOnly)
        sqlite3_busy_timeout(connection.handle, options.busyTimeoutMilliseconds)
        try connection.execute("PRAGMA foreign_keys = ON", "opening")
        // Reading the header is the first real I/O: a file that is not a database fails here.
        var version = try connection.scalarInt("PRAGMA user_version")
        try checkVersion(version)
        if options.readOnly {
            guard version > 0 else {
                throw StoreError(path: path, kind: .foreignDatabase,
                                 message: "not a celltrack database (empty, or user_version 0)")
            }
            return
        }
        try connection.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", "switching to WAL")
        if version == 0 {
            try transaction("creating the schema") {
                // Re-read inside the write lock: another process may have created it meanwhile.
                version = try connection.scalarInt("PRAGMA user_version")
                try checkVersion(version)
                guard version == 0 else { return }
                guard try connection.scalarInt("SELECT count(*) FROM sqlite_master") == 0 else {
                    throw StoreError(path: path, kind: .foreignDatabase,
                                     message: "an SQLite database but not a celltrack database (user_version 0 and other tables); use a new file")
                }
                try connection.execute(EmbeddedSchema.sql)
            }
        }
    }

    private func checkVersion(_ version: Int64) throws {
        if version > Int64(Store.schemaVersion) {
            throw StoreError(path: path, kind: .newerSchema(found: Int(version), supported: Store.schemaVersion),
                             message: "the database has schema version \(version), written by a newer celltrack; this celltrack \(CellTrackVersion.string) understands version \(Store.schemaVersion) only — upgrade celltrack or use a new file")
        }
    }

    /// Clear messages for locations SQLite would report only as "unable to open database file".
    private static func checkLocation(_ path: String) throws {
        if access(path, F_OK) == 0 {
            if access(path, W_OK) != 0 {
                throw StoreError(path: path, kind: .readOnly,
                                 message: "the database file is read-only (\(Connection.osMessage(errno))); choose a writable location")
            }
            return
        }
        var directory = path
        if let slash = directory.lastIndex(of: "/") {
            directory = String(directory[..<slash])
            if directory.isEmpty { directory = "/" }
        } else {
            directory = "."
        }
        if access(directory, F_OK) != 0 {
            throw StoreError(path: path, kind: .cannotOpen, message: "cannot create the database: directory \(directory) does not exist")
        }
        if access(directory, W_OK) != 0 {
            throw StoreError(path: path, kind: .readOnly,
                             message: "cannot create the database: directory \(directory) is read-only (\(Connection.osMessage(errno))); choose a writable location")
        }
    }

    // MARK: - Transactions

    /// Runs `body` in one IMMEDIATE transaction; rolls back on any error and prefixes the
    /// error's message with `context`.
    func transaction<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            try connection.execute("BEGIN IMMEDIATE")
        } catch let error as StoreError {
            throw contextualized(error, context())
        }
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            if let storeError = error as? StoreError { throw contextualized(storeError, context()) }
            throw error
        }
    }

    private func contextualized(_ error: StoreError, _ context: String) -> StoreError {
        var error = error
        error.message = context + ": " + error.message
        return error
    }

    // MARK: - Runs and movies

    /// Starts a run, or resumes the newest unfinished (`running` or `failed`) run with exactly the
    /// same tool version, command line, parameters and input fingerprint. Anything different starts
    /// a new run; finished runs are never reopened. Returns the run id and, when resumed, each
    /// movie's last committed frame.
    public func beginOrResume(run: RunRecord) throws -> RunProgress {
        guard run.parametersJSON.utf8.count > 0 else {
            throw StoreError(path: path, kind: .invalidArgument, message: "run parameters must be JSON (got an empty string)")
        }
        return try transaction("starting the run") {
            let find = try connection.prepare("""
                SELECT run_id FROM run
                WHERE parameter_hash = ?1 AND status IN ('running', 'failed') AND tool_version = ?2
                  AND command_line = ?3 AND parameters_json = ?4 AND input_fingerprint = ?5
                ORDER BY run_id DESC LIMIT 1
                """)
            find.bind(1, run.parameterHash)
            find.bind(2, run.toolVersion)
            find.bind(3, run.commandLine)
            find.bind(4, run.parametersJSON)
            find.bind(5, run.inputFingerprint)
            if try find.step() {
                let runID = find.int64(0)
                find.reset()
                let reopen = try connection.prepare(
                    "UPDATE run SET status = 'running', ended_at = NULL, error_message = NULL WHERE run_id = ?1")
                reopen.bind(1, runID)
                try reopen.run()
                return RunProgress(runID: runID, resumed: true, movies: try moviesProgress(runID: runID))
            }
            find.reset()
            let insert = try connection.prepare("""
                INSERT INTO run (tool_version, command_line, parameters_json, input_fingerprint, parameter_hash, started_at, status)
                VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running')
                """)
            insert.bind(1, run.toolVersion)
            insert.bind(2, run.commandLine)
            insert.bind(3, run.parametersJSON)
            insert.bind(4, run.inputFingerprint)
            insert.bind(5, run.parameterHash)
            try insert.run()
            return RunProgress(runID: connection.lastInsertRowID, resumed: false, movies: [])
        }
    }

    /// Whether `beginOrResume` could resume a run for this version, command line and parameters
    /// whatever its input fingerprint: when not, a new run starts for certain and the caller may
    /// hash its inputs while it works, filling them in with `recordInputHashes` before it commits
    /// its first frame.
    public func hasUnfinishedRun(like run: RunRecord) throws -> Bool {
        let find = try connection.prepare("""
            SELECT 1 FROM run WHERE status IN ('running', 'failed') AND tool_version = ?1
              AND command_line = ?2 AND parameters_json = ?3 LIMIT 1
            """)
        find.bind(1, run.toolVersion)
        find.bind(2, run.commandLine)
        find.bind(3, run.parametersJSON)
        defer { find.reset() }
        return try find.step()
    }

    /// Sets a run's input fingerprint (and its parameter hash) and its movies' input hashes, for
    /// a run begun before its inputs were hashed (see `hasUnfinishedRun`).
    public func recordInputHashes(runID: Int64, run: RunRecord, movieHashes: [(movieID: Int64, inputHash: String)]) throws {
        try transaction("recording the input hashes of run \(runID)") {
            let update = try connection.prepare(
                "UPDATE run SET input_fingerprint = ?2, parameter_hash = ?3 WHERE run_id = ?1")
            update.bind(1, runID)
            update.bind(2, run.inputFingerprint)
            update.bind(3, run.parameterHash)
            try update.run()
            guard connection.changes == 1 else {
                throw StoreError(path: path, kind: .invalidArgument, message: "no run \(runID)")
            }
            for (movieID, hash) in movieHashes {
                let movie = try connection.prepare("UPDATE movie SET input_hash = ?2 WHERE movie_id = ?1 AND run_id = ?3")
                movie.bind(1, movieID)
                movie.bind(2, hash)
                movie.bind(3, runID)
                try movie.run()
            }
        }
    }

    /// Marks the run finished (status and end time).
    public func finishRun(runID: Int64) throws {
        try endRun(runID: runID, status: "finished", message: nil)
    }

    /// Marks the run failed with a message; the same command resumes it later.
    public func failRun(runID: Int64, message: String) throws {
        try endRun(runID: runID, status: "failed", message: message)
    }

    private func endRun(runID: Int64, status: String, message: String?) throws {
        try transaction("ending run \(runID)") {
            let stmt = try connection.prepare("""
                UPDATE run SET status = ?2, error_message = ?3, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                WHERE run_id = ?1
                """)
            stmt.bind(1, runID)
            stmt.bind(2, status)
            stmt.bind(3, message)
            try stmt.run()
            guard connection.changes == 1 else {
                throw StoreError(path: path, kind: .invalidArgument, message: "no run \(runID)")
            }
        }
    }

    /// Adds a movie to a run, or returns the existing movie of that name (a resumed run) with its
    /// progress. Throws `.invalidArgument` when the existing movie came from other input.
    public func addMovie(_ movie: MovieRecord, runID: Int64) throws -> MovieProgress {
        guard !movie.name.isEmpty, movie.widthPx > 0, movie.heightPx > 0, !movie.channelNames.isEmpty else {
            throw StoreError(path: path, kind: .invalidArgument,
                             message: "movie '\(movie.name)' needs a name, a positive size and at least one channel")
        }
        return try transaction("adding movie '\(movie.name)'") {
            let find = try connection.prepare(
                "SELECT movie_id, input_hash, width_px, height_px FROM movie WHERE run_id = ?1 AND name = ?2")
            find.bind(1, runID)
            find.bind(2, movie.name)
            if try find.step() {
                let movieID = find.int64(0)
                guard find.text(1) == movie.inputHash, find.int(2) == movie.widthPx, find.int(3) == movie.heightPx else {
                    throw StoreError(path: path, kind: .invalidArgument,
                                     message: "movie '\(movie.name)' of run \(runID) was made from different input (hash or size differs); start a new run")
                }
                find.reset()
                let update = try connection.prepare("UPDATE movie SET frame_count = ?2 WHERE movie_id = ?1")
                update.bind(1, movieID)
                update.bind(2, movie.frameCount)
                try update.run()
                return try progress(movieID: movieID, name: movie.name)
            }
            find.reset()
            let insert = try connection.prepare("""
                INSERT INTO movie (run_id, name, source_paths_json, width_px, height_px, frame_count,
                                   pixel_size_um, frame_interval_min, channel_names_json, input_hash)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                """)
            insert.bind(1, runID)
            insert.bind(2, movie.name)
            insert.bind(3, JSONText.stringArray(movie.sourcePaths))
            insert.bind(4, movie.widthPx)
            insert.bind(5, movie.heightPx)
            insert.bind(6, movie.frameCount)
            insert.bind(7, movie.pixelSizeUm)
            insert.bind(8, movie.frameIntervalMin)
            insert.bind(9, JSONText.stringArray(movie.channelNames))
            insert.bind(10, movie.inputHash)
            try insert.run()
            return MovieProgress(movieID: connection.lastInsertRowID, name: movie.name,
                                 lastCommittedFrameIndex: nil, committedFrameCount: 0)
        }
    }

    private func moviesProgress(runID: Int64) throws -> [MovieProgress] {
        let stmt = try connection.prepare("SELECT movie_id, name FROM movie WHERE run_id = ?1 ORDER BY name, movie_id")
        stmt.bind(1, runID)
        var movies: [(Int64, String)] = []
        while try stmt.step() { movies.append((stmt.int64(0), stmt.text(1))) }
        return try movies.map { try progress(movieID: $0.0, name: $0.1) }
    }

    private func progress(movieID: Int64, name: String) throws -> MovieProgress {
        let stmt = try connection.prepare("SELECT max(frame_index), count(*) FROM frame WHERE movie_id = ?1")
        stmt.bind(1, movieID)
        _ = try stmt.step()
        return MovieProgress(movieID: movieID, name: name, lastCommittedFrameIndex: stmt.optionalInt(0),
                             committedFrameCount: stmt.int(1))
    }

    /// The movie's progress now (last committed frame and count).
    public func progress(movieID: Int64) throws -> MovieProgress {
        let stmt = try connection.prepare("SELECT name FROM movie WHERE movie_id = ?1")
        stmt.bind(1, movieID)
        guard try stmt.step() else {
            throw StoreError(path: path, kind: .invalidArgument, message: "no movie \(movieID)")
        }
        return try progress(movieID: movieID, name: stmt.text(0))
    }

    // MARK: - Frames and cells (bulk)

    /// Writes one frame with its cells in one transaction. On any error (disk full, constraint,
    /// lock) the frame is rolled back entirely and earlier frames stay committed.
    public func writeFrame(_ frame: FrameRecord, cells: [CellRecord], movieID: Int64) throws {
        try writeFrames([(frame, cells)], movieID: movieID)
    }

    /// Writes several frames with their cells in one transaction (fewer commits when frames are
    /// small). All or none of them are committed. `insideTransaction`, when given, is called with
    /// each frame index after that frame's rows are inserted and before the commit (progress
    /// reporting; the crash tests kill the process there); an error it throws rolls back.
    public func writeFrames(_ frames: [(frame: FrameRecord, cells: [CellRecord])], movieID: Int64,
                            insideTransaction: ((Int) throws -> Void)? = nil) throws {
        guard !frames.isEmpty else { return }
        let first = frames[0].frame.frameIndex
        try transaction(frames.count == 1 ? "writing frame \(first) of movie \(movieID)"
                                          : "writing frames \(first)…\(frames[frames.count - 1].frame.frameIndex) of movie \(movieID)") {
            let insertFrame = try cachedInsertFrame()
            let insertCell = try cachedInsertCell()
            let insertChannel = try cachedInsertChannel()
            for (frame, cells) in frames {
                insertFrame.bind(1, movieID)
                insertFrame.bind(2, frame.frameIndex)
                insertFrame.bind(3, frame.timeMin)
                insertFrame.bind(4, frame.sourcePath)
                insertFrame.bind(5, frame.sourcePage)
                insertFrame.bind(6, frame.foregroundFraction)
                insertFrame.bind(7, frame.cellCount)
                insertFrame.bind(8, frame.meanIntensity)
                insertFrame.bind(9, frame.focusMeasure)
                insertFrame.bind(10, frame.processingMs)
                try insertFrame.run()
                insertCell.bind(1, movieID)
                insertCell.bind(2, frame.frameIndex)
                for cell in cells {
                    try insertCellRow(cell, insertCell)
                    let cellID = connection.lastInsertRowID
                    for (channelIndex, channel) in cell.channels.enumerated() {
                        insertChannel.bind(1, cellID)
                        insertChannel.bind(2, channelIndex)
                        insertChannel.bind(3, channel.mean)
                        insertChannel.bind(4, channel.total)
                        insertChannel.bind(5, channel.min)
                        insertChannel.bind(6, channel.max)
                        insertChannel.bind(7, channel.backgroundCorrectedMean)
                        try insertChannel.run()
                    }
                }
                try insideTransaction?(frame.frameIndex)
            }
        }
    }

    @inline(__always)
    private func insertCellRow(_ c: CellRecord, _ s: Statement) throws {
        s.bind(3, Int64(c.label))
        s.bind(4, c.trackID)
        s.bind(5, c.areaPx)
        s.bind(6, c.areaUm2)
        s.bind(7, c.centroidXPx)
        s.bind(8, c.centroidYPx)
        s.bind(9, c.centroidXUm)
        s.bind(10, c.centroidYUm)
        s.bind(11, c.bbox.minX)
        s.bind(12, c.bbox.minY)
        s.bind(13, c.bbox.maxX)
        s.bind(14, c.bbox.maxY)
        s.bind(15, c.lengthPx)
        s.bind(16, c.widthPx)
        s.bind(17, c.lengthUm)
        s.bind(18, c.widthUm)
        s.bind(19, c.orientationRad)
        s.bind(20, c.majorAxisPx)
        s.bind(21, c.minorAxisPx)
        s.bind(22, c.perimeterPx)
        s.bind(23, c.growthRateLengthPerH)
        s.bind(24, c.maskRLE)
        try s.run()
    }

    private func cachedInsertFrame() throws -> Statement {
        if let s = insertFrameStatement { return s }
        let s = try connection.prepare("""
            INSERT INTO frame (movie_id, frame_index, time_min, source_path, source_page, foreground_fraction,
                               cell_count, mean_intensity, focus_measure, processing_ms)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """)
        insertFrameStatement = s
        return s
    }

    private func cachedInsertCell() throws -> Statement {
        if let s = insertCellStatement { return s }
        let s = try connection.prepare("""
            INSERT INTO cell (movie_id, frame_index, label, track_id, area_px, area_um2,
                              centroid_x_px, centroid_y_px, centroid_x_um, centroid_y_um,
                              bbox_min_x_px, bbox_min_y_px, bbox_max_x_px, bbox_max_y_px,
                              length_px, width_px, length_um, width_um, orientation_rad,
                              major_axis_px, minor_axis_px, perimeter_px, growth_rate_length_per_h, mask_rle)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                    ?21, ?22, ?23, ?24)
            """)
        insertCellStatement = s
        return s
    }

    private func cachedInsertChannel() throws -> Statement {
        if let s = insertChannelStatement { return s }
        let s = try connection.prepare("""
            INSERT INTO cell_channel (cell_id, channel_index, mean_intensity, total_intensity, min_intensity,
                                      max_intensity, background_corrected_mean_intensity)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """)
        insertChannelStatement = s
        return s
    }

    // MARK: - Lineage

    /// Replaces the movie's lineage in one transaction: removes its divisions and tracks and every
    /// cell's track assignment, then writes `tracks`, assigns cells (by frame and label) and writes
    /// `divisions`. Calling it twice with the same values gives the same database (idempotent).
    /// Foreign keys are checked at commit, so the order of `tracks` does not matter.
    public func replaceLineage(movieID: Int64, tracks: [TrackRecord], divisions: [DivisionRecord],
                               assignments: [CellTrackAssignment]) throws {
        try transaction("writing the lineage of movie \(movieID)") {
            try connection.execute("PRAGMA defer_foreign_keys = ON")
            for sql in ["DELETE FROM division WHERE movie_id = ?1",
                        "UPDATE cell SET track_id = NULL, growth_rate_length_per_h = NULL WHERE movie_id = ?1 AND track_id IS NOT NULL",
                        "DELETE FROM track WHERE movie_id = ?1"] {
                let stmt = try connection.prepare(sql)
                stmt.bind(1, movieID)
                try stmt.run()
            }
            let insertTrack = try connection.prepare("""
                INSERT INTO track (movie_id, track_id, parent_track_id, root_track_id, generation,
                                   first_frame_index, last_frame_index, fate, birth_length_um, division_length_um,
                                   added_length_um, birth_area_um2, division_area_um2, growth_rate_length_per_h,
                                   growth_rate_length_stderr_per_h, growth_rate_length_r2, growth_rate_area_per_h,
                                   growth_rate_area_stderr_per_h, growth_rate_area_r2, growth_fit_points, doubling_time_h)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
                """)
            for t in tracks {
                insertTrack.bind(1, movieID)
                insertTrack.bind(2, t.trackID)
                insertTrack.bind(3, t.parentTrackID)
                insertTrack.bind(4, t.rootTrackID)
                insertTrack.bind(5, t.generation)
                insertTrack.bind(6, t.firstFrameIndex)
                insertTrack.bind(7, t.lastFrameIndex)
                insertTrack.bind(8, t.fate.rawValue)
                insertTrack.bind(9, t.birthLengthUm)
                insertTrack.bind(10, t.divisionLengthUm)
                insertTrack.bind(11, t.addedLengthUm)
                insertTrack.bind(12, t.birthAreaUm2)
                insertTrack.bind(13, t.divisionAreaUm2)
                insertTrack.bind(14, t.growthRateLengthPerH)
                insertTrack.bind(15, t.growthRateLengthStderrPerH)
                insertTrack.bind(16, t.growthRateLengthR2)
                insertTrack.bind(17, t.growthRateAreaPerH)
                insertTrack.bind(18, t.growthRateAreaStderrPerH)
                insertTrack.bind(19, t.growthRateAreaR2)
                insertTrack.bind(20, t.growthFitPoints)
                insertTrack.bind(21, t.doublingTimeH)
                try insertTrack.run()
            }
            let assign = try connection.prepare("""
                UPDATE cell SET track_id = ?4, growth_rate_length_per_h = ?5
                WHERE movie_id = ?1 AND frame_index = ?2 AND label = ?3
                """)
            assign.bind(1, movieID)
            for a in assignments {
                assign.bind(2, a.frameIndex)
                assign.bind(3, Int64(a.label))
                assign.bind(4, a.trackID)
                assign.bind(5, a.growthRateLengthPerH)
                try assign.run()
                guard connection.changes == 1 else {
                    throw StoreError(path: path, kind: .invalidArgument,
                                     message: "no stored cell with label \(a.label) in frame \(a.frameIndex) of movie \(movieID) for track \(a.trackID)")
                }
            }
            let insertDivision = try connection.prepare("""
                INSERT INTO division (movie_id, mother_track_id, daughter1_track_id, daughter2_track_id, frame_index,
                                      daughter1_overlap_fraction, daughter2_overlap_fraction, size_ratio)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """)
            for d in divisions {
                let swap = d.daughter1TrackID > d.daughter2TrackID
                insertDivision.bind(1, movieID)
                insertDivision.bind(2, d.motherTrackID)
                insertDivision.bind(3, swap ? d.daughter2TrackID : d.daughter1TrackID)
                insertDivision.bind(4, swap ? d.daughter1TrackID : d.daughter2TrackID)
                insertDivision.bind(5, d.frameIndex)
                insertDivision.bind(6, swap ? d.daughter2OverlapFraction : d.daughter1OverlapFraction)
                insertDivision.bind(7, swap ? d.daughter1OverlapFraction : d.daughter2OverlapFraction)
                insertDivision.bind(8, d.sizeRatio)
                try insertDivision.run()
            }
        }
    }

    // MARK: - Reading back

    /// A movie as stored.
    public struct StoredMovie: Equatable, Sendable {
        public var movieID: Int64
        public var runID: Int64
        public var record: MovieRecord
    }

    /// Movies of one run (or of every run), ordered by run and name.
    public func movies(runID: Int64? = nil) throws -> [StoredMovie] {
        let stmt = try connection.prepare("""
            SELECT movie_id, run_id, name, source_paths_json, width_px, height_px, frame_count, pixel_size_um,
                   frame_interval_min, channel_names_json, input_hash
            FROM movie m WHERE ?1 IS NULL OR run_id = ?1 ORDER BY run_id, name
            """)
        if let runID { stmt.bind(1, runID) } else { stmt.bindNull(1) }
        var result: [StoredMovie] = []
        while try stmt.step() {
            let sources = try stringArray(json: stmt.text(3))
            let channels = try stringArray(json: stmt.text(9))
            result.append(StoredMovie(movieID: stmt.int64(0), runID: stmt.int64(1), record: MovieRecord(
                name: stmt.text(2), sourcePaths: sources, widthPx: stmt.int(4), heightPx: stmt.int(5),
                frameCount: stmt.int(6), pixelSizeUm: stmt.optionalDouble(7), frameIntervalMin: stmt.optionalDouble(8),
                channelNames: channels, inputHash: stmt.text(10))))
        }
        return result
    }

    /// Decodes a JSON array of strings with SQLite's JSON functions (no Foundation needed).
    private func stringArray(json: String) throws -> [String] {
        let stmt = try connection.prepare("SELECT value FROM json_each(?1) ORDER BY key")
        stmt.bind(1, json)
        var values: [String] = []
        while try stmt.step() { values.append(stmt.text(0)) }
        return values
    }

    /// The stored frame records of a movie, by frame index.
    public func frames(movieID: Int64) throws -> [FrameRecord] {
        let stmt = try connection.prepare("""
            SELECT frame_index, time_min, source_path, source_page, foreground_fraction, cell_count,
                   mean_intensity, focus_measure, processing_ms
            FROM frame WHERE movie_id = ?1 ORDER BY frame_index
            """)
        stmt.bind(1, movieID)
        var frames: [FrameRecord] = []
        while try stmt.step() {
            frames.append(FrameRecord(frameIndex: stmt.int(0), timeMin: stmt.optionalDouble(1), sourcePath: stmt.text(2),
                                      sourcePage: stmt.int(3), foregroundFraction: stmt.double(4), cellCount: stmt.int(5),
                                      meanIntensity: stmt.double(6), focusMeasure: stmt.double(7), processingMs: stmt.double(8)))
        }
        return frames
    }

    /// The cells of one frame, by label, with their channels and masks.
    public func cells(movieID: Int64, frameIndex: Int) throws -> [CellRecord] {
        let stmt = try connection.prepare("""
            SELECT cell_id, label, track_id, area_px, area_um2, centroid_x_px, centroid_y_px, centroid_x_um, centroid_y_um,
                   bbox_min_x_px, bbox_min_y_px, bbox_max_x_px, bbox_max_y_px, length_px, width_px, length_um, width_um,
                   orientation_rad, major_axis_px, minor_axis_px, perimeter_px, growth_rate_length_per_h, mask_rle
            FROM cell WHERE movie_id = ?1 AND frame_index = ?2 ORDER BY label
            """)
        stmt.bind(1, movieID)
        stmt.bind(2, frameIndex)
        let channelStmt = try connection.prepare("""
            SELECT mean_intensity, total_intensity, min_intensity, max_intensity, background_corrected_mean_intensity
            FROM cell_channel WHERE cell_id = ?1 ORDER BY channel_index
            """)
        var cells: [CellRecord] = []
        while try stmt.step() {
            channelStmt.bind(1, stmt.int64(0))
            var channels: [ChannelIntensity] = []
            while try channelStmt.step() {
                channels.append(ChannelIntensity(mean: channelStmt.double(0), total: channelStmt.double(1),
                                                 min: channelStmt.double(2), max: channelStmt.double(3),
                                                 backgroundCorrectedMean: channelStmt.optionalDouble(4)))
            }
            channelStmt.reset()
            cells.append(CellRecord(
                label: UInt32(stmt.int64(1)), areaPx: stmt.int(3), areaUm2: stmt.optionalDouble(4),
                centroidXPx: stmt.double(5), centroidYPx: stmt.double(6),
                centroidXUm: stmt.optionalDouble(7), centroidYUm: stmt.optionalDouble(8),
                bbox: MaskRLE.BoundingBox(minX: stmt.int(9), minY: stmt.int(10), maxX: stmt.int(11), maxY: stmt.int(12)),
                lengthPx: stmt.double(13), widthPx: stmt.double(14), lengthUm: stmt.optionalDouble(15),
                widthUm: stmt.optionalDouble(16), orientationRad: stmt.double(17), majorAxisPx: stmt.double(18),
                minorAxisPx: stmt.double(19), perimeterPx: stmt.double(20), channels: channels, maskRLE: stmt.blob(22),
                trackID: stmt.optionalInt(2), growthRateLengthPerH: stmt.optionalDouble(21)))
        }
        return cells
    }

    /// Which pixel value to paint for each cell in `labelImage`.
    public enum LabelSource: Sendable {
        /// The segmentation label (as segmented).
        case segmentationLabel
        /// The cell's track id (CTC export); cells without a track are skipped.
        case trackID
    }

    /// Rebuilds the frame's label image from the stored masks (for `export ctc`, overlays, or to
    /// resume linking from the last committed frame).
    public func labelImage(movieID: Int64, frameIndex: Int, labels: LabelSource = .segmentationLabel) throws -> LabelImage {
        let size = try connection.prepare("SELECT width_px, height_px, pixel_size_um FROM movie WHERE movie_id = ?1")
        size.bind(1, movieID)
        guard try size.step() else {
            throw StoreError(path: path, kind: .invalidArgument, message: "no movie \(movieID)")
        }
        var image = LabelImage(width: size.int(0), height: size.int(1), repeating: 0, pixelSize: size.optionalDouble(2))
        let stmt = try connection.prepare("""
            SELECT label, track_id, bbox_min_x_px, bbox_min_y_px, bbox_max_x_px, bbox_max_y_px, mask_rle
            FROM cell WHERE movie_id = ?1 AND frame_index = ?2 ORDER BY label
            """)
        stmt.bind(1, movieID)
        stmt.bind(2, frameIndex)
        while try stmt.step() {
            let value: UInt32
            switch labels {
            case .segmentationLabel: value = UInt32(stmt.int64(0))
            case .trackID:
                guard !stmt.isNull(1) else { continue }
                value = UInt32(stmt.int64(1))
            }
            let box = MaskRLE.BoundingBox(minX: stmt.int(2), minY: stmt.int(3), maxX: stmt.int(4), maxY: stmt.int(5))
            do {
                try MaskRLE.paint(stmt.blob(6), label: value, bbox: box, into: &image)
            } catch {
                throw StoreError(path: path, kind: .corrupt,
                                 message: "mask of label \(stmt.int64(0)) in frame \(frameIndex) of movie \(movieID): \(error)")
            }
        }
        return image
    }

    /// The movie's tracks, by track id.
    public func tracks(movieID: Int64) throws -> [TrackRecord] {
        let stmt = try connection.prepare("""
            SELECT track_id, parent_track_id, root_track_id, generation, first_frame_index, last_frame_index, fate,
                   birth_length_um, division_length_um, added_length_um, birth_area_um2, division_area_um2,
                   growth_rate_length_per_h, growth_rate_length_stderr_per_h, growth_rate_length_r2,
                   growth_rate_area_per_h, growth_rate_area_stderr_per_h, growth_rate_area_r2, growth_fit_points,
                   doubling_time_h
            FROM track WHERE movie_id = ?1 ORDER BY track_id
            """)
        stmt.bind(1, movieID)
        var tracks: [TrackRecord] = []
        while try stmt.step() {
            guard let fate = TrackFate(rawValue: stmt.text(6)) else {
                throw StoreError(path: path, kind: .corrupt, message: "unknown fate '\(stmt.text(6))' of track \(stmt.int(0))")
            }
            tracks.append(TrackRecord(
                trackID: stmt.int(0), parentTrackID: stmt.optionalInt(1), rootTrackID: stmt.int(2), generation: stmt.int(3),
                firstFrameIndex: stmt.int(4), lastFrameIndex: stmt.int(5), fate: fate,
                birthLengthUm: stmt.optionalDouble(7), divisionLengthUm: stmt.optionalDouble(8),
                addedLengthUm: stmt.optionalDouble(9), birthAreaUm2: stmt.optionalDouble(10),
                divisionAreaUm2: stmt.optionalDouble(11), growthRateLengthPerH: stmt.optionalDouble(12),
                growthRateLengthStderrPerH: stmt.optionalDouble(13), growthRateLengthR2: stmt.optionalDouble(14),
                growthRateAreaPerH: stmt.optionalDouble(15), growthRateAreaStderrPerH: stmt.optionalDouble(16),
                growthRateAreaR2: stmt.optionalDouble(17), growthFitPoints: stmt.int(18),
                doublingTimeH: stmt.optionalDouble(19)))
        }
        return tracks
    }

    /// Every table as CSV text, by table name, leaving out what legitimately differs between
    /// two runs of the same command on the same input: the run's timestamps and each frame's
    /// measured processing time. Two such runs (any worker count, interrupted and resumed or
    /// not) give equal content; tests and `celltrack` users can check it.
    public func comparableContent() throws -> [String: String] {
        let list = try connection.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        var tables: [String] = []
        while try list.step() { tables.append(list.text(0)) }
        var result: [String: String] = [:]
        for table in tables {
            let columns = try connection.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
            columns.bind(1, table)
            var names: [String] = []
            while try columns.step() {
                let name = columns.text(0)
                let timing = (table == "run" && (name == "started_at" || name == "ended_at"))
                    || (table == "frame" && name == "processing_ms")
                if !timing { names.append("\"" + name + "\"") }
            }
            let order = (1...min(3, names.count)).map(String.init).joined(separator: ", ")
            var text = ""
            _ = try exportCSV(query: "SELECT \(names.joined(separator: ", ")) FROM \"\(table)\" ORDER BY \(order)") { text += $0 }
            result[table] = text
        }
        return result
    }

    /// For each track of the movie, the frames in which it has a cell (ascending), by track id.
    /// A track with a closed gap misses frames between its first and last.
    public func trackFrames(movieID: Int64) throws -> [(trackID: Int, frames: [Int])] {
        let stmt = try connection.prepare("""
            SELECT track_id, frame_index FROM cell
            WHERE movie_id = ?1 AND track_id IS NOT NULL ORDER BY track_id, frame_index
            """)
        stmt.bind(1, movieID)
        var result: [(trackID: Int, frames: [Int])] = []
        while try stmt.step() {
            let track = stmt.int(0), frame = stmt.int(1)
            if result.last?.trackID == track { result[result.count - 1].frames.append(frame) }
            else { result.append((track, [frame])) }
        }
        return result
    }

    /// The movie's divisions, by mother track id.
    public func divisions(movieID: Int64) throws -> [DivisionRecord] {
        let stmt = try connection.prepare("""
            SELECT mother_track_id, daughter1_track_id, daughter2_track_id, frame_index,
                   daughter1_overlap_fraction, daughter2_overlap_fraction, size_ratio
            FROM division WHERE movie_id = ?1 ORDER BY mother_track_id
            """)
        stmt.bind(1, movieID)
        var result: [DivisionRecord] = []
        while try stmt.step() {
            result.append(DivisionRecord(motherTrackID: stmt.int(0), daughter1TrackID: stmt.int(1),
                                         daughter2TrackID: stmt.int(2), frameIndex: stmt.int(3),
                                         daughter1OverlapFraction: stmt.double(4),
                                         daughter2OverlapFraction: stmt.double(5), sizeRatio: stmt.double(6)))
        }
        return result
    }

    // MARK: - Checks

    /// Runs `PRAGMA integrity_check` and `PRAGMA foreign_key_check`; throws `.corrupt` or
    /// `.constraint` naming the first problems.
    public func checkIntegrity() throws {
        let integrity = try connection.prepare("PRAGMA integrity_check")
        var problems: [String] = []
        while try integrity.step() { problems.append(integrity.text(0)) }
        if problems != ["ok"] {
            throw StoreError(path: path, kind: .corrupt,
                             message: "integrity check failed: " + problems.prefix(5).joined(separator: "; "))
        }
        let foreignKeys = try connection.prepare("PRAGMA foreign_key_check")
        var violations: [String] = []
        while try foreignKeys.step() {
            violations.append("\(foreignKeys.text(0)) row \(foreignKeys.int64(1)) → \(foreignKeys.text(2))")
        }
        if !violations.isEmpty {
            throw StoreError(path: path, kind: .constraint,
                             message: "foreign key check failed: " + violations.prefix(5).joined(separator: "; "))
        }
    }

    /// Copies the WAL into the database file and truncates the WAL (e.g. at the end of a run, so
    /// the file is self-contained for copying).
    public func checkpoint() throws {
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing")
    }

    /// Names of every table and view users can export or query, sorted.
    public func tableNames() throws -> [String] {
        let stmt = try connection.prepare("""
            SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name
            """)
        var names: [String] = []
        while try stmt.step() { names.append(stmt.text(0)) }
        return names
    }

    /// Number of rows of a query's result (for tests and reports).
    public func count(query sql: String) throws -> Int {
        let stmt = try connection.prepare("SELECT count(*) FROM (\(sql))")
        return try stmt.step() ? stmt.int(0) : 0
    }
}
