import CellTrackCore
import Foundation
import XCTest
@testable import Segmentation

/// `--method colony`: the Hessian and minimum filters against slow references, the background
/// peak, and the whole method on a crop of ecoli-trpL against its ground truth and against the
/// Python prototype's labels (Fixtures/colony_trpl.json, scripts/make_colony_fixtures.py).
final class ColonyTests: XCTestCase {
    // MARK: slow references

    static func reflect(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var j = i % (2 * n)
        if j < 0 { j += 2 * n }
        return j < n ? j : 2 * n - 1 - j
    }

    /// Direct 2-D correlation with the outer product of the vertical and horizontal correlation
    /// weights (reversed convolution kernels), in Double, with scipy's reflect border.
    static func slowSeparable(_ img: Image<Float>, vertical kv: [Double], horizontal kh: [Double]) -> [Double] {
        let w = img.width, h = img.height
        let cv = Array(kv.reversed()), ch = Array(kh.reversed())
        let r = cv.count / 2
        var out = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for m in -r...r {
                    for n in -r...r {
                        s += Double(img.pixels[reflect(y + m, h) * w + reflect(x + n, w)]) * cv[m + r] * ch[n + r]
                    }
                }
                out[y * w + x] = s
            }
        }
        return out
    }

    static func randomImage(width: Int, height: Int, rng: inout SplitMix64) -> Image<Float> {
        var img = Image<Float>(width: width, height: height, repeating: 0)
        for i in 0..<img.count { img.pixels[i] = Float(rng.unit() * 20 - 10) }
        return img
    }

    func testDerivativeKernelsAreScipys() {
        // order 0 sums to 1; order 1 is odd with Σ x·k = −1 (scipy's convolution sign);
        // order 2 sums to ~0 with Σ x²·k = 2
        for sigma in [1.3, 1.92, 3.0] {   // (below σ ≈ 1 the discrete moments drift by a few %)
            let k0 = Hessian.gaussianDerivativeKernel(sigma: sigma, order: 0)
            let k1 = Hessian.gaussianDerivativeKernel(sigma: sigma, order: 1)
            let k2 = Hessian.gaussianDerivativeKernel(sigma: sigma, order: 2)
            let r = k0.count / 2
            XCTAssertEqual(r, Int(4 * sigma + 0.5))
            XCTAssertEqual(k0.reduce(0, +), 1, accuracy: 1e-12)
            for j in 1...r {
                XCTAssertEqual(k1[r - j], -k1[r + j])
                XCTAssertEqual(k2[r - j], k2[r + j])
            }
            let m1 = (0..<k1.count).reduce(0.0) { $0 + Double($1 - r) * k1[$1] }
            let m2 = (0..<k2.count).reduce(0.0) { $0 + Double(($1 - r) * ($1 - r)) * k2[$1] }
            XCTAssertEqual(m1, -1, accuracy: 2e-3, "σ \(sigma)")
            XCTAssertEqual(m2, 2, accuracy: 2e-2, "σ \(sigma)")
        }
        // values of scipy.ndimage._filters._gaussian_kernel1d (scipy 1.17.1), to the last bit
        XCTAssertEqual(Hessian.gaussianDerivativeKernel(sigma: 1.0, order: 2)[4], -0.39894346935609776)
        XCTAssertEqual(Hessian.gaussianDerivativeKernel(sigma: 1.92, order: 1)[5], 0.049886875627144986)
        XCTAssertEqual(Hessian.gaussianDerivativeKernel(sigma: 1.92, order: 2)[2], 0.0037429501594867503)
    }

    func testHessianEigenvalueMatchesSlowReference() {
        var rng = SplitMix64(seed: 505)
        for (w, h, sigma) in [(23, 17, 1.3), (9, 31, 1.92), (40, 5, 0.8), (3, 3, 1.0)] {
            let img = Self.randomImage(width: w, height: h, rng: &rng)
            let g0 = Hessian.gaussianDerivativeKernel(sigma: sigma, order: 0)
            let g1 = Hessian.gaussianDerivativeKernel(sigma: sigma, order: 1)
            let g2 = Hessian.gaussianDerivativeKernel(sigma: sigma, order: 2)
            let xx = Self.slowSeparable(img, vertical: g0, horizontal: g2)
            let yy = Self.slowSeparable(img, vertical: g2, horizontal: g0)
            let xy = Self.slowSeparable(img, vertical: g1, horizontal: g1)
            let fast = Hessian.smallestEigenvalue(img, sigma: sigma)
            let passes = Hessian.smallestEigenvalueByPasses(img, sigma: sigma)
            XCTAssertEqual(fast.pixels, passes.pixels, "fused rows == separate passes, bit for bit")
            let d = Hessian.secondDerivatives(img, sigma: sigma)
            for i in 0..<img.count {
                let a = xx[i], b = yy[i], c = xy[i]
                let lambda = 0.5 * (a + b) - (0.25 * (a - b) * (a - b) + c * c).squareRoot()
                XCTAssertEqual(Double(fast.pixels[i]), lambda, accuracy: 1e-4 * max(1, abs(lambda)), "\(w)x\(h) σ\(sigma) px \(i)")
                XCTAssertEqual(Double(d.xx.pixels[i]), a, accuracy: 1e-4 * max(1, abs(a)))
                XCTAssertEqual(Double(d.xy.pixels[i]), c, accuracy: 1e-4 * max(1, abs(c)))
            }
        }
    }

    func testMaskedEigenvalueEqualsTheFullOneOnTheMask() {
        var rng = SplitMix64(seed: 808)
        let img = Self.randomImage(width: 50, height: 40, rng: &rng)
        let mask = blobMask(width: 50, height: 40, count: 4, rmin: 2, rmax: 7, rng: &rng)
        let full = Hessian.smallestEigenvalue(img, sigma: 1.92)
        let masked = Hessian.smallestEigenvalue(img, sigma: 1.92, mask: mask)
        var onMask = 0
        for i in 0..<img.count where mask.pixels[i] != 0 {
            XCTAssertEqual(masked.pixels[i], full.pixels[i], "px \(i)")
            onMask += 1
        }
        XCTAssertGreaterThan(onMask, 20)
    }

    func testEigenvalueIsNegativeOnABrightLine() {
        // a vertical bright line, 3 px wide, on a flat background
        var img = Image<Float>(width: 31, height: 21, repeating: 0)
        for y in 0..<21 { for x in 14...16 { img.pixels[y * 31 + x] = 10 } }
        let l = Hessian.smallestEigenvalue(img, sigma: 1.5)
        XCTAssertLessThan(l.pixels[10 * 31 + 15], -1)
        XCTAssertEqual(l.pixels[10 * 31 + 2], 0, accuracy: 1e-3)
    }

    func testMinimumFilterEqualsGreyFilter() {
        var rng = SplitMix64(seed: 77)
        for (w, h, size) in [(30, 20, 3), (30, 20, 7), (17, 45, 31), (5, 4, 9), (1, 12, 3), (64, 64, 15)] {
            let img = Self.randomImage(width: w, height: h, rng: &rng)
            XCTAssertEqual(ColonySegmenter.minimumFilter(img, size: size).pixels,
                           Morphology.greyFilter(img, size: size, maximum: false).pixels, "\(w)x\(h) size \(size)")
        }
    }

    /// With a mask, every pixel between a row's first and last mask pixel is exact.
    func testMaskedMinimumFilterIsExactOnTheMask() {
        var rng = SplitMix64(seed: 78)
        for (w, h, size) in [(30, 20, 3), (30, 20, 7), (17, 45, 31), (5, 4, 9), (1, 12, 3), (64, 64, 25), (40, 3, 5)] {
            let img = Self.randomImage(width: w, height: h, rng: &rng)
            let full = Morphology.greyFilter(img, size: size, maximum: false).pixels
            for density in [0.0, 0.02, 0.3] {
                let mask = Mask(uncheckedWidth: w, height: h,
                                pixels: (0..<(w * h)).map { _ in rng.unit() < density ? 1 : 0 })
                let masked = ColonySegmenter.minimumFilter(img, size: size, mask: mask).pixels
                var checked = 0
                for y in 0..<h {
                    let row = (0..<w).filter { mask.pixels[y * w + $0] != 0 }
                    guard let first = row.first, let last = row.last else { continue }
                    for x in first...last {
                        XCTAssertEqual(masked[y * w + x], full[y * w + x], "\(w)x\(h) size \(size) at \(x),\(y)")
                        checked += 1
                    }
                }
                XCTAssertEqual(checked > 0, mask.pixels.contains(1))
            }
        }
    }

    func testBackgroundPeakFindsTheUpperPopulation() {
        // 70 % background N(1000, 20), 30 % dark cells N(600, 50): level ≈ 1000, spread ≈ 20
        var rng = SplitMix64(seed: 3)
        func normal() -> Double { (0..<12).reduce(0.0) { s, _ in s + rng.unit() } - 6 }
        var values = [Float](repeating: 0, count: 200_000)
        for i in 0..<values.count {
            values[i] = Float(rng.unit() < 0.7 ? 1000 + 20 * normal() : 600 + 50 * normal())
        }
        let (level, spread) = values.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0) }
        XCTAssertEqual(level, 1000, accuracy: 5)
        XCTAssertEqual(spread, 20, accuracy: 3)
        // dark cells covering most of the frame: the background is still the upper population
        for i in 0..<values.count { values[i] = Float(rng.unit() < 0.3 ? 1000 + 20 * normal() : 600 + 50 * normal()) }
        let (level2, _) = values.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0) }
        XCTAssertEqual(level2, 1000, accuracy: 8)
    }

    /// 8-bit frames with little smoothing: the histogram is a comb, one tooth per grey level
    /// (2–15 bins apart). The spread must be the noise's, not a tooth's width.
    func testEightBitCombGivesTheNoiseSpread() {
        var rng = SplitMix64(seed: 4)
        func normal() -> Double { (0..<12).reduce(0.0) { s, _ in s + rng.unit() } - 6 }
        // background N(120, 4) and 20 % dark cells N(70, 6), whole grey levels, range ~35-150
        var values = [Float](repeating: 0, count: 200_000)
        for i in 0..<values.count {
            values[i] = Float((rng.unit() < 0.8 ? 120 + 4 * normal() : 70 + 6 * normal()).rounded())
        }
        let comb = values.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0, greyStep: 1) }
        XCTAssertEqual(comb.level, 120, accuracy: 1)
        XCTAssertEqual(comb.spread, 4, accuracy: 0.8)
        // what the walk gave without the grey step: the first tooth's width
        let tooth = values.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0) }
        XCTAssertLessThan(tooth.spread, 1)
        // a stretched rendering (only every 3rd level used): the same with a step of 3
        let stretched = values.map { 3 * $0 }
        let wide = stretched.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0, greyStep: 3) }
        XCTAssertEqual(wide.spread, 12, accuracy: 2.4)
        // a background in one level (a noise-free rendering, as Omnipose's Sample000033): the
        // neighbouring teeth are below half, and the walk stops as before
        let flat: [Float] = values.map { v in
            guard v >= 100 else { return v }
            let u = rng.unit()
            return u < 0.85 ? 120 : (u < 0.93 ? 119 : 121)
        }
        let oneLevel = flat.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0, greyStep: 1) }
        XCTAssertEqual(oneLevel.spread, flat.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0) }.spread)
    }

    /// A stretched 8-bit rendering whose background falls between two levels (teeth 3 apart at
    /// 91 and 94 of 0.8 and 1 of the maximum, at 97 of 0.37, as Omnipose's Sample000306): only
    /// the lower side gets past the peak's tooth, and it gives the spread.
    func testOneSidedCombUsesTheMeasurableSide() {
        var values: [Float] = []
        for (level, share) in [(60, 0.5), (85, 0.05), (88, 0.15), (91, 0.8), (94, 1.0), (97, 0.37), (100, 0.07), (103, 0.03)] {
            values += [Float](repeating: Float(level), count: Int(share * 20_000))
        }
        let peak = values.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0, greyStep: 3) }
        XCTAssertEqual(peak.level, 94, accuracy: 0.5)
        XCTAssertGreaterThan(peak.spread, 2)
        XCTAssertLessThan(peak.spread, 4.5)
        XCTAssertLessThan(values.withUnsafeBufferPointer { ColonySegmenter.backgroundPeak($0) }.spread, 1)
    }

    func testGreyStep() {
        let eight = Image<UInt8>(uncheckedWidth: 64, height: 1, pixels: (0..<64).map { UInt8(100 + $0 % 7) })
        XCTAssertEqual(ColonySegmenter.greyStep(eight), 1)
        let stretched = Image<UInt16>(uncheckedWidth: 64, height: 1, pixels: (0..<64).map { UInt16(3 * (100 + $0 % 7)) })
        XCTAssertEqual(ColonySegmenter.greyStep(stretched), 3)
        // the same values as Float: the same step; a fraction anywhere: none
        XCTAssertEqual(ColonySegmenter.greyStep(stretched.asFloat), 3)
        var fractional = stretched.asFloat
        fractional.pixels[10] += 0.5
        XCTAssertEqual(ColonySegmenter.greyStep(fractional), 0)
        // rare levels (under 1 % of the most frequent one's pixels) do not count
        var rare = [UInt8](repeating: 50, count: 1000) + [UInt8](repeating: 52, count: 900)
        rare[0] = 51
        XCTAssertEqual(ColonySegmenter.greyStep(Image<UInt8>(uncheckedWidth: 1900, height: 1, pixels: rare)), 2)
    }

    // MARK: the method on real data

    struct Crop {
        var image: Image<Float>
        var gt: LabelImage
        var prototype: LabelImage
        var prototypeSEG: Double
        var pixelSize: Double
    }

    static func crop() throws -> Crop {
        let d = try Fixture.load("colony_trpl") as! [String: Any]
        return Crop(image: Fixture.float(d["image"]), gt: Fixture.labels(d["gt"]), prototype: Fixture.labels(d["prototype"]),
                    prototypeSEG: d["prototype_seg"] as! Double, pixelSize: d["pixel_size"] as! Double)
    }

    /// SEG as the Cell Tracking Challenge defines it: for each GT object, the Jaccard index with
    /// the result object covering more than half of it (0 if none); the mean over GT objects.
    static func seg(truth: LabelImage, result: LabelImage) -> Double {
        let nt = Int(truth.pixels.max() ?? 0), nr = Int(result.pixels.max() ?? 0)
        guard nt > 0 else { return 0 }
        var overlap = [[Int]](repeating: [Int](repeating: 0, count: nr + 1), count: nt + 1)
        var areaT = [Int](repeating: 0, count: nt + 1), areaR = [Int](repeating: 0, count: nr + 1)
        for i in 0..<truth.count {
            let t = Int(truth.pixels[i]), r = Int(result.pixels[i])
            overlap[t][r] += 1; areaT[t] += 1; areaR[r] += 1
        }
        var total = 0.0
        for t in 1...nt where areaT[t] > 0 {
            for r in 1...max(nr, 1) where r <= nr && 2 * overlap[t][r] > areaT[t] {
                total += Double(overlap[t][r]) / Double(areaT[t] + areaR[r] - overlap[t][r])
            }
        }
        return total / Double((1...nt).filter { areaT[$0] > 0 }.count)
    }

    func colonyParameters() -> SegmentationParameters {
        var p = SegmentationParameters()
        p.method = .colony
        return p
    }

    /// The colony core without the steps the prototype does not have (contact edges, shape
    /// repair): the prototype's pixels.
    func prototypeParameters() -> SegmentationParameters {
        var p = colonyParameters()
        p.colony.contactEdges = false
        p.colony.splitWidthRatio = 0
        return p
    }

    func testColonyOnTrpLCropReachesItsSEGAndEqualsThePrototype() throws {
        let c = try Self.crop()
        let r = try Segmenter.segment(c.image, parameters: prototypeParameters(), pixelSize: c.pixelSize)
        XCTAssertEqual(r.polarity, .dark)
        XCTAssertEqual(r.regions.count, 8)
        let seg = Self.seg(truth: c.gt, result: r.labels)
        // documented figure: the prototype scores SEG 0.879 on this crop (8 of 8 cells)
        XCTAssertGreaterThanOrEqual(seg, 0.85, "SEG \(seg)")
        XCTAssertEqual(seg, c.prototypeSEG, accuracy: 1e-6)
        // the same objects as the prototype, pixel for pixel (both numbered in raster order)
        XCTAssertEqual(r.labels.pixels, c.prototype.pixels)
        // and against itself: the prototype as truth scores 1
        XCTAssertEqual(Self.seg(truth: c.prototype, result: r.labels), 1, accuracy: 1e-12)
    }

    func testDefaultsKeepThePrototypesCellsWithContactEdges() throws {
        let c = try Self.crop()
        let proto = try Segmenter.segment(c.image, parameters: prototypeParameters(), pixelSize: c.pixelSize)
        let r = try Segmenter.segment(c.image, parameters: colonyParameters(), pixelSize: c.pixelSize)
        XCTAssertEqual(r.regions.count, 8)
        // the same cells (each matches one prototype cell: SEG 0.91 with the prototype as
        // truth), edges moved near contacts only
        XCTAssertGreaterThan(Self.seg(truth: proto.labels, result: r.labels), 0.85)
        let seg = Self.seg(truth: c.gt, result: r.labels)
        XCTAssertGreaterThanOrEqual(seg, 0.85, "SEG \(seg)")
        // every changed pixel lies within interfaceRadius + 1 px of another cell's watershed region
        let st = try XCTUnwrap(ColonySegmenter.segment(c.image, parameters: ColonyParameters(), widthPixels: 1 / c.pixelSize,
                                                       polarity: .dark))
        let reach = ColonyParameters().resolved(widthPixels: 1 / c.pixelSize).interfaceRadius + 1
        let w = c.image.width, h = c.image.height
        for i in 0..<c.image.count where (r.labels.pixels[i] != 0) != (proto.labels.pixels[i] != 0) {
            let x = i % w, y = i / w, own = st.watershed.pixels[i]
            var near = false
            for yy in max(0, y - reach)...min(h - 1, y + reach) {
                for xx in max(0, x - reach)...min(w - 1, x + reach) {
                    let v = st.watershed.pixels[yy * w + xx]
                    if v != 0 && v != own { near = true }
                }
            }
            XCTAssertTrue(near, "pixel (\(x), \(y)) changed away from any contact")
        }
    }

    func testColonyIsDeterministicAndAutoChoosesIt() throws {
        let c = try Self.crop()
        let a = try Segmenter.segment(c.image, parameters: colonyParameters(), pixelSize: c.pixelSize)
        let b = try Segmenter.segment(c.image, parameters: colonyParameters(), pixelSize: c.pixelSize)
        XCTAssertEqual(a, b)
        // auto (the default) picks colony on this phase-contrast crop
        let auto = try Segmenter.segment(c.image, parameters: SegmentationParameters(), pixelSize: c.pixelSize)
        XCTAssertEqual(auto.labels, a.labels)
        // bright cells: the negated crop with polarity bright gives the same cells
        var p = colonyParameters()
        p.polarity = .bright
        let neg = try Segmenter.segment(c.image.map { 60000 - $0 }, parameters: p, pixelSize: c.pixelSize)
        XCTAssertEqual(neg.labels, a.labels)
        XCTAssertEqual(neg.polarity, .bright)
    }

    func testAutoRunsTheRecipeBitIdenticallyOnBrightCells() throws {
        // fluorescence-like: bright disks on a dark noisy background
        var rng = SplitMix64(seed: 9)
        var img = Image<Float>(width: 120, height: 90, repeating: 0)
        for y in 0..<90 {
            for x in 0..<120 {
                var v = 100 + 5 * (rng.unit() - 0.5)
                for (cx, cy) in [(30.0, 30.0), (80.0, 50.0), (50.0, 70.0)] where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) < 64 {
                    v += 400
                }
                img.pixels[y * 120 + x] = Float(v)
            }
        }
        var recipe = SegmentationParameters()
        recipe.method = .recipe
        let explicit = try Segmenter.segment(img, parameters: recipe, pixelSize: 0.1)
        let auto = try Segmenter.segment(img, parameters: SegmentationParameters(), pixelSize: 0.1)
        XCTAssertEqual(SegmentationParameters().method, .auto)
        XCTAssertEqual(auto, explicit)
        XCTAssertEqual(auto.regions.count, 3)
        XCTAssertEqual(auto.polarity, .bright)
    }

    func testStagesInvariants() throws {
        let c = try Self.crop()
        let st = try XCTUnwrap(ColonySegmenter.segment(c.image, parameters: ColonyParameters(), widthPixels: 1 / c.pixelSize,
                                                       polarity: .dark))
        let n = c.image.count
        // every foreground pixel connected (4-conn.) to a marker is labelled by the watershed;
        // nothing outside the foreground is
        let cc = Labeling.label(st.foreground, connectivity: .four).labels
        var hasMarker = [Bool](repeating: false, count: Int(cc.pixels.max() ?? 0) + 1)
        for i in 0..<n where st.markers.pixels[i] != 0 {
            XCTAssertEqual(st.foreground.pixels[i], 1, "markers lie in the foreground")
            hasMarker[Int(cc.pixels[i])] = true
        }
        for i in 0..<n {
            if st.foreground.pixels[i] == 0 { XCTAssertEqual(st.watershed.pixels[i], 0) }
            else if hasMarker[Int(cc.pixels[i])] { XCTAssertNotEqual(st.watershed.pixels[i], 0, "masked pixel \(i) unlabelled") }
            // final cells are a subset of the watershed's
            if st.labels.pixels[i] != 0 { XCTAssertNotEqual(st.watershed.pixels[i], 0) }
        }
        // labels are 1…n in raster order of first pixel, every one present
        var next: UInt32 = 1
        for v in st.labels.pixels where v != 0 {
            XCTAssertLessThanOrEqual(v, next)
            if v == next { next += 1 }
        }
        XCTAssertEqual(Int(next - 1), Int(st.labels.pixels.max() ?? 0))
    }

    func testParametersValidateAndRoundTrip() throws {
        var p = SegmentationParameters()
        p.method = .colony
        p.colony.cellWidthUm = 0.8
        let data = try JSONEncoder().encode(p)
        XCTAssertEqual(try JSONDecoder().decode(SegmentationParameters.self, from: data), p)
        p.colony.cellWidthUm = 0
        XCTAssertThrowsError(try p.validate())
        p.colony.cellWidthUm = 1
        p.colony.trim = 2
        XCTAssertThrowsError(try Segmenter.segment(Image<Float>(width: 8, height: 8, repeating: 1), parameters: p, pixelSize: 0.1))
        // a flat frame gives no cells and no crash
        var q = SegmentationParameters()
        q.method = .colony
        let flat = try Segmenter.segment(Image<Float>(width: 40, height: 30, repeating: 5), parameters: q, pixelSize: 0.1)
        XCTAssertEqual(flat.regions.count, 0)
    }
}
