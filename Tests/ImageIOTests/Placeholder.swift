import XCTest
@testable import ImageIO

final class TIFFTypesTests: XCTestCase {
    func testPixelTypesDescribeThemselves() {
        XCTAssertEqual(UInt16.tiffBitsPerSample, 16)
        XCTAssertEqual(Float.tiffSampleFormat, .ieeeFloat)
        XCTAssertEqual(UInt32.tiffSampleFormat, .unsignedInteger)
    }
}
