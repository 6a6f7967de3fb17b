import XCTest
@testable import Pipeline

final class ContentHashTests: XCTestCase {
    func testChunkingDoesNotChangeTheDigest() {
        var rng: UInt64 = 12345
        let bytes = (0..<1001).map { _ -> UInt8 in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: rng >> 33)
        }
        var whole = ContentHasher()
        whole.update(Data(bytes))
        for split in [1, 3, 7, 8, 9, 500, 1000] {
            var parts = ContentHasher()
            parts.update(Data(bytes[0..<split]))
            parts.update(Data(bytes[split...]))
            XCTAssertEqual(parts.digest, whole.digest, "split at \(split)")
        }
    }

    func testOneChangedByteOrLengthChangesTheDigest() {
        let base = Data(repeating: 7, count: 64)
        var a = ContentHasher(); a.update(base)
        var changed = base; changed[40] = 8
        var b = ContentHasher(); b.update(changed)
        var longer = ContentHasher(); longer.update(base + Data([0]))
        XCTAssertNotEqual(a.digest, b.digest)
        XCTAssertNotEqual(a.digest, longer.digest)
        XCTAssertEqual(a.hexDigest.count, 16)
    }
}
