#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libm functions under one name on Linux and Apple platforms.
@usableFromInline
enum MathShim {
    @usableFromInline static func exp(_ x: Double) -> Double {
        #if canImport(Glibc)
        Glibc.exp(x)
        #else
        Darwin.exp(x)
        #endif
    }
    @usableFromInline static func log(_ x: Double) -> Double {
        #if canImport(Glibc)
        Glibc.log(x)
        #else
        Darwin.log(x)
        #endif
    }
    @usableFromInline static func atan2(_ y: Double, _ x: Double) -> Double {
        #if canImport(Glibc)
        Glibc.atan2(y, x)
        #else
        Darwin.atan2(y, x)
        #endif
    }
    @usableFromInline static func cos(_ x: Double) -> Double {
        #if canImport(Glibc)
        Glibc.cos(x)
        #else
        Darwin.cos(x)
        #endif
    }
    @usableFromInline static func sin(_ x: Double) -> Double {
        #if canImport(Glibc)
        Glibc.sin(x)
        #else
        Darwin.sin(x)
        #endif
    }
    /// CPU time of the calling thread in seconds (robust to other processes' load).
    @usableFromInline static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
