import CellTrackCore

/// Parameters of `--method mothermachine`. The cell width (`colony.cellWidthUm`) sets every
/// length; these are contrasts, as fractions of the bright halo along the chamber walls.
public struct MotherMachineParameters: Codable, Equatable, Hashable, Sendable {
    /// A row of a chamber is inside a cell when the lumen is darker than the halo along its
    /// walls by at least this fraction. Default 0.07 (cells: 0.15–0.3; an empty chamber: ~0).
    public var cellContrast: Double = 0.07
    /// Two cells meet where the centre line brightens by at least this fraction between two
    /// darker stretches, each at least `minLength` long: the septum. Default 0.02.
    public var septumContrast: Double = 0.02
    /// Shortest cell, in cell widths (a split never leaves a shorter piece). Default 2.
    public var minLength: Double = 2
    /// σ in px of the Gaussian along the chamber applied to the contrast profile. Default 1.
    public var profileSigma: Double = 1
    /// Where the outline lies between the lumen's mean (0) and the halo (1). Default 0.8: mother
    /// machine chambers are as wide as the cells, which fill the lumen up to the halo.
    public var outline: Double = 0.8

    public init() {}

    public func validate() throws {
        func check(_ name: String, _ v: Double, _ ok: (Double) -> Bool, _ reason: String) throws {
            guard v.isFinite, ok(v) else { throw ParameterError.invalid(name: "motherMachine.\(name)", value: "\(v)", reason: reason) }
        }
        try check("cellContrast", cellContrast, { $0 > 0 && $0 < 1 }, "must be between 0 and 1 (exclusive)")
        try check("septumContrast", septumContrast, { $0 > 0 && $0 < 1 }, "must be between 0 and 1 (exclusive)")
        try check("minLength", minLength, { $0 >= 0.5 && $0 <= 20 }, "must be between 0.5 and 20 cell widths")
        try check("profileSigma", profileSigma, { $0 >= 0 && $0 <= 20 }, "must be between 0 and 20 px")
        try check("outline", outline, { $0 > 0 && $0 < 1 }, "must be between 0 and 1 (exclusive)")
    }
}

/// Dark rods in the chambers of a mother machine (phase contrast), chambers along y or x.
///
/// Mother-machine frames defeat a global background: the chamber walls, the dark regions above
/// and below the chip and the bright lumens all differ, and a cell is only darker than the lumen
/// it sits in. So the chambers are found first, then each is read as a one-dimensional profile:
/// 1. **Chambers.** A horizontal high-pass (frame minus its running mean over 4 cell widths)
///    makes the lumens' bright halos stand out. The chamber band is the longest run of rows
///    where it is strong; along that band the column profile has one peak per chamber
///    (smoothed by half a cell width), at least two cell widths apart. The lumen of a chamber
///    lies between its two halo peaks.
/// 2. **Cells along a chamber.** Per row, the contrast `d = (halo − lumen) / halo` of the
///    lumen's mean (the unsmoothed frame: septa are 1–2 px bright lines across the whole
///    lumen) against the two halo columns. Rows with `d ≥ cellContrast` are inside cells;
///    a run of them is split at its deepest septum (a dip of `d` by `septumContrast` with at
///    least `minLength` widths on both sides), recursively.
/// 3. **Masks.** In every row of a cell, the pixels of the lumen darker than `outline` of the
///    way from the lumen's mean to the halo, as one run through the darkest central pixel.
///
/// Defaults chosen on DeLTA's mother-machine test movie against DeLTA's own labels
/// (scripts/eval.sh delta): SEG 0.68, detection F1 0.87.
///
/// Returns nil when the frame shows no evenly spaced row of at least three chambers whose lumens
/// stand out by 5 % of the mean level (the caller falls back to `colony`).
/// Deterministic; labels 1…n in raster order of each cell's first pixel.
public enum MotherMachine {
    struct Chamber: Equatable {
        /// Halo columns (the lumen is strictly between them) and the centre line.
        var left: Int, right: Int, centre: Int
        /// Rows of the chamber band.
        var top: Int, bottom: Int
    }

    /// Chambers along y first; if none are found, along x (the frame transposed, the result
    /// transposed back).
    static func segment(_ image: Image<Float>, widthPixels: Double, parameters p: MotherMachineParameters) -> LabelRuns? {
        if let cells = segmentVertical(image, widthPixels: widthPixels, parameters: p) { return cells }
        guard let cells = segmentVertical(transposed(image), widthPixels: widthPixels, parameters: p) else { return nil }
        var labels = Labeling.relabelSequential(transposed(cells.labelImage()))   // raster order of first pixels
        labels.pixelSize = image.pixelSize
        return LabelRuns(labels)
    }

    static func transposed<P>(_ image: Image<P>) -> Image<P> {
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return image }
        var out = [P](repeating: image.pixels[0], count: w * h)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h { for x in 0..<w { dst[x * h + y] = src[y * w + x] } }
            }
        }
        return Image(uncheckedWidth: h, height: w, pixels: out, pixelSize: image.pixelSize)
    }

    static func segmentVertical(_ image: Image<Float>, widthPixels: Double, parameters p: MotherMachineParameters) -> LabelRuns? {
        let smooth = Preprocess.gaussian(image, sigma: 1)
        guard let chambers = findChambers(smooth, widthPixels: widthPixels) else { return nil }
        var cells: [[LabelRuns.Run]] = []
        // the profiles read the frame itself: septa are 1–2 px bright lines that smoothing fades
        image.withUnsafeBufferPointer { s in
            for chamber in chambers {
                cells += cellsInChamber(chamber, s: s, width: image.width, widthPixels: widthPixels, parameters: p)
            }
        }
        cells.sort { a, b in (a[0].y, a[0].x0) < (b[0].y, b[0].x0) }
        var result = LabelRuns(width: image.width, height: image.height, pixelSize: image.pixelSize)
        for (k, runs) in cells.enumerated() { result.appendUnchecked(label: UInt32(k + 1), runs: runs) }
        return result
    }

    /// Step 1 on the smoothed frame. Nil: no band of chambers, or not a regular row of at least
    /// three (`isRegularRow`).
    static func findChambers(_ s: Image<Float>, widthPixels: Double) -> [Chamber]? {
        guard let row = chamberRow(s, widthPixels: widthPixels), isRegularRow(row.chambers) else { return nil }
        return row.chambers
    }

    /// The chamber candidates of step 1 and how far the lumens stand out (the strongest column
    /// peak over the band's mean level); nil when no band or no lumen stands out by 5 %.
    static func chamberRow(_ s: Image<Float>, widthPixels: Double) -> (chambers: [Chamber], contrast: Double)? {
        let w = s.width, h = s.height
        let window = max(3, Int((4 * widthPixels).rounded()) | 1)
        guard w >= 2 * window, h >= Int(4 * widthPixels) else { return nil }
        // high-pass per row: value minus the running mean (edge-clamped) over `window` columns
        var highPass = [Float](repeating: 0, count: w * h)
        var rowEnergy = [Double](repeating: 0, count: h), rowMean = rowEnergy
        var prefix = [Double](repeating: 0, count: w + 1)
        s.withUnsafeBufferPointer { v in
            for y in 0..<h {
                let row = y * w
                for x in 0..<w { prefix[x + 1] = prefix[x] + Double(v[row + x]) }
                var energy = 0.0
                for x in 0..<w {
                    let a = max(0, x - window / 2), b = min(w, x + window / 2 + 1)
                    let hp = Double(v[row + x]) - (prefix[b] - prefix[a]) / Double(b - a)
                    highPass[row + x] = Float(hp)
                    energy += abs(hp)
                }
                // scale-free: relative to the row's mean level
                let mean = prefix[w] / Double(w)
                rowMean[y] = mean
                rowEnergy[y] = mean > 0 ? energy / Double(w) / mean : 0
            }
        }
        // the band: the longest run of rows whose (smoothed) energy is ≥ 0.35 × the largest
        let smoothedEnergy = boxSmooth(rowEnergy, radius: max(1, Int(widthPixels / 2)))
        guard let peak = smoothedEnergy.max(), peak > 0 else { return nil }
        var best = (start: 0, end: -1), start = -1
        for y in 0...h {
            let on = y < h && smoothedEnergy[y] >= 0.35 * peak
            if on && start < 0 { start = y }
            if !on && start >= 0 {
                if y - start > best.end - best.start + 1 { best = (start, y - 1) }
                start = -1
            }
        }
        let top = best.start, bottom = best.end
        guard bottom - top + 1 >= Int(4 * widthPixels) else { return nil }
        // column profile over the band; chamber centres are the peaks of its smoothed version
        var column = [Double](repeating: 0, count: w)
        for y in top...bottom { for x in 0..<w { column[x] += Double(highPass[y * w + x]) } }
        for x in 0..<w { column[x] /= Double(bottom - top + 1) }
        let smoothed = gaussianSmooth(column, sigma: max(1, widthPixels / 2))
        // lumens stand out by several % of the band's mean level (DeLTA's chip: ~25 %); noise
        // and cells on a pad do not
        let bandMean = rowMean[top...bottom].reduce(0, +) / Double(bottom - top + 1)
        guard let highest = smoothed.max(), highest > 0.05 * abs(bandMean) else { return nil }
        var candidates: [Int] = []
        for x in 1..<(w - 1) where smoothed[x] > smoothed[x - 1] && smoothed[x] >= smoothed[x + 1] && smoothed[x] >= 0.25 * highest {
            candidates.append(x)
        }
        // strongest first (ties: lower x), at least two widths apart
        candidates.sort { smoothed[$0] != smoothed[$1] ? smoothed[$0] > smoothed[$1] : $0 < $1 }
        let separation = Int((2 * widthPixels).rounded())
        var centres: [Int] = []
        for c in candidates where centres.allSatisfy({ abs($0 - c) >= separation }) { centres.append(c) }
        centres.sort()
        var chambers: [Chamber] = []
        let reach = Int((1.5 * widthPixels).rounded()), inner = max(1, Int((0.15 * widthPixels).rounded()))
        for c in centres {
            let lo = max(0, c - reach), hi = min(w - 1, c + reach)
            guard c - inner > lo, c + inner < hi else { continue }
            let left = (lo...(c - inner)).max { column[$0] != column[$1] ? column[$0] < column[$1] : $0 > $1 }!
            let right = ((c + inner)...hi).max { column[$0] != column[$1] ? column[$0] < column[$1] : $0 < $1 }!
            guard Double(right - left) >= 0.6 * widthPixels else { continue }
            chambers.append(Chamber(left: left, right: right, centre: (left + right) / 2, top: top, bottom: bottom))
        }
        return (chambers, highest / abs(bandMean))
    }

    /// Stricter than `findChambers`, for `--method auto`: does this frame show a chip's row of
    /// chambers, along y or x? At least `chipChambers` chambers, nine in ten gaps between
    /// neighbours within 10 % of the median gap, and lumens standing out by `chipContrast`.
    /// DeLTA's test movie: 18 chambers, gaps 38–39 px, contrast 0.12–0.13. Colonies that pass
    /// `findChambers` (5 of the 40 frames of Samples/synthetic, Omnipose's ec_5I at 10 px) show
    /// 3–5 "chambers", gaps 15–60 % apart, contrast 0.05–0.06.
    ///
    /// It runs once per movie before any frame is segmented, so it must be cheap: frames whose
    /// cells are wider than 12 px are first averaged in blocks of ⌊w/6⌋ px (cells stay ≥ 6 px
    /// wide, chambers ≥ 12 px apart; the block mean also does the σ = 1 smoothing's work). On a
    /// 12-MP frame at 15 px this is 3 MP instead of two 12-MP passes and a transposed copy.
    public static func showsChip(_ frame: GreyImage, widthPixels: Double) -> Bool {
        let block = max(1, Int(widthPixels / 6))
        func reduced<P: GreyPixel>(_ image: Image<P>) -> Image<Float> {
            block > 1 ? blockMean(image, block) : Preprocess.gaussian(image, sigma: 1, eachRow: nil)   // integers read as they are
        }
        let s: Image<Float>
        switch frame {
        case .float(let image): s = reduced(image)
        case .uint16(let image): s = reduced(image)
        case .uint8(let image): s = reduced(image)
        }
        let w = widthPixels / Double(block)
        return isChip(s, widthPixels: w) || isChip(transposed(s), widthPixels: w)
    }

    /// Means of `block` × `block` blocks (a partial block at the right or bottom edge is left out).
    /// The rows of a block row are added into one full-width row first (a loop that vectorises),
    /// which is then summed in runs of `block`. Sums of integer pixels stay exact in `Float` (at
    /// most 144 values of 65535 at the largest block, 12).
    static func blockMean<P: GreyPixel>(_ image: Image<P>, _ block: Int) -> Image<Float> {
        let w = image.width / block, h = image.height / block
        guard w > 0, h > 0 else { return image.asFloat }
        let full = w * block
        var out = [Float](repeating: 0, count: w * h)
        var acc = [Float](repeating: 0, count: full)
        let scale = 1 / Float(block * block)
        image.withUnsafeBufferPointer { src in
            acc.withUnsafeMutableBufferPointer { a in
                out.withUnsafeMutableBufferPointer { o in
                    let sum = a.baseAddress!
                    for by in 0..<h {
                        let first = src.baseAddress! + by * block * image.width
                        for x in 0..<full { sum[x] = first[x].floatValue }
                        for r in 1..<max(block, 1) {
                            let row = first + r * image.width
                            for x in 0..<full { sum[x] += row[x].floatValue }
                        }
                        let dst = o.baseAddress! + by * w
                        for i in 0..<w {
                            var t: Float = 0
                            for x in (i * block)..<((i + 1) * block) { t += sum[x] }
                            dst[i] = t * scale
                        }
                    }
                }
            }
        }
        return Image(uncheckedWidth: w, height: h, pixels: out)
    }

    static let chipChambers = 6
    static let chipContrast = 0.08

    static func isChip(_ s: Image<Float>, widthPixels: Double) -> Bool {
        guard let row = chamberRow(s, widthPixels: widthPixels), row.chambers.count >= chipChambers,
              row.contrast >= chipContrast else { return false }
        let gaps = zip(row.chambers.dropFirst(), row.chambers).map { Double($0.centre - $1.centre) }.sorted()
        let median = gaps[gaps.count / 2]
        let regular = gaps.filter { abs($0 - median) <= 0.1 * median }.count
        return 10 * regular >= 9 * gaps.count
    }

    /// At least three chambers, and three quarters of the gaps between neighbours within 25 %
    /// of the median gap (a chip's chambers are evenly spaced; a missing one doubles one gap).
    static func isRegularRow(_ chambers: [Chamber]) -> Bool {
        guard chambers.count >= 3 else { return false }
        let gaps = zip(chambers.dropFirst(), chambers).map { Double($0.centre - $1.centre) }.sorted()
        let median = gaps[gaps.count / 2]
        let regular = gaps.filter { abs($0 - median) <= 0.25 * median }.count
        return 4 * regular >= 3 * gaps.count
    }

    /// Steps 2–3 for one chamber: each cell as runs (rows in order).
    static func cellsInChamber(_ c: Chamber, s: UnsafeBufferPointer<Float>, width w: Int, widthPixels: Double,
                               parameters p: MotherMachineParameters) -> [[LabelRuns.Run]] {
        let rows = c.bottom - c.top + 1
        let third = max(1, (c.right - c.left) / 3)
        let c0 = c.left + third, c1 = max(c0, c.right - third)
        var centre = [Double](repeating: 0, count: rows), halo = centre, contrast = centre
        for i in 0..<rows {
            let row = (c.top + i) * w
            // the whole lumen between the halos: a septum is a bright line across all of it
            var sum = 0.0
            for x in (c.left + 1)...max(c.left + 1, c.right - 1) { sum += Double(s[row + x]) }
            centre[i] = sum / Double(max(1, c.right - c.left - 1))
            halo[i] = (Double(s[row + c.left]) + Double(s[row + c.right])) / 2
            contrast[i] = halo[i] > 0 ? (halo[i] - centre[i]) / halo[i] : 0
        }
        let d = p.profileSigma > 0 ? gaussianSmooth(contrast, sigma: p.profileSigma) : contrast
        // runs of cell rows, each split at its septa
        var pieces: [(Int, Int)] = []
        var start = -1
        for i in 0...rows {
            let on = i < rows && d[i] >= p.cellContrast
            if on && start < 0 { start = i }
            if !on && start >= 0 { split(start, i - 1, d: d, minLength: p.minLength * widthPixels, depth: p.septumContrast, into: &pieces); start = -1 }
        }
        let shortest = max(2, Int((0.6 * widthPixels).rounded()))
        var cells: [[LabelRuns.Run]] = []
        for (a, b) in pieces where b - a + 1 >= shortest {
            var runs: [LabelRuns.Run] = []
            for i in a...b {
                let y = c.top + i, row = y * w
                let limit = Float(centre[i] + p.outline * (halo[i] - centre[i]))
                // the darkest pixel of the centre third, then outwards while darker than the limit
                var seed = c0
                for x in c0...c1 where s[row + x] < s[row + seed] { seed = x }
                guard s[row + seed] < limit else { continue }
                var x0 = seed, x1 = seed
                while x0 - 1 > c.left && s[row + x0 - 1] < limit { x0 -= 1 }
                while x1 + 1 < c.right && s[row + x1 + 1] < limit { x1 += 1 }
                runs.append(LabelRuns.Run(y: Int32(y), x0: Int32(x0), x1: Int32(x1 + 1)))
            }
            if !runs.isEmpty { cells.append(runs) }
        }
        return cells
    }

    /// Splits rows a…b at the deepest dip of `d` that is at least `depth` below the highest
    /// value on each side and leaves at least `minLength` rows on both; recursively.
    static func split(_ a: Int, _ b: Int, d: [Double], minLength: Double, depth: Double, into pieces: inout [(Int, Int)]) {
        let m = Int(minLength.rounded(.up))
        var best = -1, bestDepth = 0.0
        if b - a + 1 >= 2 * m + 1 {
            for i in (a + m)...(b - m) where d[i] <= d[i - 1] && d[i] <= d[i + 1] {
                let leftPeak = d[a..<i].max()!, rightPeak = d[(i + 1)...b].max()!
                let dip = min(leftPeak, rightPeak) - d[i]
                // deepest wins; equal depths: the first (upper) one
                if dip >= depth && (best < 0 || dip > bestDepth) { best = i; bestDepth = dip }
            }
        }
        guard best >= 0 else { pieces.append((a, b)); return }
        split(a, best - 1, d: d, minLength: minLength, depth: depth, into: &pieces)
        split(best + 1, b, d: d, minLength: minLength, depth: depth, into: &pieces)
    }

    static func boxSmooth(_ v: [Double], radius r: Int) -> [Double] {
        let n = v.count
        var prefix = [Double](repeating: 0, count: n + 1)
        for i in 0..<n { prefix[i + 1] = prefix[i] + v[i] }
        return (0..<n).map { i in
            let a = max(0, i - r), b = min(n, i + r + 1)
            return (prefix[b] - prefix[a]) / Double(b - a)
        }
    }

    /// 1-D Gaussian (truncated at 4σ, edges clamped).
    static func gaussianSmooth(_ v: [Double], sigma: Double) -> [Double] {
        let k = Preprocess.gaussianKernel(sigma: sigma)
        let r = k.count / 2, n = v.count
        return (0..<n).map { i in
            var sum = 0.0
            for j in 0..<k.count { sum += k[j] * v[min(max(i + j - r, 0), n - 1)] }
            return sum
        }
    }
}
