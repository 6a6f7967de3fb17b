import CellTrackCore

/// Parameters of `--method colony` (docs/colony-method.md §1). One physical scale drives every
/// size: the expected cell width in px, `w = cellWidthUm / pixelSize`. Lengths are fractions of
/// `w`, areas fractions of `w²`, thresholds dimensionless (background σ or relative). The
/// defaults are the prototype's (`scripts/research/colony_prototype.py`, `DEFAULTS`); the
/// prototype's key is named in each comment.
///
/// ```swift
/// var p = SegmentationParameters()
/// p.method = .colony
/// p.colony.cellWidthUm = 0.9           // a thinner species
/// let result = try Segmenter.segment(image, parameters: p, pixelSize: 0.065)
/// ```
public struct ColonyParameters: Codable, Equatable, Hashable, Sendable {
    /// `width_um`: expected cell width in µm (E. coli ≈ 1). Default 1.0.
    public var cellWidthUm: Double = 1.0
    /// `sigma_smooth`: Gaussian pre-smoothing σ, × w. Default 1/16.
    public var smoothSigma: Double = 1.0 / 16
    /// `t_fg`: foreground is darker than the background level by this many background σ. Default 3.
    public var foregroundSigmas: Double = 3.0
    /// `r_open`: radius of the binary opening of the foreground, × w (at least 1 px). Default 1/8.
    public var openRadius: Double = 1.0 / 8
    /// `sigma_ridge`: Hessian scale for the bright lines between cells, × w. Default 1/8.
    public var ridgeSigma: Double = 1.0 / 8
    /// `darkness_win`: side of the square min filter giving the local cell darkness, × w. Default 2.
    public var darknessWindow: Double = 2.0
    /// `t_ridge`: boundary pixel when ridge / darkness ≥ this (cuts cores apart). Default 0.035.
    public var ridgeThreshold: Double = 0.035
    /// `r_core`: markers are the cut foreground with EDT > coreRadius × w. Default 1/6.
    public var coreRadius: Double = 1.0 / 6
    /// `min_core`: markers smaller than this × w² px are dropped. Default 0.05.
    public var minCoreArea: Double = 0.05
    /// `trim`: keep pixels darker than trim × the mean level of the cell's marker. Default 0.2.
    public var trim: Double = 0.2
    /// `t_gap`: near a contact, pixels with ridge / darkness ≥ this are background. Default 0.05.
    public var gapThreshold: Double = 0.05
    /// `r_interface`: radius of the contact zone where the gap test applies, × w (0 = the
    /// whole frame). Default 1/4.
    public var interfaceRadius: Double = 0.25
    /// `min_area`: objects smaller than this × w² px are dropped (debris). Default 1.0.
    public var minArea: Double = 1.0
    /// `t_obj`: objects whose mean level is not below −objectSigmas background σ are dropped. Default 6.
    public var objectSigmas: Double = 6.0
    /// Shape repair: an object whose plateau width exceeds this × the frame's median cell width
    /// is cut in two along its axis (`ShapeRepair.splitWide`); 0 = off. Default 1.5.
    public var splitWidthRatio: Double = 1.5
    /// Edges at contacts between touching cells at `trim` of the way from the contact line's
    /// crest (not the background) to the core (`ContactEdges.place`), instead of removing the
    /// ridge band (`gapThreshold`); within `interfaceRadius` of a contact (none when that is 0).
    /// Default true; false gives the prototype's edges.
    public var contactEdges: Bool = true
    /// Illumination correction: total degree of the polynomial background surface removed
    /// before normalising (`BackgroundSurface`, fitted on blocks of two cell widths); 0 = off.
    /// Default 4 (vignetting and gradients; flat frames are unchanged).
    public var backgroundDegree: Int = 4
    /// Local reference in large lit colonies (`LocalReference`, docs/colony-method.md §13):
    /// side of the closing that gives the bright lines' envelope, × w; 0 = off. Default 2.5.
    public var localReferenceWindow: Double = 2.5
    /// The reference is the envelope minus this many background σ (at least 0). Default 3.
    public var localReferenceOffset: Double = 3.0
    /// Only lit regions that hold a disk of this radius, × w, take the reference (so only
    /// colonies at least twice as many cell widths across). Default 5.
    public var localReferenceRadius: Double = 5.0

    public init() {}


    /// Checks ranges; throws `ParameterError.invalid` naming the parameter (`colony.` + name).
    public func validate() throws {
        func check(_ name: String, _ v: Double, _ ok: (Double) -> Bool, _ reason: String) throws {
            guard v.isFinite, ok(v) else { throw ParameterError.invalid(name: "colony.\(name)", value: "\(v)", reason: reason) }
        }
        try check("cellWidthUm", cellWidthUm, { $0 > 0 && $0 <= 1000 }, "must be between 0 and 1000 µm")
        try check("smoothSigma", smoothSigma, { $0 >= 0 && $0 <= 10 }, "must be between 0 and 10 (× cell width)")
        try check("foregroundSigmas", foregroundSigmas, { $0 > 0 }, "must be > 0")
        try check("openRadius", openRadius, { $0 >= 0 && $0 <= 10 }, "must be between 0 and 10 (× cell width)")
        try check("ridgeSigma", ridgeSigma, { $0 > 0 && $0 <= 10 }, "must be between 0 and 10 (× cell width)")
        try check("darknessWindow", darknessWindow, { $0 > 0 && $0 <= 100 }, "must be between 0 and 100 (× cell width)")
        try check("ridgeThreshold", ridgeThreshold, { $0 > 0 }, "must be > 0")
        try check("coreRadius", coreRadius, { $0 >= 0 && $0 <= 10 }, "must be between 0 and 10 (× cell width)")
        try check("minCoreArea", minCoreArea, { $0 >= 0 }, "must be >= 0 (× cell width²)")
        try check("trim", trim, { $0 >= 0 && $0 <= 1 }, "must be between 0 and 1")
        try check("gapThreshold", gapThreshold, { $0 > 0 }, "must be > 0")
        try check("interfaceRadius", interfaceRadius, { $0 >= 0 && $0 <= 10 }, "must be between 0 and 10 (× cell width)")
        try check("minArea", minArea, { $0 >= 0 }, "must be >= 0 (× cell width²)")
        try check("objectSigmas", objectSigmas, { $0 >= 0 }, "must be >= 0")
        try check("splitWidthRatio", splitWidthRatio, { $0 == 0 || $0 >= 1 }, "must be 0 (off) or >= 1")
        try check("localReferenceWindow", localReferenceWindow, { $0 >= 0 && $0 <= 100 }, "must be between 0 (off) and 100 (× cell width)")
        try check("localReferenceOffset", localReferenceOffset, { $0 >= 0 }, "must be >= 0 (background σ)")
        try check("localReferenceRadius", localReferenceRadius, { $0 > 0 && $0 <= 1000 }, "must be between 0 and 1000 (× cell width)")
        guard (0...6).contains(backgroundDegree) else {
            throw ParameterError.invalid(name: "colony.backgroundDegree", value: "\(backgroundDegree)", reason: "must be between 0 (off) and 6")
        }
    }

    /// Sizes in px for a cell width of `w` px, rounded as the prototype rounds them
    /// (Python's `round`, half to even; windows made odd with `| 1`).
    struct Resolved {
        var width: Double
        var smoothSigma: Double
        var openRadius: Int
        var ridgeSigma: Double
        var darknessWindow: Int
        var coreRadius: Double
        var minCorePixels: Double
        var interfaceRadius: Int      // 0 = whole frame
        var minAreaPixels: Double
    }

    func resolved(widthPixels w: Double) -> Resolved {
        func pyRound(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }
        return Resolved(width: w, smoothSigma: smoothSigma * w,
                        openRadius: max(1, pyRound(openRadius * w)),
                        ridgeSigma: ridgeSigma * w,
                        darknessWindow: pyRound(darknessWindow * w) | 1,
                        coreRadius: coreRadius * w, minCorePixels: minCoreArea * w * w,
                        interfaceRadius: interfaceRadius > 0 ? max(1, pyRound(interfaceRadius * w)) : 0,
                        minAreaPixels: minArea * w * w)
    }
}

/// Classical segmentation of touching rods in phase contrast (`--method colony`, issue 5): the
/// Swift port of `scripts/research/colony_prototype.py`, step by step with the same defaults
/// (docs/colony-method.md §2):
/// 1. Gaussian smoothing; background level and spread from the histogram peak; `s` in units of
///    the background spread;
/// 2. foreground `s < −t_fg`, binary opening (disk);
/// 3. boundary ridges: smallest Hessian eigenvalue (scale-normalised), divided by the local cell
///    darkness (square min filter);
/// 4. markers: foreground minus ridges, EDT > r_core, 4-connected components ≥ min_core;
/// 5. watershed on `s` from the markers inside the foreground (skimage's order);
/// 6. edges: trim relative to each core's level, gap pixels removed near contacts, size filter;
/// 7. objects not clearly darker than the background are dropped.
/// Deterministic; labels 1…n in raster order of each cell's first pixel.
enum ColonySegmenter {
    /// Rows between the rows that the background statistics read: 1 up to 4 MP, then
    /// ⌊√(pixels / 0.75 MP)⌋ (every fourth row of a 12-MP frame: still 3 million values, a quarter
    /// of the passes).
    static func statisticsRowStep(pixels n: Int) -> Int {
        n > 4_000_000 ? max(1, Int((Double(n) / 750_000).squareRoot())) : 1
    }

    /// Every `statisticsRowStep`-th row of `image` (from row 0) as an image; `image` itself up
    /// to 4 MP.
    static func statisticsSample(_ image: Image<Float>) -> Image<Float> {
        let step = statisticsRowStep(pixels: image.count)
        guard step > 1 else { return image }
        return statisticsSample(image, step: step) { _, _ in }
    }

    /// Every `step`-th row of `image` (from row 0) copied into a new image, each copied row
    /// handed to `eachRow(k, row)` while it is in cache (k = the row's index in the sample).
    @inline(__always)
    static func statisticsSample(_ image: Image<Float>, step: Int,
                                 eachRow: (Int, UnsafeMutablePointer<Float>) -> Void) -> Image<Float> {
        let w = image.width, rows = (image.height + step - 1) / step
        let out = image.withUnsafeBufferPointer { p in
            [Float](unsafeUninitializedCapacity: w * rows) { o, initialized in
                for r in 0..<rows {   // every element written
                    let row = o.baseAddress! + r * w
                    row.initialize(from: p.baseAddress! + r * step * w, count: w)
                    eachRow(r, row)
                }
                initialized = w * rows
            }
        }
        return Image(uncheckedWidth: w, height: rows, pixels: out)
    }

    /// `backgroundPeak` of a frame: of all its pixels up to 4 MP, of every `statisticsRowStep`-th
    /// row beyond.
    static func backgroundPeak(of image: Image<Float>, greyStep: Double = 0) -> (level: Double, spread: Double) {
        statisticsSample(image).withUnsafeBufferPointer { backgroundPeak($0, greyStep: greyStep) }
    }

    /// The step between the grey levels a frame actually holds, when its values are whole
    /// numbers in 0…65535 (8- and 16-bit cameras; 8-bit renderings whose contrast was stretched,
    /// so that only every 3rd level occurs): the median gap (the upper middle one) between
    /// consecutive values that each hold at least 1 % of the pixels of the most frequent one.
    /// 0 when some value is not such a whole number. Read on evenly spaced rows, about
    /// `greyStepSample` pixels in all.
    static func greyStep<P: GreyPixel>(_ image: Image<P>) -> Double {
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return 0 }
        let rowStep = max(1, image.count / greyStepSample)
        var counts = [Int](repeating: 0, count: 65536)
        let whole: Bool = image.withUnsafeBufferPointer { p in
            counts.withUnsafeMutableBufferPointer { c in
                // integer frames are whole numbers in range by their type: count them directly
                if let bytes = p as? UnsafeBufferPointer<UInt8> {
                    for y in stride(from: 0, to: h, by: rowStep) { for i in (y * w)..<(y * w + w) { c[Int(bytes[i])] += 1 } }
                    return true
                }
                if let words = p as? UnsafeBufferPointer<UInt16> {
                    for y in stride(from: 0, to: h, by: rowStep) { for i in (y * w)..<(y * w + w) { c[Int(words[i])] += 1 } }
                    return true
                }
                for y in stride(from: 0, to: h, by: rowStep) {
                    for i in (y * w)..<(y * w + w) {
                        let v = p[i].floatValue
                        guard v >= 0, v <= 65535, v == v.rounded(.towardZero) else { return false }
                        c[Int(v)] += 1
                    }
                }
                return true
            }
        }
        guard whole, let top = counts.max(), top > 0 else { return 0 }
        var gaps: [Int] = []
        var previous = -1
        for v in 0..<counts.count where counts[v] > 0 && counts[v] * 100 >= top {
            if previous >= 0 { gaps.append(v - previous) }
            previous = v
        }
        guard !gaps.isEmpty else { return 1 }
        gaps.sort()
        return Double(gaps[gaps.count / 2])
    }

    /// About this many pixels are read for `greyStep` (every k-th row).
    static let greyStepSample = 250_000

    /// Background level and spread of a smoothed frame (the prototype's `background_peak`): a
    /// 512-bin histogram over [p0.5, p99.5] smoothed by a 5-bin box; the level is the centre of
    /// the fullest bin at or above the median's bin (or, when that is the median's bin itself,
    /// of the top of the peak below it); the spread is the narrower half-width at
    /// half maximum / 1.1774 (at least one bin). numpy's arithmetic is followed (float64 edges,
    /// float32 median); the box sums are compared as integers, which is numpy's float64 order
    /// without its round-off.
    ///
    /// `greyStep` (`greyStep(_:)` of the frame before smoothing; 0: none): the half-width walk
    /// goes on past a bin at or below half maximum while a bin above it lies within one grey
    /// step. Why: with little smoothing (cells ≤ 7 px wide, σ ≤ 0.45 px) an 8-bit frame's
    /// histogram is a comb, one tooth per grey level used, 2–15 bins apart; the walk stopped in
    /// the gap after the first tooth, and the spread came out 0.1–0.2 levels for a noise of
    /// 3–4. Every noise speck then passed as a cell: a synthetic 8-bit movie at 0.2 µm/px gave
    /// 3,893 objects for 214 cells. Where the next tooth is below half (a background that
    /// occupies one level, Omnipose's Sample000033) the walk stops as before; when it stops so on
    /// one side only, the other side gives the spread.
    /// Bins this wide or wider ignore the grey step (16-bit camera frames have bins of 10–60
    /// levels and steps of 1; no camera leaves gaps of 64 levels).
    static let widestGreyStep = 64.0

    static func backgroundPeak(_ values: UnsafeBufferPointer<Float>, bins: Int = 512,
                               greyStep: Double = 0) -> (level: Double, spread: Double) {
        let n = values.count
        // the order statistics numpy's percentile and median read, found exactly in two passes
        let pLow = Double(n - 1) * 0.005, pHigh = Double(n - 1) * 0.995
        let ranks = [Int(pLow.rounded(.down)), min(Int(pLow.rounded(.down)) + 1, n - 1),
                     Int(pHigh.rounded(.down)), min(Int(pHigh.rounded(.down)) + 1, n - 1),
                     (n - 1) / 2, n / 2]
        let picked = OrderStatistics.select(values, ranks: ranks)
        // np.percentile(s, [0.5, 99.5]), method 'linear', float32 input → float64 result
        func quantile(_ pos: Double, _ a: Float, _ b: Float) -> Double {
            let gamma = pos - pos.rounded(.down)
            let diff = Double(b - a)                 // float32 subtraction, as numpy's _lerp
            return gamma >= 0.5 ? Double(b) - diff * (1 - gamma) : Double(a) + diff * gamma
        }
        var lo = quantile(pLow, picked[0], picked[1]), hi = quantile(pHigh, picked[2], picked[3])
        if lo == hi { lo -= 0.5; hi += 0.5 }     // numpy's histogram does the same
        // np.median of float32: mean of the two middle values in float32
        let median: Float = n % 2 == 1 ? picked[5] : (picked[4] + picked[5]) / 2
        // edges = linspace(lo, hi, bins + 1)
        let step = (hi - lo) / Double(bins)
        var edges = (0...bins).map { lo + Double($0) * step }
        edges[bins] = hi
        let hist = histogram(values, lo: lo, hi: hi, bins: bins)
        // 5-bin box (mode "same", zero padding) as integer sums
        var box = [Int](repeating: 0, count: bins)
        for i in 0..<bins {
            var s = 0
            for j in max(0, i - 2)...min(bins - 1, i + 2) { s += hist[j] }
            box[i] = s
        }
        // searchsorted(edges, median, 'right') − 1, clamped
        let m = Double(median)
        var med = 0
        while med <= bins && edges[med] <= m { med += 1 }
        med = min(max(med - 1, 0), bins - 1)
        var k = med
        for i in med..<bins where box[i] > box[k] { k = i }
        // No bin above the median's is fuller: the median lies on the upper flank of the peak
        // it belongs to (bright halos and lit regions pushed it above the background's mode),
        // so the level is that peak's top, below. (Where the median is the peak's top, nothing
        // moves.) e1t1_crop at its stated pixel size: the level went from the flank, 18.0k with
        // a spread of 2.7k grey levels, to the mode, 16.4k with 0.9k.
        if k == med { while k > 0 && box[k - 1] > box[k] { k -= 1 } }
        let width = edges[1] - edges[0]
        // bins a grey step spans: the walk looks this far ahead (1: the next bin only)
        let usedStep = width < widestGreyStep ? greyStep : 0
        let reach = usedStep > width ? Int((usedStep / width).rounded(.up)) : 1
        func aboveHalf(_ b: Int) -> Bool { 2 * box[b] > box[k] }
        func goesOn(_ b: Int, _ direction: Int) -> Bool {
            if aboveHalf(b) { return true }
            var t = 1
            while t < reach, b + direction * t >= 0, b + direction * t < bins {
                if aboveHalf(b + direction * t) { return true }
                t += 1
            }
            return false
        }
        var j = k
        while j < bins - 1 && goesOn(j, 1) { j += 1 }
        var i = k
        while i > 0 && goesOn(i, -1) { i -= 1 }
        // The narrower side, except when only one side got past the peak's own tooth: the
        // other side's half-width is then below one grey step and cannot be measured (a
        // stretched 8-bit rendering whose background sits between two levels, Omnipose's
        // Sample000306: teeth at 91 and 94 of 0.8 and 1 of the maximum, at 98 of 0.37).
        var halfWidth = min(j - k, k - i)
        if reach > 1 && (j - k < reach) != (k - i < reach) { halfWidth = max(j - k, k - i) }
        let level = edges[k] + width / 2
        let spread = max(Double(halfWidth) * width / 1.1774, width)
        return (level, spread)
    }

    /// `np.histogram(values, bins, range: (lo, hi))` counts, with `lo < hi`: numpy's bin index
    /// `⌊(x − lo)·bins/(hi − lo)⌋` (the last bin closed), then its ±1 correction against the edges
    /// `lo + k·(hi − lo)/bins` (`hi` for the last), which makes the bin exact. The index is worked
    /// out for a block of values at a time in a loop without branches (it vectorises; the edges
    /// are recomputed, not looked up, with numpy's own operations), then counted in four
    /// interleaved tables (equal bins in a row would wait on each other). Values outside
    /// [lo, hi], and NaN, count in a discarded slot. `histogramOneByOne` is the plain version.
    static func histogram(_ values: UnsafeBufferPointer<Float>, lo: Double, hi: Double, bins: Int) -> [Int] {
        let n = values.count
        let step = (hi - lo) / Double(bins), scale = Double(bins) / (hi - lo)
        let last = Double(bins - 1), discard = UInt32(bins)
        let slots = bins + 1
        var tables = [Int32](repeating: 0, count: 4 * slots)
        let block = 2048
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: block) { index in
            tables.withUnsafeMutableBufferPointer { t in
                let t0 = t.baseAddress!, t1 = t0 + slots, t2 = t1 + slots, t3 = t2 + slots
                let ix = index.baseAddress!
                var start = 0
                while start < n {
                    let m = min(block, n - start)
                    let v = values.baseAddress! + start
                    for j in 0..<m {
                        let x = Double(v[j])
                        var k = ((x - lo) * scale).rounded(.towardZero)
                        k = k > last ? last : k
                        k = k < 0 ? 0 : k                       // only for x outside the range
                        k = x < lo + k * step ? k - 1 : k
                        let upper = k == last ? hi : lo + (k + 1) * step
                        k = k != last && x >= upper ? k + 1 : k
                        // k is a small whole number ≥ −1 here: its low bits, exactly, after adding 2^52
                        let bin = UInt32(truncatingIfNeeded: (k + 4_503_599_627_370_496).bitPattern)
                        ix[j] = x >= lo && x <= hi ? bin : discard   // NaN too
                    }
                    var j = 0
                    while j + 4 <= m {
                        t0[Int(ix[j])] &+= 1; t1[Int(ix[j + 1])] &+= 1
                        t2[Int(ix[j + 2])] &+= 1; t3[Int(ix[j + 3])] &+= 1
                        j += 4
                    }
                    while j < m { t0[Int(ix[j])] &+= 1; j += 1 }
                    start += m
                }
            }
        }
        return (0..<bins).map { Int(tables[$0]) + Int(tables[slots + $0]) + Int(tables[2 * slots + $0]) + Int(tables[3 * slots + $0]) }
    }

    /// `histogram`, one value at a time with numpy's steps as written (the reference for tests).
    static func histogramOneByOne(_ values: UnsafeBufferPointer<Float>, lo: Double, hi: Double, bins: Int) -> [Int] {
        let step = (hi - lo) / Double(bins), scale = Double(bins) / (hi - lo)
        var edges = (0...bins).map { lo + Double($0) * step }
        edges[bins] = hi
        var hist = [Int](repeating: 0, count: bins)
        for v in values {
            let x = Double(v)
            if x < lo || x > hi { continue }
            var k = Int((x - lo) * scale)
            if k >= bins { k = bins - 1 }
            if x < edges[k] { k -= 1 }
            if k != bins - 1 && x >= edges[k + 1] { k += 1 }
            hist[k] += 1
        }
        return hist
    }

    /// Step 1a on the whole frame: `smoothForNormalising`, flattened at once.
    static func smoothAndFlatten<P: GreyPixel>(_ image: Image<P>, parameters p: ColonyParameters,
                                               resolved r: ColonyParameters.Resolved,
                                               widthPixels: Double, bright: Bool) -> Image<Float> {
        var (s, flattening) = smoothForNormalising(image, parameters: p, resolved: r, widthPixels: widthPixels, bright: bright)
        flattening.apply(to: &s)
        return s
    }

    /// The intermediate images, for tests and diagnostics.
    struct Stages {
        var normalised: Image<Float>      // s
        var foreground: Mask
        var ridgeRelative: Image<Float>   // valid on the foreground only (0 elsewhere where not computed)
        var markers: LabelImage
        var watershed: LabelImage
        var labels: LabelImage
        var threshold: Float              // foreground threshold in the smoothed image's units
        var darkCells: Bool
    }

    /// Whether a frame normalised for dark cells (`s`, background σ units) holds dark cells: its
    /// dark tail below −6 σ is at least a quarter of its bright tail above +6 σ (and covers
    /// ≥ 0.1 % of the frame). Phase contrast and bright field have dark cells next to bright
    /// halos (ecoli-trpL: 0.3–2.7 % dark vs 0.6–4 % bright; the synthetic movies 5–22 % vs
    /// 4–12 %); fluorescence has no pixels far below its background. The recipe's Otsu-minority
    /// rule is not used here: on trpL frame 19 the halos make the bright side the minority.
    static func looksDark(_ s: UnsafeBufferPointer<Float>) -> Bool {
        var dark = 0, bright = 0
        for v in s { if v < -6 { dark += 1 } else if v > 6 { bright += 1 } }
        return dark * 1000 >= s.count && 4 * dark >= bright
    }

    /// Segments one frame. Assumes a non-empty image of finite pixels, validated parameters and
    /// `widthPixels > 0`. `polarity`: `.bright` negates the image first; `.auto` decides with
    /// `looksDark`. Returns `nil` (nothing computed beyond the normalisation) when `onlyDark`
    /// and the cells are not dark.
    static func segment(_ image: Image<Float>, parameters p: ColonyParameters, widthPixels: Double,
                        polarity: Polarity, onlyDark: Bool = false, lap: (String) -> Void = { _ in }) -> Stages? {
        let r = p.resolved(widthPixels: widthPixels)
        let w = image.width, h = image.height, n = w * h

        // 1. normalise (as dark cells first; bright cells: the negative, same machinery)
        var smooth = smoothAndFlatten(image, parameters: p, resolved: r, widthPixels: widthPixels, bright: polarity == .bright)
        var darkCells = polarity != .bright
        let step = greyStep(image)
        var (bg, spread) = backgroundPeak(of: smooth, greyStep: step)
        var level = Float(bg), scale = Float(max(spread, 1e-6))
        var s = smooth.map { ($0 - level) / scale }
        if polarity == .auto && !s.withUnsafeBufferPointer(looksDark) {
            if onlyDark { return nil }
            darkCells = false
            smooth = smooth.map { -$0 }
            (bg, spread) = backgroundPeak(of: smooth, greyStep: step)
            level = Float(bg); scale = Float(max(spread, 1e-6))
            s = smooth.map { ($0 - level) / scale }
        }
        if onlyDark && !darkCells { return nil }
        lap("normalise")

        // 2. foreground
        let tFg = Float(p.foregroundSigmas)
        var fg = s.map { $0 < -tFg ? UInt8(1) : 0 }
        fg = Morphology.opening(fg, .disk(radius: r.openRadius))
        lap("foreground")

        // 3. ridges relative to the local darkness
        // only foreground pixels read the ridge (cut, and the gap test on labelled pixels)
        let lambda = Hessian.smallestEigenvalue(s, sigma: r.ridgeSigma, mask: fg)
        lap("hessian")
        let minimum = minimumFilter(s, size: r.darknessWindow)
        lap("darkness")
        let norm = Float(r.ridgeSigma * r.ridgeSigma)
        var ridgeRel = [Float](repeating: 0, count: n)
        lambda.withUnsafeBufferPointer { l in
            minimum.withUnsafeBufferPointer { mn in
                ridgeRel.withUnsafeMutableBufferPointer { o in
                    for i in 0..<n {
                        let ridge = max(-l[i], 0) * norm
                        let darkness = max(-mn[i], tFg)
                        o[i] = ridge / darkness
                    }
                }
            }
        }
        let ridgeRelative = Image(uncheckedWidth: w, height: h, pixels: ridgeRel, pixelSize: image.pixelSize)
        lap("ridge")

        // 4–7 on the foreground's bounding box (+1 px): every later step reads only foreground
        // pixels and their labels, and the 1-px background margin keeps the EDT exact
        var markers = LabelImage(width: w, height: h, repeating: 0, pixelSize: image.pixelSize)
        var flooded = markers, labels = markers
        if let box = boundingBox(fg, margin: 1) {
            let cut = Float(p.ridgeThreshold), gap = Float(p.gapThreshold)
            let cropped = cells(s: crop(s, box), fg: crop(fg, box),
                                ridgeFlags: crop(ridgeRelative, box).map { ridgeFlags($0, cut: cut, gap: gap) },
                                resolved: r, parameters: p, lap: lap)
            paste(cropped.markers, into: &markers, box)
            paste(cropped.flooded, into: &flooded, box)
            paste(cropped.labels, into: &labels, box)
        }
        labels.pixelSize = image.pixelSize
        lap("edges")
        let threshold = (level - tFg * scale) * (darkCells ? 1 : -1)
        return Stages(normalised: s, foreground: fg, ridgeRelative: ridgeRelative, markers: markers,
                      watershed: flooded, labels: labels, threshold: threshold, darkCells: darkCells)
    }

    /// Labels with at least `minPixels` pixels, renumbered 1…m in label order (the prototype's
    /// `drop_small`).
    /// Overwrites `labels`.
    static func dropSmallInPlace(_ labels: inout LabelImage, count: Int, minPixels: Double) {
        // counted a run of one label at a time (a per-pixel increment of counts[0] across the
        // background would wait on its own previous store)
        var counts = [Int](repeating: 0, count: count + 1)
        labels.withUnsafeBufferPointer { l in
            let n = l.count
            var i = 0
            while i < n {
                let v = l[i]
                var j = i + 1
                while j < n && l[j] == v { j += 1 }
                counts[Int(v)] += j - i   // checked: a label above `count` traps, as before
                i = j
            }
        }
        var lut = [UInt32](repeating: 0, count: count + 1)
        var next: UInt32 = 0
        for l in 1...max(count, 1) where l <= count && Double(counts[l]) >= minPixels {
            next += 1; lut[l] = next
        }
        labels.withUnsafeMutableBufferPointer { o in
            lut.withUnsafeBufferPointer { lut in for i in 0..<o.count { o[i] = lut[Int(o[i])] } }
        }
    }

    /// Pixels within `radius` px (Euclidean disk) of a cell–cell contact: a labelled pixel whose
    /// 3×3 neighbourhood (inside the frame) holds another positive label. `radius == 0`: every
    /// pixel.
    static func contactZone(_ labels: LabelImage, radius: Int) -> Mask {
        let w = labels.width, h = labels.height
        if radius == 0 { return Mask(width: w, height: h, repeating: 1, pixelSize: labels.pixelSize) }
        var contact = Mask(width: w, height: h, repeating: 0, pixelSize: labels.pixelSize)
        labels.withUnsafeBufferPointer { l in
            contact.withUnsafeMutableBufferPointer { c in
                ContactEdges.forEachInterfacePixel(l, width: w, height: h) { c[$0] = 1 }
            }
        }
        return Morphology.dilation(contact, .disk(radius: radius))
    }
}

extension Segmenter {
    /// `colony`, or `auto` with dark cells: the colony segmentation. `auto` with bright cells:
    /// `nil` (the caller runs the recipe). Polarity `auto` is decided by
    /// `ColonySegmenter.looksDark` (not by the recipe's Otsu-minority rule, which the halos of
    /// phase contrast can flip). Inputs are validated by the caller.
    static func colonyIfChosen<P: GreyPixel>(_ image: Image<P>, parameters p: SegmentationParameters, pixelSize: Double?,
                                             timings: inout StageTimings?,
                                             sharing: WorkSharing? = nil) throws -> SegmentationResult? {
        var stopwatch = StageStopwatch(enabled: timings != nil)
        func lap(_ stage: String) { stopwatch.lap(stage, into: &timings) }
        if p.method == .auto && p.polarity == .bright { return nil }
        let px = pixelSize ?? defaultPixelSize
        let widthPixels = p.colony.cellWidthUm / px
        var groupTimes = ColonySegmenter.GroupTimes()
        let found = withUnsafeMutablePointer(to: &groupTimes) { t in
            ColonySegmenter.segmentGrouped(image, parameters: p.colony, widthPixels: widthPixels, polarity: p.polarity,
                                           onlyDark: p.method == .auto, sharing: sharing, lap: lap,
                                           times: timings != nil ? t : nil)
        }
        guard let found else { return nil }
        if timings != nil {
            // the per-group stages ran interleaved inside "cells": split it by their CPU times
            if let k = timings!.cpuSeconds.lastIndex(where: { $0.stage == "cells" }) {
                let wall = timings!.seconds[k].seconds, cpu = timings!.cpuSeconds[k].seconds
                timings!.seconds.remove(at: k); timings!.cpuSeconds.remove(at: k)
                let parts = [("crop", groupTimes.crop), ("hessian", groupTimes.hessian),
                             ("darkness", groupTimes.darkness), ("cells", groupTimes.cells)]
                let total = max(parts.reduce(0) { $0 + $1.1 }, 1e-12)
                for (stage, t) in parts {
                    timings!.seconds.append((stage, wall * t / total)); timings!.cpuSeconds.append((stage, cpu * t / total))
                }
            }
        }
        // frame-level: the reference width is the median over the whole frame's cells; then
        // each cell without holes
        let cells = ShapeRepair.fillHoles(
            ShapeRepair.splitWide(found.cells, anyIntensity: image, darkCells: found.darkCells,
                                  ratio: p.colony.splitWidthRatio, expectedWidth: widthPixels,
                                  minArea: p.colony.minArea * widthPixels * widthPixels))
        lap("repair")
        let regions = RegionMeasurer.measure(runs: cells, intensity: image, value: { $0.doubleValue })
        lap("measure")
        return SegmentationResult(cells: cells, regions: regions, threshold: found.threshold,
                                  polarity: found.darkCells ? .dark : .bright)
    }
}

extension ColonySegmenter {
    /// `scipy.ndimage.minimum_filter(image, size)` (square, odd `size`, mode `reflect`), exactly
    /// (a minimum has no round-off).
    /// - The vertical pass is van Herk/Gil-Werman (3 comparisons per pixel) on whole rows, so it
    ///   vectorises, with rolling block buffers of `3 × size` rows.
    /// - The horizontal pass doubles spans (minima over 1, 2, 4, … px, then two overlapping
    ///   spans cover the window): ⌈log₂ size⌉ + 1 elementwise passes per row that vectorise,
    ///   where van Herk's prefix minima along a row are one serial chain.
    /// - `mask`: when given, only pixels of each row between its first and last mask pixel are
    ///   computed (exactly as without a mask); the others are left unspecified. The colony method
    ///   reads the darkness on the foreground only.
    static func minimumFilter(_ image: Image<Float>, size k: Int, mask: Mask? = nil) -> Image<Float> {
        precondition(mask.map { $0.width == image.width && $0.height == image.height } ?? true, "mask size")
        return minimumFilter(image, size: k, rows: mask.map { RowExtents($0) })
    }

    /// `minimumFilter` on the rows' extents of a mask already scanned (nil: every pixel).
    static func minimumFilter(_ image: Image<Float>, size k: Int, rows masked: RowExtents?) -> Image<Float> {
        precondition(k >= 1 && k % 2 == 1, "size must be odd and positive")
        let w = image.width, h = image.height
        let rad = k / 2
        guard rad > 0, w > 0, h > 0 else { return image }
        @inline(__always) func reflect(_ i: Int, _ n: Int) -> Int { BorderMode.reflect.index(i, count: n) }
        // rows and columns wanted: each row's mask extent (xmin > xmax: none)
        let rows = masked ?? RowExtents(width: w, height: h)
        let xmin = rows.first, xmax = rows.last
        var y0 = 0, y1 = h - 1, c0 = 0, c1 = w - 1
        if masked != nil {
            y0 = h; y1 = -1
            var gx0 = w, gx1 = -1
            for y in 0..<h where xmin[y] <= xmax[y] {
                y0 = min(y0, y); y1 = y; gx0 = min(gx0, xmin[y]); gx1 = max(gx1, xmax[y])
            }
            guard y1 >= 0 else { return Image(uncheckedWidth: w, height: h, pixels: [Float](repeating: 0, count: w * h),
                                              pixelSize: image.pixelSize) }
            // the horizontal pass reads [xmin − rad, xmax + rad] reflected: inside [c0, c1]
            c0 = max(0, gx0 - rad); c1 = min(w - 1, gx1 + rad)
        }
        let cEnd = c1 + 1   // half-open loops over [c0, c1] (closed ranges do not vectorise)
        var mid = [Float](repeating: 0, count: w * h)
        // vertical: output row y is the minimum of extended rows e = y…y+2rad, where extended row
        // e is source row reflect(e − rad) below h + 2rad and +inf beyond; blocks start at y0
        let padded = h + 2 * rad
        var gCur = [Float](repeating: 0, count: k * w), gNext = gCur, hBlock = gCur
        image.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { dst in
                // prefix minima of block b into g
                func prefix(_ b: Int, _ g: UnsafeMutablePointer<Float>) {
                    for i in 0..<k {
                        let e = y0 + b * k + i
                        let o = g + i * w
                        if e >= padded {
                            for x in c0..<cEnd { o[x] = .infinity }
                        } else {
                            // pointers, not checked index sums, so the loops vectorise
                            let v = src.baseAddress! + reflect(e - rad, h) * w
                            if i == 0 {
                                for x in c0..<cEnd { o[x] = v[x] }
                            } else {
                                let p = o - w
                                for x in c0..<cEnd { o[x] = min(p[x], v[x]) }
                            }
                        }
                    }
                }
                gCur.withUnsafeMutableBufferPointer { gc in
                    gNext.withUnsafeMutableBufferPointer { gn in
                        hBlock.withUnsafeMutableBufferPointer { hb in
                            var cur = gc.baseAddress!, next = gn.baseAddress!
                            let hh = hb.baseAddress!
                            prefix(0, cur)
                            var b = 0
                            while y0 + b * k <= y1 {
                                // suffix minima of block b
                                for i in stride(from: k - 1, through: 0, by: -1) {
                                    let e = y0 + b * k + i
                                    let o = hh + i * w
                                    let v: UnsafePointer<Float>? = e < padded ? UnsafePointer(src.baseAddress! + reflect(e - rad, h) * w) : nil
                                    if i == k - 1 {
                                        if let v { for x in c0..<cEnd { o[x] = v[x] } } else { for x in c0..<cEnd { o[x] = .infinity } }
                                    } else {
                                        let p = o + w
                                        if let v { for x in c0..<cEnd { o[x] = min(p[x], v[x]) } } else { for x in c0..<cEnd { o[x] = p[x] } }
                                    }
                                }
                                prefix(b + 1, next)
                                for i in 0..<k {
                                    let y = y0 + b * k + i
                                    if y > y1 { break }
                                    let hrow = hh + i * w
                                    let grow = i == 0 ? cur + (k - 1) * w : next + (i - 1) * w
                                    let out = dst.baseAddress! + y * w
                                    for x in c0..<cEnd { out[x] = min(hrow[x], grow[x]) }
                                }
                                swap(&cur, &next)
                                b += 1
                            }
                        }
                    }
                }
            }
        }
        // horizontal, one row at a time: spans of 1, 2, 4, … px, then two overlapping spans
        var span = 1
        while span * 2 <= k { span *= 2 }
        var ext = [Float](repeating: 0, count: w + 2 * rad), other = ext
        mid.withUnsafeMutableBufferPointer { m in
            ext.withUnsafeMutableBufferPointer { e in
                other.withUnsafeMutableBufferPointer { o in
                    for y in y0...y1 where xmin[y] <= xmax[y] {
                        let row = y * w, lo = xmin[y], count = xmax[y] - lo + 1
                        let n = count + 2 * rad
                        var a = e.baseAddress!, b = o.baseAddress!
                        let source = m.baseAddress! + row
                        // a[i] = source[reflect(lo + i − rad)]: reflected at the ends, copied between
                        let inside = max(0, rad - lo)..<min(n, w - lo + rad)
                        for i in 0..<inside.lowerBound { a[i] = source[reflect(lo + i - rad, w)] }
                        (a + inside.lowerBound).update(from: source + lo + inside.lowerBound - rad, count: inside.count)
                        for i in inside.upperBound..<n { a[i] = source[reflect(lo + i - rad, w)] }
                        var s = 1
                        while s < span {   // a[i] = minimum of [i, i + s): valid for i ≤ n − s
                            let ahead = a + s
                            for i in 0..<(n - 2 * s + 1) { b[i] = min(a[i], ahead[i]) }
                            swap(&a, &b)
                            s *= 2
                        }
                        let ahead = a + (k - span), out = source + lo
                        for x in 0..<count { out[x] = min(a[x], ahead[x]) }
                    }
                }
            }
        }
        return Image(uncheckedWidth: w, height: h, pixels: mid, pixelSize: image.pixelSize)
    }
}


extension ColonySegmenter {
    /// Bit 0 of `ridgeFlags`: the relative ridge cuts the markers' mask (`!(ridge < ridgeThreshold)`).
    static let ridgeCuts: UInt8 = 1
    /// Bit 1 of `ridgeFlags`: the relative ridge gaps a contact (`ridge >= gapThreshold`).
    static let ridgeGaps: UInt8 = 2

    /// What steps 4 and 6 read of one pixel's relative ridge: they only compare it with the two
    /// thresholds (`Float(ridgeThreshold)`, `Float(gapThreshold)`), so a byte of flags stands for
    /// the `Float` (a quarter of the memory in the windows of a dense colony, where the
    /// segmentation peaks).
    @inline(__always) static func ridgeFlags(_ ridge: Float, cut: Float, gap: Float) -> UInt8 {
        (ridge < cut ? 0 : ridgeCuts) | (ridge >= gap ? ridgeGaps : 0)
    }

    /// Steps 4–7 (markers, watershed, edges, object contrast) on whole images; labels 1…n in
    /// raster order. `ridgeFlags` (`ridgeFlags(_:_:)` of the relative ridge) must be valid on
    /// `fg`; they are freed after step 6.
    static func cells(s: Image<Float>, fg: Mask, ridgeFlags flagImage: consuming Mask, resolved r: ColonyParameters.Resolved,
                      parameters p: ColonyParameters, lap: (String) -> Void)
        -> (markers: LabelImage, flooded: LabelImage, labels: LabelImage) {
        let w = s.width, h = s.height, n = w * h
        var ridge = flagImage.pixels
        _ = consume flagImage
        // 4. markers: cut foreground, EDT > r_core (as an erosion by that disk), small cores dropped
        var coreMask: Mask
        do {   // the cut mask ends here (a dense colony's crop is frame-sized)
            var cut = fg
            cut.withUnsafeMutableBufferPointer { c in
                ridge.withUnsafeBufferPointer { rr in
                    for i in 0..<n where c[i] != 0 && rr[i] & ridgeCuts != 0 { c[i] = 0 }
                }
            }
            coreMask = DistanceTransform.fartherThan(cut, radius: r.coreRadius)
        }
        var (markers, coreCount) = Labeling.label(coreMask, connectivity: .four)
        coreMask = Mask(uncheckedWidth: 0, height: 0, pixels: [])
        dropSmallInPlace(&markers, count: coreCount, minPixels: r.minCorePixels)
        lap("markers")

        // 5. watershed on s inside the foreground
        // markers in raster order at equal values: explicit, and identical per group of components
        let flooded = Watershed.floodRasterAged(s, markers: markers, mask: fg, connectivity: .four)
        lap("watershed")

        // 6. edges: trim, gap near contacts, size filter
        let markerCount = Int(markers.pixels.max() ?? 0)
        let (coreSum, coreCnt) = labelSums(markers, of: s, count: markerCount)
        let trim = Float(p.trim)
        var trimLevel = [Float](repeating: 0, count: markerCount + 1)   // trim × core level (float32)
        for l in 1...max(markerCount, 1) where l <= markerCount {
            trimLevel[l] = trim * Float(coreSum[l] / Double(max(coreCnt[l], 1)))
        }
        lap("edges")
        let zone = contactZone(flooded, radius: r.interfaceRadius)
        lap("contact")
        var trimmed = flooded
        trimmed.withUnsafeMutableBufferPointer { t in
            s.withUnsafeBufferPointer { sv in
                zone.withUnsafeBufferPointer { z in
                    ridge.withUnsafeBufferPointer { rr in
                        for i in 0..<n {
                            let l = Int(t[i])
                            if l == 0 { continue }
                            let keep = sv[i] < trimLevel[l] && !(z[i] != 0 && rr[i] & ridgeGaps != 0)
                            if !keep { t[i] = 0 }
                        }
                    }
                }
            }
        }
        ridge = []
        dropSmallInPlace(&trimmed, count: markerCount, minPixels: r.minAreaPixels)
        var labels = trimmed
        trimmed = LabelImage(uncheckedWidth: 0, height: 0, pixels: [])   // one label image, not two

        // 7. objects must be clearly darker than the background on average
        let count = Int(labels.pixels.max() ?? 0)
        if count > 0 {
            let (sum, cnt) = labelSums(labels, of: s, count: count)
            var keep = [Bool](repeating: false, count: count + 1)
            for l in 1...count { keep[l] = !(sum[l] / Double(cnt[l]) > -p.objectSigmas) }
            Labeling.relabelSequentialInPlace(&labels, keep: keep)
        }
        Labeling.relabelSequentialInPlace(&labels)   // raster order of first pixel
        return (markers, flooded, labels)
    }

    /// Per label 1…count: the `Double` sum of `values` over its pixels, added in raster order,
    /// and its pixel count (index 0 stays 0; labels above `count` are left out). A run of one
    /// label is summed in a register: the same additions in the same order, without a
    /// store-to-load chain through memory per pixel. Assumes matching sizes.
    static func labelSums(_ labels: LabelImage, of values: Image<Float>, count: Int) -> (sum: [Double], pixels: [Int]) {
        var sum = [Double](repeating: 0, count: count + 1)
        var cnt = [Int](repeating: 0, count: count + 1)
        let n = labels.count
        labels.withUnsafeBufferPointer { lb in
            values.withUnsafeBufferPointer { sv in
                sum.withUnsafeMutableBufferPointer { sum in
                    cnt.withUnsafeMutableBufferPointer { cnt in
                        var i = 0
                        while i < n {
                            let l = lb[i]
                            if l == 0 || Int(l) > count { i += 1; continue }
                            var t = sum[Int(l)], c = cnt[Int(l)]
                            repeat { t += Double(sv[i]); c += 1; i += 1 } while i < n && lb[i] == l
                            sum[Int(l)] = t; cnt[Int(l)] = c
                        }
                    }
                }
            }
        }
        return (sum, cnt)
    }

    /// Bounding box (x0, y0, x1, y1, inclusive) of the mask's pixels grown by `margin` and
    /// clipped to the image; nil for an empty mask.
    static func boundingBox(_ mask: Mask, margin: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        let w = mask.width, h = mask.height
        var x0 = w, x1 = -1, y0 = h, y1 = -1
        mask.withUnsafeBufferPointer { m in
            for y in 0..<h {
                let row = y * w
                var first = -1, last = -1
                for x in 0..<w where m[row + x] != 0 { if first < 0 { first = x }; last = x }
                if first < 0 { continue }
                x0 = min(x0, first); x1 = max(x1, last)
                if y0 == h { y0 = y }
                y1 = y
            }
        }
        if x1 < 0 { return nil }
        return (max(0, x0 - margin), max(0, y0 - margin), min(w - 1, x1 + margin), min(h - 1, y1 + margin))
    }

    static func crop<P>(_ img: Image<P>, _ b: (x0: Int, y0: Int, x1: Int, y1: Int)) -> Image<P> {
        let w = img.width, bw = b.x1 - b.x0 + 1, bh = b.y1 - b.y0 + 1
        var px: [P] = []
        px.reserveCapacity(bw * bh)
        img.withUnsafeBufferPointer { p in
            for y in b.y0...b.y1 { px.append(contentsOf: p[(y * w + b.x0)...(y * w + b.x1)]) }
        }
        return Image(uncheckedWidth: bw, height: bh, pixels: px, pixelSize: img.pixelSize)
    }

    static func paste(_ part: LabelImage, into full: inout LabelImage, _ b: (x0: Int, y0: Int, x1: Int, y1: Int)) {
        let w = full.width, bw = part.width
        full.withUnsafeMutableBufferPointer { o in
            part.withUnsafeBufferPointer { q in
                for y in 0..<part.height { for x in 0..<bw { o[(y + b.y0) * w + x + b.x0] = q[y * bw + x] } }
            }
        }
    }
}
