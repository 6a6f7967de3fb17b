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
/// A group larger than about 2 MP is processed in tiles (`Tiling`, which says why the result
/// is the same).
extension ColonySegmenter {
    /// What `segmentGrouped` returns: the cells as runs, and the frame-level facts.
    struct GroupedResult {
        var cells: LabelRuns
        var threshold: Float
        var darkCells: Bool
        /// Groups processed in tiles (`Tiling`), for tests and benchmarks.
        var tiledGroups = 0
    }

    /// CPU seconds of the per-group stages (for `bench-segment`).
    struct GroupTimes {
        var crop = 0.0, hessian = 0.0, darkness = 0.0, cells = 0.0
    }

    /// The colony segmentation of one frame (see the extension's documentation). Assumes what
    /// `segment` assumes. Returns nil when `onlyDark` and the cells are not dark.
    static func segmentGrouped<P: GreyPixel>(_ image: Image<P>, parameters p: ColonyParameters, widthPixels: Double,
                               polarity: Polarity, onlyDark: Bool = false,
                               tiling: Tiling? = nil, sharing: WorkSharing? = nil,
                               lap: (String) -> Void = { _ in }, times: UnsafeMutablePointer<GroupTimes>? = nil) -> GroupedResult? {
        let r = p.resolved(widthPixels: widthPixels)
        let w = image.width, h = image.height, n = w * h

        // 1. normalise in place: smooth, then s = (smooth − level) / scale. On large frames the
        // illumination surface is removed inside the normalising pass (and from the statistics
        // sample's copied rows), not in a pass of its own: one read and write of the frame fewer.
        var s: Image<Float>
        var flat: Flattening
        (s, flat) = smoothForNormalising(image, parameters: p, resolved: r, widthPixels: widthPixels,
                                         bright: polarity == .bright)
        var darkCells = polarity != .bright
        lap("smooth")
        let step = greyStep(image)
        var (bg, spread) = backgroundPeak(of: &s, flattening: &flat, greyStep: step)
        lap("peak")
        var level = Float(bg), scale = Float(max(spread, 1e-6))
        let tFg = Float(p.foregroundSigmas)
        // Normalise in place and threshold (every mask pixel is written: no zero fill first).
        // With polarity auto the same pass counts looksDark's tails; when the cells turn out
        // not to be dark, the flattened frame is computed again (the same numbers) and negated.
        var (fgPixels, dark, bright) = normalise(&s, level: level, scale: scale, threshold: tFg, flattening: &flat)
        if polarity == .auto && !looksDark(dark: dark, bright: bright, pixels: n) {
            if onlyDark { FramePool.shared.give(&s.pixels); return nil }
            darkCells = false
            FramePool.shared.give(&s.pixels)
            (s, flat) = smoothForNormalising(image, parameters: p, resolved: r, widthPixels: widthPixels, bright: false)
            flat.negate = true
            (bg, spread) = backgroundPeak(of: &s, flattening: &flat, greyStep: step)
            level = Float(bg); scale = Float(max(spread, 1e-6))
            fgPixels = []
            fgPixels = normalise(&s, level: level, scale: scale, threshold: tFg, flattening: &flat).mask
        }
        if onlyDark && !darkCells { return nil }
        // the mask moves into `fg` (a second reference would make the opening copy 12 MB)
        var fg = Mask(uncheckedWidth: w, height: h, pixels: fgPixels, pixelSize: image.pixelSize)
        fgPixels = []
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
        // Groups are independent: each writes its own slot, and the slots are joined in group
        // order, so who ran a group (this thread or a helper) never matters. The largest start
        // first, so a helper that joins late is not left waiting on one big colony.
        let areas = groups.map { group in group.reduce(0) { $0 + components.area($1) } }
        let order = groups.indices.sorted { a, b in areas[a] != areas[b] ? areas[a] > areas[b] : a < b }
        var perGroup = [[(first: Int, runs: [LabelRuns.Run])]](repeating: [], count: groups.count)
        var tiled = [Bool](repeating: false, count: groups.count)
        // empty when not timing (an empty buffer's base address is not nil, so test isEmpty)
        var perGroupTimes = [GroupTimes](repeating: GroupTimes(), count: times == nil ? 0 : groups.count)
        perGroup.withUnsafeMutableBufferPointer { slots in
            tiled.withUnsafeMutableBufferPointer { tiled in
                perGroupTimes.withUnsafeMutableBufferPointer { gt in
                    func work(_ item: Int) {
                        let g = order[item]
                        let group = groups[g]
                        // A lone component too small for a cell, or nowhere as dark as a cell must be
                        // on average, yields nothing (every object is a subset of its pixels): skip it.
                        if group.count == 1 && !mayHoldACell(group[0], components: components, s: s, resolved: r, parameters: p) {
                            return
                        }
                        tiled[g] = processGroup(group, components: components, s: s, resolved: r, parameters: p,
                                                reach: reach, tiling: tiling ?? .standard(width: r.width),
                                                into: &slots[g], times: gt.isEmpty ? nil : gt.baseAddress! + g)
                    }
                    if let sharing { sharing.forEach(order.count, work) } else { for item in order.indices { work(item) } }
                }
            }
        }
        FramePool.shared.give(&s.pixels)   // the next frame's smoothing writes into it
        if let times {
            for t in perGroupTimes {
                times.pointee.crop += t.crop; times.pointee.hessian += t.hessian
                times.pointee.darkness += t.darkness; times.pointee.cells += t.cells
            }
        }
        let tiledGroups = tiled.lazy.filter { $0 }.count
        var found = perGroup.flatMap { $0 }
        perGroup = []
        // objects are disjoint, so their first pixels are distinct: the order is total
        found.sort { $0.first < $1.first }
        var cells = LabelRuns(width: w, height: h, pixelSize: image.pixelSize)
        for (k, object) in found.enumerated() { cells.appendUnchecked(label: UInt32(k + 1), runs: object.runs) }
        lap("cells")
        let threshold = (level - tFg * scale) * (darkCells ? 1 : -1)
        return GroupedResult(cells: cells, threshold: threshold, darkCells: darkCells, tiledGroups: tiledGroups)
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

    /// `looksDark` on the tail counts of the normalised frame: pixels below −6 and above +6.
    static func looksDark(dark: Int, bright: Int, pixels n: Int) -> Bool {
        dark * 1000 >= n && 4 * dark >= bright
    }

    /// What remains to be done to the smoothed frame before it is normalised: the illumination
    /// surface to subtract (with its sign: −1 when it was fitted on the negative) and the
    /// negation for bright cells, applied per row: to the statistics sample's copied rows and by
    /// `normalise` (in place), or to the whole frame (`apply(to:)`).
    struct Flattening {
        var surface: BackgroundSurface.RowSubtractor?
        var sign: Float = 1
        var negate = false

        static let none = Flattening()

        /// Row `y` at `row` (`width` pixels) flattened in place.
        @inline(__always)
        mutating func apply(row y: Int, _ row: UnsafeMutablePointer<Float>, width w: Int) {
            surface?.apply(row: y, row, sign: sign)
            if negate { for x in 0..<w { row[x] = -row[x] } }
        }

        /// The whole frame flattened in place; nothing is left to do afterwards.
        mutating func apply(to image: inout Image<Float>) {
            if !isIdentity {
                let w = image.width, h = image.height
                image.withUnsafeMutableBufferPointer { px in
                    for y in 0..<h { apply(row: y, px.baseAddress! + y * w, width: w) }
                }
            }
            self = .none
        }

        var isIdentity: Bool { surface == nil && !negate }
    }

    /// Step 1a: the Gaussian-smoothed frame, and what flattens it (`Flattening`): its smooth
    /// illumination (`BackgroundSurface`, fitted on the smoothed frame's blocks) when
    /// `backgroundDegree > 0` and the frame has enough flat background blocks, and the negation
    /// for bright cells (the surface is then that of the negative).
    static func smoothForNormalising<P: GreyPixel>(_ image: Image<P>, parameters p: ColonyParameters,
                                                   resolved r: ColonyParameters.Resolved, widthPixels: Double,
                                                   bright: Bool) -> (Image<Float>, Flattening) {
        let s = Preprocess.gaussian(image, sigma: r.smoothSigma, eachRow: nil)
        var flat = Flattening(negate: bright)
        if p.backgroundDegree > 0,
           let surface = BackgroundSurface.fit(s, blockSize: Int((2 * widthPixels).rounded()), maxDegree: p.backgroundDegree,
                                               negated: bright) {
            flat.surface = BackgroundSurface.RowSubtractor(surface)
            flat.sign = bright ? -1 : 1
        }
        return (s, flat)
    }

    /// `backgroundPeak(of:)` of the frame as `flattening` would leave it. When the statistics
    /// read every row (frames up to 4 MP) the frame itself is flattened first and nothing is left
    /// to do; otherwise the sample's rows are copied, then flattened.
    static func backgroundPeak(of image: inout Image<Float>, flattening: inout Flattening,
                               greyStep: Double) -> (level: Double, spread: Double) {
        let step = statisticsRowStep(pixels: image.count)
        guard step > 1, !flattening.isIdentity else {
            flattening.apply(to: &image)
            return backgroundPeak(of: image, greyStep: greyStep)
        }
        let w = image.width
        let sample = statisticsSample(image, step: step) { k, row in flattening.apply(row: k * step, row, width: w) }
        return sample.withUnsafeBufferPointer { backgroundPeak($0, greyStep: greyStep) }
    }

    /// `s = (s − level) / scale` in place, the foreground `s < −threshold`, and the counts of
    /// `s < −6` and `s > 6` (looksDark's tails). Four lanes at a time with masks instead of
    /// branches (the tails are scattered pixels, so branches mispredict); the same division per
    /// pixel as one at a time. Each row is flattened first (`flattening`), while it is in cache.
    static func normalise(_ image: inout Image<Float>, level: Float, scale: Float, threshold tFg: Float,
                          flattening: inout Flattening) -> (mask: [UInt8], dark: Int, bright: Int) {
        let n = image.count, w = image.width
        var dark = 0, bright = 0
        let mask = image.withUnsafeMutableBufferPointer { sv in
            [UInt8](unsafeUninitializedCapacity: n) { f, initialized in
                initialized = n
                guard let frame = sv.baseAddress, let mask = f.baseAddress, w > 0 else { return }
                let lv = SIMD4<Float>(repeating: level), sc = SIMD4<Float>(repeating: scale)
                let one = SIMD4<Int32>(repeating: 1), zero = SIMD4<Int32>(repeating: 0)
                var darkLanes = zero, brightLanes = zero
                let identity = flattening.isIdentity
                for y in 0..<(n / w) {
                    let base = frame + y * w, out = mask + y * w
                    if !identity { flattening.apply(row: y, base, width: w) }
                    var i = 0
                    while i + 4 <= w {
                        let v = (SIMD4<Float>(base[i], base[i + 1], base[i + 2], base[i + 3]) - lv) / sc
                        base[i] = v[0]; base[i + 1] = v[1]; base[i + 2] = v[2]; base[i + 3] = v[3]
                        let on = v .< -tFg
                        out[i] = on[0] ? 1 : 0; out[i + 1] = on[1] ? 1 : 0
                        out[i + 2] = on[2] ? 1 : 0; out[i + 3] = on[3] ? 1 : 0
                        darkLanes &+= zero.replacing(with: one, where: v .< -6)
                        brightLanes &+= zero.replacing(with: one, where: v .> 6)
                        i += 4
                    }
                    while i < w {
                        let v = (base[i] - level) / scale
                        base[i] = v
                        out[i] = v < -tFg ? 1 : 0
                        if v < -6 { dark += 1 } else if v > 6 { bright += 1 }
                        i += 1
                    }
                }
                dark += Int(darkLanes.wrappedSum()); bright += Int(brightLanes.wrappedSum())
            }
        }
        return (mask, dark, bright)
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
                // the opening in two steps, each input dropped once used: a colony's box is up to
                // half a 12-MP frame, and this is the frame phase's peak
                var eroded = Morphology.erosion(crop, .disk(radius: radius))
                crop = Mask(uncheckedWidth: 0, height: 0, pixels: [])
                let opened = Morphology.dilation(eroded, .disk(radius: radius))
                eroded = Mask(uncheckedWidth: 0, height: 0, pixels: [])
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

    /// How a large group is cut into tiles. Why: a colony that fills half of a 12-MP frame
    /// would otherwise be processed as one crop, with ~6 crop-sized buffers of 26 MB each per
    /// worker (one dense 12-MP frame, 3,878 cells, one thread: 299 MB peak RSS whole, 195 MB
    /// tiled, for 8 % more CPU).
    ///
    /// The group's box is cut into equal cores of at most `core` × `core` px. Each core is
    /// processed on a window that reaches `above` px above it and `beyond` px to its left, right
    /// and below: a cell is owned by the core holding its first pixel (raster order), so it
    /// extends down and sideways from there, never up. An owned cell is kept when its box,
    /// grown by `margin`, lies inside the window (or reaches the group's box where it leaves the
    /// window). What the window's edge truncates (cores cut short, markers dropped as too small,
    /// a neighbour's region flooded from elsewhere) stays within about one cell of that edge, so
    /// a kept cell is the one the whole group gives. A cell that is not clear (a long cell or a
    /// merged clump) is computed again on a window around it alone, up to three times; then, or
    /// if two kept cells overlap, the group is processed whole. This is an argument, not a
    /// proof: the tests and every dense frame checked (50 frames, 300 → 4,000 cells) give the
    /// untiled result pixel for pixel.
    struct Tiling {
        /// Core side in px. A group whose box + 1 is no larger than one full window is not tiled.
        var core: Int
        var margin: Int
        var above: Int
        var beyond: Int

        /// `core` 1,280 px (windows of ~1.8 MP at 15 px per µm); margin 3 widths; cells up to
        /// 6 widths long (E. coli at 1 µm: 6 µm, a dividing cell in rich medium) fit, longer
        /// ones are computed again around themselves.
        static func standard(width: Double) -> Tiling {
            let margin = Int((3 * width).rounded(.up))
            return Tiling(core: 1280, margin: margin, above: margin, beyond: margin + Int((6 * width).rounded(.up)))
        }

        static let never = Tiling(core: 1 << 24, margin: 0, above: 0, beyond: 0)   // no frame is that large
    }

    /// Frame rectangles of the tiling (half-open, as `LabelRuns` boxes are).
    typealias Box = MaskRLE.BoundingBox

    /// Steps 3–7 on one group's crop; appends its objects (frame coordinates, with the frame
    /// index of each object's first pixel). Large groups are tiled (`Tiling`); true when it was.
    static func processGroup(_ group: [Int], components: LabelRuns, s: Image<Float>, resolved r: ColonyParameters.Resolved,
                             parameters p: ColonyParameters, reach: Int, tiling: Tiling,
                             into found: inout [(first: Int, runs: [LabelRuns.Run])],
                             times: UnsafeMutablePointer<GroupTimes>?) -> Bool {
        let w = s.width, h = s.height
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        for k in group {
            let b = components.boundingBox(k)
            x0 = min(x0, b.minX); y0 = min(y0, b.minY); x1 = max(x1, b.maxX); y1 = max(y1, b.maxY)
        }
        // steps 4–7 read only foreground pixels, their labels and a 1-px zero margin (EDT):
        // they run on the group's box + 1, not on the filters' wider crop
        let box = Box(minX: max(0, x0 - 1), minY: max(0, y0 - 1), maxX: min(w, x1 + 1), maxY: min(h, y1 + 1))
        // a large colony lit inside: its cells against the bright lines around them (LocalReference)
        var patch: LocalReference.Patch? = nil
        if p.localReferenceWindow > 0 {
            let groupPixels = {
                var pixels = [UInt8](repeating: 0, count: box.width * box.height)
                for k in group {
                    for run in components.runs(of: k) {
                        let row = (Int(run.y) - box.minY) * box.width - box.minX
                        for x in Int(run.x0)..<Int(run.x1) { pixels[row + x] = 1 }
                    }
                }
                return pixels
            }
            patch = LocalReference.patch(box: box, groupPixels: groupPixels, s: s, threshold: Float(p.foregroundSigmas),
                                         widthPixels: r.width, parameters: p, openRadius: r.openRadius)
        }
        let untiledLimit = (tiling.core + tiling.above + tiling.beyond) * (tiling.core + 2 * tiling.beyond)
        if box.width * box.height > untiledLimit,
           let tiled = tiledObjects(group, box: box, components: components, s: s, patch: patch, resolved: r, parameters: p,
                                    reach: reach, tiling: tiling, times: times) {
            found.append(contentsOf: tiled)
            return true
        }
        found += windowObjects(group, window: box, components: components, s: s, patch: patch, resolved: r, parameters: p,
                               reach: reach, times: times)
        return false
    }

    /// `processGroup` over tiles; nil when a kept cell is not clear of its window's edge or two
    /// kept cells overlap (the caller then processes the group whole).
    static func tiledObjects(_ group: [Int], box: Box, components: LabelRuns, s: Image<Float>, patch: LocalReference.Patch? = nil,
                             resolved r: ColonyParameters.Resolved, parameters p: ColonyParameters, reach: Int,
                             tiling t: Tiling, times: UnsafeMutablePointer<GroupTimes>?) -> [(first: Int, runs: [LabelRuns.Run])]? {
        // cores of equal size, at most `t.core` on a side
        let columns = (box.width + t.core - 1) / t.core, rows = (box.height + t.core - 1) / t.core
        let coreWidth = (box.width + columns - 1) / columns, coreHeight = (box.height + rows - 1) / rows
        var kept: [(first: Int, runs: [LabelRuns.Run])] = []
        for row in 0..<rows {
            for column in 0..<columns {
                let core = Box(minX: box.minX + column * coreWidth, minY: box.minY + row * coreHeight,
                               maxX: min(box.maxX, box.minX + (column + 1) * coreWidth),
                               maxY: min(box.maxY, box.minY + (row + 1) * coreHeight))
                let window = core.grown(above: t.above, around: t.beyond, within: box)
                var (owned, unclear) = ownedObjects(group, core: core, window: window, box: box, components: components,
                                                    s: s, patch: patch, resolved: r, parameters: p, reach: reach, margin: t.margin,
                                                    times: times)
                // A cell longer than the halo: again on a window around it alone (the core's other
                // cells are clear of the edge, so they stand); up to three times, then the whole group.
                var firsts = Set(owned.map(\.first))
                for _ in 0..<3 where !unclear.isEmpty {
                    var next: [Box] = []
                    for u in unclear {
                        let around = u.grown(above: t.beyond, around: t.beyond, within: box)
                        let again = ownedObjects(group, core: core, window: around, box: box, components: components,
                                                 s: s, patch: patch, resolved: r, parameters: p, reach: reach, margin: t.margin,
                                                 only: u, times: times)
                        for o in again.owned where firsts.insert(o.first).inserted { owned.append(o) }
                        next += again.unclear
                    }
                    unclear = next
                }
                guard unclear.isEmpty else { return nil }
                kept.append(contentsOf: owned)
            }
        }
        return disjoint(kept) ? kept : nil
    }

    /// The cells whose first pixel lies in `core`, from `window` (around it, inside the group's
    /// box) whose box grown by `margin` lies inside the window (or reaches the group's box where
    /// it leaves the window); and the boxes of those that do not. With `only`, just the cells
    /// whose box meets it.
    static func ownedObjects(_ group: [Int], core: Box, window: Box, box: Box, components: LabelRuns,
                             s: Image<Float>, patch: LocalReference.Patch? = nil, resolved r: ColonyParameters.Resolved, parameters p: ColonyParameters,
                             reach: Int, margin: Int, only: Box? = nil, times: UnsafeMutablePointer<GroupTimes>?)
        -> (owned: [(first: Int, runs: [LabelRuns.Run])], unclear: [Box]) {
        let w = s.width
        var owned: [(first: Int, runs: [LabelRuns.Run])] = []
        var unclear: [Box] = []
        for object in windowObjects(group, window: window, components: components, s: s, patch: patch, resolved: r,
                                    parameters: p, reach: reach, times: times) {
            let fy = object.first / w, fx = object.first % w
            guard fy >= core.minY, fy < core.maxY, fx >= core.minX, fx < core.maxX else { continue }
            let b = Box(runs: object.runs)
            if let only, b.maxX <= only.minX || only.maxX <= b.minX || b.maxY <= only.minY || only.maxY <= b.minY { continue }
            let clear = (window.minX == box.minX || b.minX - margin >= window.minX)
                && (window.minY == box.minY || b.minY - margin >= window.minY)
                && (window.maxX == box.maxX || b.maxX + margin <= window.maxX)
                && (window.maxY == box.maxY || b.maxY + margin <= window.maxY)
            if clear { owned.append(object) } else { unclear.append(b) }
        }
        return (owned, unclear)
    }

    /// True when no two objects share a pixel (their runs, sorted by row and start, never overlap).
    static func disjoint(_ objects: [(first: Int, runs: [LabelRuns.Run])]) -> Bool {
        var all: [LabelRuns.Run] = []
        all.reserveCapacity(objects.reduce(0) { $0 + $1.runs.count })
        for o in objects { all.append(contentsOf: o.runs) }
        all.sort { ($0.y, $0.x0) < ($1.y, $1.x0) }
        for k in all.indices.dropFirst() where all[k].y == all[k - 1].y && all[k].x0 < all[k - 1].x1 { return false }
        return true
    }

    /// Steps 3–7 on the group's pixels inside `window` (inside the group's box + 1): the filters
    /// read `s` on the window grown by `reach`. Objects in frame coordinates, with the frame
    /// index of each object's first pixel, in raster order of those.
    static func windowObjects(_ group: [Int], window: Box, components: LabelRuns, s: Image<Float>, patch: LocalReference.Patch? = nil,
                              resolved r: ColonyParameters.Resolved, parameters p: ColonyParameters, reach: Int,
                              times: UnsafeMutablePointer<GroupTimes>?) -> [(first: Int, runs: [LabelRuns.Run])] {
        let w = s.width, h = s.height
        var t0 = times != nil ? MathShim.threadCPUSeconds() : 0
        func stamp(_ field: WritableKeyPath<GroupTimes, Double>) {
            guard let times else { return }
            let t = MathShim.threadCPUSeconds(); times.pointee[keyPath: field] += t - t0; t0 = t
        }
        let cx0 = max(0, window.minX - reach), cy0 = max(0, window.minY - reach)
        let cx1 = min(w, window.maxX + reach), cy1 = min(h, window.maxY + reach)
        let cw = cx1 - cx0, ch = cy1 - cy0
        var sCrop = s.withUnsafeBufferPointer { sv in
            [Float](unsafeUninitializedCapacity: cw * ch) { c, initialized in
                for y in 0..<ch {   // every element written, row by row
                    (c.baseAddress! + y * cw).initialize(from: sv.baseAddress! + (y + cy0) * w + cx0, count: cw)
                }
                initialized = cw * ch
            }
        }
        var fgCrop = [UInt8](repeating: 0, count: cw * ch)
        fgCrop.withUnsafeMutableBufferPointer { f in
            for k in group {
                for run in components.runs(of: k) where Int(run.y) >= window.minY && Int(run.y) < window.maxY {
                    let row = (Int(run.y) - cy0) * cw - cx0
                    let lo = max(Int(run.x0), window.minX), hi = min(Int(run.x1), window.maxX)
                    if lo < hi { for x in lo..<hi { f[row + x] = 1 } }
                }
            }
        }
        // A local reference (LocalReference): the ridge reads `s` as it is; everything else reads
        // the referenced values, and the foreground gains the pixels the reference added.
        var ridgeCrop: [Float]? = nil
        if let patch {
            ridgeCrop = sCrop
            let b = patch.box
            let ys = max(b.minY, cy0)..<min(b.maxY, cy1), xs = max(b.minX, cx0)..<min(b.maxX, cx1)
            for y in ys where !xs.isEmpty {
                let src = (y - b.minY) * b.width - b.minX, dst = (y - cy0) * cw - cx0
                let inWindow = y >= window.minY && y < window.maxY
                for x in xs {
                    sCrop[dst + x] = patch.s[src + x]
                    if inWindow && x >= window.minX && x < window.maxX && patch.added[src + x] != 0 { fgCrop[dst + x] = 1 }
                }
            }
        }
        // The filters' outputs are dropped as soon as the ridge flags are formed, and each crop
        // as soon as its tight copy exists: a colony that fills the frame is processed as one
        // group, and every frame-sized buffer alive at once adds ~50 MB at 12 MP.
        let tx0 = window.minX - cx0, ty0 = window.minY - cy0
        let tx1 = window.maxX - cx0, ty1 = window.maxY - cy0
        let tw = tx1 - tx0, th = ty1 - ty0
        var flags = [UInt8](repeating: 0, count: tw * th)
        do {
            let sImage = Image(uncheckedWidth: cw, height: ch, pixels: sCrop, pixelSize: s.pixelSize)
            let fgImage = Mask(uncheckedWidth: cw, height: ch, pixels: fgCrop, pixelSize: s.pixelSize)
            stamp(\.crop)
            let rows = RowExtents(fgImage)   // both filters compute only between these
            let ridgeImage = ridgeCrop.map { Image(uncheckedWidth: cw, height: ch, pixels: $0, pixelSize: s.pixelSize) } ?? sImage
            ridgeCrop = nil
            let lambda = Hessian.smallestEigenvalue(ridgeImage, sigma: r.ridgeSigma, rows: rows)
            stamp(\.hessian)
            let minimum = minimumFilter(sImage, size: r.darknessWindow, rows: rows)
            stamp(\.darkness)
            // the relative ridge, as flags, on the window's foreground (0 elsewhere)
            let tFg = Float(p.foregroundSigmas)
            let norm = Float(r.ridgeSigma * r.ridgeSigma)
            let cut = Float(p.ridgeThreshold), gap = Float(p.gapThreshold)
            lambda.withUnsafeBufferPointer { l in
                minimum.withUnsafeBufferPointer { mn in
                    fgCrop.withUnsafeBufferPointer { f in
                        flags.withUnsafeMutableBufferPointer { out in
                            for y in ty0..<ty1 {
                                let row = y * cw, dst = (y - ty0) * tw - tx0
                                for i in (row + tx0)..<(row + tx1) where f[i] != 0 {
                                    let ridge = max(-l[i], 0) * norm / max(-mn[i], tFg)
                                    out[dst + i - row] = ColonySegmenter.ridgeFlags(ridge, cut: cut, gap: gap)
                                }
                            }
                        }
                    }
                }
            }
        }
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
        let flagsTight = Mask(uncheckedWidth: tw, height: th, pixels: flags, pixelSize: s.pixelSize)
        flags = []
        let (markers, flooded, labels) = cells(s: sTight, fg: fgTight, ridgeFlags: consume flagsTight, resolved: r, parameters: p,
                                               lap: { _ in })
        var local = consume labels
        if p.contactEdges {
            // reads `interfaceRadius + 1` px around each object: inside the group's box + 1
            local = ContactEdges.place(watershed: flooded, markers: consume markers, labels: consume local,
                                       normalised: sTight, trim: p.trim, radius: r.interfaceRadius)
        }
        let objects = LabelRuns(local)
        let ox = Int32(window.minX), oy = Int32(window.minY)
        var out: [(first: Int, runs: [LabelRuns.Run])] = []
        out.reserveCapacity(objects.count)
        for k in 0..<objects.count {
            let moved = objects.runs(of: k).map { LabelRuns.Run(y: $0.y + oy, x0: $0.x0 + ox, x1: $0.x1 + ox) }
            out.append((Int(moved[0].y) * w + Int(moved[0].x0), moved))
        }
        stamp(\.cells)
        return out
    }
}

extension MaskRLE.BoundingBox {
    /// Grown by `above` px upwards and `around` px left, right and down, then clipped to `limit`.
    func grown(above: Int, around: Int, within limit: Self) -> Self {
        Self(minX: max(limit.minX, minX - around), minY: max(limit.minY, minY - above),
             maxX: min(limit.maxX, maxX + around), maxY: min(limit.maxY, maxY + around))
    }
}

extension ColonySegmenter {
    /// `looksDark`'s tail counts of `image` normalised for dark cells at width `widthPixels`
    /// (the first step of `segmentGrouped`, nothing after it): pixels below −6 and above +6 σ.
    /// Assumes finite pixels and `widthPixels > 0`.
    static func darkTails<P: GreyPixel>(_ image: Image<P>, parameters p: ColonyParameters,
                                        widthPixels: Double) -> (dark: Int, bright: Int, pixels: Int) {
        let r = p.resolved(widthPixels: widthPixels)
        var (s, flat) = smoothForNormalising(image, parameters: p, resolved: r, widthPixels: widthPixels, bright: false)
        let (bg, spread) = backgroundPeak(of: &s, flattening: &flat, greyStep: greyStep(image))
        let counts = normalise(&s, level: Float(bg), scale: Float(max(spread, 1e-6)),
                               threshold: Float(p.foregroundSigmas), flattening: &flat)
        FramePool.shared.give(&s.pixels)
        return (counts.dark, counts.bright, image.count)
    }
}
