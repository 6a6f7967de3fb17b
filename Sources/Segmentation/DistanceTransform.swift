import CellTrackCore

/// Euclidean distance transform (Felzenszwalb & Huttenlocher 2012): exact, separable, linear time.
///
/// Semantics of `scipy.ndimage.distance_transform_edt(mask, sampling=(s, s))`: every non-zero
/// (foreground) pixel gets the distance to the nearest zero (background) pixel *inside* the
/// image; pixels outside the image are not background. Background pixels get 0. When the image
/// has no background pixel at all every distance is `+infinity` (scipy returns meaningless
/// finite numbers in that degenerate case).
///
/// ```swift
/// let dist = DistanceTransform.euclidean(mask)            // Image<Float>, in pixels
/// let um = DistanceTransform.euclidean(mask, spacing: 0.065)
/// ```
public enum DistanceTransform {
    /// Distance of each foreground pixel to the nearest background pixel, in units of `spacing`
    /// (pixel side; default 1). Squared distances are exact (integers for unit spacing); the
    /// square root is taken in `Double` and rounded once to `Float`.
    public static func euclidean(_ mask: Mask, spacing: Double = 1) -> Image<Float> {
        euclidean(mask, rowSpacing: spacing, columnSpacing: spacing)
    }

    /// Anisotropic variant: `rowSpacing` is the distance between rows (axis 0), `columnSpacing`
    /// between columns (axis 1), as scipy's `sampling=(rowSpacing, columnSpacing)`.
    public static func euclidean(_ mask: Mask, rowSpacing: Double, columnSpacing: Double) -> Image<Float> {
        var out = [Float](repeating: 0, count: mask.count)
        out.withUnsafeMutableBufferPointer { o in
            squaredEuclidean(mask, rowSpacing: rowSpacing, columnSpacing: columnSpacing) { y, row in
                let orow = o.baseAddress! + y * mask.width, src = row.baseAddress!
                for x in 0..<row.count { orow[x] = Float(src[x].squareRoot()) }
            }
        }
        return Image(uncheckedWidth: mask.width, height: mask.height, pixels: out, pixelSize: mask.pixelSize)
    }

    /// Squared Euclidean distances (see `euclidean`), row-major. Exact integers when both
    /// spacings are 1.
    public static func squaredEuclidean(_ mask: Mask, rowSpacing: Double = 1, columnSpacing: Double = 1) -> [Double] {
        var out = [Double](repeating: 0, count: mask.count)
        squaredEuclidean(mask, rowSpacing: rowSpacing, columnSpacing: columnSpacing) { y, row in
            let r = y * mask.width
            out.withUnsafeMutableBufferPointer { o in
                for x in 0..<row.count { o[r + x] = row[x] }
            }
        }
        return out
    }

    /// Core: computes squared distances one row at a time and hands each finished row (as a
    /// scratch buffer valid only during the call) to `emit`, so callers choose the output type
    /// without a full-size `Double` intermediate.
    @usableFromInline
    static func squaredEuclidean(_ mask: Mask, rowSpacing: Double, columnSpacing: Double,
                                 emit: (Int, UnsafeBufferPointer<Double>) -> Void) {
        let w = mask.width, h = mask.height
        if w == 0 || h == 0 { return }
        // Pass 1 (columns): distance in rows to the nearest background pixel in the same column,
        // by a downward then an upward scan over whole rows (cache-friendly, vectorisable).
        let none = Int32.max / 2
        var rows = [Int32](repeating: none, count: w * h)
        mask.withUnsafeBufferPointer { m in
            rows.withUnsafeMutableBufferPointer { d in
                for x in 0..<w { d[x] = m[x] == 0 ? 0 : none }
                if h >= 2 {
                    // row base pointers keep the index arithmetic unchecked, so these vectorise
                    for y in 1..<h {
                        let cur = d.baseAddress! + y * w, prev = cur - w, mr = m.baseAddress! + y * w
                        for x in 0..<w {
                            cur[x] = mr[x] == 0 ? 0 : min(prev[x] &+ 1, none)
                        }
                    }
                    for y in stride(from: h - 2, through: 0, by: -1) {
                        let cur = d.baseAddress! + y * w, next = cur + w
                        for x in 0..<w {
                            cur[x] = min(cur[x], next[x] &+ 1)
                        }
                    }
                }
            }
        }
        // Pass 2 (rows): lower envelope of parabolas f(v) + ((x - v) * columnSpacing)^2 over the
        // columns v whose column distance is finite.
        var f = [Double](repeating: 0, count: w)
        var v = [Int](repeating: 0, count: w)
        var z = [Double](repeating: 0, count: w + 1)
        var line = [Double](repeating: 0, count: w)
        let sy2 = rowSpacing * rowSpacing, sx = columnSpacing
        rows.withUnsafeBufferPointer { d in
            f.withUnsafeMutableBufferPointer { f in
                v.withUnsafeMutableBufferPointer { v in
                    z.withUnsafeMutableBufferPointer { z in
                        line.withUnsafeMutableBufferPointer { o in
                            for y in 0..<h {
                                let r = y * w
                                // Background pixels are 0. Inside a run of foreground [a, b] the
                                // nearest site lies in [a-1, b+1]: the background pixels bounding the
                                // run dominate every site beyond them. So the lower envelope is built
                                // per run (linear in the foreground), unless the whole row is
                                // foreground (then every column of the row is a candidate).
                                var x = 0
                                while x < w {
                                    if d[r + x] == 0 { o[x] = 0; x += 1; continue }
                                    var b = x
                                    while b + 1 < w && d[r + b + 1] != 0 { b += 1 }
                                    let lo = max(x - 1, 0), hi = min(b + 1, w - 1)
                                    var k = -1
                                    for q in lo...hi {
                                        let dq = d[r + q]
                                        if dq >= none { continue }
                                        let fq = Double(dq) * Double(dq) * sy2
                                        f[q] = fq
                                        let pq = Double(q) * sx
                                        while k >= 0 {
                                            let p = v[k]
                                            let pp = Double(p) * sx
                                            let s = ((fq + pq * pq) - (f[p] + pp * pp)) / (2 * (pq - pp))
                                            if s <= z[k] { k -= 1 } else {
                                                k += 1; v[k] = q; z[k] = s; break
                                            }
                                        }
                                        if k < 0 { k = 0; v[0] = q; z[0] = -.infinity }
                                        z[k + 1] = .infinity
                                    }
                                    if k < 0 {
                                        for xx in x...b { o[xx] = .infinity }
                                    } else {
                                        var j = 0
                                        for xx in x...b {
                                            let px = Double(xx) * sx
                                            while z[j + 1] < px { j += 1 }
                                            let dx = px - Double(v[j]) * sx
                                            o[xx] = dx * dx + f[v[j]]
                                        }
                                    }
                                    x = b + 1
                                }
                                emit(y, UnsafeBufferPointer(o))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Exact city-block (L1) and chessboard (L∞) distance transforms by the two-pass raster scan
/// (Rosenfeld & Pfaltz), which is exact for these two norms. They turn binary erosion/dilation by
/// a diamond (iterated cross) or a square of any size into one linear pass plus a threshold.
@usableFromInline
enum IntegerDistance {
    @usableFromInline static let unreachable = Int32.max / 2

    /// Distance from each pixel to the nearest *source* pixel (`(mask != 0) == sourceIsOn`).
    /// `outsideIsSource`: pixels outside the image count as sources (erosion with border value
    /// 0) or not (dilation). Unreachable pixels get `unreachable`.
    @usableFromInline
    static func transform(_ src: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int,
                          sourceIsOn: Bool, outsideIsSource: Bool, chessboard: Bool) -> [Int32] {
        let inf = unreachable
        var d = [Int32](repeating: inf, count: w * h)
        // value seen when a neighbour lies outside the image, before the +1 step
        let outside: Int32 = outsideIsSource ? 0 : inf
        d.withUnsafeMutableBufferPointer { d in
            for y in 0..<h {
                let r = y * w
                for x in 0..<w {
                    let i = r + x
                    if (src[i] != 0) == sourceIsOn { d[i] = 0; continue }
                    let up = y > 0 ? d[i - w] : outside
                    let left = x > 0 ? d[i - 1] : outside
                    var best = min(up, left)
                    if chessboard {
                        let ul = (y > 0 && x > 0) ? d[i - w - 1] : outside
                        let ur = (y > 0 && x < w - 1) ? d[i - w + 1] : outside
                        best = min(best, min(ul, ur))
                    }
                    d[i] = min(best + 1, inf)
                }
            }
            for y in stride(from: h - 1, through: 0, by: -1) {
                let r = y * w
                for x in stride(from: w - 1, through: 0, by: -1) {
                    let i = r + x
                    if d[i] == 0 { continue }
                    let down = y < h - 1 ? d[i + w] : outside
                    let right = x < w - 1 ? d[i + 1] : outside
                    var best = min(down, right)
                    if chessboard {
                        let dl = (y < h - 1 && x > 0) ? d[i + w - 1] : outside
                        let dr = (y < h - 1 && x < w - 1) ? d[i + w + 1] : outside
                        best = min(best, min(dl, dr))
                    }
                    if best + 1 < d[i] { d[i] = best + 1 }
                }
            }
        }
        return d
    }
}
