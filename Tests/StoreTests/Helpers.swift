import Foundation
import XCTest
@testable import Store

/// A fresh temporary directory per test, removed afterwards.
class StoreTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("celltrack-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory {
            _ = chmod(directory.path, 0o755)
            try? FileManager.default.removeItem(at: directory)
        }
    }

    func dbPath(_ name: String = "test.db") -> String { directory.appendingPathComponent(name).path }

    /// The repository root (Tests/StoreTests/ → ../..).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static let runRecord = RunRecord(commandLine: "celltrack run movie.tif", parametersJSON: #"{"threshold":0.5}"#,
                                     inputFingerprint: "movie.tif:1000:1")

    /// A database holding one synthetic movie written frame by frame, with its lineage.
    @discardableResult
    func fillSynthetic(_ store: Store, parameters: SyntheticLineage.Parameters = .init(roots: 12, frames: 30, frameIntervalMin: 5, seed: 3),
                       run: RunRecord = StoreTestCase.runRecord, name: String = "synthetic") throws -> (RunProgress, MovieProgress, SyntheticLineage) {
        let synthetic = SyntheticLineage.generate(parameters, name: name)
        let progress = try store.beginOrResume(run: run)
        let movie = try store.addMovie(synthetic.movie, runID: progress.runID)
        for entry in synthetic.frames {
            try store.writeFrame(entry.frame, cells: entry.cells, movieID: movie.movieID)
        }
        try store.replaceLineage(movieID: movie.movieID, tracks: synthetic.tracks, divisions: synthetic.divisions,
                                 assignments: synthetic.assignments)
        try store.finishRun(runID: progress.runID)
        return (progress, movie, synthetic)
    }

    /// Every row of every table, as text, for comparing whole databases (run timestamps excluded).
    func dump(_ store: Store, excluding: Set<String> = []) throws -> [String: String] {
        var result: [String: String] = [:]
        let order = ["run": "run_id", "movie": "movie_id", "frame": "movie_id, frame_index", "cell": "cell_id",
                     "cell_channel": "cell_id, channel_index", "track": "movie_id, track_id",
                     "division": "movie_id, mother_track_id"]
        for table in ["run", "movie", "frame", "cell", "cell_channel", "track", "division"] where !excluding.contains(table) {
            var text = ""
            let columns = table == "run"
                ? "run_id, tool_version, command_line, parameters_json, input_fingerprint, parameter_hash, status, error_message" : "*"
            try store.exportCSV(query: "SELECT \(columns) FROM \(table) ORDER BY \(order[table]!)") { text += $0 }
            result[table] = text
        }
        return result
    }
}

/// An RFC 4180 parser (the test's "standard parser" when Python is absent): quoted fields with
/// doubled quotes, CRLF or LF record ends.
enum RFC4180 {
    struct ParseError: Error, CustomStringConvertible { var description: String }

    static func parse(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var afterQuote = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { inQuotes = false; afterQuote = true }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !afterQuote else { throw ParseError(description: "quote inside an unquoted field") }
                inQuotes = true
            case ",":
                record.append(field); field = ""; afterQuote = false
            case "\r":
                guard chars.first == "\n" else { throw ParseError(description: "bare CR") }
            case "\n":
                record.append(field); records.append(record); record = []; field = ""; afterQuote = false
            default:
                guard !afterQuote else { throw ParseError(description: "text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        guard !inQuotes else { throw ParseError(description: "unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
