import XCTest
@testable import Lineage

final class LineageSmokeTests: XCTestCase {
    func testModuleLoads() {
        XCTAssertFalse(String(describing: LineageModule.self).isEmpty)
    }
}
