import XCTest
import CellTrackCore
@testable import Segmentation

/// `ShapeRepair.fillHoles`: an object's enclosed background becomes its own, nothing else
/// changes; the run version equals the plain one on seeded random label images.
final class HoleFillingTests: XCTestCase {
    /// A label image from rows of characters: "." background, digits labels.
    static func picture(_ rows: [String]) -> LabelImage {
        let w = rows[0].count
        return LabelImage(uncheckedWidth: w, height: rows.count,
                          pixels: rows.flatMap { $0.map { $0 == "." ? 0 : UInt32(String($0))! } })
    }

    func testRingBecomesADiskAroundItsNeighbour() {
        let before = Self.picture([
            "..........",
            ".1111111..",
            ".1.....1..",
            ".1.222.1.3",
            ".1.222.1.3",
            ".1.....1..",
            ".1111111..",
            ".........."])
        let after = Self.picture([
            "..........",
            ".1111111..",
            ".1111111..",
            ".1122211.3",
            ".1122211.3",
            ".1111111..",
            ".1111111..",
            ".........."])
        XCTAssertEqual(ShapeRepair.fillHoles(LabelRuns(before)).labelImage(), after)
        XCTAssertEqual(ShapeRepair.fillHolesOneByOne(before), after)
    }

    func testOpenShapesAndDiagonalLeaksStayAsTheyAre() {
        // a C open to the right (1) and one open to the left (3) stay open; the hole of 2 touches
        // the background outside only diagonally, and background connects 4-wise: it is filled
        let before = Self.picture([
            "111....22.",
            "1......2.2",
            "1......2.2",
            "111....222",
            "..........",
            "33333.....",
            "....3.....",
            "33333....."])
        let after = Self.picture([
            "111....22.",
            "1......222",
            "1......222",
            "111....222",
            "..........",
            "33333.....",
            "....3.....",
            "33333....."])
        XCTAssertEqual(ShapeRepair.fillHoles(LabelRuns(before)).labelImage(), after)
        XCTAssertEqual(ShapeRepair.fillHolesOneByOne(before), after)
        // nothing to fill: the same value comes back
        let solid = Self.picture(["11.", "11.", "..2"])
        XCTAssertEqual(ShapeRepair.fillHoles(LabelRuns(solid)), LabelRuns(solid))
    }

    /// Random objects (rings, rods with notches, pieces, nested and touching objects, objects on
    /// the frame's edge): the run version equals the plain one, every new pixel was background,
    /// and no object loses a pixel.
    func testRunsEqualThePlainVersionOnRandomObjects() {
        var rng = SplitMix64(seed: 11)
        var filledSomewhere = 0
        for _ in 0..<200 {
            let w = 8 + Int(rng.next() % 40), h = 8 + Int(rng.next() % 40)
            var labels = LabelImage(width: w, height: h, repeating: 0)
            let objects = 1 + Int(rng.next() % 8)
            for k in 1...objects {
                let x0 = Int(rng.next() % UInt64(w)), y0 = Int(rng.next() % UInt64(h))
                let bw = 2 + Int(rng.next() % 14), bh = 2 + Int(rng.next() % 14)
                let ring = rng.next() % 2 == 0
                for y in y0..<min(h, y0 + bh) {
                    for x in x0..<min(w, x0 + bw) {
                        let edge = y == y0 || x == x0 || y == y0 + bh - 1 || x == x0 + bw - 1
                        // rings, or solid boxes with random pixels knocked out
                        if ring ? edge : rng.next() % 5 != 0 { labels.pixels[y * w + x] = UInt32(k) }
                    }
                }
            }
            let slow = ShapeRepair.fillHolesOneByOne(labels)
            let fast = ShapeRepair.fillHoles(LabelRuns(labels)).labelImage()
            XCTAssertEqual(fast, slow)
            for i in labels.pixels.indices where labels.pixels[i] != 0 { XCTAssertEqual(fast.pixels[i], labels.pixels[i]) }
            filledSomewhere += zip(labels.pixels, fast.pixels).filter { $0 != $1 }.count
        }
        XCTAssertGreaterThan(filledSomewhere, 100)
    }
}
