import Foundation

/// A rectangle of pixels, half-open: `x0..<x1`, `y0..<y1`.
public struct PixelRect: Sendable, Equatable {
    public var x0: Int, y0: Int, x1: Int, y1: Int
    public init(x0: Int, y0: Int, x1: Int, y1: Int) {
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
    }
    public var isEmpty: Bool { x1 <= x0 || y1 <= y0 }
}

/// Normalised 1-D Gaussian kernel of radius ceil(3σ) (a single tap of 1 when σ is ~0).
func gaussianKernel(sigma: Double) -> [Float] {
    guard sigma > 0.05 else { return [1] }
    let radius = Int((3 * sigma).rounded(.up))
    var weights = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
    let total = weights.reduce(0, +)
    for i in weights.indices { weights[i] /= total }
    return weights
}

/// Box widths whose three successive box blurs approximate a Gaussian of `sigma`
/// (Kutskir, "Fastest Gaussian blur"). Returns the half-widths (radii).
func boxRadiiForGaussian(sigma: Double, boxes: Int = 3) -> [Int] {
    guard sigma > 0.05 else { return [] }
    let ideal = (12 * sigma * sigma / Double(boxes) + 1).squareRoot()
    var lower = Int(ideal.rounded(.down))
    if lower % 2 == 0 { lower -= 1 }
    lower = max(1, lower)
    let upper = lower + 2
    let m = ((12 * sigma * sigma - Double(boxes * lower * lower) - Double(4 * boxes * lower) - Double(3 * boxes))
             / Double(-4 * lower - 4)).rounded()
    return (0..<boxes).map { Double($0) < m ? (lower - 1) / 2 : (upper - 1) / 2 }
}

/// Separable convolution of `rect` of a `width`-wide image with `kernel`, borders clamped to
/// the rectangle's edge (callers pad the rectangle so its edge is zero or the frame's edge).
/// Pixels outside `rect` are untouched. `scratch` must hold at least `width × height` floats.
func convolveSeparable(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                       scratch: UnsafeMutablePointer<Float>, width: Int, rect: PixelRect, kernel: [Float]) {
    guard !rect.isEmpty else { return }
    let radius = kernel.count / 2
    let w = rect.x1 - rect.x0
    var line = [Float](repeating: 0, count: w + 2 * radius)
    kernel.withUnsafeBufferPointer { k in
        line.withUnsafeMutableBufferPointer { padded in
            // Horizontal pass into scratch.
            for y in rect.y0..<rect.y1 {
                let row = source + y * width + rect.x0
                for i in 0..<radius { padded[i] = row[0]; padded[radius + w + i] = row[w - 1] }
                for x in 0..<w { padded[radius + x] = row[x] }
                let out = scratch + y * width + rect.x0
                for x in 0..<w {
                    var sum: Float = 0
                    for t in 0..<k.count { sum += k[t] * padded[x + t] }
                    out[x] = sum
                }
            }
        }
        // Vertical pass, row by row (cache friendly): out(y) = Σ k[t]·scratch(clamp(y+t−r)).
        for y in rect.y0..<rect.y1 {
            let out = destination + y * width + rect.x0
            for x in 0..<w { out[x] = 0 }
            for t in 0..<k.count {
                let sourceY = min(max(y + t - radius, rect.y0), rect.y1 - 1)
                let row = scratch + sourceY * width + rect.x0
                let weight = k[t]
                for x in 0..<w { out[x] += weight * row[x] }
            }
        }
    }
}

/// One box blur of radius `radius` over `rect`, in place through `scratch` (running sums,
/// constant cost per pixel whatever the radius; borders clamped to the rectangle's edge).
func boxBlur(_ image: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
             width: Int, rect: PixelRect, radius: Int) {
    guard !rect.isEmpty, radius > 0 else { return }
    let w = rect.x1 - rect.x0, h = rect.y1 - rect.y0
    let norm = 1 / Double(2 * radius + 1)
    // Horizontal: image → scratch.
    for y in rect.y0..<rect.y1 {
        let row = image + y * width + rect.x0
        let out = scratch + y * width + rect.x0
        var sum = 0.0
        for t in -radius...radius { sum += Double(row[min(max(t, 0), w - 1)]) }
        for x in 0..<w {
            out[x] = Float(sum * norm)
            sum += Double(row[min(x + radius + 1, w - 1)]) - Double(row[max(x - radius, 0)])
        }
    }
    // Vertical: scratch → image, with one running sum per column.
    var sums = [Double](repeating: 0, count: w)
    sums.withUnsafeMutableBufferPointer { s in
        for t in -radius...radius {
            let row = scratch + (rect.y0 + min(max(t, 0), h - 1)) * width + rect.x0
            for x in 0..<w { s[x] += Double(row[x]) }
        }
        for y in 0..<h {
            let out = image + (rect.y0 + y) * width + rect.x0
            for x in 0..<w { out[x] = Float(s[x] * norm) }
            let add = scratch + (rect.y0 + min(y + radius + 1, h - 1)) * width + rect.x0
            let remove = scratch + (rect.y0 + max(y - radius, 0)) * width + rect.x0
            for x in 0..<w { s[x] += Double(add[x]) - Double(remove[x]) }
        }
    }
}
