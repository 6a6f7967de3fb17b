#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Allocation of large scratch buffers for kernels with scattered access (priority floods,
/// reconstruction queues). Buffers of 4 MiB and more are aligned on 2 MiB and, on Linux,
/// advised to use transparent huge pages: a flood over a 12-MP frame touches its buffers at
/// random, and with 4 KiB pages most of those touches miss the TLB (and each first touch
/// faults separately). Smaller buffers are ordinary allocations. Free with `release`.
@usableFromInline
enum LargeBuffer {
    @usableFromInline static let hugePage = 2 << 20

    @usableFromInline
    static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(count, 1) * MemoryLayout<T>.stride
        guard bytes >= 4 << 20 else { return .allocate(capacity: max(count, 1)) }
        var raw: UnsafeMutableRawPointer? = nil
        let rounded = (bytes + hugePage - 1) / hugePage * hugePage
        guard posix_memalign(&raw, hugePage, rounded) == 0, let raw else {
            return .allocate(capacity: max(count, 1))
        }
        #if os(Linux)
        _ = madvise(raw, rounded, 14)   // MADV_HUGEPAGE
        #endif
        return raw.bindMemory(to: T.self, capacity: count)
    }

    /// Frees a buffer from `allocate` (both paths end in `free`).
    @usableFromInline
    static func release<T>(_ pointer: UnsafeMutablePointer<T>) {
        free(UnsafeMutableRawPointer(pointer))
    }
}
