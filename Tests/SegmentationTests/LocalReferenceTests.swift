import CellTrackCore
import Foundation
import XCTest
@testable import Segmentation

/// The colony method's local reference (`LocalReference`, docs/colony-method.md §13): a real
/// colony whose interior is lit (Fixtures/colony_lit.json, with a neural network's masks as a
/// second opinion), colonies that must be left alone, and the medians it compares.
final class LocalReferenceTests: XCTestCase {
    struct Lit {
        var image: Image<Float>
        var model: LabelImage
        var pixelSize: Double
    }

    static func lit() throws -> Lit {
        let d = try Fixture.load("colony_lit") as! [String: Any]
        return Lit(image: Fixture.float(d["image"]), model: Fixture.labels(d["model"]), pixelSize: d["pixel_size"] as! Double)
    }

    /// Objects of `result` matching one of `truth` at IoU > 0.5 (each truth object at most once).
    static func matches(truth: LabelImage, result: LabelImage) -> Int {
        var overlap: [Int: Int] = [:]
        var areaT: [UInt32: Int] = [:], areaR: [UInt32: Int] = [:]
        for i in 0..<truth.count {
            let t = truth.pixels[i], r = result.pixels[i]
            if t != 0 { areaT[t, default: 0] += 1 }
            if r != 0 { areaR[r, default: 0] += 1 }
            if t != 0 && r != 0 { overlap[Int(t) << 32 | Int(r), default: 0] += 1 }
        }
        // IoU > 0.5 makes a match unique on both sides, so the count needs no assignment
        return overlap.filter { key, n in
            let t = UInt32(key >> 32), r = UInt32(key & 0xFFFF_FFFF)
            return 2 * n > areaT[t]! + areaR[r]! - n
        }.count
    }

    func testLitColonyGetsItsInnerCells() throws {
        let c = try Self.lit()
        var p = SegmentationParameters()   // auto: the colony method, dark cells
        let withReference = try Segmenter.segment(c.image, parameters: p, pixelSize: c.pixelSize)
        p.colony.localReferenceWindow = 0
        let without = try Segmenter.segment(c.image, parameters: p, pixelSize: c.pixelSize)
        let model = Int(c.model.pixels.max()!)
        XCTAssertEqual(model, 159)
        let found = Self.matches(truth: c.model, result: withReference.labels)
        let foundWithout = Self.matches(truth: c.model, result: without.labels)
        // measured: 150 of 159 model cells matched with 159 objects (F1 0.943); 30 of them with
        // the global reference alone (the rim), from 53 objects
        XCTAssertGreaterThanOrEqual(found, 140, "matched \(found)")
        XCTAssertLessThanOrEqual(abs(withReference.regions.count - model), 16)
        XCTAssertLessThan(foundWithout, 60, "the global reference alone finds the rim only")
    }

    /// The reference is computed once per group, so tiles and helping threads see the same one.
    func testLitColonyTiledOrSharedEqualsWhole() throws {
        let c = try Self.lit()
        let p = ColonyParameters(), width = 1 / c.pixelSize
        let whole = try XCTUnwrap(ColonySegmenter.segmentGrouped(c.image, parameters: p, widthPixels: width,
                                                                 polarity: .dark, tiling: .never))
        XCTAssertGreaterThan(whole.cells.count, 140)
        let margin = Int((3 * width).rounded(.up))
        let tiling = ColonySegmenter.Tiling(core: 64, margin: margin, above: margin, beyond: margin + Int((6 * width).rounded(.up)))
        let tiled = try XCTUnwrap(ColonySegmenter.segmentGrouped(c.image, parameters: p, widthPixels: width,
                                                                 polarity: .dark, tiling: tiling))
        XCTAssertGreaterThan(tiled.tiledGroups, 0, "the colony was tiled")
        XCTAssertEqual(tiled.cells.labelImage().pixels, whole.cells.labelImage().pixels)
        let sharing = WorkSharing(participants: 2)
        let helper = DispatchGroup()
        helper.enter()
        Thread { defer { helper.leave() }; sharing.help() }.start()
        let shared = ColonySegmenter.segmentGrouped(c.image, parameters: p, widthPixels: width, polarity: .dark,
                                                    tiling: tiling, sharing: sharing)
        sharing.help()
        XCTAssertEqual(helper.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(try XCTUnwrap(shared).cells.labelImage().pixels, whole.cells.labelImage().pixels)
    }

    func testSmallColoniesAreLeftAlone() throws {
        // the trpL crop (8 cells) and a sparse synthetic frame: the same labels with and without
        let crop = try ColonyTests.crop()
        var frames: [(Image<Float>, Double)] = [(crop.image, crop.pixelSize)]
        frames.append((RunsTests.phaseContrastFrame(width: 260, height: 190, rods: 14, seed: 2), 0.065))
        for (k, (image, px)) in frames.enumerated() {
            var p = SegmentationParameters()
            p.method = .colony
            let on = try Segmenter.segment(image, parameters: p, pixelSize: px)
            p.colony.localReferenceWindow = 0
            let off = try Segmenter.segment(image, parameters: p, pixelSize: px)
            XCTAssertEqual(on.labels.pixels, off.labels.pixels, "frame \(k)")
        }
    }

    func testMedianBinIsTheSortedMediansBin() {
        var rng = SplitMix64(seed: 29)
        for trial in 0..<40 {
            let n = 1 + Int(rng.unit() * 3000)
            var values = (0..<n).map { _ in -Float(rng.unit() * (trial % 2 == 0 ? 300 : 20)) }
            if trial % 5 == 0 { for i in 0..<n where i % 3 == 0 { values[i] = values[0] } }   // many ties
            var histogram = [Int32](repeating: 0, count: LocalReference.medianBins)
            for v in values { histogram[LocalReference.medianBin(v)] += 1 }
            // from the least dark: the ⌈n/2⌉-th value of the values sorted downwards
            let median = values.sorted(by: >)[(n + 1) / 2 - 1]
            XCTAssertEqual(LocalReference.medianBinOf(histogram[...]), LocalReference.medianBin(median), "trial \(trial)")
        }
        XCTAssertNil(LocalReference.medianBinOf([Int32](repeating: 0, count: 8)[...]))
        XCTAssertEqual(LocalReference.medianBin(-0.1), 0)
        XCTAssertEqual(LocalReference.medianBin(-3), 12)
        XCTAssertEqual(LocalReference.medianBin(-1e6), LocalReference.medianBins - 1)
    }

    func testNothingAppliesOnAFlatFrame() {
        var rng = SplitMix64(seed: 3)
        var s = Image<Float>(width: 300, height: 200, repeating: 0)
        for i in 0..<s.count { s.pixels[i] = Float(rng.unit() * 2 - 1) }
        var fg = [UInt8](repeating: 0, count: s.count)
        let before = s
        XCTAssertNil(LocalReference.apply(&s, foreground: &fg, threshold: 3, widthPixels: 10, parameters: ColonyParameters()))
        XCTAssertEqual(s.pixels, before.pixels)
        XCTAssertFalse(fg.contains(1))
    }
}
