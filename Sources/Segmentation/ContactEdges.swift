import CellTrackCore

/// Edge placement at contacts between touching cells (issue 5): the edge sits at the same
/// fixed fraction of the *local* contrast everywhere.
///
/// At an outer edge the colony method keeps a pixel when it is darker than `trim` × the cell's
/// core level (`s` is 0 at the background): the edge is `trim` of the way from the background to
/// the core. Between two touching cells the intensity does not come back to the background; it
/// rises to the crest of the bright contact line, which is often far below the background level.
/// The prototype removed every pixel near a contact whose ridge response was strong
/// (ridge / darkness ≥ t_gap); that band is 4–6 px wide at σ_ridge = w/8, wider than the gap, so
/// cells touching pole to pole (just-divided sisters) came out ≈ 1 px short at each contact pole
/// (docs/colony-method.md §9). Here the reference level at a contact is the crest instead of the
/// background:
///
///     ref = min(crest, 0),   keep p  ⇔  s[p] < ref + trim · (core − ref)
///
/// so where the contact line reaches the background (`crest ≥ 0`) this is the ordinary trim, and
/// where the line is faint the edge moves towards it, at the same relative depth.
///
/// - `crest` of a contact pixel: the interface pixels are the watershed pixels whose 3×3
///   neighbourhood holds another positive label (the two pixel rows on either side of the
///   watershed line, i.e. on the crest of `s`); each takes the largest `s` among the interface
///   pixels of its 3×3 neighbourhood. A pixel of the watershed regions within `radius` px
///   (Euclidean) of an interface pixel takes the crest of the nearest one (ties: the lower
///   index), found by propagating seeds between 8-neighbours inside the watershed regions
///   (Danielsson's vector propagation, bounded by `radius`).
/// - `core` of a cell: the mean of `s` over its marker (as the trim uses).
/// - Pixels farther than `radius` from a contact keep the ordinary trim, so the result equals the
///   prototype's away from contacts.
///
/// Works on an image of any size (a crop): each object needs `radius + 1` px of margin around
/// it, holding its neighbours' watershed labels. Deterministic.
///
/// ```swift
/// let labels = ContactEdges.place(watershed: st.watershed, markers: st.markers, labels: st.labels,
///                                 normalised: st.normalised, trim: 0.2, radius: 4)
/// ```
public enum ContactEdges {
    /// The final labels with edges re-placed near contacts.
    /// - Parameters:
    ///   - watershed: the watershed regions before any trimming (labels = marker labels).
    ///   - markers: the cores the watershed grew from (same label ids).
    ///   - labels: the trimmed, filtered cells (any numbering); each must lie inside one
    ///     watershed region. Regions without a cell stay background.
    ///   - normalised: `s`, cells negative (background σ units, background 0).
    ///   - trim: the relative edge level (`ColonyParameters.trim`).
    ///   - radius: the contact zone's radius in px (`r_interface`); 0 returns `labels`.
    /// - Returns: labels with the numbering of `labels`.
    /// `markers` and `labels` are consumed: the markers are released once the core levels are
    /// summed and the result is written into the labels' storage, so a caller that passes its
    /// last references (`consume`) holds two frame-sized label images less while the contact
    /// zone is walked.
    public static func place(watershed: LabelImage, markers: consuming LabelImage, labels: consuming LabelImage,
                             normalised s: Image<Float>, trim: Double, radius: Int) -> LabelImage {
        let w = watershed.width, h = watershed.height, n = w * h
        precondition(markers.width == w && markers.height == h && labels.width == w && labels.height == h
                     && s.width == w && s.height == h, "sizes differ")
        guard radius > 0, n > 0 else { return labels }
        let maxW = Int(watershed.pixels.max() ?? 0)
        guard maxW > 0 else { return labels }

        // core level per watershed label (mean of s over its marker) and the trim level, in
        // the same arithmetic as the colony trim
        let (coreSum, coreCnt) = ColonySegmenter.labelSums(markers, of: s, count: maxW)
        _ = consume markers
        // The result reuses `labels`' storage, read only for `lut` and cleared in the same pass:
        // one label image fewer when the caller passes its last reference.
        var lut = [UInt32](repeating: 0, count: maxW + 1)     // watershed label → cell label
        var out = consume labels
        watershed.withUnsafeBufferPointer { ws in
            out.withUnsafeMutableBufferPointer { lb in
                for i in 0..<n where lb[i] != 0 {
                    if ws[i] != 0 && lut[Int(ws[i])] == 0 { lut[Int(ws[i])] = lb[i] }
                    lb[i] = 0
                }
            }
        }
        let t = Float(trim)
        var core = [Float](repeating: 0, count: maxW + 1)
        for l in 1...maxW { core[l] = Float(coreSum[l] / Double(max(coreCnt[l], 1))) }
        // Seeds are numbered in raster order, so comparing numbers compares their pixel indices
        // (the tie rule), and the crest is kept per seed, not per pixel.
        var source = [Int32](repeating: -1, count: n)          // number of the seed that reached p
        var queue = [Int32]()                                   // seeds (pixel indices) first
        var crest: [Float] = []                                 // per seed
        watershed.withUnsafeBufferPointer { ws in
            s.withUnsafeBufferPointer { sv in
                source.withUnsafeMutableBufferPointer { src in
                    // 1. interface pixels (seeds, raster order)
                    ContactEdges.forEachInterfacePixel(ws, width: w, height: h) { i in
                        src[i] = Int32(queue.count); queue.append(Int32(i))
                    }
                    // 2. crest: the brightest interface pixel of the 3×3 neighbourhood (only seeds
                    //    have a source yet)
                    crest.reserveCapacity(queue.count)
                    for q in queue {
                        let i = Int(q), x = i % w, y = i / w
                        var m = sv[i]
                        for yy in max(y - 1, 0)...min(y + 1, h - 1) {
                            for xx in max(x - 1, 0)...min(x + 1, w - 1) {
                                let j = yy * w + xx
                                if src[j] >= 0 { m = max(m, sv[j]) }
                            }
                        }
                        crest.append(m)
                    }
                    // 3. breadth-first walk inside the watershed regions, within `radius`
                    //    (Euclidean) of the seed
                    let r2 = radius * radius
                    var head = 0
                    while head < queue.count {
                        let p = Int(queue[head]); head += 1
                        let seed = src[p], seedPixel = Int(queue[Int(seed)])
                        let sx = seedPixel % w, sy = seedPixel / w
                        let x = p % w, y = p / w
                        for yy in max(y - 1, 0)...min(y + 1, h - 1) {
                            for xx in max(x - 1, 0)...min(x + 1, w - 1) {
                                let j = yy * w + xx
                                if ws[j] == 0 { continue }
                                let dx = xx - sx, dy = yy - sy, d2 = dx * dx + dy * dy
                                if d2 > r2 { continue }
                                let old = src[j]
                                if old >= 0 {
                                    // keep the nearer seed (ties: the lower index)
                                    let oldPixel = Int(queue[Int(old)])
                                    let ox = xx - oldPixel % w, oy = yy - oldPixel / w, o2 = ox * ox + oy * oy
                                    if o2 < d2 || (o2 == d2 && old <= seed) { continue }
                                }
                                src[j] = seed
                                queue.append(Int32(j))
                            }
                        }
                    }
                }
            }
        }
        queue = []
        // 4. the edge test
        watershed.withUnsafeBufferPointer { ws in
            s.withUnsafeBufferPointer { sv in
                source.withUnsafeBufferPointer { src in
                    crest.withUnsafeBufferPointer { cr in
                        out.withUnsafeMutableBufferPointer { o in
                            for i in 0..<n {
                                let l = Int(ws[i])
                                if l == 0 || lut[l] == 0 { continue }
                                let c = core[l]
                                var level = t * c
                                if src[i] >= 0 {
                                    let ref = min(cr[Int(src[i])], 0)
                                    level = min(level, ref + t * (c - ref))
                                }
                                if sv[i] < level { o[i] = lut[l] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

extension ContactEdges {
    /// Calls `visit` with every labelled pixel (raster order) that has a pixel of another
    /// non-zero label among its eight neighbours. Interior pixels test their neighbours
    /// unrolled, border pixels the clipped 3×3 window. Assumes `labels.count == width × height`.
    @inline(__always)
    static func forEachInterfacePixel(_ labels: UnsafeBufferPointer<UInt32>, width w: Int, height h: Int,
                                      _ visit: (Int) -> Void) {
        guard let base = labels.baseAddress, w > 0 else { return }
        @inline(__always) func differs(_ u: UInt32, _ v: UInt32) -> Bool { u != 0 && u != v }
        for y in 0..<h {
            let y0 = max(y - 1, 0), y1 = min(y + 1, h - 1)
            let interiorRow = y > 0 && y < h - 1
            let up = base + y0 * w, mid = base + y * w, down = base + y1 * w
            for x in 0..<w {
                let v = mid[x]
                if v == 0 { continue }
                var other = false
                if interiorRow && x > 0 && x < w - 1 {
                    other = differs(up[x - 1], v) || differs(up[x], v) || differs(up[x + 1], v)
                        || differs(mid[x - 1], v) || differs(mid[x + 1], v)
                        || differs(down[x - 1], v) || differs(down[x], v) || differs(down[x + 1], v)
                } else {
                    let x0 = max(x - 1, 0), x1 = min(x + 1, w - 1)
                    for yy in y0...y1 {
                        for xx in x0...x1 where differs(base[yy * w + xx], v) { other = true }
                    }
                }
                if other { visit(y * w + x) }
            }
        }
    }
}
