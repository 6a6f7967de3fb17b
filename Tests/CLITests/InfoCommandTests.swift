import Foundation
import XCTest

/// `celltrack info` as a user runs it: text, JSON, exit codes and one-line error messages.
final class InfoCommandTests: XCTestCase {
    /// The ImageIO fixtures in the source tree (tests run from a clone, no shared data needed).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ImageIOTests/Fixtures").path

    func fixture(_ name: String) -> String { Self.fixtures + "/" + name }

    func testTextOutput() throws {
        let result = try CLI.run(["info", fixture("imagej_hyperstack.tif")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("frames:         3"), result.stdout)
        XCTAssertTrue(result.stdout.contains("size:           13 x 9"), result.stdout)
        XCTAssertTrue(result.stdout.contains("uint16"), result.stdout)
        XCTAssertTrue(result.stdout.contains("channels:       2"), result.stdout)
        XCTAssertTrue(result.stdout.contains("0.1 µm"), result.stdout)
        XCTAssertTrue(result.stdout.contains("2 min"), result.stdout)
        XCTAssertEqual(result.stderr, "")
    }

    func testJSONOutputForSeveralInputs() throws {
        let result = try CLI.run(["info", "--json", fixture("bigendian_uint16.tif"), fixture("series"),
                                  fixture("tiled_uint16.tif"), fixture("bigtiff_stack.tif")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(objects.count, 4)
        XCTAssertEqual(objects[0]["byteOrder"] as? String, "big-endian")
        XCTAssertEqual(objects[0]["compression"] as? String, "Deflate")
        XCTAssertEqual(objects[0]["predictor"] as? Int, 2)
        XCTAssertTrue(objects[0]["pixelSizeUm"] is NSNull)
        XCTAssertEqual(objects[1]["frames"] as? Int, 3)
        XCTAssertEqual(objects[1]["files"] as? Int, 3)
        XCTAssertEqual(objects[2]["tiling"] as? String, "tiles 16x16")
        XCTAssertEqual(objects[3]["bigTIFF"] as? Bool, true)
        XCTAssertEqual(objects[3]["frames"] as? Int, 3)
        XCTAssertEqual(objects[3]["sampleFormat"] as? String, "uint16")
    }

    func testBadInputExitsOneWithOneLineNamingTheFile() throws {
        for name in ["bad_truncated.tif", "bad_not_a_tiff.tif", "bad_empty.tif", "bad_mixed_sizes.tif",
                     "bad_complex64.tif", "missing.tif"] {
            let result = try CLI.run(["info", fixture(name)])
            XCTAssertEqual(result.status, 1, name)
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(name), result.stderr)
            XCTAssertFalse(result.stderr.contains("TIFFReadDirectory:") && !result.stderr.hasPrefix("celltrack:"),
                           "libtiff must not print by itself: \(result.stderr)")
        }
    }

    func testGoodInputsAreStillDescribedWhenOneIsBad() throws {
        let result = try CLI.run(["info", fixture("type_uint8.tif"), fixture("bad_empty.tif")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("type_uint8.tif"))
        XCTAssertTrue(result.stderr.contains("bad_empty.tif"))
    }

    func testUsageErrorsExitTwo() throws {
        XCTAssertEqual(try CLI.run(["info"]).status, 2)
        XCTAssertEqual(try CLI.run(["info", "--channel", "x", fixture("type_uint8.tif")]).status, 2)
    }

    func testChannelOutOfRangeIsBadInput() throws {
        let result = try CLI.run(["info", "--channel", "5", fixture("imagej_hyperstack.tif")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("channel 5"), result.stderr)
    }
}
