import Foundation
import XCTest
import CellTrackCore
@testable import ImageIO

/// Seeded PRNG for test data (SplitMix64).
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Our writer through our reader, for every writer type and compression.
final class RoundTripTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws { folder = try makeTemporaryFolder(name) }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    private func randomImage<P>(_ width: Int, _ height: Int, seed: UInt64, _ make: (UInt64) -> P) -> Image<P> {
        var random = SplitMix64(state: seed)
        return Image(uncheckedWidth: width, height: height, pixels: (0..<(width * height)).map { _ in make(random.next()) })
    }

    private func roundTrip<P: TIFFPixel & BinaryInteger>(_ image: Image<P>, _ compression: TIFFCompression) throws {
        let path = folder + "/\(P.self)-\(compression).tif"
        try TIFFWriter.write(image, to: path, compression: compression)
        let movie = try MovieReader(inputs: [path])
        XCTAssertEqual(movie.layout.bitsPerSample, P.tiffBitsPerSample)
        XCTAssertEqual(movie.layout.compressionName.lowercased(), compression == .none ? "none" : compression.rawValue)
        XCTAssertEqual(try movie.readFrame(0).image.pixels, image.pixels.map { Float($0) }, "\(P.self) \(compression)")
        XCTAssertEqual(try movie.readLabels(0).pixels, image.pixels.map { UInt32($0) }, "\(P.self) \(compression)")
    }

    func testIntegerTypesEveryCompression() throws {
        // 37 x 23: rows not a multiple of any strip size, odd widths.
        let u8 = randomImage(37, 23, seed: 1) { UInt8(truncatingIfNeeded: $0) }
        let u16 = randomImage(37, 23, seed: 2) { UInt16(truncatingIfNeeded: $0) }
        // uint32 values stay below 2^24 so the Float comparison is exact.
        let u32 = randomImage(37, 23, seed: 3) { UInt32($0 % (1 << 24)) }
        for compression in TIFFCompression.allCases {
            try roundTrip(u8, compression)
            try roundTrip(u16, compression)
            try roundTrip(u32, compression)
        }
    }

    func testFloatEveryCompression() throws {
        let image = randomImage(41, 17, seed: 4) { Float(Int64(bitPattern: $0) % 100_000) / 7 }
        for compression in TIFFCompression.allCases {
            let path = folder + "/float-\(compression).tif"
            try TIFFWriter.write(image, to: path, compression: compression)
            let movie = try MovieReader(inputs: [path])
            XCTAssertEqual(movie.layout.sampleFormat, .ieeeFloat)
            XCTAssertEqual(try movie.readFrame(0).image.pixels, image.pixels, "\(compression)")
        }
    }

    func testLabelsNarrowAndWide() throws {
        var labels = LabelImage(width: 20, height: 10, repeating: 0)
        for index in 0..<labels.count { labels.pixels[index] = UInt32(index % 7) }
        try TIFFWriter.writeLabels(labels, to: folder + "/narrow.tif")
        let narrow = try MovieReader(inputs: [folder + "/narrow.tif"])
        XCTAssertEqual(narrow.layout.bitsPerSample, 16)
        XCTAssertEqual(try narrow.readLabels(0), labels)

        labels.pixels[5] = 65535
        try TIFFWriter.writeLabels(labels, to: folder + "/edge.tif", compression: .zstd)
        XCTAssertEqual(try MovieReader(inputs: [folder + "/edge.tif"]).layout.bitsPerSample, 16)

        labels.pixels[6] = 65536
        labels.pixels[7] = 4_000_000_000
        try TIFFWriter.writeLabels(labels, to: folder + "/wide.tif", compression: .zstd)
        let wide = try MovieReader(inputs: [folder + "/wide.tif"])
        XCTAssertEqual(wide.layout.bitsPerSample, 32)
        XCTAssertEqual(try wide.readLabels(0), labels)
    }

    func testStackWithMetadataAndHyperstackChannels() throws {
        let path = folder + "/stack.tif"
        let frames = (0..<5).map { t in randomImage(16, 12, seed: UInt64(10 + t)) { UInt16(truncatingIfNeeded: $0) } }
        let stack = try TIFFStackWriter<UInt16>(path: path, compression: .deflate,
                                                metadata: TIFFMetadata(pixelSizeUm: 0.065, frameIntervalMin: 2.5))
        for frame in frames { try stack.append(frame) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the final name appears only at close")
        try stack.close()
        let movie = try MovieReader(inputs: [path])
        XCTAssertEqual(movie.frameCount, 5)
        XCTAssertEqual(movie.files[0].imageJ?.images, 5)
        XCTAssertEqual(movie.files[0].imageJ?.frames, 5)
        XCTAssertEqual(movie.pixelSizeUm ?? 0, 0.065, accuracy: 1e-7)
        XCTAssertEqual(movie.frameIntervalMin ?? 0, 2.5, accuracy: 1e-9)
        for t in 0..<5 {
            let frame = try movie.readFrame(t)
            XCTAssertEqual(frame.image.pixels, frames[t].pixels.map(Float.init))
            XCTAssertEqual(frame.timeMinutes ?? -1, 2.5 * Double(t), accuracy: 1e-9)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["stack.tif"], "no temporary file left")

        // Two channels interleaved per time point (ImageJ CZT order).
        let hyperPath = folder + "/hyper.tif"
        let hyper = try TIFFStackWriter<UInt16>(path: hyperPath, metadata: TIFFMetadata(channels: 2))
        for t in 0..<3 {
            try hyper.append(Image(width: 4, height: 3, repeating: UInt16(100 * t)))
            try hyper.append(Image(width: 4, height: 3, repeating: UInt16(100 * t + 1)))
        }
        try hyper.close()
        let second = try MovieReader(inputs: [hyperPath], channel: 1)
        XCTAssertEqual(second.frameCount, 3)
        XCTAssertEqual(try (0..<3).map { try second.readFrame($0).image.pixels[0] }, [1, 101, 201])
    }

    func testRGBStack() throws {
        let path = folder + "/rgb.tif"
        let red = randomImage(9, 7, seed: 20) { UInt8(truncatingIfNeeded: $0) }
        let green = randomImage(9, 7, seed: 21) { UInt8(truncatingIfNeeded: $0) }
        let blue = randomImage(9, 7, seed: 22) { UInt8(truncatingIfNeeded: $0) }
        let writer = try TIFFStackWriter<UInt8>(path: path, compression: .lzw)
        try writer.appendRGB(red: red, green: green, blue: blue)
        try writer.appendRGB(RGBImage(red: blue, green: red, blue: green))
        try writer.close()
        let movie = try MovieReader(inputs: [path])
        XCTAssertEqual(movie.frameCount, 2)
        XCTAssertTrue(movie.layout.isRGB)
        let grey = try movie.readFrame(0).image.pixels
        for index in 0..<grey.count {
            let expected = 0.2125 * Float(red.pixels[index]) + 0.7154 * Float(green.pixels[index]) + 0.0721 * Float(blue.pixels[index])
            XCTAssertEqual(grey[index], expected, accuracy: 1e-3)
        }
        XCTAssertEqual(try movie.readFrame(1, channel: 2).image.pixels, green.pixels.map(Float.init))
    }

    func testWriterRejectsBadUseAndLeavesNothing() throws {
        let path = folder + "/mixed.tif"
        let writer = try TIFFStackWriter<UInt16>(path: path)
        try writer.append(Image(width: 4, height: 4, repeating: 1))
        XCTAssertThrowsError(try writer.append(Image(width: 5, height: 4, repeating: 1)))
        XCTAssertThrowsError(try TIFFStackWriter<UInt16>(path: folder + "/x.tif", metadata: TIFFMetadata(pixelSizeUm: -1)))
        XCTAssertThrowsError(try TIFFWriter.write(Image<UInt8>(width: 2, height: 2, repeating: 0), to: "/nonexistent-folder/a.tif")) { error in
            XCTAssertTrue(error is OutputError, "\(error)")
        }
        let empty = try TIFFStackWriter<UInt8>(path: folder + "/empty.tif")
        XCTAssertThrowsError(try empty.close())
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/empty.tif"))
        try writer.close()
        XCTAssertEqual(try MovieReader(inputs: [path]).frameCount, 1)
        // A writer dropped without close leaves no file at all.
        do {
            let dropped = try TIFFStackWriter<UInt8>(path: folder + "/dropped.tif")
            try dropped.append(Image(width: 2, height: 2, repeating: 3))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["mixed.tif"])
    }

    /// The fast conversion kernels against obviously correct per-pixel code on seeded data.
    func testConversionKernelsMatchReference() {
        var random = SplitMix64(state: 99)
        let count = 1000, samples = 3
        let chunky = (0..<(count * samples)).map { _ in Int16(truncatingIfNeeded: random.next()) }
        chunky.withUnsafeBytes { raw in
            var grey = [Float](repeating: 0, count: count)
            var single = [Float](repeating: 0, count: count)
            grey.withUnsafeMutableBufferPointer { out in
                SampleConversion.rgbToGrey(Int16.self, raw.baseAddress!, red: SampleAccess(start: 0, stride: 3),
                                           green: SampleAccess(start: 1, stride: 3), blue: SampleAccess(start: 2, stride: 3),
                                           count: count, into: out.baseAddress!)
            }
            single.withUnsafeMutableBufferPointer { out in
                SampleConversion.toFloat(Int16.self, raw.baseAddress!, SampleAccess(start: 1, stride: 3), count: count, into: out.baseAddress!)
            }
            for index in 0..<count {
                let r = Double(chunky[3 * index]), g = Double(chunky[3 * index + 1]), b = Double(chunky[3 * index + 2])
                XCTAssertEqual(Double(grey[index]), 0.2125 * r + 0.7154 * g + 0.0721 * b, accuracy: 0.01)
                XCTAssertEqual(single[index], Float(chunky[3 * index + 1]))
            }
        }
    }
}
