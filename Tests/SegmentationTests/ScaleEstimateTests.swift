import CellTrackCore
import Dispatch
import Foundation
import XCTest
@testable import Segmentation

final class ScaleEstimateTests: XCTestCase {
    /// Rods of a known width, drawn as regions: at their own width they count with their full
    /// lengths; at twice it only the object of twice the width (two rods side by side) counts,
    /// with its own length; the score falls off smoothly on both sides of the rods' width.
    func testConsistentLengthCountsCellsOfTheAssumedWidth() {
        func rod(width: Int, length: Int, at x0: Int) -> Region {
            var labels = LabelImage(width: 200, height: 60, repeating: 0)
            for y in 5..<(5 + length) { for x in x0..<(x0 + width) { labels.pixels[y * 200 + x] = 1 } }
            return RegionMeasurer.measure(labels: labels, intensity: nil)[0]
        }
        let rods = [rod(width: 12, length: 40, at: 10), rod(width: 13, length: 45, at: 40), rod(width: 14, length: 50, at: 70)]
        let merge = rod(width: 28, length: 50, at: 140)
        let atRods = ScaleEstimate.consistentLength(rods + [merge], width: 13)
        XCTAssertEqual(atRods.count, 3)
        // 40 · 0.87 + 45 + 50 · 0.89: the 12- and 14-px rods weigh exp(−ln²(12/13) / (2 · 0.15²))
        XCTAssertEqual(atRods.length, 124.4, accuracy: 2)
        let atMerge = ScaleEstimate.consistentLength(rods + [merge], width: 28)
        XCTAssertEqual(atMerge.count, 1)
        XCTAssertEqual(atMerge.length, 50, accuracy: 5)
        XCTAssertGreaterThan(atRods.length, atMerge.length)
        let near = ScaleEstimate.consistentLength(rods, width: 15).length
        let far = ScaleEstimate.consistentLength(rods, width: 18).length
        XCTAssertLessThan(near, atRods.length)
        XCTAssertLessThan(far, near)
        XCTAssertEqual(ScaleEstimate.consistentLength(rods, width: 6.5).count, 0)
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

    /// A lit colony whose inner cells fall into ~9-px pieces at a cell width of 10 px (Omnipose's
    /// Sample000252, Fixtures/colony_pieces.json; the model's cells are ~17 px wide): measuring
    /// the pieces and segmenting again stayed at 8.5 px (SEG 0.29 against the model's masks).
    /// The ladder chooses the scale at which the pieces are whole cells, and the same scale
    /// however many threads segment it.
    func testColonyInPiecesGetsTheScaleOfItsCells() throws {
        let d = try Fixture.load("colony_pieces") as! [String: Any]
        let image = Fixture.float(d["image"]), model = Fixture.labels(d["model"])
        var p = SegmentationParameters()
        p.method = .colony
        let scale = try XCTUnwrap(try ScaleEstimate.measure(count: 1, frame: { _ in .float(image) }, parameters: p))
        XCTAssertGreaterThan(scale.widthPixels, 12, "measured \(scale.widthPixels) px")
        XCTAssertLessThan(scale.widthPixels, 18, "measured \(scale.widthPixels) px")
        let found = LocalReferenceTests.matches(truth: model, result: try Segmenter.segment(image, parameters: p, pixelSize: scale.pixelSize).labels)
        let inPieces = LocalReferenceTests.matches(truth: model, result: try Segmenter.segment(image, parameters: p, pixelSize: p.colony.cellWidthUm / 9).labels)
        XCTAssertGreaterThanOrEqual(found, 30, "\(found) of the model's 41 cells")
        XCTAssertLessThan(inPieces, 20, "\(inPieces) of 41 at 9 px")
        let parallel = try ScaleEstimate.measure(count: 1, frame: { _ in .float(image) }, parameters: p, parallel: { n, body in
            DispatchQueue.concurrentPerform(iterations: n) { i in body(i) }
        })
        XCTAssertEqual(parallel, scale)
    }

    /// A frame of camera noise (Gaussian, σ 20 grey levels) has no cells at any scale: no
    /// estimate, so the caller keeps the default.
    func testNoCellsGiveNoEstimate() throws {
        var rng = SplitMix64(seed: 5)
        func gaussian() -> Float {
            let u1 = Double(rng.next() >> 11 + 1) / Double(1 << 53), u2 = Double(rng.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
        let noise = Image<Float>(uncheckedWidth: 320, height: 240, pixels: (0..<(320 * 240)).map { _ in 1000 + 20 * gaussian() })
        var p = SegmentationParameters()
        p.method = .colony
        XCTAssertNil(try ScaleEstimate.measure(count: 1, frame: { _ in .float(noise) }, parameters: p))
    }

    /// The 128×128 trpL crop (Fixtures/colony_trpl.json, 0.065 µm/px: 15.4 px at 1 µm): the
    /// scale lands within 20 % of the stated one.
    func testTrpLCropScaleNearItsPixelSize() throws {
        let c = try ColonyTests.crop()
        var p = SegmentationParameters()
        p.method = .colony
        let scale = try XCTUnwrap(try ScaleEstimate.measure(count: 1, frame: { _ in .float(c.image) }, parameters: p))
        XCTAssertEqual(scale.widthPixels, p.colony.cellWidthUm / c.pixelSize, accuracy: 0.2 * p.colony.cellWidthUm / c.pixelSize,
                       "measured \(scale.widthPixels) px")
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

    /// Thin dark Caulobacter in broad bright halos (Omnipose's caulo_15, Fixtures/caulo_halos.json;
    /// cells ~5.5 px wide). Each width of the ladder used to decide `auto`'s polarity after its own
    /// smoothing; at ~20 px the frame looked bright and the halos won as cells. The polarity is now
    /// decided once, at the finest width: dark, with the cells' own width, and the objects found
    /// are the dark bodies, for `auto` and `colony` alike; a given polarity is left as it is.
    func testHalosDoNotTurnThinDarkCellsBright() throws {
        let r = Fixture.raw((try Fixture.load("caulo_halos") as! [String: Any])["image"])
        let image = Image<UInt16>(uncheckedWidth: r.width, height: r.height, pixels: r.values.map { UInt16($0) })
        let median = image.pixels.sorted()[image.count / 2]
        for method in [SegmentationParameters.Method.auto, .colony] {
            var p = SegmentationParameters()
            p.method = method
            let scale = try XCTUnwrap(try ScaleEstimate.measure(count: 1, frame: { _ in .uint16(image) }, parameters: p))
            XCTAssertEqual(scale.polarity, .dark, "\(method)")
            XCTAssertGreaterThanOrEqual(scale.widthPixels, 4, "\(method)")
            XCTAssertLessThan(scale.widthPixels, 8, "\(method): measured \(scale.widthPixels) px")
            p.polarity = .dark
            let result = try Segmenter.segment(.uint16(image), parameters: p, pixelSize: scale.pixelSize)
            XCTAssertGreaterThanOrEqual(result.regions.count, 12, "\(method)")
            let dark = result.regions.filter { $0.meanIntensity < Double(median) }.count
            XCTAssertGreaterThanOrEqual(dark * 10, result.regions.count * 9, "\(method): \(dark) of \(result.regions.count) darker than the median")
        }
        var given = SegmentationParameters()
        given.method = .colony
        given.polarity = .bright
        XCTAssertNil(try ScaleEstimate.moviePolarity(count: 1, frame: { _ in .uint16(image) }, parameters: given))
        given.polarity = .auto
        given.method = .recipe
        XCTAssertNil(try ScaleEstimate.moviePolarity(count: 1, frame: { _ in .uint16(image) }, parameters: given))
    }
}
