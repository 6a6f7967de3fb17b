import CellTrackCore
import Foundation
import ImageIO
import Lineage
import Store

/// Writes a movie of the database in Cell Tracking Challenge format: `mask###.tif` (label =
/// track id; a track split by a closed gap continues under a new label), `res_track.txt`, and
/// `tracks.csv` (per CTC label: track id and growth rates, as the CTC graders' growth check reads).
///
/// Everything comes from the database, masks included, so the input images are not needed.
///
/// ```swift
/// let store = try Store(path: "results.sqlite", options: .init(readOnly: true))
/// try CTCExport.write(store: store, movieID: 1, to: "ctc/01_RES")
/// ```
public enum CTCExport {
    public struct Summary: Sendable, Equatable {
        public var frames: Int
        public var labels: Int
    }

    public static func write(store: Store, movieID: Int64, to folder: String) throws -> Summary {
        guard let movie = try store.movies().first(where: { $0.movieID == movieID }) else {
            throw InputError(file: folder, problem: "no movie \(movieID) in the database")
        }
        let tracks = try store.tracks(movieID: movieID)
        guard !tracks.isEmpty else {
            throw InputError(problem: "movie '\(movie.record.name)' has no tracks yet: its run has not finished (run the same command again to resume it)")
        }
        let framesOfTrack = Dictionary(uniqueKeysWithValues: try store.trackFrames(movieID: movieID).map { ($0.trackID, $0.frames) })
        let segments = CTCSegments.make(tracks: tracks.compactMap { t in
            framesOfTrack[t.trackID].map { (t.trackID, t.parentTrackID, $0) }
        })
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError(file: folder, problem: "cannot create the folder: \(error.localizedDescription)")
        }
        let frameCount = try store.frames(movieID: movieID).count
        let digits = max(3, String(max(frameCount - 1, 0)).count)
        let needsRemap = segments.lines.count != tracks.count
        for index in 0..<frameCount {
            var labels = try store.labelImage(movieID: movieID, frameIndex: index, labels: .trackID)
            if needsRemap {
                // Only tracks split by a gap change label; look them up once per value run.
                labels.withUnsafeMutableBufferPointer { px in
                    var last: UInt32 = 0, mapped: UInt32 = 0
                    for k in 0..<px.count where px[k] != 0 {
                        if px[k] != last {
                            last = px[k]
                            mapped = UInt32(segments.label(track: Int(last), frame: index))
                        }
                        px[k] = mapped
                    }
                }
            }
            let number = String(index)
            let name = "mask" + String(repeating: "0", count: max(0, digits - number.count)) + number + ".tif"
            try TIFFWriter.writeLabels(labels, to: (folder as NSString).appendingPathComponent(name))
        }
        try writeText(segments.resTrackText, to: (folder as NSString).appendingPathComponent("res_track.txt"))

        let byID = Dictionary(uniqueKeysWithValues: tracks.map { ($0.trackID, $0) })
        var trackOfLabel: [(label: Int, track: Int)] = tracks.map { ($0.trackID, $0.trackID) }
        for segment in segments.lines where byID[segment.label] == nil {
            // An extra segment: its track is the one whose frames it labels.
            var p = segment.parent
            while byID[p] == nil, let up = segments.lines.first(where: { $0.label == p }) { p = up.parent }
            trackOfLabel.append((segment.label, p))
        }
        func number(_ v: Double?) -> String { v.map { $0.description } ?? "" }
        var csv = "track_id,celltrack_track_id,parent_track_id,fate,first_frame,last_frame,growth_rate_length_per_h,growth_rate_area_per_h,doubling_time_h\n"
        for (label, id) in trackOfLabel.sorted(by: { $0.label < $1.label }) {
            let t = byID[id]!
            csv += "\(label),\(id),\(t.parentTrackID.map(String.init) ?? ""),\(t.fate.rawValue),\(t.firstFrameIndex),\(t.lastFrameIndex),"
                + "\(number(t.growthRateLengthPerH)),\(number(t.growthRateAreaPerH)),\(number(t.doublingTimeH))\n"
        }
        try writeText(csv, to: (folder as NSString).appendingPathComponent("tracks.csv"))
        return Summary(frames: frameCount, labels: segments.lines.count)
    }

    static func writeText(_ text: String, to path: String) throws {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw OutputError(file: path, problem: "cannot write: \(error.localizedDescription)")
        }
    }
}
