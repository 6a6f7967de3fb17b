import CellTrackCore
import Foundation

/// How a track (one cell cycle) ends.
public enum TrackFate: String, Codable, Sendable {
    /// Divided into two daughters inside the movie.
    case divided
    /// Its centre left the field of view.
    case exit
    /// Hidden entirely behind neighbours (no pixel of its own); rare, the track just ends.
    case lost
    /// Still alive in the last frame.
    case end
}

/// The truth about one track: one cell cycle as CTC sees it.
public struct TrackTruth: Sendable, Equatable {
    /// Label in the GT masks and `man_track.txt` (1, 2, … in order of first appearance).
    public var trackID: Int
    /// Mother's track id, 0 for cells present at the start.
    public var parentID: Int
    public var firstFrame: Int
    public var lastFrame: Int
    public var fate: TrackFate
    /// True growth rate μ of the cycle, 1/h (the simulation's parameter, not a fit).
    public var growthRatePerHour: Double
    /// Tip-to-tip length at birth (µm); nil for cells present at the start.
    public var birthLength: Double?
    /// Tip-to-tip length when it divided (µm); nil unless `fate == .divided`.
    public var divisionLength: Double?
    /// Born by division in the movie and divided in the movie.
    public var isCompleteCycle: Bool { parentID != 0 && fate == .divided }
    /// Per frame from `firstFrame`: time (min), true length (µm) and area (µm²), and the
    /// rendered mask's pixel count and axis extent (px).
    public var times: [Double] = []
    public var lengths: [Double] = []
    public var areas: [Double] = []
    public var maskPixels: [Int] = []
    public var maskLengths: [Double] = []
    /// Simulation id of the cell (internal; ties the track to `SimulatedCell.id`).
    public var cellID: Int
}

/// The truth about one cell in one frame.
public struct CellObservation: Sendable, Equatable {
    public var frame: Int
    public var trackID: Int
    /// Centre in pixels of this frame (drift included); x = column, y = row.
    public var centerX: Double
    public var centerY: Double
    /// Axis angle from the +x axis, radians.
    public var angle: Double
    public var length: Double
    public var width: Double
    public var area: Double
    public var maskPixels: Int
}

/// One frame of a synthetic movie: the camera image and its ground truth.
public struct SynthFrame: Sendable {
    public var index: Int
    public var timeMinutes: Double
    /// One plane (grey) or three (R, G, B); counts within the bit depth.
    public var channels: [Image<UInt16>]
    /// Ground-truth labels: 0 background, otherwise the track id.
    public var labels: LabelImage
    public var cells: [CellObservation]
    /// Stage offset of this frame, µm.
    public var driftX: Double
    public var driftY: Double
}

/// A synthetic time-lapse movie, produced one frame at a time (memory bounded by a frame).
///
/// ```swift
/// var movie = try SynthMovie(parameters: p)
/// while let frame = movie.nextFrame() { use(frame.channels[0], frame.labels) }
/// let tracks = movie.tracks      // complete after the last frame
/// ```
public struct SynthMovie {
    public let parameters: SynthParameters
    public private(set) var simulation: ColonySimulation
    private var renderer: FrameRenderer
    private let camera: Camera
    /// Stage offset per frame (µm).
    public let driftPath: [(x: Double, y: Double)]
    /// Tracks seen so far, indexed by `trackID - 1`.
    public private(set) var tracks: [TrackTruth] = []
    private var trackOfCell: [Int: Int] = [:]
    private var pendingParent: [Int: Int] = [:]
    private var pendingBirthLength: [Int: Double] = [:]
    public private(set) var nextFrameIndex = 0

    /// Validates the parameters and sets up the colony and the optics.
    public init(parameters: SynthParameters) throws {
        try parameters.validate()
        self.parameters = parameters
        simulation = ColonySimulation(parameters: parameters)
        renderer = FrameRenderer(parameters: parameters)
        camera = Camera(parameters: parameters)
        driftPath = Self.makeDriftPath(parameters)
    }

    static func makeDriftPath(_ p: SynthParameters) -> [(x: Double, y: Double)] {
        var rng = SynthRandom(seed: p.seed, stream: 4)
        let direction = rng.uniform(0, 2 * Double.pi)
        var path: [(x: Double, y: Double)] = [(0, 0)]
        for _ in 1..<max(1, p.frames) {
            let last = path[path.count - 1]
            path.append((last.x + p.drift * (cos(direction) + 0.2 * rng.normal()),
                         last.y + p.drift * (sin(direction) + 0.2 * rng.normal())))
        }
        return path
    }

    /// The next frame, or nil after the last one.
    public mutating func nextFrame() -> SynthFrame? {
        let k = nextFrameIndex
        guard k < parameters.frames else { return nil }
        nextFrameIndex += 1
        let p = parameters
        let time = Double(k) * p.interval
        simulation.advance(to: time)

        for event in simulation.takeDivisions() {
            if let track = trackOfCell[event.motherID] {
                tracks[track - 1].fate = .divided
                tracks[track - 1].divisionLength = event.motherLength
                for daughter in [event.daughterIDs.0, event.daughterIDs.1] { pendingParent[daughter] = track }
            }
        }
        let offset = driftPath[k]
        let driftX = offset.x / p.pixelSize, driftY = offset.y / p.pixelSize

        // Cells whose centre left the field end here.
        var gone: [Int] = []
        for cell in simulation.cells {
            let x = cell.shape.centerX / p.pixelSize + driftX, y = cell.shape.centerY / p.pixelSize + driftY
            if x < -0.5 || y < -0.5 || x >= Double(p.width) - 0.5 || y >= Double(p.height) - 0.5 {
                gone.append(cell.id)
                if let track = trackOfCell[cell.id] { tracks[track - 1].fate = .exit }
            }
        }
        if !gone.isEmpty { simulation.remove(ids: gone) }

        let cells = simulation.cells
        let shapes = cells.map { cell -> Spherocylinder in
            var s = cell.shape
            s.centerX = s.centerX / p.pixelSize + driftX
            s.centerY = s.centerY / p.pixelSize + driftY
            s.length /= p.pixelSize
            s.width /= p.pixelSize
            return s
        }
        let rendered = renderer.render(cells: shapes, brightness: cells.map(\.brightness), driftX: driftX, driftY: driftY)

        // Slot → track id; cells without a pixel of their own are lost.
        var slotToTrack = [UInt32](repeating: 0, count: cells.count + 1)
        var lost: [Int] = [], seen: [Int] = []
        var observations: [CellObservation] = []
        for (k2, cell) in cells.enumerated() {
            let stats = rendered.cells[k2]
            guard stats.pixelCount > 0 else {
                lost.append(cell.id)
                if let track = trackOfCell[cell.id] { tracks[track - 1].fate = .lost }
                continue
            }
            let track: Int
            if let existing = trackOfCell[cell.id] {
                track = existing
            } else {
                track = tracks.count + 1
                trackOfCell[cell.id] = track
                tracks.append(TrackTruth(
                    trackID: track, parentID: pendingParent[cell.id] ?? 0, firstFrame: k, lastFrame: k, fate: .end,
                    growthRatePerHour: cell.growthRate * 60,
                    birthLength: cell.motherID == nil ? nil : cell.birthLength, divisionLength: nil,
                    cellID: cell.id))
                pendingParent[cell.id] = nil
            }
            tracks[track - 1].lastFrame = k
            tracks[track - 1].times.append(time)
            tracks[track - 1].lengths.append(cell.shape.length)
            tracks[track - 1].areas.append(cell.shape.area)
            tracks[track - 1].maskPixels.append(stats.pixelCount)
            tracks[track - 1].maskLengths.append(stats.maskLength)
            slotToTrack[k2 + 1] = UInt32(track)
            seen.append(cell.id)
            observations.append(CellObservation(
                frame: k, trackID: track, centerX: shapes[k2].centerX, centerY: shapes[k2].centerY,
                angle: cell.shape.angle, length: cell.shape.length, width: cell.shape.width, area: cell.shape.area,
                maskPixels: stats.pixelCount))
        }
        if !lost.isEmpty { simulation.remove(ids: lost) }
        simulation.markSeen(ids: seen)
        observations.sort { $0.trackID < $1.trackID }

        var labels = rendered.labels
        labels.withUnsafeMutableBufferPointer { buffer in
            slotToTrack.withUnsafeBufferPointer { map in
                for i in 0..<buffer.count { buffer[i] = map[Int(buffer[i])] }
            }
        }
        let channels: [Image<UInt16>] = p.rgb
            ? Camera.rgbGains.enumerated().map { camera.expose(rendered.expected, frame: k, channel: $0.offset, gain: $0.element) }
            : [camera.expose(rendered.expected, frame: k)]
        return SynthFrame(index: k, timeMinutes: time, channels: channels, labels: labels, cells: observations,
                          driftX: offset.x, driftY: offset.y)
    }
}
