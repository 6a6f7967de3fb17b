import CellTrackCore
import Dispatch
import Foundation
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
    /// empty movie, or too few cells at every scale. The ladder's segmentations run on up to
    /// `workers` threads (each holds one frame's segmentation in memory).
    public static func measure(_ reader: MovieReader, parameters p: SegmentationParameters, workers: Int = 1,
                               prepare: (GreyImage) throws -> GreyImage = { $0 }) throws -> Measured? {
        guard p.method != .mothermachine, reader.frameCount > 0 else { return nil }
        let frames = ScaleEstimate.sampleFrames(reader.frameCount)
        do {
            let scale = try ScaleEstimate.measure(count: frames.count, frame: { k in
                try prepare(try reader.readGrey(frames[k], keepingIntegers: Segmenter.readsIntegerFrames(p)).image)
            }, parameters: p, parallel: { n, body in parallel(n, workers: workers, body) })
            return scale.map { Measured(scale: $0, frames: frames) }
        } catch let failure as ScaleEstimate.FrameFailure {
            let source = reader.sources[frames[failure.sample]]
            throw InputError(file: source.path, frame: source.page, problem: "measuring the cell width: " + failure.problem)
        }
    }

    /// `body(0)…body(n − 1)` on up to `workers` threads, items taken in index order.
    static func parallel(_ n: Int, workers: Int, _ body: (Int) -> Void) {
        let threads = min(max(1, workers), n)
        guard threads > 1 else { for i in 0..<n { body(i) }; return }
        let lock = NSLock()
        var next = 0
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                while true {
                    lock.lock(); let i = next; next += 1; lock.unlock()
                    if i >= n { return }
                    body(i)
                }
            }
        }
    }
}
