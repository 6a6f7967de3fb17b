import CLibTIFF
import CellTrackCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes the current page of a `TIFFFile` into a reusable buffer of samples, then converts it.
///
/// Fast core: strips/tiles are decoded by libtiff straight into one buffer (already in native
/// byte order, predictor undone); sub-byte samples are expanded to one byte each. After
/// `decode`, the buffer holds either `height*width*spp` interleaved samples (chunky) or `spp`
/// planes of `height*width` samples (planar), without row padding.
final class PageDecoder {
    private(set) var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var tileBuffer: UnsafeMutableRawPointer
    private var tileCapacity: Int

    init() {
        capacity = 0
        buffer = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
        tileCapacity = 0
        tileBuffer = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        tileBuffer.deallocate()
    }

    func reserve(_ bytes: Int) {
        if bytes > capacity {
            buffer.deallocate()
            buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
            capacity = bytes
        }
    }

    /// Frees buffers of 8 MB or more. A frame's decoded samples are converted right away, so
    /// keeping a frame-sized buffer per reader between frames would only add to the memory of
    /// every frame in flight (24.6 MB for a 12-MP uint16 frame); allocating it again costs a
    /// few ms of page faults against ~100 ms of decoding.
    func releaseLargeBuffers() {
        if capacity >= 8 << 20 {
            buffer.deallocate()
            buffer = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
            capacity = 0
        }
        if tileCapacity >= 8 << 20 {
            tileBuffer.deallocate()
            tileBuffer = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
            tileCapacity = 0
        }
    }

    private func reserveTile(_ bytes: Int) {
        if bytes > tileCapacity {
            tileBuffer.deallocate()
            tileBuffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
            tileCapacity = bytes
        }
    }

    /// Samples as decoded: bytes per sample after sub-byte expansion.
    static func storedBytesPerSample(_ layout: TIFFPageLayout) -> Int { max(1, layout.bitsPerSample / 8) }

    /// Decodes the page selected in `file` (layout `layout`). Returns the sample buffer.
    ///
    /// `target`, when given, receives the samples instead of the decoder's buffer (it must hold
    /// `height*width*spp` samples of `storedBytesPerSample` bytes; not for sub-byte samples), so a
    /// caller's image can be decoded into without a copy.
    func decode(file: TIFFFile, layout: TIFFPageLayout, page: Int,
                into target: UnsafeMutableRawPointer? = nil) throws -> UnsafeRawPointer {
        if let reason = layout.unsupportedReason { throw InputError(file: file.path, frame: page, problem: reason) }
        precondition(target == nil || layout.bitsPerSample >= 8, "sub-byte samples need the decoder's buffer")
        if let contiguous = file.summary.contiguousImages {
            return try readContiguous(file: file, contiguous: contiguous, layout: layout, page: page, into: target)
        }
        let tiff = file.handle.tiff
        let width = layout.width, height = layout.height, bits = layout.bitsPerSample
        let planes = layout.planarSeparate ? layout.samplesPerPixel : 1
        let samplesPerRow = width * (layout.planarSeparate ? 1 : layout.samplesPerPixel)
        let packedRowBytes = (samplesPerRow * bits + 7) / 8
        let planeBytes = packedRowBytes * height
        let storedBytes = PageDecoder.storedBytesPerSample(layout)
        let expandedBytes = samplesPerRow * storedBytes * height * planes
        let subByte = bits < 8
        // Packed data goes to the front of the buffer; sub-byte pages are expanded into the back.
        if target == nil { reserve(planeBytes * planes + (subByte ? expandedBytes : 0)) }
        let base = target ?? buffer
        file.handle.resetMessages()

        func failure(_ what: String) -> InputError {
            let detail = file.handle.firstError.map { " (\($0))" } ?? ""
            return InputError(file: file.path, frame: page, problem: "cannot decode \(what)\(detail); the file may be truncated or corrupt")
        }

        if !layout.tiled {
            let rowsPerStrip = max(1, layout.rowsPerStrip)
            let stripsPerPlane = (height + rowsPerStrip - 1) / rowsPerStrip
            // Horizontal differencing of 8/16-bit strips is undone here, per strip, while it is
            // in cache (see `TIFFFile.takeOverPredictor`).
            // (only the codecs that implement the predictor in libtiff)
            let predictorCodecs = [COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE, COMPRESSION_DEFLATE, COMPRESSION_ZSTD,
                                   COMPRESSION_LZMA].map(Int.init)
            let undoPredictor = layout.predictor == 2 && (bits == 8 || bits == 16)
                && predictorCodecs.contains(layout.compression) && file.takeOverPredictor()
            let stride = layout.planarSeparate ? 1 : layout.samplesPerPixel
            for plane in 0..<planes {
                for stripInPlane in 0..<stripsPerPlane {
                    let firstRow = stripInPlane * rowsPerStrip
                    let rows = min(rowsPerStrip, height - firstRow)
                    let expected = rows * packedRowBytes
                    let target = base + plane * planeBytes + firstRow * packedRowBytes
                    let strip = UInt32(plane * stripsPerPlane + stripInPlane)
                    let got = TIFFReadEncodedStrip(tiff, strip, target, tmsize_t(expected))
                    if got < 0 || Int(got) < expected || file.handle.firstError != nil {
                        throw failure("strip \(strip)")
                    }
                    if undoPredictor {
                        PageDecoder.accumulateRows(target, rows: rows, samplesPerRow: samplesPerRow, stride: stride,
                                                   bytesPerSample: bits / 8)
                    }
                }
            }
        } else {
            let tileWidth = layout.tileWidth, tileHeight = layout.tileHeight
            guard tileWidth > 0, tileHeight > 0, (tileWidth * layout.samplesPerPixel * bits) % 8 == 0 || planes > 1 || bits >= 8 else {
                throw InputError(file: file.path, frame: page, problem: "unsupported tile size \(tileWidth)x\(tileHeight)")
            }
            let tileRowBytes = (tileWidth * (layout.planarSeparate ? 1 : layout.samplesPerPixel) * bits + 7) / 8
            let tileBytes = Int(TIFFTileSize64(tiff))
            reserveTile(max(tileBytes, tileRowBytes * tileHeight))
            let pixelBits = (layout.planarSeparate ? 1 : layout.samplesPerPixel) * bits
            for plane in 0..<planes {
                var y = 0
                while y < height {
                    var x = 0
                    let rows = min(tileHeight, height - y)
                    while x < width {
                        let tile = TIFFComputeTile(tiff, UInt32(x), UInt32(y), 0, UInt16(plane))
                        let got = TIFFReadEncodedTile(tiff, tile, tileBuffer, tmsize_t(tileBytes))
                        if got < 0 || file.handle.firstError != nil { throw failure("tile \(tile)") }
                        let columns = min(tileWidth, width - x)
                        let copyBytes = (columns * pixelBits + 7) / 8
                        let targetStart = (x * pixelBits) / 8
                        for row in 0..<rows {
                            let target = base + plane * planeBytes + (y + row) * packedRowBytes + targetStart
                            target.copyMemory(from: tileBuffer + row * tileRowBytes, byteCount: copyBytes)
                        }
                        x += tileWidth
                    }
                    y += tileHeight
                }
            }
        }

        guard subByte else { return UnsafeRawPointer(base) }
        // Expand 1/2/4-bit samples (MSB first, as libtiff delivers them) to one byte each.
        let expanded = (buffer + planeBytes * planes).bindMemory(to: UInt8.self, capacity: expandedBytes)
        let packed = buffer.bindMemory(to: UInt8.self, capacity: planeBytes * planes)
        let perByte = 8 / bits
        let mask = UInt8((1 << bits) - 1)
        var out = 0
        for plane in 0..<planes {
            for row in 0..<height {
                let rowStart = plane * planeBytes + row * packedRowBytes
                for sample in 0..<samplesPerRow {
                    let byte = packed[rowStart + sample / perByte]
                    let shift = 8 - bits * (sample % perByte + 1)
                    expanded[out] = (byte >> UInt8(shift)) & mask
                    out += 1
                }
            }
        }
        return UnsafeRawPointer(expanded)
    }
}

extension PageDecoder {
    /// Undoes TIFF horizontal differencing (predictor 2) in place: along each row, every sample
    /// adds the previous sample of its component (`stride` samples back), modulo 2^bits.
    /// Assumes native byte order and rows of `samplesPerRow` samples of 1 or 2 bytes.
    static func accumulateRows(_ data: UnsafeMutableRawPointer, rows: Int, samplesPerRow: Int, stride: Int,
                               bytesPerSample: Int) {
        @inline(__always) func run<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type) {
            let p = data.assumingMemoryBound(to: T.self)
            for y in 0..<rows {
                let row = p + y * samplesPerRow
                if stride == 1 {
                    guard samplesPerRow > 1 else { continue }
                    var acc = row[0]
                    for x in 1..<samplesPerRow { acc &+= row[x]; row[x] = acc }
                } else {
                    var x = stride
                    while x < samplesPerRow { row[x] &+= row[x - stride]; x += 1 }
                }
            }
        }
        if bytesPerSample == 2 { run(UInt16.self) } else { run(UInt8.self) }
    }

    /// Reads image `page` of an ImageJ contiguous stack with pread and puts it in native byte order.
    func readContiguous(file: TIFFFile, contiguous: ContiguousImages, layout: TIFFPageLayout, page: Int,
                        into target: UnsafeMutableRawPointer? = nil) throws -> UnsafeRawPointer {
        let bytes = contiguous.imageBytes
        if target == nil { reserve(bytes) }
        let buffer = target ?? self.buffer
        let descriptor = TIFFFileno(file.handle.tiff)
        var done = 0
        while done < bytes {
            let offset = off_t(contiguous.firstOffset) + off_t(page) * off_t(bytes) + off_t(done)
            let got = pread(descriptor, buffer + done, bytes - done, offset)
            if got <= 0 {
                throw InputError(file: file.path, frame: page, problem: "cannot read image data (\(got < 0 ? String(cString: strerror(errno)) : "end of file")); the file may be truncated")
            }
            done += got
        }
        let sampleBytes = layout.bitsPerSample / 8
        let fileIsBigEndian = file.summary.bigEndian
        if sampleBytes > 1 && fileIsBigEndian != (1.bigEndian == 1) {
            let raw = buffer.bindMemory(to: UInt8.self, capacity: bytes)
            var start = 0
            while start < bytes {
                var low = start, high = start + sampleBytes - 1
                while low < high {
                    let swap = raw[low]
                    raw[low] = raw[high]
                    raw[high] = swap
                    low += 1
                    high -= 1
                }
                start += sampleBytes
            }
        }
        return UnsafeRawPointer(buffer)
    }
}

/// A stored sample type the reader converts from.
protocol StoredSample {
    var floatValue: Float { get }
    /// The value as a label, or nil when it is negative or not an integer.
    var labelValue: Int64? { get }
}
extension UInt8: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { Int64(self) }
}
extension UInt16: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { Int64(self) }
}
extension UInt32: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { Int64(self) }
}
extension UInt64: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { self > UInt64(Int64.max) ? Int64.max : Int64(self) }
}
extension Int8: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { Int64(self) }
}
extension Int16: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { Int64(self) }
}
extension Int32: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { Int64(self) }
}
extension Int64: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { self }
}
extension Float: StoredSample {
    @inline(__always) var floatValue: Float { self }
    @inline(__always) var labelValue: Int64? { nil }
}
extension Double: StoredSample {
    @inline(__always) var floatValue: Float { Float(self) }
    @inline(__always) var labelValue: Int64? { nil }
}

/// Where the samples of one colour component sit in the decoded buffer.
struct SampleAccess {
    var start: Int
    var stride: Int
}

/// Conversion kernels over the decoded buffer (fast core: counts and offsets are trusted).
enum SampleConversion {
    /// Copies one component to Float.
    static func toFloat<T: StoredSample>(_ type: T.Type, _ raw: UnsafeRawPointer, _ access: SampleAccess,
                                         count: Int, into out: UnsafeMutablePointer<Float>) {
        let samples = raw.assumingMemoryBound(to: T.self)
        if access.stride == 1 {
            let source = samples + access.start
            for index in 0..<count { out[index] = source[index].floatValue }
        } else {
            var position = access.start
            for index in 0..<count {
                out[index] = samples[position].floatValue
                position += access.stride
            }
        }
    }

    /// Luminance Y = 0.2125 R + 0.7154 G + 0.0721 B (scikit-image `rgb2gray`), in the file's units.
    static func rgbToGrey<T: StoredSample>(_ type: T.Type, _ raw: UnsafeRawPointer, red: SampleAccess,
                                           green: SampleAccess, blue: SampleAccess,
                                           count: Int, into out: UnsafeMutablePointer<Float>) {
        let samples = raw.assumingMemoryBound(to: T.self)
        var r = red.start, g = green.start, b = blue.start
        for index in 0..<count {
            out[index] = 0.2125 * samples[r].floatValue + 0.7154 * samples[g].floatValue + 0.0721 * samples[b].floatValue
            r += red.stride
            g += green.stride
            b += blue.stride
        }
    }

    /// Maps palette indices through a precomputed grey table.
    static func paletteToGrey<T: StoredSample & BinaryInteger>(_ type: T.Type, _ raw: UnsafeRawPointer, _ access: SampleAccess,
                                                              table: [Float], count: Int, into out: UnsafeMutablePointer<Float>) {
        let samples = raw.assumingMemoryBound(to: T.self)
        table.withUnsafeBufferPointer { lut in
            var position = access.start
            for index in 0..<count {
                let entry = Int(samples[position])
                out[index] = entry < lut.count ? lut[entry] : 0
                position += access.stride
            }
        }
    }

    /// Copies integer labels; returns the first offending value (negative or above UInt32.max).
    static func toLabels<T: StoredSample>(_ type: T.Type, _ raw: UnsafeRawPointer, _ access: SampleAccess,
                                          count: Int, into out: UnsafeMutablePointer<UInt32>) -> Int64? {
        let samples = raw.assumingMemoryBound(to: T.self)
        var position = access.start
        for index in 0..<count {
            guard let value = samples[position].labelValue, value >= 0, value <= Int64(UInt32.max) else {
                return samples[position].labelValue ?? -1
            }
            out[index] = UInt32(truncatingIfNeeded: value)
            position += access.stride
        }
        return nil
    }
}
