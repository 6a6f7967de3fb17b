import CellTrackCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic synthetic movie already in store rows: rod-shaped cells that grow exponentially,
/// divide by an adder rule, and carry masks, tracks, divisions and growth fits. It feeds the store
/// benchmark (`celltrack bench-store`), the resume/kill tests and the SQL cookbook tests without
/// depending on the segmentation or tracking modules. It is not an image simulator (see `Synth`).
///
/// ```swift
/// let movie = SyntheticLineage.generate(.init(roots: 20, frames: 12, seed: 7))
/// let m = try store.addMovie(movie.movie, runID: run.runID)
/// for f in movie.frames { try store.writeFrame(f.frame, cells: f.cells, movieID: m.movieID) }
/// try store.replaceLineage(movieID: m.movieID, tracks: movie.tracks, divisions: movie.divisions, assignments: movie.assignments)
/// ```
public struct SyntheticLineage: Sendable {
    public struct Parameters: Codable, Equatable, Sendable {
        /// Cells at frame 0 (default 20).
        public var roots: Int
        /// Frames in the movie (default 12).
        public var frames: Int
        /// Minutes between frames (default 10).
        public var frameIntervalMin: Double
        /// µm per pixel (default 0.1).
        public var pixelSizeUm: Double
        /// Mean growth rate of length, 1/h (default 0.9; doubling ≈ 46 min).
        public var meanGrowthRatePerH: Double
        /// Channels measured per cell (default 1).
        public var channels: Int
        /// Seed of the SplitMix64 generator (default 1).
        public var seed: UInt64

        public init(roots: Int = 20, frames: Int = 12, frameIntervalMin: Double = 10, pixelSizeUm: Double = 0.1,
                    meanGrowthRatePerH: Double = 0.9, channels: Int = 1, seed: UInt64 = 1) {
            self.roots = roots
            self.frames = frames
            self.frameIntervalMin = frameIntervalMin
            self.pixelSizeUm = pixelSizeUm
            self.meanGrowthRatePerH = meanGrowthRatePerH
            self.channels = channels
            self.seed = seed
        }

        public func validate() throws {
            guard roots >= 1 else { throw ParameterError.invalid(name: "roots", value: "\(roots)", reason: "must be ≥ 1") }
            guard frames >= 1 else { throw ParameterError.invalid(name: "frames", value: "\(frames)", reason: "must be ≥ 1") }
            guard frameIntervalMin > 0 else {
                throw ParameterError.invalid(name: "frameIntervalMin", value: "\(frameIntervalMin)", reason: "must be > 0")
            }
            guard pixelSizeUm > 0 else { throw ParameterError.invalid(name: "pixelSizeUm", value: "\(pixelSizeUm)", reason: "must be > 0") }
            guard meanGrowthRatePerH > 0 else {
                throw ParameterError.invalid(name: "meanGrowthRatePerH", value: "\(meanGrowthRatePerH)", reason: "must be > 0")
            }
            guard channels >= 1 else { throw ParameterError.invalid(name: "channels", value: "\(channels)", reason: "must be ≥ 1") }
        }
    }

    public var movie: MovieRecord
    public var frames: [(frame: FrameRecord, cells: [CellRecord])]
    public var tracks: [TrackRecord]
    public var divisions: [DivisionRecord]
    public var assignments: [CellTrackAssignment]

    /// Generates the movie. Same parameters → identical rows. Precondition: `validate()` passes.
    public static func generate(_ p: Parameters, name: String = "synthetic") -> SyntheticLineage {
        var rng = SplitMix64(seed: p.seed)
        let widthPx = 2048, heightPx = 2048
        let cellWidthPx = 8.0
        let dtH = p.frameIntervalMin / 60

        struct Live {
            var trackID: Int
            var birthLength: Double
            var added: Double
            var rate: Double
            var age: Double          // hours since birth (or since the first frame for roots)
            var cx: Double, cy: Double, theta: Double
        }
        struct Observation {
            var frameIndex: Int
            var label: UInt32
            var lengthPx: Double
            var areaPx: Int
            var timeH: Double
        }

        var tracks: [TrackRecord] = []
        var observations: [[Observation]] = []   // by track id - 1
        var lives: [Live] = []
        for i in 0..<p.roots {
            let birth = 24 + 8 * rng.nextDouble()
            let added = 24 + 4 * rng.gaussian()
            let rate = p.meanGrowthRatePerH * (1 + 0.1 * rng.gaussian())
            // Start somewhere in the cycle so the roots do not divide in synchrony.
            let age = rng.nextDouble() * log((birth + added) / birth) / rate
            let cx = 80 + Double(widthPx - 160) * rng.nextDouble()
            let cy = 80 + Double(heightPx - 160) * rng.nextDouble()
            let theta = (rng.nextDouble() - 0.5) * Double.pi * 0.999
            lives.append(Live(trackID: i + 1, birthLength: birth, added: added, rate: rate, age: age, cx: cx, cy: cy, theta: theta))
            tracks.append(TrackRecord(trackID: i + 1, parentTrackID: nil, rootTrackID: i + 1, generation: 0,
                                      firstFrameIndex: 0, lastFrameIndex: 0, fate: .endOfMovie))
            observations.append([])
        }

        var frames: [(frame: FrameRecord, cells: [CellRecord])] = []
        var divisions: [DivisionRecord] = []
        var assignments: [CellTrackAssignment] = []
        for frameIndex in 0..<p.frames {
            if frameIndex > 0 {
                var next: [Live] = []
                for var cell in lives {
                    cell.age += dtH
                    let length = cell.birthLength * exp(cell.rate * cell.age)
                    if length < cell.birthLength + cell.added {
                        next.append(cell)
                        continue
                    }
                    // Divide: two daughters side by side along the mother's axis.
                    tracks[cell.trackID - 1].fate = .divided
                    var daughterIDs: [Int] = []
                    for side in [-1.0, 1.0] {
                        let id = tracks.count + 1
                        daughterIDs.append(id)
                        let mother = tracks[cell.trackID - 1]
                        let half = length / 2 * (1 + 0.03 * rng.gaussian())
                        let shift = side * length / 4
                        let rate = p.meanGrowthRatePerH * (1 + 0.1 * rng.gaussian())
                        next.append(Live(trackID: id, birthLength: half, added: 24 + 4 * rng.gaussian(), rate: rate,
                                         age: 0, cx: cell.cx + shift * sin(cell.theta), cy: cell.cy + shift * cos(cell.theta),
                                         theta: cell.theta + 0.1 * rng.gaussian()))
                        tracks.append(TrackRecord(trackID: id, parentTrackID: mother.trackID, rootTrackID: mother.rootTrackID,
                                                  generation: mother.generation + 1, firstFrameIndex: frameIndex,
                                                  lastFrameIndex: frameIndex, fate: .endOfMovie))
                        observations.append([])
                    }
                    divisions.append(DivisionRecord(motherTrackID: cell.trackID, daughter1TrackID: daughterIDs[0],
                                                    daughter2TrackID: daughterIDs[1], frameIndex: frameIndex,
                                                    daughter1OverlapFraction: 0.9 + 0.1 * rng.nextDouble(),
                                                    daughter2OverlapFraction: 0.9 + 0.1 * rng.nextDouble(),
                                                    sizeRatio: 0.0))   // filled in below from the areas
                }
                lives = next
            }
            var cells: [CellRecord] = []
            var totalArea = 0
            for (k, cell) in lives.enumerated() {
                let label = UInt32(k + 1)
                let lengthPx = cell.birthLength * exp(cell.rate * cell.age) * (1 + 0.005 * rng.gaussian())
                let theta = max(-Double.pi / 2 + 1e-9, min(Double.pi / 2, cell.theta))
                let rod = Rod(cx: min(max(cell.cx, 60), Double(widthPx) - 60), cy: min(max(cell.cy, 60), Double(heightPx) - 60),
                              length: lengthPx, width: cellWidthPx, theta: theta)
                let (box, mask, area, mx, my) = rod.rasterize(imageWidth: widthPx, imageHeight: heightPx)
                let s = p.pixelSizeUm
                let mean = 100 + 10 * rng.gaussian()
                var channels: [ChannelIntensity] = []
                for c in 0..<p.channels {
                    let channelMean: Double = mean / Double(c + 1)
                    channels.append(ChannelIntensity(mean: channelMean, total: channelMean * Double(area),
                                                     min: channelMean - 20, max: channelMean + 20,
                                                     backgroundCorrectedMean: channelMean - 50))
                }
                let perimeter: Double = 2 * (lengthPx - cellWidthPx) + Double.pi * cellWidthPx
                cells.append(CellRecord(label: label, areaPx: area, areaUm2: Double(area) * s * s,
                                        centroidXPx: mx, centroidYPx: my, centroidXUm: mx * s, centroidYUm: my * s,
                                        bbox: box, lengthPx: lengthPx, widthPx: cellWidthPx, lengthUm: lengthPx * s,
                                        widthUm: cellWidthPx * s, orientationRad: theta, majorAxisPx: lengthPx,
                                        minorAxisPx: cellWidthPx, perimeterPx: perimeter,
                                        channels: channels, maskRLE: mask))
                totalArea += area
                observations[cell.trackID - 1].append(Observation(frameIndex: frameIndex, label: label, lengthPx: lengthPx,
                                                                  areaPx: area, timeH: Double(frameIndex) * dtH))
                tracks[cell.trackID - 1].lastFrameIndex = frameIndex
            }
            let frame = FrameRecord(frameIndex: frameIndex, timeMin: Double(frameIndex) * p.frameIntervalMin,
                                    sourcePath: "synthetic.tif", sourcePage: frameIndex,
                                    foregroundFraction: Double(totalArea) / Double(widthPx * heightPx),
                                    cellCount: cells.count, meanIntensity: 100 + rng.nextDouble(),
                                    focusMeasure: 1 + rng.nextDouble(), processingMs: 0)
            frames.append((frame, cells))
        }

        // Per-track figures from the observations, as Lineage would compute them.
        let s = p.pixelSizeUm
        for i in tracks.indices {
            let obs = observations[i]
            var t = tracks[i]
            let lengths = obs.map { $0.lengthPx * s }
            let areas = obs.map { Double($0.areaPx) * s * s }
            t.birthLengthUm = lengths.first
            t.birthAreaUm2 = areas.first
            if t.fate == .divided {
                t.divisionLengthUm = lengths.last
                t.divisionAreaUm2 = areas.last
                t.addedLengthUm = lengths.last! - lengths.first!
            }
            t.growthFitPoints = obs.count
            let times = obs.map(\.timeH)
            if let fit = LogLinearFit(times: times, values: lengths) {
                t.growthRateLengthPerH = fit.slope
                t.growthRateLengthStderrPerH = fit.stderr
                t.growthRateLengthR2 = fit.r2
                t.doublingTimeH = fit.slope > 0 ? log(2) / fit.slope : nil
            }
            if let fit = LogLinearFit(times: times, values: areas) {
                t.growthRateAreaPerH = fit.slope
                t.growthRateAreaStderrPerH = fit.stderr
                t.growthRateAreaR2 = fit.r2
            }
            tracks[i] = t
            for (k, o) in obs.enumerated() {
                var rate: Double? = nil
                if k > 0 && k + 1 < obs.count {
                    rate = (log(obs[k + 1].lengthPx) - log(obs[k - 1].lengthPx)) / (obs[k + 1].timeH - obs[k - 1].timeH)
                }
                assignments.append(CellTrackAssignment(frameIndex: o.frameIndex, label: o.label, trackID: t.trackID,
                                                       growthRateLengthPerH: rate))
            }
        }
        for k in divisions.indices {
            let d = divisions[k]
            let motherArea = Double(observations[d.motherTrackID - 1].last!.areaPx)
            let daughters = Double(observations[d.daughter1TrackID - 1][0].areaPx + observations[d.daughter2TrackID - 1][0].areaPx)
            divisions[k].sizeRatio = daughters / motherArea
        }
        assignments.sort { ($0.frameIndex, $0.label) < ($1.frameIndex, $1.label) }

        let movie = MovieRecord(name: name, sourcePaths: ["synthetic.tif"], widthPx: widthPx, heightPx: heightPx,
                                frameCount: p.frames, pixelSizeUm: p.pixelSizeUm, frameIntervalMin: p.frameIntervalMin,
                                channelNames: (0..<p.channels).map { $0 == 0 ? "phase" : "fluor\($0)" },
                                inputHash: StableHash.fnv1a64Hex("synthetic \(p)"))
        return SyntheticLineage(movie: movie, frames: frames, tracks: tracks, divisions: divisions, assignments: assignments)
    }
}

/// A capsule: a segment of length `length - width` with round caps of radius `width / 2`.
struct Rod {
    var cx: Double, cy: Double, length: Double, width: Double, theta: Double

    /// Bounding box, mask RLE, area and centroid of the rasterized rod (pixel centres inside).
    func rasterize(imageWidth: Int, imageHeight: Int) -> (MaskRLE.BoundingBox, [UInt8], Int, Double, Double) {
        // Orientation is measured from the row axis (regionprops), so the axis is (sin θ, cos θ) in (x, y).
        let ax = sin(theta), ay = cos(theta)
        let half = max(0, (length - width) / 2), r = width / 2
        let ex = abs(ax) * half + r, ey = abs(ay) * half + r
        let box = MaskRLE.BoundingBox(minX: max(0, Int((cx - ex).rounded(.down))), minY: max(0, Int((cy - ey).rounded(.down))),
                                      maxX: min(imageWidth, Int((cx + ex).rounded(.up)) + 1),
                                      maxY: min(imageHeight, Int((cy + ey).rounded(.up)) + 1))
        var patch = LabelImage(width: box.width, height: box.height, repeating: 0)
        var area = 0, sx = 0.0, sy = 0.0
        for y in box.minY..<box.maxY {
            for x in box.minX..<box.maxX {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let along = max(-half, min(half, dx * ax + dy * ay))
                let px = dx - along * ax, py = dy - along * ay
                if px * px + py * py <= r * r {
                    patch[x - box.minX, y - box.minY] = 1
                    area += 1
                    sx += Double(x)
                    sy += Double(y)
                }
            }
        }
        let local = MaskRLE.BoundingBox(minX: 0, minY: 0, maxX: box.width, maxY: box.height)
        return (box, MaskRLE.encode(labels: patch, label: 1, bbox: local), area, sx / Double(max(area, 1)), sy / Double(max(area, 1)))
    }
}

/// Least-squares slope of ln(value) against time, with its standard error and R².
struct LogLinearFit {
    var slope: Double
    var stderr: Double
    var r2: Double

    init?(times: [Double], values: [Double]) {
        let n = times.count
        guard n >= 3, values.allSatisfy({ $0 > 0 }) else { return nil }
        let ys = values.map { log($0) }
        let mt = times.reduce(0, +) / Double(n), my = ys.reduce(0, +) / Double(n)
        var stt = 0.0, sty = 0.0, syy = 0.0
        for i in 0..<n {
            stt += (times[i] - mt) * (times[i] - mt)
            sty += (times[i] - mt) * (ys[i] - my)
            syy += (ys[i] - my) * (ys[i] - my)
        }
        guard stt > 0 else { return nil }
        slope = sty / stt
        let residual = max(0, syy - slope * sty)
        stderr = (residual / Double(n - 2) / stt).squareRoot()
        r2 = syy > 0 ? 1 - residual / syy : 1
    }
}


extension SplitMix64 {
    /// Standard normal (Box–Muller, one value per call).
    mutating func gaussian() -> Double {
        let u1 = max(nextDouble(), 1e-300), u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
