import CellTrackCore
import Foundation
import ImageIO
import Segmentation

/// `--method auto` on a whole movie: a mother machine when its first, middle and last frames all
/// show a chip's row of chambers (`MotherMachine.showsChip`: at least six evenly spaced lumens
/// standing out by 8 %), so that a lab's chip movie run with the defaults is read chamber by
/// chamber instead of as one colony (DeLTA's test movie: 2–4 cells per frame as a colony, ~90
/// with the mother-machine method). Anything else stays `auto` (colony for dark cells, the recipe
/// for bright). Decided once per movie, so every frame is segmented alike, and deterministically,
/// so a resumed run decides the same.
///
/// ```swift
/// if let chip = try MovieMethod.motherMachine(reader, parameters: p, pixelSizeUm: px) {
///     log(chip.note)
///     p = chip.parameters
///     if chip.widthMeasured { px = chip.pixelSize }   // the segmentation's scale only
/// }
/// ```
public enum MovieMethod {
    /// A mother machine found.
    public struct Chip: Sendable {
        /// The parameters with the mother-machine method.
        public var parameters: SegmentationParameters
        /// The cell width (px) at which the chambers were found.
        public var widthPixels: Double
        /// True when the pixel size was unknown or unusable, so the width was one of
        /// `unknownScaleWidths` and the segmentation must run at it (`pixelSize`).
        public var widthMeasured: Bool

        /// The pixel size that makes a cell of `cellWidthUm` `widthPixels` wide.
        public var pixelSize: Double { parameters.colony.cellWidthUm / widthPixels }

        /// What is said when the chip is found.
        public var note: String {
            widthMeasured
                ? "method auto: the frames show a mother machine's chambers, at a cell width of \(String(format: "%g", widthPixels)) px "
                    + "(no usable pixel size); segmenting with --method mothermachine at that scale"
                : "method auto: the frames show a mother machine's chambers; segmenting with --method mothermachine"
        }
    }

    /// Cell widths (px) tried, in this order, when the pixel size is unknown or unusable: the
    /// default scale's 10 px first, then outwards. The chamber search finds DeLTA's chip (cells
    /// 7.7 px wide) at 10 px, the same frames enlarged 2× only at 14 px or more.
    public static let unknownScaleWidths: [Double] = [10, 7, 14, 5, 20, 28, 40]

    /// The chip when `p.method` is auto and every sample frame shows one; nil otherwise. The
    /// chambers are looked for at the cell width `pixelSizeUm` gives, or, when it is unknown or
    /// unusable (`MovieScale.fileScaleIsUnusable`), at each of `unknownScaleWidths` until one
    /// finds them. `frame(k)` reads frame k as `MovieReader.readGrey` does (integers kept):
    /// `run` keeps the first one for its first segmentation instead of decoding it twice.
    public static func motherMachine(_ reader: MovieReader, parameters p: SegmentationParameters,
                                     pixelSizeUm: Double?,
                                     frame: ((Int) throws -> GreyImage)? = nil) throws -> Chip? {
        guard p.method == .auto, reader.frameCount > 0 else { return nil }
        let usable = pixelSizeUm.flatMap { MovieScale.fileScaleIsUnusable($0, parameters: p) ? nil : $0 }
        let widths = usable.map { [p.colony.cellWidthUm / $0] } ?? unknownScaleWidths
        let read = frame ?? { try reader.readGrey($0).image }
        // frame 0 is read once whatever the widths tried (a colony fails on it at every width)
        let samples = ScaleEstimate.sampleFrames(reader.frameCount)
        let first = try read(samples[0])
        for width in widths {
            var all = MotherMachine.showsChip(first, widthPixels: width)
            for k in samples.dropFirst() where all {
                all = MotherMachine.showsChip(try read(k), widthPixels: width)
            }
            if all {
                var chip = p
                chip.method = .mothermachine
                return Chip(parameters: chip, widthPixels: width, widthMeasured: usable == nil)
            }
        }
        return nil
    }
}

/// A decoded frame handed from the thread that read it to the one worker that segments it, once;
/// then released, so it does not stay in memory for the rest of the movie.
final class FrameHandOff: @unchecked Sendable {
    private let lock = NSLock()
    private var frame: (index: Int, image: GreyImage)?

    init(index: Int, image: GreyImage) { frame = (index, image) }

    /// The frame if it is `index` and not yet taken.
    func take(_ index: Int) -> GreyImage? {
        lock.lock(); defer { lock.unlock() }
        guard let f = frame, f.index == index else { return nil }
        frame = nil
        return f.image
    }
}
