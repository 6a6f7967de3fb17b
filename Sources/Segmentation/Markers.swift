import CellTrackCore

/// Seeds for the watershed: `peak_local_max` and h-maxima, plus the grey reconstruction and
/// regional maxima they are built from.
public enum Markers {
    // MARK: peak_local_max

    /// `skimage.feature.peak_local_max(image, min_distance, threshold_abs, threshold_rel,
    /// exclude_border, footprint=footprint, labels=labels)` (p_norm = ∞, no peak limits).
    ///
    /// Returns (x, y) in skimage's order: per label (ascending), by decreasing value, ties in raster
    /// order. Semantics kept: the maximum filter uses `mode='nearest'` on each label's bounding box
    /// with other pixels at the lowest finite value; a region whose every pixel is a local maximum
    /// (a flat region) yields only its isolated pixels; peaks must exceed `thresholdAbs` (default
    /// the image minimum) and `thresholdRel × max`; with `minDistance > 1` peaks closer than
    /// `minDistance` (Chebyshev) to a higher, already kept peak are dropped; `excludeBorder` pixels
    /// (default `minDistance`, 0 = none) along the image edges are excluded.
    ///
    /// - Parameter footprint: odd-sized mask centred on the pixel; default the square of side
    ///   `2 minDistance + 1`.
    ///
    /// ```swift
    /// let peaks = try Markers.peakLocalMax(dist, minDistance: 5, footprint: .disk(radius: 5), labels: cc, excludeBorder: 0)
    /// ```
    public static func peakLocalMax(_ image: Image<Float>, minDistance: Int = 1, thresholdAbs: Float? = nil,
                                    thresholdRel: Float? = nil, excludeBorder: Int? = nil,
                                    footprint: StructuringElement? = nil,
                                    labels: LabelImage? = nil) throws -> [(x: Int, y: Int)] {
        guard minDistance >= 0 else {
            throw ParameterError.invalid(name: "minDistance", value: "\(minDistance)", reason: "must be >= 0")
        }
        if let e = excludeBorder, e < 0 {
            throw ParameterError.invalid(name: "excludeBorder", value: "\(e)", reason: "must be >= 0")
        }
        if let labels, labels.width != image.width || labels.height != image.height {
            throw ParameterError.invalid(name: "labels", value: "\(labels.width)x\(labels.height)",
                                         reason: "must match the image size \(image.width)x\(image.height)")
        }
        let w = image.width, h = image.height
        if w == 0 || h == 0 { return [] }
        let border = excludeBorder ?? minDistance
        var threshold = thresholdAbs ?? (image.pixels.min() ?? 0)
        if let rel = thresholdRel { threshold = max(threshold, rel * (image.pixels.max() ?? 0)) }
        let fp = (footprint ?? .square(radius: minDistance)).offsets.filter { !($0.dx == 0 && $0.dy == 0) }
        let trivialFootprint = fp.isEmpty

        guard let labels else {
            var peaks = peakMask(image.pixels, width: w, height: h, footprint: fp, trivialFootprint: trivialFootprint,
                                 threshold: threshold, regionMask: nil)
            for y in 0..<h {
                for x in 0..<w where x < border || x >= w - border || y < border || y >= h - border {
                    peaks[y * w + x] = 0
                }
            }
            return highIntensityPeaks(image.pixels, width: w, height: h, peaks: peaks, minDistance: minDistance)
                .map { (x: $0.x, y: $0.y) }
        }
        // bounding boxes of the labels after zeroing the border band (skimage _exclude_border)
        let maxLabel = Int(labels.pixels.max() ?? 0)
        if maxLabel == 0 { return [] }
        var bx0 = [Int](repeating: Int.max, count: maxLabel + 1), by0 = bx0
        var bx1 = [Int](repeating: -1, count: maxLabel + 1), by1 = bx1
        for y in border..<max(border, h - border) {
            for x in border..<max(border, w - border) {
                let l = Int(labels.pixels[y * w + x])
                if l == 0 { continue }
                bx0[l] = min(bx0[l], x); bx1[l] = max(bx1[l], x)
                by0[l] = min(by0[l], y); by1[l] = max(by1[l], y)
            }
        }
        var result: [(x: Int, y: Int)] = []
        for l in 1...maxLabel where bx1[l] >= 0 {
            let rw = bx1[l] - bx0[l] + 1, rh = by1[l] - by0[l] + 1
            var sub = [Float](repeating: -Float.greatestFiniteMagnitude, count: rw * rh)
            var regionMask = [UInt8](repeating: 0, count: rw * rh)
            for y in 0..<rh {
                for x in 0..<rw {
                    let i = (y + by0[l]) * w + x + bx0[l]
                    if Int(labels.pixels[i]) == l { sub[y * rw + x] = image.pixels[i]; regionMask[y * rw + x] = 1 }
                }
            }
            let peaks = peakMask(sub, width: rw, height: rh, footprint: fp, trivialFootprint: trivialFootprint,
                                 threshold: threshold, regionMask: regionMask)
            for p in highIntensityPeaks(sub, width: rw, height: rh, peaks: peaks, minDistance: minDistance) {
                result.append((x: p.x + bx0[l], y: p.y + by0[l]))
            }
        }
        return result
    }

    /// skimage `_get_peak_mask`: pixels equal to the maximum over the footprint (nearest border),
    /// the flat-region rule, then `> threshold`.
    static func peakMask(_ img: [Float], width w: Int, height h: Int, footprint: [(dx: Int, dy: Int)],
                         trivialFootprint: Bool, threshold: Float, regionMask: [UInt8]?) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: w * h)
        if trivialFootprint || w * h == 1 {
            for i in 0..<(w * h) { out[i] = img[i] > threshold ? 1 : 0 }
            return out
        }
        var allMax = true
        img.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    for x in 0..<w {
                        let v = p[y * w + x]
                        var isMax = true
                        for (dx, dy) in footprint {
                            let xx = min(max(x + dx, 0), w - 1), yy = min(max(y + dy, 0), h - 1)
                            if p[yy * w + xx] > v { isMax = false; break }
                        }
                        o[y * w + x] = isMax ? 1 : 0
                        if !isMax && (regionMask?[y * w + x] ?? 1) != 0 { allMax = false }
                    }
                }
            }
        }
        if allMax {
            for i in 0..<out.count { out[i] = 0 }
            if let regionMask {
                // isolated pixels: mask XOR binary_opening(mask) with the 3x3 cross
                let m = Mask(uncheckedWidth: w, height: h, pixels: regionMask)
                let opened = Morphology.opening(m, .diamond(radius: 1))
                for i in 0..<out.count where regionMask[i] != opened.pixels[i] { out[i] = 1 }
            }
        }
        for i in 0..<out.count where !(img[i] > threshold) { out[i] = 0 }
        return out
    }

    /// skimage `_get_high_intensity_peaks` + `ensure_spacing` (p = ∞): sort by decreasing value
    /// (stable over raster order), then keep a peak unless a kept peak lies at Chebyshev distance
    /// `< minDistance` (only when `minDistance > 1`).
    static func highIntensityPeaks(_ img: [Float], width w: Int, height h: Int, peaks: [UInt8],
                                   minDistance: Int) -> [(x: Int, y: Int)] {
        var idx: [Int] = []
        for i in 0..<peaks.count where peaks[i] != 0 { idx.append(i) }
        // stable sort by decreasing value: tie-break on raster index
        idx.sort { img[$0] != img[$1] ? img[$0] > img[$1] : $0 < $1 }
        if minDistance <= 1 { return idx.map { (x: $0 % w, y: $0 / w) } }
        // grid of kept peaks, cells of side minDistance
        let cs = minDistance
        let gw = w / cs + 1, gh = h / cs + 1
        var grid = [[Int]](repeating: [], count: gw * gh)
        var kept: [(x: Int, y: Int)] = []
        for i in idx {
            let x = i % w, y = i / w
            let gx = x / cs, gy = y / cs
            var ok = true
            search: for cy in max(gy - 1, 0)...min(gy + 1, gh - 1) {
                for cx in max(gx - 1, 0)...min(gx + 1, gw - 1) {
                    for k in grid[cy * gw + cx] {
                        let p = kept[k]
                        if max(abs(p.x - x), abs(p.y - y)) < minDistance { ok = false; break search }
                    }
                }
            }
            if ok {
                grid[gy * gw + gx].append(kept.count)
                kept.append((x: x, y: y))
            }
        }
        return kept
    }

    /// Labels a list of points: each point becomes its own marker, then 8-connected points merge
    /// (the seed's `ndi.label(peaks)` uses the default cross, so pass `.four` to match it).
    public static func labelPoints(_ points: [(x: Int, y: Int)], width: Int, height: Int,
                                   connectivity: Connectivity = .four) -> LabelImage {
        var m = Mask(width: width, height: height, repeating: 0)
        for p in points { m.pixels[p.y * width + p.x] = 1 }
        return Labeling.label(m, connectivity: connectivity).labels
    }

    // MARK: grey reconstruction, regional maxima, h-maxima

    /// `skimage.morphology.reconstruction(seed, mask, method='dilation')` with the 3×3 square:
    /// the largest image ≤ `mask` obtained by dilating `seed` geodesically. Requires seed ≤ mask
    /// (values above are clipped to the mask first). Vincent's hybrid algorithm (two raster scans
    /// and a FIFO queue), linear in practice; the result is unique, so exact.
    public static func reconstructByDilation(seed: [Float], mask: [Float], width w: Int, height h: Int) -> [Float] {
        var j = [Float](repeating: 0, count: w * h)
        var queue: [Int32] = []
        mask.withUnsafeBufferPointer { m in
            j.withUnsafeMutableBufferPointer { j in
                seed.withUnsafeBufferPointer { s in
                    for i in 0..<j.count { j[i] = min(s[i], m[i]) }
                }
                // forward scan: neighbours already visited (left, up-left, up, up-right)
                for y in 0..<h {
                    for x in 0..<w {
                        let i = y * w + x
                        var v = j[i]
                        if x > 0 { v = max(v, j[i - 1]) }
                        if y > 0 {
                            v = max(v, j[i - w])
                            if x > 0 { v = max(v, j[i - w - 1]) }
                            if x < w - 1 { v = max(v, j[i - w + 1]) }
                        }
                        j[i] = min(v, m[i])
                    }
                }
                // backward scan, queueing pixels that can still raise a later neighbour
                for y in stride(from: h - 1, through: 0, by: -1) {
                    for x in stride(from: w - 1, through: 0, by: -1) {
                        let i = y * w + x
                        var v = j[i]
                        if x < w - 1 { v = max(v, j[i + 1]) }
                        if y < h - 1 {
                            v = max(v, j[i + w])
                            if x < w - 1 { v = max(v, j[i + w + 1]) }
                            if x > 0 { v = max(v, j[i + w - 1]) }
                        }
                        v = min(v, m[i])
                        j[i] = v
                        var enqueue = false
                        if x < w - 1, j[i + 1] < v, j[i + 1] < m[i + 1] { enqueue = true }
                        if y < h - 1 {
                            if j[i + w] < v, j[i + w] < m[i + w] { enqueue = true }
                            if x < w - 1, j[i + w + 1] < v, j[i + w + 1] < m[i + w + 1] { enqueue = true }
                            if x > 0, j[i + w - 1] < v, j[i + w - 1] < m[i + w - 1] { enqueue = true }
                        }
                        if enqueue { queue.append(Int32(i)) }
                    }
                }
                var head = 0
                while head < queue.count {
                    let i = Int(queue[head]); head += 1
                    let x = i % w, y = i / w
                    let v = j[i]
                    for dy in -1...1 {
                        let yy = y + dy
                        if yy < 0 || yy >= h { continue }
                        for dx in -1...1 {
                            let xx = x + dx
                            if xx < 0 || xx >= w || (dx == 0 && dy == 0) { continue }
                            let q = yy * w + xx
                            if j[q] < v && j[q] != m[q] {
                                j[q] = min(v, m[q])
                                queue.append(Int32(q))
                            }
                        }
                    }
                    if head > 1 << 20 && head * 2 > queue.count {
                        queue.removeFirst(head); head = 0
                    }
                }
            }
        }
        return j
    }

    /// `skimage.morphology.local_maxima(image, connectivity=2, allow_borders=True)`: pixels of
    /// 8-connected plateaus that have no strictly higher 8-neighbour. Linear: mark pixels with a
    /// higher neighbour, then spread "not a maximum" across equal-valued neighbours.
    public static func regionalMaxima(_ img: [Float], width w: Int, height h: Int) -> [UInt8] {
        var isMax = [UInt8](repeating: 1, count: w * h)
        var stack: [Int32] = []
        img.withUnsafeBufferPointer { p in
            isMax.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    for x in 0..<w {
                        let i = y * w + x
                        let v = p[i]
                        var higher = false
                        for dy in -1...1 where !higher {
                            let yy = y + dy
                            if yy < 0 || yy >= h { continue }
                            for dx in -1...1 {
                                let xx = x + dx
                                if xx < 0 || xx >= w { continue }
                                if p[yy * w + xx] > v { higher = true; break }
                            }
                        }
                        if higher { o[i] = 0; stack.append(Int32(i)) }
                    }
                }
                while let s = stack.popLast() {
                    let i = Int(s)
                    let x = i % w, y = i / w
                    let v = p[i]
                    for dy in -1...1 {
                        let yy = y + dy
                        if yy < 0 || yy >= h { continue }
                        for dx in -1...1 {
                            let xx = x + dx
                            if xx < 0 || xx >= w { continue }
                            let q = yy * w + xx
                            if o[q] != 0 && p[q] == v { o[q] = 0; stack.append(Int32(q)) }
                        }
                    }
                }
            }
        }
        return isMax
    }

    /// `skimage.morphology.h_maxima(image, h)`: 1 where `image - reconstruction(image - h - ε, image) >= h`
    /// (ε = 2 × float32 resolution × |image|, skimage's rounding guard), i.e. the tops of the domes
    /// whose dynamic is at least `h`.
    public static func hMaxima(_ image: Image<Float>, h: Float) throws -> Mask {
        guard h > 0, h.isFinite else {
            throw ParameterError.invalid(name: "h", value: "\(h)", reason: "must be a positive number")
        }
        let resolution: Float = 1e-6   // np.finfo(float32).resolution
        let seed = image.pixels.map { $0 - h - 2 * resolution * abs($0) }
        let rec = reconstructByDilation(seed: seed, mask: image.pixels, width: image.width, height: image.height)
        var out = [UInt8](repeating: 0, count: image.count)
        for i in 0..<out.count where image.pixels[i] - rec[i] >= h { out[i] = 1 }
        return Mask(uncheckedWidth: image.width, height: image.height, pixels: out, pixelSize: image.pixelSize)
    }

    /// The recipe's default markers (the Python baseline's `--markers hmax`): regional maxima of
    /// the h-maxima transform `reconstruction(distance - h, distance)` inside the foreground,
    /// labelled with 8-connectivity. A dome with dynamic ≥ h gives one marker (its whole top
    /// plateau, so a rod's flat EDT ridge is one marker); lower bumps are flattened away.
    ///
    /// ```swift
    /// let markers = try Markers.hMaximaMarkers(distance, foreground: fg, h: 1.5)
    /// ```
    public static func hMaximaMarkers(_ distance: Image<Float>, foreground: Mask, h: Float) throws -> LabelImage {
        guard h >= 0, h.isFinite else {
            throw ParameterError.invalid(name: "h", value: "\(h)", reason: "must be a finite number >= 0")
        }
        guard foreground.width == distance.width, foreground.height == distance.height else {
            throw ParameterError.invalid(name: "foreground", value: "\(foreground.width)x\(foreground.height)",
                                         reason: "must match the distance size \(distance.width)x\(distance.height)")
        }
        return hMaximaMarkersUnchecked(distance, foreground: foreground, h: h)
    }

    /// Fast core of `hMaximaMarkers`. Works inside the foreground only (background and the
    /// image frame are −∞), which equals the whole-frame computation for every plateau above
    /// 0: reconstruction through background is capped at the background's distance 0, so it
    /// only affects values ≤ 0, and such plateaus (objects whose EDT never exceeds h) give no
    /// marker either way.
    static func hMaximaMarkersUnchecked(_ distance: Image<Float>, foreground: Mask, h: Float) -> LabelImage {
        let w = distance.width, hh = distance.height
        let pw = w + 2, n = pw * (hh + 2)
        let low = -Float.infinity
        // j: the reconstruction; m: the mask image (freed as soon as the reconstruction is done,
        // before the plateau flags are allocated, to lower the peak)
        let j = LargeBuffer.allocate(Float.self, count: n)
        let m = LargeBuffer.allocate(Float.self, count: n)
        defer { LargeBuffer.release(j) }
        j.initialize(repeating: low, count: n)
        m.initialize(repeating: low, count: n)
        distance.withUnsafeBufferPointer { d in
            foreground.withUnsafeBufferPointer { f in
                for y in 0..<hh {
                    let src = y * w, dst = (y + 1) * pw + 1
                    for x in 0..<w where f[src + x] != 0 {
                        m[dst + x] = d[src + x]
                        j[dst + x] = d[src + x] - h
                    }
                }
            }
        }
        // reconstruction by dilation (Vincent's hybrid algorithm), 8-connected
        for y in 1...max(hh, 1) where hh > 0 {
            let r = y * pw
            for i in (r + 1)...(r + w) where m[i] != low {
                var v = max(j[i], j[i - 1])
                v = max(v, max(j[i - pw - 1], max(j[i - pw], j[i - pw + 1])))
                j[i] = min(v, m[i])
            }
        }
        var queue: [Int32] = []
        for y in stride(from: hh, through: 1, by: -1) {
            let r = y * pw
            for i in stride(from: r + w, through: r + 1, by: -1) where m[i] != low {
                var v = max(j[i], j[i + 1])
                v = max(v, max(j[i + pw - 1], max(j[i + pw], j[i + pw + 1])))
                v = min(v, m[i])
                j[i] = v
                @inline(__always) func raises(_ q: Int) -> Bool { j[q] < v && j[q] < m[q] }
                if raises(i + 1) || raises(i + pw - 1) || raises(i + pw) || raises(i + pw + 1) {
                    queue.append(Int32(i))
                }
            }
        }
        let offsets = [-pw - 1, -pw, -pw + 1, -1, 1, pw - 1, pw, pw + 1]
        var head = 0
        while head < queue.count {
            let i = Int(queue[head]); head += 1
            let v = j[i]
            for o in offsets {
                let q = i + o
                if j[q] < v && j[q] != m[q] {
                    j[q] = min(v, m[q])
                    queue.append(Int32(q))
                }
            }
        }
        LargeBuffer.release(m)
        let flag = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { flag.deallocate() }
        flag.initialize(repeating: 0, count: n)
        // regional maxima of the reconstruction inside the foreground (8-connected plateaus
        // without a higher neighbour): flag 1 = candidate, 2 = not a maximum. The foreground is
        // where j is finite (background stays −∞: the reconstruction never raises j above m).
        var candidates: [Int32] = []
        for y in 1...max(hh, 1) where hh > 0 {
            let r = y * pw
            for i in (r + 1)...(r + w) where j[i] != low {
                let v = j[i]
                var top = max(j[i - pw - 1], max(j[i - pw], j[i - pw + 1]))
                top = max(top, max(j[i - 1], j[i + 1]))
                top = max(top, max(j[i + pw - 1], max(j[i + pw], j[i + pw + 1])))
                if top > v || !(v > 0) { flag[i] = 2 } else { flag[i] = 1; candidates.append(Int32(i)) }
            }
        }
        var stack: [Int32] = []
        for c in candidates {
            let i = Int(c)
            if flag[i] != 1 { continue }
            let v = j[i]
            var touchesLower = false
            for o in offsets where flag[i + o] == 2 && j[i + o] == v { touchesLower = true; break }
            if !touchesLower { continue }
            flag[i] = 2
            stack.append(c)
            while let s = stack.popLast() {
                let p = Int(s)
                for o in offsets where flag[p + o] == 1 && j[p + o] == v {
                    flag[p + o] = 2
                    stack.append(Int32(p + o))
                }
            }
        }
        var maxima = [UInt8](repeating: 0, count: w * hh)
        for c in candidates where flag[Int(c)] == 1 {
            let i = Int(c)
            maxima[(i / pw - 1) * w + (i % pw - 1)] = 1
        }
        let mk = Mask(uncheckedWidth: w, height: hh, pixels: maxima, pixelSize: distance.pixelSize)
        return Labeling.label(mk, connectivity: .eight).labels
    }
}
