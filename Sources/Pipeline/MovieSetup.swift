import CellTrackCore
import ImageIO
import Segmentation

/// What the images decide for a movie before its frames are segmented, the same for `run` and
/// `segment`: with `--method auto`, the mother-machine method for a chip (`MovieMethod`); and the
/// segmentation's scale when the pixel size is unknown, or comes from the files and cannot be the
/// microscope's for these cells (`MovieScale`).
///
/// ```swift
/// let setup = try MovieSetup.resolve(reader, parameters: p, pixelSizeUm: px, fromFiles: flag == nil,
///                                    workers: 2, doing: "segmenting")
/// setup.notes.forEach(log)
/// segment(with: setup.parameters, pixelSize: setup.segmentationPixelSize ?? px)
/// ```
public struct MovieSetup: Sendable {
    /// The segmentation parameters to use (the mother-machine method on a chip).
    public var parameters: SegmentationParameters
    /// The pixel size to segment and link with when it is not the movie's own (measured on the
    /// images); nil: the movie's.
    public var segmentationPixelSize: Double? = nil
    /// The cell width (px) chosen on the images, when one was.
    public var measuredWidthPx: Double? = nil
    /// What to tell the user, a line each.
    public var notes: [String] = []

    /// - Parameters:
    ///   - pixelSizeUm: the movie's pixel size (a flag's, else the files'), if any.
    ///   - fromFiles: it came from the files, so it may be set aside (`fileScaleIsUnusable`).
    ///   - doing: what the notes say is done at a measured scale ("segmenting").
    ///   - readFrame: how `MovieMethod` reads a frame (`run` keeps frame 0 for its first worker).
    ///   - prepare: applied to the frames the scale is measured on (a flat-field correction).
    public static func resolve(_ reader: MovieReader, parameters p: SegmentationParameters, pixelSizeUm: Double?,
                               fromFiles: Bool, workers: Int, doing: String,
                               readFrame: ((Int) throws -> GreyImage)? = nil,
                               prepare: (GreyImage) throws -> GreyImage = { $0 }) throws -> MovieSetup {
        var setup = MovieSetup(parameters: p)
        if let chip = try MovieMethod.motherMachine(reader, parameters: p, pixelSizeUm: pixelSizeUm, frame: readFrame) {
            setup.parameters = chip.parameters
            setup.notes.append(chip.note)
            if chip.widthMeasured {
                setup.segmentationPixelSize = chip.pixelSize
                setup.measuredWidthPx = chip.widthPixels
            }
        }
        let setAside = fromFiles && MovieScale.fileScaleIsUnusable(pixelSizeUm, parameters: setup.parameters)
        if pixelSizeUm == nil || setAside,
           var measured = try MovieScale.measure(reader, parameters: setup.parameters, workers: workers, prepare: prepare) {
            if setAside { measured.setAsideUm = pixelSizeUm }
            setup.segmentationPixelSize = measured.scale.pixelSize
            // the ladder's polarity, decided once for the movie, holds for every frame
            if let polarity = measured.scale.polarity { setup.parameters.polarity = polarity }
            setup.measuredWidthPx = measured.scale.widthPixels
            setup.notes.append(measured.note(doing: doing))
        }
        return setup
    }
}
