/// Measurements of one labelled region (one cell in one frame), in pixels unless named `…Um`.
///
/// Conventions follow `skimage.measure.regionprops`: `centroidX` is the column, `centroidY` the
/// row; `orientation` is the angle in radians between the row axis (axis 0) and the major axis,
/// in (-π/2, π/2]; the bounding box is half-open (`maxX`, `maxY` exclusive).
public struct Region: Sendable, Equatable {
    public var label: UInt32
    public var area: Int
    public var centroidX: Double
    public var centroidY: Double
    public var minX: Int
    public var minY: Int
    public var maxX: Int
    public var maxY: Int
    public var orientation: Double
    public var majorAxisLength: Double
    public var minorAxisLength: Double
    /// Tip-to-tip length along the cell's major axis (not the ellipse axis), in pixels.
    public var length: Double
    /// Mean width perpendicular to the axis, in pixels.
    public var width: Double
    public var perimeter: Double
    public var meanIntensity: Double
    public var totalIntensity: Double
    public var minIntensity: Double
    public var maxIntensity: Double

    public init(label: UInt32, area: Int, centroidX: Double, centroidY: Double,
                minX: Int, minY: Int, maxX: Int, maxY: Int,
                orientation: Double = 0, majorAxisLength: Double = 0, minorAxisLength: Double = 0,
                length: Double = 0, width: Double = 0, perimeter: Double = 0,
                meanIntensity: Double = 0, totalIntensity: Double = 0,
                minIntensity: Double = 0, maxIntensity: Double = 0) {
        self.label = label
        self.area = area
        self.centroidX = centroidX
        self.centroidY = centroidY
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
        self.orientation = orientation
        self.majorAxisLength = majorAxisLength
        self.minorAxisLength = minorAxisLength
        self.length = length
        self.width = width
        self.perimeter = perimeter
        self.meanIntensity = meanIntensity
        self.totalIntensity = totalIntensity
        self.minIntensity = minIntensity
        self.maxIntensity = maxIntensity
    }
}

extension Region {
    /// Tip-to-tip length in µm for a pixel size in µm.
    public func lengthUm(pixelSize: Double) -> Double { length * pixelSize }
    /// Mean width in µm for a pixel size in µm.
    public func widthUm(pixelSize: Double) -> Double { width * pixelSize }
    /// Area in µm² for a pixel size in µm.
    public func areaUm2(pixelSize: Double) -> Double { Double(area) * pixelSize * pixelSize }
    /// Perimeter in µm for a pixel size in µm.
    public func perimeterUm(pixelSize: Double) -> Double { perimeter * pixelSize }
}
