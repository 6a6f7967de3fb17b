import CellTrackCore

/// The colony method's local reference for large colonies whose interior is lit
/// (docs/colony-method.md §13).
///
/// Why: the colony method measures every pixel against one background level. In phase contrast
/// a colony that has grown to many cells across brightens inside: the gaps between its cells
/// become the brightest lines of the frame and the cells between them sit at, or above, the
/// background level (`odd-inputs/omnipose/ec_5I_t141xy5c1`: median cell +2 background σ). The
/// global threshold then finds only the darker cells of the rim. Inside such a colony a cell is
/// dark relative to the bright lines around it, not relative to the background.
///
/// How, on the normalised frame `s` (background σ units), per colony group (`patch`):
/// 1. The bright envelope: a grey closing (square maximum, then minimum filter, side
///    `window` × w) of `s` max-pooled in blocks of ⌊w/4⌋ px (the gaps are thin lines: a block's
///    maximum keeps them). It fills every dark object narrower than the window with the level of
///    the lines around it. The reference is `max(envelope − offset, 0)`.
/// 2. Only large lit regions: the reference is kept where its support, opened by a disk of radius
///    `radius` × w, remains, so that the halo ring around a small colony (which the closing fills
///    with the halo level) does not count.
/// 3. Only cells like the others: per 4-connected region, the reference is applied when the
///    pixels it newly makes foreground (`s − ref < −t_fg`) are, in the median (to ¼ σ), at least
///    as dark against it as the pixels already foreground there are against the background. In a lit
///    colony the new pixels are its inner cells (ec_5I: median −37 σ against −10 σ); beside the
///    halos of small colonies they are background in the halos' shade (Samples/synthetic: −4 σ
///    against −7 to −12 σ; ecoli-trpL frame 16: −12.5 against −16.8 σ).
/// Where applied, `s` becomes `s − ref` for the foreground, the watershed, the edges, the
/// darkness that normalises the ridge and the object test; the ridge itself keeps reading the
/// original `s` (the closing's steps are not lines between cells).
///
/// Deterministic. Work is on the pooled grid except for one pass over the rectangle (the
/// pooling) and the blocks of lit regions.
enum LocalReference {
    /// The reference over a rectangle of the frame: pooled, with the regions that take it.
    struct Field {
        var rect: MaskRLE.BoundingBox
        /// Block side (px) of the pooled grid, aligned on `rect`'s corner.
        var block: Int
        var pooledWidth: Int
        /// The reference per block (0 outside accepted regions).
        var reference: [Float]

        /// The reference at frame pixel (x, y) inside `rect`.
        @inline(__always) func value(x: Int, y: Int) -> Float {
            reference[((y - rect.minY) / block) * pooledWidth + (x - rect.minX) / block]
        }
    }

    /// Steps 1–3 on `rect` of `s`; nil when no region takes the reference. Assumes a non-empty
    /// rectangle inside the frame, `widthPixels > 0` and `localReferenceWindow > 0`.
    static func field(_ s: Image<Float>, rect: MaskRLE.BoundingBox, threshold tFg: Float, widthPixels w: Double,
                      parameters p: ColonyParameters) -> Field? {
        func pyRound(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }
        let f = max(1, Int(w / 4))
        let width = s.width
        let rw = rect.width, rh = rect.height
        let pw = (rw + f - 1) / f, ph = (rh + f - 1) / f
        let side = max(3, pyRound(p.localReferenceWindow * w / Double(f)) | 1)
        let radius = max(1, pyRound(p.localReferenceRadius * w / Double(f)))
        let offset = Float(p.localReferenceOffset)

        // 1. the envelope on the pooled grid (the maximum filter is the minimum of the negative)
        // (per block row: the column maxima over its rows, a loop that vectorises, then the
        // maxima of each block's columns; −max is the minimum of the negatives, the same value)
        var negated = [Float](repeating: 0, count: pw * ph)
        var columnMax = [Float](repeating: 0, count: rw)
        s.withUnsafeBufferPointer { sv in
            negated.withUnsafeMutableBufferPointer { out in
                columnMax.withUnsafeMutableBufferPointer { cm in
                    let c = cm.baseAddress!
                    for by in 0..<ph {
                        let y0 = by * f
                        c.update(from: sv.baseAddress! + (y0 + rect.minY) * width + rect.minX, count: rw)
                        for y in (y0 + 1)..<min(y0 + f, rh) {
                            let row = sv.baseAddress! + (y + rect.minY) * width + rect.minX
                            for x in 0..<rw { c[x] = max(c[x], row[x]) }
                        }
                        for bx in 0..<pw {
                            var m = c[bx * f]
                            for x in (bx * f + 1)..<min(bx * f + f, rw) { m = max(m, c[x]) }
                            out[by * pw + bx] = -m
                        }
                    }
                }
            }
        }
        let negatedDilation = ColonySegmenter.minimumFilter(Image(uncheckedWidth: pw, height: ph, pixels: negated), size: side)
        negated = []
        let envelope = ColonySegmenter.minimumFilter(negatedDilation.map { -$0 }, size: side)
        var reference = envelope.pixels.map { max($0 - offset, 0) }
        let lit = Mask(uncheckedWidth: pw, height: ph, pixels: reference.map { $0 > 0 ? 1 : 0 })
        guard lit.pixels.contains(1) else { return nil }

        // 2. the lit support opened by a disk of `radius`: pixels within `radius` of a pixel
        // whose nearest unlit pixel is farther than `radius` (both distances exact integers)
        let r2 = Double(radius * radius)
        var outside = [UInt8](repeating: 1, count: pw * ph)   // not inner
        var anyInner = false
        DistanceTransform.squaredEuclidean(lit, rowSpacing: 1, columnSpacing: 1) { y, row in
            for x in 0..<pw where row[x] > r2 { outside[y * pw + x] = 0; anyInner = true }
        }
        guard anyInner else { return nil }
        DistanceTransform.squaredEuclidean(Mask(uncheckedWidth: pw, height: ph, pixels: outside), rowSpacing: 1,
                                           columnSpacing: 1) { y, row in
            for x in 0..<pw where !(row[x] <= r2) { reference[y * pw + x] = 0 }
        }
        let gate = Mask(uncheckedWidth: pw, height: ph, pixels: reference.map { $0 > 0 ? 1 : 0 })

        // 3. per region: the pixels the reference makes foreground must be at least as dark
        // against it (median of s − ref) as the pixels already foreground are against the
        // background (median of s): cells like the others, not the shade beside a halo
        let (regions, count) = Labeling.label(gate, connectivity: .four)
        guard count > 0 else { return nil }
        // medians from histograms of 1/4-σ bins (memory bounded by the regions, not their pixels;
        // the two sides differ by several σ wherever the choice matters)
        var before = [Int32](repeating: 0, count: (count + 1) * medianBins), added = before
        s.withUnsafeBufferPointer { sv in
            regions.withUnsafeBufferPointer { rg in
                for by in 0..<ph {
                    for bx in 0..<pw {
                        let region = Int(rg[by * pw + bx])
                        if region == 0 { continue }
                        let ref = reference[by * pw + bx], base = region * medianBins
                        for y in (by * f)..<min(by * f + f, rh) {
                            let row = (y + rect.minY) * width + rect.minX
                            for x in (bx * f)..<min(bx * f + f, rw) {
                                let v = sv[row + x], d = v - ref
                                if v < -tFg { before[base + medianBin(v)] += 1 } else if d < -tFg { added[base + medianBin(d)] += 1 }
                            }
                        }
                    }
                }
            }
        }
        var accepted = [Bool](repeating: false, count: count + 1)
        for k in 1...count {
            let range = (k * medianBins)..<((k + 1) * medianBins)
            guard let new = medianBinOf(added[range]) else { continue }
            // no pixel foreground before: the new ones are the only cells there
            accepted[k] = medianBinOf(before[range]).map { new >= $0 } ?? true
        }
        guard accepted.contains(true) else { return nil }
        for i in reference.indices where !accepted[Int(regions.pixels[i])] { reference[i] = 0 }
        return Field(rect: rect, block: f, pooledWidth: pw, reference: reference)
    }

    /// Bins of the medians' histograms: 1/4 σ each from 0 down to −256 σ (lower values share the
    /// last bin).
    static let medianBins = 1024

    /// The bin of a value ≤ 0 (σ units): 0 for (−¼, 0], growing downwards.
    @inline(__always) static func medianBin(_ v: Float) -> Int {
        min(medianBins - 1, max(0, Int(-v * 4)))
    }

    /// The bin holding the median (the ⌈n/2⌉-th value counted from the top of the scale, i.e.
    /// from bin 0) of a histogram; nil when it is empty. A higher bin is darker.
    static func medianBinOf(_ histogram: ArraySlice<Int32>) -> Int? {
        let n = histogram.reduce(0) { $0 + Int($1) }
        guard n > 0 else { return nil }
        var seen = 0
        for (k, c) in histogram.enumerated() {
            seen += Int(c)
            if 2 * seen >= n { return k }
        }
        return nil
    }

    /// Applies `field` to the whole of `s`: `s − ref` where the reference applies, and the
    /// foreground (`s < −threshold`, row-major, the frame's size) set there; the frame before
    /// (the ridge reads it), or nil when nothing applies. For whole images (tests, diagnostics);
    /// the colony method applies it per group (`patch`).
    static func apply(_ s: inout Image<Float>, foreground: inout [UInt8], threshold tFg: Float,
                      widthPixels w: Double, parameters p: ColonyParameters) -> Image<Float>? {
        let rect = MaskRLE.BoundingBox(minX: 0, minY: 0, maxX: s.width, maxY: s.height)
        guard let field = field(s, rect: rect, threshold: tFg, widthPixels: w, parameters: p) else { return nil }
        let original = s
        let width = s.width, height = s.height
        s.withUnsafeMutableBufferPointer { sv in
            for y in 0..<height {
                for x in 0..<width {
                    let ref = field.value(x: x, y: y)
                    if ref == 0 { continue }
                    let i = y * width + x
                    sv[i] -= ref
                    if sv[i] < -tFg { foreground[i] = 1 }
                }
            }
        }
        return original
    }
}

extension LocalReference {
    /// A group's share of the local reference (`patch(box:…)`): over the group's box, `s` with
    /// the reference subtracted, and the pixels it made foreground.
    struct Patch {
        /// Frame rectangle (half-open): the group's box.
        var box: MaskRLE.BoundingBox
        /// `s` with the reference subtracted where it applies, row-major over `box`.
        var s: [Float]
        /// Foreground pixels the reference added (after the opening), row-major over `box`.
        var added: [UInt8]
    }

    /// Whether a group's box is at least as wide and as high as the gate's disk (a lit region
    /// inside it needs that much room); groups that are not are skipped without work.
    private static func spans(_ box: MaskRLE.BoundingBox, widthPixels w: Double, parameters p: ColonyParameters) -> Bool {
        let disk = 2 * p.localReferenceRadius * w
        return Double(box.width) >= disk && Double(box.height) >= disk
    }

    /// The reference of one colony group: computed on its box grown by the closing's reach
    /// (and one block), kept inside the box. Nil when the box is narrower than the gate's disk
    /// on either side (checked first, so most groups cost nothing), or nothing applies.
    /// `groupPixels` marks the group's foreground (already opened) over the box, asked for only
    /// when the reference applies; the new foreground is
    /// opened with it (disk `openRadius`), as the frame's foreground is.
    static func patch(box: MaskRLE.BoundingBox, groupPixels: () -> [UInt8], s: Image<Float>, threshold tFg: Float,
                      widthPixels w: Double, parameters p: ColonyParameters, openRadius: Int) -> Patch? {
        guard spans(box, widthPixels: w, parameters: p) else { return nil }
        let margin = Int((p.localReferenceWindow * w).rounded(.up)) + max(1, Int(w / 4))
        let frame = MaskRLE.BoundingBox(minX: 0, minY: 0, maxX: s.width, maxY: s.height)
        let rect = box.grown(above: margin, around: margin, within: frame)
        guard let field = field(s, rect: rect, threshold: tFg, widthPixels: w, parameters: p) else { return nil }
        // inside the box: the referenced values, and the group's pixels with the new ones, opened
        let bw = box.width, bh = box.height
        var patched = [Float](repeating: 0, count: bw * bh)
        let group = groupPixels()
        var union = group
        s.withUnsafeBufferPointer { sv in
            for y in 0..<bh {
                for x in 0..<bw {
                    let fx = x + box.minX, fy = y + box.minY, o = y * bw + x
                    let v = sv[fy * s.width + fx], d = v - field.value(x: fx, y: fy)
                    patched[o] = d
                    if d < -tFg && !(v < -tFg) { union[o] = 1 }
                }
            }
        }
        let opened = Morphology.opening(Mask(uncheckedWidth: bw, height: bh, pixels: union), .disk(radius: openRadius))
        var added = [UInt8](repeating: 0, count: bw * bh)
        for o in 0..<(bw * bh) where opened.pixels[o] != 0 && group[o] == 0 { added[o] = 1 }
        return Patch(box: box, s: patched, added: added)
    }
}
