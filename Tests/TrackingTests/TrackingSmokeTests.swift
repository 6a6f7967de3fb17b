import XCTest
@testable import Tracking

final class TrackingSmokeTests: XCTestCase {
    func testModuleLoads() {
        XCTAssertFalse(String(describing: TrackingModule.self).isEmpty)
    }
}
