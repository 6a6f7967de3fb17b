import XCTest
@testable import Lineage

final class CTCSegmentsTests: XCTestCase {
    func testContinuousTracksKeepTheirIds() {
        let s = CTCSegments.make(tracks: [(1, nil, [0, 1, 2]), (2, 1, [3, 4]), (3, 1, [3])])
        XCTAssertEqual(s.resTrackText, "1 0 2 0\n2 3 4 1\n3 3 3 1\n")
        XCTAssertEqual(s.label(track: 2, frame: 4), 2)
    }

    func testGapsSplitTracksAndDaughtersFollowTheLastSegment() {
        let s = CTCSegments.make(tracks: [(1, nil, [0, 1, 4, 5]), (2, 1, [6]), (3, 1, [6, 7])])
        XCTAssertEqual(s.lines, [
            CTCSegment(label: 1, begin: 0, end: 1, parent: 0),
            CTCSegment(label: 2, begin: 6, end: 6, parent: 4),
            CTCSegment(label: 3, begin: 6, end: 7, parent: 4),
            CTCSegment(label: 4, begin: 4, end: 5, parent: 1),
        ])
        XCTAssertEqual(s.label(track: 1, frame: 1), 1)
        XCTAssertEqual(s.label(track: 1, frame: 4), 4)
        XCTAssertEqual(s.label(track: 1, frame: 5), 4)
    }

    func testEverySegmentIsContinuousInItsFrames() {
        // Seeded random tracks with gaps: each segment's frames must be exactly begin...end.
        var rng: UInt64 = 99
        func next(_ n: Int) -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(n))
        }
        var tracks: [(id: Int, parent: Int?, frames: [Int])] = []
        for id in 1...30 {
            var f = next(10), frames: [Int] = []
            for _ in 0..<(1 + next(8)) { frames.append(f); f += 1 + (next(4) == 0 ? 1 + next(2) : 0) }
            tracks.append((id, id > 5 ? next(id - 1) + 1 : nil, frames))
        }
        let s = CTCSegments.make(tracks: tracks)
        for t in tracks {
            for f in t.frames {
                let label = s.label(track: t.id, frame: f)
                let segment = s.lines.first { $0.label == label }!
                XCTAssertTrue(segment.begin <= f && f <= segment.end)
            }
        }
        for segment in s.lines {
            let owners = tracks.filter { t in t.frames.contains { s.label(track: t.id, frame: $0) == segment.label } }
            XCTAssertEqual(owners.count, 1)
            let frames = owners[0].frames.filter { s.label(track: owners[0].id, frame: $0) == segment.label }
            XCTAssertEqual(frames, Array(segment.begin...segment.end))
        }
    }
}
