import Foundation
import Store
import XCTest

/// `celltrack run` and `export` as a user runs them, on the bundled synthetic sample.
final class RunCLITests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples")
    static let movie = samples.appendingPathComponent("synthetic/stack.tif").path

    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("celltrack-cli-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func testRunPrintsASummaryAndExportsCSVAndCTC() throws {
        let db = path("r.sqlite")
        let run = try CLI.run(["run", Self.movie, "--db", db, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("frames 40"), run.stdout)
        XCTAssertTrue(run.stdout.contains("growth rate (length, complete cycles) median"), run.stdout)
        XCTAssertTrue(run.stdout.contains("database: \(db)"), run.stdout)
        XCTAssertEqual(run.stderr, "", "--quiet prints no progress")

        let csv = try CLI.run(["export", "csv", "--db", db, "--table", "track", "--out", "-"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let header = csv.stdout.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        XCTAssertTrue(header.contains("track_id") && header.contains("growth_rate_length_per_h")
                      && header.contains("growth_rate_area_per_h"), header)

        let ctc = try CLI.run(["export", "ctc", "--db", db, "--out", path("ctc")])
        XCTAssertEqual(ctc.status, 0, ctc.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: path("ctc"))
        XCTAssertEqual(files.filter { $0.hasPrefix("mask") && $0.hasSuffix(".tif") }.count, 40)
        let resTrack = try String(contentsOfFile: path("ctc/res_track.txt"), encoding: .utf8)
        let lines = resTrack.split(separator: "\n").map { $0.split(separator: " ").compactMap { Int($0) } }
        XCTAssertTrue(lines.allSatisfy { $0.count == 4 && $0[1] <= $0[2] })
        // Parents end before their daughters begin.
        let byLabel = Dictionary(uniqueKeysWithValues: lines.map { ($0[0], $0) })
        for l in lines where l[3] != 0 { XCTAssertLessThan(byLabel[l[3]]![2], l[1]) }

        let masks = try CLI.run(["info", path("ctc/mask000.tif"), "--json"])
        XCTAssertEqual(masks.status, 0, masks.stderr)
    }

    func testUsageAndInputErrorsUseTheContractsExitCodes() throws {
        let noInput = try CLI.run(["run", "--db", path("x.sqlite")])
        XCTAssertEqual(noInput.status, 2)
        let missing = try CLI.run(["run", path("nope.tif"), "--db", path("x.sqlite")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.tif"), missing.stderr)
        let noInterval = try CLI.run(["run", Self.samples.appendingPathComponent("toy/disks.tif").path, "--db", path("x.sqlite")])
        XCTAssertEqual(noInterval.status, 1)
        XCTAssertTrue(noInterval.stderr.contains("disks.tif") && noInterval.stderr.contains("--interval"), noInterval.stderr)
        XCTAssertEqual(noInterval.stderr.split(separator: "\n").count, 1, "one line, no stack trace")
        try Data("{\"segmentation\": {\"opneRadius\": 3}}".utf8).write(to: folder.appendingPathComponent("bad.json"))
        let badConfig = try CLI.run(["run", Self.movie, "--db", path("x.sqlite"), "--config", path("bad.json")])
        XCTAssertEqual(badConfig.status, 1)
        XCTAssertTrue(badConfig.stderr.contains("segmentation.opneRadius"), badConfig.stderr)
        let printed = try CLI.run(["run", "--db", path("x.sqlite"), "--print-config"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertTrue(printed.stdout.contains("\"segmentation\""))
        let printedWithoutDB = try CLI.run(["run", "--print-config"])
        XCTAssertEqual(printedWithoutDB.status, 0, printedWithoutDB.stderr)
        XCTAssertEqual(printedWithoutDB.stdout, printed.stdout)
        let noDB = try CLI.run(["run", Self.movie])
        XCTAssertEqual(noDB.status, 2)
        XCTAssertTrue(noDB.stderr.contains("--db"), noDB.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.sqlite")), "no database for failed starts")
    }

    /// The kill test: SIGKILL a run at several points, resume it, and compare every table with an
    /// uninterrupted run's (timings excepted).
    func testKilledRunsResumeToTheUninterruptedResult() throws {
        let reference = path("reference.sqlite")
        XCTAssertEqual(try CLI.run(["run", Self.movie, "--db", reference, "--quiet", "--workers", "1"]).status, 0)
        let killed = path("killed.sqlite")
        var kills = 0
        for target in [3, 11, 24] {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["run", Self.movie, "--db", killed, "--quiet", "--workers", "2"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill as soon as `target` frames are committed (or the run is about to finish).
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline {
                if (try? committedFrames(killed)) ?? 0 >= target { break }
                usleep(2_000)
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        XCTAssertGreaterThan(kills, 0, "at least one run must have been killed mid-way")
        let resumed = try CLI.run(["run", Self.movie, "--db", killed, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = try Store(path: reference, options: .init(readOnly: true)).comparableContent()
        let b = try Store(path: killed, options: .init(readOnly: true)).comparableContent()
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for table in a.keys.sorted() { XCTAssertEqual(a[table], b[table], "table \(table) differs after kill + resume") }
        let store = try Store(path: killed, options: .init(readOnly: true))
        try store.checkIntegrity()
        XCTAssertEqual(try store.count(query: "SELECT run_id FROM run"), 1, "the killed runs resumed one run")
    }

    private func committedFrames(_ db: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: db) else { return 0 }
        return try Store(path: db, options: .init(readOnly: true)).count(query: "SELECT frame_index FROM frame")
    }
}
