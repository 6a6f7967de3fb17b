import CellTrackCore
import Foundation

/// Everything that defines a synthetic movie. Same parameters (including `seed`) → the same
/// movie, byte for byte. Lengths are in µm, times in minutes, unless the name says otherwise.
///
/// Defaults imitate the phase-contrast E. coli micro-colony of `ecoli-trpL` (0.065 µm/px,
/// rods ≈ 50 px long and 20 px wide, dark cells with a bright halo, background ≈ 15 % of the
/// 16-bit range).
///
/// ```swift
/// var p = SynthParameters()
/// p.frames = 20; p.width = 128; p.height = 128; p.initialCells = 2
/// try p.validate()
/// ```
public struct SynthParameters: Codable, Equatable, Sendable {
    public enum Polarity: String, Codable, Sendable, CaseIterable {
        /// Phase-contrast-like: dark cells, bright halo, bright lines between touching cells.
        case dark
        /// Fluorescence-like: bright cells on a dark background.
        case bright
    }

    public enum DivisionRule: String, Codable, Sendable, CaseIterable {
        /// Divide after adding `addedLength` (± noise) since birth.
        case adder
        /// Divide on reaching `divisionLength` (± noise).
        case sizer
    }

    // MARK: movie
    /// Number of frames (default 40).
    public var frames: Int = 40
    /// Frame width in pixels (default 256).
    public var width: Int = 256
    /// Frame height in pixels (default 256).
    public var height: Int = 256
    /// µm per pixel (default 0.065, like ecoli-trpL).
    public var pixelSize: Double = 0.065
    /// Minutes between frames (default 3).
    public var interval: Double = 3
    /// Seed of every random draw (default 1).
    public var seed: UInt64 = 1

    // MARK: cells
    /// Cells at frame 0 (default 3), placed without overlap in the central part of the field.
    public var initialCells: Int = 3
    /// Shortest and longest doubling time in minutes; each cell cycle draws its growth rate
    /// μ = ln 2 / T with T uniform in this range (default 20–60).
    public var doublingTimeMin: Double = 20
    public var doublingTimeMax: Double = 60
    /// Division rule (default adder).
    public var divisionRule: DivisionRule = .adder
    /// Adder: length added between birth and division (default 3.0 µm).
    public var addedLength: Double = 3.0
    /// Sizer: length at division (default 6.0 µm).
    public var divisionLength: Double = 6.0
    /// Coefficient of variation of the added length / division length (default 0.1).
    public var divisionNoise: Double = 0.1
    /// Standard deviation of the daughters' length fraction around 1/2 (default 0.03).
    public var divisionAsymmetry: Double = 0.03
    /// Mean cell width (default 1.3 µm) and its coefficient of variation between cells (0.05).
    public var cellWidth: Double = 1.3
    public var cellWidthNoise: Double = 0.05
    /// Angle jitter of daughters at division, radians (default 0.05).
    public var divisionAngleJitter: Double = 0.05
    /// Position jitter of daughters at division, µm (default 0.03).
    public var divisionPositionJitter: Double = 0.03
    /// Brownian displacement per frame interval, µm (default 0.02), and rotation, radians (0.005).
    public var brownianStep: Double = 0.02
    public var brownianRotation: Double = 0.005
    /// Stage drift: mean displacement per frame in µm, in a direction drawn from the seed
    /// (default 0 = no drift). The drift path also wanders by 20 % of this per frame.
    public var drift: Double = 0

    // MARK: imaging
    /// Dark (phase-contrast-like) or bright (fluorescence-like) cells (default dark).
    public var polarity: Polarity = .dark
    /// Gaussian PSF standard deviation, µm (default 0.11 ≈ 1.7 px).
    public var psfSigma: Double = 0.11
    /// Phase contrast: cell interior relative to the background (default 0.42).
    public var cellTone: Double = 0.42
    /// Phase contrast: halo strength (default 1.3) and its Gaussian extent in µm (default 0.45).
    public var haloStrength: Double = 1.3
    public var haloSigma: Double = 0.45
    /// Phase contrast: bright gap drawn between touching cells, µm (default 0.11 ≈ 1.7 px).
    /// Calibrated, with the halo's outline weight (`FrameRenderer`), on annotated ecoli-trpL:
    /// the faintest lines between touching cells decide the segmentation errors, and their
    /// relative darkness (0 = background, 1 = cell core; 75th/90th percentile over the pixels
    /// between two cells) is 0.69/0.81 there and 0.63/0.82 in a dense synthetic colony.
    public var cellGap: Double = 0.11
    /// Fluorescence: cell signal relative to the background (default 3).
    public var fluorescenceSignal: Double = 3
    /// Vignetting: relative intensity loss at the corners (default 0.15).
    public var vignetting: Double = 0.15
    /// Linear illumination gradient across the field, relative (default 0.08).
    public var illuminationGradient: Double = 0.08
    /// Smooth background texture: relative standard deviation (default 0.02) and its
    /// correlation length in µm (default 1).
    public var backgroundTexture: Double = 0.02
    public var backgroundTextureScale: Double = 1
    /// Background grey level in output counts; nil = for dark cells 15 % of the 16-bit range or
    /// 43 % of the 8-bit range, for bright cells 4 % or 10 % (so cells do not saturate).
    public var background: Double? = nil
    /// Noise scale: 0 = the noise-free expected image, 1 = realistic (default 1).
    public var noise: Double = 1
    /// Photons collected at the background level (sets the Poisson shot noise; default 5000).
    public var photonsAtBackground: Double = 5000
    /// Gaussian read noise as a fraction of the background level (default 0.005).
    public var readNoise: Double = 0.005
    /// Debris particles (not cells, not in the truth) per 1000 µm² (default 8).
    public var debrisDensity: Double = 8
    /// Fraction of hot pixels per frame (default 2e-5).
    public var hotPixelFraction: Double = 2e-5
    /// Output sample size: 8 or 16 bits (default 16).
    public var bitDepth: Int = 16
    /// Write RGB as a Raspberry Pi camera does (8-bit, three channels with slightly different
    /// gains); requires `bitDepth == 8`.
    public var rgb: Bool = false

    public init() {}

    /// Background level in output counts (explicit or the bit-depth default).
    public var backgroundLevel: Double {
        if let background { return background }
        switch polarity {
        case .dark: return bitDepth == 8 ? 0.43 * 255 : 0.15 * 65535
        case .bright: return bitDepth == 8 ? 0.10 * 255 : 0.04 * 65535
        }
    }

    /// Largest value of the output sample type.
    public var maxCount: Double { bitDepth == 8 ? 255 : 65535 }

    /// Throws `ParameterError.invalid` for the first parameter outside its valid range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ reason: String) throws {
            if !ok { throw ParameterError.invalid(name: name, value: "\(value)", reason: reason) }
        }
        try check(frames >= 1 && frames <= 100_000, "frames", frames, "must be 1...100000")
        try check(width >= 8 && height >= 8, "size", "\(height)x\(width)", "must be at least 8x8")
        try check(width <= 65_536 && height <= 65_536, "size", "\(height)x\(width)", "must be at most 65536 per side")
        try check(pixelSize.isFinite && pixelSize > 0, "pixel-size", pixelSize, "must be > 0")
        try check(interval.isFinite && interval > 0, "interval", interval, "must be > 0")
        try check(initialCells >= 0 && initialCells <= 10_000, "cells", initialCells, "must be 0...10000")
        try check(doublingTimeMin.isFinite && doublingTimeMin > 0, "doubling-min", doublingTimeMin, "must be > 0")
        try check(doublingTimeMax.isFinite && doublingTimeMax >= doublingTimeMin, "doubling-max", doublingTimeMax,
                  "must be >= doubling-min")
        try check(addedLength > cellWidth, "added-length", addedLength, "must exceed the cell width")
        try check(divisionLength > 2 * cellWidth, "division-length", divisionLength, "must exceed twice the cell width")
        try check(divisionNoise >= 0 && divisionNoise <= 0.5, "division-noise", divisionNoise, "must be 0...0.5")
        try check(divisionAsymmetry >= 0 && divisionAsymmetry <= 0.1, "division-asymmetry", divisionAsymmetry,
                  "must be 0...0.1")
        try check(cellWidth > 0 && cellWidthNoise >= 0 && cellWidthNoise <= 0.3, "cell-width", cellWidth,
                  "width must be > 0 and its noise 0...0.3")
        try check(cellWidth / pixelSize >= 2, "cell-width", cellWidth, "must span at least 2 pixels")
        try check(divisionAngleJitter >= 0 && divisionPositionJitter >= 0 && brownianStep >= 0
                  && brownianRotation >= 0, "jitter", brownianStep, "jitters must be >= 0")
        try check(drift.isFinite && drift >= 0, "drift", drift, "must be >= 0")
        try check(psfSigma >= 0 && haloSigma >= 0 && haloStrength >= 0, "psf", psfSigma, "must be >= 0")
        try check(cellTone >= 0 && cellTone <= 2, "cell-tone", cellTone, "must be 0...2")
        try check(cellGap >= 0 && cellGap < cellWidth / 2, "cell-gap", cellGap, "must be 0...width/2")
        try check(fluorescenceSignal >= 0, "fluorescence-signal", fluorescenceSignal, "must be >= 0")
        try check(vignetting >= 0 && vignetting < 1, "vignetting", vignetting, "must be 0...1")
        try check(abs(illuminationGradient) < 1, "illumination-gradient", illuminationGradient, "must be in (-1, 1)")
        try check(backgroundTexture >= 0 && backgroundTexture < 0.5 && backgroundTextureScale > 0,
                  "background-texture", backgroundTexture, "must be 0...0.5 with a positive scale")
        try check(noise >= 0 && noise <= 100, "noise", noise, "must be 0...100")
        try check(photonsAtBackground > 0 && readNoise >= 0, "photons", photonsAtBackground, "must be > 0")
        try check(debrisDensity >= 0 && hotPixelFraction >= 0 && hotPixelFraction <= 0.5, "debris", debrisDensity,
                  "must be >= 0")
        try check(bitDepth == 8 || bitDepth == 16, "bit-depth", bitDepth, "must be 8 or 16")
        try check(!rgb || bitDepth == 8, "rgb", rgb, "RGB output is 8-bit (as a Pi camera writes it)")
        if let background {
            try check(background > 0 && background < maxCount, "background", background,
                      "must lie inside the sample range")
        }
    }
}

extension SynthParameters {
    /// Reads parameters from a JSON configuration: either a `SynthParameters` object or a
    /// `params.json` written by `celltrack synth` (its `"parameters"` member). Keys that are
    /// absent keep their defaults; unknown keys are an error (they are usually typos).
    ///
    /// ```swift
    /// let p = try SynthParameters.fromConfiguration(Data(#"{"frames": 10, "polarity": "bright"}"#.utf8))
    /// ```
    public static func fromConfiguration(_ data: Data, file: String = "configuration") throws -> SynthParameters {
        let problem = { (text: String) in InputError(file: file, problem: text) }
        guard var object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw problem("not a JSON object")
        }
        if let nested = object["parameters"] as? [String: Any] { object = nested }
        let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SynthParameters())) as! [String: Any]
        let known = Set(defaults.keys).union(["background"])
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw problem("unknown parameter '\(unknown)'")
        }
        let merged = defaults.merging(object) { _, given in given }
        do {
            let parameters = try JSONDecoder().decode(
                SynthParameters.self, from: JSONSerialization.data(withJSONObject: merged))
            try parameters.validate()
            return parameters
        } catch let error as ParameterError {
            throw problem(error.description)
        } catch {
            throw problem("wrong value type (\(error))")
        }
    }
}
