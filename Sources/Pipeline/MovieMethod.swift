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
///     log(MovieMethod.note)
///     p = chip
/// }
/// ```
public enum MovieMethod {
    /// What is said when the chip is found.
    public static let note = "method auto: the frames show a mother machine's chambers; segmenting with --method mothermachine"

    /// `p` with the mother-machine method when `p.method` is auto and every sample frame shows a
    /// chip; nil otherwise. The chambers are looked for at the cell width `pixelSizeUm` gives
    /// (`Segmenter.defaultPixelSize` when it is unknown or unusable, `MovieScale`).
    /// `frame(k)` reads frame k as `MovieReader.readGrey` does (integers kept): `run` keeps the
    /// first one for its first segmentation instead of decoding it twice.
    public static func motherMachine(_ reader: MovieReader, parameters p: SegmentationParameters,
                                     pixelSizeUm: Double?,
                                     frame: ((Int) throws -> GreyImage)? = nil) throws -> SegmentationParameters? {
        guard p.method == .auto, reader.frameCount > 0 else { return nil }
        let usable = pixelSizeUm.flatMap { MovieScale.fileScaleIsUnusable($0, parameters: p) ? nil : $0 }
        let widthPixels = p.colony.cellWidthUm / (usable ?? Segmenter.defaultPixelSize)
        let read = frame ?? { try reader.readGrey($0).image }
        for k in ScaleEstimate.sampleFrames(reader.frameCount) {
            guard MotherMachine.showsChip(try read(k), widthPixels: widthPixels) else { return nil }
        }
        var chip = p
        chip.method = .mothermachine
        return chip
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
