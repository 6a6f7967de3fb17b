import CellTrackCore
import ImageIO
import Segmentation

/// `ScaleEstimate` on a movie whose pixel size is unknown, as `run` and `segment` use it: the
/// sample frames read by `reader` (and prepared by the caller, e.g. flat-field corrected); a
/// frame whose segmentation fails is named by file and frame like any other input error.
///
/// ```swift
/// if pixelSize == nil, let measured = try MovieScale.measure(reader, parameters: p) {
///     log(measured.note(doing: "segmenting"))   // pixel size unknown: cells measured 16.4 px wide …
///     segmentationPixelSize = measured.scale.pixelSize
/// }
/// ```
public enum MovieScale {
    public struct Measured: Sendable {
        public var scale: ScaleEstimate.Scale
        /// The frames the width was measured on.
        public var frames: [Int]

        /// The line that tells the user what was measured and what is done with it.
        public func note(doing what: String) -> String {
            "pixel size unknown: cells measured \(String(format: "%.1f", scale.widthPixels)) px wide on frames "
                + "\(frames.map(String.init).joined(separator: ", ")); \(what) at that scale"
        }
    }

    /// The measured scale; nil for the mother-machine method (its chambers set the scale), an
    /// empty movie, or too few rod-like objects.
    public static func measure(_ reader: MovieReader, parameters p: SegmentationParameters,
                               prepare: (GreyImage) throws -> GreyImage = { $0 }) throws -> Measured? {
        guard p.method != .mothermachine, reader.frameCount > 0 else { return nil }
        let frames = ScaleEstimate.sampleFrames(reader.frameCount)
        do {
            let scale = try ScaleEstimate.measure(count: frames.count, frame: { k in
                try prepare(try reader.readGrey(frames[k], keepingIntegers: Segmenter.readsIntegerFrames(p)).image)
            }, parameters: p)
            return scale.map { Measured(scale: $0, frames: frames) }
        } catch let failure as ScaleEstimate.FrameFailure {
            let source = reader.sources[frames[failure.sample]]
            throw InputError(file: source.path, frame: source.page, problem: "measuring the cell width: " + failure.problem)
        }
    }
}
