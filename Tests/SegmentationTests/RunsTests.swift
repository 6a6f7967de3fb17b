import CellTrackCore
import Foundation
import XCTest
@testable import Segmentation

/// The run-based (sparse) kernels against the label-image kernels they replace: same results,
/// value for value, on seeded random inputs and on phase-contrast-like frames.
final class RunsTests: XCTestCase {
    /// Random blobs (rectangles and discs, later ones on top) with labels in random order.
    static func randomLabels(_ w: Int, _ h: Int, _ rng: inout SplitMix64, objects: Int = 12) -> LabelImage {
        var img = LabelImage(width: w, height: h, repeating: 0)
        for k in 0..<objects {
            let label = UInt32(1 + (k * 7919) % 97)
            let cx = Int(rng.unit() * Double(w)), cy = Int(rng.unit() * Double(h))
            let r = 1 + Int(rng.unit() * 8)
            let disc = rng.unit() < 0.5
            for y in max(0, cy - r)..<min(h, cy + r + 1) {
                for x in max(0, cx - r)..<min(w, cx + r + 1) where !disc || (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                    img[x, y] = label
                }
            }
        }
        return img
    }

    static func randomMask(_ w: Int, _ h: Int, _ rng: inout SplitMix64, density: Double) -> Mask {
        var m = Mask(width: w, height: h, repeating: 0)
        for i in 0..<m.count where rng.unit() < density { m.pixels[i] = 1 }
        // plus blobs, so components of every size occur
        let blobs = randomLabels(w, h, &rng, objects: 6)
        for i in 0..<m.count where blobs.pixels[i] != 0 { m.pixels[i] = 1 }
        return m
    }

    func testLabelRunsRoundTripAreaBoxAndRLE() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<40 {
            let w = 1 + Int(rng.unit() * 50), h = 1 + Int(rng.unit() * 40)
            let img = Self.randomLabels(w, h, &rng)
            let runs = LabelRuns(img)
            XCTAssertEqual(runs.labelImage(), img)
            let present = Set(img.pixels).subtracting([0]).sorted()
            XCTAssertEqual(runs.labels, present, "objects in label order")
            XCTAssertEqual(runs.foregroundPixels, img.pixels.filter { $0 != 0 }.count)
            let regions = RegionMeasurer.measure(labels: img, intensity: nil)
            for k in 0..<runs.count {
                XCTAssertEqual(runs.area(k), regions[k].area)
                let box = runs.boundingBox(k)
                XCTAssertEqual(box, MaskRLE.BoundingBox(regions[k]))
                XCTAssertEqual(MaskRLE.encode(runs: runs.runs(of: k), bbox: box),
                               MaskRLE.encode(labels: img, label: runs.labels[k], bbox: box))
            }
            let rows = runs.byRow()
            for y in 0..<h {
                let row = rows.entries[rows.rowStart[y]..<rows.rowStart[y + 1]]
                XCTAssertEqual(row.map(\.run.x0), row.map(\.run.x0).sorted())
                XCTAssertTrue(row.allSatisfy { Int($0.run.y) == y })
            }
        }
    }

    func testAppendValidates() throws {
        var runs = LabelRuns(width: 10, height: 5)
        XCTAssertThrowsError(try runs.append(label: 0, runs: [.init(y: 0, x0: 0, x1: 2)]))
        XCTAssertThrowsError(try runs.append(label: 1, runs: [.init(y: 5, x0: 0, x1: 2)]))
        XCTAssertThrowsError(try runs.append(label: 1, runs: [.init(y: 1, x0: 3, x1: 3)]))
        XCTAssertThrowsError(try runs.append(label: 1, runs: [.init(y: 1, x0: 0, x1: 3), .init(y: 1, x0: 3, x1: 5)]))
        XCTAssertThrowsError(try runs.append(label: 1, runs: [.init(y: 2, x0: 0, x1: 3), .init(y: 1, x0: 4, x1: 5)]))
        try runs.append(label: 7, runs: [.init(y: 1, x0: 0, x1: 3), .init(y: 1, x0: 4, x1: 5), .init(y: 2, x0: 0, x1: 1)])
        XCTAssertThrowsError(try runs.append(label: 7, runs: [.init(y: 0, x0: 0, x1: 1)]))
        XCTAssertEqual(runs.area(0), 5)
    }

    func testRegionsFromRunsEqualRegionsFromTheLabelImage() {
        var rng = SplitMix64(seed: 12)
        for _ in 0..<30 {
            let w = 1 + Int(rng.unit() * 60), h = 1 + Int(rng.unit() * 45)
            let img = Self.randomLabels(w, h, &rng)
            var intensity = Image<Float>(width: w, height: h, repeating: 0)
            for i in 0..<intensity.count { intensity.pixels[i] = Float(rng.unit() * 1000) }
            XCTAssertEqual(RegionMeasurer.measure(runs: LabelRuns(img), intensity: intensity),
                           RegionMeasurer.measure(labels: img, intensity: intensity))
            XCTAssertEqual(RegionMeasurer.measure(runs: LabelRuns(img), intensity: nil),
                           RegionMeasurer.measure(labels: img, intensity: nil))
        }
    }

    func testRunComponentsEqualLabeling() {
        var rng = SplitMix64(seed: 13)
        for trial in 0..<40 {
            let w = 1 + Int(rng.unit() * 70), h = 1 + Int(rng.unit() * 50)
            let mask = Self.randomMask(w, h, &rng, density: trial % 2 == 0 ? 0.3 : 0.6)
            for c in [Connectivity.four, .eight] {
                XCTAssertEqual(RunComponents.label(mask, connectivity: c).labelImage().pixels,
                               Labeling.label(mask, connectivity: c).labels.pixels, "trial \(trial) \(c)")
            }
        }
    }

    func testOpeningPerComponentEqualsOpening() {
        var rng = SplitMix64(seed: 14)
        for trial in 0..<30 {
            let w = 5 + Int(rng.unit() * 70), h = 5 + Int(rng.unit() * 50)
            let mask = Self.randomMask(w, h, &rng, density: 0.45)
            for r in [1, 2, 3] {
                var mine = mask
                ColonySegmenter.openPerComponent(&mine, radius: r)
                XCTAssertEqual(mine.pixels, Morphology.opening(mask, .disk(radius: r)).pixels, "trial \(trial) r \(r)")
            }
        }
    }

    func testSplitWideOnRunsEqualsOnLabels() {
        // side-by-side pairs (wide objects) among single rods
        var img = LabelImage(width: 120, height: 80, repeating: 0)
        var intensity = Image<Float>(width: 120, height: 80, repeating: 100)
        var label: UInt32 = 0
        for (x0, y0, wide) in [(5, 5, true), (40, 8, false), (70, 40, true), (10, 50, false), (95, 10, false)] {
            label += 1
            let height = wide ? 16 : 8
            for y in y0..<(y0 + height) { for x in x0..<(x0 + 20) { img[x, y] = label; intensity[x, y] = 20 } }
            if wide { for x in x0..<(x0 + 20) { intensity[x, y0 + 8] = 80 } }   // the contact line
        }
        let dense = ShapeRepair.splitWide(img, intensity: intensity, darkCells: true, ratio: 1.5, expectedWidth: 8, minArea: 30)
        let runs = ShapeRepair.splitWide(LabelRuns(img), intensity: intensity, darkCells: true, ratio: 1.5,
                                         expectedWidth: 8, minArea: 30)
        XCTAssertEqual(runs.labelImage(), dense)
        XCTAssertEqual(runs.count, 7, "both wide objects split")
    }

    /// A phase-contrast-like frame: dark capsules with bright halos on a textured background
    /// with vignetting; some touch, some cross the border.
    static func phaseContrastFrame(width w: Int, height h: Int, rods: Int, seed: UInt64) -> Image<Float> {
        var rng = SplitMix64(seed: seed)
        var segments: [(ax: Double, ay: Double, bx: Double, by: Double)] = []
        for _ in 0..<rods {
            let cx = rng.unit() * Double(w), cy = rng.unit() * Double(h)
            let len = 15 + rng.unit() * 35, angle = rng.unit() * Double.pi
            segments.append((cx - cos(angle) * len / 2, cy - sin(angle) * len / 2, cx + cos(angle) * len / 2, cy + sin(angle) * len / 2))
        }
        var img = Image<Float>(width: w, height: h, repeating: 0)
        for y in 0..<h {
            for x in 0..<w {
                var d = Double.infinity
                for s in segments {
                    let vx = s.bx - s.ax, vy = s.by - s.ay
                    let t = max(0, min(1, ((Double(x) - s.ax) * vx + (Double(y) - s.ay) * vy) / (vx * vx + vy * vy)))
                    d = min(d, hypot(Double(x) - s.ax - t * vx, Double(y) - s.ay - t * vy))
                }
                let radius = 7.0
                let r2 = (Double(x) - Double(w) / 2) * (Double(x) - Double(w) / 2) + (Double(y) - Double(h) / 2) * (Double(y) - Double(h) / 2)
                let vignette = 1 - 0.1 * r2 / Double(w * w / 4 + h * h / 4)
                var v = 1000 * vignette
                v -= 550 / (1 + exp((d - radius) / 1.2))
                v += 180 * exp(-(d - radius - 3) * (d - radius - 3) / 6)
                v += 12 * (rng.unit() - 0.5)
                img.pixels[y * w + x] = Float(v)
            }
        }
        return img
    }

    func testGroupedColonyEqualsTheWholeFrameColony() throws {
        var frames: [(Image<Float>, Double)] = [(try ColonyTests.crop().image, try ColonyTests.crop().pixelSize)]
        for seed in [1, 2, 3] as [UInt64] { frames.append((Self.phaseContrastFrame(width: 260, height: 190, rods: 14, seed: seed), 0.065)) }
        // coarsely quantised (8-bit-like) pixels at a small cell width: many equal values, so
        // the watershed's tie-break between markers matters (ages in raster order)
        frames.append((Self.phaseContrastFrame(width: 200, height: 150, rods: 30, seed: 4).map { ($0 / 8).rounded() * 8 }, 0.1))
        for (k, (image, px)) in frames.enumerated() {
            let p = ColonyParameters()
            let whole = try XCTUnwrap(ColonySegmenter.segment(image, parameters: p, widthPixels: 1 / px, polarity: .dark))
            let grouped = try XCTUnwrap(ColonySegmenter.segmentGrouped(image, parameters: p, widthPixels: 1 / px, polarity: .dark))
            XCTAssertGreaterThan(grouped.cells.count, 0, "frame \(k) has cells")
            // the whole-frame reference with the contact edges placed on whole images
            let reference = Labeling.relabelSequential(ContactEdges.place(
                watershed: whole.watershed, markers: whole.markers, labels: whole.labels, normalised: whole.normalised,
                trim: p.trim, radius: p.resolved(widthPixels: 1 / px).interfaceRadius))
            XCTAssertEqual(grouped.cells.labelImage().pixels, reference.pixels, "frame \(k)")
            XCTAssertEqual(grouped.threshold, whole.threshold)
            XCTAssertEqual(grouped.darkCells, whole.darkCells)
            // and the bright-cell path on the negative
            let negative = image.map { 3000 - $0 }
            let wholeBright = try XCTUnwrap(ColonySegmenter.segment(negative, parameters: p, widthPixels: 1 / px, polarity: .auto))
            let groupedBright = try XCTUnwrap(ColonySegmenter.segmentGrouped(negative, parameters: p, widthPixels: 1 / px, polarity: .auto))
            let referenceBright = Labeling.relabelSequential(ContactEdges.place(
                watershed: wholeBright.watershed, markers: wholeBright.markers, labels: wholeBright.labels,
                normalised: wholeBright.normalised, trim: p.trim, radius: p.resolved(widthPixels: 1 / px).interfaceRadius))
            XCTAssertEqual(groupedBright.cells.labelImage().pixels, referenceBright.pixels, "frame \(k), negative")
            XCTAssertEqual(groupedBright.darkCells, wholeBright.darkCells)
            XCTAssertEqual(groupedBright.threshold, wholeBright.threshold)
            // Fluorescence-like: the negative of a sparse synthetic frame without its halos
            // (clipped at the median first) has no dark tail, so auto finds bright cells; asked
            // for dark cells only, it gives none. (The real crop and the dense frame keep dark
            // pixels after clipping.)
            guard (1...3).contains(k) else { continue }
            let median = image.pixels.sorted()[image.count / 2]
            let glowing = image.map { 3000 - min($0, median) }
            let wholeGlowing = try XCTUnwrap(ColonySegmenter.segment(glowing, parameters: p, widthPixels: 1 / px, polarity: .auto))
            let groupedGlowing = try XCTUnwrap(ColonySegmenter.segmentGrouped(glowing, parameters: p, widthPixels: 1 / px, polarity: .auto))
            XCTAssertFalse(wholeGlowing.darkCells, "frame \(k)")
            XCTAssertFalse(groupedGlowing.darkCells, "frame \(k)")
            let referenceGlowing = Labeling.relabelSequential(ContactEdges.place(
                watershed: wholeGlowing.watershed, markers: wholeGlowing.markers, labels: wholeGlowing.labels,
                normalised: wholeGlowing.normalised, trim: p.trim, radius: p.resolved(widthPixels: 1 / px).interfaceRadius))
            XCTAssertEqual(groupedGlowing.cells.labelImage().pixels, referenceGlowing.pixels, "frame \(k), glowing")
            XCTAssertEqual(groupedGlowing.threshold, wholeGlowing.threshold)
            XCTAssertNil(ColonySegmenter.segmentGrouped(glowing, parameters: p, widthPixels: 1 / px, polarity: .auto, onlyDark: true))
        }
    }

    /// A colony processed in tiles gives the cells of the untiled group, pixel for pixel: with
    /// tiles far smaller than the default (many seams, cells cut by every window), and with
    /// halos too small for most cells (each computed again around itself, or the group whole).
    func testTiledColonyEqualsTheUntiledColony() throws {
        let px = 0.065, width = 1 / px
        let p = ColonyParameters()
        for seed in [5, 6, 7] as [UInt64] {
            let image = Self.phaseContrastFrame(width: 420, height: 330, rods: 95, seed: seed)
            let whole = try XCTUnwrap(ColonySegmenter.segmentGrouped(image, parameters: p, widthPixels: width,
                                                                     polarity: .dark, tiling: .never))
            XCTAssertEqual(whole.tiledGroups, 0)
            XCTAssertGreaterThan(whole.cells.count, 25, "seed \(seed): a dense colony")
            let margin = Int((3 * width).rounded(.up))
            let tilings = [
                ColonySegmenter.Tiling(core: 96, margin: margin, above: margin, beyond: margin + 70),
                ColonySegmenter.Tiling(core: 128, margin: 4, above: 4, beyond: 8),
            ]
            for (k, tiling) in tilings.enumerated() {
                let tiled = try XCTUnwrap(ColonySegmenter.segmentGrouped(image, parameters: p, widthPixels: width,
                                                                         polarity: .dark, tiling: tiling))
                if k == 0 { XCTAssertGreaterThan(tiled.tiledGroups, 0, "seed \(seed): tiles were used") }
                let differing = zip(tiled.cells.labelImage().pixels, whole.cells.labelImage().pixels).filter { $0 != $1 }.count
                XCTAssertEqual(differing, 0, "seed \(seed), tiling \(k): pixels labelled differently")
                XCTAssertEqual(tiled.cells.count, whole.cells.count, "seed \(seed), tiling \(k)")
            }
        }
    }

    /// Groups run on helping threads (`WorkSharing`) give the serial result, pixel for pixel and
    /// in the same label order, with the stage times collected or not.
    func testSharedGroupsEqualTheSerialGroups() throws {
        let px = 0.065, width = 1 / px
        let p = ColonyParameters()
        let margin = Int((3 * width).rounded(.up))
        let tiling = ColonySegmenter.Tiling(core: 96, margin: margin, above: margin, beyond: margin + 70)
        for seed in [8, 9] as [UInt64] {
            let image = Self.phaseContrastFrame(width: 420, height: 330, rods: 60, seed: seed)
            let serial = try XCTUnwrap(ColonySegmenter.segmentGrouped(image, parameters: p, widthPixels: width,
                                                                      polarity: .dark, tiling: tiling))
            XCTAssertGreaterThan(serial.cells.count, 20, "seed \(seed)")
            for timed in [false, true] {
                let sharing = WorkSharing(participants: 3)
                let helpers = DispatchGroup()
                for _ in 0..<2 {
                    helpers.enter()
                    Thread { defer { helpers.leave() }; sharing.help() }.start()
                }
                var times = ColonySegmenter.GroupTimes()
                let shared = withUnsafeMutablePointer(to: &times) { t in
                    ColonySegmenter.segmentGrouped(image, parameters: p, widthPixels: width, polarity: .dark,
                                                   tiling: tiling, sharing: sharing, times: timed ? t : nil)
                }
                sharing.help()
                XCTAssertEqual(helpers.wait(timeout: .now() + 60), .success)
                let result = try XCTUnwrap(shared)
                XCTAssertEqual(result.cells.labelImage().pixels, serial.cells.labelImage().pixels, "seed \(seed), timed \(timed)")
                XCTAssertEqual(result.tiledGroups, serial.tiledGroups)
                if timed { XCTAssertGreaterThan(times.cells, 0, "seed \(seed): the groups' times are summed") }
            }
        }
    }

    /// Flooding each 4-connected part of the mask on its own gives the whole-image result when
    /// markers take raster-order ages; with skimage's shared age 0, equal-valued markers are
    /// ordered by the heap's layout and the two can differ (which this test also shows happens).
    func testRasterMarkerAgesMakeTheFloodSeparable() {
        var rng = SplitMix64(seed: 31)
        var differedWithSharedAges = 0
        for _ in 0..<60 {
            let w = 24, h = 18
            var img = Image<Float>(width: w, height: h, repeating: 0)
            for i in 0..<img.count { img.pixels[i] = Float(Int(rng.unit() * 3)) }   // many ties
            var mask = Self.randomMask(w, h, &rng, density: 0.55)
            for x in 0..<w { mask[x, 9] = 0 }                                            // two parts at least
            var markers = LabelImage(width: w, height: h, repeating: 0)
            var next: UInt32 = 0
            for i in 0..<img.count where mask.pixels[i] != 0 && rng.unit() < 0.08 { next += 1; markers.pixels[i] = next }
            for raster in [true, false] {
                let whole = Watershed.floodUnchecked(img, markers: markers, mask: mask, connectivity: .four, rasterMarkerAges: raster)
                var parts = LabelImage(width: w, height: h, repeating: 0)
                let components = RunComponents.label(mask, connectivity: .four)
                for k in 0..<components.count {
                    var own = Mask(width: w, height: h, repeating: 0)
                    for r in components.runs(of: k) { for x in Int(r.x0)..<Int(r.x1) { own[x, Int(r.y)] = 1 } }
                    let flooded = Watershed.floodUnchecked(img, markers: markers, mask: own, connectivity: .four, rasterMarkerAges: raster)
                    for i in 0..<own.count where own.pixels[i] != 0 { parts.pixels[i] = flooded.pixels[i] }
                }
                if raster { XCTAssertEqual(parts, whole) } else if parts != whole { differedWithSharedAges += 1 }
            }
        }
        XCTAssertGreaterThan(differedWithSharedAges, 0, "the cases exercise ties between markers")
    }
}
