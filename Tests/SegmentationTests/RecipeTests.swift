import CellTrackCore
import Dispatch
import Foundation
import XCTest
@testable import Segmentation

/// The seed's toy, properties of the watershed, determinism and parameter handling.
final class RecipeTests: XCTestCase {
    /// 100×100, disks at (20,20) r10, (35,35) r15, (60,60) r8 (the first two overlap).
    static func toy(speckle: Double = 0, seed: UInt64 = 42) -> Image<Float> {
        var img = Image<Float>(width: 100, height: 100, repeating: 0)
        for (cx, cy, r) in [(20.0, 20.0, 10.0), (35.0, 35.0, 15.0), (60.0, 60.0, 8.0)] {
            for y in 0..<100 {
                for x in 0..<100 where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) <= r * r {
                    img.pixels[y * 100 + x] = 1
                }
            }
        }
        var rng = SplitMix64(seed: seed)
        if speckle > 0 { for i in 0..<img.count where rng.unit() < speckle { img.pixels[i] = 1 } }
        return img
    }

    func testToyGivesExactlyThreeCellsWithDefaults() throws {
        let r = try Segmenter.segment(Self.toy(), parameters: SegmentationParameters(), pixelSize: nil)
        XCTAssertEqual(r.regions.count, 3)
        XCTAssertEqual(r.polarity, .bright)
        // the big disk is the biggest region, the small one ~π·8²
        let areas = r.regions.map(\.area).sorted()
        XCTAssertEqual(Double(areas[0]), Double.pi * 64, accuracy: 25)
    }

    func testSpeckledToyNeedsOpening() throws {
        let img = Self.toy(speckle: 0.1)
        var p = SegmentationParameters()
        // the seed's recipe: peak_local_max markers (h-maxima would already ignore 1-px speckles)
        p.smoothSigma = 0; p.flatField = 0; p.minArea = 1; p.openRadius = 0; p.polarity = .bright; p.markers = .peak
        let noisy = try Segmenter.segment(img, parameters: p, pixelSize: nil)
        XCTAssertGreaterThan(noisy.regions.count, 100)
        p.openRadius = 5
        let clean = try Segmenter.segment(img, parameters: p, pixelSize: nil)
        XCTAssertEqual(clean.regions.count, 3)
    }

    func testWatershedProperties() throws {
        var rng = SplitMix64(seed: 11)
        for trial in 0..<10 {
            let m = blobMask(width: 60, height: 50, count: 7, rmin: 3, rmax: 10, rng: &rng)
            let d = DistanceTransform.euclidean(m)
            let markers = try Markers.hMaximaMarkers(d, foreground: m, h: 1)
            let labels = try Watershed.flood(d.map { -$0 }, markers: markers, mask: m,
                                             connectivity: trial % 2 == 0 ? .four : .eight)
            let markerLabels = Set(markers.pixels.filter { $0 != 0 })
            // every component that holds a marker is fully labelled; pixels outside the mask stay 0
            let cc = Labeling.label(m, connectivity: trial % 2 == 0 ? .four : .eight).labels
            var componentHasMarker = [Bool](repeating: false, count: Int(cc.pixels.max() ?? 0) + 1)
            for i in 0..<m.count where markers.pixels[i] != 0 { componentHasMarker[Int(cc.pixels[i])] = true }
            for i in 0..<m.count {
                if m.pixels[i] == 0 { XCTAssertEqual(labels.pixels[i], 0) }
                else if componentHasMarker[Int(cc.pixels[i])] { XCTAssertNotEqual(labels.pixels[i], 0, "masked pixel \(i) unlabelled") }
                if labels.pixels[i] != 0 { XCTAssertTrue(markerLabels.contains(labels.pixels[i]), "label not from a marker") }
            }
            // markers keep their own label
            for i in 0..<m.count where markers.pixels[i] != 0 { XCTAssertEqual(labels.pixels[i], markers.pixels[i]) }
        }
    }

    func testResultIndependentOfThreadCount() throws {
        var rng = SplitMix64(seed: 12)
        var frames: [Image<Float>] = []
        for _ in 0..<6 {
            let m = blobMask(width: 80, height: 64, count: 9, rmin: 4, rmax: 11, rng: &rng)
            var img = m.map { Float($0) * 500 + 100 }
            for i in 0..<img.count { img.pixels[i] += Float(rng.unit() * 60) }
            frames.append(img)
        }
        let p = SegmentationParameters()
        let serial = try frames.map { try Segmenter.segment($0, parameters: p, pixelSize: 0.1) }
        final class Box: @unchecked Sendable { var results: [SegmentationResult?] = [] }
        let box = Box()
        box.results = Array(repeating: nil, count: frames.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: frames.count) { i in
            let r = try? Segmenter.segment(frames[i], parameters: p, pixelSize: 0.1)
            lock.lock(); box.results[i] = r; lock.unlock()
        }
        for i in 0..<frames.count { XCTAssertEqual(box.results[i], serial[i]) }
        XCTAssertGreaterThan(serial.map(\.regions.count).reduce(0, +), 6)
    }

    func testLabelsAreConsecutiveInRasterOrder() throws {
        var rng = SplitMix64(seed: 13)
        let m = blobMask(width: 90, height: 70, count: 12, rmin: 4, rmax: 10, rng: &rng)
        let img = m.map { Float($0) }
        var p = SegmentationParameters(); p.flatField = 0; p.minArea = 30
        let r = try Segmenter.segment(img, parameters: p, pixelSize: nil)
        var seen: UInt32 = 0
        for v in r.labels.pixels where v != 0 {
            XCTAssertLessThanOrEqual(v, seen + 1)
            seen = max(seen, v)
        }
        XCTAssertEqual(Int(seen), r.regions.count)
        XCTAssertEqual(r.regions.map(\.label), (1...UInt32(max(seen, 1))).map { $0 }.prefix(r.regions.count).map { $0 })
        XCTAssertTrue(r.regions.allSatisfy { $0.area >= 30 })
    }

    func testParametersCodableAndValidation() throws {
        var p = SegmentationParameters()
        p.threshold = .value(123.5); p.h = 2; p.markers = .peak
        let data = try JSONEncoder().encode(p)
        XCTAssertEqual(try JSONDecoder().decode(SegmentationParameters.self, from: data), p)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("123.5"))
        p.threshold = .otsu
        XCTAssertTrue(String(decoding: try JSONEncoder().encode(p), as: UTF8.self).contains("\"otsu\""))
        var bad = SegmentationParameters(); bad.smoothSigma = -1
        XCTAssertThrowsError(try bad.validate())
        bad = SegmentationParameters(); bad.h = 0
        XCTAssertThrowsError(try Segmenter.segment(Self.toy(), parameters: bad, pixelSize: nil))
        XCTAssertThrowsError(try Segmenter.segment(Self.toy(), parameters: SegmentationParameters(), pixelSize: -1))
        XCTAssertNil(SegmentationParameters.ThresholdChoice(parsing: "otsx"))
        XCTAssertEqual(SegmentationParameters.ThresholdChoice(parsing: "OTSU"), .otsu)
        // µm-based defaults scale with pixel size
        let r1 = SegmentationParameters().resolved(pixelSize: 0.1), r2 = SegmentationParameters().resolved(pixelSize: 0.05)
        XCTAssertEqual(r1.minArea, 40); XCTAssertEqual(r2.minArea, 160)
        XCTAssertEqual(r1.h, 1, accuracy: 1e-12); XCTAssertEqual(r2.h, 2, accuracy: 1e-12)
    }

    func testTipToTipLengthOfAxisAlignedAndDiagonalRods() {
        // a 40×8 axis-aligned bar: tip-to-tip 40 px (39 between centres + 0.6 correction)
        var l = LabelImage(width: 60, height: 30, repeating: 0)
        for y in 10..<18 { for x in 5..<45 { l.pixels[y * 60 + x] = 1 } }
        let r = RegionMeasurer.measure(labels: l, intensity: nil)[0]
        XCTAssertEqual(r.length, 39.6, accuracy: 1e-9)
        XCTAssertEqual(r.width, 320 / 39.6, accuracy: 1e-9)
        XCTAssertEqual(r.lengthUm(pixelSize: 0.1), 3.96, accuracy: 1e-9)
        XCTAssertEqual(r.orientation, Double.pi / 2, accuracy: 1e-9)   // major axis along columns
    }

    func testFlatFieldRemovesIlluminationGradient() {
        // dark cells on a background that brightens 3× from left to right
        var img = Image<Float>(width: 256, height: 128, repeating: 0)
        for y in 0..<128 {
            for x in 0..<256 {
                let bg = 100 + 200 * Float(x) / 255
                let inCell = (x / 32) % 2 == 0 && (y / 16) % 2 == 0 && x % 32 < 8 && y % 16 < 8
                img.pixels[y * 256 + x] = inCell ? bg * 0.4 : bg
            }
        }
        let flat = Preprocess.flatField(img, scalePixels: 48, darkCells: true)
        // away from the borders (where the background estimate is extrapolated) the background
        // is ~1 and cells ~0.4 on both sides, so one threshold separates them
        let left = flat.pixels[72 * 256 + 84], right = flat.pixels[72 * 256 + 180]
        XCTAssertEqual(left, 1, accuracy: 0.1); XCTAssertEqual(right, 1, accuracy: 0.1)
        XCTAssertEqual(img.pixels[72 * 256 + 180] / img.pixels[72 * 256 + 84], 1.45, accuracy: 0.02)
        let cellLeft = flat.pixels[68 * 256 + 68], cellRight = flat.pixels[68 * 256 + 196]
        XCTAssertEqual(cellLeft, 0.4, accuracy: 0.08); XCTAssertEqual(cellRight, 0.4, accuracy: 0.08)
    }
}
