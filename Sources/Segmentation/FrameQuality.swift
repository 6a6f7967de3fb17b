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
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return FrameQuality(foregroundFraction: 0, meanIntensity: 0, focusMeasure: 0) }
        var sum = 0.0
        var lapSum = 0.0, lapSquares = 0.0
        var lapCount = 0
        image.withUnsafeBufferPointer { px in
            for k in 0..<(w * h) { sum += Double(px[k]) }
            do {
                if w >= 3 && h >= 3 {
                    for y in 1..<(h - 1) {
                        let row = y * w
                        for x in 1..<(w - 1) {
                            let k = row + x
                            let lap = Double(px[k - 1]) + Double(px[k + 1]) + Double(px[k - w]) + Double(px[k + w])
                                - 4 * Double(px[k])
                            lapSum += lap
                            lapSquares += lap * lap
                        }
                    }
                    lapCount = (w - 2) * (h - 2)
                }
            }
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
