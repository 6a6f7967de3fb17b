import Foundation
import XCTest
@testable import CellTrackCore

/// The graph is kept for a whole movie (one node per cell per frame): its storage stays compact,
/// and the compact fields read back what was stored.
final class LineageGraphStorageTests: XCTestCase {
    func testNodeAndLinksStayCompact() {
        XCTAssertEqual(MemoryLayout<LineageNode>.stride, 40)
        var g = LineageGraph()
        let a = g.addNode(LineageNode(frame: 3, label: 7, centroidX: 1.5, centroidY: 2.5, area: 1_234_567,
                                      length: 9.25, touchesBorder: true))
        let b = g.addNode(LineageNode(frame: 4, label: 8, centroidX: 1.5, centroidY: 2.5, area: 20, length: 5,
                                      touchesBorder: false))
        XCTAssertNoThrow(try g.link(parent: a, child: b))
        XCTAssertEqual(g.nodes[a].frame, 3)
        XCTAssertEqual(g.nodes[a].area, 1_234_567)
        XCTAssertEqual(g.parent[b], a)
        XCTAssertEqual(g.parent[a], -1)
        XCTAssertEqual(g.firstChild[a], b)
        XCTAssertEqual(g.secondChild[a], -1)
    }

    func testCodableRoundTripKeepsTheFieldNames() throws {
        var g = LineageGraph()
        let a = g.addNode(LineageNode(frame: 0, label: 1, centroidX: 3, centroidY: 4, area: 10, length: 6, touchesBorder: false))
        let b = g.addNode(LineageNode(frame: 2, label: 5, centroidX: 3.5, centroidY: 4, area: 11, length: 6.5,
                                      touchesBorder: false, isFragment: false))
        try g.link(parent: a, child: b)
        let data = try JSONEncoder().encode(g)
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"frame\"", "\"area\"", "\"label\"", "\"parent\":[-1,0]"] { XCTAssertTrue(text.contains(key), key) }
        XCTAssertEqual(try JSONDecoder().decode(LineageGraph.self, from: data), g)
    }
}
