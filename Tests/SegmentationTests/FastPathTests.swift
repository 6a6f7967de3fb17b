import CellTrackCore
import XCTest
@testable import Segmentation

/// The recipe's fast paths against the whole-frame kernels they replace, on seeded random input.
final class FastPathTests: XCTestCase {
    /// Whole-frame EDT → h-maxima markers → watershed, renumbered in raster order (the reference).
    static func wholeFrame(_ m: Mask, h: Float, connectivity: Connectivity) -> [UInt32] {
        let d = DistanceTransform.euclidean(m)
        let markers = Markers.hMaximaMarkersUnchecked(d, foreground: m, h: h)
        let labels = Watershed.floodNegatedDistance(d, markers: markers, mask: m, connectivity: connectivity)
        return Labeling.relabelSequential(labels).pixels
    }

    /// The colony markers' erosion equals thresholding the exact EDT: random masks of every
    /// density (no background at all, no foreground at all), rows and columns of one pixel, and
    /// radii on and between the integers and their square roots.
    func testFartherThanEqualsThresholdedTransform() {
        var rng = SplitMix64(seed: 17)
        let radii: [Double] = [0, 0.5, 1, 1.2, 2.0.squareRoot(), 2, 2.2, 5.0.squareRoot(), 3.17, 4, 6.5]
        for trial in 0..<48 {
            let w = [1, 2, 37, 64][trial % 4], h = [1, 29, 3, 50][(trial / 4) % 4]
            let density = [0.0, 0.5, 0.8, 0.95, 1.0][trial % 5]
            var m = Mask(width: w, height: h, repeating: 0)
            for i in 0..<m.count where rng.unit() < density { m.pixels[i] = 1 }
            let d2 = DistanceTransform.squaredEuclidean(m)
            for radius in radii {
                let expected = d2.map { $0.squareRoot() > radius ? UInt8(1) : 0 }
                XCTAssertEqual(DistanceTransform.fartherThan(m, radius: radius).pixels, expected,
                               "trial \(trial) \(w)x\(h) density \(density) radius \(radius)")
            }
        }
    }

    func testPerComponentFloodEqualsWholeFrame() {
        var rng = SplitMix64(seed: 41)
        for trial in 0..<40 {
            var m = blobMask(width: 70 + trial % 5, height: 55, count: 4 + trial % 9, rmin: 2, rmax: 11, rng: &rng)
            if trial % 4 == 3 {   // speckle and long thin strokes: sprawling and touching-border components
                for _ in 0..<60 { m.pixels[Int(rng.next() % UInt64(m.count))] = 1 }
                let y = Int(rng.next() % 55)
                for x in 0..<m.width { m.pixels[y * m.width + x] = 1 }
            }
            let conn: Connectivity = trial % 2 == 0 ? .four : .eight
            let h = Float(trial % 3) * 0.75 + 0.5
            var times = ComponentStageTimes()
            let fast = Segmenter.floodComponents(m, h: h, connectivity: conn, timed: false, times: &times)
            XCTAssertEqual(Labeling.relabelSequential(fast).pixels, Self.wholeFrame(m, h: h, connectivity: conn), "trial \(trial)")
        }
    }

    func testRemoveSmallThenExpandEqualsTheTwoKernels() {
        var rng = SplitMix64(seed: 43)
        for trial in 0..<40 {
            let m = blobMask(width: 64, height: 48, count: 6 + trial % 7, rmin: 1, rmax: 8, rng: &rng)
            let d = DistanceTransform.euclidean(m)
            let markers = Markers.hMaximaMarkersUnchecked(d, foreground: m, h: 1)
            let labels = Watershed.floodNegatedDistance(d, markers: markers, mask: m, connectivity: .four)
            let minArea = [0, 4, 20, 60][trial % 4]
            let distance = [0, 1, 1.3, 2, 2.6, 3.0000001][trial % 6]
            var expected = Morphology.removeSmall(labels, minArea: minArea)
            if distance > 0 { expected = Morphology.expandLabels(expected, distance: distance) }
            var fast = labels
            Segmenter.removeSmallThenExpand(&fast, minArea: minArea, distance: distance)
            XCTAssertEqual(fast.pixels, expected.pixels, "trial \(trial) minArea \(minArea) distance \(distance)")
        }
    }
}
