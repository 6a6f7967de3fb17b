import CellTrackCore

/// How the pages of one file map to (frame, channel): page = frame × frameStride + channel × channelStride.
public struct HyperstackLayout: Sendable, Equatable, Codable {
    public var frames: Int
    public var channels: Int
    public var frameStride: Int
    public var channelStride: Int
    /// Where the layout came from: "ImageJ", "OME" or "pages" (one frame per page).
    public var source: String

    static func pages(_ count: Int) -> HyperstackLayout {
        HyperstackLayout(frames: count, channels: 1, frameStride: 1, channelStride: 1, source: "pages")
    }

    /// Derives the layout from the ImageJ or OME description, checking it against the page count.
    static func derive(path: String, pageCount: Int, samplesPerPixel: Int,
                       imageJ: ImageJDescription?, ome: OMEDescription?) throws -> HyperstackLayout {
        if let imageJ {
            if imageJ.slices > 1 && imageJ.frames > 1 {
                throw InputError(file: path, problem: "z-stack time series (slices=\(imageJ.slices), frames=\(imageJ.frames)) is not supported; project or pick one z plane first")
            }
            // ImageJ order is CZT (channel fastest). A plain stack (frames=1, slices=N) is a time
            // series saved without hyperstack labels, so slices count as frames.
            let channels = imageJ.channels
            guard pageCount % channels == 0 else {
                throw InputError(file: path, problem: "\(pageCount) pages do not divide into \(channels) channels")
            }
            return HyperstackLayout(frames: pageCount / channels, channels: channels, frameStride: channels,
                                    channelStride: 1, source: "ImageJ")
        }
        if let ome {
            // RGB OME-TIFFs count the colour samples in SizeC.
            let channels = ome.sizeC % samplesPerPixel == 0 ? ome.sizeC / samplesPerPixel : ome.sizeC
            let times = ome.sizeT > 1 ? ome.sizeT : ome.sizeZ
            if ome.sizeT > 1 && ome.sizeZ > 1 {
                throw InputError(file: path, problem: "z-stack time series (SizeZ=\(ome.sizeZ), SizeT=\(ome.sizeT)) is not supported; project or pick one z plane first")
            }
            guard channels * times == pageCount else { return .pages(pageCount) }  // e.g. multi-file OME sets
            let order = Array(ome.dimensionOrder.uppercased())
            let timeAxis: Character = ome.sizeT > 1 ? "T" : "Z"
            let channelFirst = (order.firstIndex(of: "C") ?? 0) < (order.firstIndex(of: timeAxis) ?? order.count)
            return HyperstackLayout(frames: times, channels: channels,
                                    frameStride: channelFirst ? channels : 1,
                                    channelStride: channelFirst ? 1 : times, source: "OME")
        }
        return .pages(pageCount)
    }
}

/// The parts of an OME-XML ImageDescription we use: the first `<Pixels>` element.
public struct OMEDescription: Sendable, Equatable, Codable {
    public var sizeC = 1
    public var sizeZ = 1
    public var sizeT = 1
    public var dimensionOrder = "XYCZT"
    public var physicalSizeXUm: Double?
    public var timeIncrementMin: Double?

    public static func parse(_ text: String) -> OMEDescription? {
        guard findRange(of: "<OME", in: text[...]) != nil, let start = findRange(of: "<Pixels ", in: text[...]) else { return nil }
        guard let end = text[start.upperBound...].firstIndex(of: ">") else { return nil }
        let element = " " + text[start.upperBound..<end]
        func attribute(_ name: String) -> String? {
            guard let key = findRange(of: " \(name)=\"", in: element[...]),
                  let close = element[key.upperBound...].firstIndex(of: "\"") else { return nil }
            return String(element[key.upperBound..<close])
        }
        var result = OMEDescription()
        result.sizeC = max(1, attribute("SizeC").flatMap { Int($0) } ?? 1)
        result.sizeZ = max(1, attribute("SizeZ").flatMap { Int($0) } ?? 1)
        result.sizeT = max(1, attribute("SizeT").flatMap { Int($0) } ?? 1)
        result.dimensionOrder = attribute("DimensionOrder") ?? "XYCZT"
        if let size = attribute("PhysicalSizeX").flatMap(Double.init), size > 0, size.isFinite {
            let unit = attribute("PhysicalSizeXUnit") ?? "µm"
            let micronsPerUnit: Double? = ["µm": 1, "um": 1, "\u{03BC}m": 1, "nm": 0.001, "mm": 1000, "m": 1e6][unit]
            result.physicalSizeXUm = micronsPerUnit.map { size * $0 }
        }
        if let increment = attribute("TimeIncrement").flatMap(Double.init), increment > 0, increment.isFinite {
            let unit = attribute("TimeIncrementUnit") ?? "s"
            let minutesPerUnit: Double? = ["s": 1.0 / 60, "ms": 1.0 / 60000, "min": 1, "h": 60][unit]
            result.timeIncrementMin = minutesPerUnit.map { increment * $0 }
        }
        return result
    }
}

/// First occurrence of `needle` in `haystack` (the module does without Foundation).
func findRange(of needle: String, in haystack: Substring) -> Range<String.Index>? {
    guard let first = needle.first else { return nil }
    var index = haystack.startIndex
    while let candidate = haystack[index...].firstIndex(of: first) {
        if haystack[candidate...].hasPrefix(needle) {
            return candidate..<haystack.index(candidate, offsetBy: needle.count)
        }
        index = haystack.index(after: candidate)
    }
    return nil
}
