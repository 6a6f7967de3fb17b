import CellTrackCore
import XCTest
@testable import Segmentation

final class FrameQualityTests: XCTestCase {
    /// Integer frames take the integer paths (sum, Laplacian sums); the same frame as `Float`
    /// takes the `Double` loops. The figures must be equal bit for bit, on frames above and below
    /// the 4-MP sampling threshold, with odd widths and the full 16-bit range.
    func testIntegerFramesGiveTheFloatFiguresExactly() {
        var rng = SplitMix64(seed: 9)
        for (w, h) in [(3, 3), (5, 7), (37, 11), (2_049, 2_050)] {
            let sixteen = (0..<(w * h)).map { _ in UInt16(rng.next() % 65_536) }
            let eight = sixteen.map { UInt8($0 >> 8) }
            for (integer, float) in [(FrameQuality.measure(frame: .uint16(Image(uncheckedWidth: w, height: h, pixels: sixteen)),
                                                           foregroundPixels: 3),
                                      FrameQuality.measure(image: Image(uncheckedWidth: w, height: h, pixels: sixteen.map(Float.init)),
                                                           foregroundPixels: 3)),
                                     (FrameQuality.measure(frame: .uint8(Image(uncheckedWidth: w, height: h, pixels: eight)),
                                                           foregroundPixels: 3),
                                      FrameQuality.measure(image: Image(uncheckedWidth: w, height: h, pixels: eight.map(Float.init)),
                                                           foregroundPixels: 3))] {
                XCTAssertEqual(integer.meanIntensity.bitPattern, float.meanIntensity.bitPattern, "\(w)x\(h)")
                XCTAssertEqual(integer.focusMeasure.bitPattern, float.focusMeasure.bitPattern, "\(w)x\(h)")
                if w > 3 { XCTAssertGreaterThan(integer.focusMeasure, 0) }   // one Laplacian value has no variance
            }
        }
    }
}
