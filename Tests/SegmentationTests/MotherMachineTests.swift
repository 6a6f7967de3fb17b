import CellTrackCore
import XCTest
@testable import Segmentation

/// A drawn mother machine: grey chip, bright lumens every `period` px with brighter halos along
/// their walls, dark rods stacked in each lumen, separated by bright septa; seeded noise.
struct DrawnMotherMachine {
    var image: Image<Float>
    /// Per drawn cell: chamber centre column and rows (inclusive).
    var cells: [(x: Int, y0: Int, y1: Int)]

    init(chambers: Int, seed: UInt64, width: Int = 0, height: Int = 260, period: Int = 38, lumen: Int = 12) {
        var rng = SplitMix64(seed: seed)
        let w = width > 0 ? width : chambers * period + 20
        var px = [Float](repeating: 3000, count: w * height)
        var cells: [(x: Int, y0: Int, y1: Int)] = []
        let top = 40, bottom = 220
        for y in 0..<top { for x in 0..<w { px[y * w + x] = 1500 } }       // dark region above the chip
        for k in 0..<chambers {
            let x0 = 10 + k * period + (period - lumen) / 2, x1 = x0 + lumen - 1
            for y in top...bottom {
                for x in x0...x1 { px[y * w + x] = (x == x0 || x == x1 || x == x0 + 1 || x == x1 - 1) ? 8200 : 8600 }
            }
            // a stack of cells from the closed end, 24–40 px long, 2-px septa; some chambers part-empty
            var y = top + 3
            let end = bottom - Int(rng.unit() * 80)
            while y + 24 < end {
                let length = 24 + Int(rng.unit() * 16)
                let y1 = min(y + length - 1, end)
                for yy in y...y1 { for x in (x0 + 3)...(x1 - 3) { px[yy * w + x] = 5600 } }
                cells.append((x: (x0 + x1) / 2, y0: y, y1: y1))
                y = y1 + 3
            }
        }
        for i in 0..<px.count { px[i] += Float(rng.unit() * 300 - 150) }
        image = Image(uncheckedWidth: w, height: height, pixels: px)
        image.pixelSize = 0.13
        self.cells = cells
    }
}

final class MotherMachineTests: XCTestCase {
    func segment(_ image: Image<Float>) throws -> SegmentationResult {
        var p = SegmentationParameters()
        p.method = .mothermachine
        return try Segmenter.segment(image, parameters: p, pixelSize: 0.13)
    }

    func testEveryDrawnCellIsFoundOnceInItsChamber() throws {
        for seed in [UInt64(1), 2, 3] {
            let movie = DrawnMotherMachine(chambers: 8, seed: seed)
            let result = try segment(movie.image)
            XCTAssertEqual(result.cells.count, movie.cells.count, "seed \(seed)")
            let labels = result.cells.labelImage()
            for cell in movie.cells {
                // the middle of each drawn cell carries one label, and that label stays inside the cell's rows ± 2
                let mid = labels[cell.x, (cell.y0 + cell.y1) / 2]
                XCTAssertNotEqual(mid, 0, "seed \(seed) cell at \(cell)")
                guard mid != 0 else { continue }
                let box = result.cells.boundingBox(Int(mid) - 1)
                XCTAssertGreaterThanOrEqual(box.minY, cell.y0 - 2)
                XCTAssertLessThanOrEqual(box.maxY, cell.y1 + 3)   // half-open
            }
        }
    }

    /// Horizontal chambers (the frame transposed) give the transposed cells.
    func testHorizontalChambersAreFoundThroughTheTranspose() throws {
        let movie = DrawnMotherMachine(chambers: 6, seed: 5)
        let vertical = try segment(movie.image)
        let horizontal = try segment(MotherMachine.transposed(movie.image))
        XCTAssertEqual(horizontal.cells.count, movie.cells.count)
        XCTAssertEqual(MotherMachine.transposed(horizontal.cells.labelImage()).pixels.map { $0 != 0 },
                       vertical.cells.labelImage().pixels.map { $0 != 0 })
        let firsts = (0..<horizontal.cells.count).map { horizontal.cells.runs(of: $0).first! }
        XCTAssertEqual(firsts, firsts.sorted { ($0.y, $0.x0) < ($1.y, $1.x0) })
    }

    func testLabelsAreInRasterOrderAndTheResultIsDeterministic() throws {
        let movie = DrawnMotherMachine(chambers: 5, seed: 9)
        let a = try segment(movie.image), b = try segment(movie.image)
        XCTAssertEqual(a.cells, b.cells)
        let firsts = (0..<a.cells.count).map { a.cells.runs(of: $0).first! }
        XCTAssertEqual(firsts, firsts.sorted { ($0.y, $0.x0) < ($1.y, $1.x0) })
    }

    func testFrameWithoutChambersFallsBackToTheColonyMethod() throws {
        var rng = SplitMix64(seed: 4)
        var px = [Float](repeating: 5000, count: 200 * 160)
        for i in 0..<px.count { px[i] += Float(rng.unit() * 100) }
        let image = Image(uncheckedWidth: 200, height: 160, pixels: px)
        XCTAssertNil(MotherMachine.findChambers(Preprocess.gaussian(image, sigma: 1), widthPixels: 7.7))
        var p = SegmentationParameters()
        p.method = .mothermachine
        let viaFallback = try Segmenter.segment(image, parameters: p, pixelSize: 0.13)
        p.method = .colony
        XCTAssertEqual(viaFallback.cells, try Segmenter.segment(image, parameters: p, pixelSize: 0.13).cells)
    }

    /// `--method auto`'s test for a chip (`showsChip`): a row of ten drawn chambers, along y or
    /// x, is one; three chambers are too few to tell from a colony; and no colony frame of the
    /// fixtures is one, not even the lit colony whose frame the lenient `findChambers` takes for
    /// five chambers at 10 px.
    func testAChipIsToldFromColonies() throws {
        let chip = DrawnMotherMachine(chambers: 10, seed: 2)
        XCTAssertTrue(MotherMachine.showsChip(.float(chip.image), widthPixels: 1 / 0.13))
        XCTAssertTrue(MotherMachine.showsChip(.float(MotherMachine.transposed(chip.image)), widthPixels: 1 / 0.13))
        XCTAssertFalse(MotherMachine.showsChip(.float(DrawnMotherMachine(chambers: 3, seed: 2).image), widthPixels: 1 / 0.13))
        let lit = try LocalReferenceTests.lit().image
        XCTAssertNotNil(MotherMachine.findChambers(Preprocess.gaussian(lit, sigma: 1), widthPixels: 10))
        let pieces = Fixture.float((try Fixture.load("colony_pieces") as! [String: Any])["image"])
        for (name, frame) in [("lit colony", lit), ("trpL crop", try ColonyTests.crop().image), ("colony in pieces", pieces)] {
            for width in [6.0, 10, 15] {
                XCTAssertFalse(MotherMachine.showsChip(.float(frame), widthPixels: width), "\(name) at \(width) px")
            }
        }
    }

    /// The block mean that makes the chip test cheap, against the plain mean of each block, for
    /// integer and Float frames and sizes that leave partial blocks.
    func testBlockMeanEqualsThePlainMeans() {
        var rng = SplitMix64(seed: 11)
        for (w, h, block) in [(37, 23, 2), (40, 40, 4), (101, 7, 3), (5, 5, 6), (64, 30, 1)] {
            let ints = Image<UInt16>(uncheckedWidth: w, height: h, pixels: (0..<(w * h)).map { _ in UInt16(rng.next() % 65536) })
            let floats = ints.asFloat
            for mean in [MotherMachine.blockMean(ints, block), MotherMachine.blockMean(floats, block)] {
                let bw = w / block, bh = h / block
                guard bw > 0, bh > 0 else { XCTAssertEqual(mean.pixels, floats.pixels); continue }
                XCTAssertEqual(mean.width, bw)
                XCTAssertEqual(mean.height, bh)
                for by in 0..<bh {
                    for bx in 0..<bw {
                        var sum = 0.0
                        for y in (by * block)..<((by + 1) * block) { for x in (bx * block)..<((bx + 1) * block) { sum += Double(ints.pixels[y * w + x]) } }
                        let expected = sum / Double(block * block)   // Float's rounding of it: 6e-8 relative
                        XCTAssertEqual(Double(mean.pixels[by * bw + bx]), expected, accuracy: 2e-7 * max(1, expected))
                    }
                }
            }
        }
    }

    func testBadParametersAreRejectedByName() {
        var p = SegmentationParameters()
        p.motherMachine.cellContrast = 1.5
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("motherMachine.cellContrast")) }
    }
}
