import XCTest
import Foundation

/// Runs the built `celltrack` binary as a user would.
final class CLISmokeTests: XCTestCase {
    func testVersionExitsZero() throws {
        let result = try CLI.run(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertFalse(result.stdout.isEmpty)
    }
}
