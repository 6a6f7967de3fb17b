import Foundation
import XCTest
@testable import Synth

final class SynthWriterTests: XCTestCase {
    func testWritesTheLayoutByteIdentically() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("synth-writer-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        var p = smallParameters(frames: 4)
        p.width = 48; p.height = 40
        let a = base.appendingPathComponent("a").path, b = base.appendingPathComponent("b").path
        let summary = try SynthWriter.write(p, to: a)
        try SynthWriter.write(p, to: b)
        XCTAssertEqual(summary.frames, 4)
        let files = ["stack.tif", "01/t000.tif", "01/t003.tif", "01_GT/TRA/man_track000.tif", "01_GT/TRA/man_track003.tif",
                     "01_GT/TRA/man_track.txt", "01_GT/SEG/man_seg000.tif", "01_GT/SEG/man_seg003.tif",
                     "gt_tracks.csv", "gt_cells.csv", "gt_objects.csv", "params.json"]
        for file in files {
            let da = try Data(contentsOf: URL(fileURLWithPath: a + "/" + file))
            let db = try Data(contentsOf: URL(fileURLWithPath: b + "/" + file))
            XCTAssertFalse(da.isEmpty, file)
            XCTAssertEqual(da, db, "\(file) differs between two runs with the same seed")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: a + "/01/t004.tif"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a + "/params.json")))
        let parameters = (json as? [String: Any])?["parameters"] as? [String: Any]
        XCTAssertEqual(parameters?["frames"] as? Int, 4)
    }
}
