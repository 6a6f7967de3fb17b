import XCTest
import CellTrackCore
import Tracking
@testable import Pipeline

final class GraphSpillTests: XCTestCase {
    /// Segments come back from the file as they went in (with and without divisions), in order,
    /// and the file has no name in its directory meanwhile (nothing is left behind).
    func testSegmentsRoundTripThroughTheFile() throws {
        var rng = SplitMix64(seed: 8)
        var segments: [TrackerSegment] = []
        var first = 0
        for k in 0..<5 {
            let n = k == 2 ? 1 : 50 + k * 7
            let nodes = (0..<n).map { i in
                LineageNode(frame: k, label: UInt32(i + 1), centroidX: rng.nextDouble() * 100, centroidY: rng.nextDouble() * 100,
                            area: 40 + i, length: rng.nextDouble() * 30, touchesBorder: i % 5 == 0, isFragment: i % 7 == 0)
            }
            func column() -> [Int32] { (0..<n).map { _ in rng.nextDouble() < 0.3 ? -1 : Int32(first + n + Int(rng.nextDouble() * 40)) } }
            let divisions = k % 2 == 0 ? [] : [DivisionEvidence(mother: first, daughterA: first + n, daughterB: first + n + 1,
                                                                overlapA: 0.8, overlapB: 0.7, sizeRatio: 1.01, adjacent: true)]
            segments.append(TrackerSegment(
                graph: LineageGraph.Segment(firstNode: first, nodes: nodes, parent: column(), firstChild: column(),
                                            secondChild: column(), divisions: divisions),
                successor: column(), successorFraction: (0..<n).map { _ in rng.nextDouble() }))
            first += n
        }
        let directory = NSTemporaryDirectory()
        var path = ""
        do {
            let spill = try GraphSpill(directory: directory)
            path = spill.path
            for s in segments { try spill.append(s) }
            let next = try spill.reader()
            var back: [TrackerSegment] = []
            while let s = try next() { back.append(s) }
            XCTAssertEqual(back, segments)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "unlinked while in use")
            XCTAssertNil(try next(), "then nil")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
