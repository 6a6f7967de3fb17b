import CellTrackCore

/// The segmentation scale of a movie whose pixel size is unknown, measured on its own cells
/// (issue 5: "the expected cell width, from `--pixel-size` and a default E. coli width, or
/// estimated from the image").
///
/// Why: every size in the segmentation follows the expected cell width w = `cellWidthUm` / pixel
/// size. Without a pixel size it falls back to `Segmenter.defaultPixelSize` (w = 10 px at
/// 1 µm), and a movie whose cells are 17 px wide then loses a third of its score (ecoli-trpL:
/// SEG 0.62, F1 0.54 instead of 0.81, 0.93).
///
/// How: segment a few frames at the current scale, measure the width of the rod-like objects
/// (major axis ≥ 1.5 × minor axis; a rod of width w has a minor axis of 4w/√12; merged blobs left
/// out, `rodWidth`), and segment again at that width until it moves by 10 % or less (at most
/// three rounds).
/// The result is a pixel size for the segmentation only: the movie's µm columns stay empty, since
/// the true pixel size is still unknown.
///
/// ```swift
/// if let scale = try ScaleEstimate.measure(count: 3, frame: { frames[$0] }, parameters: p) {
///     result = try Segmenter.segment(frame, parameters: p, pixelSize: scale.pixelSize)
/// }
/// ```
public enum ScaleEstimate {
    /// The estimate: the pixel size to segment with, and the cell width (px) it stands for.
    public struct Scale: Equatable, Sendable {
        public var pixelSize: Double
        public var widthPixels: Double
    }

    /// The frames a movie's scale is measured on: the first, the middle and the last (a growing
    /// colony has most cells at its end), each once.
    public static func sampleFrames(_ frameCount: Int) -> [Int] {
        var out: [Int] = []
        for k in [0, frameCount / 2, frameCount - 1] where k >= 0 && !out.contains(k) { out.append(k) }
        return out
    }

    /// Segmenting the `sample`-th frame given to `measure` failed (its pixels, e.g. not finite);
    /// the caller knows which file and frame that is.
    public struct FrameFailure: Error, Sendable {
        public var sample: Int
        public var problem: String
    }

    /// A rod's minor axis (4·√(w²/12) for width w) per unit of width.
    static let minorAxisPerWidth = 4 / 12.0.squareRoot()
    /// Fewer rod-like objects than this give no estimate.
    static let minimumObjects = 3

    /// The width (px) of the rod-like objects among `regions`: the median of those no wider than
    /// 1.5 × the lower quartile of all their widths. At a wrong scale a dense colony comes out as
    /// merged blobs, wider than its cells (the trpL crop at 10 px: median 35 px for cells of 17),
    /// while fragments keep their rod's width; the quartile finds the single cells and the median
    /// of those measures them. nil when there are fewer than `minimumObjects` rod-like objects.
    public static func rodWidth(_ regions: [Region]) -> Double? {
        let widths = regions.compactMap { r -> Double? in
            guard r.minorAxisLength > 0, r.majorAxisLength >= 1.5 * r.minorAxisLength else { return nil }
            return r.minorAxisLength / minorAxisPerWidth
        }.sorted()
        guard widths.count >= minimumObjects else { return nil }
        let singles = widths.filter { $0 <= 1.5 * Quantile.linear(widths, 0.25) }   // sorted, never empty
        return Quantile.linear(singles, 0.5)
    }

    /// The scale measured on `count` frames, loaded one at a time by `frame(k)` (see the type's
    /// notes); nil when the first round finds too few rod-like objects. Deterministic: the same
    /// frames and parameters give the same scale.
    public static func measure(count: Int, frame: (Int) throws -> GreyImage,
                               parameters p: SegmentationParameters) throws -> Scale? {
        let cellWidthUm = p.colony.cellWidthUm
        var pixelSize = Segmenter.defaultPixelSize
        var estimate: Scale? = nil
        for _ in 0..<3 {
            var regions: [Region] = []
            for k in 0..<count {
                let image = try frame(k)
                do {
                    regions += try Segmenter.segment(image, parameters: p, pixelSize: pixelSize).regions
                } catch let error as ParameterError {
                    throw FrameFailure(sample: k, problem: error.description)
                }
            }
            guard let width = rodWidth(regions) else { return estimate }
            let next = Scale(pixelSize: cellWidthUm / width, widthPixels: width)
            estimate = next
            if abs(next.pixelSize / pixelSize - 1) <= 0.1 { break }
            pixelSize = next.pixelSize
        }
        return estimate
    }
}
