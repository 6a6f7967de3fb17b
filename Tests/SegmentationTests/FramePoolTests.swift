import CellTrackCore
import XCTest
@testable import Segmentation

final class FramePoolTests: XCTestCase {
    func testTakeGivesBackKeptBuffersOfTheSameSizeWithinTheLimit() {
        let pool = FramePool(limit: 1, minimumCount: 4)
        var a = pool.take(count: 8)
        a.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] = Float(i) } }
        let address = a.withUnsafeBufferPointer { $0.baseAddress }
        pool.give(&a)
        XCTAssertTrue(a.isEmpty)
        var b = pool.take(count: 8)
        XCTAssertEqual(b.withUnsafeBufferPointer { $0.baseAddress }, address, "the kept buffer comes back")
        XCTAssertEqual(pool.take(count: 9).count, 9, "another size: a new buffer")
        var small = [Float](repeating: 1, count: 3)
        pool.give(&small)                       // below minimumCount: not kept
        var c = pool.take(count: 8)
        pool.give(&b)
        pool.give(&c)                           // over the limit: dropped
        XCTAssertEqual(pool.take(count: 3).count, 3)
    }

    /// A smoothed frame written into a reused buffer equals one written into a new buffer.
    func testReusedBufferDoesNotChangeTheSmoothedFrame() {
        var rng = SplitMix64(seed: 3)
        let w = 3000, h = 2800   // above the shared pool's minimum (8 Mi pixels)
        let a = Image(uncheckedWidth: w, height: h, pixels: (0..<(w * h)).map { _ in Float(rng.unit() * 1000) })
        let b = Image(uncheckedWidth: w, height: h, pixels: (0..<(w * h)).map { _ in Float(rng.unit() * 50) })
        var smoothA = Preprocess.gaussian(a, sigma: 1.5)
        FramePool.shared.give(&smoothA.pixels)           // holds A's smoothed values now
        let reused = Preprocess.gaussian(b, sigma: 1.5)   // written over them
        let fresh = Preprocess.gaussian(b, sigma: 1.5)    // the pool is empty again: a new buffer
        XCTAssertEqual(reused.pixels.map(\.bitPattern), fresh.pixels.map(\.bitPattern))
    }
}
