import CellTrackCore

/// Settings of the linker. Distances are in µm and converted with the label image's pixel size
/// (or `fallbackPixelSizeUm` when the image carries none). Every field has a default, and a JSON
/// configuration may give any subset of them.
///
/// ```swift
/// var p = LinkingParameters()
/// p.maxDisplacementUm = 5
/// try p.validate()
/// ```
public struct LinkingParameters: Codable, Equatable, Sendable {
    /// Largest centroid displacement between consecutive frames after drift correction (default 3 µm).
    public var maxDisplacementUm: Double = 3.0
    /// Pixel size assumed when the images carry none (default 0.1 µm, i.e. 30 px displacement).
    public var fallbackPixelSizeUm: Double = 0.1
    /// Weight of (1 − IoU) in the link cost; the distance term is centroid distance / max displacement.
    public var iouWeight: Double = 1.0
    /// Cost of a cell appearing without a predecessor, and of one ending without successor.
    /// A link is only ever chosen when its cost is below `trackStartCost + trackEndCost`.
    public var trackStartCost: Double = 0.6
    public var trackEndCost: Double = 0.6
    /// Search radius of the stage-jump (drift) vote (default 50 µm).
    public var maxStageJumpUm: Double = 50
    /// Minimum fraction of each daughter's pixels inside the drift-corrected mother (default 0.3; 0 disables).
    public var minDaughterOverlap: Double = 0.3
    /// Largest distance of a daughter centroid from the mother's (default: max displacement) in µm; nil → max displacement.
    public var maxDaughterDistanceUm: Double? = nil
    /// Each daughter's area must be below this fraction of the mother's (default 1: smaller than the mother).
    public var maxDaughterAreaFraction: Double = 1.0
    /// Prior on (sum of daughter areas) / mother area (default 0.7…1.3).
    public var minDaughterSizeRatio: Double = 0.7
    public var maxDaughterSizeRatio: Double = 1.3
    /// Daughters must touch: a gap of at most `adjacencyGapUm` of background along a row or column
    /// (default true, 0.5 µm). Segmentations that keep the bright septum line between sisters as
    /// background (phase-contrast outlines, DeLTA's masks) leave gaps of 3–8 px at 0.065–0.13 µm/px.
    public var requireAdjacentDaughters: Bool = true
    public var adjacencyGapUm: Double = 0.5
    /// Close gaps of up to this many missing frames (default 2; 0 disables).
    public var maxGapFrames: Int = 2
    /// Gap links cost distance / (max displacement × frames spanned) + |ln(area ratio)|; accepted below this (default 1).
    public var gapClosingMaxCost: Double = 1.0
    /// Repair one-frame splits and one-frame merges (default true).
    public var repairGlitches: Bool = true

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case maxDisplacementUm, fallbackPixelSizeUm, iouWeight, trackStartCost, trackEndCost, maxStageJumpUm
        case minDaughterOverlap, maxDaughterDistanceUm, maxDaughterAreaFraction, minDaughterSizeRatio
        case maxDaughterSizeRatio, requireAdjacentDaughters, adjacencyGapUm, maxGapFrames
        case gapClosingMaxCost, repairGlitches
    }

    /// Decodes any subset of the fields; missing ones keep their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LinkingParameters()
        maxDisplacementUm = try c.decodeIfPresent(Double.self, forKey: .maxDisplacementUm) ?? d.maxDisplacementUm
        fallbackPixelSizeUm = try c.decodeIfPresent(Double.self, forKey: .fallbackPixelSizeUm) ?? d.fallbackPixelSizeUm
        iouWeight = try c.decodeIfPresent(Double.self, forKey: .iouWeight) ?? d.iouWeight
        trackStartCost = try c.decodeIfPresent(Double.self, forKey: .trackStartCost) ?? d.trackStartCost
        trackEndCost = try c.decodeIfPresent(Double.self, forKey: .trackEndCost) ?? d.trackEndCost
        maxStageJumpUm = try c.decodeIfPresent(Double.self, forKey: .maxStageJumpUm) ?? d.maxStageJumpUm
        minDaughterOverlap = try c.decodeIfPresent(Double.self, forKey: .minDaughterOverlap) ?? d.minDaughterOverlap
        maxDaughterDistanceUm = try c.decodeIfPresent(Double.self, forKey: .maxDaughterDistanceUm) ?? d.maxDaughterDistanceUm
        maxDaughterAreaFraction = try c.decodeIfPresent(Double.self, forKey: .maxDaughterAreaFraction) ?? d.maxDaughterAreaFraction
        minDaughterSizeRatio = try c.decodeIfPresent(Double.self, forKey: .minDaughterSizeRatio) ?? d.minDaughterSizeRatio
        maxDaughterSizeRatio = try c.decodeIfPresent(Double.self, forKey: .maxDaughterSizeRatio) ?? d.maxDaughterSizeRatio
        requireAdjacentDaughters = try c.decodeIfPresent(Bool.self, forKey: .requireAdjacentDaughters) ?? d.requireAdjacentDaughters
        adjacencyGapUm = try c.decodeIfPresent(Double.self, forKey: .adjacencyGapUm) ?? d.adjacencyGapUm
        maxGapFrames = try c.decodeIfPresent(Int.self, forKey: .maxGapFrames) ?? d.maxGapFrames
        gapClosingMaxCost = try c.decodeIfPresent(Double.self, forKey: .gapClosingMaxCost) ?? d.gapClosingMaxCost
        repairGlitches = try c.decodeIfPresent(Bool.self, forKey: .repairGlitches) ?? d.repairGlitches
    }

    /// Throws `ParameterError.invalid` naming the first field out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ reason: String) throws {
            if !ok { throw ParameterError.invalid(name: name, value: "\(value)", reason: reason) }
        }
        try check(maxDisplacementUm > 0 && maxDisplacementUm.isFinite, "maxDisplacementUm", maxDisplacementUm, "must be > 0")
        try check(fallbackPixelSizeUm > 0 && fallbackPixelSizeUm.isFinite, "fallbackPixelSizeUm", fallbackPixelSizeUm, "must be > 0")
        try check(iouWeight >= 0 && iouWeight.isFinite, "iouWeight", iouWeight, "must be ≥ 0")
        try check(trackStartCost > 0 && trackStartCost.isFinite, "trackStartCost", trackStartCost, "must be > 0")
        try check(trackEndCost > 0 && trackEndCost.isFinite, "trackEndCost", trackEndCost, "must be > 0")
        try check(maxStageJumpUm >= 0 && maxStageJumpUm.isFinite, "maxStageJumpUm", maxStageJumpUm, "must be ≥ 0")
        try check(minDaughterOverlap >= 0 && minDaughterOverlap <= 1, "minDaughterOverlap", minDaughterOverlap, "must be in [0, 1]")
        if let d = maxDaughterDistanceUm { try check(d > 0 && d.isFinite, "maxDaughterDistanceUm", d, "must be > 0") }
        try check(maxDaughterAreaFraction > 0, "maxDaughterAreaFraction", maxDaughterAreaFraction, "must be > 0")
        try check(minDaughterSizeRatio >= 0 && minDaughterSizeRatio <= maxDaughterSizeRatio, "minDaughterSizeRatio",
                  minDaughterSizeRatio, "must be in [0, maxDaughterSizeRatio]")
        try check(adjacencyGapUm >= 0 && adjacencyGapUm <= 5, "adjacencyGapUm", adjacencyGapUm, "must be in 0…5 µm")
        try check(maxGapFrames >= 0 && maxGapFrames <= 100, "maxGapFrames", maxGapFrames, "must be in 0…100")
        try check(gapClosingMaxCost > 0 && gapClosingMaxCost.isFinite, "gapClosingMaxCost", gapClosingMaxCost, "must be > 0")
    }
}
