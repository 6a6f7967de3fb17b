import Foundation
import XCTest

/// `celltrack export csv` and the store's crash safety, through the built binary.
final class StoreCLITests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("celltrack-cli-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private static let benchArguments = ["--roots", "12", "--frames", "24", "--interval-min", "5", "--seed", "3"]

    private func makeDatabase(_ name: String = "sample.db") throws -> String {
        let db = path(name)
        let result = try CLI.run(["bench-store", "--db", db] + Self.benchArguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return db
    }

    private func csv(_ db: String, query: String) throws -> String {
        let result = try CLI.run(["export", "csv", "--db", db, "--query", query, "--out", "-"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    private func count(_ db: String, _ sql: String) throws -> Int {
        let lines = try csv(db, query: "SELECT count(*) AS n FROM (\(sql))").split(separator: "\r\n")
        return Int(lines[1])!
    }

    private static var python: String? {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"]
        where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return nil
    }

    func testEveryTableAndViewExportsAndParsesWithPythonCSV() throws {
        let db = try makeDatabase()
        let names = try csv(db, query: "SELECT name FROM sqlite_master WHERE type IN ('table','view') ORDER BY name")
            .split(separator: "\r\n").dropFirst().map(String.init)
        XCTAssertGreaterThanOrEqual(names.count, 16)
        let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/check_csv.py").path
        for name in names {
            let out = path("\(name).csv")
            let result = try CLI.run(["export", "csv", "--db", db, "--table", name, "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            let expected = try count(db, "SELECT * FROM \"\(name)\"")
            XCTAssertGreaterThan(expected, 0, name)
            let text = try String(contentsOfFile: out, encoding: .utf8)
            XCTAssertEqual(text.components(separatedBy: "\r\n").count - 2, expected, "\(name): CSV rows ≠ SQL count")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
            if let python = Self.python {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: python)
                process.arguments = [checker, out, String(expected)]
                let pipe = Pipe()
                process.standardError = pipe
                process.standardOutput = Pipe()
                try process.run()
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0,
                               "\(name): " + String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
        }
    }

    func testStdoutQueryExportHasHeaderAndFullPrecision() throws {
        let db = try makeDatabase()
        let text = try csv(db, query: "SELECT 1.0/3 AS third, 'a,\"b\"' AS quoted, NULL AS missing, x'00ff' AS bytes")
        XCTAssertEqual(text, "third,quoted,missing,bytes\r\n0.3333333333333333,\"a,\"\"b\"\"\",,00ff\r\n")
    }

    func testBadDatabaseTableOrQueryExitsOneWithClearMessage() throws {
        let db = try makeDatabase()
        let junk = path("junk.db")
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: junk))
        let cases: [([String], String)] = [
            (["--db", path("missing.db"), "--table", "cell"], "no such database file"),
            (["--db", junk, "--table", "cell"], "not an SQLite database"),
            (["--db", db, "--table", "cells"], "no table or view named 'cells'"),
            (["--db", db, "--query", "DROP TABLE cell"], "must only read"),
            (["--db", db, "--query", "SELECT nope FROM cell"], "no such column"),
        ]
        for (arguments, message) in cases {
            let result = try CLI.run(["export", "csv"] + arguments + ["--out", "-"])
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(arguments[1]), "the message must name the database: \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty || result.stdout.hasPrefix("celltrack") == false)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("missing.db")), "export must not create a database")
        let both = try CLI.run(["export", "csv", "--db", db, "--table", "cell", "--query", "SELECT 1", "--out", "-"])
        XCTAssertEqual(both.status, 2, "usage error: \(both.stderr)")
        // A failed export leaves neither the CSV nor its partial file behind.
        let out = path("bad.csv")
        XCTAssertEqual(try CLI.run(["export", "csv", "--db", db, "--query", "SELECT nope", "--out", out]).status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
    }

    /// The kill test: the store's writer is killed with SIGKILL four times — twice by this test
    /// between frames, twice by itself inside a frame's transaction (after the frame's rows are
    /// inserted, before the commit) — and resumed each time; the final database equals an
    /// uninterrupted one (all tables; run timestamps excepted).
    func testKilledWriterResumesToTheSameDatabase() throws {
        let whole = try makeDatabase("whole.db")
        let killed = path("killed.db")
        var kills = 0
        // (kill after this committed frame, crash inside this frame's transaction, expected first frame)
        let plan: [(Int?, Int?, Int)] = [(2, nil, 0), (nil, 6, 3), (12, nil, 6), (nil, 18, 13)]
        for (afterFrame, crashFrame, expectedStart) in plan {
            let process = Process()
            process.executableURL = CLI.binary
            var arguments = ["bench-store", "--db", killed, "--pause-ms", "30"] + Self.benchArguments
            if let crashFrame { arguments += ["--crash-inside-frame", String(crashFrame)] }
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = Pipe()
            try process.run()
            let marker = afterFrame.map { "committed frame \($0)\n" } ?? "crashing inside frame"
            var seen = ""
            while !seen.contains(marker) {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }   // the writer ended before reaching the marker
                seen += String(decoding: data, as: UTF8.self)
            }
            if afterFrame != nil, process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL { kills += 1 }
            XCTAssertTrue(seen.contains("starting at frame \(expectedStart) of"), seen)
            if let crashFrame { XCTAssertFalse(seen.contains("committed frame \(crashFrame)\n"), seen) }
        }
        XCTAssertEqual(kills, 4, "the writer was not interrupted as planned")
        let final = try CLI.run(["bench-store", "--db", killed] + Self.benchArguments)
        XCTAssertEqual(final.status, 0, final.stderr)
        XCTAssertTrue(final.stdout.contains("resumed"), final.stdout)

        let queries = [
            "SELECT run_id, tool_version, command_line, parameters_json, input_fingerprint, parameter_hash, status, error_message FROM run ORDER BY run_id",
            "SELECT * FROM movie ORDER BY movie_id", "SELECT * FROM frame ORDER BY movie_id, frame_index",
            "SELECT * FROM cell ORDER BY cell_id", "SELECT * FROM cell_channel ORDER BY cell_id, channel_index",
            "SELECT * FROM track ORDER BY movie_id, track_id", "SELECT * FROM division ORDER BY movie_id, mother_track_id",
        ]
        for query in queries {
            XCTAssertEqual(try csv(killed, query: query), try csv(whole, query: query), query)
        }
        XCTAssertEqual(try csv(killed, query: "SELECT * FROM pragma_integrity_check"), "integrity_check\r\nok\r\n")
        XCTAssertEqual(try count(killed, "SELECT * FROM pragma_foreign_key_check"), 0)
    }
}
