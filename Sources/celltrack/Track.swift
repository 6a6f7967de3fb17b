import ArgumentParser
import CellTrackCore
import Foundation
import ImageIO
import Lineage
import Segmentation
import Tracking

/// `celltrack track --masks DIR`: link existing label masks (Omnipose, Cellpose, DeLTA, ground
/// truth…) into lineages, and write them in Cell Tracking Challenge format.
struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Link existing label masks into tracks and lineages.",
        discussion: """
        MASKS is a folder of per-frame label TIFFs (natural order; other files ignored) or a \
        multi-page label stack. Label values may change arbitrarily from frame to frame. \
        With --ctc-out, writes mask###.tif (label = track id), res_track.txt and tracks.csv \
        (one row per cell cycle with growth fits). The masks are read twice (link, then relabel), \
        so memory stays bounded by one frame plus per-cell records.
        """)

    @Option(help: "Folder of per-frame label TIFFs, or a multi-page label TIFF.")
    var masks: String

    @Option(help: "Output folder for CTC results (created if missing).")
    var ctcOut: String?

    @Option(help: "Minutes between frames (default: from the file's metadata, else 1).")
    var interval: Double?

    @Option(help: "Pixel size in µm (default: from the file's metadata, else the linker's fallback).")
    var pixelSize: Double?

    @Option(help: "JSON file with linking parameters (any subset of LinkingParameters' fields).")
    var config: String?

    func validate() throws {
        if let interval, !(interval > 0) { throw ValidationError("--interval must be > 0") }
        if let pixelSize, !(pixelSize > 0) { throw ValidationError("--pixel-size must be > 0") }
    }

    func run() throws {
        try runReportingErrors {
            var parameters = LinkingParameters()
            if let config {
                guard let data = FileManager.default.contents(atPath: config) else {
                    throw InputError(file: config, problem: "cannot read configuration file")
                }
                do { parameters = try JSONDecoder().decode(LinkingParameters.self, from: data) } catch {
                    throw InputError(file: config, problem: "not a valid linking configuration: \(error)")
                }
                try parameters.validate()
            }
            let movie = try MovieReader(inputs: [masks])
            let started = Date()
            var tracker = try Tracker(parameters: parameters)
            for i in 0..<movie.frameCount {
                var labels = try movie.readLabels(i)
                if let pixelSize { labels.pixelSize = pixelSize } else if labels.pixelSize == nil { labels.pixelSize = movie.pixelSizeUm }
                let regions = RegionMeasurer.measure(labels: labels, intensity: nil)
                do {
                    try tracker.addFrame(index: i, labels: labels, regions: regions)
                } catch let error as ParameterError {
                    throw InputError(file: movie.sources[i].path, frame: i, problem: error.description)
                }
            }
            let graph = tracker.finish()
            let minutes = interval ?? movie.frameIntervalMin ?? 1
            let lineage = try LineageBuilder.build(graph: graph, frameTimesMin: (0..<max(movie.frameCount, 1)).map { Double($0) * minutes })
            let linkSeconds = Date().timeIntervalSince(started)
            let complete = lineage.tracks.filter(\.isCompleteCycle)
            print("frames \(movie.frameCount), cells \(graph.count), tracks \(lineage.tracks.count), divisions \(graph.divisions.count), complete cycles \(complete.count)")
            print(String(format: "linked in %.3f s (%.2f ms/frame, including reading and measuring)", linkSeconds,
                         1000 * linkSeconds / Double(max(movie.frameCount, 1))))
            if let ctcOut {
                try CTCWriter.write(graph: graph, lineage: lineage, movie: movie, to: ctcOut)
                print("wrote \(ctcOut)/res_track.txt, mask*.tif, tracks.csv")
            }
        }
    }
}

/// Cell Tracking Challenge output for a lineage. CTC tracks must be present in every frame from
/// begin to end, so a track with a closed gap is written as segments: the first keeps the track
/// id, later ones get new labels (after the largest track id) with the previous segment as parent.
enum CTCWriter {
    static func write(graph: LineageGraph, lineage: LineageResult, movie: MovieReader, to folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError(file: folder, problem: "cannot create folder: \(error.localizedDescription)")
        }
        var ctcLabel = [UInt32](repeating: 0, count: graph.count)
        var lines: [String] = []
        var nextLabel = lineage.tracks.count + 1
        var lastSegmentOfTrack = [Int](repeating: 0, count: lineage.tracks.count + 1)
        var extra: [(label: Int, begin: Int, end: Int, parent: Int)] = []
        for t in lineage.tracks {
            var label = t.id
            var begin = graph.nodes[t.nodes[0]].frame
            var previousFrame = begin
            var segments: [(Int, Int, Int)] = []   // label, begin, end
            for n in t.nodes {
                let f = graph.nodes[n].frame
                if f > previousFrame + 1 {
                    segments.append((label, begin, previousFrame))
                    label = nextLabel; nextLabel += 1
                    begin = f
                }
                ctcLabel[n] = UInt32(label)
                previousFrame = f
            }
            segments.append((label, begin, previousFrame))
            for (k, s) in segments.enumerated() {
                let parent = k == 0 ? (t.parent.map { lastSegmentOfTrack[$0] } ?? 0) : segments[k - 1].0
                if k == 0 { lines.append("\(s.0) \(s.1) \(s.2) \(parent)") } else { extra.append((s.0, s.1, s.2, parent)) }
            }
            lastSegmentOfTrack[t.id] = segments.last!.0
        }
        for e in extra { lines.append("\(e.label) \(e.begin) \(e.end) \(e.parent)") }
        try writeText(lines.joined(separator: "\n") + "\n", to: folder + "/res_track.txt")

        // Masks: relabel each frame (second streaming pass over the input).
        let digits = max(3, String(max(movie.frameCount - 1, 0)).count)
        var nodesByFrame = [[Int]](repeating: [], count: movie.frameCount)
        for n in 0..<graph.count { nodesByFrame[graph.nodes[n].frame].append(n) }
        for i in 0..<movie.frameCount {
            var labels = try movie.readLabels(i)
            var map: [UInt32: UInt32] = [:]
            for n in nodesByFrame[i] { map[graph.nodes[n].label] = ctcLabel[n] }
            labels.withUnsafeMutableBufferPointer { px in
                var last: UInt32 = 0, mapped: UInt32 = 0
                for k in 0..<px.count where px[k] != 0 {
                    if px[k] != last { last = px[k]; mapped = map[last] ?? 0 }
                    px[k] = mapped
                }
            }
            let name = String(repeating: "0", count: max(0, digits - String(i).count)) + String(i)
            try TIFFWriter.writeLabels(labels, to: folder + "/mask\(name).tif")
        }

        // Per-track table (growth in 1/h).
        var csv = "track_id,parent_id,generation,root_id,fate,first_frame,last_frame,n_obs,complete_cycle,"
            + "growth_rate_length_per_h,growth_rate_length_se,growth_rate_length_r2,growth_rate_area_per_h,"
            + "growth_rate_area_se,growth_rate_area_r2,doubling_time_h,birth_length_px,division_length_px,added_length_px,"
            + "birth_area_px,division_area_px\n"
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        for t in lineage.tracks {
            csv += "\(t.id),\(t.parent.map(String.init) ?? ""),\(t.generation),\(t.root),\(t.fate.rawValue),"
                + "\(t.firstFrame),\(t.lastFrame),\(t.nodes.count),\(t.isCompleteCycle ? 1 : 0),"
                + "\(f(t.lengthFit?.ratePerHour)),\(f(t.lengthFit?.standardError)),\(f(t.lengthFit?.rSquared)),"
                + "\(f(t.areaFit?.ratePerHour)),\(f(t.areaFit?.standardError)),\(f(t.areaFit?.rSquared)),"
                + "\(f(t.lengthFit?.doublingTimeHours)),\(f(t.birthLength)),\(f(t.divisionLength)),\(f(t.addedLength)),"
                + "\(t.birthArea),\(t.divisionArea)\n"
        }
        try writeText(csv, to: folder + "/tracks.csv")
    }

    static func writeText(_ text: String, to path: String) throws {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw OutputError(file: path, problem: "cannot write: \(error.localizedDescription)")
        }
    }
}
