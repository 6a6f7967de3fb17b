import CellTrackCore
import XCTest
@testable import Segmentation

final class ScaleEstimateTests: XCTestCase {
    /// Rods of a known width, drawn as regions: the width counts only rod-like objects (round
    /// blobs and debris do not vote), leaves out those much wider than the rest (merges), and
    /// needs three rods.
    func testRodWidthOfRodsOnly() {
        func rod(width: Int, length: Int, at x0: Int) -> Region {
            var labels = LabelImage(width: 200, height: 60, repeating: 0)
            for y in 5..<(5 + length) { for x in x0..<(x0 + width) { labels.pixels[y * 200 + x] = 1 } }
            return RegionMeasurer.measure(labels: labels, intensity: nil)[0]
        }
        let rods = [rod(width: 12, length: 40, at: 10), rod(width: 13, length: 45, at: 40), rod(width: 14, length: 50, at: 70)]
        let blob = rod(width: 30, length: 30, at: 100)   // square: not a rod
        let merge = rod(width: 28, length: 50, at: 140)  // two rods side by side
        let width = ScaleEstimate.rodWidth(rods + [blob, merge])
        XCTAssertNotNil(width)
        XCTAssertEqual(width ?? 0, 13, accuracy: 0.3)
        XCTAssertNil(ScaleEstimate.rodWidth(Array(rods.prefix(2)) + [blob]))
        XCTAssertEqual(ScaleEstimate.sampleFrames(1), [0])
        XCTAssertEqual(ScaleEstimate.sampleFrames(2), [0, 1])
        XCTAssertEqual(ScaleEstimate.sampleFrames(20), [0, 10, 19])
    }

    /// A real colony of ~160 cells (Omnipose's ec_5I frame, 0.11324 µm/px, so w = 8.8 px at the
    /// default 1 µm; Fixtures/colony_lit.json) without its pixel size: from the default scale
    /// (10 px) the estimate lands near the cells' width, and segmenting at it matches the model's
    /// cells about as well as the known pixel size does.
    func testLitColonyWidthFromTheImage() throws {
        let c = try LocalReferenceTests.lit()
        var p = SegmentationParameters()
        p.method = .colony
        let scale = try ScaleEstimate.measure(count: 1, frame: { _ in .float(c.image) }, parameters: p)
        let s = try XCTUnwrap(scale)
        XCTAssertEqual(s.widthPixels, p.colony.cellWidthUm / c.pixelSize, accuracy: 1.3, "measured \(s.widthPixels) px")
        XCTAssertEqual(s.pixelSize, p.colony.cellWidthUm / s.widthPixels, accuracy: 1e-12)
        let atScale = try Segmenter.segment(c.image, parameters: p, pixelSize: s.pixelSize)
        let atDefault = try Segmenter.segment(c.image, parameters: p, pixelSize: nil)
        let found = LocalReferenceTests.matches(truth: c.model, result: atScale.labels)
        XCTAssertGreaterThanOrEqual(found, 140, "\(found) of the model's 159 cells")
        XCTAssertGreaterThan(found, LocalReferenceTests.matches(truth: c.model, result: atDefault.labels))
        // deterministic
        XCTAssertEqual(try ScaleEstimate.measure(count: 1, frame: { _ in .float(c.image) }, parameters: p), scale)
    }

    /// Too few rods to measure (the 8-cell trpL crop comes out as two merged blobs at 10 px):
    /// no estimate, so the caller keeps the default scale.
    func testTooFewRodsGiveNoEstimate() throws {
        let c = try ColonyTests.crop()
        var p = SegmentationParameters()
        p.method = .colony
        XCTAssertNil(try ScaleEstimate.measure(count: 1, frame: { _ in .float(c.image) }, parameters: p))
    }

    /// A pixel size so coarse that the smoothing kernel has radius 0 (psc-phc's metadata says
    /// 1.6 µm/px: w = 0.6 px) once read past the smoothing's row buffer and crashed at random.
    /// Now the same frame gives the same labels every time.
    func testTinyCellWidthIsDeterministic() throws {
        let c = try ColonyTests.crop()
        var p = SegmentationParameters()
        p.method = .colony
        let first = try Segmenter.segment(c.image, parameters: p, pixelSize: 1.6)
        for _ in 0..<3 {
            XCTAssertEqual(try Segmenter.segment(c.image, parameters: p, pixelSize: 1.6).labels.pixels, first.labels.pixels)
        }
    }
}
