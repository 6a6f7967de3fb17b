import XCTest
import CellTrackCore
@testable import Segmentation

/// `ShapeRepair.splitWide`: over-wide objects (two rods side by side) are cut along the contact
/// line; single rods never are.
final class ShapeRepairTests: XCTestCase {
    /// A rod (spherocylinder) of centre (cx, cy), axis angle `angle`, half-length `half` of the
    /// straight part and radius `r`: the pixels whose centre lies inside.
    static func rodPixels(cx: Double, cy: Double, angle: Double, half: Double, r: Double, width: Int, height: Int) -> [Int] {
        let c = cos(angle), s = sin(angle)
        var out: [Int] = []
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let t = dx * c + dy * s, u = -dx * s + dy * c
                let tc = min(max(t, -half), half)
                if (t - tc) * (t - tc) + u * u <= r * r { out.append(y * width + x) }
            }
        }
        return out
    }

    struct Scene {
        var labels: LabelImage
        var intensity: Image<Float>
        /// For the merged object: its two halves' pixel sets.
        var halves: [Set<Int>]
    }

    /// Three single rods plus one object made of two parallel rods touching along their length
    /// (one label); dark cells (0.4) on 1.0, the contact line brighter (`contact`). Bright cells:
    /// everything mirrored (cells 1.6, contact darker).
    static func scene(angle: Double, darkCells: Bool, contact: Float = 0.7, seed: UInt64) -> Scene {
        let w = 160, h = 160
        var labels = [UInt32](repeating: 0, count: w * h)
        var img = [Float](repeating: 1, count: w * h)
        var rng = SplitMix64(seed: seed)
        func noise() -> Float { Float(Double(rng.next() % 1000) / 1000 - 0.5) * 0.1 }
        let cellTone: Float = darkCells ? 0.4 : 1.6
        let singles: [(Double, Double, Double)] = [(30, 25, 0.2), (120, 30, 1.3), (35, 130, 2.0)]
        for (k, (x, y, a)) in singles.enumerated() {
            for p in rodPixels(cx: x, cy: y, angle: a, half: 18, r: 6, width: w, height: h) {
                labels[p] = UInt32(k + 1); img[p] = cellTone
            }
        }
        // the pair: axes 11 px apart (overlapping by a px, so the union is connected at every angle), one label
        let (cx, cy) = (95.0, 100.0)
        let nx = -sin(angle), ny = cos(angle)
        let a = rodPixels(cx: cx - 5.5 * nx, cy: cy - 5.5 * ny, angle: angle, half: 18, r: 6, width: w, height: h)
        let b = rodPixels(cx: cx + 5.5 * nx, cy: cy + 5.5 * ny, angle: angle, half: 18, r: 6, width: w, height: h)
        var setA = Set(a), setB = Set(b)
        let both = setA.intersection(setB)
        setA.subtract(both); setB.subtract(both)
        for p in setA.union(setB).union(both) { labels[p] = 9; img[p] = cellTone }
        // the contact line: pixels within 0.7 px of the line between the axes
        for p in setA.union(setB).union(both) {
            let dx = Double(p % w) - cx, dy = Double(p / w) - cy
            if abs(dx * nx + dy * ny) <= 0.7 { img[p] = darkCells ? contact : 2 - contact }
        }
        for i in 0..<img.count { img[i] += noise() }
        return Scene(labels: LabelImage(uncheckedWidth: w, height: h, pixels: labels, pixelSize: nil),
                     intensity: Image(uncheckedWidth: w, height: h, pixels: img, pixelSize: nil),
                     halves: [setA, setB])
    }

    func check(_ scene: Scene, darkCells: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let out = ShapeRepair.splitWide(scene.labels, intensity: scene.intensity, darkCells: darkCells,
                                        ratio: 1.5, expectedWidth: 12, minArea: 100)
        // every labelled pixel stays labelled, no background is added
        for i in 0..<out.pixels.count {
            XCTAssertEqual(out.pixels[i] != 0, scene.labels.pixels[i] != 0, file: file, line: line)
        }
        XCTAssertEqual(Set(out.pixels).subtracting([0]).count, 5, "4 objects + 1 from the split", file: file, line: line)
        // each half of the pair is (almost) one label of its own
        var owners: [UInt32] = []
        for half in scene.halves {
            var votes: [UInt32: Int] = [:]
            for p in half { votes[out.pixels[p], default: 0] += 1 }
            let (label, n) = votes.max { ($0.value, $1.key) < ($1.value, $0.key) }!
            XCTAssertGreaterThan(Double(n) / Double(half.count), 0.95, "\(scene.halves.map(\.count))", file: file, line: line)
            owners.append(label)
        }
        XCTAssertNotEqual(owners[0], owners[1], file: file, line: line)
    }

    func testSideBySidePairIsCutAlongTheContactLine() {
        for (k, angle) in [0.0, 0.4, .pi / 4, 1.2, .pi / 2, 2.6].enumerated() {
            check(Self.scene(angle: angle, darkCells: true, seed: UInt64(100 + k)), darkCells: true)
        }
    }

    func testBrightCellsAreCutAlongTheDarkerLine() {
        check(Self.scene(angle: 0.7, darkCells: false, seed: 7), darkCells: false)
    }

    func testSingleRodsAreNeverSplit() {
        var rng = SplitMix64(seed: 2024)
        for trial in 0..<10 {
            let w = 200, h = 200
            var labels = [UInt32](repeating: 0, count: w * h)
            for k in 0..<6 {
                let cx = 20 + Double(rng.next() % 160), cy = 20 + Double(rng.next() % 160)
                let angle = Double(rng.next() % 628) / 100
                let r = 5 + Double(rng.next() % 20) / 10          // widths 10–14 px
                for p in Self.rodPixels(cx: cx, cy: cy, angle: angle, half: 10 + Double(rng.next() % 20), r: r, width: w, height: h)
                where labels[p] == 0 { labels[p] = UInt32(k + 1) }
            }
            let image = LabelImage(uncheckedWidth: w, height: h, pixels: labels, pixelSize: nil)
            let intensity = Image<Float>(uncheckedWidth: w, height: h, pixels: [Float](repeating: 1, count: w * h), pixelSize: nil)
            let out = ShapeRepair.splitWide(image, intensity: intensity, darkCells: true, ratio: 1.5, expectedWidth: 12, minArea: 50)
            XCTAssertEqual(out, image, "trial \(trial)")
        }
    }

    func testOffOrTooSmallHalvesLeaveTheObjectWhole() {
        let scene = Self.scene(angle: 0.3, darkCells: true, seed: 1)
        let off = ShapeRepair.splitWide(scene.labels, intensity: scene.intensity, darkCells: true,
                                        ratio: 0, expectedWidth: 12, minArea: 100)
        XCTAssertEqual(off, scene.labels)
        let big = ShapeRepair.splitWide(scene.labels, intensity: scene.intensity, darkCells: true,
                                        ratio: 1.5, expectedWidth: 12, minArea: 10_000)
        XCTAssertEqual(big, scene.labels)
    }

    func testAPairAloneIsFoundThroughTheExpectedWidth() {
        // only the pair in the frame: too few cells for a median, the expected width decides
        let scene = Self.scene(angle: 0.5, darkCells: true, seed: 3)
        var only = scene.labels
        for i in 0..<only.pixels.count where only.pixels[i] != 9 { only.pixels[i] = 0 }
        let out = ShapeRepair.splitWide(only, intensity: scene.intensity, darkCells: true,
                                        ratio: 1.5, expectedWidth: 12, minArea: 100)
        XCTAssertEqual(Set(out.pixels).subtracting([0]).count, 2)
        let wide = ShapeRepair.splitWide(only, intensity: scene.intensity, darkCells: true,
                                         ratio: 1.5, expectedWidth: 30, minArea: 100)
        XCTAssertEqual(Set(wide.pixels).subtracting([0]).count, 1, "a wide species' cell is not cut")
    }
}
