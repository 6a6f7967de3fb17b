import XCTest
import Foundation
@testable import Pipeline

final class OrderedParallelTests: XCTestCase {
    func testConsumesInOrderWhateverTheWorkerCount() throws {
        for workers in [1, 2, 3, 8] {
            var seen: [Int] = []
            try OrderedParallel.run(range: 5..<60, workers: workers, window: 3,
                                    produce: { index, _ in
                                        // Uneven work so later indices often finish first.
                                        if index % 7 == 0 { usleep(2000) }
                                        return index * 10
                                    },
                                    consume: { index, value in
                                        XCTAssertEqual(value, index * 10)
                                        seen.append(index)
                                    })
            XCTAssertEqual(seen, Array(5..<60), "workers=\(workers)")
        }
    }

    func testWindowBoundsTheResultsInFlight() throws {
        let inFlight = Counter()
        try OrderedParallel.run(range: 0..<40, workers: 4, window: 3,
                                produce: { _, _ in inFlight.increment() },
                                consume: { _, _ in
                                    usleep(500)
                                    inFlight.decrement()
                                })
        XCTAssertLessThanOrEqual(inFlight.maximum, 3)
        XCTAssertEqual(inFlight.value, 0)
    }

    /// Workers without an index of their own (here more workers than indices) help the others'
    /// `sharing.forEach` loops; the results are those of the serial loop.
    func testIdleWorkersHelpWithSharedLoops() throws {
        for (count, workers) in [(1, 3), (2, 2), (5, 3)] {
            var sums: [Int] = []
            try OrderedParallel.run(range: 0..<count, workers: workers, window: workers + 1,
                                    produce: { index, _, sharing in
                                        var parts = [Int](repeating: 0, count: 64)
                                        parts.withUnsafeMutableBufferPointer { p in
                                            sharing.forEach(64) { i in p[i] = (index + 1) * i * i }
                                        }
                                        return parts.reduce(0, +)
                                    },
                                    consume: { _, value in sums.append(value) })
            let squares = (0..<64).reduce(0) { $0 + $1 * $1 }
            XCTAssertEqual(sums, (0..<count).map { ($0 + 1) * squares }, "count \(count), workers \(workers)")
        }
    }

    struct Boom: Error, Equatable { let index: Int }

    func testFirstErrorInIndexOrderStopsTheRun() {
        var consumed: [Int] = []
        XCTAssertThrowsError(try OrderedParallel.run(
            range: 0..<100, workers: 2, window: 4,
            produce: { index, _ in
                if index == 9 || index == 11 { throw Boom(index: index) }
                return index
            },
            consume: { index, _ in consumed.append(index) })) { error in
                XCTAssertEqual(error as? Boom, Boom(index: 9))
            }
        XCTAssertEqual(consumed, Array(0..<9))
    }

    func testConsumerErrorStopsTheRun() {
        var consumed: [Int] = []
        XCTAssertThrowsError(try OrderedParallel.run(
            range: 0..<50, workers: 2, window: 2,
            produce: { index, _ in index },
            consume: { index, _ in
                if index == 4 { throw Boom(index: 4) }
                consumed.append(index)
            }))
        XCTAssertEqual(consumed, [0, 1, 2, 3])
    }

    func testEmptyRangeDoesNothing() throws {
        try OrderedParallel.run(range: 3..<3, workers: 2, window: 2,
                                produce: { _, _ in XCTFail("no work expected") },
                                consume: { _, _ in XCTFail("nothing to consume") })
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value = 0
    private(set) var maximum = 0
    func increment() {
        lock.lock(); value += 1; maximum = max(maximum, value); lock.unlock()
    }
    func decrement() {
        lock.lock(); value -= 1; lock.unlock()
    }
}
