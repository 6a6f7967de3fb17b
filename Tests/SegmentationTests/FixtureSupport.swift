import CellTrackCore
import Foundation
import XCTest

/// Reads the JSON fixtures written by scripts/make_seg_fixtures.py.
enum Fixture {
    static func load(_ name: String) throws -> Any {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw NSError(domain: "fixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "missing fixture \(name)"])
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    /// Pixels as Double, whatever the stored type.
    static func raw(_ obj: Any?) -> (width: Int, height: Int, values: [Double]) {
        let d = obj as! [String: Any]
        let w = d["width"] as! Int, h = d["height"] as! Int
        let bytes = [UInt8](Data(base64Encoded: d["b64"] as! String)!)
        let n = w * h
        var out = [Double](repeating: 0, count: n)
        func le<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            var v: T = 0
            for b in 0..<MemoryLayout<T>.size { v |= T(truncatingIfNeeded: bytes[i * MemoryLayout<T>.size + b]) << (8 * b) }
            return v
        }
        switch d["dtype"] as! String {
        case "u1": for i in 0..<n { out[i] = Double(bytes[i]) }
        case "u2": for i in 0..<n { out[i] = Double(le(i, UInt16.self)) }
        case "i4": for i in 0..<n { out[i] = Double(le(i, Int32.self)) }
        case "f4": for i in 0..<n { out[i] = Double(Float(bitPattern: le(i, UInt32.self))) }
        case "f8": for i in 0..<n { out[i] = Double(bitPattern: le(i, UInt64.self)) }
        default: fatalError("unknown dtype")
        }
        return (w, h, out)
    }

    static func float(_ obj: Any?) -> Image<Float> {
        let r = raw(obj)
        return Image(uncheckedWidth: r.width, height: r.height, pixels: r.values.map { Float($0) })
    }
    static func double(_ obj: Any?) -> Image<Double> {
        let r = raw(obj)
        return Image(uncheckedWidth: r.width, height: r.height, pixels: r.values)
    }
    static func mask(_ obj: Any?) -> Mask {
        let r = raw(obj)
        return Mask(uncheckedWidth: r.width, height: r.height, pixels: r.values.map { $0 != 0 ? 1 : 0 })
    }
    static func labels(_ obj: Any?) -> LabelImage {
        let r = raw(obj)
        return LabelImage(uncheckedWidth: r.width, height: r.height, pixels: r.values.map { UInt32($0) })
    }
}

/// SplitMix64: small seeded generator for reproducible random test inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

func randomMask(width: Int, height: Int, density: Double, rng: inout SplitMix64) -> Mask {
    var m = Mask(width: width, height: height, repeating: 0)
    for i in 0..<m.count where rng.unit() < density { m.pixels[i] = 1 }
    return m
}

/// Overlapping disks: a blob-like mask.
func blobMask(width: Int, height: Int, count: Int, rmin: Double, rmax: Double, rng: inout SplitMix64) -> Mask {
    var m = Mask(width: width, height: height, repeating: 0)
    for _ in 0..<count {
        let cx = rng.unit() * Double(width), cy = rng.unit() * Double(height)
        let r = rmin + rng.unit() * (rmax - rmin)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - cx, dy = Double(y) - cy
                if dx * dx + dy * dy <= r * r { m.pixels[y * width + x] = 1 }
            }
        }
    }
    return m
}
