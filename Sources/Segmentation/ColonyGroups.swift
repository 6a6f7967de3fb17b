import CellTrackCore

/// The colony method (docs/colony-method.md §2) with work and memory proportional to the
/// foreground instead of the frame. Steps 1–2 (normalisation, foreground) run on the whole
/// frame; the opening runs per 8-connected component on its box; steps 3–7 run per *group*:
/// components whose boxes, grown by the contact-zone reach, overlap. Each group is processed on
/// its own crop of `s` (the group's box plus the filters' reach), with every other group's
/// pixels left out. The result equals the whole-frame computation (`ColonySegmenter.segment`)
/// pixel for pixel, for these reasons:
/// - opening: a disk of foreground pixels is 8-connected, so erosion and dilation never cross
///   between 8-components (scipy's zero border is the crop's border or lies in background);
/// - Hessian and darkness at a foreground pixel read `s` within their radius, inside the crop,
///   and reflect only where the crop's edge is the frame's;
/// - EDT: the nearest zero of a component's pixel is background next to it, never another
///   group's pixel (`Segmenter.floodComponents` gives the argument); the crop has a zero margin;
/// - markers, watershed (masked to the group's foreground, pushes in the same relative raster
///   order), core levels, size and contrast filters are per object;
/// - the contact zone reaches `interfaceRadius` px, less than the gap between groups;
/// - contact edges (`ContactEdges.place`) read `interfaceRadius + 1` px around each object;
/// - labels are finally numbered in raster order of each object's first pixel, as
///   `relabelSequential` numbers the whole frame.
extension ColonySegmenter {
    /// What `segmentGrouped` returns: the cells as runs, and the frame-level facts.
    struct GroupedResult {
        var cells: LabelRuns
        var threshold: Float
        var darkCells: Bool
    }

    /// CPU seconds of the per-group stages (for `bench-segment`).
    struct GroupTimes {
        var crop = 0.0, hessian = 0.0, darkness = 0.0, cells = 0.0
    }

    /// The colony segmentation of one frame (see the extension's documentation). Assumes what
    /// `segment` assumes. Returns nil when `onlyDark` and the cells are not dark.
    static func segmentGrouped<P: GreyPixel>(_ image: Image<P>, parameters p: ColonyParameters, widthPixels: Double,
                               polarity: Polarity, onlyDark: Bool = false,
                               lap: (String) -> Void = { _ in }, times: UnsafeMutablePointer<GroupTimes>? = nil) -> GroupedResult? {
        let r = p.resolved(widthPixels: widthPixels)
        let w = image.width, h = image.height, n = w * h

        // 1. normalise in place: smooth, then s = (smooth − level) / scale
        var s = smoothAndFlatten(image, parameters: p, resolved: r, widthPixels: widthPixels, bright: polarity == .bright)
        var darkCells = polarity != .bright
        lap("smooth")
        var (bg, spread) = backgroundPeak(of: s)
        lap("peak")
        var level = Float(bg), scale = Float(max(spread, 1e-6))
        if polarity == .auto && !s.withUnsafeBufferPointer({ looksDark($0, level: level, scale: scale) }) {
            if onlyDark { return nil }
            darkCells = false
            negateInPlace(&s)
            (bg, spread) = backgroundPeak(of: s)
            level = Float(bg); scale = Float(max(spread, 1e-6))
        }
        if onlyDark && !darkCells { return nil }
        let tFg = Float(p.foregroundSigmas)
        var fg = Mask(width: w, height: h, repeating: 0, pixelSize: image.pixelSize)
        s.withUnsafeMutableBufferPointer { sv in
            fg.withUnsafeMutableBufferPointer { f in
                for i in 0..<n {
                    let v = (sv[i] - level) / scale
                    sv[i] = v
                    f[i] = v < -tFg ? 1 : 0
                }
            }
        }
        lap("normalise")

        // 2. opening, per 8-connected component on its box
        openPerComponent(&fg, radius: r.openRadius)
        let components = RunComponents.label(fg, connectivity: .eight)
        fg = Mask(uncheckedWidth: 0, height: 0, pixels: [])   // the runs hold it from here
        lap("foreground")

        // 3–7 per group
        let hessianRadius = Int(4 * r.ridgeSigma + 0.5)
        let reach = max(hessianRadius, r.darknessWindow / 2) + 1
        let groups = groupComponents(components, margin: r.interfaceRadius + 2)
        var found: [(first: Int, runs: [LabelRuns.Run])] = []
        for group in groups {
            // A lone component too small for a cell, or nowhere as dark as a cell must be on
            // average, yields nothing (every object is a subset of its pixels): skip its crop.
            if group.count == 1 && !mayHoldACell(group[0], components: components, s: s, resolved: r, parameters: p) {
                continue
            }
            processGroup(group, components: components, s: s, resolved: r, parameters: p, reach: reach,
                         into: &found, times: times)
        }
        FramePool.shared.give(&s.pixels)   // the next frame's smoothing writes into it
        found.sort { $0.first < $1.first }
        var cells = LabelRuns(width: w, height: h, pixelSize: image.pixelSize)
        for (k, object) in found.enumerated() { cells.appendUnchecked(label: UInt32(k + 1), runs: object.runs) }
        lap("cells")
        let threshold = (level - tFg * scale) * (darkCells ? 1 : -1)
        return GroupedResult(cells: cells, threshold: threshold, darkCells: darkCells)
    }

    /// False when component `k` alone cannot produce an object: fewer pixels than `minArea`, or
    /// no pixel below −`objectSigmas` (an object's mean must be).
    static func mayHoldACell(_ k: Int, components: LabelRuns, s: Image<Float>, resolved r: ColonyParameters.Resolved,
                             parameters p: ColonyParameters) -> Bool {
        guard Double(components.area(k)) >= r.minAreaPixels else { return false }
        let limit = Float(-p.objectSigmas)
        let w = s.width
        return s.withUnsafeBufferPointer { sv in
            for run in components.runs(of: k) {
                let row = Int(run.y) * w
                for i in (row + Int(run.x0))..<(row + Int(run.x1)) where sv[i] <= limit { return true }
            }
            return false
        }
    }

    static func negateInPlace(_ image: inout Image<Float>) {
        image.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = -p[i] } }
    }

    /// `looksDark` of `(smooth − level) / scale` without storing it.
    static func looksDark(_ smooth: UnsafeBufferPointer<Float>, level: Float, scale: Float) -> Bool {
        var dark = 0, bright = 0
        for v in smooth {
            let s = (v - level) / scale
            if s < -6 { dark += 1 } else if s > 6 { bright += 1 }
        }
        return dark * 1000 >= smooth.count && 4 * dark >= bright
    }

    /// `Morphology.opening(fg, .disk(radius))`, computed per 8-connected component on its
    /// bounding box. A component with fewer pixels than the disk vanishes without work.
    static func openPerComponent(_ fg: inout Mask, radius: Int) {
        let w = fg.width
        let components = RunComponents.label(fg, connectivity: .eight)
        let diskArea = StructuringElement.disk(radius: radius).offsets.count
        fg.withUnsafeMutableBufferPointer { f in
            for k in 0..<components.count {
                let runs = components.runs(of: k)
                if components.area(k) < diskArea {
                    for run in runs { for i in (Int(run.y) * w + Int(run.x0))..<(Int(run.y) * w + Int(run.x1)) { f[i] = 0 } }
                    continue
                }
                let box = components.boundingBox(k)
                let bw = box.width
                var crop = Mask(width: bw, height: box.height, repeating: 0)
                crop.withUnsafeMutableBufferPointer { c in
                    for run in runs {
                        let row = (Int(run.y) - box.minY) * bw - box.minX
                        for x in Int(run.x0)..<Int(run.x1) { c[row + x] = 1 }
                    }
                }
                let opened = Morphology.opening(crop, .disk(radius: radius))
                opened.withUnsafeBufferPointer { o in
                    for run in runs {
                        let row = (Int(run.y) - box.minY) * bw - box.minX
                        for x in Int(run.x0)..<Int(run.x1) where o[row + x] == 0 { f[Int(run.y) * w + x] = 0 }
                    }
                }
            }
        }
    }

    /// Components grouped so that pixels of different groups are more than `margin` px apart
    /// on both axes or in box terms: union-find over components whose boxes, grown by `margin`,
    /// intersect (found through a coarse grid). Groups are listed by their first component,
    /// members in component order.
    static func groupComponents(_ components: LabelRuns, margin: Int) -> [[Int]] {
        let n = components.count
        guard n > 0 else { return [] }
        var boxes: [MaskRLE.BoundingBox] = []
        boxes.reserveCapacity(n)
        for k in 0..<n {
            let b = components.boundingBox(k)
            boxes.append(MaskRLE.BoundingBox(minX: b.minX - margin, minY: b.minY - margin,
                                             maxX: b.maxX + margin, maxY: b.maxY + margin))
        }
        var parent = Array(0..<n)
        func find(_ a: Int) -> Int {
            var a = a
            while parent[a] != a { parent[a] = parent[parent[a]]; a = parent[a] }
            return a
        }
        // grid of 64-px cells: each box registers in the cells it covers
        let cell = 64
        let gw = (components.width + 2 * margin) / cell + 1, gh = (components.height + 2 * margin) / cell + 1
        var bucketStart = [Int](repeating: 0, count: gw * gh + 1)
        func cells(_ b: MaskRLE.BoundingBox) -> (Int, Int, Int, Int) {
            let cx0 = max(0, (b.minX + margin) / cell), cx1 = min(gw - 1, (b.maxX - 1 + margin) / cell)
            let cy0 = max(0, (b.minY + margin) / cell), cy1 = min(gh - 1, (b.maxY - 1 + margin) / cell)
            return (cx0, cx1, cy0, cy1)
        }
        for b in boxes {
            let (cx0, cx1, cy0, cy1) = cells(b)
            for cy in cy0...cy1 { for cx in cx0...cx1 { bucketStart[cy * gw + cx + 1] += 1 } }
        }
        for i in 0..<(gw * gh) { bucketStart[i + 1] += bucketStart[i] }
        var members = [Int](repeating: 0, count: bucketStart[gw * gh])
        var fill = bucketStart
        for (k, b) in boxes.enumerated() {
            let (cx0, cx1, cy0, cy1) = cells(b)
            for cy in cy0...cy1 { for cx in cx0...cx1 { members[fill[cy * gw + cx]] = k; fill[cy * gw + cx] += 1 } }
        }
        for c in 0..<(gw * gh) {
            let lo = bucketStart[c], hi = bucketStart[c + 1]
            if hi - lo < 2 { continue }
            for i in lo..<hi {
                let a = boxes[members[i]]
                for j in (i + 1)..<hi {
                    let b = boxes[members[j]]
                    if a.minX < b.maxX && b.minX < a.maxX && a.minY < b.maxY && b.minY < a.maxY {
                        let ra = find(members[i]), rb = find(members[j])
                        if ra != rb { if ra < rb { parent[rb] = ra } else { parent[ra] = rb } }
                    }
                }
            }
        }
        var groupOf = [Int](repeating: -1, count: n)
        var groups: [[Int]] = []
        for k in 0..<n {
            let root = find(k)
            if groupOf[root] < 0 { groupOf[root] = groups.count; groups.append([]) }
            groups[groupOf[root]].append(k)
        }
        return groups
    }

    /// Steps 3–7 on one group's crop; appends its objects (frame coordinates, with the frame
    /// index of each object's first pixel).
    static func processGroup(_ group: [Int], components: LabelRuns, s: Image<Float>, resolved r: ColonyParameters.Resolved,
                             parameters p: ColonyParameters, reach: Int,
                             into found: inout [(first: Int, runs: [LabelRuns.Run])],
                             times: UnsafeMutablePointer<GroupTimes>?) {
        let w = s.width, h = s.height
        var t0 = times != nil ? MathShim.threadCPUSeconds() : 0
        func stamp(_ field: WritableKeyPath<GroupTimes, Double>) {
            guard let times else { return }
            let t = MathShim.threadCPUSeconds(); times.pointee[keyPath: field] += t - t0; t0 = t
        }
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        for k in group {
            let b = components.boundingBox(k)
            x0 = min(x0, b.minX); y0 = min(y0, b.minY); x1 = max(x1, b.maxX); y1 = max(y1, b.maxY)
        }
        let cx0 = max(0, x0 - reach), cy0 = max(0, y0 - reach)
        let cx1 = min(w, x1 + reach), cy1 = min(h, y1 + reach)
        let cw = cx1 - cx0, ch = cy1 - cy0
        var sCrop = [Float](repeating: 0, count: cw * ch)
        s.withUnsafeBufferPointer { sv in
            sCrop.withUnsafeMutableBufferPointer { c in
                for y in 0..<ch {
                    let src = (y + cy0) * w + cx0, dst = y * cw
                    for x in 0..<cw { c[dst + x] = sv[src + x] }
                }
            }
        }
        var fgCrop = [UInt8](repeating: 0, count: cw * ch)
        fgCrop.withUnsafeMutableBufferPointer { f in
            for k in group {
                for run in components.runs(of: k) {
                    let row = (Int(run.y) - cy0) * cw - cx0
                    for x in Int(run.x0)..<Int(run.x1) { f[row + x] = 1 }
                }
            }
        }
        // The filters' outputs are dropped as soon as the relative ridge is formed, and each crop
        // as soon as its tight copy exists: a colony that fills the frame is processed as one
        // group, and every frame-sized buffer alive at once adds ~50 MB at 12 MP.
        var ridgeRel = [Float](repeating: 0, count: cw * ch)
        do {
            let sImage = Image(uncheckedWidth: cw, height: ch, pixels: sCrop, pixelSize: s.pixelSize)
            let fgImage = Mask(uncheckedWidth: cw, height: ch, pixels: fgCrop, pixelSize: s.pixelSize)
            stamp(\.crop)
            let lambda = Hessian.smallestEigenvalue(sImage, sigma: r.ridgeSigma, mask: fgImage)
            stamp(\.hessian)
            let minimum = minimumFilter(sImage, size: r.darknessWindow)
            stamp(\.darkness)
            let tFg = Float(p.foregroundSigmas)
            let norm = Float(r.ridgeSigma * r.ridgeSigma)
            lambda.withUnsafeBufferPointer { l in
                minimum.withUnsafeBufferPointer { mn in
                    fgCrop.withUnsafeBufferPointer { f in
                        ridgeRel.withUnsafeMutableBufferPointer { o in
                            for i in 0..<(cw * ch) where f[i] != 0 {
                                o[i] = max(-l[i], 0) * norm / max(-mn[i], tFg)
                            }
                        }
                    }
                }
            }
        }
        // steps 4–7 read only foreground pixels, their labels and a 1-px zero margin (EDT):
        // they run on the group's box + 1, not on the filters' wider crop
        let tx0 = max(0, x0 - 1) - cx0, ty0 = max(0, y0 - 1) - cy0
        let tx1 = min(w, x1 + 1) - cx0, ty1 = min(h, y1 + 1) - cy0
        let tw = tx1 - tx0, th = ty1 - ty0
        func tight<P>(_ full: [P]) -> [P] {
            var out: [P] = []
            out.reserveCapacity(tw * th)
            full.withUnsafeBufferPointer { f in
                for y in ty0..<ty1 { out.append(contentsOf: f[((y * cw) + tx0)..<((y * cw) + tx1)]) }
            }
            return out
        }
        let sTight = Image(uncheckedWidth: tw, height: th, pixels: tight(sCrop), pixelSize: s.pixelSize)
        sCrop = []
        let fgTight = Mask(uncheckedWidth: tw, height: th, pixels: tight(fgCrop), pixelSize: s.pixelSize)
        fgCrop = []
        let ridgeTight = Image(uncheckedWidth: tw, height: th, pixels: tight(ridgeRel), pixelSize: s.pixelSize)
        ridgeRel = []
        let (markers, flooded, labels) = cells(s: sTight, fg: fgTight, ridgeRel: ridgeTight, resolved: r, parameters: p,
                                               lap: { _ in })
        var local = labels
        if p.contactEdges {
            // reads `interfaceRadius + 1` px around each object: inside the group's box + 1
            local = ContactEdges.place(watershed: flooded, markers: consume markers, labels: local, normalised: sTight,
                                       trim: p.trim, radius: r.interfaceRadius)
        }
        let objects = LabelRuns(local)
        let ox = Int32(cx0 + tx0), oy = Int32(cy0 + ty0)
        for k in 0..<objects.count {
            let moved = objects.runs(of: k).map { LabelRuns.Run(y: $0.y + oy, x0: $0.x0 + ox, x1: $0.x1 + ox) }
            found.append((Int(moved[0].y) * w + Int(moved[0].x0), moved))
        }
        stamp(\.cells)
    }
}
