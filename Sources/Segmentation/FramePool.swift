#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frame-sized `Float` buffers handed from one frame to the next.
///
/// Why: the smoothed frame is the one buffer of a 12-MP frame above glibc's largest heap block
/// (32 MiB, see `MemoryPolicy`), so it was mapped, page-faulted and zeroed anew for every frame:
/// 5 % of `run`'s CPU. A worker gives its smoothed frame back when it is done with it and takes
/// it again for the next frame. Contents are always overwritten, so results never depend on the
/// pool. At most `limit` buffers are kept (one per worker in practice); smaller buffers are not
/// kept (the heap reuses them already).
///
/// ```swift
/// var pixels = FramePool.shared.take(count: w * h)   // every element will be written
/// ...
/// FramePool.shared.give(&pixels)                        // pixels is empty afterwards
/// ```
final class FramePool: @unchecked Sendable {
    static let shared = FramePool(limit: 4, minimumCount: 8 << 20)

    private let limit: Int
    private let minimumCount: Int
    private var buffers: [[Float]] = []
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init(limit: Int, minimumCount: Int) {
        self.limit = limit
        self.minimumCount = minimumCount
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// An array of `count` floats of unspecified value: a kept one of that size, else new.
    func take(count: Int) -> [Float] {
        if count >= minimumCount {
            pthread_mutex_lock(mutex)
            let k = buffers.firstIndex { $0.count == count }
            let kept = k.map { buffers.remove(at: $0) }
            pthread_mutex_unlock(mutex)
            if let kept { return kept }
        }
        return [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Frees every kept buffer.
    func drain() {
        pthread_mutex_lock(mutex)
        let kept = buffers
        buffers = []
        pthread_mutex_unlock(mutex)
        _ = consume kept   // freed outside the lock
    }

    /// Keeps `pixels` for a later `take` (when large and there is room) and empties it.
    func give(_ pixels: inout [Float]) {
        var taken: [Float] = []
        swap(&taken, &pixels)
        guard taken.count >= minimumCount else { return }
        pthread_mutex_lock(mutex)
        if buffers.count < limit { buffers.append(taken); taken = [] }
        pthread_mutex_unlock(mutex)
    }
}
