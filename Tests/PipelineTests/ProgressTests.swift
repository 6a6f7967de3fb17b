import XCTest
@testable import Pipeline

final class ProgressTests: XCTestCase {
    func testLogLinesAreThrottledButTheLastFrameIsAlwaysReported() {
        var lines: [String] = []
        let start = Date()
        let progress = ProgressReporter(total: 10, mode: .logLines, logInterval: 5, sink: { lines.append($0) })
        progress.update(done: 1, cells: 5, now: start.addingTimeInterval(1))
        progress.update(done: 2, cells: 5, now: start.addingTimeInterval(2))   // within 5 s: skipped
        progress.update(done: 9, cells: 5, now: start.addingTimeInterval(7))
        progress.update(done: 10, cells: 7, now: start.addingTimeInterval(7.5))
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("frame 1/10"))
        XCTAssertTrue(lines[2].hasPrefix("frame 10/10"))
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix("\n") })
    }

    func testQuietPrintsNothing() {
        var lines: [String] = []
        let progress = ProgressReporter(total: 3, mode: .quiet, sink: { lines.append($0) })
        progress.update(done: 3, cells: 1)
        progress.finish()
        XCTAssertTrue(lines.isEmpty)
    }

    func testDescribeShowsRateAndETA() {
        let text = ProgressReporter.describe(done: 10, total: 30, cells: 100, elapsed: 5)
        XCTAssertEqual(text, "frame 10/30  2.00 frames/s  100 cells  ETA 10 s")
    }

    func testDurations() {
        XCTAssertEqual(ProgressReporter.formatDuration(42), "42 s")
        XCTAssertEqual(ProgressReporter.formatDuration(185), "3 min 05 s")
        XCTAssertEqual(ProgressReporter.formatDuration(7620), "2 h 07 min")
    }
}
