import CellTrackCore
import Foundation

/// Global translation between two consecutive frames, in pixels (cell at t ≈ cell at t−1 + drift).
public struct FrameDrift: Sendable, Equatable, Codable {
    public var frame: Int
    public var dx: Double
    public var dy: Double
    /// How it was found: "overlap" (median of confident overlap matches), "vote" (stage-jump
    /// search over centroid displacements) or "none" (no cells to compare).
    public var method: String
}

/// Links label images frame by frame into a `LineageGraph`.
///
/// Streaming: `addFrame` keeps only the previous frame's label image and regions; everything
/// else is per-cell records. Frames must come in increasing index order and have one size.
///
/// ```swift
/// var tracker = try Tracker(parameters: LinkingParameters())
/// for (i, labels) in movie.enumerated() {
///     try tracker.addFrame(index: i, labels: labels, regions: measure(labels))
/// }
/// let graph = tracker.finish()      // glitch repair + gap closing
/// ```
public struct Tracker: Sendable {
    public let parameters: LinkingParameters
    /// Graph of direct frame-to-frame links so far (before `finish`'s repairs); after
    /// `removeFrozen`, only the nodes not yet taken out, numbered from `firstHeldNode`.
    public private(set) var graph = LineageGraph()
    /// Global index of `graph`'s node 0 (the nodes taken out by `removeFrozen` before it).
    public private(set) var firstHeldNode = 0
    /// One entry per linked frame pair.
    public private(set) var drifts: [FrameDrift] = []

    private var previous: FrameCells?
    /// Per node: the node of the next frame holding most of its pixels (−1) and that fraction.
    private var successor = NodeIndexColumn()   // 4 bytes per node
    private var successorFraction: [Double] = []
    private var maxDisplacementPx = 0.0

    public init(parameters: LinkingParameters = LinkingParameters()) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    /// Adds frame `index`. `regions` must hold exactly one entry per label present in `labels`
    /// (any order; labels unique and > 0). Throws `ParameterError` otherwise, or when the index
    /// does not increase or the size changes.
    public mutating func addFrame(index: Int, labels: LabelImage, regions: [Region]) throws {
        try addFrame(index: index, cells: LabelRuns(labels), regions: regions)
    }

    /// Adds frame `index` given as runs (no label image): the same as the label-image form.
    public mutating func addFrame(index: Int, cells: LabelRuns, regions: [Region]) throws {
        if let p = previous {
            guard index > p.frame else {
                throw ParameterError.invalid(name: "frame index", value: "\(index)", reason: "must exceed the previous frame \(p.frame)")
            }
            guard cells.width == p.width, cells.height == p.height else {
                throw ParameterError.invalid(name: "frame size", value: "\(cells.width)x\(cells.height)",
                                             reason: "differs from the previous frame's \(p.width)x\(p.height)")
            }
        }
        let labels = cells
        let sorted = try Self.sortedRegions(regions)
        let runs = try RegionRuns(cells: cells, regionLabels: sorted.map(\.label))
        let pixelSize = labels.pixelSize ?? parameters.fallbackPixelSizeUm
        maxDisplacementPx = parameters.maxDisplacementUm / pixelSize

        var nodeIDs: [Int] = []
        nodeIDs.reserveCapacity(sorted.count)
        for r in sorted {
            let border = r.minX <= 0 || r.minY <= 0 || r.maxX >= labels.width || r.maxY >= labels.height
            nodeIDs.append(firstHeldNode + graph.addNode(LineageNode(frame: index, label: r.label, centroidX: r.centroidX,
                                                     centroidY: r.centroidY, area: r.area, length: r.length,
                                                     touchesBorder: border)))
            successor.append(-1)
            successorFraction.append(0)
        }
        let current = FrameCells(frame: index, width: labels.width, height: labels.height, runs: runs,
                                 x: sorted.map(\.centroidX), y: sorted.map(\.centroidY),
                                 area: sorted.map(\.area), nodes: nodeIDs,
                                 border: nodeIDs.map { graph.nodes[$0 - firstHeldNode].touchesBorder }, pixelSize: pixelSize)
        if graph.firstFrame < 0 { graph.firstFrame = index }
        graph.lastFrame = index
        if let prev = previous {
            let hint = drifts.last.map { (Int($0.dx.rounded()), Int($0.dy.rounded())) } ?? (0, 0)
            let result = FrameLinker(parameters: parameters).link(prev, current, shiftHint: hint)
            drifts.append(FrameDrift(frame: index, dx: result.driftX, dy: result.driftY, method: result.driftMethod))
            // node ids are global; the graph holds nodes from `firstHeldNode` on (division
            // evidence stays global, see `LineageGraph.removePrefix`)
            let held = firstHeldNode
            for (m, j) in result.assignment.enumerated() where j >= 0 && !result.dividing.contains(m) {
                try graph.link(parent: prev.nodes[m] - held, child: current.nodes[j] - held)
            }
            for d in result.divisions {
                let mother = prev.nodes[d.mother]
                try graph.link(parent: mother - held, child: current.nodes[d.daughterA] - held)
                try graph.link(parent: mother - held, child: current.nodes[d.daughterB] - held)
                graph.divisions.append(DivisionEvidence(mother: mother, daughterA: current.nodes[d.daughterA],
                                                        daughterB: current.nodes[d.daughterB], overlapA: d.overlapA,
                                                        overlapB: d.overlapB, sizeRatio: d.sizeRatio, adjacent: d.adjacent))
            }
            for (m, s) in result.successor.enumerated() where s.current >= 0 {
                successor[prev.nodes[m] - held] = current.nodes[s.current]
                successorFraction[prev.nodes[m] - held] = s.fraction
            }
        }
        previous = current
    }

    /// Everything the tracker keeps besides the previous frame's label image: small per-cell
    /// records, so a pipeline can store it with each committed frame and resume after a crash.
    /// Needs every node held (no `removeFrozen`).
    public func checkpoint() -> TrackerCheckpoint {
        precondition(firstHeldNode == 0, "checkpoint after removeFrozen")
        return TrackerCheckpoint(parameters: parameters, graph: graph, drifts: drifts, successor: Array(successor),
                          successorFraction: successorFraction, maxDisplacementPx: maxDisplacementPx)
    }

    /// Resumes from `checkpoint` with the label image and regions of its last frame (re-read from
    /// the stored masks). Adding the remaining frames then gives exactly the graph of an
    /// uninterrupted run. Throws when the regions do not match the checkpoint's last frame.
    ///
    /// ```swift
    /// var tracker = try Tracker(resuming: saved, lastLabels: masks[k], lastRegions: regions[k])
    /// for i in (k + 1)..<n { try tracker.addFrame(index: i, labels: masks[i], regions: regions[i]) }
    /// ```
    public init(resuming checkpoint: TrackerCheckpoint, lastLabels: LabelImage, lastRegions: [Region]) throws {
        try self.init(resuming: checkpoint, lastCells: LabelRuns(lastLabels), lastRegions: lastRegions)
    }

    /// Resumes from `checkpoint` with its last frame's cells as runs.
    public init(resuming checkpoint: TrackerCheckpoint, lastCells lastLabels: LabelRuns, lastRegions: [Region]) throws {
        try checkpoint.parameters.validate()
        parameters = checkpoint.parameters
        graph = checkpoint.graph
        drifts = checkpoint.drifts
        successor = NodeIndexColumn(checkpoint.successor)
        successorFraction = checkpoint.successorFraction
        maxDisplacementPx = checkpoint.maxDisplacementPx
        guard successor.count == graph.count, successorFraction.count == graph.count else {
            throw ParameterError.invalid(name: "checkpoint", value: "\(successor.count) records", reason: "does not match its graph of \(graph.count) nodes")
        }
        guard graph.lastFrame >= 0 else { return }
        let sorted = try Self.sortedRegions(lastRegions)
        let nodes = (0..<graph.count).filter { graph.nodes[$0].frame == graph.lastFrame }
        guard nodes.map({ graph.nodes[$0].label }) == sorted.map(\.label) else {
            throw ParameterError.invalid(name: "lastRegions", value: "\(sorted.count) regions",
                                         reason: "labels differ from the checkpoint's frame \(graph.lastFrame)")
        }
        let runs = try RegionRuns(cells: lastLabels, regionLabels: sorted.map(\.label))
        previous = FrameCells(frame: graph.lastFrame, width: lastLabels.width, height: lastLabels.height, runs: runs,
                              x: sorted.map(\.centroidX), y: sorted.map(\.centroidY), area: sorted.map(\.area),
                              nodes: nodes, border: nodes.map { graph.nodes[$0].touchesBorder },
                              pixelSize: lastLabels.pixelSize ?? parameters.fallbackPixelSizeUm)
    }

    /// Regions sorted by label; throws unless the labels are > 0 and distinct.
    static func sortedRegions(_ regions: [Region]) throws -> [Region] {
        let sorted = regions.sorted { $0.label < $1.label }
        for (k, r) in sorted.enumerated() {
            guard r.label > 0 else { throw ParameterError.invalid(name: "regions", value: "label 0", reason: "0 is background") }
            if k > 0 && sorted[k - 1].label == r.label {
                throw ParameterError.invalid(name: "regions", value: "label \(r.label)", reason: "appears twice")
            }
        }
        return sorted
    }

    /// The finished graph: one-frame splits and merges repaired (if enabled), then gaps of up to
    /// `maxGapFrames` missing frames closed by a global assignment. Does not change the tracker.
    public func finish() -> LineageGraph {
        precondition(firstHeldNode == 0, "finish after removeFrozen: use takeFinished(segments:)")
        var g = graph
        repair(&g)
        return g
    }

    /// Takes out the nodes that no later frame can change: those of frames before the previous
    /// one (links only ever join the previous frame to the new one; the repairs run at the end).
    /// A streaming caller stores the segment and gives it back to `takeFinished(segments:)`, so the
    /// tracker's memory stays bounded by a few frames. Nil when there is nothing to take out.
    public mutating func removeFrozen() -> TrackerSegment? {
        guard let prev = previous else { return nil }
        var k = 0
        while k < graph.count && graph.nodes[k].frame < prev.frame { k += 1 }
        guard k > 0 else { return nil }
        let segment = TrackerSegment(graph: graph.removePrefix(k, offset: firstHeldNode),
                                     successor: Array(successor.rawValues[..<k]),
                                     successorFraction: Array(successorFraction[..<k]))
        successor = NodeIndexColumn(rawValues: Array(successor.rawValues[k...]))
        successorFraction.removeFirst(k)
        firstHeldNode += k
        return segment
    }

    /// `takeFinished()` for a tracker whose frozen nodes were taken out: `next` gives every
    /// segment `removeFrozen` returned, in that order, then nil (read back one at a time, so
    /// they need not all be in memory at once). The result equals the graph of a tracker that
    /// kept everything.
    public mutating func takeFinished(segments next: () throws -> TrackerSegment?) rethrows -> LineageGraph {
        var tail = LineageGraph()
        swap(&tail, &graph)
        let total = firstHeldNode + tail.count
        var allSuccessors: [Int32] = []
        var allFractions: [Double] = []
        allSuccessors.reserveCapacity(total)
        allFractions.reserveCapacity(total)
        var g = try LineageGraph(assembling: {
            guard let s = try next() else { return nil }
            allSuccessors += s.successor
            allFractions += s.successorFraction
            return s.graph
        }, tail: tail, capacity: total)
        precondition(g.count == total, "every segment, once")
        tail = LineageGraph()
        allSuccessors += successor.rawValues
        allFractions += successorFraction
        successor = NodeIndexColumn(rawValues: allSuccessors)
        allSuccessors = []
        successorFraction = allFractions
        allFractions = []
        firstHeldNode = 0
        previous = nil
        repair(&g)
        successor = NodeIndexColumn()
        successorFraction = []
        return g
    }

    /// `finish()`, taking the graph out of the tracker instead of copying it (the repairs write
    /// to it, and a movie's graph is 64 bytes per cell: 48 MB for 750,000 cells). The
    /// tracker is empty afterwards.
    public mutating func takeFinished() -> LineageGraph {
        precondition(firstHeldNode == 0, "takeFinished(segments:) after removeFrozen")
        var g = LineageGraph()
        swap(&g, &graph)
        previous = nil
        repair(&g)
        successor = NodeIndexColumn()
        successorFraction = []
        return g
    }

    private func repair(_ g: inout LineageGraph) {
        if parameters.repairGlitches {
            GraphRepair.repairSplits(&g, successor: successor, fraction: successorFraction)
            GraphRepair.repairMerges(&g, successor: successor, fraction: successorFraction, drifts: drifts)
        }
        if parameters.maxGapFrames > 0 {
            GraphRepair.closeGaps(&g, drifts: drifts, maxGapFrames: parameters.maxGapFrames,
                                  maxDisplacementPx: maxDisplacementPx, maxCost: parameters.gapClosingMaxCost)
        }
    }
}

/// Nodes a streaming tracker no longer changes (`Tracker.removeFrozen`), global indices.
public struct TrackerSegment: Sendable, Equatable {
    public var graph: LineageGraph.Segment
    /// Per node: the node of the next frame holding most of its pixels (−1), and that fraction.
    public var successor: [Int32]
    public var successorFraction: [Double]

    public init(graph: LineageGraph.Segment, successor: [Int32], successorFraction: [Double]) {
        self.graph = graph
        self.successor = successor
        self.successorFraction = successorFraction
    }
}

/// The tracker's state without images (see `Tracker.checkpoint()`), Codable for storage.
public struct TrackerCheckpoint: Sendable, Equatable, Codable {
    public var parameters: LinkingParameters
    public var graph: LineageGraph
    public var drifts: [FrameDrift]
    /// Per node: node of the next frame holding most of its pixels (−1), and that fraction.
    public var successor: [Int]
    public var successorFraction: [Double]
    public var maxDisplacementPx: Double
}

/// What linking needs of one frame.
struct FrameCells: Sendable {
    var frame: Int
    var width: Int
    var height: Int
    var runs: RegionRuns
    var x: [Double]
    var y: [Double]
    var area: [Int]
    var nodes: [Int]
    /// Region touches the image border (its size is not trustworthy).
    var border: [Bool]
    var pixelSize: Double
    var count: Int { x.count }
}



/// Links two consecutive frames (pure; indices are region positions in `FrameCells`).
struct FrameLinker {
    let parameters: LinkingParameters

    struct Division {
        var mother: Int, daughterA: Int, daughterB: Int
        var overlapA: Double, overlapB: Double, sizeRatio: Double, adjacent: Bool
    }

    struct Result {
        var assignment: [Int]
        var divisions: [Division]
        var dividing: Set<Int>
        var driftX: Double, driftY: Double, driftMethod: String
        var successor: [(current: Int, fraction: Double)]
    }

    /// `shiftHint`: the previous frame pair's rounded drift (drift persists, so counting overlaps
    /// at that shift first usually saves a second pass).
    func link(_ prev: FrameCells, _ cur: FrameCells, shiftHint: (Int, Int) = (0, 0)) -> Result {
        let nP = prev.count, nC = cur.count
        let maxDisp = parameters.maxDisplacementUm / cur.pixelSize
        // 1. Drift and overlaps at the drift-rounded shift.
        let (overlaps, dx, dy, method) = estimateDrift(prev, cur, hint: shiftHint)

        // 2. Candidate links: every overlapping pair plus non-overlapping pairs within the
        //    displacement gate. A non-overlapping pair costs at least iouWeight + d / maxDisp, so
        //    beyond d = (start + end − iouWeight) · maxDisp it could never beat end + start: the
        //    search radius shrinks to that without losing any link the assignment could choose.
        let affordable = (parameters.trackStartCost + parameters.trackEndCost - parameters.iouWeight) * maxDisp
        let searchRadius = min(maxDisp, affordable)
        let grid = PointGrid(xs: cur.x, ys: cur.y, cell: max(searchRadius, 1))
        var links: [CandidateLink] = []
        var overlapStart = [Int](repeating: 0, count: nP + 1)
        for o in overlaps { overlapStart[Int(o.previous) + 1] += 1 }
        for i in 0..<nP { overlapStart[i + 1] += overlapStart[i] }
        var local: [(j: Int, pixels: Int)] = []
        for i in 0..<nP {
            local.removeAll(keepingCapacity: true)
            for k in overlapStart[i]..<overlapStart[i + 1] { local.append((Int(overlaps[k].current), Int(overlaps[k].pixels))) }
            let px = prev.x[i] + dx, py = prev.y[i] + dy
            if searchRadius > 0 { grid.forEach(near: px, py, radius: searchRadius) { j, _ in local.append((j, 0)) } }
            local.sort { ($0.j, -$0.pixels) < ($1.j, -$1.pixels) }
            var last = -1
            for (j, inter) in local where j != last {
                last = j
                let union = prev.area[i] + cur.area[j] - inter
                let iou = union > 0 ? Double(inter) / Double(union) : 0
                let ddx = cur.x[j] - px, ddy = cur.y[j] - py
                let dist = (ddx * ddx + ddy * ddy).squareRoot()
                if dist > maxDisp { continue }   // the displacement gate applies to overlapping pairs too
                let cost = parameters.iouWeight * (1 - iou) + dist / maxDisp
                links.append(CandidateLink(row: i, column: j, cost: cost))
            }
        }
        // 3. Global assignment with explicit start/end costs.
        let assignment = LinkAssignment.solve(rows: nP, columns: nC, links: links,
                                              endCost: [Double](repeating: parameters.trackEndCost, count: nP),
                                              startCost: [Double](repeating: parameters.trackStartCost, count: nC))
        // 4. Divisions among the unmatched cells.
        let divisions = findDivisions(prev, cur, overlaps: overlaps, overlapStart: overlapStart,
                                      assignment: assignment, dx: dx, dy: dy, maxDisp: maxDisp)
        // 5. Where each previous cell's pixels went (for glitch repair).
        var successor = [(current: Int, fraction: Double)](repeating: (-1, 0), count: nP)
        for o in overlaps {
            let i = Int(o.previous)
            let f = Double(o.pixels) / Double(max(prev.area[i], 1))
            if f > successor[i].fraction { successor[i] = (Int(o.current), f) }
        }
        var finalAssignment = assignment
        for d in divisions {
            for j in [d.daughterA, d.daughterB] {
                if let p = finalAssignment.firstIndex(of: j), p != d.mother { finalAssignment[p] = -1 }
            }
        }
        return Result(assignment: finalAssignment, divisions: divisions, dividing: Set(divisions.map(\.mother)),
                      driftX: dx, driftY: dy, driftMethod: method, successor: successor)
    }

    // MARK: drift

    /// Mutual best-IoU pairs with IoU ≥ 0.3 and similar areas: displacements trusted for the drift.
    func confidentDisplacements(_ overlaps: [Overlap], _ prev: FrameCells, _ cur: FrameCells) -> [(Double, Double)] {
        var bestP = [(j: Int, iou: Double)](repeating: (-1, 0), count: prev.count)
        var bestC = [(i: Int, iou: Double)](repeating: (-1, 0), count: cur.count)
        for o in overlaps {
            let i = Int(o.previous), j = Int(o.current)
            let iou = Double(o.pixels) / Double(prev.area[i] + cur.area[j] - Int(o.pixels))
            if iou > bestP[i].iou { bestP[i] = (j, iou) }
            if iou > bestC[j].iou { bestC[j] = (i, iou) }
        }
        var out: [(Double, Double)] = []
        for i in 0..<prev.count {
            let (j, iou) = bestP[i]
            guard j >= 0 && iou >= 0.3 && bestC[j].i == i else { continue }
            // Similar sizes only: a mother and one daughter are not a displacement.
            let ratio = Double(cur.area[j]) / Double(max(prev.area[i], 1))
            if ratio >= 0.75 && ratio <= 1.0 / 0.75 { out.append((cur.x[j] - prev.x[i], cur.y[j] - prev.y[i])) }
        }
        return out
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        let n = s.count
        return n == 0 ? 0 : (n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]))
    }

    func countOverlaps(_ prev: FrameCells, _ cur: FrameCells, _ sx: Int, _ sy: Int) -> [Overlap] {
        OverlapCounter.count(previous: prev.runs, current: cur.runs, shiftX: sx, shiftY: sy,
                             expectedPairs: 2 * max(prev.count, cur.count))
    }

    /// Drift = median displacement of confident overlap matches (overlaps first counted at the
    /// hinted shift). A stage jump shows as most previous cells overlapping nothing: then a vote over centroid displacements
    /// proposes a shift, kept when it yields more confident matches.
    func estimateDrift(_ prev: FrameCells, _ cur: FrameCells, hint: (Int, Int)) -> ([Overlap], Double, Double, String) {
        guard prev.count > 0, cur.count > 0 else { return ([], 0, 0, "none") }
        var shiftX = hint.0, shiftY = hint.1
        var overlaps = countOverlaps(prev, cur, shiftX, shiftY)
        var confident = confidentDisplacements(overlaps, prev, cur)
        var method = "overlap"
        var dx = 0.0, dy = 0.0
        var overlapping = [Bool](repeating: false, count: prev.count)
        for o in overlaps { overlapping[Int(o.previous)] = true }
        let overlappingCount = overlapping.reduce(0) { $0 + ($1 ? 1 : 0) }
        // Vote when most cells overlap nothing (a stage jump) or when none of them
        // match trustworthily at the hinted shift (the drift changed, e.g. a decelerating stage).
        if 2 * overlappingCount < prev.count || confident.isEmpty {
            // Each candidate shift is judged by the trustworthy matches it yields; one that finds no
            // more than the hinted shift only wins when nothing overlaps at all (a stage jump).
            var best: (overlaps: [Overlap], confident: [(Double, Double)], vx: Double, vy: Double, sx: Int, sy: Int)?
            for (vx, vy) in voteDisplacements(prev, cur) {
                let sx = Int(vx.rounded()), sy = Int(vy.rounded())
                let shifted = countOverlaps(prev, cur, sx, sy)
                let shiftedConfident = confidentDisplacements(shifted, prev, cur)
                if best == nil || shiftedConfident.count > best!.confident.count {
                    best = (shifted, shiftedConfident, vx, vy, sx, sy)
                }
            }
            // A moved stage must explain clearly more cells than the hinted shift: in a mother
            // machine cells slide down their channels while the stage stays, and a global shift
            // that happens to fit the sliding cells must not displace the still ones.
            let margin = max(1, prev.count / 10)
            if let b = best, b.confident.count >= confident.count + margin
                || (b.confident.count >= confident.count && 2 * overlappingCount < prev.count) {
                overlaps = b.overlaps; confident = b.confident
                shiftX = b.sx; shiftY = b.sy; method = "vote"
                dx = b.vx; dy = b.vy
            }
        }
        if !confident.isEmpty {
            dx = Self.median(confident.map(\.0))
            dy = Self.median(confident.map(\.1))
        } else if method == "overlap" {
            // Nothing to measure: drift persists, keep the hinted shift rather than snapping to 0.
            dx = Double(shiftX)
            dy = Double(shiftY)
        }
        let rx = Int(dx.rounded()), ry = Int(dy.rounded())
        if rx != shiftX || ry != shiftY {
            overlaps = countOverlaps(prev, cur, rx, ry)
        }
        return (overlaps, dx, dy, method)
    }

    /// Candidate displacements between up to 64 sampled previous cells and all current cells of
    /// similar area within the stage-jump radius: a Hough-style vote on a grid of half a cell
    /// diameter. The three best-supported bins (by their 3×3 neighbourhood, ties to the smaller
    /// shift) each give a candidate, the median of the displacements in that bin.
    func voteDisplacements(_ prev: FrameCells, _ cur: FrameCells) -> [(Double, Double)] {
        let radius = parameters.maxStageJumpUm / cur.pixelSize
        let medianArea = Self.median(cur.area.map(Double.init))
        let bin = max(2, 0.5 * medianArea.squareRoot())
        let stride = max(1, prev.count / 64)
        let grid = PointGrid(xs: cur.x, ys: cur.y, cell: max(bin, radius / 4))
        var votes: [Int64: Int] = [:]
        var samples: [(Int64, Double, Double)] = []
        var i = 0
        while i < prev.count {
            let a = Double(prev.area[i])
            grid.forEach(near: prev.x[i], prev.y[i], radius: radius) { j, _ in
                let ratio = Double(cur.area[j]) / max(a, 1)
                guard ratio >= 0.5 && ratio <= 2 else { return }
                let ddx = cur.x[j] - prev.x[i], ddy = cur.y[j] - prev.y[i]
                let key = Self.binKey(Int((ddx / bin).rounded(.down)), Int((ddy / bin).rounded(.down)))
                votes[key, default: 0] += 1
                samples.append((key, ddx, ddy))
            }
            i += stride
        }
        guard !votes.isEmpty else { return [] }
        var ranked: [(key: Int64, score: Int, own: Int, norm: Int)] = []
        for key in votes.keys.sorted() {
            let (bx, by) = Self.unbin(key)
            var score = 0
            for oy in -1...1 { for ox in -1...1 { score += votes[Self.binKey(bx + ox, by + oy)] ?? 0 } }
            ranked.append((key, score, votes[key]!, bx * bx + by * by))
        }
        ranked.sort { ($0.score, $0.own, -$0.norm, $0.key) > ($1.score, $1.own, -$1.norm, $1.key) }
        return ranked.prefix(3).map { candidate in
            let inBin = samples.filter { $0.0 == candidate.key }
            return (Self.median(inBin.map(\.1)), Self.median(inBin.map(\.2)))
        }
    }

    static func binKey(_ x: Int, _ y: Int) -> Int64 { Int64(x) << 32 | Int64(UInt32(bitPattern: Int32(truncatingIfNeeded: y))) }
    static func unbin(_ k: Int64) -> (Int, Int) { (Int(k >> 32), Int(Int32(truncatingIfNeeded: k))) }

    // MARK: divisions

    /// A previous cell whose successor and an unmatched current cell (or two unmatched cells) pass
    /// the division rules: both overlap it enough, each is smaller than it, their summed area is
    /// within the ratio prior, and they touch. Best-scoring divisions win; each cell used once.
    func findDivisions(_ prev: FrameCells, _ cur: FrameCells, overlaps: [Overlap], overlapStart: [Int],
                       assignment: [Int], dx: Double, dy: Double, maxDisp: Double) -> [Division] {
        func overlap(_ m: Int, _ j: Int) -> Int {
            for k in overlapStart[m]..<overlapStart[m + 1] where Int(overlaps[k].current) == j { return Int(overlaps[k].pixels) }
            return 0
        }
        var owner = [Int](repeating: -1, count: cur.count)
        for (m, j) in assignment.enumerated() where j >= 0 { owner[j] = m }
        guard prev.count > 0, cur.count > 0 else { return [] }
        let radius = (parameters.maxDaughterDistanceUm ?? parameters.maxDisplacementUm) / cur.pixelSize
        let predictedX = prev.x.map { $0 + dx }, predictedY = prev.y.map { $0 + dy }
        let prevGrid = PointGrid(xs: predictedX, ys: predictedY, cell: radius)
        // Second-daughter candidates of each mother: unmatched cells nearby, and cells matched to
        // another previous cell that lie more inside this mother than inside their own match
        // (e.g. a daughter taking the place of a neighbour pushed out of the field).
        var candidates: [Int: [Int]] = [:]
        for j in 0..<cur.count {
            let o = owner[j]
            let ownOverlap = o >= 0 ? overlap(o, j) : 0
            prevGrid.forEach(near: cur.x[j], cur.y[j], radius: radius) { m, _ in
                if o < 0 || (m != o && overlap(m, j) > ownOverlap) { candidates[m, default: []].append(j) }
            }
        }
        var adjacency: Set<UInt64>? = nil
        var proposals: [(score: Double, division: Division)] = []
        for m in candidates.keys.sorted() {
            var daughters = candidates[m]!
            if assignment[m] >= 0 { daughters.append(assignment[m]) }
            daughters = Array(Set(daughters)).sorted()
            let motherArea = Double(prev.area[m])
            func eligible(_ j: Int) -> Double? {
                let f = Double(overlap(m, j)) / Double(max(cur.area[j], 1))
                guard f >= parameters.minDaughterOverlap,
                      Double(cur.area[j]) < parameters.maxDaughterAreaFraction * motherArea else { return nil }
                return f
            }
            for ia in 0..<daughters.count {
                guard let fa = eligible(daughters[ia]) else { continue }
                for ib in (ia + 1)..<daughters.count {
                    let a = daughters[ia], b = daughters[ib]
                    if assignment[m] >= 0 && a != assignment[m] && b != assignment[m] { continue }
                    guard let fb = eligible(b) else { continue }
                    let ratio = Double(cur.area[a] + cur.area[b]) / max(motherArea, 1)
                    // A daughter cut by the image border has lost an unknown part: only the upper bound applies.
                    let truncated = cur.border[a] || cur.border[b]
                    guard ratio <= parameters.maxDaughterSizeRatio,
                          ratio >= parameters.minDaughterSizeRatio || truncated else { continue }
                    var adjacent = true
                    if parameters.requireAdjacentDaughters {
                        if adjacency == nil {
                            adjacency = OverlapCounter.adjacency(cur.runs,
                                                                 gap: min(64, Int((parameters.adjacencyGapUm / cur.pixelSize).rounded())))
                        }
                        adjacent = adjacency!.contains(OverlapCounter.key(Int32(a), Int32(b)))
                        if !adjacent { continue }
                    }
                    let da = hypot(cur.x[a] - predictedX[m], cur.y[a] - predictedY[m])
                    let db = hypot(cur.x[b] - predictedX[m], cur.y[b] - predictedY[m])
                    let score = fa + fb - abs(1 - ratio) - (da + db) / (2 * radius)
                    proposals.append((score, Division(mother: m, daughterA: a, daughterB: b, overlapA: fa,
                                                      overlapB: fb, sizeRatio: ratio, adjacent: adjacent)))
                }
            }
        }
        proposals.sort { ($0.score, -$0.division.mother, -$0.division.daughterA, -$0.division.daughterB)
            > ($1.score, -$1.division.mother, -$1.division.daughterA, -$1.division.daughterB) }
        var motherUsed = Set<Int>(), daughterUsed = Set<Int>()
        var out: [Division] = []
        for (_, d) in proposals {
            guard !motherUsed.contains(d.mother), !daughterUsed.contains(d.daughterA), !daughterUsed.contains(d.daughterB) else { continue }
            motherUsed.insert(d.mother); daughterUsed.insert(d.daughterA); daughterUsed.insert(d.daughterB)
            out.append(d)
        }
        return out.sorted { $0.mother < $1.mother }
    }
}

