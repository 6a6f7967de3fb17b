import Foundation
import XCTest

/// `celltrack segment` as a user runs it: output files, option handling, exit codes.
final class SegmentCLITests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples").path

    func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("celltrack-segment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.path
    }

    func testSegmentsEveryFrameInOrderWithCTCNames() throws {
        let out = try temporaryFolder()
        let result = try CLI.run(["segment", Self.samples + "/synthetic/stack.tif", "--out", out, "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(files.count, 40)
        XCTAssertEqual(files.first, "mask000.tif")
        XCTAssertEqual(files.last, "mask039.tif")
        let info = try CLI.run(["info", out + "/mask039.tif"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("256 x 256"), info.stdout)
        XCTAssertTrue(info.stdout.contains("uint16"), info.stdout)
    }

    func testSameMasksWhateverTheThreadCount() throws {
        let one = try temporaryFolder(), two = try temporaryFolder()
        let input = Self.samples + "/synthetic/stack.tif"
        XCTAssertEqual(try CLI.run(["segment", input, "--out", one, "--threads", "1"]).status, 0)
        XCTAssertEqual(try CLI.run(["segment", input, "--out", two, "--threads", "3"]).status, 0)
        for name in ["mask000.tif", "mask017.tif", "mask039.tif"] {
            XCTAssertEqual(FileManager.default.contents(atPath: one + "/" + name),
                           FileManager.default.contents(atPath: two + "/" + name), name)
        }
    }

    func testToyAndOptions() throws {
        let out = try temporaryFolder()
        let result = try CLI.run(["segment", Self.samples + "/toy/disks_speckled.tif", "--out", out,
                                  "--open-radius", "5", "--markers", "peak", "--threshold", "0.5",
                                  "--polarity", "bright", "--smooth-sigma", "0", "--flatfield", "0", "--pixel-size", "0.1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/mask000.tif"))
    }

    func testBadValuesAreUsageErrors() throws {
        let out = try temporaryFolder()
        let toy = Self.samples + "/toy/disks.tif"
        for bad in [["--polarity", "up"], ["--threshold", "otsux"], ["--markers", "blob"], ["--method", "magic"],
                    ["--open-radius", "-1"], ["--smooth-sigma", "-2"], ["--pixel-size", "0"], ["--min-distance", "0"]] {
            let result = try CLI.run(["segment", toy, "--out", out] + bad)
            XCTAssertEqual(result.status, 2, "\(bad): \(result.stderr)")
            XCTAssertFalse(result.stderr.isEmpty)
        }
    }

    /// `--config` takes the `run` configuration file or just its "segmentation" object, with any
    /// key left out; an unknown key is an error naming it.
    func testConfigFilesArePartialAndChecked() throws {
        let out = try temporaryFolder()
        let toy = Self.samples + "/toy/disks_speckled.tif"
        let partial = out + "/partial.json", full = out + "/run.json", typo = out + "/typo.json"
        try Data("{\"openRadius\": 5}".utf8).write(to: URL(fileURLWithPath: partial))
        try Data("{\"segmentation\": {\"openRadius\": 5}}".utf8).write(to: URL(fileURLWithPath: full))
        try Data("{\"opneRadius\": 5}".utf8).write(to: URL(fileURLWithPath: typo))
        var outputs: [Data] = []
        for config in [partial, full] {
            let dir = out + "/" + URL(fileURLWithPath: config).lastPathComponent + ".out"
            let result = try CLI.run(["segment", toy, "--out", dir, "--method", "recipe", "--config", config])
            XCTAssertEqual(result.status, 0, result.stderr)
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/mask000.tif")))
        }
        XCTAssertEqual(outputs[0], outputs[1], "both forms give the same parameters")
        let bad = try CLI.run(["segment", toy, "--out", out + "/bad", "--config", typo])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("opneRadius"), bad.stderr)
    }

    func testMissingInputIsExitOne() throws {
        let out = try temporaryFolder()
        let result = try CLI.run(["segment", "/nonexistent/movie.tif", "--out", out])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("/nonexistent/movie.tif"), result.stderr)
    }
}
