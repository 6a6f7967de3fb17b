import XCTest
@testable import Synth

final class SynthSmokeTests: XCTestCase {
    func testModuleLoads() {
        XCTAssertFalse(String(describing: SynthModule.self).isEmpty)
    }
}
