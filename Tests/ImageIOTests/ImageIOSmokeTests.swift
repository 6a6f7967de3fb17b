import XCTest
@testable import ImageIO

final class ImageIOSmokeTests: XCTestCase {
    func testModuleLoads() {
        XCTAssertFalse(String(describing: ImageIOModule.self).isEmpty)
    }
}
