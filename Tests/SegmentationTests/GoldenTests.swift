import CellTrackCore
import XCTest
@testable import Segmentation

/// Golden tests against scipy / scikit-image output (scripts/make_seg_fixtures.py).
final class GoldenTests: XCTestCase {
    func testOtsuMatchesSkimage() throws {
        let cases = try Fixture.load("otsu") as! [[String: Any]]
        XCTAssertEqual(cases.count, 8)
        for (k, c) in cases.enumerated() {
            let dtype = c["dtype"] as! String
            let raw = Fixture.raw(c["image"])
            switch dtype {
            case "uint8":
                let im = Image<UInt8>(uncheckedWidth: raw.width, height: raw.height, pixels: raw.values.map { UInt8($0) })
                XCTAssertEqual(Int(try Otsu.threshold(im)), c["threshold"] as! Int, "case \(k)")
            case "uint16":
                let im = Image<UInt16>(uncheckedWidth: raw.width, height: raw.height, pixels: raw.values.map { UInt16($0) })
                XCTAssertEqual(Int(try Otsu.threshold(im)), c["threshold"] as! Int, "case \(k)")
            default:
                let im = Fixture.float(c["image"])
                XCTAssertEqual(try Otsu.threshold(im), Float(c["threshold"] as! Double), "case \(k)")
            }
        }
    }

    func testEDTMatchesScipy() throws {
        let cases = try Fixture.load("edt") as! [[String: Any]]
        for (k, c) in cases.enumerated() {
            let m = Fixture.mask(c["mask"])
            let expected = Fixture.double(c["distance"])
            let d = DistanceTransform.euclidean(m, rowSpacing: c["rowSpacing"] as! Double,
                                                columnSpacing: c["columnSpacing"] as! Double)
            for i in 0..<m.count {
                XCTAssertEqual(Double(d.pixels[i]), expected.pixels[i], accuracy: 1e-5, "case \(k) pixel \(i)")
            }
        }
    }

    func testGaussianMatchesScipyBitForBit() throws {
        let cases = try Fixture.load("gaussian") as! [[String: Any]]
        for c in cases {
            let im = Fixture.float(c["image"])
            let expected = Fixture.float(c["smoothed"])
            let mode = BorderMode(rawValue: c["mode"] as! String)!
            let g = Preprocess.gaussian(im, sigma: c["sigma"] as! Double, mode: mode)
            var mismatches = 0
            var maxErr: Float = 0
            for i in 0..<g.count where g.pixels[i] != expected.pixels[i] {
                mismatches += 1
                maxErr = max(maxErr, abs(g.pixels[i] - expected.pixels[i]))
            }
            XCTAssertEqual(mismatches, 0, "sigma \(c["sigma"]!) \(mode): max error \(maxErr)")
        }
    }

    func testBinaryMorphologyMatchesScipy() throws {
        let f = try Fixture.load("morphology") as! [String: Any]
        let m = Fixture.mask(f["mask"])
        for op in f["ops"] as! [[String: Any]] {
            let r = op["radius"] as! Int
            let el: StructuringElement
            switch op["element"] as! String {
            case "disk": el = .disk(radius: r)
            case "square": el = .square(radius: r)
            default: el = .diamond(radius: r)
            }
            let name = op["op"] as! String
            let got: Mask
            switch name {
            case "erosion": got = Morphology.erosion(m, el)
            case "dilation": got = Morphology.dilation(m, el)
            case "opening": got = Morphology.opening(m, el)
            case "closing": got = Morphology.closing(m, el)
            default: got = Morphology.fillHoles(m)
            }
            XCTAssertEqual(got.pixels, Fixture.mask(op["result"]).pixels, "\(name) \(el)")
        }
    }

    func testGreyClosingOpeningMatchScipy() throws {
        let f = try Fixture.load("grey") as! [String: Any]
        let im = Fixture.float(f["image"])
        let size = f["size"] as! Int
        XCTAssertEqual(Morphology.greyClosing(im, size: size).pixels, Fixture.float(f["closing"]).pixels)
        XCTAssertEqual(Morphology.greyOpening(im, size: size).pixels, Fixture.float(f["opening"]).pixels)
    }

    func testLabelMatchesSkimage() throws {
        let cases = try Fixture.load("label") as! [[String: Any]]
        for c in cases {
            let m = Fixture.mask(c["mask"])
            XCTAssertEqual(Labeling.label(m, connectivity: .four).labels.pixels, Fixture.labels(c["four"]).pixels)
            XCTAssertEqual(Labeling.label(m, connectivity: .eight).labels.pixels, Fixture.labels(c["eight"]).pixels)
        }
    }

    func testPeakLocalMaxMatchesSkimage() throws {
        let cases = try Fixture.load("peaks") as! [[String: Any]]
        var runsChecked = 0
        for c in cases {
            let im = Fixture.float(c["image"])
            let labels = c["labels"].flatMap { $0 is NSNull ? nil : Fixture.labels($0) }
            for run in c["runs"] as! [[String: Any]] {
                let md = run["minDistance"] as! Int
                let fpr = run["footprintDisk"] as! Int
                let useLabels = run["useLabels"] as! Bool
                let exclude = run["excludeBorder"] as! Bool
                let peaks = try Markers.peakLocalMax(im, minDistance: md,
                                                     thresholdRel: (run["thresholdRel"] as? Double).map { Float($0) },
                                                     excludeBorder: exclude ? md : 0,
                                                     footprint: fpr > 0 ? .disk(radius: fpr) : nil,
                                                     labels: useLabels ? labels : nil)
                let expected = (run["peaks"] as! [[Int]]).map { [$0[0], $0[1]] }
                XCTAssertEqual(peaks.map { [$0.x, $0.y] }, expected, "md \(md) fp \(fpr) labels \(useLabels) excl \(exclude)")
                runsChecked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(runsChecked, 8)
    }

    func testHMaximaAndReconstructionMatchSkimage() throws {
        let cases = try Fixture.load("hmaxima") as! [[String: Any]]
        for c in cases {
            let d = Fixture.float(c["distance"])
            let m = Fixture.mask(c["mask"])
            for run in c["runs"] as! [[String: Any]] {
                let h = Float(run["h"] as! Double)
                XCTAssertEqual(try Markers.hMaxima(d, h: h).pixels, Fixture.mask(run["hmaxima"]).pixels, "h_maxima h=\(h)")
                let rec = Markers.reconstructByDilation(seed: d.pixels.map { $0 - h }, mask: d.pixels, width: d.width, height: d.height)
                XCTAssertEqual(rec, Fixture.float(run["reconstruction"]).pixels, "reconstruction h=\(h)")
                XCTAssertEqual(try Markers.hMaximaMarkers(d, foreground: m, h: h).pixels,
                               Fixture.labels(run["markers"]).pixels, "markers h=\(h)")
            }
        }
    }

    func testWatershedMatchesSkimageExactly() throws {
        let cases = try Fixture.load("watershed") as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        for (k, c) in cases.enumerated() {
            let im = Fixture.float(c["image"])
            let markers = Fixture.labels(c["markers"])
            let mask = c["mask"].flatMap { $0 is NSNull ? nil : Fixture.mask($0) }
            let conn: Connectivity = (c["connectivity"] as! Int) == 1 ? .four : .eight
            let got = try Watershed.flood(im, markers: markers, mask: mask, connectivity: conn)
            let expected = Fixture.labels(c["labels"])
            let diff = zip(got.pixels, expected.pixels).filter { $0 != $1 }.count
            XCTAssertEqual(diff, 0, "case \(k): \(diff) pixels differ")
        }
    }

    func testRegionPropsMatchSkimage() throws {
        let f = try Fixture.load("regionprops") as! [String: Any]
        let labels = Fixture.labels(f["labels"])
        let intensity = Fixture.float(f["intensity"])
        let regions = RegionMeasurer.measure(labels: labels, intensity: intensity)
        let expected = f["regions"] as! [[String: Any]]
        XCTAssertEqual(regions.count, expected.count)
        for (r, e) in zip(regions, expected) {
            XCTAssertEqual(Int(r.label), e["label"] as! Int)
            XCTAssertEqual(r.area, e["area"] as! Int)
            XCTAssertEqual(r.centroidX, e["centroidX"] as! Double, accuracy: 1e-9)
            XCTAssertEqual(r.centroidY, e["centroidY"] as! Double, accuracy: 1e-9)
            XCTAssertEqual([r.minY, r.minX, r.maxY, r.maxX], e["bbox"] as! [Int])
            XCTAssertEqual(r.orientation, e["orientation"] as! Double, accuracy: 1e-9, "label \(r.label)")
            XCTAssertEqual(r.majorAxisLength, e["major"] as! Double, accuracy: 1e-9)
            XCTAssertEqual(r.minorAxisLength, e["minor"] as! Double, accuracy: 1e-9)
            XCTAssertEqual(r.perimeter, e["perimeter"] as! Double, accuracy: 1e-9)
            // skimage averages float32 intensities in float32; ours is a Double sum
            XCTAssertEqual(r.meanIntensity, e["mean"] as! Double, accuracy: 1e-6 * abs(e["mean"] as! Double))
            XCTAssertEqual(r.minIntensity, e["min"] as! Double)
            XCTAssertEqual(r.maxIntensity, e["max"] as! Double)
        }
    }

    /// The whole recipe against the reference pipeline's `segment()` (flat-field off).
    func testRecipeMatchesReferencePipeline() throws {
        let cases = try Fixture.load("recipe") as! [[String: Any]]
        for (k, c) in cases.enumerated() {
            let im = Fixture.float(c["image"])
            var p = SegmentationParameters()
            p.method = .recipe   // the default (auto) would choose the colony method for dark cells
            p.flatField = 0
            p.expand = 0   // the reference pipeline does not grow cells
            p.markers = SegmentationParameters.MarkerMethod(rawValue: c["markers"] as! String)!
            let result = try Segmenter.segment(im, parameters: p, pixelSize: c["pixelSize"] as? Double)
            // the reference numbers labels by marker order; compare after raster renumbering
            let expected = Labeling.relabelSequential(Fixture.labels(c["labels"]))
            XCTAssertEqual(result.regions.count, c["count"] as! Int, "case \(k)")
            let diff = zip(result.labels.pixels, expected.pixels).filter { $0 != $1 }.count
            XCTAssertEqual(diff, 0, "case \(k) (\(c["markers"]!)): \(diff) pixels differ")
        }
    }
}
