import CellTrackCore

/// Per-frame quality-control figures, stored with every frame so a user can find the frames
/// that went wrong (out of focus, empty, over-exposed) with one SQL query.
public struct FrameQuality: Sendable, Equatable {
    /// Fraction of pixels inside a cell.
    public var foregroundFraction: Double
    /// Mean grey value of the frame.
    public var meanIntensity: Double
    /// Variance of the 4-neighbour Laplacian divided by the squared mean (scale-free): high when
    /// sharp, low when blurred. Comparable between frames of one movie, not across microscopes.
    /// Frames beyond 4 MP: the Laplacian of every `ColonySegmenter.statisticsRowStep`-th row
    /// (still 3 million values at 12 MP).
    public var focusMeasure: Double

    /// ```swift
    /// let q = FrameQuality.measure(image: frame.image, labels: result.labels)
    /// ```
    /// `labels` must have the image's size.
    public static func measure(image: Image<Float>, labels: LabelImage) -> FrameQuality {
        precondition(image.width == labels.width && image.height == labels.height, "image and labels differ in size")
        var foreground = 0
        labels.withUnsafeBufferPointer { lab in for v in lab where v != 0 { foreground += 1 } }
        return measure(image: image, foregroundPixels: foreground)
    }

    /// The same figures when only the number of pixels inside cells is known (cells as runs).
    public static func measure(image: Image<Float>, foregroundPixels foreground: Int) -> FrameQuality {
        measureAny(image: image, foregroundPixels: foreground)
    }

    /// The same figures for a frame as read (integer frames read as they are).
    public static func measure(frame: GreyImage, foregroundPixels foreground: Int) -> FrameQuality {
        switch frame {
        case .float(let image): return measureAny(image: image, foregroundPixels: foreground)
        case .uint16(let image): return measureAny(image: image, foregroundPixels: foreground)
        case .uint8(let image): return measureAny(image: image, foregroundPixels: foreground)
        }
    }

    /// The exact sum of an 8- or 16-bit frame (nil for other pixel types): each row in 32-bit
    /// lanes (a row of under 65,537 px cannot overflow them), the rows in 64 bits.
    static func integerSum<P: GreyPixel>(_ base: UnsafePointer<P>, width w: Int, height h: Int) -> UInt64? {
        func rows<T: FixedWidthInteger & UnsignedInteger>(_ p: UnsafePointer<T>) -> UInt64? {
            guard w < 65_537 else { return nil }
            var total: UInt64 = 0
            for y in 0..<h {
                let row = p + y * w
                var rowSum: UInt32 = 0
                for x in 0..<w { rowSum &+= UInt32(row[x]) }
                total &+= UInt64(rowSum)
            }
            return total
        }
        if P.self == UInt16.self {
            return UnsafeRawPointer(base).withMemoryRebound(to: UInt16.self, capacity: w * h) { rows($0) }
        }
        if P.self == UInt8.self {
            return UnsafeRawPointer(base).withMemoryRebound(to: UInt8.self, capacity: w * h) { rows($0) }
        }
        return nil
    }

    /// The Laplacian sums of one row of an 8- or 16-bit frame (nil for other pixel types), in
    /// integers: every term and partial sum of the `Double` loop is a whole number below 2⁵³
    /// (|lap| ≤ 4 · 65 535, a row's squares ≤ 2⁴⁹), so that loop's sums are exact and these equal
    /// them, at a fraction of the cost.
    static func integerLaplacianRow<P: GreyPixel>(up: UnsafePointer<P>, mid: UnsafePointer<P>, down: UnsafePointer<P>,
                                                  width w: Int) -> (Double, Double)? {
        func sums<T: FixedWidthInteger & UnsignedInteger>(_ t: T.Type) -> (Double, Double)? {
            guard w < 65_537 else { return nil }
            let u = UnsafeRawPointer(up).assumingMemoryBound(to: T.self)
            let m = UnsafeRawPointer(mid).assumingMemoryBound(to: T.self)
            let d = UnsafeRawPointer(down).assumingMemoryBound(to: T.self)
            var s1: Int64 = 0, s2: Int64 = 0
            // pixel x + 1 for x in 0..<w − 2, through shifted row pointers (no checked index sums,
            // so the loop vectorises)
            let left = m, centre = m + 1, right = m + 2, above = u + 1, below = d + 1
            for x in 0..<(w - 2) {
                let lap = Int64(left[x]) &+ Int64(right[x]) &+ Int64(above[x]) &+ Int64(below[x]) &- 4 &* Int64(centre[x])
                s1 &+= lap
                s2 &+= lap &* lap
            }
            return (Double(s1), Double(s2))
        }
        if P.self == UInt16.self { return sums(UInt16.self) }
        if P.self == UInt8.self { return sums(UInt8.self) }
        return nil
    }

    static func measureAny<P: GreyPixel>(image: Image<P>, foregroundPixels foreground: Int) -> FrameQuality {
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return FrameQuality(foregroundFraction: 0, meanIntensity: 0, focusMeasure: 0) }
        // Row by row with four-lane accumulators (vectorisable): the focus measure is a QC figure,
        // deterministic but summed in this order rather than pixel by pixel.
        var sum = 0.0
        var lapSum = 0.0, lapSquares = 0.0
        var lapCount = 0
        image.withUnsafeBufferPointer { px in
            let base = px.baseAddress!
            // Integer frames: the sum in integers is the same number (every partial sum of the
            // Double loop below is an integer under 2⁵³, so exact) at a fraction of the cost.
            if let integerSum = Self.integerSum(base, width: w, height: h) {
                sum = Double(integerSum)
            } else {
                sum = 0
                for y in 0..<h {
                    let row = base + y * w
                    var acc = SIMD4<Double>(repeating: 0)
                    var x = 0
                    while x + 4 <= w {
                        acc += SIMD4<Double>(row[x].doubleValue, row[x + 1].doubleValue, row[x + 2].doubleValue, row[x + 3].doubleValue)
                        x += 4
                    }
                    var rowSum = acc.sum()
                    while x < w { rowSum += row[x].doubleValue; x += 1 }
                    sum += rowSum
                }
            }
            guard w >= 3 && h >= 3 else { return }
            let step = ColonySegmenter.statisticsRowStep(pixels: w * h)
            for y in stride(from: 1, to: h - 1, by: step) {
                let up = base + (y - 1) * w, mid = base + y * w, down = base + (y + 1) * w
                if let (a1, a2) = Self.integerLaplacianRow(up: up, mid: mid, down: down, width: w) {
                    lapSum += a1
                    lapSquares += a2
                    continue
                }
                var s1 = SIMD4<Double>(repeating: 0), s2 = SIMD4<Double>(repeating: 0)
                var x = 1
                while x + 4 <= w - 1 {
                    let l = SIMD4<Double>(mid[x - 1].doubleValue, mid[x].doubleValue, mid[x + 1].doubleValue, mid[x + 2].doubleValue)
                    let r = SIMD4<Double>(mid[x + 1].doubleValue, mid[x + 2].doubleValue, mid[x + 3].doubleValue, mid[x + 4].doubleValue)
                    let u = SIMD4<Double>(up[x].doubleValue, up[x + 1].doubleValue, up[x + 2].doubleValue, up[x + 3].doubleValue)
                    let d = SIMD4<Double>(down[x].doubleValue, down[x + 1].doubleValue, down[x + 2].doubleValue, down[x + 3].doubleValue)
                    let c = SIMD4<Double>(mid[x].doubleValue, mid[x + 1].doubleValue, mid[x + 2].doubleValue, mid[x + 3].doubleValue)
                    let lap = l + r + u + d - 4 * c
                    s1 += lap
                    s2 += lap * lap
                    x += 4
                }
                var a1 = s1.sum(), a2 = s2.sum()
                while x < w - 1 {
                    let lap = mid[x - 1].doubleValue + mid[x + 1].doubleValue + up[x].doubleValue + down[x].doubleValue - 4 * mid[x].doubleValue
                    a1 += lap; a2 += lap * lap
                    x += 1
                }
                lapSum += a1
                lapSquares += a2
            }
            lapCount = (w - 2) * ((h - 3) / step + 1)
        }
        let mean = sum / Double(w * h)
        var focus = 0.0
        if lapCount > 0 {
            let lapMean = lapSum / Double(lapCount)
            let variance = max(0, lapSquares / Double(lapCount) - lapMean * lapMean)
            focus = mean != 0 ? variance / (mean * mean) : variance
        }
        return FrameQuality(foregroundFraction: Double(foreground) / Double(w * h), meanIntensity: mean,
                            focusMeasure: focus)
    }
}
