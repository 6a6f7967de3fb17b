import XCTest
import CellTrackCore
@testable import Tracking

final class OverlapTests: XCTestCase {
    func randomLabels(_ w: Int, _ h: Int, _ n: Int, _ rng: inout SplitMix64) -> LabelImage {
        var boxes: [(label: UInt32, box: Box)] = []
        for k in 0..<n {
            boxes.append((UInt32(k + 1) * 37, Box(x: Int.random(in: -3..<w, using: &rng), y: Int.random(in: -3..<h, using: &rng),
                                                  w: Int.random(in: 1...9, using: &rng), h: Int.random(in: 1...9, using: &rng))))
        }
        return paint(width: w, height: h, boxes)
    }

    func testCoOccurrenceMatchesReference() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<30 {
            let w = Int.random(in: 1...40, using: &rng), h = Int.random(in: 1...30, using: &rng)
            let a = randomLabels(w, h, 12, &rng), b = randomLabels(w, h, 12, &rng)
            let ra = regionsOf(a), rb = regionsOf(b)
            let da = try DenseLabels(labels: a, regionLabels: ra.map(\.label))
            let db = try DenseLabels(labels: b, regionLabels: rb.map(\.label))
            let sx = Int.random(in: -5...5, using: &rng), sy = Int.random(in: -5...5, using: &rng)
            let fast = OverlapCounter.count(previous: da, current: db, width: w, height: h, shiftX: sx, shiftY: sy, expectedPairs: 4)
            let ref = OverlapCounter.countReference(previous: a.pixels, current: b.pixels, width: w, height: h, shiftX: sx, shiftY: sy)
            var got: [UInt64: Int] = [:]
            for o in fast {
                let la = UInt64(ra[Int(o.previous)].label), lb = UInt64(rb[Int(o.current)].label)
                got[la << 32 | lb] = Int(o.pixels)
            }
            XCTAssertEqual(got, ref)
            XCTAssertEqual(fast, fast.sorted { ($0.previous, $0.current) < ($1.previous, $1.current) })
        }
    }

    func testHugeLabelValuesAreRelabelled() throws {
        let img = paint(width: 10, height: 4, [(4_000_000_000, Box(x: 0, y: 0, w: 3, h: 2)), (7, Box(x: 5, y: 1, w: 2, h: 2))])
        let r = regionsOf(img)
        let d = try DenseLabels(labels: img, regionLabels: r.map(\.label))
        let o = OverlapCounter.count(previous: d, current: d, width: 10, height: 4, shiftX: 0, shiftY: 0, expectedPairs: 2)
        XCTAssertEqual(o, [Overlap(previous: 0, current: 0, pixels: 4), Overlap(previous: 1, current: 1, pixels: 6)])
    }

    func testUnknownLabelThrows() {
        let img = paint(width: 5, height: 5, [(3, Box(x: 0, y: 0, w: 2, h: 2))])
        XCTAssertThrowsError(try DenseLabels(labels: img, regionLabels: [4]))
    }

    func testAdjacencyWithinGap() throws {
        // 1 and 2 touch; 2 and 3 are 2 px apart; 3 and 4 are 4 px apart (vertically).
        let img = paint(width: 30, height: 20, [(1, Box(x: 0, y: 0, w: 3, h: 3)), (2, Box(x: 3, y: 0, w: 3, h: 3)),
                                                 (3, Box(x: 8, y: 0, w: 3, h: 3)), (4, Box(x: 8, y: 7, w: 3, h: 3))])
        let d = try DenseLabels(labels: img, regionLabels: [1, 2, 3, 4])
        let adj = OverlapCounter.adjacency(d, width: 30, height: 20, gap: 2)
        XCTAssertEqual(adj, [OverlapCounter.key(0, 1), OverlapCounter.key(1, 2)])
        let touching = OverlapCounter.adjacency(d, width: 30, height: 20, gap: 0)
        XCTAssertEqual(touching, [OverlapCounter.key(0, 1)])
    }

    func testRunOverlapsAndAdjacencyEqualTheLabelImageVersions() throws {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<40 {
            let w = Int.random(in: 1...40, using: &rng), h = Int.random(in: 1...30, using: &rng)
            let a = randomLabels(w, h, 12, &rng), b = randomLabels(w, h, 12, &rng)
            let ra = regionsOf(a), rb = regionsOf(b)
            let da = try DenseLabels(labels: a, regionLabels: ra.map(\.label))
            let db = try DenseLabels(labels: b, regionLabels: rb.map(\.label))
            let runsA = try RegionRuns(cells: LabelRuns(a), regionLabels: ra.map(\.label))
            let runsB = try RegionRuns(cells: LabelRuns(b), regionLabels: rb.map(\.label))
            for _ in 0..<3 {
                let sx = Int.random(in: -6...6, using: &rng), sy = Int.random(in: -6...6, using: &rng)
                XCTAssertEqual(OverlapCounter.count(previous: runsA, current: runsB, shiftX: sx, shiftY: sy, expectedPairs: 4),
                               OverlapCounter.count(previous: da, current: db, width: w, height: h, shiftX: sx, shiftY: sy, expectedPairs: 4))
            }
            for gap in [0, 1, 3] {
                XCTAssertEqual(OverlapCounter.adjacency(runsB, gap: gap), OverlapCounter.adjacency(db, width: w, height: h, gap: gap))
            }
        }
        let img = paint(width: 5, height: 5, [(3, Box(x: 0, y: 0, w: 2, h: 2))])
        XCTAssertThrowsError(try RegionRuns(cells: LabelRuns(img), regionLabels: [4]))
    }
}
