import XCTest
@testable import CellTrackCore

final class MaskRLETests: XCTestCase {
    /// SplitMix64 for seeded random label images.
    private struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Obviously correct reference: the list of (x, y) pixels of `label` inside the box.
    private func referencePixels(_ image: LabelImage, _ label: UInt32, _ box: MaskRLE.BoundingBox) -> [Int] {
        var out: [Int] = []
        for y in box.minY..<box.maxY { for x in box.minX..<box.maxX where image[x, y] == label { out.append(y * image.width + x) } }
        return out
    }

    func testRoundTripOnSeededRandomLabelImages() throws {
        var rng = Rng(state: 42)
        for trial in 0..<60 {
            let w = 1 + rng.below(40), h = 1 + rng.below(40)
            var image = LabelImage(width: w, height: h, repeating: 0)
            // Random blobs and salt, so runs of every length (including > 127, two-byte varints) occur.
            for i in image.pixels.indices { image.pixels[i] = UInt32(rng.below(trial % 3 == 0 ? 2 : 5)) }
            for label in UInt32(1)...4 {
                let x0 = rng.below(w), y0 = rng.below(h)
                let box = MaskRLE.BoundingBox(minX: x0, minY: y0, maxX: x0 + 1 + rng.below(w - x0), maxY: y0 + 1 + rng.below(h - y0))
                let rle = MaskRLE.encode(labels: image, label: label, bbox: box)
                let expected = referencePixels(image, label, box)
                var canvas = LabelImage(width: w, height: h, repeating: 0)
                try MaskRLE.paint(rle, label: label, bbox: box, into: &canvas)
                XCTAssertEqual(canvas.pixels.indices.filter { canvas.pixels[$0] == label }, expected, "trial \(trial) label \(label)")
                XCTAssertEqual(try MaskRLE.foregroundCount(rle), expected.count)
                let mask = try MaskRLE.decodeMask(rle, width: box.width, height: box.height)
                XCTAssertEqual(mask.pixels.reduce(0) { $0 + Int($1) }, expected.count)
            }
        }
    }

    func testKnownEncodingsAndLongRuns() throws {
        var image = LabelImage(width: 300, height: 2, repeating: 0)
        for x in 10..<210 { image[x, 0] = 3 }      // a run of 200 → two-byte varint
        image[299, 1] = 3
        let box = MaskRLE.BoundingBox(minX: 0, minY: 0, maxX: 300, maxY: 2)
        let rle = MaskRLE.encode(labels: image, label: 3, bbox: box)
        // background 10, foreground 200 (0xC8 0x01), background 389 (0x85 0x03), foreground 1
        XCTAssertEqual(rle, [10, 0xC8, 0x01, 0x85, 0x03, 1])
        // A full box starts with an empty background run; a trailing background run is omitted.
        let full = LabelImage(width: 2, height: 2, repeating: 1)
        XCTAssertEqual(MaskRLE.encode(labels: full, label: 1, bbox: .init(minX: 0, minY: 0, maxX: 2, maxY: 2)), [0, 4])
        XCTAssertEqual(MaskRLE.encode(labels: full, label: 9, bbox: .init(minX: 0, minY: 0, maxX: 2, maxY: 2)), [])
    }

    func testCorruptEncodingsAreRejected() {
        var canvas = LabelImage(width: 4, height: 4, repeating: 0)
        let box = MaskRLE.BoundingBox(minX: 0, minY: 0, maxX: 2, maxY: 2)
        XCTAssertThrowsError(try MaskRLE.paint([0, 5], label: 1, bbox: box, into: &canvas)) { error in
            XCTAssertEqual(error as? MaskRLE.DecodeError, .runsExceedBox(total: 5, boxArea: 4))
        }
        XCTAssertThrowsError(try MaskRLE.paint([0x80], label: 1, bbox: box, into: &canvas))
        XCTAssertThrowsError(try MaskRLE.paint([0, 1], label: 1, bbox: .init(minX: 3, minY: 3, maxX: 5, maxY: 4), into: &canvas))
        XCTAssertEqual(canvas.pixels, Array(repeating: 0, count: 16), "nothing painted on error")
    }
}
