import CellTrackCore

/// Per-region measurements of a label image, as `skimage.measure.regionprops` where the name
/// matches, plus tip-to-tip length and mean width.
///
/// - area: pixel count; centroid: mean column (`centroidX`) and row (`centroidY`); bbox
///   half-open.
/// - orientation, majorAxisLength, minorAxisLength: from the central second moments (the inertia
///   tensor), `4 √λ` for the eigenvalues λ, exactly regionprops' formulas.
/// - perimeter: regionprops `perimeter` (4-connected border pixels, weighted by the local border
///   configuration: 1, √2 or (1+√2)/2).
/// - length: tip-to-tip extent of the pixel centres projected on the major axis, plus 0.6 px.
///   Why 0.6: the centres inside a digitised rod stop short of its true tips. Calibrated on
///   capsules of width 6–16 px and length 20–80 px at random angles and sub-pixel offsets, the
///   mean shortfall is 0.49–0.68 px (sd 0.25); +1 px (a whole pixel) over-reads by ~0.4 px and
///   the pixel-corner extent by ~0.7 px.
/// - width: area / length (mean width of a rod).
/// - intensities from `intensity` (0 when no intensity image is given).
///
/// Regions are returned sorted by label; absent labels are skipped.
///
/// ```swift
/// let regions = RegionMeasurer.measure(labels: labels, intensity: frame.image)
/// let lengthUm = regions[0].lengthUm(pixelSize: 0.065)
/// ```
public enum RegionMeasurer {
    /// The correction added to the centre extent to estimate tip-to-tip length (see above).
    public static let lengthCorrection = 0.6

    public static func measure(labels: LabelImage, intensity: Image<Float>?) -> [Region] {
        measure(labels: labels, intensity: intensity, value: { Double($0) })
    }

    /// Generic over the intensity pixel type (integer or floating point images).
    @inlinable
    public static func measure<P: BinaryInteger & Sendable>(labels: LabelImage, intensity: Image<P>) -> [Region] {
        measure(labels: labels, intensity: intensity, value: { Double($0) })
    }

    @inlinable
    public static func measure<P: BinaryFloatingPoint & Sendable>(labels: LabelImage, intensity: Image<P>) -> [Region] {
        measure(labels: labels, intensity: intensity, value: { Double($0) })
    }

    /// Core. An intensity image of another size is ignored (intensities 0); callers validate.
    @inlinable
    public static func measure<P: Sendable>(labels: LabelImage, intensity: Image<P>?, value: (P) -> Double) -> [Region] {
        let w = labels.width, h = labels.height
        let maxLabel = Int(labels.pixels.max() ?? 0)
        if maxLabel == 0 { return [] }
        let intensityOK = intensity.map { $0.width == w && $0.height == h } ?? false
        var area = [Int](repeating: 0, count: maxLabel + 1)
        var sx = [Double](repeating: 0, count: maxLabel + 1), sy = sx
        var x0 = [Int](repeating: Int.max, count: maxLabel + 1), y0 = x0
        var x1 = [Int](repeating: -1, count: maxLabel + 1), y1 = x1
        var total = [Double](repeating: 0, count: maxLabel + 1)
        var minI = [Double](repeating: .infinity, count: maxLabel + 1)
        var maxI = [Double](repeating: -.infinity, count: maxLabel + 1)
        labels.withUnsafeBufferPointer { l in
            for y in 0..<h {
                for x in 0..<w {
                    let k = Int(l[y * w + x])
                    if k == 0 { continue }
                    area[k] += 1
                    sx[k] += Double(x); sy[k] += Double(y)
                    if x < x0[k] { x0[k] = x }
                    if x > x1[k] { x1[k] = x }
                    if y < y0[k] { y0[k] = y }
                    if y > y1[k] { y1[k] = y }
                }
            }
            if intensityOK, let intensity {
                intensity.withUnsafeBufferPointer { p in
                    for i in 0..<l.count {
                        let k = Int(l[i])
                        if k == 0 { continue }
                        let v = value(p[i])
                        total[k] += v
                        if v < minI[k] { minI[k] = v }
                        if v > maxI[k] { maxI[k] = v }
                    }
                }
            }
        }
        let sqrt2 = 2.0.squareRoot()
        var weights = [Double](repeating: 0, count: 50)
        for c in [5, 7, 15, 17, 25, 27] { weights[c] = 1 }
        weights[21] = sqrt2; weights[33] = sqrt2
        weights[13] = (1 + sqrt2) / 2; weights[23] = (1 + sqrt2) / 2

        var regions: [Region] = []
        labels.withUnsafeBufferPointer { l in
            for k in 1...maxLabel where area[k] > 0 {
                let n = Double(area[k])
                let cx = sx[k] / n, cy = sy[k] / n
                var mxx = 0.0, myy = 0.0, mxy = 0.0
                let lab = UInt32(k)
                for y in y0[k]...y1[k] {
                    for x in x0[k]...x1[k] where l[y * w + x] == lab {
                        let dx = Double(x) - cx, dy = Double(y) - cy
                        mxx += dx * dx; myy += dy * dy; mxy += dx * dy
                    }
                }
                // regionprops inertia tensor in (row, col) order: [[a, b], [b, c]]
                let a = mxx / n, b = -mxy / n, c = myy / n
                let orientation: Double
                if a - c == 0 {
                    orientation = b < 0 ? Double.pi / 4 : -Double.pi / 4
                } else {
                    orientation = 0.5 * MathShim.atan2(-2 * b, c - a)
                }
                let mean = (a + c) / 2
                let root = ((a - c) / 2 * ((a - c) / 2) + b * b).squareRoot()
                let l1 = max(mean + root, 0), l2 = max(mean - root, 0)
                // major axis direction in (x, y): principal eigenvector of the covariance
                let phi = 0.5 * MathShim.atan2(2 * mxy, mxx - myy)
                let ux = cosine(phi), uy = sine(phi)
                var pmin = Double.infinity, pmax = -Double.infinity
                var perimeter = 0.0
                @inline(__always) func inRegion(_ x: Int, _ y: Int) -> Bool {
                    x >= 0 && x < w && y >= 0 && y < h && l[y * w + x] == lab
                }
                @inline(__always) func isBorder(_ x: Int, _ y: Int) -> Bool {
                    inRegion(x, y) && !(inRegion(x - 1, y) && inRegion(x + 1, y) && inRegion(x, y - 1) && inRegion(x, y + 1))
                }
                for y in y0[k]...y1[k] {
                    for x in x0[k]...x1[k] where l[y * w + x] == lab {
                        let p = (Double(x) - cx) * ux + (Double(y) - cy) * uy
                        if p < pmin { pmin = p }
                        if p > pmax { pmax = p }
                        if isBorder(x, y) {
                            var code = 1
                            if isBorder(x - 1, y) { code += 2 }
                            if isBorder(x + 1, y) { code += 2 }
                            if isBorder(x, y - 1) { code += 2 }
                            if isBorder(x, y + 1) { code += 2 }
                            if isBorder(x - 1, y - 1) { code += 10 }
                            if isBorder(x + 1, y - 1) { code += 10 }
                            if isBorder(x - 1, y + 1) { code += 10 }
                            if isBorder(x + 1, y + 1) { code += 10 }
                            perimeter += weights[code]
                        }
                    }
                }
                let length = (pmax - pmin) + lengthCorrection
                var region = Region(label: lab, area: area[k], centroidX: cx, centroidY: cy,
                                    minX: x0[k], minY: y0[k], maxX: x1[k] + 1, maxY: y1[k] + 1,
                                    orientation: orientation,
                                    majorAxisLength: 4 * l1.squareRoot(), minorAxisLength: 4 * l2.squareRoot(),
                                    length: length, width: n / length, perimeter: perimeter)
                if intensityOK {
                    region.totalIntensity = total[k]
                    region.meanIntensity = total[k] / n
                    region.minIntensity = minI[k]
                    region.maxIntensity = maxI[k]
                }
                regions.append(region)
            }
        }
        return regions
    }

    /// The same measurements from runs (no label image): equal, value for value, to
    /// `measure(labels: runs.labelImage(), intensity:)` when the objects are in label order.
    /// Regions come in object order. An intensity image of another size is ignored.
    ///
    /// ```swift
    /// let regions = RegionMeasurer.measure(runs: result.cells, intensity: frame.image)
    /// ```
    public static func measure(runs: LabelRuns, intensity: Image<Float>?) -> [Region] {
        measure(runs: runs, intensity: intensity, value: { Double($0) })
    }

    @inlinable
    public static func measure<P: BinaryInteger & Sendable>(runs: LabelRuns, intensity: Image<P>) -> [Region] {
        measure(runs: runs, intensity: intensity, value: { Double($0) })
    }

    /// Core of the run-based measurement. Per object, a scratch mask of its box (+1 px) answers
    /// the perimeter's neighbour tests; every sum runs over the pixels in raster order, as the
    /// label-image version does, so the floating-point results are identical.
    @inlinable
    public static func measure<P: Sendable>(runs: LabelRuns, intensity: Image<P>?, value: (P) -> Double) -> [Region] {
        let w = runs.width
        let intensityOK = intensity.map { $0.width == runs.width && $0.height == runs.height } ?? false
        let sqrt2 = 2.0.squareRoot()
        var weights = [Double](repeating: 0, count: 50)
        for c in [5, 7, 15, 17, 25, 27] { weights[c] = 1 }
        weights[21] = sqrt2; weights[33] = sqrt2
        weights[13] = (1 + sqrt2) / 2; weights[23] = (1 + sqrt2) / 2
        var scratch: [UInt8] = []
        var regions: [Region] = []
        regions.reserveCapacity(runs.count)
        for k in 0..<runs.count {
            let rs = runs.runs(of: k)
            var area = 0
            var sx = 0.0, sy = 0.0
            var x0 = Int.max, x1 = -1
            // the coordinate sums are whole numbers below 2⁵³, so summing them per run in integers
            // gives the same values as adding pixel by pixel in Double
            var sumX = 0, sumY = 0
            for r in rs {
                let a = Int(r.x0), b = Int(r.x1), len = b - a
                area += len; sumX += (a + b - 1) * len / 2; sumY += Int(r.y) * len
                x0 = min(x0, a); x1 = max(x1, b - 1)
            }
            sx = Double(sumX); sy = Double(sumY)
            let y0 = Int(rs.first!.y), y1 = Int(rs.last!.y)
            var total = 0.0, minI = Double.infinity, maxI = -Double.infinity
            if intensityOK, let intensity {
                intensity.withUnsafeBufferPointer { p in
                    for r in rs {
                        let row = Int(r.y) * w
                        for i in (row + Int(r.x0))..<(row + Int(r.x1)) {
                            let v = value(p[i])
                            total += v
                            if v < minI { minI = v }
                            if v > maxI { maxI = v }
                        }
                    }
                }
            }
            let n = Double(area)
            let cx = sx / n, cy = sy / n
            var mxx = 0.0, myy = 0.0, mxy = 0.0
            for r in rs {
                let dy = Double(r.y) - cy
                for x in Int(r.x0)..<Int(r.x1) {
                    let dx = Double(x) - cx
                    mxx += dx * dx; myy += dy * dy; mxy += dx * dy
                }
            }
            let a = mxx / n, b = -mxy / n, c = myy / n
            let orientation: Double
            if a - c == 0 {
                orientation = b < 0 ? Double.pi / 4 : -Double.pi / 4
            } else {
                orientation = 0.5 * MathShim.atan2(-2 * b, c - a)
            }
            let mean = (a + c) / 2
            let root = ((a - c) / 2 * ((a - c) / 2) + b * b).squareRoot()
            let l1 = max(mean + root, 0), l2 = max(mean - root, 0)
            let phi = 0.5 * MathShim.atan2(2 * mxy, mxx - myy)
            let ux = cosine(phi), uy = sine(phi)
            // scratch mask of the box grown by 1 px: (x, y) ↦ (x − x0 + 1, y − y0 + 1)
            let sw = x1 - x0 + 3, sh = y1 - y0 + 3
            if scratch.count < sw * sh { scratch = [UInt8](repeating: 0, count: sw * sh) }
            var pmin = Double.infinity, pmax = -Double.infinity
            var perimeter = 0.0
            scratch.withUnsafeMutableBufferPointer { m in
                // bit 0: in the object; bit 1: a border pixel (in the object, a 4-neighbour not)
                let base = m.baseAddress!
                base.update(repeating: 0, count: sw * sh)
                for r in rs {
                    let row = base + (Int(r.y) - y0 + 1) * sw - x0 + 1
                    for x in Int(r.x0)..<Int(r.x1) { row[x] = 1 }
                }
                for r in rs {
                    let row = base + (Int(r.y) - y0 + 1) * sw - x0 + 1, up = row - sw, down = row + sw
                    for x in Int(r.x0)..<Int(r.x1) where (row[x - 1] & row[x + 1] & up[x] & down[x] & 1) == 0 { row[x] |= 2 }
                }
                for r in rs {
                    let y = Int(r.y)
                    let row = base + (y - y0 + 1) * sw - x0 + 1, up = row - sw, down = row + sw
                    for x in Int(r.x0)..<Int(r.x1) {
                        let p = (Double(x) - cx) * ux + (Double(y) - cy) * uy
                        if p < pmin { pmin = p }
                        if p > pmax { pmax = p }
                        if row[x] & 2 != 0 {
                            let sides = Int((row[x - 1] >> 1) + (row[x + 1] >> 1) + (up[x] >> 1) + (down[x] >> 1))
                            let corners = Int((up[x - 1] >> 1) + (up[x + 1] >> 1) + (down[x - 1] >> 1) + (down[x + 1] >> 1))
                            perimeter += weights[1 + 2 * sides + 10 * corners]
                        }
                    }
                }
            }
            let length = (pmax - pmin) + lengthCorrection
            var region = Region(label: runs.labels[k], area: area, centroidX: cx, centroidY: cy,
                                minX: x0, minY: y0, maxX: x1 + 1, maxY: y1 + 1,
                                orientation: orientation,
                                majorAxisLength: 4 * l1.squareRoot(), minorAxisLength: 4 * l2.squareRoot(),
                                length: length, width: n / length, perimeter: perimeter)
            if intensityOK {
                region.totalIntensity = total
                region.meanIntensity = total / n
                region.minIntensity = minI
                region.maxIntensity = maxI
            }
            regions.append(region)
        }
        return regions
    }

    @usableFromInline static func cosine(_ x: Double) -> Double { MathShim.cos(x) }
    @usableFromInline static func sine(_ x: Double) -> Double { MathShim.sin(x) }
}
