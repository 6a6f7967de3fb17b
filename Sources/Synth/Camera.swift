import CellTrackCore
import Foundation

/// The camera: shot noise, read noise, hot pixels and quantisation of an expected image.
///
/// Shot noise is Poisson in photons, with `photonsAtBackground` photons at the background
/// level (drawn exactly below 30 photons, as its normal approximation above); read noise is
/// Gaussian. `noise` scales both (0 = the rounded expected image).
/// Each frame and channel draws from its own stream, so frames can be produced in any order.
///
/// ```swift
/// let camera = Camera(parameters: p)
/// let grey: Image<UInt16> = camera.expose(rendered.expected, frame: 0)
/// ```
public struct Camera: Sendable {
    public let parameters: SynthParameters

    /// Relative channel gains of the RGB output (a white-light phase image on a colour sensor
    /// is nearly grey; blue is weakest).
    public static let rgbGains: [Double] = [0.94, 1.0, 0.86]

    public init(parameters: SynthParameters) {
        self.parameters = parameters
    }

    /// One exposure of `expected` (counts) with the given gain, as counts in 0...maxCount
    /// (`UInt16` holds both bit depths; 8-bit values stay ≤ 255).
    public func expose(_ expected: Image<Float>, frame: Int, channel: Int = 0, gain: Double = 1) -> Image<UInt16> {
        let p = parameters
        var rng = SynthRandom(seed: p.seed, stream: 10 + UInt64(channel), index: UInt64(frame))
        let n = expected.count
        let photonsPerCount = p.photonsAtBackground / p.backgroundLevel
        let readSigma = p.readNoise * p.backgroundLevel
        let scale = p.noise
        let maxCount = p.maxCount
        var out = [UInt16](repeating: 0, count: n)
        expected.withUnsafeBufferPointer { e in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    let mean = max(0, Double(e[i]) * gain)
                    var value = mean
                    if scale > 0 {
                        let photons = mean * photonsPerCount
                        if photons >= 30 {
                            // Poisson ≈ normal here; shot and read noise then add as one normal.
                            let variance = mean / photonsPerCount + readSigma * readSigma
                            value = mean + scale * variance.squareRoot() * rng.normal()
                        } else {
                            let shot = rng.poisson(photons) / photonsPerCount - mean
                            value = mean + scale * (shot + readSigma * rng.normal())
                        }
                    }
                    // Clamp, then round half up (values are non-negative).
                    o[i] = UInt16(min(max(value, 0), maxCount) + 0.5)
                }
                // Hot pixels: a Poisson number of them at random places, near saturation.
                if p.hotPixelFraction > 0 && scale > 0 {
                    let count = Int(rng.poisson(p.hotPixelFraction * Double(n)))
                    for _ in 0..<count {
                        let i = Int(rng.next() % UInt64(n))
                        o[i] = UInt16(maxCount * rng.uniform(0.6, 1) + 0.5)
                    }
                }
            }
        }
        return Image(uncheckedWidth: expected.width, height: expected.height, pixels: out,
                     pixelSize: expected.pixelSize)
    }
}
