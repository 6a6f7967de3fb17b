import CellTrackCore
import Foundation

/// Runs `produce` for indices `range` on `workers` threads and hands the results to `consume`
/// strictly in index order on the calling thread.
///
/// At most `window` results are in flight (produced or being produced, not yet consumed), so
/// memory is bounded by `window` frames whatever the length of the movie. The result does not
/// depend on the number of workers: `consume` sees the same sequence either way.
///
/// ```swift
/// var out: [Int] = []
/// try OrderedParallel.run(range: 0..<100, workers: 2, window: 4,
///                         produce: { i, _ in i * i }, consume: { _, v in out.append(v) })
/// ```
///
/// `produce` receives the index and the worker number (0..<workers), so each worker can keep
/// its own non-thread-safe resources (a TIFF handle, scratch buffers).
/// The first error thrown, in index order, stops the run and is rethrown after all workers
/// have finished; nothing after the failing index is consumed.
public enum OrderedParallel {
    public static func run<T>(range: Range<Int>, workers: Int, window: Int,
                              produce: @escaping @Sendable (_ index: Int, _ worker: Int) throws -> T,
                              consume: (_ index: Int, _ value: T) throws -> Void) throws {
        try run(range: range, workers: workers, window: window,
                produce: { index, worker, _ in try produce(index, worker) }, consume: consume)
    }

    /// `run`, where `produce` also receives the run's `WorkSharing`: a worker that has no index
    /// left helps the others' `sharing.forEach` loops (the last frames of a movie, or a single
    /// frame) instead of leaving its core idle.
    public static func run<T>(range: Range<Int>, workers: Int, window: Int,
                              produce: @escaping @Sendable (_ index: Int, _ worker: Int, _ sharing: WorkSharing) throws -> T,
                              consume: (_ index: Int, _ value: T) throws -> Void) throws {
        precondition(workers >= 1 && window >= 1)
        if range.isEmpty { return }
        let state = SharedState<T>(next: range.lowerBound)
        let workerCount = min(workers, range.count)
        // Every thread takes part: fewer indices than workers (a single frame, a short movie)
        // leave the rest free to help from the start.
        let sharing = WorkSharing(participants: workers)
        let group = DispatchGroup()
        for _ in workerCount..<workers {
            group.enter()
            let helper = Thread {
                defer { group.leave() }
                sharing.help()
            }
            helper.stackSize = 8 << 20
            helper.start()
        }
        for worker in 0..<workerCount {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                defer { sharing.help() }
                while true {
                    state.condition.lock()
                    // Wait for room in the window (bounded memory) or for the run to stop.
                    while !state.stopped && state.next < range.upperBound
                            && state.next - state.consumed >= window {
                        state.condition.wait()
                    }
                    if state.stopped || state.next >= range.upperBound {
                        state.condition.unlock()
                        return
                    }
                    let index = state.next
                    state.next += 1
                    state.condition.unlock()

                    let outcome: Result<T, Error>
                    do { outcome = .success(try produce(index, worker, sharing)) } catch { outcome = .failure(error) }

                    state.condition.lock()
                    state.results[index] = outcome
                    state.condition.broadcast()
                    state.condition.unlock()
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        state.condition.lock()
        state.consumed = range.lowerBound
        state.condition.unlock()

        var failure: Error?
        for index in range {
            state.condition.lock()
            while state.results[index] == nil { state.condition.wait() }
            let outcome = state.results.removeValue(forKey: index)!
            state.condition.unlock()
            do {
                switch outcome {
                case .success(let value): try consume(index, value)
                case .failure(let error): throw error
                }
            } catch {
                failure = error
                break
            }
            state.condition.lock()
            state.consumed = index + 1
            state.condition.broadcast()
            state.condition.unlock()
        }
        state.condition.lock()
        state.stopped = true
        state.results.removeAll()
        state.condition.broadcast()
        state.condition.unlock()
        group.wait()
        if let failure { throw failure }
    }

    private final class SharedState<T>: @unchecked Sendable {
        let condition = NSCondition()
        var next: Int
        var consumed: Int
        var stopped = false
        var results: [Int: Result<T, Error>] = [:]
        init(next: Int) {
            self.next = next
            self.consumed = next
        }
    }
}
