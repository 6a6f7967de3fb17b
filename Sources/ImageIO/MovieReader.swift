import CLibTIFF
import CellTrackCore

/// Reads a time-lapse movie one frame at a time (streaming: memory holds one decoded page).
///
/// INPUT may be a multi-page TIFF, a folder of per-frame `.tif`/`.tiff` files (natural order),
/// a glob pattern, or several of these (concatenated in the order given). ImageJ hyperstacks
/// are split by their `channels=`/`slices=`/`frames=`, single-file OME-TIFFs by SizeC/SizeT and
/// DimensionOrder; `channel` picks one channel (0-based).
/// For RGB(A) pages the default is grey (scikit-image `rgb2gray` weights, in the file's units);
/// `channel` 0/1/2 picks red/green/blue instead. Palette pages are converted through their
/// colour map (entries scaled to 0–255, so an ImageJ grey LUT gives back the stored indices).
/// Min-is-white pages keep their stored values (as tifffile and ImageJ's raw data do).
///
/// Random access by frame index is cheap (directory offsets are indexed when opening).
/// One instance is used from one thread at a time; separate instances may run in parallel.
///
/// ```swift
/// let movie = try MovieReader(inputs: ["movie.tif"])
/// for index in 0..<movie.frameCount {
///     let frame = try movie.readFrame(index)          // Frame with Image<Float>
///     print(frame.index, frame.timeMinutes ?? .nan, frame.image.width)
/// }
/// ```
public final class MovieReader {
    /// Files in movie order, with what their scan found.
    public let files: [TIFFFileSummary]
    public let frameCount: Int
    public let width: Int
    public let height: Int
    /// µm per pixel from the first file, when it says.
    public let pixelSizeUm: Double?
    /// Minutes between frames from the first file (ImageJ `finterval`), when it says.
    public let frameIntervalMin: Double?
    /// Selectable channels: ImageJ hyperstack channels, else samples per pixel (3 for RGB).
    public let channelCount: Int
    /// The channel read when `readFrame` is not given one (nil: grey for RGB, channel 0 otherwise).
    public let defaultChannel: Int?
    /// Where each frame comes from (file and page of the default channel).
    public let sources: [FrameSource]
    /// Layout of the first page (for `celltrack info`).
    public var layout: TIFFPageLayout { files[0].layout }

    /// Where a frame starts: its file, the page of channel 0, and the page step between channels.
    private struct FrameStart {
        var file: Int
        var page: Int
        var channelStride: Int
    }
    private let frameStarts: [FrameStart]
    /// True when channels are separate pages (ImageJ/OME hyperstacks), false when they are samples.
    private let channelsAreHyperstack: Bool
    private var openFile: (index: Int, file: TIFFFile)?
    private let decoder = PageDecoder()

    /// Opens the inputs. Throws `InputError` for missing files, non-TIFFs, truncated headers,
    /// pages or files of different sizes, unsupported sample formats, or an out-of-range channel.
    public init(inputs: [String], channel: Int? = nil) throws {
        let paths = try InputFiles.resolve(inputs)
        var summaries: [TIFFFileSummary] = []
        summaries.reserveCapacity(paths.count)
        var keptOpen: TIFFFile?
        for path in paths {
            let file = try TIFFFile(path: path)
            summaries.append(file.summary)
            // Keep a single-file movie open; per-frame files are reopened on demand.
            if paths.count == 1 { keptOpen = file }
        }
        let first = summaries[0]
        if let reason = first.layout.unsupportedReason { throw InputError(file: first.path, frame: 0, problem: reason) }
        let channels = first.hyperstack.channels

        var starts: [FrameStart] = []
        for (fileIndex, summary) in summaries.enumerated() {
            if summary.layout.width != first.layout.width || summary.layout.height != first.layout.height {
                throw InputError(file: summary.path, frame: starts.count,
                                 problem: "frame is \(summary.layout.width)x\(summary.layout.height) but \(first.path) is \(first.layout.width)x\(first.layout.height); all frames of a movie must have one size")
            }
            let hyperstack = summary.hyperstack
            if hyperstack.channels != channels {
                throw InputError(file: summary.path, problem: "has \(hyperstack.channels) channel(s) but \(first.path) has \(channels)")
            }
            for frameInFile in 0..<hyperstack.frames {
                starts.append(FrameStart(file: fileIndex, page: frameInFile * hyperstack.frameStride,
                                         channelStride: hyperstack.channelStride))
            }
        }
        guard !starts.isEmpty else { throw InputError(file: first.path, problem: "no frames") }

        self.files = summaries
        self.frameStarts = starts
        self.frameCount = starts.count
        self.width = first.layout.width
        self.height = first.layout.height
        self.pixelSizeUm = first.pixelSizeUm
        self.frameIntervalMin = first.frameIntervalMin
        self.channelsAreHyperstack = channels > 1
        let isPalette = first.layout.isPalette
        self.channelCount = channels > 1 ? channels : (isPalette ? 1 : first.layout.samplesPerPixel)
        if let channel, channel < 0 || channel >= channelCount {
            throw InputError(file: first.path, problem: "channel \(channel) does not exist (channels: 0-\(channelCount - 1))")
        }
        self.defaultChannel = channel ?? (channels > 1 ? 0 : nil)
        let selected = self.defaultChannel ?? 0
        self.sources = starts.map { start in
            FrameSource(path: summaries[start.file].path, page: start.page + (channels > 1 ? selected * start.channelStride : 0))
        }
        if let keptOpen { openFile = (0, keptOpen) }
    }

    /// Time of frame `index` in minutes from the first frame, when the interval is known.
    public func timeMinutes(ofFrame index: Int) -> Double? {
        frameIntervalMin.map { Double(index) * $0 }
    }

    private func checkFrameIndex(_ index: Int) throws {
        guard index >= 0 && index < frameCount else {
            throw InputError(file: files[0].path, frame: index, problem: "frame does not exist (the movie has \(frameCount) frames)")
        }
    }

    /// Opens (or reuses) the file of `frame` and selects the page of `channel`.
    private func selectPage(frame index: Int, channel: Int?) throws -> (TIFFFile, TIFFPageLayout, page: Int, sample: Int?) {
        try checkFrameIndex(index)
        let start = frameStarts[index]
        let chosen = channel ?? defaultChannel
        if let chosen, chosen < 0 || chosen >= channelCount {
            throw InputError(file: files[start.file].path, frame: index, problem: "channel \(chosen) does not exist (channels: 0-\(channelCount - 1))")
        }
        let page = start.page + (channelsAreHyperstack ? (chosen ?? 0) * start.channelStride : 0)
        let sample = channelsAreHyperstack ? nil : chosen
        let file: TIFFFile
        if let open = openFile, open.index == start.file {
            file = open.file
        } else {
            openFile = nil
            file = try TIFFFile(reopening: files[start.file])
            openFile = (start.file, file)
        }
        let layout = try file.select(page: page)
        if layout.width != width || layout.height != height {
            throw InputError(file: file.path, frame: page, problem: "page is \(layout.width)x\(layout.height) but the movie is \(width)x\(height)")
        }
        return (file, layout, page, sample)
    }

    /// Reads frame `index` as grey Float in the file's units (not rescaled).
    public func readFrame(_ index: Int, channel: Int? = nil) throws -> Frame {
        let (file, layout, page, sample) = try selectPage(frame: index, channel: channel)
        let raw = try decoder.decode(file: file, layout: layout, page: page)
        let count = width * height
        // Every element is written by the conversion: no zero fill.
        let pixels = try [Float](unsafeUninitializedCapacity: count) { out, initialized in
            try MovieReader.convertToGrey(raw: raw, layout: layout, sample: sample, file: file, page: page,
                                          count: count, into: out.baseAddress!)
            initialized = count
        }
        decoder.releaseLargeBuffers()
        let image = Image<Float>(uncheckedWidth: width, height: height, pixels: pixels, pixelSize: pixelSizeUm)
        return Frame(index: index, timeMinutes: timeMinutes(ofFrame: index), image: image,
                     source: FrameSource(path: file.path, page: page))
    }

    /// Reads frame `index` for segmentation: with `keepingIntegers`, single-component unsigned
    /// 8- and 16-bit pages keep their sample type (decoded straight into the image, no conversion
    /// pass, half or a quarter of the memory of `Float`); every other page, and every page without
    /// it, comes as `readFrame` gives it. The grey values equal `readFrame`'s.
    public func readGrey(_ index: Int, channel: Int? = nil,
                         keepingIntegers: Bool = true) throws -> (image: GreyImage, source: FrameSource) {
        let (file, layout, page, sample) = try selectPage(frame: index, channel: channel)
        let bytes = PageDecoder.storedBytesPerSample(layout)
        let integer = keepingIntegers && layout.sampleFormat != .ieeeFloat && layout.sampleFormat != .signedInteger
            && !layout.isPalette && (layout.bitsPerSample == 8 || layout.bitsPerSample == 16)
            && layout.samplesPerPixel == 1 && (sample ?? 0) == 0
        guard integer else {
            let frame = try readFrame(index, channel: channel)
            return (.float(frame.image), frame.source)
        }
        let source = FrameSource(path: file.path, page: page)
        let count = width * height
        func decoded<T: GreyPixel>(_ type: T.Type) throws -> Image<T> {
            // every element is written by the decoder: no zero fill
            let pixels = try [T](unsafeUninitializedCapacity: count) { out, initialized in
                _ = try decoder.decode(file: file, layout: layout, page: page, into: UnsafeMutableRawPointer(out.baseAddress!))
                initialized = count
            }
            return Image(uncheckedWidth: width, height: height, pixels: pixels, pixelSize: pixelSizeUm)
        }
        return bytes == 2 ? (.uint16(try decoded(UInt16.self)), source) : (.uint8(try decoded(UInt8.self)), source)
    }

    /// Reads frame `index` as integer labels (masks from users or ground truth). Throws for
    /// floating-point, negative or colour data.
    public func readLabels(_ index: Int) throws -> LabelImage {
        let (file, layout, page, _) = try selectPage(frame: index, channel: nil)
        if layout.sampleFormat == .ieeeFloat {
            throw InputError(file: file.path, frame: page, problem: "labels must be integers, but the page holds \(layout.sampleTypeName) values")
        }
        if layout.samplesPerPixel != 1 {
            throw InputError(file: file.path, frame: page, problem: "labels must have one sample per pixel, the page has \(layout.samplesPerPixel) (\(layout.photometricName))")
        }
        let raw = try decoder.decode(file: file, layout: layout, page: page)
        let count = width * height
        var pixels = [UInt32](repeating: 0, count: count)
        let access = SampleAccess(start: 0, stride: 1)
        let bad: Int64? = pixels.withUnsafeMutableBufferPointer { out in
            let target = out.baseAddress!
            let bytes = PageDecoder.storedBytesPerSample(layout)
            switch (layout.sampleFormat, bytes) {
            case (.signedInteger, 1): return SampleConversion.toLabels(Int8.self, raw, access, count: count, into: target)
            case (.signedInteger, 2): return SampleConversion.toLabels(Int16.self, raw, access, count: count, into: target)
            case (.signedInteger, 4): return SampleConversion.toLabels(Int32.self, raw, access, count: count, into: target)
            case (.signedInteger, _): return SampleConversion.toLabels(Int64.self, raw, access, count: count, into: target)
            case (_, 1): return SampleConversion.toLabels(UInt8.self, raw, access, count: count, into: target)
            case (_, 2): return SampleConversion.toLabels(UInt16.self, raw, access, count: count, into: target)
            case (_, 4): return SampleConversion.toLabels(UInt32.self, raw, access, count: count, into: target)
            default: return SampleConversion.toLabels(UInt64.self, raw, access, count: count, into: target)
            }
        }
        if let bad {
            let problem = bad < 0 ? "labels must not be negative (found \(bad))" : "label \(bad) is larger than 4294967295"
            throw InputError(file: file.path, frame: page, problem: problem)
        }
        decoder.releaseLargeBuffers()
        return LabelImage(uncheckedWidth: width, height: height, pixels: pixels, pixelSize: pixelSizeUm)
    }

    /// Converts a decoded page to grey Float (fast core; `out` holds `count` elements).
    static func convertToGrey(raw: UnsafeRawPointer, layout: TIFFPageLayout, sample: Int?, file: TIFFFile, page: Int,
                              count: Int, into out: UnsafeMutablePointer<Float>) throws {
        let samples = layout.samplesPerPixel
        func access(_ component: Int) -> SampleAccess {
            layout.planarSeparate ? SampleAccess(start: component * count, stride: 1)
                                  : SampleAccess(start: component, stride: samples)
        }
        let bytes = PageDecoder.storedBytesPerSample(layout)
        if layout.isPalette {
            let table = try paletteGreyTable(file: file, layout: layout, page: page)
            if bytes == 1 {
                SampleConversion.paletteToGrey(UInt8.self, raw, access(0), table: table, count: count, into: out)
            } else {
                SampleConversion.paletteToGrey(UInt16.self, raw, access(0), table: table, count: count, into: out)
            }
            return
        }
        if layout.isRGB && sample == nil {
            let (r, g, b) = (access(0), access(1), access(2))
            switch (layout.sampleFormat, bytes) {
            case (.ieeeFloat, 4): SampleConversion.rgbToGrey(Float.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (.ieeeFloat, _): SampleConversion.rgbToGrey(Double.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (.signedInteger, 1): SampleConversion.rgbToGrey(Int8.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (.signedInteger, 2): SampleConversion.rgbToGrey(Int16.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (.signedInteger, 4): SampleConversion.rgbToGrey(Int32.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (.signedInteger, _): SampleConversion.rgbToGrey(Int64.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (_, 1): SampleConversion.rgbToGrey(UInt8.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (_, 2): SampleConversion.rgbToGrey(UInt16.self, raw, red: r, green: g, blue: b, count: count, into: out)
            case (_, 4): SampleConversion.rgbToGrey(UInt32.self, raw, red: r, green: g, blue: b, count: count, into: out)
            default: SampleConversion.rgbToGrey(UInt64.self, raw, red: r, green: g, blue: b, count: count, into: out)
            }
            return
        }
        let component = access(min(sample ?? 0, samples - 1))
        switch (layout.sampleFormat, bytes) {
        case (.ieeeFloat, 4): SampleConversion.toFloat(Float.self, raw, component, count: count, into: out)
        case (.ieeeFloat, _): SampleConversion.toFloat(Double.self, raw, component, count: count, into: out)
        case (.signedInteger, 1): SampleConversion.toFloat(Int8.self, raw, component, count: count, into: out)
        case (.signedInteger, 2): SampleConversion.toFloat(Int16.self, raw, component, count: count, into: out)
        case (.signedInteger, 4): SampleConversion.toFloat(Int32.self, raw, component, count: count, into: out)
        case (.signedInteger, _): SampleConversion.toFloat(Int64.self, raw, component, count: count, into: out)
        case (_, 1): SampleConversion.toFloat(UInt8.self, raw, component, count: count, into: out)
        case (_, 2): SampleConversion.toFloat(UInt16.self, raw, component, count: count, into: out)
        case (_, 4): SampleConversion.toFloat(UInt32.self, raw, component, count: count, into: out)
        default: SampleConversion.toFloat(UInt64.self, raw, component, count: count, into: out)
        }
    }

    /// Grey value of each colour-map entry, in 8-bit units (entries / 257).
    static func paletteGreyTable(file: TIFFFile, layout: TIFFPageLayout, page: Int) throws -> [Float] {
        var red: UnsafeMutablePointer<UInt16>? = nil
        var green: UnsafeMutablePointer<UInt16>? = nil
        var blue: UnsafeMutablePointer<UInt16>? = nil
        guard ct_get_colormap(file.handle.tiff, &red, &green, &blue) == 1, let red, let green, let blue else {
            throw InputError(file: file.path, frame: page, problem: "palette page without a colour map")
        }
        let entries = 1 << layout.bitsPerSample
        var table = [Float](repeating: 0, count: entries)
        for entry in 0..<entries {
            let luminance = 0.2125 * Double(red[entry]) + 0.7154 * Double(green[entry]) + 0.0721 * Double(blue[entry])
            table[entry] = Float(luminance / 257)
        }
        return table
    }
}
