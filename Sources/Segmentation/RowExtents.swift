import CellTrackCore

/// Each row's first and last set pixel of a mask (`first > last`: the row is empty). Filters
/// that are only read on a mask compute each row between these two.
///
/// ```swift
/// let rows = RowExtents(mask)
/// if rows.first[y] <= rows.last[y] { /* row y has mask pixels */ }
/// ```
struct RowExtents {
    var first: [Int]
    var last: [Int]

    /// Scans each row from both ends, so a row costs its two margins, not its width.
    init(_ mask: Mask) {
        let w = mask.width, h = mask.height
        var first = [Int](repeating: w, count: h), last = [Int](repeating: -1, count: h)
        mask.withUnsafeBufferPointer { m in
            for y in 0..<h {
                let row = m.baseAddress! + y * w
                var a = 0
                while a < w && row[a] == 0 { a += 1 }
                if a == w { continue }
                var b = w - 1
                while row[b] == 0 { b -= 1 }
                first[y] = a; last[y] = b
            }
        }
        self.first = first; self.last = last
    }

    /// Every row whole.
    init(width: Int, height: Int) {
        first = [Int](repeating: 0, count: height)
        last = [Int](repeating: width - 1, count: height)
    }
}
