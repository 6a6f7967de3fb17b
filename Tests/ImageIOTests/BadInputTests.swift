import Foundation
import XCTest
import CellTrackCore
@testable import ImageIO

/// Every bad input gives one InputError naming the file (and page when known), never a crash.
final class BadInputTests: XCTestCase {
    /// Opens and reads every frame, so problems found at open or at decode both count.
    private func readAll(_ path: String) throws {
        let movie = try MovieReader(inputs: [path])
        for index in 0..<movie.frameCount { _ = try movie.readFrame(index) }
    }

    func testNotATIFF() {
        let error = assertInputError("bad_not_a_tiff.tif") { try readAll(Fixtures.path("bad_not_a_tiff.tif")) }
        XCTAssertEqual(error?.problem, "not a TIFF file")
    }

    func testEmptyFile() {
        let error = assertInputError("bad_empty.tif") { try readAll(Fixtures.path("bad_empty.tif")) }
        XCTAssertTrue(error?.problem.contains("empty") ?? false)
    }

    func testTruncatedFile() {
        let error = assertInputError("bad_truncated.tif") { try readAll(Fixtures.path("bad_truncated.tif")) }
        XCTAssertTrue(error?.problem.contains("truncated") ?? false, "\(String(describing: error))")
        XCTAssertNotNil(error?.frame)
        assertInputError("bad_truncated_header.tif") { try readAll(Fixtures.path("bad_truncated_header.tif")) }
    }

    func testImageJContiguousStackMissingImages() {
        let error = assertInputError("bad_imagej_contiguous_truncated.tif") {
            try readAll(Fixtures.path("bad_imagej_contiguous_truncated.tif"))
        }
        XCTAssertTrue(error?.problem.contains("declares 3 images") ?? false, "\(String(describing: error))")
    }

    func testUnsupportedSampleFormats() {
        for name in ["bad_complex64.tif", "bad_float16.tif"] {
            let error = assertInputError(name) { try readAll(Fixtures.path(name)) }
            XCTAssertTrue(error?.problem.contains("unsupported sample format") ?? false, "\(String(describing: error))")
        }
    }

    func testPagesOfDifferentSizes() {
        let error = assertInputError("bad_mixed_sizes.tif") { try readAll(Fixtures.path("bad_mixed_sizes.tif")) }
        XCTAssertEqual(error?.frame, 1)
        XCTAssertTrue(error?.problem.contains("12x8") ?? false)
    }

    func testMissingFileAndEmptyFolder() throws {
        assertInputError("no_such_file.tif") { try readAll(Fixtures.path("no_such_file.tif")) }
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/notes.txt", contents: Data("x".utf8)))
        let error = assertInputError(folder) { try readAll(folder) }
        XCTAssertTrue(error?.problem.contains("no .tif") ?? false)
    }

    func testUnreadableFile() throws {
        guard getuid() != 0 else { throw XCTSkip("root can read any file") }
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/locked.tif"
        try FileManager.default.copyItem(atPath: Fixtures.path("type_uint8.tif"), toPath: path)
        chmod(path, 0)
        assertInputError("locked.tif") { try readAll(path) }
    }

    /// Separate readers on separate threads keep their libtiff messages apart.
    func testParallelReadersKeepTheirOwnErrors() {
        let lock = NSLock()
        var outcomes: [String] = []
        DispatchQueue.concurrentPerform(iterations: 16) { iteration in
            let bad = iteration % 2 == 0
            var outcome = ""
            do {
                try readAll(Fixtures.path(bad ? "bad_truncated.tif" : "comp_deflate_pred2.tif"))
                outcome = bad ? "bad file read" : "ok"
            } catch let error as InputError {
                outcome = bad && error.description.contains("bad_truncated.tif") ? "ok" : "wrong error: \(error)"
            } catch {
                outcome = "unexpected \(error)"
            }
            lock.lock()
            outcomes.append(outcome)
            lock.unlock()
        }
        XCTAssertEqual(outcomes, Array(repeating: "ok", count: 16))
    }
}
