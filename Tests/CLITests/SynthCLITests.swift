import Foundation
import XCTest

/// `celltrack synth` as a user runs it: the output layout, determinism and usage errors.
final class SynthCLITests: XCTestCase {
    func testSynthWritesTheOutputLayout() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("synth-cli-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        let out = base.appendingPathComponent("movie").path
        let arguments = ["synth", "--out", out, "--frames", "5", "--size", "64x80", "--cells", "2", "--seed", "11",
                         "--pixel-size", "0.2", "--interval", "4", "--drift", "0.05", "--quiet"]
        let result = try CLI.run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        let fm = FileManager.default
        for file in ["stack.tif", "01/t000.tif", "01/t004.tif", "01_GT/TRA/man_track000.tif", "01_GT/TRA/man_track004.tif",
                     "01_GT/TRA/man_track.txt", "01_GT/SEG/man_seg000.tif", "01_GT/SEG/man_seg004.tif",
                     "gt_tracks.csv", "gt_cells.csv", "gt_objects.csv", "params.json"] {
            XCTAssertTrue(fm.fileExists(atPath: out + "/" + file), file)
        }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: out + "/01").filter { $0.hasSuffix(".tif") }.count, 5)
        let csv = try String(contentsOfFile: out + "/gt_tracks.csv", encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("track_id,parent_id,first_frame,last_frame,fate,growth_rate_per_h,"))
        let manTrack = try String(contentsOfFile: out + "/01_GT/TRA/man_track.txt", encoding: .utf8)
        XCTAssertEqual(manTrack.split(separator: "\n").count, csv.split(separator: "\n").count - 1)

        // Same flags → byte-identical files.
        let again = base.appendingPathComponent("again").path
        var second = arguments
        second[2] = again
        XCTAssertEqual(try CLI.run(second).status, 0)
        for file in ["stack.tif", "01_GT/TRA/man_track003.tif", "gt_cells.csv", "params.json"] {
            XCTAssertEqual(fm.contents(atPath: out + "/" + file), fm.contents(atPath: again + "/" + file), file)
        }
    }

    func testSynthRejectsBadOptionsWithUsageExitCode() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("synth-bad-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        for bad in [["--size", "64by64"], ["--bit-depth", "12"], ["--polarity", "green"]] {
            let result = try CLI.run(["synth", "--out", out] + bad)
            XCTAssertEqual(result.status, 2, "\(bad): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("invalid"), result.stderr)
        }
    }
}
