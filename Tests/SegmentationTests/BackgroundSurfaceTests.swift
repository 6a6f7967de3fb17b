import CellTrackCore
import Foundation
import XCTest
@testable import Segmentation

final class BackgroundSurfaceTests: XCTestCase {
    func testOrderStatisticsEqualSorting() {
        var rng = SplitMix64(seed: 21)
        for trial in 0..<20 {
            let n = 1 + Int(rng.unit() * 5000)
            var values = (0..<n).map { _ in Float(rng.unit() * 2000 - 1000) }
            if trial % 3 == 0 { for i in 0..<n where i % 4 == 0 { values[i] = values[0] } }   // ties
            if trial % 5 == 0 { values[0] = 0; values[n - 1] = -0.0 }                        // signed zeros
            let sorted = values.sorted()
            let ranks = (0..<6).map { _ in Int(rng.unit() * Double(n)) } + [0, n - 1, n / 2]
            let picked = values.withUnsafeBufferPointer { OrderStatistics.select($0, ranks: ranks) }
            XCTAssertEqual(picked, ranks.map { sorted[$0] }, "trial \(trial)")
        }
    }

    /// The block-wise histogram (bins worked out without branches) counts as numpy's steps one
    /// value at a time: values on the edges, outside the range, NaN, and blocks' remainders.
    func testHistogramEqualsOneByOne() {
        var rng = SplitMix64(seed: 8)
        for trial in 0..<12 {
            let n = [1, 3, 2047, 2048, 2049, 10_000][trial % 6] + trial
            let lo = rng.unit() * 100 - 50, hi = lo + [1e-3, 0.5, 37, 2000][trial % 4]
            let bins = [1, 7, 512][trial % 3]
            let step = (hi - lo) / Double(bins)
            var values = (0..<n).map { _ in Float(lo - step + rng.unit() * (hi - lo + 2 * step)) }
            for i in stride(from: 0, to: n, by: 5) { values[i] = Float(lo + Double(Int(rng.unit() * Double(bins + 1))) * step) }
            values[0] = Float(lo); values[n - 1] = Float(hi)
            if n > 2 { values[1] = .nan }
            let fast = values.withUnsafeBufferPointer { ColonySegmenter.histogram($0, lo: lo, hi: hi, bins: bins) }
            let finite = values.filter { !$0.isNaN }     // the plain version assumes no NaN
            let slow = finite.withUnsafeBufferPointer { ColonySegmenter.histogramOneByOne($0, lo: lo, hi: hi, bins: bins) }
            XCTAssertEqual(fast, slow, "trial \(trial)")
        }
    }

    /// The single-pass subtraction gives the per-term passes' values bit for bit, every degree.
    func testSinglePassSubtractionEqualsPassPerTerm() {
        var rng = SplitMix64(seed: 5)
        let w = 37, h = 23
        let image = Image(uncheckedWidth: w, height: h, pixels: (0..<(w * h)).map { _ in Float(rng.unit() * 1000) })
        for degree in 0...6 {
            let terms = BackgroundSurface.terms(degree).count
            let surface = BackgroundSurface(width: w, height: h, degree: degree,
                                            coefficients: (0..<terms).map { _ in rng.unit() * 200 - 100 },
                                            low: -150, high: 150)
            for sign: Float in [1, -1] {
                var fast = image, slow = image
                surface.subtract(from: &fast, sign: sign)
                surface.subtractByPasses(from: &slow, sign: sign)
                XCTAssertEqual(fast.pixels.map(\.bitPattern), slow.pixels.map(\.bitPattern), "degree \(degree) sign \(sign)")
            }
        }
    }

    /// The colony method's fused flattening (the surface removed per row inside the normalising
    /// pass and from the statistics sample's rows) equals flattening the whole frame first, then
    /// sampling and normalising it: level, spread, every normalised pixel, the mask and the tail
    /// counts, for dark and bright cells. The frame is above 4 MP, so the statistics read every
    /// `statisticsRowStep`-th row (the case the fusion is for).
    func testFusedFlatteningEqualsFlatteningTheFrameFirst() throws {
        var rng = SplitMix64(seed: 17)
        let (image, _) = Self.vignetted(width: 2100, height: 2000, colony: true, rng: &rng)
        XCTAssertGreaterThan(ColonySegmenter.statisticsRowStep(pixels: image.count), 1)
        var p = ColonyParameters()
        p.backgroundDegree = 4
        let width = 20.0
        let r = p.resolved(widthPixels: width)
        for bright in [false, true] {
            var whole = ColonySegmenter.smoothAndFlatten(image, parameters: p, resolved: r, widthPixels: width, bright: bright)
            let (wholeLevel, wholeSpread) = ColonySegmenter.backgroundPeak(of: whole)
            var flattened = ColonySegmenter.Flattening.none
            let wholeResult = ColonySegmenter.normalise(&whole, level: Float(wholeLevel), scale: Float(wholeSpread), threshold: 3,
                                                        flattening: &flattened)

            var (fused, flattening) = ColonySegmenter.smoothForNormalising(image, parameters: p, resolved: r,
                                                                           widthPixels: width, bright: bright)
            XCTAssertNotNil(flattening.surface, "a surface was fitted")
            let (level, spread) = ColonySegmenter.backgroundPeak(of: &fused, flattening: &flattening, greyStep: 0)
            XCTAssertEqual(level, wholeLevel, "bright \(bright)")
            XCTAssertEqual(spread, wholeSpread, "bright \(bright)")
            let fusedResult = ColonySegmenter.normalise(&fused, level: Float(level), scale: Float(spread), threshold: 3,
                                                        flattening: &flattening)
            XCTAssertEqual(fused.pixels.map(\.bitPattern), whole.pixels.map(\.bitPattern), "bright \(bright)")
            XCTAssertEqual(fusedResult.mask, wholeResult.mask, "bright \(bright)")
            XCTAssertEqual(fusedResult.dark, wholeResult.dark)
            XCTAssertEqual(fusedResult.bright, wholeResult.bright)
            XCTAssertGreaterThan(fusedResult.dark, 0)
        }
    }

    /// Background with vignetting, dark rods, and (optionally) a dense colony patch.
    static func vignetted(width w: Int, height h: Int, colony: Bool, rng: inout SplitMix64) -> (Image<Float>, [Double]) {
        var img = Image<Float>(width: w, height: h, repeating: 0)
        var truth = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let u = (Double(x) - Double(w) / 2) / (Double(w) / 2), v = (Double(y) - Double(h) / 2) / (Double(h) / 2)
                let illumination = 1000 * (1 - 0.2 * (u * u + v * v) + 0.05 * u)
                truth[y * w + x] = illumination
                var value = illumination + 10 * (rng.unit() - 0.5)
                if (x / 40 + y / 25) % 7 == 0 && x % 40 < 30 && y % 25 < 12 { value *= 0.5 }   // rods
                if colony && x > w / 3 && x < w / 2 && y > h / 3 && y < h / 2 {
                    value = illumination * ((x / 6 + y / 14) % 2 == 0 ? 0.45 : 1.3)                // cells and gaps
                }
                img.pixels[y * w + x] = Float(value)
            }
        }
        return (img, truth)
    }

    func testRecoversTheIlluminationAndIgnoresCells() throws {
        var rng = SplitMix64(seed: 22)
        for colony in [false, true] {
            let (img, truth) = Self.vignetted(width: 320, height: 240, colony: colony, rng: &rng)
            let surface = try XCTUnwrap(BackgroundSurface.fit(img, blockSize: 20, maxDegree: 4))
            XCTAssertEqual(surface.degree, 4)
            var flat = img
            surface.subtract(from: &flat)
            // background pixels (not rods, not colony) are flat to within the noise
            var worst = 0.0
            let centre = truth[120 * 320 + 160]
            for y in stride(from: 2, to: 240, by: 7) {
                for x in stride(from: 2, to: 320, by: 7) {
                    let i = y * 320 + x
                    guard abs(Double(img.pixels[i]) - truth[i]) < 6 else { continue }
                    worst = max(worst, abs(Double(flat.pixels[i]) - centre))
                }
            }
            XCTAssertLessThan(worst, 15, "colony \(colony): residual illumination \(worst) (was up to 400)")
        }
    }

    func testNegatedFrameGivesNearlyTheNegatedSurfaceAndTinyFramesNone() throws {
        var rng = SplitMix64(seed: 23)
        let (img, _) = Self.vignetted(width: 200, height: 160, colony: true, rng: &rng)
        let a = try XCTUnwrap(BackgroundSurface.fit(img, blockSize: 16, maxDegree: 4))
        let b = try XCTUnwrap(BackgroundSurface.fit(img.map { -$0 }, blockSize: 16, maxDegree: 4))
        // (the histogram peak is not symmetric: close, not equal)
        for (ca, cb) in zip(a.coefficients, b.coefficients) { XCTAssertEqual(-ca, cb, accuracy: 2) }
        XCTAssertNil(BackgroundSurface.fit(Image<Float>(width: 30, height: 30, repeating: 1), blockSize: 16, maxDegree: 4))
        // a flat frame: the fit is flat, subtracting changes nothing
        let flat = Image<Float>(width: 200, height: 160, repeating: 500)
        var copy = flat
        try XCTUnwrap(BackgroundSurface.fit(flat, blockSize: 16, maxDegree: 4)).subtract(from: &copy)
        XCTAssertEqual(copy, flat)
    }

    func testFlatCellInteriorsDoNotBendTheSurface() throws {
        // 8-bit-like data: dark rods with perfectly flat interiors cover much of a flat frame
        let img = RunsTests.phaseContrastFrame(width: 200, height: 150, rods: 30, seed: 4).map { ($0 / 8).rounded() * 8 }
        let smooth = Preprocess.gaussian(img, sigma: 10.0 / 16)
        if let surface = BackgroundSurface.fit(smooth, blockSize: 20, maxDegree: 4) {
            // the frame's vignetting is 10 %: the surface may not move anything by more than that
            XCTAssertGreaterThan(surface.low, 850)
            var flat = smooth
            surface.subtract(from: &flat)
            let before = smooth.pixels.reduce(0) { $0 + Double($1) }, after = flat.pixels.reduce(0) { $0 + Double($1) }
            XCTAssertEqual(after / before, 1, accuracy: 0.05)
        }
        var p = ColonyParameters()
        p.backgroundDegree = 4
        let withSurface = try XCTUnwrap(ColonySegmenter.segmentGrouped(img, parameters: p, widthPixels: 10, polarity: .dark))
        p.backgroundDegree = 0
        let without = try XCTUnwrap(ColonySegmenter.segmentGrouped(img, parameters: p, widthPixels: 10, polarity: .dark))
        XCTAssertGreaterThan(withSurface.cells.count, 0)
        XCTAssertEqual(Double(withSurface.cells.count), Double(without.cells.count), accuracy: 0.3 * Double(without.cells.count))
    }
}
