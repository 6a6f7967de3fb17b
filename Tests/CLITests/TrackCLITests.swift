import XCTest
import Foundation

/// `celltrack track` end to end, on ground-truth masks written by `celltrack synth`.
final class TrackCLITests: XCTestCase {
    func testTrackingSynthGroundTruthReproducesItsLineage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("celltrack-track-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let synth = try CLI.run(["synth", "--out", dir.path, "--frames", "24", "--size", "160x160", "--cells", "2",
                                 "--seed", "5", "--quiet"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let out = dir.appendingPathComponent("res")
        let track = try CLI.run(["track", "--masks", dir.appendingPathComponent("01_GT/TRA").path,
                                 "--db", dir.appendingPathComponent("t.sqlite").path,
                                 "--ctc-out", out.path, "--interval", "3", "--quiet"])
        XCTAssertEqual(track.status, 0, track.stderr)
        func table(_ url: URL) throws -> [[Int]] {
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        }
        let gt = try table(dir.appendingPathComponent("01_GT/TRA/man_track.txt"))
        let res = try table(out.appendingPathComponent("res_track.txt"))
        // A parent with a single child is a gap, or (in synth's truth) a division whose other
        // daughter is outside the field, which masks alone cannot show: merge such chains.
        func spans(_ t: [[Int]]) -> [[Int]] {
            var children: [Int: [Int]] = [:]
            for r in t where r[3] != 0 { children[r[3], default: []].append(r[0]) }
            let byLabel = Dictionary(uniqueKeysWithValues: t.map { ($0[0], $0) })
            var out: [[Int]] = []
            for r in t where !(r[3] != 0 && children[r[3]]!.count == 1) {
                var end = r[2], label = r[0]
                while let kids = children[label], kids.count == 1 { label = kids[0]; end = byLabel[label]![2] }
                out.append([r[1], end])
            }
            return out.sorted { $0.lexicographicallyPrecedes($1) }
        }
        func divisions(_ t: [[Int]]) -> Int { Dictionary(grouping: t.filter { $0[3] != 0 }, by: { $0[3] }).values.filter { $0.count == 2 }.count }
        XCTAssertEqual(divisions(res), divisions(gt))
        XCTAssertGreaterThan(divisions(gt), 0)
        XCTAssertEqual(spans(res), spans(gt))
        for k in 0..<24 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(String(format: "mask%03d.tif", k)).path))
        }
        let csv = try String(contentsOf: out.appendingPathComponent("tracks.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, res.count + 1, "one row per track (no gaps here)")
    }

    func testMissingMasksExitOne() throws {
        let r = try CLI.run(["track", "--masks", "/nonexistent/celltrack-masks", "--db", "/tmp/celltrack-never.sqlite", "--interval", "1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("/nonexistent/celltrack-masks"), r.stderr)
    }

    func testBadIntervalIsAUsageError() throws {
        let r = try CLI.run(["track", "--masks", "/tmp", "--db", "/tmp/celltrack-never.sqlite", "--interval", "-1"])
        XCTAssertEqual(r.status, 2)
    }
}
