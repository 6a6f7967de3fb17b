/// A candidate link between row `row` (a cell at t−1) and column `column` (a cell at t).
public struct CandidateLink: Sendable, Equatable {
    public var row: Int
    public var column: Int
    public var cost: Double
    public init(row: Int, column: Int, cost: Double) {
        self.row = row
        self.column = column
        self.cost = cost
    }
}

/// Globally optimal linking with explicit costs for ending and starting tracks.
///
/// The classical augmentation (Jaqaman et al. 2008, u-track): the sparse `rows × columns` link
/// block is extended with a diagonal "row ends" block, a diagonal "column starts" block and the
/// transposed link pattern at cost 0, giving a square problem that always has a perfect matching.
/// It is solved by shortest augmenting paths (Jonker–Volgenant's augmentation with Dijkstra on
/// reduced costs), sparse throughout: each search only visits edges reachable from the free row,
/// so independent connected components never touch each other's data, which is what splitting the
/// graph into components first would buy a dense solver.
///
/// ```swift
/// let links = [CandidateLink(row: 0, column: 0, cost: 0.2)]
/// let match = LinkAssignment.solve(rows: 1, columns: 1, links: links, endCost: [1], startCost: [1])
/// // match == [0]
/// ```
public enum LinkAssignment {
    /// Returns, for each row, its column or -1 (track ends). Columns not returned start tracks.
    /// Assumes finite, non-negative costs and indices in range; links whose cost is not below
    /// `endCost[row] + startCost[column]` are dropped (they can never improve on end + start;
    /// ties go to end + start). Deterministic: ties between equal-cost solutions are decided by
    /// the order of rows and columns.
    public static func solve(rows: Int, columns: Int, links: [CandidateLink],
                             endCost: [Double], startCost: [Double]) -> [Int] {
        precondition(endCost.count == rows && startCost.count == columns)
        let kept = links.filter { $0.cost < endCost[$0.row] + startCost[$0.column] }
            .sorted { ($0.row, $0.column) < ($1.row, $1.column) }
        // Square problem: rows 0..<R real, R..<R+C dummies (one per column);
        // columns 0..<C real, C..<C+R dummies (one per row).
        let n = rows + columns
        var edges: [(Int, Int, Double)] = []
        edges.reserveCapacity(2 * kept.count + n)
        for l in kept { edges.append((l.row, l.column, l.cost)) }
        for r in 0..<rows { edges.append((r, columns + r, endCost[r])) }
        for c in 0..<columns { edges.append((rows + c, c, startCost[c])) }
        for l in kept { edges.append((rows + l.column, columns + l.row, 0)) }
        let matching = SparseAssignment.solve(size: n, edges: edges)
        var out = [Int](repeating: -1, count: rows)
        for r in 0..<rows where matching[r] < columns { out[r] = matching[r] }
        return out
    }

    /// Total cost of a solution of `solve` (link costs + ends + starts), for tests and diagnostics.
    public static func totalCost(rows: Int, columns: Int, links: [CandidateLink], endCost: [Double],
                                 startCost: [Double], assignment: [Int]) -> Double {
        var costOf: [Int: Double] = [:]
        for l in links { costOf[l.row * columns + l.column] = min(costOf[l.row * columns + l.column] ?? .infinity, l.cost) }
        var used = [Bool](repeating: false, count: columns)
        var total = 0.0
        for r in 0..<rows {
            let c = assignment[r]
            if c < 0 { total += endCost[r] } else { total += costOf[r * columns + c] ?? .infinity; used[c] = true }
        }
        for c in 0..<columns where !used[c] { total += startCost[c] }
        return total
    }
}

/// Minimum-cost perfect matching on a sparse square bipartite graph.
enum SparseAssignment {
    /// `edges` are (row, column, cost) with rows and columns in `0..<size`. Assumes a perfect
    /// matching exists (the augmented linking problem guarantees it); duplicate edges keep the cheapest.
    /// Returns the column of each row.
    static func solve(size n: Int, edges: [(Int, Int, Double)]) -> [Int] {
        if n == 0 { return [] }
        // CSR adjacency, edges of each row sorted by column for deterministic ties.
        var degree = [Int](repeating: 0, count: n + 1)
        for e in edges { degree[e.0 + 1] += 1 }
        for i in 0..<n { degree[i + 1] += degree[i] }
        var fill = degree
        var adjCol = [Int](repeating: 0, count: edges.count)
        var adjCost = [Double](repeating: 0, count: edges.count)
        for e in edges {
            adjCol[fill[e.0]] = e.1
            adjCost[fill[e.0]] = e.2
            fill[e.0] += 1
        }
        // Rows arrive sorted from LinkAssignment; sort only rows that are not (determinism for any caller).
        for r in 0..<n where degree[r + 1] - degree[r] > 1 {
            let range = degree[r]..<degree[r + 1]
            var sorted = true
            for k in range.dropFirst() where adjCol[k - 1] > adjCol[k] || (adjCol[k - 1] == adjCol[k] && adjCost[k - 1] > adjCost[k]) {
                sorted = false
                break
            }
            if sorted { continue }
            let pairs = range.map { (adjCol[$0], adjCost[$0]) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for (k, e) in zip(range, pairs) { adjCol[k] = e.0; adjCost[k] = e.1 }
        }

        var u = [Double](repeating: 0, count: n)      // row potentials
        var v = [Double](repeating: 0, count: n)      // column potentials
        var rowOf = [Int](repeating: -1, count: n)    // column → row
        var colOf = [Int](repeating: -1, count: n)    // row → column
        var costOfMatch = [Double](repeating: 0, count: n)

        // Initial dual u_i = min_j c_ij (v = 0) and a matching on tight edges where the column is free.
        for r in 0..<n {
            var best = Double.infinity, bestCol = -1, bestCost = 0.0
            for k in degree[r]..<degree[r + 1] where adjCost[k] < best {
                best = adjCost[k]; bestCol = adjCol[k]; bestCost = adjCost[k]
            }
            precondition(bestCol >= 0, "row \(r) has no edge: no perfect matching")
            u[r] = best
            if rowOf[bestCol] < 0 {
                rowOf[bestCol] = r; colOf[r] = bestCol; costOfMatch[r] = bestCost
            }
        }

        var dist = [Double](repeating: .infinity, count: n)
        var pred = [Int](repeating: -1, count: n)       // column → row it was reached from
        var predCost = [Double](repeating: 0, count: n) // cost of that edge
        var scanned = [Bool](repeating: false, count: n)
        var touched: [Int] = []
        var heap = MinHeap()

        for start in 0..<n where colOf[start] < 0 {
            // Dijkstra over columns on reduced costs c − u − v ≥ 0.
            touched.removeAll(keepingCapacity: true)
            heap.removeAll()
            func relax(_ r: Int, _ base: Double) {
                for k in degree[r]..<degree[r + 1] {
                    let j = adjCol[k]
                    if scanned[j] { continue }
                    let d = base + adjCost[k] - u[r] - v[j]
                    if d < dist[j] {
                        if dist[j] == .infinity { touched.append(j) }
                        dist[j] = d; pred[j] = r; predCost[j] = adjCost[k]
                        heap.push(d, j)
                    }
                }
            }
            relax(start, 0)
            var scannedCols: [Int] = []
            var end = -1
            var endDist = 0.0
            while let (d, j) = heap.pop() {
                if scanned[j] || d > dist[j] { continue }
                if rowOf[j] < 0 { end = j; endDist = d; break }
                scanned[j] = true
                scannedCols.append(j)
                relax(rowOf[j], d)
            }
            precondition(end >= 0, "no augmenting path: no perfect matching")
            // Dual update keeps reduced costs non-negative and the new path tight.
            for j in scannedCols {
                v[j] += dist[j] - endDist
                let r = rowOf[j]
                u[r] = costOfMatch[r] - v[j]   // matched edges stay tight
            }
            // Augment along the path.
            var j = end
            while true {
                let r = pred[j]
                let previous = colOf[r]
                rowOf[j] = r; colOf[r] = j; costOfMatch[r] = predCost[j]
                u[r] = predCost[j] - v[j]
                if r == start { break }
                j = previous
            }
            for j in touched { dist[j] = .infinity; scanned[j] = false }
        }
        return colOf
    }
}

/// Binary min-heap of (key, column); ties on key go to the lower column (determinism).
struct MinHeap {
    private var keys: [Double] = []
    private var values: [Int] = []

    mutating func removeAll() { keys.removeAll(keepingCapacity: true); values.removeAll(keepingCapacity: true) }

    @inline(__always) private func less(_ a: Int, _ b: Int) -> Bool {
        keys[a] < keys[b] || (keys[a] == keys[b] && values[a] < values[b])
    }

    mutating func push(_ key: Double, _ value: Int) {
        keys.append(key); values.append(value)
        var i = keys.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if less(i, p) { keys.swapAt(i, p); values.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> (Double, Int)? {
        guard !keys.isEmpty else { return nil }
        let top = (keys[0], values[0])
        let last = keys.count - 1
        keys.swapAt(0, last); values.swapAt(0, last)
        keys.removeLast(); values.removeLast()
        var i = 0
        let n = keys.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && less(l, m) { m = l }
            if r < n && less(r, m) { m = r }
            if m == i { break }
            keys.swapAt(i, m); values.swapAt(i, m); i = m
        }
        return top
    }
}
