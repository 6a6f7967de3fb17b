import CellTrackCore
import Foundation

/// Post-linking corrections on the small per-cell graph (no images needed).
enum GraphRepair {
    /// Minimum fraction of a cell's pixels inside its successor for "it went into that cell".
    static let intoFraction = 0.5

    /// One-frame split: a division m → {a, b} where b ends right away and most of b's pixels are
    /// in a's successor (the two pieces merge back) is a segmentation glitch, not a division.
    /// b is detached and marked as a fragment.
    static func repairSplits(_ g: inout LineageGraph, successor: NodeIndexColumn, fraction: [Double]) {
        for d in g.divisions.sorted(by: { $0.mother < $1.mother }) {
            for (keep, drop) in [(d.daughterA, d.daughterB), (d.daughterB, d.daughterA)] {
                guard g.childCount(of: drop) == 0, g.childCount(of: keep) == 1 else { continue }
                let next = g.firstChild[keep]
                // The pieces merge back: the piece's pixels go into the kept piece's successor, which
                // is about as large as both (a daughter pushed out over the border is not a piece).
                guard successor[drop] == next, fraction[drop] >= intoFraction,
                      g.nodes[next].frame == g.nodes[drop].frame + 1, !g.nodes[drop].touchesBorder,
                      Double(g.nodes[next].area) >= 0.7 * Double(g.nodes[keep].area + g.nodes[drop].area) else { continue }
                g.unlink(child: drop)
                g.markFragment(drop)
                break
            }
        }
    }

    /// One-frame merge: cells p and b at t−1 become one blob c at t (p → c linked, b ended into c)
    /// which "divides" at t+1. That is b missing in one frame: the division is undone and b is
    /// linked over the gap to the daughter nearer to it.
    static func repairMerges(_ g: inout LineageGraph, successor: NodeIndexColumn, fraction: [Double], drifts: [FrameDrift]) {
        var endedInto: [Int: [Int]] = [:]
        for n in 0..<g.count where g.childCount(of: n) == 0 && successor[n] >= 0 && fraction[n] >= intoFraction
            && !g.nodes[n].isFragment {
            endedInto[successor[n], default: []].append(n)
        }
        let drift = DriftTable(drifts)
        for d in g.divisions.sorted(by: { $0.mother < $1.mother }) {
            let c = d.mother
            let p = g.parent[c]
            guard p >= 0, g.childCount(of: p) == 1, let ended = endedInto[c] else { continue }
            // b is a whole cell inside the field, and the blob is about as large as both.
            guard let b = ended.filter({
                $0 != p && g.childCount(of: $0) == 0 && g.nodes[$0].frame == g.nodes[c].frame - 1 && !g.nodes[$0].touchesBorder
                    && Double(g.nodes[c].area) >= 0.7 * Double(g.nodes[p].area + g.nodes[$0].area)
            }).min() else { continue }
            let x = d.daughterA, y = d.daughterB
            func dist(_ from: Int, _ to: Int) -> Double {
                let (dx, dy) = drift.shift(from: g.nodes[from].frame, to: g.nodes[to].frame)
                return hypot(g.nodes[to].centroidX - g.nodes[from].centroidX - dx, g.nodes[to].centroidY - g.nodes[from].centroidY - dy)
            }
            let moveToB = dist(b, x) + dist(p, y) <= dist(b, y) + dist(p, x) ? x : y
            g.unlink(child: moveToB)
            try? g.link(parent: b, child: moveToB)
        }
    }

    /// Links track ends (not at the border) to track starts 2…maxGap+1 frames later by a global assignment.
    /// Cost = drift-corrected distance / (max displacement × frames spanned) + |ln(area ratio)|.
    static func closeGaps(_ g: inout LineageGraph, drifts: [FrameDrift], maxGapFrames: Int,
                          maxDisplacementPx: Double, maxCost: Double) {
        guard g.count > 0, maxDisplacementPx > 0 else { return }
        // Cells that vanish while touching the border have exited: no gap to close.
        let ends = (0..<g.count).filter {
            g.childCount(of: $0) == 0 && !g.nodes[$0].isFragment && g.nodes[$0].frame < g.lastFrame && !g.nodes[$0].touchesBorder
        }
        let startList = (0..<g.count).filter {
            g.parent[$0] < 0 && !g.nodes[$0].isFragment && g.nodes[$0].frame > g.firstFrame
        }
        guard !ends.isEmpty, !startList.isEmpty else { return }
        var startsByFrame: [Int: [Int]] = [:]
        for (k, s) in startList.enumerated() { startsByFrame[g.nodes[s].frame, default: []].append(k) }
        let drift = DriftTable(drifts)
        var links: [CandidateLink] = []
        for (row, e) in ends.enumerated() {
            let ne = g.nodes[e]
            for gap in 2...(maxGapFrames + 1) {
                guard let ks = startsByFrame[ne.frame + gap] else { continue }
                let (dx, dy) = drift.shift(from: ne.frame, to: ne.frame + gap)
                for k in ks {
                    let ns = g.nodes[startList[k]]
                    let dist = hypot(ns.centroidX - ne.centroidX - dx, ns.centroidY - ne.centroidY - dy)
                    let cost = dist / (maxDisplacementPx * Double(gap))
                        + abs(log(Double(max(ns.area, 1)) / Double(max(ne.area, 1))))
                    if cost < maxCost { links.append(CandidateLink(row: row, column: k, cost: cost)) }
                }
            }
        }
        guard !links.isEmpty else { return }
        let match = LinkAssignment.solve(rows: ends.count, columns: startList.count, links: links,
                                         endCost: [Double](repeating: maxCost / 2, count: ends.count),
                                         startCost: [Double](repeating: maxCost / 2, count: startList.count))
        for (row, k) in match.enumerated() where k >= 0 {
            try? g.link(parent: ends[row], child: startList[k])
        }
    }
}

/// Cumulative drift by frame index (frames without an entry contribute nothing).
struct DriftTable {
    private var frames: [Int] = []
    private var cumX: [Double] = []
    private var cumY: [Double] = []

    init(_ drifts: [FrameDrift]) {
        var x = 0.0, y = 0.0
        for d in drifts.sorted(by: { $0.frame < $1.frame }) {
            x += d.dx; y += d.dy
            frames.append(d.frame); cumX.append(x); cumY.append(y)
        }
    }

    /// Cumulative drift up to and including `frame`.
    func cumulative(_ frame: Int) -> (Double, Double) {
        var lo = 0, hi = frames.count
        while lo < hi { let mid = (lo + hi) / 2; if frames[mid] <= frame { lo = mid + 1 } else { hi = mid } }
        return lo == 0 ? (0, 0) : (cumX[lo - 1], cumY[lo - 1])
    }

    func shift(from a: Int, to b: Int) -> (Double, Double) {
        let (ax, ay) = cumulative(a), (bx, by) = cumulative(b)
        return (bx - ax, by - ay)
    }
}
