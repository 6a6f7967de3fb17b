import XCTest
@testable import Segmentation

final class SegmentationSmokeTests: XCTestCase {
    func testModuleLoads() {
        XCTAssertFalse(String(describing: SegmentationModule.self).isEmpty)
    }
}
