import XCTest
import Foundation
@testable import CellTrackCore

final class WorkSharingTests: XCTestCase {
    /// Alone, `forEach` runs every item once, in index order, on the calling thread.
    func testAloneRunsEveryItemInOrder() {
        let sharing = WorkSharing(participants: 1)
        var seen: [Int] = []
        sharing.forEach(17) { seen.append($0) }
        sharing.forEach(0) { _ in XCTFail("no items") }
        sharing.forEach(1) { seen.append(100 + $0) }
        sharing.help()
        XCTAssertEqual(seen, Array(0..<17) + [100])
    }

    /// Several participants post jobs of seeded sizes (some nested) while others only help:
    /// every item of every job runs exactly once, each job returns only when its items are done,
    /// and every participant's `help` returns.
    func testParticipantsAndHelpersRunEveryItemExactlyOnce() {
        for (posters, helpers) in [(1, 1), (2, 1), (3, 2), (2, 0)] {
            let sharing = WorkSharing(participants: posters + helpers)
            let group = DispatchGroup()
            let failures = Failures()
            for poster in 0..<posters {
                group.enter()
                Thread {
                    defer { group.leave() }
                    var rng = SplitMix64(seed: UInt64(11 + poster))
                    for _ in 0..<40 {
                        let count = Int(rng.next() % 30)
                        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
                        counts.initialize(repeating: 0)
                        let inner = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1) * 3)
                        inner.initialize(repeating: 0)
                        sharing.forEach(count) { i in
                            counts[i] += 1
                            if i % 5 == 0 { sharing.forEach(3) { j in inner[i * 3 + j] += 1 } }
                            if i % 7 == 0 { usleep(50) }   // uneven items
                        }
                        // every item finished before forEach returned
                        if counts.prefix(count).contains(where: { $0 != 1 }) { failures.add("poster \(poster): an item ran \(counts.prefix(count).map { $0 })") }
                        for i in stride(from: 0, to: count, by: 5) where inner[(i * 3)..<(i * 3 + 3)].contains(where: { $0 != 1 }) {
                            failures.add("poster \(poster): nested items of \(i)")
                        }
                        counts.deallocate(); inner.deallocate()
                    }
                    sharing.help()
                }.start()
            }
            for _ in 0..<helpers {
                group.enter()
                Thread { defer { group.leave() }; sharing.help() }.start()
            }
            XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "posters \(posters), helpers \(helpers): all returned")
            XCTAssertEqual(failures.all, [], "posters \(posters), helpers \(helpers)")
        }
    }

    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
    }
}
