import XCTest
@testable import CellTrackCore

final class ImageTests: XCTestCase {
    func testInitRejectsWrongPixelCount() {
        XCTAssertThrowsError(try Image<UInt8>(width: 3, height: 2, pixels: [1, 2, 3]))
    }

    func testSubscriptIsRowMajor() throws {
        var img = try Image<UInt16>(width: 3, height: 2, pixels: [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(img[2, 1], 5)
        img[0, 1] = 9
        XCTAssertEqual(img.pixels, [0, 1, 2, 9, 4, 5])
    }

    func testValueSemantics() {
        let a = Image<UInt8>(width: 2, height: 2, repeating: 1)
        var b = a
        b[0, 0] = 7
        XCTAssertEqual(a[0, 0], 1)
        XCTAssertEqual(b[0, 0], 7)
    }

    func testInputErrorNamesFileFrameAndProblem() {
        let e = InputError(file: "a.tif", frame: 3, problem: "truncated strip")
        XCTAssertEqual(e.description, "a.tif: frame 3: truncated strip")
    }
}
