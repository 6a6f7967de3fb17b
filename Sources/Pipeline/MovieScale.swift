import CellTrackCore
import Dispatch
import Foundation
import ImageIO
import Segmentation

/// `ScaleEstimate` on a movie whose pixel size is unknown, as `run` and `segment` use it (through
/// `MovieSetup`): the
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

        /// The file's pixel size (µm) when it was set aside as unusable (`fileScaleIsUnusable`);
        /// nil when the movie has none.
        public var setAsideUm: Double? = nil

        /// The line that tells the user what was measured and what is done with it.
        public func note(doing what: String) -> String {
            let why = setAsideUm.map { "the file's pixel size (\(String(format: "%g", $0)) µm) is not usable for these cells" }
                ?? "pixel size unknown"
            let cells = scale.polarity.map { "\($0.rawValue) cells" } ?? "cells"
            return why + ": \(cells) measured \(String(format: "%.1f", scale.widthPixels)) px wide on frames "
                + "\(frames.map(String.init).joined(separator: ", ")); \(what) at that scale"
        }
    }

    /// Cell widths (px) at which a pixel size read from a file is used as it is. Outside this
    /// range the file's calibration cannot be the microscope's for cells of `cellWidthUm` (an
    /// image program's 1 µm per pixel default; psc-phc's 1.6 µm per pixel, a stem-cell
    /// objective's, makes 1-µm bacteria 0.6 px wide), and no segmentation works at that scale.
    public static let usableWidthsPx = 3.0...150.0

    /// True when `pixelSizeUm`, read from the movie's files, gives cells of the expected width
    /// outside `usableWidthsPx`: the width is then measured as when the pixel size is unknown,
    /// and the µm columns keep the file's pixel size. Never for the mother-machine method.
    public static func fileScaleIsUnusable(_ pixelSizeUm: Double?, parameters p: SegmentationParameters) -> Bool {
        guard let pixelSizeUm, p.method != .mothermachine else { return false }
        return !usableWidthsPx.contains(p.colony.cellWidthUm / pixelSizeUm)
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

    /// `body(0)…body(n − 1)` on up to `workers` threads, items taken in index order. (Not
    /// `OrderedParallel`: `ScaleEstimate`'s body is a non-escaping closure that fills its slots.)
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
