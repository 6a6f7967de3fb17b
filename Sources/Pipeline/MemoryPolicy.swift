#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for streaming many large frames.
public enum MemoryPolicy {
    /// Makes glibc serve every allocation of 1 MiB or more with its own mapping, returned to the
    /// system when freed. Why: by default glibc raises that threshold (up to 32 MiB) after the
    /// first large free, so frame-sized masks and scratch buffers (12–24 MB at 12 MP) then come
    /// from the heap arenas of each worker thread, which keep the freed pages: on a 12.3-MP movie
    /// this lowered the peak RSS of `run` from 462 to 366 MB at no cost in time. No effect on
    /// other C libraries.
    public static func returnLargeBuffersToTheSystem() {
        #if canImport(Glibc)
        // mallopt is not in Swift's Glibc module: look it up in the process (glibc only)
        typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MalloptFunction.self)
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
        #endif
    }
}
