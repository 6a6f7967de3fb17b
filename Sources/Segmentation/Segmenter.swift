import CellTrackCore

/// Parameters of the segmentation (they go into the JSON config and the run's provenance).
///
/// Lengths marked "px, default from µm" are optional: `nil` means the default derived from the
/// pixel size (`Segmenter.defaultPixelSize` = 0.1 µm when unknown), so one config works across
/// microscopes. `resolved(pixelSize:)` returns the concrete values.
///
/// ```swift
/// var p = SegmentationParameters()          // the recipe with h-maxima markers
/// p.openRadius = 5
/// let result = try Segmenter.segment(frame.image, parameters: p, pixelSize: 0.065)
/// ```
public struct SegmentationParameters: Codable, Equatable, Hashable, Sendable {
    public enum Method: String, Codable, Equatable, Hashable, Sendable, CaseIterable {
        /// Smooth, flat-field, threshold, opening, EDT, markers, watershed on −EDT, size filter.
        case recipe
        /// Touching rods in phase contrast: intensity, Hessian ridges, core markers, watershed
        /// on intensity, relative edges (`ColonyParameters`, docs/colony-method.md).
        case colony
        /// The default: `colony` when the cells are dark (phase contrast, bright field), else
        /// `recipe`. Dark means the recipe's polarity: the given one, or for `auto` the minority
        /// side of the Otsu threshold of the smoothed frame. The recipe chosen this way is
        /// bit-identical to `recipe` chosen explicitly.
        case auto
        /// Dark rods in the chambers of a mother machine, chambers along y or x
        /// (`MotherMachine`, `MotherMachineParameters`); `colony` when no chambers are found.
        case mothermachine
    }
    public enum MarkerMethod: String, Codable, Equatable, Hashable, Sendable, CaseIterable {
        /// Regional maxima of the h-maxima transform of the EDT (one marker per rod).
        case hmax
        /// `peak_local_max` of the EDT per connected component (the tutorial; over-segments rods).
        case peak
    }
    /// `otsu` or a fixed value in the units of the (preprocessed) image. Encoded as the string
    /// `"otsu"` or a number.
    public enum ThresholdChoice: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
        case otsu
        case value(Float)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Float.self) { self = .value(v); return }
            let s = try c.decode(String.self)
            guard let t = ThresholdChoice(parsing: s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "threshold must be 'otsu' or a number, got '\(s)'")
            }
            self = t
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .otsu: try c.encode("otsu")
            case let .value(v): try c.encode(v)
            }
        }
        /// Parses `otsu` or a finite number.
        public init?(parsing s: String) {
            if s.lowercased() == "otsu" { self = .otsu; return }
            guard let v = Float(s), v.isFinite else { return nil }
            self = .value(v)
        }
        public var description: String {
            switch self {
            case .otsu: return "otsu"
            case let .value(v): return "\(v)"
            }
        }
    }

    /// Default `auto` (colony for dark cells, recipe for bright ones).
    public var method: Method = .auto
    /// Parameters of the `colony` method (its cell width drives every size).
    public var colony = ColonyParameters()
    /// Parameters of the `mothermachine` method (its lengths come from `colony.cellWidthUm`).
    public var motherMachine = MotherMachineParameters()
    /// Default `auto`: the minority side of the Otsu threshold of the smoothed image is foreground.
    public var polarity: Polarity = .auto
    public var threshold: ThresholdChoice = .otsu
    /// Gaussian σ in px before everything else; 0 = off. Default 1.
    public var smoothSigma: Double = 1
    /// Flat-field background scale in µm (grey closing/opening of a binned copy wider than a
    /// cell); 0 = off. Default 12 µm.
    public var flatField: Double = 12
    /// Radius in px of the binary opening (disk) that removes speckles; 0 = off. Default 2.
    public var openRadius: Int = 2
    public var markers: MarkerMethod = .hmax
    /// h for h-maxima in px; default 0.1 µm.
    public var h: Double? = nil
    /// `peak_local_max` min_distance in px; default 0.8 µm.
    public var minDistance: Int? = nil
    /// `peak_local_max` footprint disk radius in px, 0 = square of side 2·minDistance+1; default minDistance.
    public var footprint: Int? = nil
    /// Objects smaller than this many px are dropped; default max(4, 0.4 µm²).
    public var minArea: Int? = nil
    /// Grow every cell by this many µm into the background after the size filter (labels never
    /// overwrite each other). `nil`: 0, the seed recipe as it is. An earlier default of 0.13 µm
    /// for dark cells lowered SEG on both the synthetic movies (0.869 → 0.777 on
    /// Samples/synthetic) and ecoli-trpL (0.191 → 0.187) once the renderer drew exact bodies.
    public var expand: Double? = nil
    /// Watershed neighbourhood (skimage's default `connectivity=1` is `.four`).
    public var connectivity: Connectivity = .four
    /// Fill holes in the foreground before the distance transform. Default false.
    public var fillHoles: Bool = false
    /// Drop objects that touch the image border. Default false.
    public var clearBorder: Bool = false

    public init() {}

    /// Checks ranges; throws `ParameterError.invalid` naming the parameter.
    public func validate() throws {
        func bad(_ name: String, _ value: Any, _ reason: String) -> ParameterError {
            .invalid(name: name, value: "\(value)", reason: reason)
        }
        guard smoothSigma.isFinite, smoothSigma >= 0, smoothSigma <= 100 else { throw bad("smooth-sigma", smoothSigma, "must be between 0 and 100 px") }
        guard flatField.isFinite, flatField >= 0 else { throw bad("flatfield", flatField, "must be a length in µm >= 0 (0 = off)") }
        guard openRadius >= 0, openRadius <= 1000 else { throw bad("open-radius", openRadius, "must be between 0 and 1000 px") }
        if let h { guard h.isFinite, h > 0 else { throw bad("h", h, "must be > 0 px") } }
        if let minDistance { guard minDistance >= 1, minDistance <= 10_000 else { throw bad("min-distance", minDistance, "must be between 1 and 10000 px") } }
        if let footprint { guard footprint >= 0, footprint <= 10_000 else { throw bad("footprint", footprint, "must be between 0 and 10000 px") } }
        if let minArea { guard minArea >= 0 else { throw bad("min-area", minArea, "must be >= 0 px") } }
        if let expand { guard expand.isFinite, expand >= 0, expand <= 100 else { throw bad("expand", expand, "must be between 0 and 100 µm") } }
        if case let .value(v) = threshold { guard v.isFinite else { throw bad("threshold", v, "must be 'otsu' or a finite number") } }
        try colony.validate()
        try motherMachine.validate()
    }

    /// Concrete values for a pixel size in µm (`nil`: `Segmenter.defaultPixelSize`).
    public struct Resolved: Equatable, Sendable {
        public var flatFieldPixels: Double
        public var h: Double
        public var minDistance: Int
        public var footprint: Int
        public var minArea: Int
        /// Expansion in px for dark cells and for bright cells.
        public var expandDark: Double
        public var expandBright: Double
    }

    public func resolved(pixelSize: Double?) -> Resolved {
        let px = pixelSize ?? Segmenter.defaultPixelSize
        let perUm = 1 / px
        let md = minDistance ?? max(1, Int((0.8 * perUm).rounded()))
        return Resolved(flatFieldPixels: flatField * perUm,
                        h: h ?? 0.1 * perUm,
                        minDistance: md,
                        footprint: footprint ?? md,
                        minArea: minArea ?? max(4, Int((0.4 * perUm * perUm).rounded())),
                        expandDark: (expand ?? 0) * perUm, expandBright: (expand ?? 0) * perUm)
    }
}

/// Labels and measurements of one frame.
public struct SegmentationResult: Sendable, Equatable {
    /// The cells as runs: labels 1…n, numbered in raster order of their first pixel.
    public var cells: LabelRuns
    /// One per label, sorted by label.
    public var regions: [Region]
    /// Threshold actually used (after preprocessing) and the resolved polarity.
    public var threshold: Float
    public var polarity: Polarity

    public init(cells: LabelRuns, regions: [Region], threshold: Float, polarity: Polarity) {
        self.cells = cells
        self.regions = regions
        self.threshold = threshold
        self.polarity = polarity
    }

    /// The label image (0 = background), painted from `cells` on each access: a frame-sized
    /// allocation, for writing masks and for tests, not for streaming code.
    public var labels: LabelImage { cells.labelImage() }
}

/// Time spent per stage (for benchmarks and QC): wall seconds and CPU seconds of the thread
/// (the latter is robust to other processes competing for the cores).
public struct StageTimings: Sendable {
    public var seconds: [(stage: String, seconds: Double)] = []
    public var cpuSeconds: [(stage: String, seconds: Double)] = []
    public init() {}
    mutating func add(_ stage: String, wall: Duration, cpu: Double) {
        let c = wall.components
        seconds.append((stage, Double(c.seconds) + Double(c.attoseconds) * 1e-18))
        cpuSeconds.append((stage, cpu))
    }
}

/// Times consecutive stages (wall and thread CPU) into optional `StageTimings`; costs nothing
/// when timing is off.
struct StageStopwatch {
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant
    private var cpuMark: Double
    private let enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled
        mark = clock.now
        cpuMark = enabled ? MathShim.threadCPUSeconds() : 0
    }

    /// Records the time since the previous lap (or the start) as `stage`.
    mutating func lap(_ stage: String, into timings: inout StageTimings?) {
        guard enabled else { return }
        let now = clock.now, cpu = MathShim.threadCPUSeconds()
        timings?.add(stage, wall: now - mark, cpu: cpu - cpuMark)
        mark = now
        cpuMark = cpu
    }

    /// Records the time since the previous lap as several stages that ran interleaved, shared
    /// in proportion to their measured `weights`.
    mutating func lap(splitting weights: [(stage: String, weight: Double)], into timings: inout StageTimings?) {
        guard enabled else { return }
        let now = clock.now, cpu = MathShim.threadCPUSeconds()
        let total = weights.reduce(0) { $0 + $1.weight }
        let cpuScale = total > 0 ? (cpu - cpuMark) / total : 0
        let wallScale = total > 0 ? (now - mark) / total : .zero
        for (stage, weight) in weights { timings?.add(stage, wall: wallScale * weight, cpu: weight * cpuScale) }
        mark = now
        cpuMark = cpu
    }
}

/// The segmentation stage: one frame in, labels and regions out. Pure and deterministic; safe
/// to call concurrently on different frames.
public enum Segmenter {
    /// Pixel size assumed for µm-based defaults when the image carries none.
    public static let defaultPixelSize = 0.1

    /// Frees the frame-sized buffers kept for the next frame (`FramePool`: one smoothed frame
    /// per worker, 49 MB each at 12 MP). Call it when no more frames of this size follow, e.g.
    /// before a movie's lineage is built, whose memory would otherwise come on top of them.
    public static func releaseFrameBuffers() { FramePool.shared.drain() }

    /// Segments one frame with the recipe:
    /// 1. Gaussian smoothing (σ px, reflect border);
    /// 2. polarity `auto` resolved on the smoothed image (minority side of its Otsu threshold);
    /// 3. flat-field (divide by a closing/opening of an 8× binned copy, see `Preprocess.flatField`);
    /// 4. threshold (Otsu or value) with the polarity;
    /// 5. binary opening with a disk, optional hole filling;
    /// 6. exact EDT;
    /// 7. markers: h-maxima (default) or `peak_local_max` per connected component;
    /// 8. watershed on −EDT inside the foreground (`Watershed.floodNegatedDistance`, skimage's order);
    /// 9. optional border clearing, then objects below `minArea` dropped and labels renumbered;
    /// 10. cells grown by `expand` (dark cells: 0.13 µm by default).
    ///
    /// - Parameter pixelSize: µm per px for the µm-based defaults; `nil` uses the image's
    ///   `pixelSize`, else `defaultPixelSize`.
    public static func segment(_ image: Image<Float>, parameters: SegmentationParameters,
                               pixelSize: Double?) throws -> SegmentationResult {
        var t: StageTimings? = nil
        return try segment(image, parameters: parameters, pixelSize: pixelSize, timings: &t)
    }

    public static func segment(_ image: Image<Float>, parameters p: SegmentationParameters,
                               pixelSize: Double?, timings: inout StageTimings?,
                               sharing: WorkSharing? = nil) throws -> SegmentationResult {
        if let v = image.withUnsafeBufferPointer({ Otsu.firstNonFinite($0) }) {
            throw ParameterError.invalid(name: "image", value: "\(v)", reason: "pixels must be finite")
        }
        return try segmentAny(image, parameters: p, pixelSize: pixelSize, timings: &timings, sharing: sharing)
    }

    /// `segment` of a frame as read (`GreyImage`): integer frames are segmented without a
    /// `Float` copy (see `GreyPixel`); the result equals that of the frame converted first.
    ///
    /// - Parameter sharing: lets idle threads help with this frame's colonies (`WorkSharing`);
    ///   the result is the same with or without it.
    public static func segment(_ frame: GreyImage, parameters p: SegmentationParameters,
                               pixelSize: Double?, sharing: WorkSharing? = nil) throws -> SegmentationResult {
        var t: StageTimings? = nil
        return try segment(frame, parameters: p, pixelSize: pixelSize, timings: &t, sharing: sharing)
    }

    public static func segment(_ frame: GreyImage, parameters p: SegmentationParameters,
                               pixelSize: Double?, timings: inout StageTimings?,
                               sharing: WorkSharing? = nil) throws -> SegmentationResult {
        switch frame {
        case .float(let image):
            return try segment(image, parameters: p, pixelSize: pixelSize, timings: &timings, sharing: sharing)
        case .uint16(let image):
            return try segmentAny(image, parameters: p, pixelSize: pixelSize, timings: &timings, sharing: sharing)
        case .uint8(let image):
            return try segmentAny(image, parameters: p, pixelSize: pixelSize, timings: &timings, sharing: sharing)
        }
    }

    /// Whether `segment` of a `GreyImage` uses an integer frame as it is (the colony method and
    /// `auto`); the recipe and the mother-machine method convert it to `Float` first, so for them
    /// a reader should deliver `Float` directly rather than hold both copies.
    public static func readsIntegerFrames(_ p: SegmentationParameters) -> Bool {
        p.method == .colony || p.method == .auto
    }

    /// Generic core of `segment`; assumes finite pixels (integer types always are). The recipe
    /// and the mother-machine method work on a `Float` copy; the colony method reads the frame
    /// as it is.
    static func segmentAny<P: GreyPixel>(_ image: Image<P>, parameters p: SegmentationParameters,
                                         pixelSize: Double?, timings: inout StageTimings?,
                                         sharing: WorkSharing?) throws -> SegmentationResult {
        try p.validate()
        if let ps = pixelSize { guard ps.isFinite, ps > 0 else { throw ParameterError.invalid(name: "pixel-size", value: "\(ps)", reason: "must be > 0 µm") } }
        guard image.count > 0 else { throw ParameterError.invalid(name: "image", value: "\(image.width)x\(image.height)", reason: "is empty") }
        if p.method != .recipe && p.method != .mothermachine,
           let result = try colonyIfChosen(image, parameters: p, pixelSize: pixelSize ?? image.pixelSize,
                                           timings: &timings, sharing: sharing) {
            return result
        }
        return try segmentFloat(image.asFloat, parameters: p, pixelSize: pixelSize, timings: &timings, sharing: sharing)
    }

    /// The mother-machine method (falling back to colony) and the recipe.
    static func segmentFloat(_ image: Image<Float>, parameters p: SegmentationParameters,
                             pixelSize: Double?, timings: inout StageTimings?,
                             sharing: WorkSharing?) throws -> SegmentationResult {
        if p.method == .mothermachine {
            var stopwatch = StageStopwatch(enabled: timings != nil)
            let px = pixelSize ?? image.pixelSize ?? defaultPixelSize
            if let cells = MotherMachine.segment(image, widthPixels: p.colony.cellWidthUm / px, parameters: p.motherMachine) {
                stopwatch.lap("chambers", into: &timings)
                let regions = RegionMeasurer.measure(runs: cells, intensity: image)
                stopwatch.lap("measure", into: &timings)
                return SegmentationResult(cells: cells, regions: regions, threshold: 0, polarity: .dark)
            }
            if let result = try colonyIfChosen(image, parameters: p, pixelSize: pixelSize ?? image.pixelSize,
                                               timings: &timings, sharing: sharing) {
                return result
            }
        }
        let r = p.resolved(pixelSize: pixelSize ?? image.pixelSize)
        var stopwatch = StageStopwatch(enabled: timings != nil)
        func lap(_ stage: String) { stopwatch.lap(stage, into: &timings) }

        var im = p.smoothSigma > 0 ? Preprocess.gaussian(image, sigma: p.smoothSigma) : image
        var polarity = p.polarity
        if polarity == .auto {
            let fixed: Float?
            switch p.threshold {
            case .otsu: fixed = nil
            case let .value(v): fixed = v
            }
            polarity = try Threshold.autoPolarity(im, fixedThreshold: fixed)
        }
        if r.flatFieldPixels > 0 {
            Preprocess.flatFieldInPlace(&im, scalePixels: r.flatFieldPixels, darkCells: polarity == .dark)
        }
        lap("smooth")

        let thr: Float
        switch p.threshold {
        case .otsu: thr = try Otsu.threshold(im)
        case let .value(v): thr = v
        }
        var fg = Threshold.apply(im, threshold: thr, polarity: polarity).mask
        // the smoothed frame is done with; not kept in the FramePool, because the recipe's EDT,
        // markers and labels follow and would then sit beside it
        im = Image(uncheckedWidth: 0, height: 0, pixels: [])
        lap("threshold")

        if p.openRadius > 0 { fg = Morphology.opening(fg, .disk(radius: p.openRadius)) }
        if p.fillHoles { fg = Morphology.fillHoles(fg) }
        lap("opening")

        var labels: LabelImage
        switch p.markers {
        case .hmax:
            // EDT, h-maxima markers and watershed per 8-connected foreground component, each on
            // its bounding box: exactly the whole-frame result (see `floodComponents`), with work
            // and memory proportional to the foreground instead of the frame.
            var stages = ComponentStageTimes()
            labels = floodComponents(fg, h: Float(r.h), connectivity: p.connectivity,
                                     timed: timings != nil, times: &stages)
            stopwatch.lap(splitting: [("edt", stages.edt), ("markers", stages.markers), ("watershed", stages.watershed)],
                          into: &timings)
        case .peak:
            let dist = DistanceTransform.euclidean(fg)
            lap("edt")
            let cc = Labeling.label(fg, connectivity: .four).labels
            let fp: StructuringElement = r.footprint > 0 ? .disk(radius: r.footprint) : .square(radius: r.minDistance)
            let peaks = try Markers.peakLocalMax(dist, minDistance: r.minDistance, excludeBorder: 0,
                                                 footprint: fp, labels: cc)
            let markers = Markers.labelPoints(peaks, width: fg.width, height: fg.height, connectivity: .four)
            lap("markers")
            labels = Watershed.floodNegatedDistance(dist, markers: markers, mask: fg, connectivity: p.connectivity)
            lap("watershed")
        }

        if p.clearBorder { labels = Morphology.clearBorder(labels) }
        let grow = polarity == .dark ? r.expandDark : r.expandBright
        removeSmallThenExpand(&labels, minArea: r.minArea, distance: grow >= 1 - 1e-5 ? grow : 0)
        labels.pixelSize = image.pixelSize
        lap("filter")

        let cells = LabelRuns(labels)
        let regions = RegionMeasurer.measure(runs: cells, intensity: image)
        lap("measure")
        return SegmentationResult(cells: cells, regions: regions, threshold: thr, polarity: polarity)
    }
}

/// Thread CPU seconds spent per stage inside `Segmenter.floodComponents`.
struct ComponentStageTimes {
    var edt = 0.0, markers = 0.0, watershed = 0.0
}

extension Segmenter {
    /// EDT → h-maxima markers → watershed on −EDT, one 8-connected foreground component at a
    /// time on its bounding box grown by one pixel (clipped to the image). Equals running the
    /// three stages on the whole frame, because nothing crosses between 8-components:
    /// - EDT: for a pixel p of component C the nearest pixel outside C is background, never
    ///   another component's pixel (the digital line from p to any other component leaves C
    ///   through a background pixel no farther than that pixel), and it lies in C's box + 1;
    ///   where the box is clipped, the image edge is the edge either way.
    /// - h-maxima: the reconstruction and the plateau test are 8-connected inside the
    ///   foreground (`hMaximaMarkersUnchecked`), hence confined to C.
    /// - watershed: the flood stays in the mask; each component's queue holds its own pixels in
    ///   the same relative order as the whole-frame queue (markers in raster order, then pushes
    ///   caused by its own pops).
    /// Label values differ from the whole-frame run (offset per component), which the size
    /// filter's renumbering in raster order of first pixel removes.
    static func floodComponents(_ fg: Mask, h: Float, connectivity: Connectivity, timed: Bool,
                                times: inout ComponentStageTimes) -> LabelImage {
        let w = fg.width, hh = fg.height
        var out = [UInt32](repeating: 0, count: w * hh)
        var visited = [UInt8](repeating: 0, count: w * hh)
        var stack: [Int64] = []
        var pixels: [Int64] = []
        var offset: UInt32 = 0
        // components whose box exceeds this many times their pixel count go to the shared pass
        let sprawlFactor = 12
        var sprawl: [UInt8] = []
        var sx0 = w, sx1 = -1, sy0 = hh, sy1 = -1
        /// EDT, markers and watershed on one crop (1 = pixels to segment), labels written into
        /// the frame with the running offset.
        func floodCrop(_ crop: [UInt8], x0 cx0: Int, y0 cy0: Int, width cw: Int, height ch: Int,
                       into o: UnsafeMutableBufferPointer<UInt32>, frameWidth w: Int) {
            let cropMask = Mask(uncheckedWidth: cw, height: ch, pixels: crop)
            var t0 = timed ? MathShim.threadCPUSeconds() : 0
            func stamp(_ field: inout Double) {
                guard timed else { return }
                let t = MathShim.threadCPUSeconds(); field += t - t0; t0 = t
            }
            let dist = DistanceTransform.euclidean(cropMask)
            stamp(&times.edt)
            let markers = Markers.hMaximaMarkersUnchecked(dist, foreground: cropMask, h: h)
            stamp(&times.markers)
            let local = Watershed.floodNegatedDistance(dist, markers: markers, mask: cropMask,
                                                       connectivity: connectivity)
            var maxLocal: UInt32 = 0
            local.withUnsafeBufferPointer { l in
                for cy in 0..<ch {
                    let src = cy * cw, dst = (cy + cy0) * w + cx0
                    for cx in 0..<cw where l[src + cx] != 0 {
                        let v = l[src + cx]
                        o[dst + cx] = v + offset
                        if v > maxLocal { maxLocal = v }
                    }
                }
            }
            offset += maxLocal
            stamp(&times.watershed)
        }
        fg.withUnsafeBufferPointer { m in
            visited.withUnsafeMutableBufferPointer { seen in
                out.withUnsafeMutableBufferPointer { o in
                    for start in 0..<(w * hh) where m[start] != 0 && seen[start] == 0 {
                        // flood the 8-connected component, collecting its pixels and box
                        pixels.removeAll(keepingCapacity: true)
                        // (x, y) packed in one Int64: no division per pixel
                        let sy = start / w
                        stack.append(Int64(sy) << 32 | Int64(start - sy * w)); seen[start] = 1
                        var x0 = w, x1 = -1, y0 = hh, y1 = -1
                        while let s = stack.popLast() {
                            pixels.append(s)
                            let y = Int(s >> 32), x = Int(s & 0xFFFF_FFFF)
                            if x < x0 { x0 = x }
                            if x > x1 { x1 = x }
                            if y < y0 { y0 = y }
                            if y > y1 { y1 = y }
                            let xa = x > 0 ? x - 1 : x, xb = x < w - 1 ? x + 1 : x
                            var yy = y > 0 ? y - 1 : y
                            let yb = y < hh - 1 ? y + 1 : y
                            while yy <= yb {
                                var q = yy * w + xa
                                for xx in xa...xb {
                                    if m[q] != 0 && seen[q] == 0 { seen[q] = 1; stack.append(Int64(yy) << 32 | Int64(xx)) }
                                    q += 1
                                }
                                yy += 1
                            }
                        }
                        let cx0 = max(x0 - 1, 0), cx1 = min(x1 + 1, w - 1)
                        let cy0 = max(y0 - 1, 0), cy1 = min(y1 + 1, hh - 1)
                        if (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > sprawlFactor * pixels.count {
                            // a sprawling component (its box is mostly other pixels): its box
                            // work would dwarf its pixels, so it joins one shared pass
                            if sprawl.isEmpty { sprawl = [UInt8](repeating: 0, count: w * hh) }
                            for s in pixels { sprawl[Int(s >> 32) * w + Int(s & 0xFFFF_FFFF)] = 1 }
                            sx0 = min(sx0, cx0); sx1 = max(sx1, cx1); sy0 = min(sy0, cy0); sy1 = max(sy1, cy1)
                            continue
                        }
                        let cw = cx1 - cx0 + 1, ch = cy1 - cy0 + 1
                        var crop = [UInt8](repeating: 0, count: cw * ch)
                        for s in pixels {
                            let y = Int(s >> 32), x = Int(s & 0xFFFF_FFFF)
                            crop[(y - cy0) * cw + (x - cx0)] = 1
                        }
                        floodCrop(crop, x0: cx0, y0: cy0, width: cw, height: ch, into: o, frameWidth: w)
                    }
                    if !sprawl.isEmpty {
                        // the sprawling components together, on the box of their union (exact for
                        // any union of components, for the same reasons)
                        let cw = sx1 - sx0 + 1, ch = sy1 - sy0 + 1
                        var crop = [UInt8](repeating: 0, count: cw * ch)
                        sprawl.withUnsafeBufferPointer { sp in
                            for cy in 0..<ch {
                                let src = (cy + sy0) * w + sx0, dst = cy * cw
                                for cx in 0..<cw { crop[dst + cx] = sp[src + cx] }
                            }
                        }
                        floodCrop(crop, x0: sx0, y0: sy0, width: cw, height: ch, into: o, frameWidth: w)
                    }
                }
            }
        }
        return LabelImage(uncheckedWidth: w, height: hh, pixels: out, pixelSize: fg.pixelSize)
    }
}

extension Segmenter {
    /// `Morphology.expandLabels(Morphology.removeSmall(labels, minArea), distance)` in place, with
    /// the expansion searched only around the kept cells' boxes (every pixel the expansion can
    /// reach lies within `distance` of a cell, hence in its box grown by `distance`), instead
    /// of over the whole frame. Same result: one counting pass, renumbering in raster order of
    /// first pixel, then for each unlabelled pixel near a cell the nearest labelled pixel within
    /// the disk of radius ⌊distance⌋ (ties: smaller dy, then dx), as `expandLabels` decides.
    /// `distance` 0 = no expansion.
    static func removeSmallThenExpand(_ labels: inout LabelImage, minArea: Int, distance: Double) {
        let w = labels.width, h = labels.height
        guard w > 0, h > 0 else { return }
        var maxLabel: UInt32 = 0
        labels.withUnsafeBufferPointer { l in for v in l where v > maxLabel { maxLabel = v } }
        if maxLabel == 0 { return }
        let n = Int(maxLabel) + 1
        var count = [Int32](repeating: 0, count: n)
        var bx0 = [Int32](repeating: Int32.max, count: n), by0 = bx0
        var bx1 = [Int32](repeating: -1, count: n), by1 = bx1
        var map = [UInt32](repeating: UInt32.max, count: n)
        var kept: [Int] = []
        labels.withUnsafeMutableBufferPointer { l in
            for y in 0..<h {
                let row = y * w
                for x in 0..<w {
                    let v = Int(l[row + x])
                    if v == 0 { continue }
                    count[v] += 1
                    if Int32(x) < bx0[v] { bx0[v] = Int32(x) }
                    if Int32(x) > bx1[v] { bx1[v] = Int32(x) }
                    if by0[v] > Int32(y) { by0[v] = Int32(y) }
                    by1[v] = Int32(y)
                }
            }
            var next: UInt32 = 0
            for i in 0..<l.count {
                let v = Int(l[i])
                if v == 0 { continue }
                if Int(count[v]) < minArea { l[i] = 0; continue }
                if map[v] == UInt32.max { next += 1; map[v] = next; kept.append(v) }
                l[i] = map[v]
            }
        }
        let reach = distance * (1 + 1e-5)   // as expandLabels: tolerate µm→px round-off
        let r = Int(reach.rounded(.down))
        guard distance > 0, r > 0, !kept.isEmpty else { return }
        var offsets: [(dx: Int, dy: Int, d2: Int)] = []
        for dy in -r...r { for dx in -r...r where dx * dx + dy * dy <= r * r && !(dx == 0 && dy == 0) {
            offsets.append((dx, dy, dx * dx + dy * dy))
        } }
        offsets.sort { $0.d2 != $1.d2 ? $0.d2 < $1.d2 : ($0.dy != $1.dy ? $0.dy < $1.dy : $0.dx < $1.dx) }
        var grown: [(index: Int, label: UInt32)] = []
        labels.withUnsafeBufferPointer { l in
            for v in kept {
                let x0 = max(Int(bx0[v]) - r, 0), x1 = min(Int(bx1[v]) + r, w - 1)
                let y0 = max(Int(by0[v]) - r, 0), y1 = min(Int(by1[v]) + r, h - 1)
                for y in y0...y1 {
                    for x in x0...x1 where l[y * w + x] == 0 {
                        for o in offsets {
                            let xx = x + o.dx, yy = y + o.dy
                            if xx < 0 || yy < 0 || xx >= w || yy >= h { continue }
                            let u = l[yy * w + xx]
                            if u != 0 { grown.append((y * w + x, u)); break }
                        }
                    }
                }
            }
        }
        labels.withUnsafeMutableBufferPointer { l in
            for g in grown { l[g.index] = g.label }
        }
    }
}
