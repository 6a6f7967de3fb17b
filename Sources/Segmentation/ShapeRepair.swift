import CellTrackCore

/// Repair of a segmentation by cell shape (issue 5, "split objects that are too wide"): rods
/// have nearly constant width, so an object much wider than the frame's typical cell is two
/// cells lying side by side that the watershed kept together (typically sisters just after
/// division, whose contact line is too faint to cut the markers apart).
///
/// An object is measured along its major axis (second moments): its width profile counts the
/// pixels in each 1-px slice across the axis, and its *plateau width* is their mean over the
/// central 60 % of the slices (the poles excluded). The reference width is the median plateau
/// width of the frame's objects, or `expectedWidth` when the frame holds fewer than three. An object whose plateau is wider than
/// `ratio` × the reference is cut in two along a line parallel to its axis: of the lines within
/// a quarter of its width from the axis, the one whose pixels are brightest on average (dark
/// cells: the bright contact line) or darkest (bright cells). Each half must keep `minArea`
/// pixels, otherwise the object stays whole. Deterministic; labels come back 1…n in raster order.
///
/// ```swift
/// let repaired = ShapeRepair.splitWide(labels, intensity: frame, darkCells: true,
///                                      ratio: 1.5, expectedWidth: 15.4, minArea: 237)
/// ```
public enum ShapeRepair {
    /// One object's geometry: pixel indices, centroid, axis direction and plateau width.
    struct Object {
        var pixels: ArraySlice<Int32>
        var cx: Double, cy: Double, cos: Double, sin: Double
        var plateau: Double
    }

    /// Splits over-wide objects (see the type's documentation). `labels` and `intensity` have
    /// the same size; labels need not be sequential. `ratio <= 0` returns the labels unchanged.
    public static func splitWide(_ labels: LabelImage, intensity: Image<Float>, darkCells: Bool,
                                 ratio: Double, expectedWidth: Double, minArea: Double) -> LabelImage {
        precondition(labels.width == intensity.width && labels.height == intensity.height, "sizes differ")
        guard ratio > 0 else { return labels }
        let w = labels.width
        let maxLabel = Int(labels.pixels.max() ?? 0)
        guard maxLabel > 0 else { return labels }

        // pixel indices grouped by label (counting sort, raster order within a label)
        var start = [Int](repeating: 0, count: maxLabel + 2)
        labels.withUnsafeBufferPointer { l in for v in l where v != 0 { start[Int(v) + 1] += 1 } }
        for k in 1..<start.count { start[k] += start[k - 1] }
        var order = [Int32](repeating: 0, count: start[maxLabel + 1])
        var fill = start
        labels.withUnsafeBufferPointer { l in
            order.withUnsafeMutableBufferPointer { o in
                for i in 0..<l.count where l[i] != 0 {
                    let v = Int(l[i]); o[fill[v]] = Int32(i); fill[v] += 1
                }
            }
        }
        var objects: [(label: Int, object: Object)] = []
        for v in 1...maxLabel where start[v + 1] - start[v] >= 3 {
            objects.append((v, measure(order[start[v]..<start[v + 1]], width: w)))
        }
        guard !objects.isEmpty else { return labels }
        var plateaus = objects.map(\.object.plateau).sorted()
        var reference = plateaus.count % 2 == 1 ? plateaus[plateaus.count / 2]
            : (plateaus[plateaus.count / 2 - 1] + plateaus[plateaus.count / 2]) / 2
        if objects.count < 3 { reference = expectedWidth }   // too few cells for a median
        plateaus.removeAll()

        var out = labels
        var next = UInt32(maxLabel)
        intensity.withUnsafeBufferPointer { img in
            out.withUnsafeMutableBufferPointer { o in
                for (_, obj) in objects where obj.plateau > ratio * reference {
                    guard let offset = cutLine(obj, image: img, width: w, darkCells: darkCells) else { continue }
                    var moved = 0
                    for p in obj.pixels where across(Int(p), obj, w) >= Double(offset) + 0.5 { moved += 1 }
                    let kept = obj.pixels.count - moved
                    guard Double(moved) >= minArea, Double(kept) >= minArea else { continue }
                    next += 1
                    for p in obj.pixels where across(Int(p), obj, w) >= Double(offset) + 0.5 { o[Int(p)] = next }
                }
            }
        }
        return next == UInt32(maxLabel) ? labels : Labeling.relabelSequential(out)
    }

    /// Signed distance of pixel `p` from the object's axis (perpendicular coordinate).
    @inline(__always)
    static func across(_ p: Int, _ o: Object, _ w: Int) -> Double {
        let dx = Double(p % w) - o.cx, dy = Double(p / w) - o.cy
        return -dx * o.sin + dy * o.cos
    }

    /// Centroid, major-axis direction (regionprops' orientation from central moments) and
    /// plateau width of one object.
    static func measure(_ pixels: ArraySlice<Int32>, width w: Int) -> Object {
        let n = Double(pixels.count)
        // coordinates divided out once (an integer division per pixel and pass was most of the
        // cost); every sum below runs over them in the same order as over the indices
        var xs = [Double](repeating: 0, count: pixels.count), ys = xs   // coordinates
        var sx = 0.0, sy = 0.0
        for (k, p) in pixels.enumerated() {
            let x = Double(Int(p) % w), y = Double(Int(p) / w)
            xs[k] = x; ys[k] = y
            sx += x; sy += y
        }
        let cx = sx / n, cy = sy / n
        var mxx = 0.0, myy = 0.0, mxy = 0.0
        for k in 0..<xs.count {
            let dx = xs[k] - cx, dy = ys[k] - cy
            mxx += dx * dx; myy += dy * dy; mxy += dx * dy
        }
        let theta = 0.5 * MathShim.atan2(2 * mxy, mxx - myy)
        let c = MathShim.cos(theta), s = MathShim.sin(theta)
        var lo = Double.infinity, hi = -Double.infinity
        let along = (0..<xs.count).map { k in (xs[k] - cx) * c + (ys[k] - cy) * s }   // on the axis
        for t in along { lo = min(lo, t); hi = max(hi, t) }
        let slices = Int((hi - lo).rounded(.down)) + 1
        var counts = [Int](repeating: 0, count: slices)
        for t in along { counts[min(slices - 1, Int((t - lo).rounded(.down)))] += 1 }
        // the mean over the central 60 % of the slices: the poles taper and would lower the
        // width; a mean, not a median, because oblique rows alias (at 45° the slices hold
        // alternately √2 × fewer and more pixels)
        let core = slices >= 5 ? counts[(slices / 5)..<(slices - slices / 5)] : counts[...]
        let plateau = Double(core.reduce(0, +)) / Double(core.count)
        return Object(pixels: pixels, cx: cx, cy: cy, cos: c, sin: s, plateau: plateau)
    }

    /// The offset (px, perpendicular to the axis) of the line to cut along: within a quarter of
    /// the plateau width of the axis, the line of pixels (rounded offset) with the brightest
    /// (dark cells) or darkest mean intensity, among lines of at least 5 pixels; ties go to the
    /// smaller |offset|, then the smaller offset. `nil` when no line qualifies.
    static func cutLine<P: GreyPixel>(_ o: Object, image: UnsafeBufferPointer<P>, width w: Int, darkCells: Bool) -> Int? {
        let reach = Int((o.plateau / 4).rounded(.down))
        var sums = [Double](repeating: 0, count: 2 * reach + 1)
        var counts = [Int](repeating: 0, count: 2 * reach + 1)
        for p in o.pixels {
            let u = Int(across(Int(p), o, w).rounded(.toNearestOrEven))
            guard abs(u) <= reach else { continue }
            sums[u + reach] += image[Int(p)].doubleValue; counts[u + reach] += 1
        }
        var best: (offset: Int, value: Double)? = nil
        for offset in (-reach)...reach where counts[offset + reach] >= 5 {
            let mean = sums[offset + reach] / Double(counts[offset + reach])
            let value = darkCells ? mean : -mean
            if let b = best {
                let better = value > b.value
                    || (value == b.value && (abs(offset) < abs(b.offset) || (abs(offset) == abs(b.offset) && offset < b.offset)))
                if better { best = (offset, value) }
            } else {
                best = (offset, value)
            }
        }
        return best?.offset
    }
}
