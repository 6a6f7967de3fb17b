import CellTrackCore
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
    public static func motherMachine(_ reader: MovieReader, parameters p: SegmentationParameters,
                                     pixelSizeUm: Double?) throws -> SegmentationParameters? {
        guard p.method == .auto, reader.frameCount > 0 else { return nil }
        let usable = pixelSizeUm.flatMap { MovieScale.fileScaleIsUnusable($0, parameters: p) ? nil : $0 }
        let widthPixels = p.colony.cellWidthUm / (usable ?? Segmenter.defaultPixelSize)
        for k in ScaleEstimate.sampleFrames(reader.frameCount) {
            guard MotherMachine.showsChip(try reader.readFrame(k).image, widthPixels: widthPixels) else { return nil }
        }
        var chip = p
        chip.method = .mothermachine
        return chip
    }
}
