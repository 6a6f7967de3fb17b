import CellTrackCore
import Foundation

/// How a cell cycle ended.
public enum TrackFate: String, Sendable, Equatable, Codable, CaseIterable {
    /// Split into two daughter tracks.
    case divided
    /// Disappeared inside the field of view before the last frame.
    case lost
    /// Touched the image border in its last frame and then disappeared.
    case exited
    /// Still present in the movie's last frame.
    case endOfMovie = "end_of_movie"
}

/// One cell cycle: from birth (or first appearance) to division, loss, exit or end of movie.
public struct Track: Sendable, Equatable, Codable {
    /// 1-based, deterministic: ordered by first frame, then centroid y, x, then label of the first node.
    public var id: Int
    /// Track of the mother cell (nil for a root).
    public var parent: Int?
    /// Daughter tracks (empty unless `fate == .divided`), ascending.
    public var daughters: [Int]
    /// 0 for a root, +1 per division.
    public var generation: Int
    /// Id of the root track of this lineage.
    public var root: Int
    public var fate: TrackFate
    public var firstFrame: Int
    public var lastFrame: Int
    /// Graph node indices, in time order.
    public var nodes: [Int]
    /// True when the track was born by division and ended by division inside the movie.
    public var isCompleteCycle: Bool
    /// Growth fits of ln(length) and ln(area) against time (nil with < 2 usable points).
    public var lengthFit: GrowthFit?
    public var areaFit: GrowthFit?
    /// Length (px, tip to tip) and area (px) at the first and last observation.
    public var birthLength: Double
    public var divisionLength: Double
    public var birthArea: Int
    public var divisionArea: Int
    /// divisionLength − birthLength (the adder's increment; meaningful for complete cycles).
    public var addedLength: Double
}

/// Settings of the lineage stage.
public struct LineageParameters: Codable, Equatable, Sendable {
    /// Observations in the sliding window of the instantaneous growth rate (odd, default 5:
    /// the observation and two on each side, clipped at the track's ends; needs ≥ 3 points).
    public var instantaneousWindow: Int = 5

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        instantaneousWindow = try c.decodeIfPresent(Int.self, forKey: .instantaneousWindow) ?? 5
    }

    private enum CodingKeys: String, CodingKey { case instantaneousWindow }

    public func validate() throws {
        guard instantaneousWindow >= 3, instantaneousWindow % 2 == 1 else {
            throw ParameterError.invalid(name: "instantaneousWindow", value: "\(instantaneousWindow)", reason: "must be odd and ≥ 3")
        }
    }
}

/// Tracks, per-node track ids and per-node instantaneous growth rates.
public struct LineageResult: Sendable, Equatable, Codable {
    public var tracks: [Track]
    /// Track id of each graph node (index = node).
    public var trackOfNode: [Int]
    /// Instantaneous elongation rate (1/h) of each node: slope of ln(length) over the sliding
    /// window within its track; nil when the window holds fewer than 3 points.
    public var instantaneousRate: [Double?]
}

/// Turns a lineage graph into cell cycles with growth fits.
///
/// ```swift
/// let graph = tracker.finish()
/// let result = try LineageBuilder.build(graph: graph, frameTimesMin: (0..<n).map { Double($0) * 5 })
/// for t in result.tracks where t.isCompleteCycle { print(t.id, t.lengthFit?.ratePerHour ?? .nan) }
/// ```
public enum LineageBuilder {
    /// `frameTimesMin[f]` is the time of frame index `f` in minutes; it must cover every node's
    /// frame. Throws `ParameterError` when it does not, or when the graph breaks an invariant.
    public static func build(graph: LineageGraph, frameTimesMin: [Double],
                             parameters: LineageParameters = LineageParameters()) throws -> LineageResult {
        try parameters.validate()
        try graph.validate()
        for n in graph.nodes where n.frame < 0 || n.frame >= frameTimesMin.count {
            throw ParameterError.invalid(name: "frameTimesMin", value: "\(frameTimesMin.count) times",
                                         reason: "no time for frame \(n.frame)")
        }
        return buildUnchecked(graph: graph, frameTimesMin: frameTimesMin, window: parameters.instantaneousWindow)
    }

    static func buildUnchecked(graph g: LineageGraph, frameTimesMin: [Double], window: Int) -> LineageResult {
        // Track starts: no parent, or parent that divides.
        var starts: [Int] = []
        for n in 0..<g.count {
            let p = g.parent[n]
            if p < 0 || g.childCount(of: p) == 2 { starts.append(n) }
        }
        starts.sort {
            let a = g.nodes[$0], b = g.nodes[$1]
            return (a.frame, a.centroidY, a.centroidX, a.label, $0) < (b.frame, b.centroidY, b.centroidX, b.label, $1)
        }
        var trackOfNode = [Int](repeating: 0, count: g.count)
        var chains: [[Int]] = []
        for (k, s) in starts.enumerated() {
            var chain = [s]
            var n = s
            trackOfNode[n] = k + 1
            while g.childCount(of: n) == 1 {
                n = g.firstChild[n]
                chain.append(n)
                trackOfNode[n] = k + 1
            }
            chains.append(chain)
        }
        let hours = frameTimesMin.map { $0 / 60 }
        var tracks: [Track] = []
        tracks.reserveCapacity(chains.count)
        for (k, chain) in chains.enumerated() {
            let first = g.nodes[chain[0]], lastIndex = chain[chain.count - 1], last = g.nodes[lastIndex]
            let p = g.parent[chain[0]]
            let parentTrack: Int? = p >= 0 ? trackOfNode[p] : nil
            let daughters = g.children(of: lastIndex).map { trackOfNode[$0] }.sorted()
            let fate: TrackFate
            if daughters.count == 2 { fate = .divided }
            else if last.frame >= g.lastFrame { fate = .endOfMovie }
            else if last.touchesBorder { fate = .exited }
            else { fate = .lost }
            let times = chain.map { hours[g.nodes[$0].frame] }
            let lengths = chain.map { g.nodes[$0].length }
            let areas = chain.map { Double(g.nodes[$0].area) }
            tracks.append(Track(id: k + 1, parent: parentTrack, daughters: fate == .divided ? daughters : [],
                                generation: 0, root: k + 1, fate: fate, firstFrame: first.frame, lastFrame: last.frame,
                                nodes: chain, isCompleteCycle: parentTrack != nil && fate == .divided,
                                lengthFit: GrowthFit.fit(timesHours: times, values: lengths),
                                areaFit: GrowthFit.fit(timesHours: times, values: areas),
                                birthLength: first.length, divisionLength: last.length,
                                birthArea: first.area, divisionArea: last.area,
                                addedLength: last.length - first.length))
        }
        // Generations and roots: parents start earlier, so their ids are smaller.
        for k in 0..<tracks.count {
            if let p = tracks[k].parent {
                tracks[k].generation = tracks[p - 1].generation + 1
                tracks[k].root = tracks[p - 1].root
            }
        }
        // Instantaneous rates from a centred sliding window within each track.
        var rates = [Double?](repeating: nil, count: g.count)
        let half = window / 2
        for t in tracks {
            let times = t.nodes.map { hours[g.nodes[$0].frame] }
            let lengths = t.nodes.map { g.nodes[$0].length }
            for (k, n) in t.nodes.enumerated() {
                let lo = max(0, k - half), hi = min(t.nodes.count, k + half + 1)
                guard hi - lo >= 3 else { continue }
                rates[n] = GrowthFit.fit(timesHours: Array(times[lo..<hi]), values: Array(lengths[lo..<hi]))?.ratePerHour
            }
        }
        return LineageResult(tracks: tracks, trackOfNode: trackOfNode, instantaneousRate: rates)
    }
}
