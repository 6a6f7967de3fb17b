import CellTrackCore

/// Maps label values to dense region indices 0..<n through a flat table.
///
/// Label images with values far above the region count (e.g. arbitrary UInt32 ids) are first
/// relabelled to 1...n so the table stays small.
struct DenseLabels: Sendable {
    /// Label image whose values index `lookup` (the original pixels, or relabelled ones).
    var pixels: [UInt32]
    /// lookup[label] = region index, or -1 for background and labels without a region.
    var lookup: [Int32]

    /// Throws when a foreground pixel's label has no region.
    init(labels: LabelImage, regionLabels: [UInt32]) throws {
        let maxLabel = regionLabels.max() ?? 0
        let limit = max(1 << 16, 4 * labels.count)
        if Int(maxLabel) <= limit {
            var lookup = [Int32](repeating: -1, count: Int(maxLabel) + 1)
            for (i, l) in regionLabels.enumerated() {
                guard l > 0 else { throw ParameterError.invalid(name: "regions", value: "label 0", reason: "0 is background") }
                guard lookup[Int(l)] < 0 else { throw ParameterError.invalid(name: "regions", value: "label \(l)", reason: "appears twice") }
                lookup[Int(l)] = Int32(i)
            }
            lookup[0] = -1
            // One pass: every foreground label must be known.
            let bad: UInt32? = labels.withUnsafeBufferPointer { px -> UInt32? in
                lookup.withUnsafeBufferPointer { lk -> UInt32? in
                    var previous: UInt32 = 0
                    for v in px where v != previous {
                        previous = v
                        if v != 0 && (Int(v) >= lk.count || lk[Int(v)] < 0) { return v }
                    }
                    return nil
                }
            }
            if let bad {
                throw ParameterError.invalid(name: "labels", value: "\(bad)", reason: "label present in the image has no region")
            }
            self.pixels = labels.pixels
            self.lookup = lookup
        } else {
            // Sparse, huge label values: relabel to region order + 1 (slow path, rare).
            var index: [UInt32: UInt32] = [:]
            for (i, l) in regionLabels.enumerated() {
                guard l > 0, index[l] == nil else {
                    throw ParameterError.invalid(name: "regions", value: "label \(l)", reason: "0 or duplicate")
                }
                index[l] = UInt32(i + 1)
            }
            var out = [UInt32](repeating: 0, count: labels.count)
            var previous: UInt32 = 0, mapped: UInt32 = 0
            for (k, v) in labels.pixels.enumerated() where v != 0 {
                if v != previous {
                    guard let m = index[v] else {
                        throw ParameterError.invalid(name: "labels", value: "\(v)", reason: "label present in the image has no region")
                    }
                    previous = v; mapped = m
                }
                out[k] = mapped
            }
            self.pixels = out
            self.lookup = [-1] + (0..<regionLabels.count).map { Int32($0) }
        }
    }
}

/// Open-addressing hash counter keyed by UInt64 (no per-pixel allocation; determinism comes from
/// sorting the extracted entries).
struct PairCounter {
    private var keys: [UInt64]
    private var counts: [Int32]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(expected: Int) {
        var cap = 64
        while cap < 2 * max(expected, 1) { cap <<= 1 }
        keys = [UInt64](repeating: PairCounter.empty, count: cap)
        counts = [Int32](repeating: 0, count: cap)
        mask = cap - 1
    }

    @inline(__always) mutating func add(_ key: UInt64, _ n: Int32) {
        if 2 * (count + 1) > keys.count { grow() }
        var h = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while true {
            let k = keys[h]
            if k == key { counts[h] += n; return }
            if k == PairCounter.empty { keys[h] = key; counts[h] = n; count += 1; return }
            h = (h + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldCounts = counts
        keys = [UInt64](repeating: PairCounter.empty, count: oldKeys.count * 2)
        counts = [Int32](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, c) in zip(oldKeys, oldCounts) where k != PairCounter.empty { add(k, c) }
    }

    /// Entries sorted by key.
    func sortedEntries() -> [(key: UInt64, count: Int32)] {
        var out: [(key: UInt64, count: Int32)] = []
        out.reserveCapacity(count)
        for (k, c) in zip(keys, counts) where k != PairCounter.empty { out.append((k, c)) }
        out.sort { $0.key < $1.key }
        return out
    }
}

/// Number of pixels shared by region `previous` (frame t−1) and region `current` (frame t).
struct Overlap: Equatable {
    var previous: Int32
    var current: Int32
    var pixels: Int32
}

enum OverlapCounter {
    /// Sparse co-occurrence of two label images in one pass, with the previous image shifted by
    /// (`shiftX`, `shiftY`) pixels (pixel (x, y) at t−1 meets (x + shiftX, y + shiftY) at t).
    /// Runs of equal pairs along a row are counted once, so the hash sees O(runs), not O(pixels).
    /// Assumes both images are `width × height` and their lookups cover every pixel value.
    /// Result sorted by (previous, current).
    static func count(previous: DenseLabels, current: DenseLabels, width: Int, height: Int,
                      shiftX: Int, shiftY: Int, expectedPairs: Int) -> [Overlap] {
        var counter = PairCounter(expected: expectedPairs)
        let x0 = max(0, shiftX), x1 = min(width, width + shiftX)
        let y0 = max(0, shiftY), y1 = min(height, height + shiftY)
        if x0 < x1 && y0 < y1 {
            previous.pixels.withUnsafeBufferPointer { pp in
                current.pixels.withUnsafeBufferPointer { cp in
                    previous.lookup.withUnsafeBufferPointer { pl in
                        current.lookup.withUnsafeBufferPointer { cl in
                            for y in y0..<y1 {
                                let cRow = y * width
                                let pRow = (y - shiftY) * width - shiftX
                                var runA: UInt32 = 0, runB: UInt32 = 0, run: Int32 = 0
                                for x in x0..<x1 {
                                    let b = cp[cRow + x]
                                    let a = pp[pRow + x]
                                    if a == runA && b == runB { run += 1; continue }
                                    if run > 0 && runA != 0 && runB != 0 {
                                        let key = UInt64(UInt32(bitPattern: pl[Int(runA)])) << 32 | UInt64(UInt32(bitPattern: cl[Int(runB)]))
                                        counter.add(key, run)
                                    }
                                    runA = a; runB = b; run = 1
                                }
                                if run > 0 && runA != 0 && runB != 0 {
                                    let key = UInt64(UInt32(bitPattern: pl[Int(runA)])) << 32 | UInt64(UInt32(bitPattern: cl[Int(runB)]))
                                    counter.add(key, run)
                                }
                            }
                        }
                    }
                }
            }
        }
        return counter.sortedEntries().map {
            Overlap(previous: Int32(truncatingIfNeeded: $0.key >> 32), current: Int32(truncatingIfNeeded: $0.key & 0xFFFF_FFFF), pixels: $0.count)
        }
    }

    /// Slow reference: a dictionary over every pixel, for tests.
    static func countReference(previous: [UInt32], current: [UInt32], width: Int, height: Int,
                               shiftX: Int, shiftY: Int) -> [UInt64: Int] {
        var out: [UInt64: Int] = [:]
        for y in 0..<height {
            for x in 0..<width {
                let px = x - shiftX, py = y - shiftY
                guard px >= 0, px < width, py >= 0, py < height else { continue }
                let a = previous[py * width + px], b = current[y * width + x]
                if a != 0 && b != 0 { out[UInt64(a) << 32 | UInt64(b), default: 0] += 1 }
            }
        }
        return out
    }

    /// Pairs of distinct regions separated by at most `gap` background pixels along a row or a
    /// column (gap 0 = 4-connected touching). One pass; the look-ahead only runs at region edges.
    /// Result: set of keys `min << 32 | max` over region indices.
    static func adjacency(_ labels: DenseLabels, width: Int, height: Int, gap: Int) -> Set<UInt64> {
        var counter = PairCounter(expected: 1024)
        labels.pixels.withUnsafeBufferPointer { px in
            labels.lookup.withUnsafeBufferPointer { lk in
                for y in 0..<height {
                    let row = y * width
                    for x in 0..<width {
                        let a = px[row + x]
                        if a == 0 { continue }
                        // Along the row.
                        if x + 1 < width && px[row + x + 1] != a {
                            var k = 1
                            while k <= gap + 1 && x + k < width {
                                let b = px[row + x + k]
                                if b != 0 {
                                    if b != a { counter.add(key(lk[Int(a)], lk[Int(b)]), 1) }
                                    break
                                }
                                k += 1
                            }
                        }
                        // Along the column.
                        if y + 1 < height && px[row + width + x] != a {
                            var k = 1
                            while k <= gap + 1 && y + k < height {
                                let b = px[row + k * width + x]
                                if b != 0 {
                                    if b != a { counter.add(key(lk[Int(a)], lk[Int(b)]), 1) }
                                    break
                                }
                                k += 1
                            }
                        }
                    }
                }
            }
        }
        return Set(counter.sortedEntries().map { $0.key })
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        let lo = UInt64(UInt32(bitPattern: min(a, b))), hi = UInt64(UInt32(bitPattern: max(a, b)))
        return lo << 32 | hi
    }
}

/// What linking needs of one frame's pixels: every cell's runs, by row, tagged with the cell's
/// region index (position in the label-sorted regions). A few bytes per run instead of four
/// per pixel.
struct RegionRuns: Sendable {
    var width: Int
    var height: Int
    /// Runs of row y: `rowStart[y] ..< rowStart[y + 1]`, sorted by column.
    var rowStart: [Int]
    var x0: [Int32]
    var x1: [Int32]
    var region: [Int32]

    /// Throws when a cell's label has no region (`regionLabels` sorted, unique, > 0).
    init(cells: LabelRuns, regionLabels: [UInt32]) throws {
        width = cells.width
        height = cells.height
        var index = [Int32](repeating: -1, count: cells.count)
        for k in 0..<cells.count {
            let label = cells.labels[k]
            var lo = 0, hi = regionLabels.count
            while lo < hi { let mid = (lo + hi) / 2; if regionLabels[mid] < label { lo = mid + 1 } else { hi = mid } }
            guard lo < regionLabels.count, regionLabels[lo] == label else {
                throw ParameterError.invalid(name: "labels", value: "\(label)", reason: "label present in the image has no region")
            }
            index[k] = Int32(lo)
        }
        let rows = cells.byRow()
        rowStart = rows.rowStart
        x0 = rows.entries.map(\.run.x0)
        x1 = rows.entries.map(\.run.x1)
        region = rows.entries.map { index[Int($0.object)] }
    }
}

extension OverlapCounter {
    /// `count(previous:current:…)` on runs: for each row, the current runs meet the previous
    /// frame's runs of row `y − shiftY` moved by `shiftX` (a merge of two sorted lists). Same
    /// result, sorted by (previous, current); O(runs).
    static func count(previous: RegionRuns, current: RegionRuns, shiftX: Int, shiftY: Int, expectedPairs: Int) -> [Overlap] {
        var counter = PairCounter(expected: expectedPairs)
        let h = current.height
        let sx = Int32(shiftX)
        let y0 = max(0, shiftY), y1 = min(h, h + shiftY)
        for y in y0..<max(y0, y1) {
            let py = y - shiftY
            var i = previous.rowStart[py]
            let iEnd = previous.rowStart[py + 1]
            var j = current.rowStart[y]
            let jEnd = current.rowStart[y + 1]
            while i < iEnd && j < jEnd {
                let a0 = previous.x0[i] + sx, a1 = previous.x1[i] + sx
                let b0 = current.x0[j], b1 = current.x1[j]
                let lo = max(a0, b0), hi = min(a1, b1)
                if lo < hi {
                    let key = UInt64(UInt32(bitPattern: previous.region[i])) << 32 | UInt64(UInt32(bitPattern: current.region[j]))
                    counter.add(key, hi - lo)
                }
                if a1 <= b1 { i += 1 } else { j += 1 }
            }
        }
        return counter.sortedEntries().map {
            Overlap(previous: Int32(truncatingIfNeeded: $0.key >> 32), current: Int32(truncatingIfNeeded: $0.key & 0xFFFF_FFFF), pixels: $0.count)
        }
    }

    /// `adjacency(_:width:height:gap:)` on runs, exactly: along a row, a run and the next run
    /// of the row (another region) at most `gap` background pixels apart; along a column, each
    /// pixel and the nearest labelled pixel above it in its column (kept per column while
    /// sweeping down), at most `gap` rows between them.
    static func adjacency(_ runs: RegionRuns, gap: Int) -> Set<UInt64> {
        var counter = PairCounter(expected: 1024)
        let w = runs.width
        var lastRegion = [Int32](repeating: -1, count: w)
        var lastRow = [Int32](repeating: 0, count: w)
        let reach = Int32(gap + 1)
        for y in 0..<runs.height {
            let lo = runs.rowStart[y], hi = runs.rowStart[y + 1]
            for k in lo..<hi {
                let a = runs.region[k]
                if k + 1 < hi {
                    let b = runs.region[k + 1]
                    if b != a && runs.x0[k + 1] - (runs.x1[k] - 1) <= reach { counter.add(key(a, b), 1) }
                }
                let yy = Int32(y)
                for x in Int(runs.x0[k])..<Int(runs.x1[k]) {
                    let above = lastRegion[x]
                    if above >= 0 && above != a && yy - lastRow[x] <= reach { counter.add(key(above, a), 1) }
                    lastRegion[x] = a
                    lastRow[x] = yy
                }
            }
        }
        return Set(counter.sortedEntries().map { $0.key })
    }
}
