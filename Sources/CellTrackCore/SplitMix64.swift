/// SplitMix64: a small, fast, seeded generator, reproducible on every platform. Every random
/// choice in celltrack (synthetic data, benchmarks, tests) uses a seeded generator like this one,
/// never the system's, so results repeat exactly.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let x = rng.nextDouble()          // uniform in [0, 1)
/// let k = Int.random(in: 0..<10, using: &rng)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    @inlinable
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
}
