import CellTrackCore

/// Connected components found on runs rather than pixels: one pass extracts each row's runs
/// (skipping empty 8-byte words), a second links runs of consecutive rows with union-find.
/// Work is proportional to the foreground's runs, plus one byte read per pixel; no label image.
///
/// Labels equal `Labeling.label(mask, connectivity:)`: objects 1…n in raster order of their
/// first pixel.
///
/// ```swift
/// let components = RunComponents.label(foreground, connectivity: .eight)
/// let firstArea = components.area(0)
/// ```
public enum RunComponents {
    public static func label(_ mask: Mask, connectivity: Connectivity) -> LabelRuns {
        mask.withUnsafeBufferPointer { label($0, width: mask.width, height: mask.height, connectivity: connectivity,
                                              pixelSize: mask.pixelSize) }
    }

    /// Calls `body(x0, x1)` for each run of non-zero bytes `x0 ..< x1` of one row, left to right.
    @inline(__always)
    static func forEachRun(_ row: UnsafePointer<UInt8>, width w: Int, _ body: (Int, Int) -> Void) {
        var x = 0
        while x < w {
            // skip zero words quickly (unaligned loads are fine on x86-64 and arm64)
            while x + 8 <= w && UnsafeRawPointer(row + x).loadUnaligned(as: UInt64.self) == 0 { x += 8 }
            while x < w && row[x] == 0 { x += 1 }
            if x >= w { break }
            let start = x
            while x + 8 <= w && UnsafeRawPointer(row + x).loadUnaligned(as: UInt64.self) == 0x0101_0101_0101_0101 { x += 8 }
            while x < w && row[x] != 0 { x += 1 }
            body(start, x)
        }
    }

    /// Fast core. Assumes `mask.count == width * height`.
    static func label(_ mask: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int, connectivity: Connectivity,
                      pixelSize: Double?) -> LabelRuns {
        var out = LabelRuns(width: w, height: h, pixelSize: pixelSize)
        guard w > 0, h > 0, let base = mask.baseAddress else { return out }
        var ry: [Int32] = [], rx0: [Int32] = [], rx1: [Int32] = []
        var parent: [Int32] = []
        let reach: Int32 = connectivity == .eight ? 1 : 0
        var previousStart = 0, previousEnd = 0
        @inline(__always) func find(_ a: Int32) -> Int32 {
            var a = a
            while parent[Int(a)] != a {
                let p = parent[Int(a)]
                parent[Int(a)] = parent[Int(p)]
                a = p
            }
            return a
        }
        for y in 0..<h {
            let rowStart = ry.count
            forEachRun(base + y * w, width: w) { x0, x1 in
                ry.append(Int32(y)); rx0.append(Int32(x0)); rx1.append(Int32(x1))
                parent.append(Int32(parent.count))
            }
            let rowEnd = ry.count
            // link with the previous row: runs overlap (4) or touch diagonally (8)
            if previousEnd > previousStart && rowEnd > rowStart {
                var j = previousStart
                for i in rowStart..<rowEnd {
                    let a0 = rx0[i] - reach, a1 = rx1[i] + reach
                    while j < previousEnd && rx1[j] <= a0 { j += 1 }
                    var k = j
                    while k < previousEnd && rx0[k] < a1 {
                        let ra = find(Int32(i)), rb = find(Int32(k))
                        if ra != rb {
                            // the smaller root was created first (earlier in raster order)
                            if ra < rb { parent[Int(rb)] = ra } else { parent[Int(ra)] = rb }
                        }
                        k += 1
                    }
                }
            }
            previousStart = rowStart
            previousEnd = rowEnd
        }
        let n = ry.count
        guard n > 0 else { return out }
        // labels in order of first run (= first pixel) in raster order; stable grouping
        var label = [Int32](repeating: -1, count: n)
        var rootLabel = [Int32](repeating: -1, count: n)
        var next: Int32 = 0
        var count: [Int] = []
        for i in 0..<n {
            let root = Int(find(Int32(i)))
            if rootLabel[root] < 0 { rootLabel[root] = next; next += 1; count.append(0) }
            label[i] = rootLabel[root]
            count[Int(label[i])] += 1
        }
        var start = [Int](repeating: 0, count: Int(next) + 1)
        for l in 0..<Int(next) { start[l + 1] = start[l] + count[l] }
        var ordered = [LabelRuns.Run](repeating: LabelRuns.Run(y: 0, x0: 0, x1: 0), count: n)
        var fill = start
        for i in 0..<n {
            let l = Int(label[i])
            ordered[fill[l]] = LabelRuns.Run(y: ry[i], x0: rx0[i], x1: rx1[i])
            fill[l] += 1
        }
        for l in 0..<Int(next) {
            out.appendUnchecked(label: UInt32(l + 1), runs: ordered[start[l]..<start[l + 1]])
        }
        return out
    }
}
