import XCTest
@testable import Pipeline

final class ContentHashTests: XCTestCase {
    func testChunkingDoesNotChangeTheDigest() {
        var rng: UInt64 = 12345
        let bytes = (0..<2_501).map { _ -> UInt8 in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: rng >> 33)
        }
        var whole = ContentHasher()
        whole.update(Data(bytes))
        for split in [1, 3, 7, 8, 9, 63, 64, 65, 500, 1000, 1024, 1025, 2500] {
            var parts = ContentHasher()
            parts.update(Data(bytes[0..<split]))
            parts.update(Data(bytes[split...]))
            XCTAssertEqual(parts.digest, whole.digest, "split at \(split)")
        }
        // many small pieces that straddle the 64-byte stripes and the 1-KiB blocks
        for piece in [1, 5, 31, 33, 63, 65, 1000] {
            var parts = ContentHasher()
            var start = 0
            while start < bytes.count {
                parts.update(Data(bytes[start..<min(start + piece, bytes.count)]))
                start += piece
            }
            XCTAssertEqual(parts.digest, whole.digest, "pieces of \(piece)")
        }
    }

    func testChangingAnyByteOrSwappingWordsChangesTheDigest() {
        let base = Data((0..<96).map { UInt8($0) })
        var reference = ContentHasher(); reference.update(base)
        for k in 0..<base.count {
            var changed = base; changed[k] ^= 0x10
            var h = ContentHasher(); h.update(changed)
            XCTAssertNotEqual(h.digest, reference.digest, "byte \(k)")
        }
        // words in different lanes of one block, and the same lane of two blocks
        for (i, j) in [(0, 1), (0, 3), (0, 4)] {
            var swapped = base
            for b in 0..<8 { swapped.swapAt(8 * i + b, 8 * j + b) }
            var h = ContentHasher(); h.update(swapped)
            XCTAssertNotEqual(h.digest, reference.digest, "words \(i) and \(j)")
        }
    }

    func testTheOrderOfStripesAndBlocksChangesTheDigest() {
        var rng: UInt64 = 99
        let base = Data((0..<4096).map { _ -> UInt8 in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: rng >> 33)
        })
        var reference = ContentHasher(); reference.update(base)
        // two stripes of one block, two blocks, and the same lane of two stripes
        for (a, b, size) in [(0, 64, 64), (0, 1024, 1024), (1024, 3072, 1024), (8, 72, 8)] {
            var swapped = base
            for i in 0..<size { swapped.swapAt(a + i, b + i) }
            var h = ContentHasher(); h.update(swapped)
            XCTAssertNotEqual(h.digest, reference.digest, "\(size) bytes at \(a) and \(b)")
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
