import CellTrackCore

/// A flat, symmetric structuring element centred on the pixel.
///
/// - `disk(radius:)`: `skimage.morphology.disk(r)`, the offsets with `dx² + dy² ≤ r²`.
/// - `square(radius:)`: a `(2r+1) × (2r+1)` square; equals `r` iterations of the 3×3 square.
/// - `diamond(radius:)`: `|dx| + |dy| ≤ r`; equals `r` iterations of scipy's default cross
///   (`generate_binary_structure(2, 1)`), i.e. `binary_erosion(mask, iterations: r)`.
public enum StructuringElement: Codable, Equatable, Hashable, Sendable {
    case disk(radius: Int)
    case square(radius: Int)
    case diamond(radius: Int)

    public var radius: Int {
        switch self {
        case let .disk(r), let .square(r), let .diamond(r): return r
        }
    }

    /// Whether offset (dx, dy) belongs to the element.
    @inlinable
    public func contains(dx: Int, dy: Int) -> Bool {
        switch self {
        case let .disk(r): return dx * dx + dy * dy <= r * r
        case let .square(r): return abs(dx) <= r && abs(dy) <= r
        case let .diamond(r): return abs(dx) + abs(dy) <= r
        }
    }

    /// The offsets as a list, row by row (for reference code and footprints).
    public var offsets: [(dx: Int, dy: Int)] {
        let r = radius
        var out: [(dx: Int, dy: Int)] = []
        if r < 0 { return out }
        for dy in -r...r { for dx in -r...r where contains(dx: dx, dy: dy) { out.append((dx, dy)) } }
        return out
    }
}

/// Binary and grey-level morphology.
///
/// Binary operations follow `scipy.ndimage.binary_erosion/dilation/opening/closing` with
/// `border_value=0`: pixels outside the image are background, so erosion eats objects that
/// touch the border and dilation never grows from outside. Every element is a ball of a norm,
/// so each operation is one exact linear-time distance transform plus a threshold, whatever
/// the radius (Euclidean for disks, city-block for diamonds, chessboard for squares).
///
/// ```swift
/// let clean = Morphology.opening(mask, .disk(radius: 2))
/// let seed = Morphology.erosion(mask, .diamond(radius: 3))   // binary_erosion(iterations=3)
/// ```
public enum Morphology {
    /// Binary erosion: a pixel stays on when the element centred on it lies entirely inside
    /// the image and on foreground.
    public static func erosion(_ mask: Mask, _ element: StructuringElement) -> Mask {
        let r = element.radius
        if r <= 0 { return binarised(mask) }
        let w = mask.width, h = mask.height
        var out: [UInt8] = []   // allocated by the cases that fill it (small disks return their own)
        switch element {
        case let .disk(radius) where radius <= 32:
            return diskByRows(mask, radius: radius, erode: true)
        case .disk:
            out = [UInt8](repeating: 0, count: w * h)
            // Pad with one background pixel all round: outside the image is background.
            let pw = w + 2, ph = h + 2
            var padded = [UInt8](repeating: 0, count: pw * ph)
            mask.withUnsafeBufferPointer { m in
                padded.withUnsafeMutableBufferPointer { p in
                    for y in 0..<h {
                        for x in 0..<w { p[(y + 1) * pw + x + 1] = m[y * w + x] != 0 ? 1 : 0 }
                    }
                }
            }
            let pm = Mask(uncheckedWidth: pw, height: ph, pixels: padded)
            let r2 = Double(r * r)
            DistanceTransform.squaredEuclidean(pm, rowSpacing: 1, columnSpacing: 1) { py, row in
                guard py >= 1 && py <= h else { return }
                let base = (py - 1) * w
                out.withUnsafeMutableBufferPointer { o in
                    for x in 0..<w { o[base + x] = row[x + 1] > r2 ? 1 : 0 }
                }
            }
        case .square, .diamond:
            out = [UInt8](repeating: 0, count: w * h)
            let chess: Bool
            if case .square = element { chess = true } else { chess = false }
            let d = mask.withUnsafeBufferPointer {
                IntegerDistance.transform($0, width: w, height: h, sourceIsOn: false,
                                          outsideIsSource: true, chessboard: chess)
            }
            let rr = Int32(r)
            d.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<d.count { o[i] = d[i] > rr ? 1 : 0 }
                }
            }
        }
        return Mask(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize)
    }

    /// Binary dilation: a pixel turns on when the element centred on it meets foreground.
    public static func dilation(_ mask: Mask, _ element: StructuringElement) -> Mask {
        let r = element.radius
        if r <= 0 { return binarised(mask) }
        let w = mask.width, h = mask.height
        var out: [UInt8] = []   // allocated by the cases that fill it (small disks return their own)
        switch element {
        case let .disk(radius) where radius <= 32:
            return diskByRows(mask, radius: radius, erode: false)
        case .disk:
            out = [UInt8](repeating: 0, count: w * h)
            // distance from each pixel to the nearest foreground pixel = EDT of the complement
            let inverted = mask.map { $0 == 0 ? UInt8(1) : 0 }
            let r2 = Double(r * r)
            DistanceTransform.squaredEuclidean(inverted, rowSpacing: 1, columnSpacing: 1) { y, row in
                out.withUnsafeMutableBufferPointer { o in
                    for x in 0..<w { o[y * w + x] = row[x] <= r2 ? 1 : 0 }
                }
            }
        case .square, .diamond:
            out = [UInt8](repeating: 0, count: w * h)
            let chess: Bool
            if case .square = element { chess = true } else { chess = false }
            let d = mask.withUnsafeBufferPointer {
                IntegerDistance.transform($0, width: w, height: h, sourceIsOn: true,
                                          outsideIsSource: false, chessboard: chess)
            }
            let rr = Int32(r)
            d.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<d.count { o[i] = d[i] <= rr ? 1 : 0 }
                }
            }
        }
        return Mask(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize)
    }

    /// Erosion then dilation (removes objects and spurs thinner than the element).
    public static func opening(_ mask: Mask, _ element: StructuringElement) -> Mask {
        dilation(erosion(mask, element), element)
    }

    /// Dilation then erosion (closes gaps narrower than the element). As in scipy, the erosion
    /// treats outside as background, so objects touching the border lose their border rim.
    public static func closing(_ mask: Mask, _ element: StructuringElement) -> Mask {
        erosion(dilation(mask, element), element)
    }

    static func binarised(_ mask: Mask) -> Mask { mask.map { $0 != 0 ? 1 : 0 } }

    /// Disk erosion/dilation by its row decomposition: the disk is the union of horizontal runs
    /// `|dx| <= hw(dy) = ⌊√(r² − dy²)⌋`, so output row `y` is the AND (erosion) or OR (dilation)
    /// over `dy` of row `y + dy` eroded/dilated horizontally by `hw(dy)`. The horizontal
    /// operations by 0…r are built level by level (`level k = level k−1 ∧ shifts by ±k`) for the
    /// last `2r + 1` rows only, in a ring of 0/1 bytes padded by `r` zeros each side: outside
    /// the image is background for both operations. Every inner loop is an AND/OR over a row, 8
    /// bytes at a time (`combineBytes`), O(r) per pixel with a small constant; exact.
    static func diskByRows(_ mask: Mask, radius r: Int, erode: Bool) -> Mask {
        let w = mask.width, h = mask.height
        var out = [UInt8](repeating: 0, count: w * h)
        if w == 0 || h == 0 { return Mask(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize) }
        let halfWidth = (-r...r).map { dy in Int(Double(r * r - dy * dy).squareRoot().rounded(.down)) }
        let slots = 2 * r + 1, levels = r + 1, rowStride = w + 2 * r
        // ring[((slot * levels) + k) * rowStride + r + x]: row (y ≡ slot mod slots) by half-width k
        var ring = [UInt8](repeating: 0, count: slots * levels * rowStride)
        mask.withUnsafeBufferPointer { m in
            ring.withUnsafeMutableBufferPointer { rb in
                out.withUnsafeMutableBufferPointer { o in
                    let base = rb.baseAddress!
                    @inline(__always) func level(_ y: Int, _ k: Int) -> UnsafeMutablePointer<UInt8> {
                        base + ((y % slots) * levels + k) * rowStride + r
                    }
                    for y in 0..<(h + r) {
                        if y < h {
                            let src = m.baseAddress! + y * w
                            let l0 = level(y, 0)
                            for x in 0..<w { l0[x] = src[x] != 0 ? 1 : 0 }
                            for k in stride(from: 1, through: r, by: 1) {
                                let prev = level(y, k - 1), cur = level(y, k)
                                Self.combineBytes(into: cur, prev, l0 - k, l0 + k, count: w, and: erode)
                            }
                        }
                        let yo = y - r
                        guard yo >= 0 else { continue }
                        let dst = o.baseAddress! + yo * w
                        if erode {
                            // every row of the disk must lie inside the image
                            if yo - r < 0 || yo + r >= h { continue }
                            let first = level(yo - r, halfWidth[0])
                            dst.update(from: first, count: w)
                            for dy in stride(from: -r + 1, through: r, by: 1) {
                                let src = level(yo + dy, halfWidth[dy + r])
                                Self.combineBytes(into: dst, dst, src, src, count: w, and: true)
                            }
                        } else {
                            for dy in -r...r where yo + dy >= 0 && yo + dy < h {
                                let src = level(yo + dy, halfWidth[dy + r])
                                Self.combineBytes(into: dst, dst, src, src, count: w, and: false)
                            }
                        }
                    }
                }
            }
        }
        return Mask(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize)
    }

    /// `out[x] = a[x] ∧ b[x] ∧ c[x]` (or ∨) for x in 0..<count, 8 bytes at a time in 64-bit
    /// words: `diskByRows`' rows share one buffer, so the compiler cannot prove they do not
    /// overlap and would combine single bytes. `out` may be `a` (each word is read before it is
    /// written).
    @inline(__always)
    static func combineBytes(into out: UnsafeMutablePointer<UInt8>, _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>,
                             _ c: UnsafePointer<UInt8>, count: Int, and: Bool) {
        typealias V = UInt64
        var x = 0
        while x + 8 <= count {
            let va = UnsafeRawPointer(a + x).loadUnaligned(as: V.self)
            let vb = UnsafeRawPointer(b + x).loadUnaligned(as: V.self)
            let vc = UnsafeRawPointer(c + x).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + x).storeBytes(of: and ? va & vb & vc : va | vb | vc, as: V.self)
            x += 8
        }
        while x < count {
            out[x] = and ? a[x] & b[x] & c[x] : a[x] | b[x] | c[x]
            x += 1
        }
    }

    /// `scipy.ndimage.binary_fill_holes`: background regions not 4-connected to the image border
    /// become foreground.
    public static func fillHoles(_ mask: Mask) -> Mask {
        let w = mask.width, h = mask.height
        var out = mask.pixels.map { $0 != 0 ? UInt8(1) : 0 }
        if w == 0 || h == 0 { return Mask(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize) }
        // 2 = background reached from the border
        var stack: [Int] = []
        out.withUnsafeMutableBufferPointer { o in
            func seed(_ i: Int) { if o[i] == 0 { o[i] = 2; stack.append(i) } }
            for x in 0..<w { seed(x); seed((h - 1) * w + x) }
            for y in 0..<h { seed(y * w); seed(y * w + w - 1) }
            while let i = stack.popLast() {
                let x = i % w, y = i / w
                if x > 0 { seed(i - 1) }
                if x < w - 1 { seed(i + 1) }
                if y > 0 { seed(i - w) }
                if y < h - 1 { seed(i + w) }
            }
            for i in 0..<o.count { o[i] = o[i] == 2 ? 0 : 1 }
        }
        return Mask(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize)
    }

    /// Grey-level erosion (minimum filter) or dilation (maximum filter) over a `size × size`
    /// square (odd size), with scipy's default `mode='reflect'` border (`d c b a | a b c d`).
    /// Separable van Herk/Gil-Werman: three comparisons per pixel per axis, any size.
    public static func greyFilter(_ image: Image<Float>, size: Int, maximum: Bool) -> Image<Float> {
        precondition(size >= 1 && size % 2 == 1, "size must be odd and positive")
        let w = image.width, h = image.height
        var tmp = image.pixels
        let rad = size / 2
        if rad == 0 || w == 0 || h == 0 { return image }
        var line = [Float](repeating: 0, count: max(w, h))
        var result = [Float](repeating: 0, count: max(w, h))
        tmp.withUnsafeMutableBufferPointer { t in
            line.withUnsafeMutableBufferPointer { line in
                result.withUnsafeMutableBufferPointer { res in
                    for y in 0..<h {
                        for x in 0..<w { line[x] = t[y * w + x] }
                        slidingExtremum(line, count: w, radius: rad, maximum: maximum, into: res)
                        for x in 0..<w { t[y * w + x] = res[x] }
                    }
                    for x in 0..<w {
                        for y in 0..<h { line[y] = t[y * w + x] }
                        slidingExtremum(line, count: h, radius: rad, maximum: maximum, into: res)
                        for y in 0..<h { t[y * w + x] = res[y] }
                    }
                }
            }
        }
        return Image(uncheckedWidth: w, height: h, pixels: tmp, pixelSize: image.pixelSize)
    }

    /// scipy `grey_closing(image, size=(k, k))`: maximum filter then minimum filter.
    public static func greyClosing(_ image: Image<Float>, size: Int) -> Image<Float> {
        greyFilter(greyFilter(image, size: size, maximum: true), size: size, maximum: false)
    }

    /// scipy `grey_opening(image, size=(k, k))`: minimum filter then maximum filter.
    public static func greyOpening(_ image: Image<Float>, size: Int) -> Image<Float> {
        greyFilter(greyFilter(image, size: size, maximum: false), size: size, maximum: true)
    }

    /// van Herk/Gil-Werman sliding max/min of window `2*radius+1` over `count` values, reflecting
    /// at both ends.
    static func slidingExtremum(_ src: UnsafeMutableBufferPointer<Float>, count n: Int, radius: Int,
                                maximum: Bool, into dst: UnsafeMutableBufferPointer<Float>) {
        let k = 2 * radius + 1
        let padded = n + 2 * radius
        let blocks = (padded + k - 1) / k
        let len = blocks * k
        var ext = [Float](repeating: maximum ? -.infinity : .infinity, count: len)
        var g = [Float](repeating: 0, count: len)
        var hh = [Float](repeating: 0, count: len)
        func reflect(_ i: Int) -> Int {
            // scipy 'reflect' (half-sample symmetric), valid for any offset
            if n == 1 { return 0 }
            let period = 2 * n
            var j = i % period
            if j < 0 { j += period }
            return j < n ? j : period - 1 - j
        }
        for i in 0..<padded { ext[i] = src[reflect(i - radius)] }
        let better: (Float, Float) -> Float = maximum ? { Swift.max($0, $1) } : { Swift.min($0, $1) }
        for b in 0..<blocks {
            let s = b * k
            g[s] = ext[s]
            for i in 1..<k { g[s + i] = better(g[s + i - 1], ext[s + i]) }
            hh[s + k - 1] = ext[s + k - 1]
            for i in stride(from: k - 2, through: 0, by: -1) { hh[s + i] = better(hh[s + i + 1], ext[s + i]) }
        }
        // window [i, i + k - 1] in padded coordinates is centred on output i
        for i in 0..<n { dst[i] = better(hh[i], g[i + k - 1]) }
    }

    /// Clears (sets to 0) every label that touches the image border
    /// (`skimage.segmentation.clear_border` with `buffer_size=0`).
    public static func clearBorder(_ labels: LabelImage) -> LabelImage {
        let w = labels.width, h = labels.height
        var out = labels
        if w == 0 || h == 0 { return out }
        let maxLabel = Int(labels.pixels.max() ?? 0)
        var touches = [Bool](repeating: false, count: maxLabel + 1)
        for x in 0..<w { touches[Int(labels.pixels[x])] = true; touches[Int(labels.pixels[(h - 1) * w + x])] = true }
        for y in 0..<h { touches[Int(labels.pixels[y * w])] = true; touches[Int(labels.pixels[y * w + w - 1])] = true }
        touches[0] = false
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<o.count where touches[Int(o[i])] { o[i] = 0 }
        }
        return out
    }

    /// Removes labels with fewer than `minArea` pixels and renumbers the rest 1…n in raster order
    /// of their first pixel.
    public static func removeSmall(_ labels: LabelImage, minArea: Int) -> LabelImage {
        let maxLabel = Int(labels.pixels.max() ?? 0)
        var counts = [Int](repeating: 0, count: maxLabel + 1)
        labels.withUnsafeBufferPointer { l in for v in l { counts[Int(v)] += 1 } }
        var keep = counts.map { $0 >= minArea }
        keep[0] = false
        return Labeling.relabelSequential(labels, keep: keep)
    }
}

extension Morphology {
    /// Grows every label into background pixels within Euclidean `distance` px, each such pixel
    /// taking the label of the nearest labelled pixel (`skimage.segmentation.expand_labels`;
    /// equidistant candidates: the first in raster order, where skimage follows scipy's feature
    /// transform). Labels never overwrite each other. Cost: one window search per pixel of the
    /// grown band.
    public static func expandLabels(_ labels: LabelImage, distance: Double) -> LabelImage {
        let w = labels.width, h = labels.height
        guard distance > 0, w > 0, h > 0 else { return labels }
        // tolerate µm→px round-off (pixel sizes stored as TIFF rationals are off by ~1e-7)
        let reach = distance * (1 + 1e-5)
        let r = Int(reach.rounded(.down))
        if r == 0 { return labels }
        let d2 = reach * reach
        var band = Mask(uncheckedWidth: w, height: h, pixels: labels.pixels.map { $0 != 0 ? 1 : 0 })
        band = dilation(band, .disk(radius: r))   // every pixel within r of a label (superset)
        // window offsets by increasing squared distance, then raster order
        var offsets: [(dx: Int, dy: Int, d2: Int)] = []
        for dy in -r...r { for dx in -r...r where Double(dx * dx + dy * dy) <= d2 && !(dx == 0 && dy == 0) {
            offsets.append((dx, dy, dx * dx + dy * dy))
        } }
        offsets.sort { $0.d2 != $1.d2 ? $0.d2 < $1.d2 : ($0.dy != $1.dy ? $0.dy < $1.dy : $0.dx < $1.dx) }
        var out = labels
        labels.withUnsafeBufferPointer { l in
            band.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<h {
                        for x in 0..<w {
                            let i = y * w + x
                            if b[i] == 0 || l[i] != 0 { continue }
                            for (dx, dy, _) in offsets {
                                let xx = x + dx, yy = y + dy
                                if xx < 0 || yy < 0 || xx >= w || yy >= h { continue }
                                let v = l[yy * w + xx]
                                if v != 0 { o[i] = v; break }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
