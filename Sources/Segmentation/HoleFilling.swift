import CellTrackCore

extension ShapeRepair {
    /// Every object with its holes filled: the pixels it alone encloses (not 4-connected to the
    /// edge of its bounding box through pixels outside it, as `Morphology.fillHoles` on the
    /// object's box) become its own, unless another object has them. Labels and order are kept.
    ///
    /// Why: a bacterium has no holes. Inside lit colonies the pale, mottled bodies leave pixels
    /// above the trim level within cells (Omnipose's Sample000193: 556 px in 170 cells), which
    /// makes the cells' areas, and the growth rates read from them, noisier.
    ///
    /// Works on the runs: only objects with two runs in some row can have a hole, and only their
    /// gaps are examined (`enclosedGaps`); the frame's runs by row are gathered only if some
    /// object has one. `fillHolesOneByOne` is the plain version on a label image.
    ///
    /// ```swift
    /// let cells = ShapeRepair.fillHoles(found)   // a ring becomes a disk
    /// ```
    public static func fillHoles(_ cells: LabelRuns) -> LabelRuns {
        var holes: [(object: Int, runs: [LabelRuns.Run])] = []
        for k in 0..<cells.count {
            let gaps = enclosedGaps(cells.runs(of: k))
            if !gaps.isEmpty { holes.append((k, gaps)) }
        }
        guard !holes.isEmpty else { return cells }
        let (rowStart, entries) = cells.byRow()
        var out = LabelRuns(width: cells.width, height: cells.height, pixelSize: cells.pixelSize)
        var next = 0
        for k in 0..<cells.count {
            guard next < holes.count, holes[next].object == k else {
                out.appendUnchecked(label: cells.labels[k], runs: cells.runs(of: k))
                continue
            }
            // the hole's pixels that no other object has (entries are sorted by column in a row)
            var free: [LabelRuns.Run] = []
            for hole in holes[next].runs {
                var x = hole.x0
                let y = Int(hole.y)
                for e in entries[rowStart[y]..<rowStart[y + 1]] where Int(e.object) != k && e.run.x1 > x && e.run.x0 < hole.x1 {
                    if e.run.x0 > x { free.append(LabelRuns.Run(y: hole.y, x0: x, x1: e.run.x0)) }
                    x = e.run.x1
                }
                if x < hole.x1 { free.append(LabelRuns.Run(y: hole.y, x0: x, x1: hole.x1)) }
            }
            out.appendUnchecked(label: cells.labels[k], runs: merged(cells.runs(of: k), free[...]))
            next += 1
        }
        return out
    }

    /// The gaps between an object's runs (sorted by row, then column) that are enclosed: not
    /// 4-connected, through pixels outside the object, to the edge of its bounding box. Sorted
    /// by row, then column. Empty (with no allocation beyond a scan) when no row has two runs.
    static func enclosedGaps(_ runs: ArraySlice<LabelRuns.Run>) -> [LabelRuns.Run] {
        guard let first = runs.first, let last = runs.last else { return [] }
        var twoInARow = false
        var previous = first
        for r in runs.dropFirst() {
            if r.y == previous.y { twoInARow = true; break }
            previous = r
        }
        guard twoInARow else { return [] }
        let box = MaskRLE.BoundingBox(runs: runs)
        let top = Int(first.y), rows = Int(last.y) - top + 1
        // runs of row t (relative to top): rowRuns[t] ..< rowRuns[t + 1] (indices into runs)
        var rowRuns = [Int](repeating: 0, count: rows + 1)
        for r in runs { rowRuns[Int(r.y) - top + 1] += 1 }
        for t in 0..<rows { rowRuns[t + 1] += rowRuns[t] }
        let base = runs.startIndex
        // the gaps, row by row, and where each row's gaps start
        var gaps: [LabelRuns.Run] = []
        var rowGaps = [Int](repeating: 0, count: rows + 1)
        for t in 0..<rows {
            rowGaps[t] = gaps.count
            var i = base + rowRuns[t] + 1
            while i < base + rowRuns[t + 1] {
                gaps.append(LabelRuns.Run(y: runs[i].y, x0: runs[i - 1].x1, x1: runs[i].x0))
                i += 1
            }
        }
        rowGaps[rows] = gaps.count
        // union-find over the gaps; a set is open when one of its gaps reaches the box's edge
        var parent = Array(0..<gaps.count)
        var open = [Bool](repeating: false, count: gaps.count)
        func root(_ g: Int) -> Int {
            var g = g
            while parent[g] != g { parent[g] = parent[parent[g]]; g = parent[g] }
            return g
        }
        let minX = Int32(box.minX), maxX = Int32(box.maxX)
        for t in 0..<rows {
            for g in rowGaps[t]..<rowGaps[t + 1] {
                if t == 0 || t == rows - 1 { open[g] = true; continue }
                let gap = gaps[g]
                for u in stride(from: t - 1, through: t + 1, by: 2) {
                    let lo = base + rowRuns[u], hi = base + rowRuns[u + 1]
                    // outside the object's extent in row u: reaches the box's left or right edge
                    if lo == hi || (gap.x0 < runs[lo].x0 && runs[lo].x0 > minX)
                        || (gap.x1 > runs[hi - 1].x1 && runs[hi - 1].x1 < maxX) {
                        open[g] = true
                    }
                    for h in rowGaps[u]..<rowGaps[u + 1] where gaps[h].x0 < gap.x1 && gap.x0 < gaps[h].x1 {
                        let a = root(g), b = root(h)
                        if a != b { parent[max(a, b)] = min(a, b) }
                    }
                }
            }
        }
        for g in gaps.indices where open[g] { open[root(g)] = true }
        return gaps.indices.filter { !open[root($0)] }.map { gaps[$0] }
    }

    /// Two sets of runs of one object (each sorted by row, then column; disjoint) as one,
    /// sorted, with runs that touch in a row joined.
    static func merged(_ a: ArraySlice<LabelRuns.Run>, _ b: ArraySlice<LabelRuns.Run>) -> [LabelRuns.Run] {
        var out: [LabelRuns.Run] = []
        out.reserveCapacity(a.count + b.count)
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex || j < b.endIndex {
            let takeA = j == b.endIndex || (i < a.endIndex && (a[i].y, a[i].x0) < (b[j].y, b[j].x0))
            let r = takeA ? a[i] : b[j]
            if takeA { i += 1 } else { j += 1 }
            if let l = out.last, l.y == r.y, l.x1 == r.x0 {
                out[out.count - 1].x1 = r.x1
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// `fillHoles` the plain way, for tests: per object, `Morphology.fillHoles` on a mask of its
    /// bounding box, and the new pixels that no other object has.
    static func fillHolesOneByOne(_ labels: LabelImage) -> LabelImage {
        let w = labels.width
        var out = labels
        let runs = LabelRuns(labels)
        for k in 0..<runs.count {
            let b = runs.boundingBox(k)
            let bw = b.maxX - b.minX, bh = b.maxY - b.minY
            var crop = Mask(width: bw, height: bh, repeating: 0)
            for y in 0..<bh {
                for x in 0..<bw where labels.pixels[(b.minY + y) * w + b.minX + x] == runs.labels[k] { crop.pixels[y * bw + x] = 1 }
            }
            let filled = Morphology.fillHoles(crop)
            for y in 0..<bh {
                for x in 0..<bw where filled.pixels[y * bw + x] != 0 && labels.pixels[(b.minY + y) * w + b.minX + x] == 0 {
                    out.pixels[(b.minY + y) * w + b.minX + x] = runs.labels[k]
                }
            }
        }
        return out
    }
}
