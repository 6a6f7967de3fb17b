import Foundation
import XCTest
import CellTrackCore
@testable import ImageIO

/// Our reader against files written by tifffile (an independent writer), value for value.
final class ReaderFixtureTests: XCTestCase {
    /// Every fixture with expected grey values: pixel types, compressions, predictors, tiles,
    /// byte orders, BigTIFF, RGB/RGBA chunky and planar, palette, 1-bit, hyperstacks.
    func testEveryFixtureMatchesTifffile() throws {
        let names = Fixtures.expected.keys.filter { Fixtures.expected[$0]?["grey"] != nil }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 30)
        for name in names {
            let entry = Fixtures.expected[name]!
            let movie = try MovieReader(inputs: [Fixtures.path(name)])
            let frames = Fixtures.frames(entry["grey"])
            XCTAssertEqual(movie.frameCount, frames.count, name)
            XCTAssertEqual(movie.width, entry["width"] as? Int, name)
            XCTAssertEqual(movie.height, entry["height"] as? Int, name)
            for (index, expectedFrame) in frames.enumerated() {
                let frame = try movie.readFrame(index)
                XCTAssertEqual(frame.index, index)
                assertClose(frame.image.pixels, expectedFrame, "\(name) frame \(index)")
            }
            if let size = entry["pixelSizeUm"] as? Double {
                XCTAssertEqual(movie.pixelSizeUm ?? -1, size, accuracy: size * 1e-6, name)
            } else {
                XCTAssertNil(movie.pixelSizeUm, name)
            }
            if let interval = entry["frameIntervalMin"] as? Double {
                XCTAssertEqual(movie.frameIntervalMin ?? -1, interval, accuracy: 1e-9, name)
            }
            if let type = entry["sampleType"] as? String { XCTAssertEqual(movie.layout.sampleTypeName, type, name) }
            if let tiled = entry["tiled"] as? Bool { XCTAssertEqual(movie.layout.tiled, tiled, name) }
            XCTAssertEqual(movie.files[0].bigEndian, entry["bigEndian"] as? Bool ?? false, name)
            XCTAssertEqual(movie.files[0].bigTIFF, entry["bigTIFF"] as? Bool ?? false, name)
            if let channels = entry["channels"] as? Int { XCTAssertEqual(movie.channelCount, channels, name) }
            if let predictor = entry["predictor"] as? Int { XCTAssertEqual(movie.layout.predictor, predictor, name) }
            if let compression = entry["compression"] as? String {
                XCTAssertEqual(movie.layout.compressionName.lowercased(), compression, name)
            }
        }
    }

    func testHyperstackChannelSelection() throws {
        let entry = Fixtures.expected["imagej_hyperstack.tif"]!
        let channel1 = Fixtures.frames(entry["channel1"])
        let byArgument = try MovieReader(inputs: [Fixtures.path("imagej_hyperstack.tif")], channel: 1)
        let perCall = try MovieReader(inputs: [Fixtures.path("imagej_hyperstack.tif")])
        XCTAssertEqual(byArgument.frameCount, 3)
        XCTAssertEqual(byArgument.channelCount, 2)
        for t in 0..<3 {
            assertClose(try byArgument.readFrame(t).image.pixels, channel1[t], "channel 1 frame \(t)")
            assertClose(try perCall.readFrame(t, channel: 1).image.pixels, channel1[t], "per-call channel 1 frame \(t)")
            // ImageJ order CZT: frame t channel 1 is page 2t+1.
            XCTAssertEqual(byArgument.sources[t].page, 2 * t + 1)
            XCTAssertEqual(try byArgument.readFrame(t).timeMinutes ?? -1, Double(t) * 2, accuracy: 1e-9)
        }
        assertInputError("imagej_hyperstack.tif") { _ = try MovieReader(inputs: [Fixtures.path("imagej_hyperstack.tif")], channel: 2) }
        assertInputError("imagej_hyperstack.tif") { _ = try perCall.readFrame(0, channel: 5) }
    }

    /// ImageJ (CZT order) and OME (channel-fastest and time-fastest) multi-channel files.
    func testSecondChannelOfEveryHyperstack() throws {
        let names = Fixtures.expected.keys.filter { Fixtures.expected[$0]?["channel1"] != nil }.sorted()
        XCTAssertEqual(names, ["imagej_hyperstack.tif", "ome_ctyx.ome.tif", "ome_tcyx.ome.tif"])
        for name in names {
            let expected = Fixtures.frames(Fixtures.expected[name]!["channel1"])
            let movie = try MovieReader(inputs: [Fixtures.path(name)], channel: 1)
            XCTAssertEqual(movie.frameCount, expected.count, name)
            for t in 0..<expected.count {
                assertClose(try movie.readFrame(t).image.pixels, expected[t], "\(name) channel 1 frame \(t)")
            }
        }
    }

    func testRGBChannelPicksOneComponent() throws {
        let red = Fixtures.doubles(Fixtures.expected["rgb_chunky.tif"]!["red"])
        let movie = try MovieReader(inputs: [Fixtures.path("rgb_chunky.tif")], channel: 0)
        assertClose(try movie.readFrame(0).image.pixels, red, "red component")
    }

    func testPaletteLabelsAreIndices() throws {
        let indices = Fixtures.doubles(Fixtures.expected["palette_uint8.tif"]!["labels"])
        let movie = try MovieReader(inputs: [Fixtures.path("palette_uint8.tif")])
        XCTAssertEqual(try movie.readLabels(0).pixels.map(Double.init), indices)
    }

    func testLabelsWideIntegers() throws {
        let expected = Fixtures.doubles(Fixtures.expected["labels_int64.tif"]!["labels"])
        let labels = try MovieReader(inputs: [Fixtures.path("labels_int64.tif")]).readLabels(0)
        XCTAssertEqual(labels.pixels.map(Double.init), expected)
        XCTAssertTrue(labels.pixels.contains(70000))
    }

    func testLabelsRejectFloatAndNegativeValues() throws {
        let float = assertInputError("labels_float32.tif") {
            _ = try MovieReader(inputs: [Fixtures.path("labels_float32.tif")]).readLabels(0)
        }
        XCTAssertTrue(float?.problem.contains("integers") ?? false)
        let negative = assertInputError("labels_negative_int32.tif") {
            _ = try MovieReader(inputs: [Fixtures.path("labels_negative_int32.tif")]).readLabels(0)
        }
        XCTAssertTrue(negative?.problem.contains("negative") ?? false)
        assertInputError("rgb_chunky.tif") { _ = try MovieReader(inputs: [Fixtures.path("rgb_chunky.tif")]).readLabels(0) }
    }

    func testEcoliCropChecksums() throws {
        let entry = Fixtures.expected["ecoli_trpL_crop.tif"]!
        let sums = Fixtures.doubles(entry["sums"])
        let weighted = Fixtures.doubles(entry["weightedSums"])
        let movie = try MovieReader(inputs: [Fixtures.path("ecoli_trpL_crop.tif")])
        XCTAssertEqual(movie.frameCount, 3)
        XCTAssertEqual(movie.width, 64)
        XCTAssertEqual(movie.layout.compressionName, "Deflate")
        for t in 0..<3 {
            let pixels = try movie.readFrame(t).image.pixels
            var sum = 0.0, weightedSum = 0.0
            for (index, value) in pixels.enumerated() {
                sum += Double(value)
                weightedSum += Double(value) * Double(index + 1)
            }
            XCTAssertEqual(sum, sums[t], "frame \(t) sum")
            XCTAssertEqual(weightedSum, weighted[t], "frame \(t) weighted sum")
        }
    }

    func testRandomAccessEqualsSequential() throws {
        let movie = try MovieReader(inputs: [Fixtures.path("bigtiff_stack.tif")])
        let sequential = try (0..<3).map { try movie.readFrame($0).image.pixels }
        for index in [2, 0, 1, 1, 2] {
            XCTAssertEqual(try movie.readFrame(index).image.pixels, sequential[index])
        }
        assertInputError("bigtiff_stack.tif") { _ = try movie.readFrame(3) }
    }

    /// `readGrey` (integer frames decoded straight into the image) gives `readFrame`'s values on
    /// every fixture; pages read again, out of order and alternately through `readFrame`,
    /// `readGrey` and `readLabels` stay right, which checks that the decoder's own undoing of
    /// predictor 2 (`TIFFFile.takeOverPredictor`) survives directory changes and re-reads.
    func testReadGreyAndPredictorUndoInAnyOrder() throws {
        let names = Fixtures.expected.keys.filter { Fixtures.expected[$0]?["grey"] != nil }.sorted()
        var predictorFixtures = 0
        for name in names {
            let entry = Fixtures.expected[name]!
            let frames = Fixtures.frames(entry["grey"])
            let movie = try MovieReader(inputs: [Fixtures.path(name)])
            if movie.layout.predictor == 2 { predictorFixtures += 1 }
            let last = frames.count - 1
            for index in [last, 0, 0, last, min(1, last), 0] {
                let grey = try movie.readGrey(index)
                assertClose(grey.image.asFloat.pixels, frames[index], "\(name) grey frame \(index)")
                assertClose(try movie.readFrame(index).image.pixels, frames[index], "\(name) frame \(index) after grey")
                if case .float = grey.image {} else {
                    XCTAssertEqual(try movie.readLabels(index).pixels.map { Double($0) }, frames[index], "\(name) labels \(index)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(predictorFixtures, 3)
    }

    func testFolderInNaturalOrderSkippingOtherFiles() throws {
        let movie = try MovieReader(inputs: [Fixtures.path("series")])
        XCTAssertEqual(movie.frameCount, 3)
        XCTAssertEqual(try (0..<3).map { try movie.readFrame($0).image.pixels[0] }, [1, 2, 10])
        XCTAssertTrue(movie.sources[2].path.hasSuffix("t10.tif"))
        // Random access across files.
        XCTAssertEqual(try movie.readFrame(0).image.pixels[0], 1)
    }

    func testGlobPattern() throws {
        let movie = try MovieReader(inputs: [Fixtures.path("series") + "/t*.tif"])
        XCTAssertEqual(try (0..<movie.frameCount).map { try movie.readFrame($0).image.pixels[0] }, [1, 2, 10])
        assertInputError("nothing_*.tif") { _ = try MovieReader(inputs: [Fixtures.path("nothing_*.tif")]) }
    }

    func testSeveralInputsConcatenate() throws {
        let movie = try MovieReader(inputs: [Fixtures.path("series/t2.tif"), Fixtures.path("series/t1.tif")])
        XCTAssertEqual(try movie.readFrame(0).image.pixels[0], 2)
        XCTAssertEqual(try movie.readFrame(1).image.pixels[0], 1)
        assertInputError("comp_lzw.tif") { _ = try MovieReader(inputs: [Fixtures.path("series/t1.tif"), Fixtures.path("comp_lzw.tif")]) }
    }

    func testNaturalOrder() {
        let names = ["t10.tif", "t2.tif", "t1.tif", "t02.tif", "a.tif", "t100.tif", "T3.tif"]
        XCTAssertEqual(names.sorted(by: InputFiles.naturalOrder),
                       ["T3.tif", "a.tif", "t1.tif", "t02.tif", "t2.tif", "t10.tif", "t100.tif"])
    }
}
