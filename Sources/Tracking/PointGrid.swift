/// Uniform bucket grid over 2-D points for radius queries (CSR layout, no per-query allocation).
struct PointGrid {
    private let originX: Double, originY: Double
    private let columns: Int, rows: Int
    private var start: [Int32]
    private var items: [Int32]
    private let xs: [Double], ys: [Double]

    /// `cell` is the bucket size in pixels; points may lie anywhere.
    init(xs: [Double], ys: [Double], cell: Double) {
        self.xs = xs; self.ys = ys
        let minX = xs.min() ?? 0, minY = ys.min() ?? 0
        let maxX = xs.max() ?? 0, maxY = ys.max() ?? 0
        originX = minX; originY = minY
        // Bound the bucket count so far-flung points cannot blow up memory.
        var c = max(cell, 1)
        while ((maxX - minX) / c + 1) * ((maxY - minY) / c + 1) > Double(4 * max(xs.count, 16)) { c *= 2 }
        self.cellSize = c
        columns = Int((maxX - minX) / c) + 1
        rows = Int((maxY - minY) / c) + 1
        var counts = [Int32](repeating: 0, count: columns * rows + 1)
        var bucketOf = [Int](repeating: 0, count: xs.count)
        for i in 0..<xs.count {
            let b = Int((ys[i] - minY) / c) * columns + Int((xs[i] - minX) / c)
            bucketOf[i] = b
            counts[b + 1] += 1
        }
        for i in 0..<(columns * rows) { counts[i + 1] += counts[i] }
        var fill = counts
        var items = [Int32](repeating: 0, count: xs.count)
        for i in 0..<xs.count {
            items[Int(fill[bucketOf[i]])] = Int32(i)
            fill[bucketOf[i]] += 1
        }
        self.start = counts
        self.items = items
    }

    private let cellSize: Double

    /// Calls `body(index, distance)` for every point within `radius` of (x, y), in bucket order.
    func forEach(near x: Double, _ y: Double, radius: Double, _ body: (Int, Double) -> Void) {
        guard !xs.isEmpty else { return }
        let c = cellSize
        let bx0 = max(0, Int(((x - radius - originX) / c).rounded(.down)))
        let bx1 = min(columns - 1, Int(((x + radius - originX) / c).rounded(.down)))
        let by0 = max(0, Int(((y - radius - originY) / c).rounded(.down)))
        let by1 = min(rows - 1, Int(((y + radius - originY) / c).rounded(.down)))
        guard bx0 <= bx1, by0 <= by1 else { return }
        let r2 = radius * radius
        for by in by0...by1 {
            for bx in bx0...bx1 {
                let b = by * columns + bx
                for k in Int(start[b])..<Int(start[b + 1]) {
                    let i = Int(items[k])
                    let dx = xs[i] - x, dy = ys[i] - y
                    let d2 = dx * dx + dy * dy
                    if d2 <= r2 { body(i, d2.squareRoot()) }
                }
            }
        }
    }
}
