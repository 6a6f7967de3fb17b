import Foundation

/// A small, fast, seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random draw in `Synth` goes through this type so that the same seed gives the same
/// movie on every platform and run: no `SystemRandomNumberGenerator`, no Foundation randomness.
/// Independent streams (simulation, per-frame noise, debris…) are derived with
/// `SynthRandom(seed:stream:)`, so the draws of one component never shift another's.
///
/// ```swift
/// var rng = SynthRandom(seed: 42)
/// let u = rng.uniform()          // [0, 1)
/// let z = rng.normal()           // N(0, 1)
/// let k = rng.poisson(12.5)      // Poisson(12.5)
/// ```
public struct SynthRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64
    @usableFromInline var spareNormal: Double?

    /// SplitMix64 step: used to expand a 64-bit seed into the 256-bit xoshiro state.
    @inlinable
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public init(seed: UInt64) {
        var state = seed
        s0 = Self.splitMix(&state)
        s1 = Self.splitMix(&state)
        s2 = Self.splitMix(&state)
        s3 = Self.splitMix(&state)
        spareNormal = nil
    }

    /// A generator for one named component (`stream`) and optional index (e.g. a frame), all
    /// derived from the movie seed.
    public init(seed: UInt64, stream: UInt64, index: UInt64 = 0) {
        var state = seed
        var mixed = Self.splitMix(&state) ^ (stream &* 0xD6E8_FEB8_6659_FD93)
        mixed = Self.splitMix(&mixed) ^ (index &* 0xA076_1D64_78BD_642F)
        self.init(seed: Self.splitMix(&mixed))
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    @inlinable
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// Standard normal deviate (Marsaglia's polar method: no trigonometry; the second value
    /// of each pair is cached).
    @inlinable
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * log(s) / s).squareRoot()
                spareNormal = v * factor
                return u * factor
            }
        }
    }

    /// Normal deviate with the given mean and standard deviation.
    @inlinable
    public mutating func normal(mean: Double, sd: Double) -> Double {
        mean + sd * normal()
    }

    /// Poisson deviate. Exact (Knuth's product method) for `lambda < 30`; above, the normal
    /// approximation `round(λ + √λ·z)` clamped at 0, whose error is far below the read noise
    /// it is always combined with.
    @inlinable
    public mutating func poisson(_ lambda: Double) -> Double {
        if lambda <= 0 { return 0 }
        if lambda < 30 {
            let limit = exp(-lambda)
            var product = uniform()
            var count = 0.0
            while product > limit {
                product *= uniform()
                count += 1
            }
            return count
        }
        return max(0, (lambda + lambda.squareRoot() * normal()).rounded())
    }
}
