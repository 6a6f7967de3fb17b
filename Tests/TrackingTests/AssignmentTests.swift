import CellTrackCore
import XCTest
@testable import Tracking

final class AssignmentTests: XCTestCase {
    /// Exhaustive minimum over every partial matching (each row → a column or "end").
    func bruteForce(rows: Int, columns: Int, cost: [[Double?]], end: [Double], start: [Double]) -> Double {
        var best = Double.infinity
        var used = [Bool](repeating: false, count: columns)
        func go(_ r: Int, _ acc: Double) {
            if r == rows {
                var total = acc
                for c in 0..<columns where !used[c] { total += start[c] }
                best = min(best, total)
                return
            }
            go(r + 1, acc + end[r])
            for c in 0..<columns where !used[c] {
                if let x = cost[r][c] { used[c] = true; go(r + 1, acc + x); used[c] = false }
            }
        }
        go(0, 0)
        return best
    }

    func testMatchesBruteForceOnRandomSparseMatrices() {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<400 {
            let rows = Int.random(in: 0...6, using: &rng), columns = Int.random(in: 0...6, using: &rng)
            let density = Double.random(in: 0.2...1, using: &rng)
            var cost = [[Double?]](repeating: [Double?](repeating: nil, count: columns), count: rows)
            var links: [CandidateLink] = []
            for r in 0..<rows {
                for c in 0..<columns where Double.random(in: 0..<1, using: &rng) < density {
                    // Coarse values make ties frequent, which exercises the tie-breaking.
                    let x = Double(Int.random(in: 0...8, using: &rng)) / 4
                    cost[r][c] = x
                    links.append(CandidateLink(row: r, column: c, cost: x))
                }
            }
            let end = (0..<rows).map { _ in Double(Int.random(in: 1...4, using: &rng)) / 4 }
            let start = (0..<columns).map { _ in Double(Int.random(in: 1...4, using: &rng)) / 4 }
            let match = LinkAssignment.solve(rows: rows, columns: columns, links: links.shuffled(using: &rng),
                                             endCost: end, startCost: start)
            // A valid partial matching using only candidate links …
            var seen = Set<Int>()
            for (r, c) in match.enumerated() where c >= 0 {
                XCTAssertNotNil(cost[r][c], "trial \(trial): row \(r) matched to a non-candidate")
                XCTAssertTrue(seen.insert(c).inserted, "trial \(trial): column \(c) used twice")
            }
            // … of minimal total cost.
            let got = LinkAssignment.totalCost(rows: rows, columns: columns, links: links, endCost: end,
                                               startCost: start, assignment: match)
            let want = bruteForce(rows: rows, columns: columns, cost: cost, end: end, start: start)
            XCTAssertEqual(got, want, accuracy: 1e-9, "trial \(trial)")
        }
    }

    func testDeterministicUnderInputOrder() {
        var rng = SplitMix64(seed: 7)
        var links: [CandidateLink] = []
        for r in 0..<30 { for c in 0..<30 where (r * 7 + c * 3) % 5 == 0 { links.append(CandidateLink(row: r, column: c, cost: 0.5)) } }
        let a = LinkAssignment.solve(rows: 30, columns: 30, links: links, endCost: .init(repeating: 1, count: 30), startCost: .init(repeating: 1, count: 30))
        let b = LinkAssignment.solve(rows: 30, columns: 30, links: links.shuffled(using: &rng), endCost: .init(repeating: 1, count: 30), startCost: .init(repeating: 1, count: 30))
        XCTAssertEqual(a, b)
    }

    func testExpensiveLinksBecomeEndAndStart() {
        let m = LinkAssignment.solve(rows: 1, columns: 1, links: [CandidateLink(row: 0, column: 0, cost: 3)],
                                     endCost: [1], startCost: [1])
        XCTAssertEqual(m, [-1])
    }
}
