import XCTest
import Foundation
import CellTrackCore
import Lineage
@testable import Tracking

/// `scale` multiplies cell lengths (larger cells → smaller pixelisation error in growth fits).
/// A seeded mother-machine-like movie: rods grow exponentially in horizontal lanes, divide at
/// about twice their birth length, push each other towards the open right end and exit there.
struct LaneMovie {
    struct Cell { var id: Int; var length: Double; var rate: Double; var divideAt: Double }
    var frames: [LabelImage] = []
    /// truth[t][label] = true cell id.
    var truth: [[UInt32: Int]] = []
    var parent: [Int: Int] = [:]
    var rate: [Int: Double] = [:]
    /// True division events: (mother id, daughter ids) where all three are visible.
    var divisions: Set<[Int]> = []
    var firstFrame: [Int: Int] = [:]

    init(seed: UInt64, frames count: Int, lanes: Int = 4, width: Int = 160, scale: Double = 1, dropProbability: Double = 0, minutesPerFrame: Double = 5) {
        var rng = SplitMix64(seed: seed)
        let height = 14 * lanes + 6
        var nextID = 1
        var lanesCells: [[Cell]] = []
        for _ in 0..<lanes {
            var cells: [Cell] = []
            var x = 1.0
            while x < Double(width) - 30 * scale {
                let l = scale * Double.random(in: 12...22, using: &rng)
                cells.append(Cell(id: nextID, length: l, rate: Double.random(in: 0.5...0.7, using: &rng), divideAt: scale * Double.random(in: 22...26, using: &rng)))
                nextID += 1
                x += l + 1
            }
            lanesCells.append(cells)
        }
        let dtHours = minutesPerFrame / 60
        for t in 0..<count {
            if t > 0 {
                for k in 0..<lanes {
                    var next: [Cell] = []
                    for var c in lanesCells[k] {
                        c.length *= exp(c.rate * dtHours)
                        if c.length >= c.divideAt {
                            let half = (c.length - 1) / 2
                            for _ in 0..<2 {
                                next.append(Cell(id: nextID, length: half, rate: Double.random(in: 0.5...0.7, using: &rng),
                                                 divideAt: 2 * half * Double.random(in: 0.9...1.1, using: &rng)))
                                parent[nextID] = c.id
                                nextID += 1
                            }
                        } else {
                            next.append(c)
                        }
                    }
                    lanesCells[k] = next
                }
            }
            // Layout, exits, rendering with per-frame random labels.
            var boxes: [(label: UInt32, box: Box)] = []
            var map: [UInt32: Int] = [:]
            var labels = Array(1...4000).map { UInt32($0) }
            labels.shuffle(using: &rng)
            var used = 0
            for k in 0..<lanes {
                var x = 1.0
                var kept: [Cell] = []
                for c in lanesCells[k] {
                    let x0 = Int(x.rounded()), x1 = Int((x + c.length).rounded())
                    x += c.length + 1
                    if x0 >= width { continue }     // pushed out: gone for good
                    kept.append(c)
                    rate[c.id] = c.rate
                    if dropProbability > 0 && Double.random(in: 0..<1, using: &rng) < dropProbability { continue }
                    let label = labels[used]; used += 1
                    boxes.append((label, Box(x: x0, y: 4 + 14 * k, w: x1 - x0, h: 7)))
                    map[label] = c.id
                }
                lanesCells[k] = kept
            }
            frames.append(paint(width: width, height: height, boxes))
            truth.append(map)
            for id in map.values where firstFrame[id] == nil { firstFrame[id] = t }
        }
        // Divisions visible in full: mother in the frame before the daughters' first frame, both daughters then.
        var daughters: [Int: [Int]] = [:]
        for (d, m) in parent { daughters[m, default: []].append(d) }
        for (m, ds) in daughters where ds.count == 2 {
            guard let t = firstFrame[ds[0]], t > 0, firstFrame[ds[1]] == t, Set(truth[t - 1].values).contains(m) else { continue }
            divisions.insert([m] + ds.sorted())
        }
    }
}

final class RandomMovieTests: XCTestCase {
    func checkInvariants(_ g: LineageGraph, _ r: LineageResult, file: StaticString = #filePath, line: UInt = #line) throws {
        try g.validate()
        for c in 0..<g.count {
            let p = g.parent[c]
            if p >= 0 { XCTAssertLessThan(g.nodes[p].frame, g.nodes[c].frame, file: file, line: line) }
            XCTAssertLessThanOrEqual(g.childCount(of: c), 2, file: file, line: line)
        }
        for d in g.divisions { XCTAssertEqual(g.childCount(of: d.mother), 2, file: file, line: line) }
        XCTAssertEqual(g.divisions.count, (0..<g.count).filter { g.childCount(of: $0) == 2 }.count, file: file, line: line)
        for t in r.tracks {
            if let p = t.parent {
                XCTAssertLessThan(p, t.id, file: file, line: line)
                XCTAssertEqual(t.generation, r.tracks[p - 1].generation + 1, file: file, line: line)
                XCTAssertEqual(t.root, r.tracks[p - 1].root, file: file, line: line)
                XCTAssertTrue(r.tracks[p - 1].daughters.contains(t.id), file: file, line: line)
            } else {
                XCTAssertEqual(t.generation, 0, file: file, line: line)
                XCTAssertEqual(t.root, t.id, file: file, line: line)
            }
            XCTAssertEqual(t.fate == .divided, t.daughters.count == 2, file: file, line: line)
            for (a, b) in zip(t.nodes, t.nodes.dropFirst()) { XCTAssertEqual(g.parent[b], a, file: file, line: line) }
        }
        XCTAssertEqual(r.tracks.map(\.firstFrame), r.tracks.map(\.firstFrame).sorted(), file: file, line: line)
        XCTAssertEqual(r.tracks.reduce(0) { $0 + $1.nodes.count }, g.count, file: file, line: line)
    }

    func testCleanLaneMoviesAreTrackedExactly() throws {
        for seed: UInt64 in [1, 2, 3] {
            let movie = LaneMovie(seed: seed, frames: 50, width: 320, scale: 2)
            let (_, g) = try track(movie.frames)
            let r = try LineageBuilder.build(graph: g, frameTimesMin: (0..<50).map { Double($0) * 5 })
            try checkInvariants(g, r)
            func id(_ n: Int) -> Int { movie.truth[g.nodes[n].frame][g.nodes[n].label]! }
            // Every link is true: same cell, or mother → daughter.
            for c in 0..<g.count where g.parent[c] >= 0 {
                let a = id(g.parent[c]), b = id(c)
                XCTAssertTrue(a == b || movie.parent[b] == a, "seed \(seed): wrong link \(a) → \(b)")
            }
            // Every true continuation is linked.
            var missing = 0
            for c in 0..<g.count where g.nodes[c].frame > 0 && g.parent[c] < 0 {
                let b = id(c)
                if movie.firstFrame[b]! < g.nodes[c].frame { missing += 1 }
            }
            XCTAssertEqual(missing, 0, "seed \(seed)")
            // Divisions: exactly the visible ones.
            let found = Set(g.divisions.map { [id($0.mother)] + [id($0.daughterA), id($0.daughterB)].sorted() })
            XCTAssertEqual(found.subtracting(movie.divisions), [], "seed \(seed): false divisions")
            XCTAssertEqual(movie.divisions.subtracting(found), [], "seed \(seed): missed divisions")
            XCTAssertGreaterThan(found.count, 10)
            // Growth rates of complete cycles.
            var errors: [Double] = []
            for t in r.tracks where t.isCompleteCycle && t.nodes.count >= 8 && !t.nodes.contains(where: { g.nodes[$0].touchesBorder }) {
                let truth = movie.rate[id(t.nodes[0])]!
                errors.append(abs(t.lengthFit!.ratePerHour - truth) / truth)
            }
            XCTAssertGreaterThan(errors.count, 5)
            let median = errors.sorted()[errors.count / 2]
            XCTAssertLessThan(median, 0.03, "seed \(seed): median relative growth-rate error \(median)")
        }
    }

    func testResumingFromACheckpointEqualsAnUninterruptedRun() throws {
        let movie = LaneMovie(seed: 21, frames: 24, dropProbability: 0.03)
        let (whole, _) = try track(movie.frames)
        for stop in [0, 7, 15] {
            var first = try Tracker()
            for i in 0...stop { try first.addFrame(index: i, labels: movie.frames[i], regions: regionsOf(movie.frames[i])) }
            let saved = try JSONDecoder().decode(TrackerCheckpoint.self, from: JSONEncoder().encode(first.checkpoint()))
            var resumed = try Tracker(resuming: saved, lastLabels: movie.frames[stop], lastRegions: regionsOf(movie.frames[stop]))
            for i in (stop + 1)..<24 { try resumed.addFrame(index: i, labels: movie.frames[i], regions: regionsOf(movie.frames[i])) }
            XCTAssertEqual(resumed.checkpoint(), whole.checkpoint(), "stopped after frame \(stop)")
            XCTAssertEqual(resumed.finish(), whole.finish())
            // taking the graph out gives the same graph and leaves the tracker empty
            let expected = resumed.finish()
            XCTAssertEqual(resumed.takeFinished(), expected)
            XCTAssertEqual(resumed.graph.count, 0)
        }
        XCTAssertThrowsError(try Tracker(resuming: whole.checkpoint(), lastLabels: movie.frames[0], lastRegions: regionsOf(movie.frames[0])))
    }

    /// Taking frozen nodes out as the movie streams (every frame, or now and then) and giving
    /// them back at the end gives the graph of a tracker that kept everything, repairs included;
    /// the tracker holds only the last two frames' nodes meanwhile.
    func testFrozenSegmentsGiveBackTheWholeGraph() throws {
        for seed: UInt64 in [21, 22, 23] {
            let movie = LaneMovie(seed: seed, frames: 30, dropProbability: 0.05)
            let (whole, _) = try track(movie.frames)
            let expected = whole.finish()
            XCTAssertGreaterThan(expected.divisions.count, 3, "seed \(seed)")
            for every in [1, 4] {
                var tracker = try Tracker()
                var segments: [TrackerSegment] = []
                for (i, frame) in movie.frames.enumerated() {
                    try tracker.addFrame(index: i, labels: frame, regions: regionsOf(frame))
                    if i % every == 0, let frozen = tracker.removeFrozen() {
                        XCTAssertEqual(frozen.graph.firstNode, segments.last.map { $0.graph.firstNode + $0.graph.nodes.count } ?? 0)
                        segments.append(frozen)
                    }
                    let heldFrames = Set(tracker.graph.nodes.map(\.frame))
                    if every == 1 { XCTAssertLessThanOrEqual(heldFrames.count, 2, "seed \(seed), frame \(i)") }
                }
                XCTAssertGreaterThan(segments.count, 3)
                var next = segments.makeIterator()
                let assembled = tracker.takeFinished(segments: { next.next() })
                XCTAssertEqual(assembled, expected, "seed \(seed), every \(every) frames")
                try assembled.validate()
                XCTAssertEqual(tracker.graph.count, 0)
            }
        }
    }

    func testNoisyMoviesKeepTheInvariants() throws {
        for seed: UInt64 in [11, 12, 13, 14] {
            let movie = LaneMovie(seed: seed, frames: 30, dropProbability: 0.05)
            let (_, g) = try track(movie.frames)
            let r = try LineageBuilder.build(graph: g, frameTimesMin: (0..<30).map { Double($0) * 5 })
            try checkInvariants(g, r)
            // Most drops are bridged by gap closing: few tracks end as "lost".
            let lost = r.tracks.filter { $0.fate == .lost }.count
            XCTAssertLessThan(lost, r.tracks.count / 4, "seed \(seed)")
        }
    }

    func testOverlappingRandomBlobsKeepTheInvariants() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<5 {
            var frames: [LabelImage] = []
            for _ in 0..<8 {
                let n = Int.random(in: 0...25, using: &rng)
                frames.append(paint(width: 64, height: 48, (0..<n).map { k in
                    (UInt32(k + 1), Box(x: Int.random(in: -4..<64, using: &rng), y: Int.random(in: -4..<48, using: &rng),
                                        w: Int.random(in: 2...14, using: &rng), h: Int.random(in: 2...8, using: &rng)))
                }))
            }
            let (_, g) = try track(frames)
            let r = try LineageBuilder.build(graph: g, frameTimesMin: (0..<8).map { Double($0) })
            try checkInvariants(g, r)
        }
    }
}
