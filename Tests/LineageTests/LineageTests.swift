import XCTest
import Foundation
import CellTrackCore
@testable import Lineage

final class LineageTests: XCTestCase {
    func cell(_ frame: Int, _ x: Double, length: Double, area: Int = 100, border: Bool = false) -> LineageNode {
        LineageNode(frame: frame, label: UInt32(frame + 1), centroidX: x, centroidY: 10, area: area, length: length, touchesBorder: border)
    }

    func testExactExponentialGivesBackItsRate() throws {
        let mu = 0.9 // 1/h
        let times = (0..<12).map { Double($0) * 6 }    // minutes
        let fit = try XCTUnwrap(GrowthFit.fit(timesHours: times.map { $0 / 60 }, values: times.map { 2 * exp(mu * $0 / 60) }))
        XCTAssertEqual(fit.ratePerHour, mu, accuracy: 1e-12)
        XCTAssertEqual(fit.standardError!, 0, accuracy: 1e-9)
        XCTAssertEqual(fit.rSquared!, 1, accuracy: 1e-12)
        XCTAssertEqual(fit.count, 12)
        XCTAssertEqual(fit.doublingTimeHours!, log(2) / mu, accuracy: 1e-12)
    }

    func testFitAgainstHandComputedRegression() throws {
        // ln values 0, 1, 1, 3 at t = 0, 1, 2, 3: slope 0.9, intercept -0.1, SSR 0.7, Syy 4.75.
        let fit = try XCTUnwrap(GrowthFit.fit(timesHours: [0, 1, 2, 3], values: [1, M_E, M_E, exp(3)]))
        XCTAssertEqual(fit.ratePerHour, 0.9, accuracy: 1e-12)
        XCTAssertEqual(fit.standardError!, (0.7 / 2 / 5).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(fit.rSquared!, 1 - 0.7 / 4.75, accuracy: 1e-12)
        XCTAssertNil(GrowthFit.fit(timesHours: [0], values: [1]))
        XCTAssertNil(GrowthFit.fit(timesHours: [1, 1], values: [1, 2]))
        XCTAssertNil(GrowthFit.fit(timesHours: [0, 1], values: [1, 2])!.standardError)
    }

    /// Mother grows for 5 frames then divides; one daughter divides again, the other is lost.
    func testTracksFatesGenerationsAndRates() throws {
        var g = LineageGraph()
        let mu = 1.2
        var mother: [Int] = []
        for t in 0..<5 { mother.append(g.addNode(cell(t, 50, length: 10 * exp(mu * Double(t) * 5 / 60)))) }
        for t in 1..<5 { try g.link(parent: mother[t - 1], child: mother[t]) }
        var a: [Int] = [], b: [Int] = []
        for t in 5..<10 {
            a.append(g.addNode(cell(t, 40, length: 6 * exp(mu * Double(t - 5) * 5 / 60))))
            b.append(g.addNode(cell(t, 60, length: 6 * exp(0.5 * Double(t - 5) * 5 / 60))))
        }
        try g.link(parent: mother[4], child: a[0]); try g.link(parent: mother[4], child: b[0])
        g.divisions.append(DivisionEvidence(mother: mother[4], daughterA: a[0], daughterB: b[0], overlapA: 1, overlapB: 1, sizeRatio: 1, adjacent: true))
        for t in 1..<5 { try g.link(parent: a[t - 1], child: a[t]); try g.link(parent: b[t - 1], child: b[t]) }
        let c1 = g.addNode(cell(10, 35, length: 6)), c2 = g.addNode(cell(10, 45, length: 6))
        try g.link(parent: a[4], child: c1); try g.link(parent: a[4], child: c2)
        let late = g.addNode(cell(11, 35, length: 6.5))
        try g.link(parent: c1, child: late)
        g.firstFrame = 0; g.lastFrame = 11
        let r = try LineageBuilder.build(graph: g, frameTimesMin: (0..<12).map { Double($0) * 5 })
        XCTAssertEqual(r.tracks.count, 5)
        let ids = r.tracks.map(\.id)
        XCTAssertEqual(ids, [1, 2, 3, 4, 5])
        XCTAssertEqual(r.tracks[0].fate, .divided)
        XCTAssertEqual(r.tracks[0].lengthFit!.ratePerHour, mu, accuracy: 1e-9)
        XCTAssertFalse(r.tracks[0].isCompleteCycle)
        let ta = r.tracks[r.trackOfNode[a[0]] - 1], tb = r.tracks[r.trackOfNode[b[0]] - 1]
        XCTAssertEqual(ta.id, 2, "ordered by position: x 40 before x 60")
        XCTAssertEqual(ta.fate, .divided)
        XCTAssertTrue(ta.isCompleteCycle)
        XCTAssertEqual(ta.lengthFit!.ratePerHour, mu, accuracy: 1e-9)
        XCTAssertEqual(ta.addedLength, 6 * exp(mu * 20 / 60) - 6, accuracy: 1e-9)
        XCTAssertEqual(tb.fate, .lost)
        XCTAssertEqual(tb.lengthFit!.ratePerHour, 0.5, accuracy: 1e-9)
        XCTAssertEqual(tb.generation, 1)
        let t1 = r.tracks[r.trackOfNode[c1] - 1], t2 = r.tracks[r.trackOfNode[c2] - 1]
        XCTAssertEqual(t1.generation, 2)
        XCTAssertEqual(t1.root, 1)
        XCTAssertEqual(t1.fate, .endOfMovie)
        XCTAssertEqual(t2.fate, .lost)
        XCTAssertEqual(t2.parent, ta.id)
        // Instantaneous rate: window of 5 within the track; the mother's middle node sees 5 exact points.
        XCTAssertEqual(r.instantaneousRate[mother[2]]!, mu, accuracy: 1e-9)
        XCTAssertEqual(r.instantaneousRate[mother[0]]!, mu, accuracy: 1e-9, "clipped window of 3")
        XCTAssertNil(r.instantaneousRate[c2], "one-point track")
    }

    func testMissingFrameTimeThrows() throws {
        var g = LineageGraph()
        g.addNode(cell(3, 0, length: 5))
        XCTAssertThrowsError(try LineageBuilder.build(graph: g, frameTimesMin: [0, 5]))
    }

    func testGraphInvariantsAreEnforced() throws {
        var g = LineageGraph()
        let a = g.addNode(cell(0, 0, length: 5)), b = g.addNode(cell(1, 0, length: 5))
        let c = g.addNode(cell(1, 0, length: 5)), d = g.addNode(cell(1, 0, length: 5)), e = g.addNode(cell(0, 0, length: 5))
        XCTAssertThrowsError(try g.link(parent: b, child: a))
        XCTAssertThrowsError(try g.link(parent: b, child: c), "same frame is not forward")
        try g.link(parent: a, child: b); try g.link(parent: a, child: c)
        XCTAssertThrowsError(try g.link(parent: a, child: d))
        XCTAssertThrowsError(try g.link(parent: e, child: b))
        g.unlink(child: b)
        XCTAssertEqual(g.children(of: a), [c])
        try g.validate()
    }
}
