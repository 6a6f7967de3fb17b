import XCTest
@testable import Pipeline

final class PipelineSmokeTests: XCTestCase {
    func testModuleLoads() {
        XCTAssertFalse(String(describing: PipelineModule.self).isEmpty)
    }
}
