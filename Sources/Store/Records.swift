import CellTrackCore
import Lineage

// Plain row structs, one per table. They mirror schema.sql column for column (units in the names)
// and depend on nothing but CellTrackCore, so the pipeline converts its Tracking/Lineage values
// into them.

/// One invocation (`run` table). The resume key is the tool version, the command line, the
/// parameters and the input fingerprint: all four equal → the unfinished run is resumed.
///
/// ```swift
/// let run = RunRecord(commandLine: "celltrack run movie.tif --db out.db",
///                     parametersJSON: #"{"threshold":"otsu"}"#, inputFingerprint: "movie.tif:123456:1700000000")
/// ```
public struct RunRecord: Equatable, Sendable {
    public var toolVersion: String
    /// The command as typed, without options that do not change results (such as `--db`), so a
    /// resumed run is recognised. Deciding which options those are is the caller's business.
    public var commandLine: String
    /// The effective parameters as JSON (the provenance users read back).
    public var parametersJSON: String
    /// Identifies the inputs, e.g. paths with sizes and modification times, or content hashes.
    public var inputFingerprint: String

    public init(toolVersion: String = CellTrackVersion.string, commandLine: String,
                parametersJSON: String, inputFingerprint: String) {
        self.toolVersion = toolVersion
        self.commandLine = commandLine
        self.parametersJSON = parametersJSON
        self.inputFingerprint = inputFingerprint
    }

    /// 16 hex digits of FNV-1a-64 over the four fields (NUL-separated). Used as an index key;
    /// the fields themselves are compared too, so a collision cannot mix runs.
    public var parameterHash: String {
        StableHash.fnv1a64Hex([toolVersion, commandLine, parametersJSON, inputFingerprint].joined(separator: "\u{0}"))
    }
}

/// An input series (`movie` table). Unknown pixel size or interval → nil (the µm / per-hour
/// columns are then NULL).
public struct MovieRecord: Equatable, Sendable {
    public var name: String
    public var sourcePaths: [String]
    public var widthPx: Int
    public var heightPx: Int
    /// Frames expected (for a folder still being acquired: the number seen so far).
    public var frameCount: Int
    public var pixelSizeUm: Double?
    public var frameIntervalMin: Double?
    /// At least one name; channel index i of `CellRecord.channels` is `channelNames[i]`.
    public var channelNames: [String]
    /// A hash of the input content (or fingerprint) of this series.
    public var inputHash: String

    public init(name: String, sourcePaths: [String], widthPx: Int, heightPx: Int, frameCount: Int,
                pixelSizeUm: Double?, frameIntervalMin: Double?, channelNames: [String] = ["phase"],
                inputHash: String) {
        self.name = name
        self.sourcePaths = sourcePaths
        self.widthPx = widthPx
        self.heightPx = heightPx
        self.frameCount = frameCount
        self.pixelSizeUm = pixelSizeUm
        self.frameIntervalMin = frameIntervalMin
        self.channelNames = channelNames
        self.inputHash = inputHash
    }
}

/// One frame with its QC figures (`frame` table).
public struct FrameRecord: Equatable, Sendable {
    public var frameIndex: Int
    public var timeMin: Double?
    public var sourcePath: String
    public var sourcePage: Int
    public var foregroundFraction: Double
    public var cellCount: Int
    public var meanIntensity: Double
    public var focusMeasure: Double
    public var processingMs: Double

    public init(frameIndex: Int, timeMin: Double?, sourcePath: String, sourcePage: Int,
                foregroundFraction: Double, cellCount: Int, meanIntensity: Double,
                focusMeasure: Double, processingMs: Double) {
        self.frameIndex = frameIndex
        self.timeMin = timeMin
        self.sourcePath = sourcePath
        self.sourcePage = sourcePage
        self.foregroundFraction = foregroundFraction
        self.cellCount = cellCount
        self.meanIntensity = meanIntensity
        self.focusMeasure = focusMeasure
        self.processingMs = processingMs
    }
}

/// Intensity of one cell in one channel (`cell_channel` table).
public struct ChannelIntensity: Equatable, Sendable {
    public var mean: Double
    public var total: Double
    public var min: Double
    public var max: Double
    /// Mean minus the local background, when the pipeline estimated one.
    public var backgroundCorrectedMean: Double?

    public init(mean: Double, total: Double, min: Double, max: Double, backgroundCorrectedMean: Double? = nil) {
        self.mean = mean
        self.total = total
        self.min = min
        self.max = max
        self.backgroundCorrectedMean = backgroundCorrectedMean
    }
}

/// One cell in one frame (`cell` table plus its `cell_channel` rows). Bounding box half-open.
public struct CellRecord: Equatable, Sendable {
    public var label: UInt32
    public var areaPx: Int
    public var areaUm2: Double?
    public var centroidXPx: Double
    public var centroidYPx: Double
    public var centroidXUm: Double?
    public var centroidYUm: Double?
    public var bbox: MaskRLE.BoundingBox
    public var lengthPx: Double
    public var widthPx: Double
    public var lengthUm: Double?
    public var widthUm: Double?
    public var orientationRad: Double
    public var majorAxisPx: Double
    public var minorAxisPx: Double
    public var perimeterPx: Double
    /// Index i is channel i of the movie.
    public var channels: [ChannelIntensity]
    /// `MaskRLE.encode` of the cell inside `bbox`.
    public var maskRLE: [UInt8]
    /// Set when the lineage is written (`Store.replaceLineage`); nil before.
    public var trackID: Int?
    public var growthRateLengthPerH: Double?

    public init(label: UInt32, areaPx: Int, areaUm2: Double?, centroidXPx: Double, centroidYPx: Double,
                centroidXUm: Double?, centroidYUm: Double?, bbox: MaskRLE.BoundingBox,
                lengthPx: Double, widthPx: Double, lengthUm: Double?, widthUm: Double?,
                orientationRad: Double, majorAxisPx: Double, minorAxisPx: Double, perimeterPx: Double,
                channels: [ChannelIntensity], maskRLE: [UInt8],
                trackID: Int? = nil, growthRateLengthPerH: Double? = nil) {
        self.label = label
        self.areaPx = areaPx
        self.areaUm2 = areaUm2
        self.centroidXPx = centroidXPx
        self.centroidYPx = centroidYPx
        self.centroidXUm = centroidXUm
        self.centroidYUm = centroidYUm
        self.bbox = bbox
        self.lengthPx = lengthPx
        self.widthPx = widthPx
        self.lengthUm = lengthUm
        self.widthUm = widthUm
        self.orientationRad = orientationRad
        self.majorAxisPx = majorAxisPx
        self.minorAxisPx = minorAxisPx
        self.perimeterPx = perimeterPx
        self.channels = channels
        self.maskRLE = maskRLE
        self.trackID = trackID
        self.growthRateLengthPerH = growthRateLengthPerH
    }

    /// A cell from a measured region: µm columns from `pixelSizeUm` (nil → NULL), the region's
    /// intensities as channel 0 followed by `extraChannels`, and the mask encoded from `labels`.
    ///
    /// ```swift
    /// let cells = regions.map { CellRecord(region: $0, pixelSizeUm: 0.065, labels: labelImage) }
    /// ```
    public init(region r: Region, pixelSizeUm: Double?, labels: LabelImage, extraChannels: [ChannelIntensity] = []) {
        let box = MaskRLE.BoundingBox(r)
        self.init(region: r, pixelSizeUm: pixelSizeUm, maskRLE: MaskRLE.encode(labels: labels, label: r.label, bbox: box),
                  extraChannels: extraChannels)
    }

    /// The same record from the cell's runs (its pixels; `region` measured from them), without a
    /// label image.
    public init<C: Collection>(region r: Region, pixelSizeUm: Double?, runs: C, extraChannels: [ChannelIntensity] = [])
        where C.Element == LabelRuns.Run {
        self.init(region: r, pixelSizeUm: pixelSizeUm, maskRLE: MaskRLE.encode(runs: runs, bbox: MaskRLE.BoundingBox(r)),
                  extraChannels: extraChannels)
    }

    init(region r: Region, pixelSizeUm: Double?, maskRLE: [UInt8], extraChannels: [ChannelIntensity]) {
        let box = MaskRLE.BoundingBox(r)
        let s = pixelSizeUm
        self.init(label: r.label, areaPx: r.area, areaUm2: s.map { Double(r.area) * $0 * $0 },
                  centroidXPx: r.centroidX, centroidYPx: r.centroidY,
                  centroidXUm: s.map { r.centroidX * $0 }, centroidYUm: s.map { r.centroidY * $0 },
                  bbox: box, lengthPx: r.length, widthPx: r.width,
                  lengthUm: s.map { r.length * $0 }, widthUm: s.map { r.width * $0 },
                  orientationRad: r.orientation, majorAxisPx: r.majorAxisLength, minorAxisPx: r.minorAxisLength,
                  perimeterPx: r.perimeter,
                  channels: [ChannelIntensity(mean: r.meanIntensity, total: r.totalIntensity,
                                              min: r.minIntensity, max: r.maxIntensity)] + extraChannels,
                  maskRLE: maskRLE)
    }
}

/// One cell cycle (`track` table). Track ids are per movie, from 1; they are the CTC labels.
public struct TrackRecord: Equatable, Sendable {
    public var trackID: Int
    public var parentTrackID: Int?
    public var rootTrackID: Int
    public var generation: Int
    public var firstFrameIndex: Int
    public var lastFrameIndex: Int
    public var fate: TrackFate
    public var birthLengthUm: Double?
    public var divisionLengthUm: Double?
    public var addedLengthUm: Double?
    public var birthAreaUm2: Double?
    public var divisionAreaUm2: Double?
    public var growthRateLengthPerH: Double?
    public var growthRateLengthStderrPerH: Double?
    public var growthRateLengthR2: Double?
    public var growthRateAreaPerH: Double?
    public var growthRateAreaStderrPerH: Double?
    public var growthRateAreaR2: Double?
    public var growthFitPoints: Int
    public var doublingTimeH: Double?

    public init(trackID: Int, parentTrackID: Int?, rootTrackID: Int, generation: Int,
                firstFrameIndex: Int, lastFrameIndex: Int, fate: TrackFate,
                birthLengthUm: Double? = nil, divisionLengthUm: Double? = nil, addedLengthUm: Double? = nil,
                birthAreaUm2: Double? = nil, divisionAreaUm2: Double? = nil,
                growthRateLengthPerH: Double? = nil, growthRateLengthStderrPerH: Double? = nil,
                growthRateLengthR2: Double? = nil, growthRateAreaPerH: Double? = nil,
                growthRateAreaStderrPerH: Double? = nil, growthRateAreaR2: Double? = nil,
                growthFitPoints: Int = 0, doublingTimeH: Double? = nil) {
        self.trackID = trackID
        self.parentTrackID = parentTrackID
        self.rootTrackID = rootTrackID
        self.generation = generation
        self.firstFrameIndex = firstFrameIndex
        self.lastFrameIndex = lastFrameIndex
        self.fate = fate
        self.birthLengthUm = birthLengthUm
        self.divisionLengthUm = divisionLengthUm
        self.addedLengthUm = addedLengthUm
        self.birthAreaUm2 = birthAreaUm2
        self.divisionAreaUm2 = divisionAreaUm2
        self.growthRateLengthPerH = growthRateLengthPerH
        self.growthRateLengthStderrPerH = growthRateLengthStderrPerH
        self.growthRateLengthR2 = growthRateLengthR2
        self.growthRateAreaPerH = growthRateAreaPerH
        self.growthRateAreaStderrPerH = growthRateAreaStderrPerH
        self.growthRateAreaR2 = growthRateAreaR2
        self.growthFitPoints = growthFitPoints
        self.doublingTimeH = doublingTimeH
    }
}

/// A division (`division` table). `frameIndex` is the daughters' first frame. The store orders the
/// daughters by track id (swapping their overlap fractions with them).
public struct DivisionRecord: Equatable, Sendable {
    public var motherTrackID: Int
    public var daughter1TrackID: Int
    public var daughter2TrackID: Int
    public var frameIndex: Int
    public var daughter1OverlapFraction: Double
    public var daughter2OverlapFraction: Double
    /// (area of daughter 1 + area of daughter 2) / area of the mother.
    public var sizeRatio: Double

    public init(motherTrackID: Int, daughter1TrackID: Int, daughter2TrackID: Int, frameIndex: Int,
                daughter1OverlapFraction: Double, daughter2OverlapFraction: Double, sizeRatio: Double) {
        self.motherTrackID = motherTrackID
        self.daughter1TrackID = daughter1TrackID
        self.daughter2TrackID = daughter2TrackID
        self.frameIndex = frameIndex
        self.daughter1OverlapFraction = daughter1OverlapFraction
        self.daughter2OverlapFraction = daughter2OverlapFraction
        self.sizeRatio = sizeRatio
    }
}

/// Which track a stored cell (frame, label) belongs to, and its instantaneous growth rate.
public struct CellTrackAssignment: Equatable, Sendable {
    public var frameIndex: Int
    public var label: UInt32
    public var trackID: Int
    public var growthRateLengthPerH: Double?

    public init(frameIndex: Int, label: UInt32, trackID: Int, growthRateLengthPerH: Double? = nil) {
        self.frameIndex = frameIndex
        self.label = label
        self.trackID = trackID
        self.growthRateLengthPerH = growthRateLengthPerH
    }
}

/// Where a resumed (or new) run stands.
public struct RunProgress: Equatable, Sendable {
    public var runID: Int64
    /// True when an unfinished run with the same key was found and continues.
    public var resumed: Bool
    /// Movies already in the run, by name order, with their last committed frame.
    public var movies: [MovieProgress]
}

/// A movie of a run and how far it got.
public struct MovieProgress: Equatable, Sendable {
    public var movieID: Int64
    public var name: String
    /// The last frame whose transaction committed; nil when none. Continue at `+ 1`.
    public var lastCommittedFrameIndex: Int?
    /// Every committed frame index (a parallel pipeline may commit out of order within a batch).
    public var committedFrameCount: Int
}

/// Small deterministic hashes (not cryptographic) for keys.
public enum StableHash {
    /// FNV-1a 64-bit of the UTF-8 bytes, as 16 lowercase hex digits.
    public static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Minimal JSON text building for the columns that hold JSON arrays of strings.
enum JSONText {
    static func stringArray(_ values: [String]) -> String {
        "[" + values.map(quoted).joined(separator: ",") + "]"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension CellRecord {
    /// The stored measurements as a `Region` (pixels; intensities from channel 0), e.g. to rebuild
    /// the tracker's input from the database when a run resumes.
    public var region: Region {
        let c = channels.first
        return Region(label: label, area: areaPx, centroidX: centroidXPx, centroidY: centroidYPx,
                      minX: bbox.minX, minY: bbox.minY, maxX: bbox.maxX, maxY: bbox.maxY,
                      orientation: orientationRad, majorAxisLength: majorAxisPx, minorAxisLength: minorAxisPx,
                      length: lengthPx, width: widthPx, perimeter: perimeterPx,
                      meanIntensity: c?.mean ?? 0, totalIntensity: c?.total ?? 0,
                      minIntensity: c?.min ?? 0, maxIntensity: c?.max ?? 0)
    }
}
