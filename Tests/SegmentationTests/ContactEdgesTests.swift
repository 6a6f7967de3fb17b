import XCTest
import CellTrackCore
@testable import Segmentation

/// `ContactEdges.place`: at a contact the edge is `trim` of the way from the contact line's crest
/// to the core; elsewhere it is the ordinary trim.
final class ContactEdgesTests: XCTestCase {
    struct Scene {
        var s: Image<Float>
        var watershed: LabelImage
        var markers: LabelImage
        var labels: LabelImage
    }

    /// Two cells pole to pole along x (rows 20–35): cell 1 in columns 5–49, cell 2 in 50–94, on
    /// a background of 0. Inside, s = core + bump · max(0, 1 − |x − 49.5| / halfWidth): a contact
    /// line centred between columns 49 and 50. Markers: columns 10–40 and 59–89, rows 24–31.
    static func polePair(core: Float = -20, bump: Float, halfWidth: Float = 5) -> Scene {
        let w = 100, h = 56
        var s = [Float](repeating: 0, count: w * h)
        var ws = [UInt32](repeating: 0, count: w * h), mk = ws
        for y in 20...35 {
            for x in 5...94 {
                let i = y * w + x
                s[i] = core + bump * max(0, 1 - abs(Float(x) - 49.5) / halfWidth)
                ws[i] = x <= 49 ? 1 : 2
                if (24...31).contains(y) && ((10...40).contains(x) || (59...89).contains(x)) { mk[i] = ws[i] }
            }
        }
        let wsImage = LabelImage(uncheckedWidth: w, height: h, pixels: ws, pixelSize: nil)
        return Scene(s: Image(uncheckedWidth: w, height: h, pixels: s, pixelSize: nil), watershed: wsImage,
                     markers: LabelImage(uncheckedWidth: w, height: h, pixels: mk, pixelSize: nil), labels: wsImage)
    }

    /// The ordinary trim: watershed pixels darker than trim × their marker's mean.
    static func trimOnly(_ sc: Scene, trim: Float) -> LabelImage {
        var sum: [UInt32: (Double, Int)] = [:]
        for i in 0..<sc.s.count where sc.markers.pixels[i] != 0 {
            let l = sc.markers.pixels[i]
            sum[l, default: (0, 0)].0 += Double(sc.s.pixels[i]); sum[l, default: (0, 0)].1 += 1
        }
        var out = sc.watershed
        for i in 0..<out.count where out.pixels[i] != 0 {
            let (a, n) = sum[out.pixels[i]]!
            if !(sc.s.pixels[i] < trim * Float(a / Double(n))) { out.pixels[i] = 0 }
        }
        return out
    }

    func testFaintContactLineKeepsTheCellsUpToTheCrest() {
        // crest at columns 49/50: −20 + 12 · 0.9 = −9.2; edge level −9.2 + 0.2 · (−20 + 9.2) = −11.36,
        // so columns 48 (−11.6) and 51 are kept, 49 and 50 are the gap
        let sc = Self.polePair(bump: 12)
        let out = ContactEdges.place(watershed: sc.watershed, markers: sc.markers, labels: sc.labels,
                                     normalised: sc.s, trim: 0.2, radius: 4)
        for y in 20...35 {
            for x in 5...94 {
                let v = out.pixels[y * 100 + x]
                if x == 49 || x == 50 { XCTAssertEqual(v, 0, "gap at (\(x), \(y))") }
                else { XCTAssertEqual(v, x < 49 ? 1 : 2, "(\(x), \(y))") }
            }
        }
        // the trim alone (background reference) would keep the whole faint line
        XCTAssertEqual(Self.trimOnly(sc, trim: 0.2), sc.watershed)
        // nothing outside the cells
        for i in 0..<out.count where sc.watershed.pixels[i] == 0 { XCTAssertEqual(out.pixels[i], 0) }
    }

    func testAContactLineReachingTheBackgroundGivesTheOrdinaryTrim() {
        // crest above the background level: the reference is the background, as at an outer edge
        let sc = Self.polePair(bump: 26, halfWidth: 3)
        XCTAssertGreaterThan(sc.s.pixels[25 * 100 + 49], 0)
        let out = ContactEdges.place(watershed: sc.watershed, markers: sc.markers, labels: sc.labels,
                                     normalised: sc.s, trim: 0.2, radius: 4)
        XCTAssertEqual(out, Self.trimOnly(sc, trim: 0.2))
        XCTAssertNotEqual(out, sc.watershed, "the bright line is cut")
    }

    func testRadiusZeroAndDroppedCellsAndNumbering() {
        let sc = Self.polePair(bump: 12)
        XCTAssertEqual(ContactEdges.place(watershed: sc.watershed, markers: sc.markers, labels: sc.labels,
                                          normalised: sc.s, trim: 0.2, radius: 0), sc.labels)
        // cell 2 was dropped by the filters and cell 1 renumbered 7: it stays dropped, 1 keeps 7
        var labels = sc.labels
        for i in 0..<labels.count { labels.pixels[i] = labels.pixels[i] == 1 ? 7 : 0 }
        let out = ContactEdges.place(watershed: sc.watershed, markers: sc.markers, labels: labels,
                                     normalised: sc.s, trim: 0.2, radius: 4)
        XCTAssertEqual(Set(out.pixels), [0, 7])
        XCTAssertEqual(out.pixels[25 * 100 + 48], 7)
        XCTAssertEqual(out.pixels[25 * 100 + 49], 0, "the contact with the dropped region still counts")
    }

    /// Seeded random colony: rods of random tones and contact lines, watershed = the rods' Voronoi
    /// split, markers = eroded rods. Two groups far apart.
    static func randomScene(seed: UInt64) -> Scene {
        let w = 180, h = 120
        var rng = SplitMix64(seed: seed)
        var s = [Float](repeating: 0, count: w * h)
        var ws = [UInt32](repeating: 0, count: w * h), mk = ws
        var depth = [Double](repeating: -1, count: w * h)
        var label: UInt32 = 0
        for (gx, gy) in [(40.0, 60.0), (135.0, 60.0)] {
            for k in 0..<3 {
                label += 1
                let cx = gx + Double(k) * 11 - 11 + Double(rng.next() % 3), cy = gy + Double(rng.next() % 5) - 2
                let angle = 1.5 + Double(rng.next() % 20) / 100
                let core = -Float(12 + rng.next() % 10)
                for p in ShapeRepairTests.rodPixels(cx: cx, cy: cy, angle: angle, half: 18, r: 6, width: w, height: h) {
                    let dx = Double(p % w) - cx, dy = Double(p / w) - cy
                    let u = abs(-dx * sin(angle) + dy * cos(angle))
                    let d = 6 - u
                    if d > depth[p] { depth[p] = d; ws[p] = label }
                    if d > 3 { mk[p] = label }
                }
                for p in 0..<(w * h) where ws[p] == label {
                    s[p] = core * Float(min(1, depth[p] / 3)) + Float(rng.next() % 100) / 100 - 0.5
                }
            }
        }
        for p in 0..<(w * h) where mk[p] != 0 && ws[p] != mk[p] { mk[p] = 0 }
        let wsImage = LabelImage(uncheckedWidth: w, height: h, pixels: ws, pixelSize: nil)
        return Scene(s: Image(uncheckedWidth: w, height: h, pixels: s, pixelSize: nil), watershed: wsImage,
                     markers: LabelImage(uncheckedWidth: w, height: h, pixels: mk, pixelSize: nil), labels: wsImage)
    }

    func testDeterministicAndACropWithTheStatedMarginGivesTheSamePixels() {
        for seed in [UInt64(1), 2, 3] {
            let sc = Self.randomScene(seed: seed)
            let radius = 4
            let full = ContactEdges.place(watershed: sc.watershed, markers: sc.markers, labels: sc.labels,
                                          normalised: sc.s, trim: 0.2, radius: radius)
            XCTAssertEqual(full, ContactEdges.place(watershed: sc.watershed, markers: sc.markers, labels: sc.labels,
                                                    normalised: sc.s, trim: 0.2, radius: radius))
            XCTAssertNotEqual(full, Self.trimOnly(sc, trim: 0.2), "seed \(seed): the contacts change something")
            // the left group's box plus radius + 1 px
            var x0 = sc.s.width, x1 = 0, y0 = sc.s.height, y1 = 0
            for i in 0..<sc.s.count where sc.watershed.pixels[i] != 0 && sc.watershed.pixels[i] <= 3 {
                x0 = min(x0, i % sc.s.width); x1 = max(x1, i % sc.s.width)
                y0 = min(y0, i / sc.s.width); y1 = max(y1, i / sc.s.width)
            }
            let box = (x0: max(0, x0 - radius - 1), y0: max(0, y0 - radius - 1),
                       x1: min(sc.s.width - 1, x1 + radius + 1), y1: min(sc.s.height - 1, y1 + radius + 1))
            XCTAssertLessThan(box.x1, 100, "the crop holds one group only")
            let part = ContactEdges.place(watershed: ColonySegmenter.crop(sc.watershed, box),
                                          markers: ColonySegmenter.crop(sc.markers, box),
                                          labels: ColonySegmenter.crop(sc.labels, box),
                                          normalised: ColonySegmenter.crop(sc.s, box), trim: 0.2, radius: radius)
            XCTAssertEqual(part.pixels, ColonySegmenter.crop(full, box).pixels, "seed \(seed)")
        }
    }
}
