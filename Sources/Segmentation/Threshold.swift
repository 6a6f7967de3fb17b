import CellTrackCore

/// Otsu's threshold, bit-for-bit as `skimage.filters.threshold_otsu(image)` (nbins=256).
///
/// - Float images: numpy's 256-bin histogram over [min, max] computed in `Float` (edges by
///   `np.linspace` in float32, numpy's bin-index correction at the edges), bin centres
///   `(e[i] + e[i+1]) / 2`, and the between-class variance in float32 as skimage does.
/// - Integer images: one bin per integer value from min to max (skimage's bincount path), counts
///   as float32, class means in float64.
/// - A constant image returns its value.
///
/// The returned value `t` splits the image into `value <= t` and `value > t`.
///
/// ```swift
/// let t = try Otsu.threshold(image)          // Image<Float>
/// let fg = Threshold.apply(image, threshold: t, polarity: .bright)
/// ```
public enum Otsu {
    /// Otsu threshold of a float image. Throws on an empty image or non-finite pixels.
    public static func threshold(_ image: Image<Float>) throws -> Float {
        try image.withUnsafeBufferPointer { try threshold(floatPixels: $0) }
    }

    public static func threshold(floatPixels p: UnsafeBufferPointer<Float>) throws -> Float {
        guard let first = p.first else {
            throw ParameterError.invalid(name: "image", value: "empty", reason: "Otsu needs at least one pixel")
        }
        if let bad = firstNonFinite(p) {
            throw ParameterError.invalid(name: "image", value: "\(bad)", reason: "Otsu needs finite pixel values")
        }
        var lo = first, hi = first
        for v in p {   // branch-free selects: vectorised
            lo = v < lo ? v : lo
            hi = v > hi ? v : hi
        }
        if lo == hi { return lo }
        let counts = floatHistogram(p, lo: lo, hi: hi)
        let edges = histogramEdges(lo: lo, hi: hi)
        var centres = [Float](repeating: 0, count: 256)
        for i in 0..<256 { centres[i] = (edges[i] + edges[i + 1]) / 2 }
        return centres[otsuIndexFloat32(counts.map { Float($0) }, centres: centres)]
    }

    /// Otsu threshold of an integer image (any `FixedWidthInteger` pixel type).
    @inlinable
    public static func threshold<Pixel: FixedWidthInteger>(_ image: Image<Pixel>) throws -> Pixel {
        try image.withUnsafeBufferPointer { p in
            guard let first = p.first else {
                throw ParameterError.invalid(name: "image", value: "empty", reason: "Otsu needs at least one pixel")
            }
            var lo = first, hi = first
            for v in p {
                if v < lo { lo = v }
                if v > hi { hi = v }
            }
            if lo == hi { return lo }
            let span = Int(hi) - Int(lo) + 1
            var counts = [Int](repeating: 0, count: span)
            let base = Int(lo)
            counts.withUnsafeMutableBufferPointer { c in
                for v in p { c[Int(v) - base] += 1 }
            }
            let idx = otsuIndexInteger(counts, firstValue: base)
            return Pixel(base + idx)
        }
    }

    /// The first NaN or infinity in `p`, if any. The scan is an OR of exponent tests over blocks
    /// (vectorised); only a block that holds a non-finite value is searched.
    public static func firstNonFinite(_ p: UnsafeBufferPointer<Float>) -> Float? {
        let n = p.count, block = 4096
        return p.withMemoryRebound(to: UInt32.self) { bits in
            var start = 0
            while start < n {
                let end = min(start + block, n)
                // an all-ones exponent plus one carries into the sign bit; no other does
                var any: UInt32 = 0
                for i in start..<end { any |= (bits[i] & 0x7F80_0000) &+ 0x0080_0000 }
                if any & 0x8000_0000 != 0 {
                    for i in start..<end where !p[i].isFinite { return p[i] }
                }
                start = end
            }
            return nil
        }
    }

    /// numpy `histogram(a, bins=256)` fast path for float32 data, exactly.
    static func floatHistogram(_ p: UnsafeBufferPointer<Float>, lo: Float, hi: Float) -> [Int] {
        let edges = histogramEdges(lo: lo, hi: hi)
        // numpy multiplies by 256 / (hi − lo) too; either way the index is then fixed by
        // comparing with the edges, which decide the bin exactly
        let norm = 256 / (hi - lo), denom = hi - lo
        let divide = !(norm.isFinite && norm < 1e30)   // a subnormal range: the product could overflow
        // four interleaved tables: runs of equal bins (the background) would otherwise chain
        // every increment on the previous one's store
        var tables = [Int32](repeating: 0, count: 4 * 256)
        edges.withUnsafeBufferPointer { e in
            tables.withUnsafeMutableBufferPointer { c in
                @inline(__always) func bin(_ v: Float) -> Int {
                    var i = divide ? Int(((v - lo) / denom) * 256) : Int((v - lo) * norm)
                    if i == 256 { i = 255 }
                    if v < e[i] { i -= 1 }
                    if i != 255 && v >= e[i + 1] { i += 1 }
                    return i
                }
                let n = p.count
                var k = 0
                while k + 4 <= n {
                    c[bin(p[k])] &+= 1
                    c[256 + bin(p[k + 1])] &+= 1
                    c[512 + bin(p[k + 2])] &+= 1
                    c[768 + bin(p[k + 3])] &+= 1
                    k += 4
                }
                while k < n { c[bin(p[k])] &+= 1; k += 1 }
            }
        }
        var counts = [Int](repeating: 0, count: 256)
        for i in 0..<256 {
            counts[i] = Int(tables[i]) + Int(tables[256 + i]) + Int(tables[512 + i]) + Int(tables[768 + i])
        }
        return counts
    }

    /// `np.linspace(lo, hi, 257, dtype=float32)` evaluated in float32 as numpy does.
    static func histogramEdges(lo: Float, hi: Float) -> [Float] {
        let step = (hi - lo) / 256
        var e = [Float](repeating: 0, count: 257)
        for i in 0..<257 {
            let y = Float(i) * step
            e[i] = y + lo
        }
        e[256] = hi
        return e
    }

    /// skimage's Otsu core with float32 arithmetic throughout (float images).
    static func otsuIndexFloat32(_ counts: [Float], centres: [Float]) -> Int {
        let n = counts.count
        var w1 = [Float](repeating: 0, count: n), w2 = [Float](repeating: 0, count: n)
        var m1 = [Float](repeating: 0, count: n), m2 = [Float](repeating: 0, count: n)
        var acc: Float = 0, accM: Float = 0
        for i in 0..<n {
            acc += counts[i]; w1[i] = acc
            accM += counts[i] * centres[i]; m1[i] = accM / acc
        }
        acc = 0; accM = 0
        for i in stride(from: n - 1, through: 0, by: -1) {
            acc += counts[i]; w2[i] = acc
            accM += counts[i] * centres[i]; m2[i] = accM / acc
        }
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<(n - 1) {
            let d = m1[i] - m2[i + 1]
            let v = (w1[i] * w2[i + 1]) * (d * d)
            if i == 0 || v > bestValue { bestValue = v; best = i }
        }
        return best
    }

    /// skimage's Otsu core for integer images: float32 cumulative counts, float64 means.
    @usableFromInline
    static func otsuIndexInteger(_ counts: [Int], firstValue: Int) -> Int {
        let n = counts.count
        var w1 = [Float](repeating: 0, count: n), w2 = [Float](repeating: 0, count: n)
        var m1 = [Double](repeating: 0, count: n), m2 = [Double](repeating: 0, count: n)
        var acc: Float = 0
        var accM: Double = 0
        for i in 0..<n {
            let c = Float(counts[i])
            acc += c; w1[i] = acc
            accM += Double(c) * Double(firstValue + i); m1[i] = accM / Double(acc)
        }
        acc = 0; accM = 0
        for i in stride(from: n - 1, through: 0, by: -1) {
            let c = Float(counts[i])
            acc += c; w2[i] = acc
            accM += Double(c) * Double(firstValue + i); m2[i] = accM / Double(acc)
        }
        var best = 0
        var bestValue = -Double.infinity
        for i in 0..<(n - 1) {
            let d = m1[i] - m2[i + 1]
            let v = Double(w1[i] * w2[i + 1]) * (d * d)
            if i == 0 || v > bestValue { bestValue = v; best = i }
        }
        return best
    }
}

/// Which side of the threshold is foreground.
public enum Polarity: String, Codable, Equatable, Hashable, Sendable, CaseIterable {
    /// Cells brighter than the background (fluorescence): foreground is `value > t`.
    case bright
    /// Cells darker than the background (phase contrast, bright field): foreground is `value <= t`.
    case dark
    /// Decide per image: the side of the threshold holding fewer pixels is foreground (cells cover
    /// less than half of a field of view). A tie goes to `dark`, as in the Python baseline.
    case auto
}

public enum Threshold {
    /// Number of pixels `> t` (what `apply` decides `auto` polarity on), without building a mask.
    static func countAbove(_ image: Image<Float>, threshold t: Float) -> Int {
        image.withUnsafeBufferPointer { p in
            var above = 0
            for v in p where v > t { above += 1 }
            return above
        }
    }

    /// The polarity `auto` means for `image`: `apply`'s rule with Otsu's threshold (or the fixed
    /// one), decided on every `ColonySegmenter.statisticsRowStep`-th row of frames beyond 4 MP
    /// (the same decision unless cells and background split nearly 50/50; a quarter of the work).
    static func autoPolarity(_ image: Image<Float>, fixedThreshold: Float?) throws -> Polarity {
        let sample = ColonySegmenter.statisticsSample(image)
        let t = try fixedThreshold ?? Otsu.threshold(sample)
        return resolvedPolarity(sample, threshold: t)
    }

    /// The polarity `apply` resolves `auto` to for threshold `t`.
    static func resolvedPolarity(_ image: Image<Float>, threshold t: Float) -> Polarity {
        let above = countAbove(image, threshold: t)
        return above < image.count - above ? .bright : .dark
    }

    /// Binary mask of foreground pixels (1) for threshold `t` and the polarity. Returns the mask
    /// and the polarity actually used (`auto` resolved).
    public static func apply(_ image: Image<Float>, threshold t: Float, polarity: Polarity) -> (mask: Mask, polarity: Polarity) {
        var out = [UInt8](repeating: 0, count: image.count)
        var above = 0
        image.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<p.count {
                    let a: UInt8 = p[i] > t ? 1 : 0
                    o[i] = a
                    above += Int(a)
                }
            }
        }
        var used = polarity
        if polarity == .auto { used = above < image.count - above ? .bright : .dark }
        if used == .dark {
            out.withUnsafeMutableBufferPointer { o in for i in 0..<o.count { o[i] ^= 1 } }
        }
        return (Mask(uncheckedWidth: image.width, height: image.height, pixels: out, pixelSize: image.pixelSize), used)
    }
}
