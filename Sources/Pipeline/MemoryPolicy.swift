#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for streaming many large frames.
public enum MemoryPolicy {
    /// Tunes glibc's allocator so that the buffers of one frame are reused by the next instead of
    /// being mapped, page-faulted, zeroed and unmapped again for every frame:
    /// - one arena for all threads: with one per worker, each keeps its own freed frame buffers
    ///   and the peak RSS grows with the worker count (462 MB instead of 366 MB at 12.3 MP);
    /// - blocks up to 32 MiB (masks, 16-bit decode buffers, crops: 12–24 MB at 12.3 MP) come from
    ///   that heap, which is not trimmed (up to 1 GiB free at its top is kept for the next frame);
    /// - larger blocks (the frame's `Float` and label images, 49 MB at 12.3 MP) keep their own
    ///   mapping, returned when freed, so the heap never holds two frames' worth of them.
    /// Why: on 8 frames of 12.3 MP, page faults and zeroing were a third of `segment`'s CPU time;
    /// with these settings `segment` takes 2.0 s instead of 3.0 s and `run` 1.9 s instead of
    /// 2.8 s, at 260–275 MB peak RSS for `run` (was 245–257 MB).
    /// The fixed threshold also stops glibc from raising it by itself after the first large free.
    /// No effect on other C libraries.
    /// `CELLTRACK_MALLOC=system` in the environment leaves glibc's defaults alone.
    public static func reuseFrameBuffers() {
        #if canImport(Glibc)
        if let choice = getenv("CELLTRACK_MALLOC"), String(cString: choice) == "system" { return }
        // mallopt is not in Swift's Glibc module: look it up in the process (glibc only)
        typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MalloptFunction.self)
        _ = mallopt(-8 /* M_ARENA_MAX */, 1)
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 32 << 20)
        _ = mallopt(-1 /* M_TRIM_THRESHOLD */, 1 << 30)
        #endif
    }
}
