import XCTest
import CellTrackCore
import Lineage
@testable import Tracking

/// Hand-made movies: label values are deliberately changed from frame to frame.
final class TrackerTests: XCTestCase {
    let w = 120, h = 60

    func rod(_ label: UInt32, _ x: Int, _ y: Int, length: Int = 20, width: Int = 6) -> (label: UInt32, box: Box) {
        (label, Box(x: x, y: y, w: length, h: width))
    }

    func lineage(_ g: LineageGraph) throws -> LineageResult {
        try LineageBuilder.build(graph: g, frameTimesMin: (0...max(g.lastFrame, 0)).map { Double($0) * 5 })
    }

    func testStillCellIsOneTrack() throws {
        let frames = (0..<4).map { t in paint(width: w, height: h, [rod(UInt32(10 + t), 40, 20)]) }
        let (_, g) = try track(frames)
        let r = try lineage(g)
        XCTAssertEqual(r.tracks.count, 1)
        XCTAssertEqual(r.tracks[0].fate, .endOfMovie)
        XCTAssertEqual(r.tracks[0].nodes.count, 4)
        XCTAssertTrue(g.divisions.isEmpty)
    }

    func testDriftingCellIsOneTrack() throws {
        let frames = (0..<6).map { t in paint(width: w, height: h, [rod(UInt32(6 - t), 10 + 8 * t, 20 + t)]) }
        let (tracker, g) = try track(frames)
        XCTAssertEqual(try lineage(g).tracks.count, 1)
        XCTAssertEqual(tracker.drifts[2].dx, 8, accuracy: 1e-9)
        XCTAssertEqual(tracker.drifts[2].dy, 1, accuracy: 1e-9)
    }

    func testStageJumpKeepsEveryTrack() throws {
        // 12 cells on a lattice; between frames 1 and 2 the stage jumps by (+70, +45) px, further than
        // any cell's own displacement gate (30 px), so only the drift estimate can link them.
        let W = 400, H = 300
        func frame(_ t: Int) -> LabelImage {
            let (ox, oy) = t >= 2 ? (70, 45) : (0, 0)
            var cells: [(label: UInt32, box: Box)] = []
            for k in 0..<12 {
                let x = 20 + (k % 4) * 50 + (k * 7) % 11 + ox, y = 20 + (k / 4) * 40 + (k * 5) % 7 + oy
                cells.append((UInt32((k * 5 + t * 3) % 12 + 1), Box(x: x, y: y, w: 18 + k % 3, h: 6)))
            }
            return paint(width: W, height: H, cells)
        }
        let (tracker, g) = try track((0..<4).map(frame))
        let r = try lineage(g)
        XCTAssertEqual(r.tracks.count, 12)
        XCTAssertTrue(r.tracks.allSatisfy { $0.nodes.count == 4 })
        XCTAssertEqual(tracker.drifts[1].method, "vote")
        XCTAssertEqual(tracker.drifts[1].dx, 70, accuracy: 1e-9)
        XCTAssertEqual(tracker.drifts[1].dy, 45, accuracy: 1e-9)
    }

    func testDeceleratingStageDriftKeepsBothTracks() throws {
        // A long and a short rod side by side while the stage drifts by -100, -80, -64, ... px per
        // frame (as in ecoli-trpL). The previous drift, used as a hint, is 20 px off: each rod then
        // lands on its neighbour, whose size differs, so no overlap is trustworthy. The drift must
        // be re-estimated, not reset to 0 (which broke every track of ecoli-trpL).
        let W = 700, H = 100
        var x = 560.0, step = -100.0
        var frames: [LabelImage] = []
        for t in 0..<8 {
            let px = Int(x.rounded())
            frames.append(paint(width: W, height: H, [(UInt32(2 * t + 1), Box(x: px, y: 20, w: 14, h: 60)),
                                                      (UInt32(2 * t + 2), Box(x: px + 16, y: 30, w: 14, h: 36))]))
            x += step
            step *= 0.8
        }
        let (tracker, g) = try track(frames)
        let r = try lineage(g)
        XCTAssertEqual(r.tracks.count, 2, "drifts: \(tracker.drifts.map { Int($0.dx) })")
        XCTAssertTrue(r.tracks.allSatisfy { $0.nodes.count == 8 })
        XCTAssertEqual(tracker.drifts[1].dx, -80, accuracy: 1)
    }

    func testDivisionIsCalledWithEvidence() throws {
        let frames = [
            paint(width: w, height: h, [rod(1, 40, 20, length: 30)]),
            paint(width: w, height: h, [rod(1, 40, 20, length: 32)]),
            paint(width: w, height: h, [rod(9, 40, 20, length: 16), rod(4, 57, 20, length: 16)]),   // 1 px apart
            paint(width: w, height: h, [rod(2, 39, 20, length: 17), rod(3, 58, 20, length: 17)]),
        ]
        let (_, g) = try track(frames)
        XCTAssertEqual(g.divisions.count, 1)
        let d = g.divisions[0]
        XCTAssertEqual(d.mother, node(g, frame: 1, label: 1))
        XCTAssertEqual(Set([d.daughterA, d.daughterB]), Set([node(g, frame: 2, label: 9), node(g, frame: 2, label: 4)]))
        XCTAssertEqual(d.sizeRatio, 32.0 / 32.0, accuracy: 1e-9)
        XCTAssertEqual(min(d.overlapA, d.overlapB), 15.0 / 16.0, accuracy: 1e-9, "the right daughter sticks out 1 px")
        XCTAssertTrue(d.adjacent)
        let r = try lineage(g)
        XCTAssertEqual(r.tracks.count, 3)
        XCTAssertEqual(r.tracks[0].fate, .divided)
        XCTAssertEqual(r.tracks[0].daughters, [2, 3])
        XCTAssertEqual(r.tracks[1].parent, 1)
        XCTAssertEqual(r.tracks[2].generation, 1)
        XCTAssertEqual(r.tracks[2].root, 1)
        // Daughter ids ordered by position: the left one (x 40) first.
        XCTAssertEqual(g.nodes[r.tracks[1].nodes[0]].label, 9)
    }

    func testDaughtersFarApartAreNotADivision() throws {
        let frames = [
            paint(width: w, height: h, [rod(1, 40, 20, length: 30)]),
            paint(width: w, height: h, [rod(2, 40, 20, length: 15), rod(3, 62, 20, length: 15)]),   // 7 px gap
        ]
        let (_, g) = try track(frames)
        XCTAssertTrue(g.divisions.isEmpty)
        var p = LinkingParameters()
        p.requireAdjacentDaughters = false
        let (_, g2) = try track(frames, p)
        XCTAssertEqual(g2.divisions.count, 1, "without the adjacency rule, 8/15 inside the mother is enough")
        p.minDaughterOverlap = 0.6
        let (_, g3) = try track(frames, p)
        XCTAssertTrue(g3.divisions.isEmpty, "the right piece lies only 8/15 inside the mother")
    }

    func testOneFrameSplitIsNotADivision() throws {
        let frames = [
            paint(width: w, height: h, [rod(1, 40, 20, length: 30)]),
            paint(width: w, height: h, [rod(5, 40, 20, length: 15), rod(6, 56, 20, length: 15)]),
            paint(width: w, height: h, [rod(3, 40, 20, length: 31)]),
            paint(width: w, height: h, [rod(8, 40, 20, length: 32)]),
        ]
        let (tracker, g) = try track(frames)
        XCTAssertEqual(tracker.graph.divisions.count, 1, "the raw link calls a division …")
        XCTAssertTrue(g.divisions.isEmpty, "… which glitch repair removes")
        let r = try lineage(g)
        let main = r.tracks.filter { $0.nodes.count == 4 }
        XCTAssertEqual(main.count, 1)
        XCTAssertEqual(g.nodes.filter(\.isFragment).count, 1)
        try g.validate()
    }

    func testOneFrameMergeIsNotADivision() throws {
        let frames = [
            paint(width: w, height: h, [rod(1, 30, 20, length: 16), rod(2, 47, 20, length: 16)]),
            paint(width: w, height: h, [rod(1, 30, 20, length: 16), rod(2, 47, 20, length: 16)]),
            paint(width: w, height: h, [rod(7, 30, 20, length: 33)]),                         // merged blob
            paint(width: w, height: h, [rod(4, 30, 20, length: 16), rod(3, 47, 20, length: 16)]),
            paint(width: w, height: h, [rod(2, 30, 20, length: 16), rod(1, 47, 20, length: 16)]),
        ]
        let (_, g) = try track(frames)
        XCTAssertTrue(g.divisions.isEmpty)
        let r = try lineage(g)
        XCTAssertEqual(r.tracks.count, 2)
        let left = r.trackOfNode[node(g, frame: 0, label: 1)], right = r.trackOfNode[node(g, frame: 0, label: 2)]
        XCTAssertEqual(r.trackOfNode[node(g, frame: 4, label: 2)], left)
        XCTAssertEqual(r.trackOfNode[node(g, frame: 4, label: 1)], right)
        try g.validate()
    }

    func testGapsOfOneAndTwoFramesAreClosed() throws {
        for gap in 1...2 {
            var frames: [LabelImage] = []
            for t in 0..<(4 + gap) {
                let missing = t >= 2 && t < 2 + gap
                frames.append(paint(width: w, height: h, missing ? [rod(1, 80, 40)] : [rod(1, 80, 40), rod(UInt32(2 + t), 20 + 2 * t, 10)]))
            }
            let (_, g) = try track(frames)
            let r = try lineage(g)
            XCTAssertEqual(r.tracks.count, 2, "gap \(gap)")
            var p = LinkingParameters()
            p.maxGapFrames = gap - 1
            let (_, open) = try track(frames, p)
            XCTAssertEqual(try lineage(open).tracks.count, 3, "gap \(gap) left open")
        }
    }

    func testCellLeavingAtTheBorderExits() throws {
        let frames = (0..<5).map { t in
            paint(width: w, height: h, t < 4 ? [rod(1, 10, 10), rod(2, 85 + 10 * t, 30)] : [rod(1, 10, 10)])
        }
        let (_, g) = try track(frames)
        let r = try lineage(g)
        XCTAssertEqual(r.tracks.count, 2)
        let leaving = r.trackOfNode[node(g, frame: 0, label: 2)]
        XCTAssertEqual(r.tracks[leaving - 1].fate, .exited)
        XCTAssertEqual(r.tracks[leaving - 1].lastFrame, 3)
        // A cell that vanishes inside the field is lost, not exited.
        let vanishing = (0..<3).map { t in paint(width: w, height: h, t < 2 ? [rod(1, 10, 10), rod(2, 50, 30)] : [rod(1, 10, 10)]) }
        let (_, g2) = try track(vanishing)
        let r2 = try lineage(g2)
        XCTAssertEqual(r2.tracks[r2.trackOfNode[node(g2, frame: 0, label: 2)] - 1].fate, .lost)
    }

    func testRegionOrderDoesNotMatter() throws {
        var rng = SplitMix64(seed: 3)
        let frames = (0..<5).map { t in paint(width: w, height: h, (0..<6).map { k in rod(UInt32(k + 1 + t), 5 + 19 * k, 10 + 3 * k + t, length: 15) }) }
        var a = try Tracker(), b = try Tracker()
        for (i, f) in frames.enumerated() {
            try a.addFrame(index: i, labels: f, regions: regionsOf(f))
            try b.addFrame(index: i, labels: f, regions: regionsOf(f).shuffled(using: &rng))
        }
        XCTAssertEqual(a.finish(), b.finish())
    }

    func testBadInputThrows() throws {
        var t = try Tracker()
        let f = paint(width: w, height: h, [rod(1, 10, 10)])
        try t.addFrame(index: 0, labels: f, regions: regionsOf(f))
        XCTAssertThrowsError(try t.addFrame(index: 0, labels: f, regions: regionsOf(f)))
        XCTAssertThrowsError(try t.addFrame(index: 1, labels: paint(width: 5, height: 5, []), regions: []))
        XCTAssertThrowsError(try t.addFrame(index: 1, labels: f, regions: []))
        var p = LinkingParameters()
        p.maxDisplacementUm = -1
        XCTAssertThrowsError(try Tracker(parameters: p))
    }

    func testParametersDecodeFromPartialJSON() throws {
        let p = try JSONDecoder().decode(LinkingParameters.self, from: Data(#"{"maxGapFrames": 4, "requireAdjacentDaughters": false}"#.utf8))
        var want = LinkingParameters()
        want.maxGapFrames = 4
        want.requireAdjacentDaughters = false
        XCTAssertEqual(p, want)
        let round = try JSONDecoder().decode(LinkingParameters.self, from: JSONEncoder().encode(want))
        XCTAssertEqual(round, want)
    }
}
