import CellTrackCore

/// The smooth illumination of a frame (vignetting, gradients), estimated from its background
/// and removed before the colony method's global normalisation.
///
/// Why: the colony method compares every pixel with one background level. Raspberry Pi and other
/// simple microscopes darken towards the corners by 10–40 %, which is many background σ: the
/// corners become "foreground", cost work, and cells there are judged against the wrong level.
///
/// How:
/// 1. The frame is cut into square blocks (side `blockSize`, about two cell widths). For each
///    block, the median and interquartile range of a regular sample of its pixels (≤ 8 × 8).
/// 2. The background level and spread σ are the colony method's histogram peak of all samples.
///    Candidate blocks are the flat ones: IQR at most twice the 20th percentile of all IQRs
///    (cells, halos and colony gaps make a block rough; vignetting does not).
/// 3. The background grows outwards: a polynomial in x and y of degree 1, 2, … `maxDegree` is
///    fitted (iteratively reweighted least squares, Tukey's biweight) to the flat blocks whose
///    median lies within 4 σ of the previous surface (at first, of the level). Vignetting varies
///    smoothly, so each round reaches further into the corners; cell interiors, flat as they may
///    be (8-bit data), stay many σ below and never join. A degree needs three blocks per
///    coefficient.
/// 4. The surface, clamped to the range of the blocks it was fitted to widened by half of it
///    (the rim of the frame lies beyond the outer block centres), minus its value at the frame
///    centre, is what `subtract` removes. The background *level* is still found afterwards by the
///    histogram peak, so only the shape matters.
///
/// Frames with fewer than 6 × 6 blocks, too few flat blocks near the background, or whose
/// surface lies within 4 σ of fewer than half of the flat blocks (a colony covering the frame)
/// are left as they are (`fit` returns nil). Deterministic.
///
/// ```swift
/// if let surface = BackgroundSurface.fit(smooth, blockSize: 31, maxDegree: 4) {
///     surface.subtract(from: &smooth)
/// }
/// ```
public struct BackgroundSurface: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Total degree of the polynomial.
    public let degree: Int
    /// Coefficients of `u^i v^j` in `terms` order, u and v the coordinates scaled to [−1, 1].
    public let coefficients: [Double]
    /// The surface is clamped to this range (the kept blocks' medians, widened by half).
    public let low: Double
    public let high: Double

    static func terms(_ degree: Int) -> [(i: Int, j: Int)] {
        var out: [(i: Int, j: Int)] = []
        for i in 0...degree { for j in 0...(degree - i) { out.append((i, j)) } }
        return out
    }

    /// Fits the surface (see the type's documentation); nil when the frame has too few flat
    /// blocks for even a plane.
    ///
    /// - Parameter negated: fit the surface of `−image` (bright cells) without a negated copy.
    public static func fit(_ image: Image<Float>, blockSize: Int, maxDegree: Int, negated: Bool = false) -> BackgroundSurface? {
        let w = image.width, h = image.height
        let b = max(4, blockSize)
        let nx = w / b, ny = h / b
        // a surface needs a grid of blocks; on small crops the flattest blocks may be cells
        guard nx >= 6, ny >= 6, maxDegree >= 1 else { return nil }
        // 1. block medians and IQRs from a regular sample; on large frames every `blockStep`-th
        //    block of each row and column (about 2,500 blocks: plenty for 15 coefficients)
        let step = max(1, (b + 7) / 8)   // at most 8 × 8 samples per block
        let blockStep = max(1, Int((Double(nx * ny) / 2500).squareRoot().rounded(.up)))
        var medians: [Double] = [], spreads: [Double] = [], us: [Double] = [], vs: [Double] = []
        // samples gathered row by row (sequential memory) into one flat buffer per block row,
        // a fixed stretch per block
        let perSide = (b - step / 2 + step - 1) / step, perBlock = perSide * perSide
        let sampledColumns = Array(stride(from: 0, to: nx, by: blockStep))
        var rowSamples = [Float](repeating: 0, count: sampledColumns.count * perBlock)
        var allSamples: [Float] = []
        allSamples.reserveCapacity(((ny + blockStep - 1) / blockStep) * rowSamples.count)
        image.withUnsafeBufferPointer { px in
            rowSamples.withUnsafeMutableBufferPointer { rs in
                let out = rs.baseAddress!
                for by in stride(from: 0, to: ny, by: blockStep) {
                    var filled = 0
                    var y = by * b + step / 2
                    while y < (by + 1) * b {
                        let row = px.baseAddress! + y * w
                        for (c, bx) in sampledColumns.enumerated() {
                            let dst = out + c * perBlock + filled
                            var x = bx * b + step / 2, k = 0
                            while x < (bx + 1) * b { dst[k] = negated ? -row[x] : row[x]; x += step; k += 1 }
                        }
                        filled += perSide
                        y += step
                    }
                    for (c, bx) in sampledColumns.enumerated() {
                        let sample = UnsafeMutableBufferPointer(start: out + c * perBlock, count: perBlock)
                        allSamples.append(contentsOf: sample)
                        insertionSort(sample)
                        // symmetric order statistics: the negated frame gives the negated surface
                        let m = perBlock, q = (m - 1) / 4
                        medians.append((Double(sample[(m - 1) / 2]) + Double(sample[m / 2])) / 2)
                        spreads.append(Double(sample[m - 1 - q]) - Double(sample[q]))
                        us.append((Double(bx * b) + Double(b) / 2 - Double(w) / 2) / (Double(w) / 2))
                        vs.append((Double(by * b) + Double(b) / 2 - Double(h) / 2) / (Double(h) / 2))
                    }
                }
            }
        }
        // 2. the background's level and spread: the colony method's histogram peak of all the
        //    blocks' samples (the upper population for dark cells, however many cells there are)
        let (level0, sigma0) = allSamples.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0) }
        let tolerance = 4 * sigma0
        let sortedSpreads = spreads.sorted()
        let reference = sortedSpreads[sortedSpreads.count / 5]
        let flat = spreads.map { $0 <= 2 * reference }
        let rows = medians.count
        // 3. grow the background outwards: flat blocks within tolerance of the previous surface
        //    (at first: of the level), fitted with degree 1, 2, … (IRLS, Tukey's biweight); cell
        //    interiors, flat as they may be, stay far from it
        var predicted = [Double](repeating: level0, count: rows)
        var degree = 0
        var coefficients: [Double] = []
        var rounds = Array(1...maxDegree) + [maxDegree, maxDegree]
        var weights = [Double](repeating: 0, count: rows)
        while !rounds.isEmpty {
            let d = rounds.removeFirst()
            let keep = (0..<rows).map { flat[$0] && abs(medians[$0] - predicted[$0]) <= tolerance }
            let t = terms(d), k = t.count
            guard keep.filter({ $0 }).count >= 3 * k else { break }
            var design = [Double](repeating: 0, count: rows * k)
            for r in 0..<rows {
                for (c, term) in t.enumerated() { design[r * k + c] = power(us[r], term.i) * power(vs[r], term.j) }
            }
            weights = keep.map { $0 ? 1.0 : 0.0 }
            var c = [Double](repeating: 0, count: k)
            for _ in 0..<6 {
                guard let solved = weightedLeastSquares(design, medians, weights, columns: k) else { break }
                c = solved
                var residuals = [Double](repeating: 0, count: rows)
                var absolute: [Double] = []
                for r in 0..<rows {
                    var v = 0.0
                    for j in 0..<k { v += design[r * k + j] * c[j] }
                    residuals[r] = medians[r] - v
                    if weights[r] > 0 { absolute.append(abs(residuals[r])) }
                }
                guard !absolute.isEmpty else { break }
                let scale = 1.4826 * Preprocess.select(&absolute, absolute.count / 2) + 1e-9   // the upper median
                for r in 0..<rows {
                    let u = residuals[r] / (4.685 * scale)
                    weights[r] = keep[r] && abs(u) < 1 ? (1 - u * u) * (1 - u * u) : 0
                }
            }
            degree = d
            coefficients = c
            for r in 0..<rows {
                var v = 0.0
                for j in 0..<k { v += design[r * k + j] * c[j] }
                predicted[r] = v
            }
        }
        guard degree >= 1 else { return nil }
        // the surface must explain most of the frame's flat blocks: otherwise they were not the
        // background (a colony covering the frame), and the frame is left as it is
        let flatCount = flat.filter { $0 }.count
        let explained = (0..<rows).filter { flat[$0] && abs(medians[$0] - predicted[$0]) <= tolerance }.count
        guard 2 * explained >= flatCount else { return nil }
        let keep = weights.map { $0 > 0 }
        var low = Double.infinity, high = -Double.infinity
        for r in 0..<rows where keep[r] { low = min(low, medians[r]); high = max(high, medians[r]) }
        guard low <= high else { return nil }
        // the frame's rim lies up to a block beyond the outer block centres: allow that much
        // extrapolation, but no more
        let margin = (high - low) / 2
        return BackgroundSurface(width: w, height: h, degree: degree, coefficients: coefficients,
                                 low: low - margin, high: high + margin)
    }

    /// Sorts a short buffer in place (a block's ~64 samples: cheaper than a general sort).
    static func insertionSort(_ p: UnsafeMutableBufferPointer<Float>) {
        for i in 1..<max(p.count, 1) {
            let v = p[i]
            var j = i - 1
            while j >= 0 && p[j] > v { p[j + 1] = p[j]; j -= 1 }
            p[j + 1] = v
        }
    }

    @inline(__always) static func power(_ x: Double, _ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= x }
        return p
    }

    /// Solves (AᵀWA) c = AᵀW m by Gaussian elimination with partial pivoting; nil if singular.
    static func weightedLeastSquares(_ a: [Double], _ m: [Double], _ weights: [Double], columns k: Int) -> [Double]? {
        var normal = [Double](repeating: 0, count: k * (k + 1))   // augmented k × (k+1)
        // (through pointers: the same additions in the same order, without bounds checks)
        a.withUnsafeBufferPointer { a in
            m.withUnsafeBufferPointer { m in
                weights.withUnsafeBufferPointer { weights in
                    normal.withUnsafeMutableBufferPointer { normal in
                        let nb = normal.baseAddress!
                        for r in 0..<m.count where weights[r] > 0 {
                            let wr = weights[r], row = a.baseAddress! + r * k, mr = m[r]
                            for i in 0..<k {
                                let ai = row[i] * wr
                                let out = nb + i * (k + 1)
                                for j in i..<k { out[j] += ai * row[j] }
                                out[k] += ai * mr
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<k { for j in 0..<i { normal[i * (k + 1) + j] = normal[j * (k + 1) + i] } }
        for col in 0..<k {
            var pivot = col
            for r in (col + 1)..<k where abs(normal[r * (k + 1) + col]) > abs(normal[pivot * (k + 1) + col]) { pivot = r }
            let p = normal[pivot * (k + 1) + col]
            guard abs(p) > 1e-12 else { return nil }
            if pivot != col { for j in 0...k { normal.swapAt(pivot * (k + 1) + j, col * (k + 1) + j) } }
            for r in 0..<k where r != col {
                let f = normal[r * (k + 1) + col] / p
                if f == 0 { continue }
                for j in col...k { normal[r * (k + 1) + j] -= f * normal[col * (k + 1) + j] }
            }
        }
        return (0..<k).map { normal[$0 * (k + 1) + k] / normal[$0 * (k + 1) + $0] }
    }

    /// The surface at pixel (x, y), clamped, before the centre offset.
    public func value(x: Double, y: Double) -> Double {
        let u = (x + 0.5 - Double(width) / 2) / (Double(width) / 2)
        let v = (y + 0.5 - Double(height) / 2) / (Double(height) / 2)
        var s = 0.0
        for (c, term) in Self.terms(degree).enumerated() { s += coefficients[c] * Self.power(u, term.i) * Self.power(v, term.j) }
        return min(max(s, low), high)
    }

    /// `image − sign × (surface − surface at the centre)`, in place (`sign` −1: the surface was
    /// fitted on the negated image), row by row through `RowSubtractor`.
    public func subtract(from image: inout Image<Float>, sign: Float = 1) {
        precondition(image.width == width && image.height == height, "size differs")
        var subtractor = RowSubtractor(self)
        let w = width
        image.withUnsafeMutableBufferPointer { px in
            for y in 0..<height { subtractor.apply(row: y, px.baseAddress! + y * w, sign: sign) }
        }
    }

    /// `subtract` one row at a time, so that a caller can fuse it with its own per-row work while
    /// the row is in cache (the colony method's normalisation) or apply it to a copied row (its
    /// statistics sample). Per row the polynomial in u is a0 + a1·u + a2·u² + … over a table of
    /// the powers of u, summed in that order for each pixel in one vectorisable pass (degrees up
    /// to 4; higher degrees sum term by term, as `subtractByPasses` does).
    public struct RowSubtractor {
        let surface: BackgroundSurface
        let terms: [(i: Int, j: Int)]
        let centre: Double
        /// `powers[i * width + x] = u(x)^i`, five rows (or degree + 1 beyond degree 4).
        let powers: [Double]
        var rowCoefficients: [Double]
        /// Degrees above 4: the row's polynomial, term by term.
        var polynomial: [Double]

        public init(_ surface: BackgroundSurface) {
            self.surface = surface
            terms = BackgroundSurface.terms(surface.degree)
            centre = surface.clampedCentre(terms)
            let rows = max(5, surface.degree + 1)
            powers = surface.powersOfU(rows: rows)   // rows beyond the degree are 0
            rowCoefficients = [Double](repeating: 0, count: rows)
            polynomial = surface.degree > 4 ? [Double](repeating: 0, count: surface.width) : []
        }

        /// Row `y` (`surface.width` pixels at `out`) minus `sign` × (surface − centre), in place.
        public mutating func apply(row y: Int, _ out: UnsafeMutablePointer<Float>, sign: Float) {
            let w = surface.width, d = surface.degree
            let lo = surface.low, hi = surface.high, centre = centre
            surface.rowCoefficients(y, terms: terms, into: &rowCoefficients)
            powers.withUnsafeBufferPointer { pw in
                let p1 = pw.baseAddress! + w, p2 = p1 + w, p3 = p2 + w, p4 = p3 + w
                let a0 = rowCoefficients[0], a1 = rowCoefficients[1], a2 = rowCoefficients[2]
                let a3 = rowCoefficients[3], a4 = rowCoefficients[4]
                // the sums stop at the fitted degree (adding 0 · u^i would change −0 only, but
                // keeping the order exact is simpler to trust)
                switch d {
                case 0: for x in 0..<w { out[x] -= sign * Float(min(max(a0, lo), hi) - centre) }
                case 1: for x in 0..<w { out[x] -= sign * Float(min(max(a0 + a1 * p1[x], lo), hi) - centre) }
                case 2:
                    for x in 0..<w {
                        let r = a0 + a1 * p1[x] + a2 * p2[x]
                        out[x] -= sign * Float(min(max(r, lo), hi) - centre)
                    }
                case 3:
                    for x in 0..<w {
                        let r = a0 + a1 * p1[x] + a2 * p2[x] + a3 * p3[x]
                        out[x] -= sign * Float(min(max(r, lo), hi) - centre)
                    }
                case 4:
                    for x in 0..<w {
                        let r = a0 + a1 * p1[x] + a2 * p2[x] + a3 * p3[x] + a4 * p4[x]
                        out[x] -= sign * Float(min(max(r, lo), hi) - centre)
                    }
                default:
                    polynomial.withUnsafeMutableBufferPointer { r in
                        for x in 0..<w { r[x] = a0 }
                        for i in stride(from: 1, through: d, by: 1) {
                            let a = rowCoefficients[i], p = pw.baseAddress! + i * w
                            for x in 0..<w { r[x] += a * p[x] }
                        }
                        for x in 0..<w { out[x] -= sign * Float(min(max(r[x], lo), hi) - centre) }
                    }
                }
            }
        }
    }

    /// The surface at the centre (the constant term), clamped as the surface is.
    func clampedCentre(_ t: [(i: Int, j: Int)]) -> Double {
        min(max(coefficients[t.firstIndex { $0.i == 0 && $0.j == 0 }!], low), high)
    }

    /// `powers[i * width + x] = u(x)^i` for `i < rows`, u the column scaled to [−1, 1]; 0 for
    /// `i > degree`.
    func powersOfU(rows: Int) -> [Double] {
        let w = width
        var powers = [Double](repeating: 0, count: rows * w)
        for x in 0..<w { powers[x] = 1 }
        for x in 0..<w {
            let u = (Double(x) + 0.5 - Double(w) / 2) / (Double(w) / 2)
            for i in stride(from: 1, through: degree, by: 1) { powers[i * w + x] = powers[(i - 1) * w + x] * u }
        }
        return powers
    }

    /// The coefficients of u^0, u^1, … on row `y` (the polynomial with v fixed), into `a`,
    /// zeroed first.
    func rowCoefficients(_ y: Int, terms t: [(i: Int, j: Int)], into a: inout [Double]) {
        let v = (Double(y) + 0.5 - Double(height) / 2) / (Double(height) / 2)
        for i in a.indices { a[i] = 0 }
        for (c, term) in t.enumerated() { a[term.i] += coefficients[c] * Self.power(v, term.j) }
    }

    /// `subtract`, one pass over the row per power of u (any degree; the reference for the
    /// single-pass version).
    func subtractByPasses(from image: inout Image<Float>, sign: Float = 1) {
        precondition(image.width == width && image.height == height, "size differs")
        let t = Self.terms(degree)
        let centre = clampedCentre(t)
        let w = width
        let powers = powersOfU(rows: degree + 1)
        var rowCoefficients = [Double](repeating: 0, count: degree + 1)
        var row = [Double](repeating: 0, count: w)
        let lo = low, hi = high
        image.withUnsafeMutableBufferPointer { px in
            powers.withUnsafeBufferPointer { pw in
                row.withUnsafeMutableBufferPointer { r in
                    for y in 0..<height {
                        self.rowCoefficients(y, terms: t, into: &rowCoefficients)
                        let a0 = rowCoefficients[0]
                        for x in 0..<w { r[x] = a0 }
                        for i in stride(from: 1, through: degree, by: 1) {
                            let a = rowCoefficients[i], p = pw.baseAddress! + i * w
                            for x in 0..<w { r[x] += a * p[x] }
                        }
                        let out = px.baseAddress! + y * w
                        for x in 0..<w { out[x] -= sign * Float(min(max(r[x], lo), hi) - centre) }
                    }
                }
            }
        }
    }
}
