import CellTrackCore
import Lineage
import Store

/// Converts the lineage (graph node indices, pixels) into the database's rows (track ids, µm).
enum LineageRecords {
    struct Rows {
        var tracks: [TrackRecord]
        var divisions: [DivisionRecord]
        var assignments: [CellTrackAssignment]
    }

    static func make(graph: LineageGraph, lineage: LineageResult, pixelSizeUm: Double?) -> Rows {
        let um = pixelSizeUm
        let evidenceByMother = Dictionary(graph.divisions.map { ($0.mother, $0) }, uniquingKeysWith: { a, _ in a })
        var tracks: [TrackRecord] = []
        var divisions: [DivisionRecord] = []
        tracks.reserveCapacity(lineage.tracks.count)
        for t in lineage.tracks {
            let divided = t.fate == .divided
            let lengthRate = t.lengthFit?.ratePerHour
            tracks.append(TrackRecord(
                trackID: t.id, parentTrackID: t.parent, rootTrackID: t.root, generation: t.generation,
                firstFrameIndex: t.firstFrame, lastFrameIndex: t.lastFrame,
                fate: t.fate,
                birthLengthUm: um.map { t.birthLength * $0 },
                divisionLengthUm: divided ? um.map { t.divisionLength * $0 } : nil,
                addedLengthUm: t.isCompleteCycle ? um.map { t.addedLength * $0 } : nil,
                birthAreaUm2: um.map { Double(t.birthArea) * $0 * $0 },
                divisionAreaUm2: divided ? um.map { Double(t.divisionArea) * $0 * $0 } : nil,
                growthRateLengthPerH: lengthRate.flatMap(finite),
                growthRateLengthStderrPerH: (t.lengthFit?.standardError).flatMap(finite),
                growthRateLengthR2: (t.lengthFit?.rSquared).flatMap(finite),
                growthRateAreaPerH: (t.areaFit?.ratePerHour).flatMap(finite),
                growthRateAreaStderrPerH: (t.areaFit?.standardError).flatMap(finite),
                growthRateAreaR2: (t.areaFit?.rSquared).flatMap(finite),
                growthFitPoints: t.lengthFit?.count ?? 0,
                doublingTimeH: lengthRate.flatMap { $0 > 0 ? finite(0.6931471805599453 / $0) : nil }))
            if divided, t.daughters.count == 2, let motherNode = t.nodes.last {
                let daughterNodes = graph.children(of: motherNode)
                let e = evidenceByMother[motherNode]
                let firstDaughterFrame = daughterNodes.map { graph.nodes[$0].frame }.min() ?? t.lastFrame + 1
                let ratio = e?.sizeRatio ?? {
                    let sum = daughterNodes.reduce(0) { $0 + graph.nodes[$1].area }
                    return Double(sum) / Double(max(graph.nodes[motherNode].area, 1))
                }()
                // The evidence names daughters by node; the records name them by track.
                var overlapOfTrack: [Int: Double] = [:]
                if let e {
                    overlapOfTrack[lineage.trackOfNode[e.daughterA]] = e.overlapA
                    overlapOfTrack[lineage.trackOfNode[e.daughterB]] = e.overlapB
                }
                divisions.append(DivisionRecord(
                    motherTrackID: t.id, daughter1TrackID: t.daughters[0], daughter2TrackID: t.daughters[1],
                    frameIndex: firstDaughterFrame,
                    daughter1OverlapFraction: clampUnit(overlapOfTrack[t.daughters[0]] ?? 0),
                    daughter2OverlapFraction: clampUnit(overlapOfTrack[t.daughters[1]] ?? 0),
                    sizeRatio: max(ratio, .leastNormalMagnitude)))
            }
        }
        var assignments: [CellTrackAssignment] = []
        assignments.reserveCapacity(graph.count)
        for n in 0..<graph.count {
            let node = graph.nodes[n]
            assignments.append(CellTrackAssignment(frameIndex: node.frame, label: node.label,
                                                   trackID: lineage.trackOfNode[n],
                                                   growthRateLengthPerH: lineage.instantaneousRate[n].flatMap(finite)))
        }
        return Rows(tracks: tracks, divisions: divisions, assignments: assignments)
    }

    private static func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }
    private static func clampUnit(_ v: Double) -> Double { v.isFinite ? min(max(v, 0), 1) : 0 }
}
