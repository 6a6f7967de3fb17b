import CellTrackCore

/// How a filter extends the image beyond its border (scipy.ndimage names).
public enum BorderMode: String, Codable, Equatable, Hashable, Sendable {
    /// `d c b a | a b c d | d c b a` (half-sample symmetric; scipy's default).
    case reflect
    /// `a a a a | a b c d | d d d d`.
    case nearest

    @inlinable
    func index(_ i: Int, count n: Int) -> Int {
        if i >= 0 && i < n { return i }
        switch self {
        case .nearest: return i < 0 ? 0 : n - 1
        case .reflect:
            if n == 1 { return 0 }
            let period = 2 * n
            var j = i % period
            if j < 0 { j += period }
            return j < n ? j : period - 1 - j
        }
    }
}

/// Preprocessing: Gaussian smoothing, flat-field correction, percentile normalisation.
public enum Preprocess {
    /// The normalised 1-D Gaussian kernel of `scipy.ndimage.gaussian_filter` (truncate 4.0):
    /// radius `Int(4 σ + 0.5)`, weights `exp(-x² / 2σ²)` divided by their numpy (pairwise) sum.
    public static func gaussianKernel(sigma: Double, truncate: Double = 4.0) -> [Double] {
        let radius = Int(truncate * sigma + 0.5)
        let s2 = sigma * sigma
        let phi = (-radius...radius).map { x -> Double in
            let xx = Double(x * x)
            return ((-0.5 / s2) * xx).exp
        }
        let total = numpyPairwiseSum(phi[...])
        return phi.map { $0 / total }
    }

    /// numpy's pairwise summation (blocks of 8 accumulators), so kernel weights match bit for bit.
    static func numpyPairwiseSum(_ a: ArraySlice<Double>) -> Double {
        let n = a.count, s = a.startIndex
        if n < 8 {
            var r = 0.0
            for i in 0..<n { r += a[s + i] }
            return r
        } else if n <= 128 {
            var r = [Double](repeating: 0, count: 8)
            for j in 0..<8 { r[j] = a[s + j] }
            var i = 8
            while i < n - (n % 8) {
                for j in 0..<8 { r[j] += a[s + i + j] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { res += a[s + i]; i += 1 }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return numpyPairwiseSum(a[s..<(s + n2)]) + numpyPairwiseSum(a[(s + n2)...])
        }
    }

    /// Gaussian smoothing as `scipy.ndimage.gaussian_filter(image.astype(float32), sigma, mode)`:
    /// separable, rows-axis (0) pass first then columns, each pass accumulating in `Double` with
    /// scipy's symmetric-kernel order and rounding to `Float` in between. `sigma <= 0`, or a σ so
    /// small that the kernel's radius is 0 (σ < 0.125), returns the image unchanged.
    ///
    /// ```swift
    /// let smooth = Preprocess.gaussian(image, sigma: 1.5)
    /// ```
    public static func gaussian(_ image: Image<Float>, sigma: Double, mode: BorderMode = .reflect) -> Image<Float> {
        gaussian(image, sigma: sigma, mode: mode, eachRow: nil)
    }

    /// `gaussian`, with `eachRow(y, row)` called on every output row as soon as it is done
    /// (to fuse a per-row step such as removing the illumination into the same pass). One row
    /// at a time: the vertical pass for row y (rounded to `Float`, as scipy stores it), then the
    /// horizontal pass on that row, so no full-size intermediate exists and the frame is read
    /// and written once. Integer frames (`GreyPixel`) are read as they are: each sample converts
    /// to `Float` exactly, as if the frame had been converted first. Internal and generic (it is
    /// specialised inside this module); the public entry point takes `Float`.
    static func gaussian<P: GreyPixel>(_ image: Image<P>, sigma: Double, mode: BorderMode = .reflect,
                                       eachRow: ((Int, UnsafeMutableBufferPointer<Float>) -> Void)?) -> Image<Float> {
        let w = image.width, h = image.height
        // below σ = 0.125 px scipy's kernel has radius 0 (the weight 1): the image as it is, which
        // the fused passes (radius 1…4) must not be asked for
        let k = sigma > 0 ? gaussianKernel(sigma: sigma) : [1]
        let r = k.count / 2
        guard r > 0, w > 0, h > 0 else {
            var out = image.asFloat
            guard let eachRow else { return out }
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h { eachRow(y, UnsafeMutableBufferPointer(rebasing: o[(y * w)..<((y + 1) * w)])) }
            }
            return out
        }
        var out = FramePool.shared.take(count: w * h)   // every element is written below
        var acc = [Double](repeating: 0, count: w)
        var line = [Double](repeating: 0, count: w + 2 * r)
        image.withUnsafeBufferPointer { src in
          k.withUnsafeBufferPointer { kernel in
            out.withUnsafeMutableBufferPointer { dst in
                acc.withUnsafeMutableBufferPointer { acc in
                    line.withUnsafeMutableBufferPointer { line in
                        let a = acc.baseAddress!, l = line.baseAddress!, kp = kernel.baseAddress!
                        let base = src.baseAddress!
                        for y in 0..<h {
                            // vertical (axis 0), then horizontal (axis 1): the centre, then the
                            // taps outer first (scipy's order), in one sweep up to radius 4, in
                            // groups of four taps beyond (Correlation1D)
                            let c = y * w
                            let s0 = base + c
                            @inline(__always) func row(_ dy: Int) -> UnsafePointer<P> {
                                UnsafePointer(base + mode.index(y + dy, count: h) * w)
                            }
                            let mid0 = l + r
                            if r <= 4 {
                                // one sweep: the centre, the taps outer first, rounded to Float
                                fusedVertical(into: mid0, centre: s0, row: row, count: w, weights: k, radius: r)
                            } else {
                                Correlation1D.verticalPass(into: a, count: w, weights: kp, radius: r,
                                                           antisymmetric: false, row: row)
                                for x in 0..<w { mid0[x] = Double(Float(a[x])) }
                            }
                            // the vertical result rounded to Float (scipy's intermediate), padded
                            for i in 0..<r { l[i] = mid0[mode.index(i - r, count: w)] }
                            for i in (w + r)..<(w + 2 * r) { l[i] = mid0[mode.index(i - r, count: w)] }
                            let d = dst.baseAddress! + c
                            if r <= 4 {
                                fusedHorizontal(into: d, line: l, count: w, weights: k, radius: r)
                            } else {
                                // horizontal (axis 1), tap-major so the loops vectorise
                                Correlation1D.horizontalPass(into: a, line: l, count: w, weights: kp, radius: r,
                                                             antisymmetric: false)
                                for x in 0..<w { d[x] = Float(a[x]) }
                            }
                            eachRow?(y, UnsafeMutableBufferPointer(start: d, count: w))
                        }
                    }
                }
            }
          }
        }
        return Image(uncheckedWidth: w, height: h, pixels: out, pixelSize: image.pixelSize)
    }

    /// The vertical pass of `gaussian` for radius 1…4 in one sweep per row: per pixel the
    /// centre term, then `(up_j + down_j)·k[r−j]` for j = r…1, in `Double`, rounded to `Float`
    /// and widened back (scipy's float32 intermediate), into `out`. The same additions as the
    /// grouped passes, without an accumulator row in memory.
    @inline(__always)
    static func fusedVertical<P: GreyPixel>(into out: UnsafeMutablePointer<Double>, centre s0: UnsafePointer<P>,
                                            row: (Int) -> UnsafePointer<P>, count w: Int, weights k: [Double],
                                            radius r: Int) {
        let kc = k[r]
        switch r {
        case 4:
            let u0 = row(-4), v0 = row(4), u1 = row(-3), v1 = row(3), u2 = row(-2), v2 = row(2), u3 = row(-1), v3 = row(1)
            let k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3]
            for x in 0..<w {
                var t = s0[x].doubleValue * kc
                t += (u0[x].doubleValue + v0[x].doubleValue) * k0
                t += (u1[x].doubleValue + v1[x].doubleValue) * k1
                t += (u2[x].doubleValue + v2[x].doubleValue) * k2
                t += (u3[x].doubleValue + v3[x].doubleValue) * k3
                out[x] = Double(Float(t))
            }
        case 3:
            let u0 = row(-3), v0 = row(3), u1 = row(-2), v1 = row(2), u2 = row(-1), v2 = row(1)
            let k0 = k[0], k1 = k[1], k2 = k[2]
            for x in 0..<w {
                var t = s0[x].doubleValue * kc
                t += (u0[x].doubleValue + v0[x].doubleValue) * k0
                t += (u1[x].doubleValue + v1[x].doubleValue) * k1
                t += (u2[x].doubleValue + v2[x].doubleValue) * k2
                out[x] = Double(Float(t))
            }
        case 2:
            let u0 = row(-2), v0 = row(2), u1 = row(-1), v1 = row(1)
            let k0 = k[0], k1 = k[1]
            for x in 0..<w {
                var t = s0[x].doubleValue * kc
                t += (u0[x].doubleValue + v0[x].doubleValue) * k0
                t += (u1[x].doubleValue + v1[x].doubleValue) * k1
                out[x] = Double(Float(t))
            }
        default:   // 1
            let u0 = row(-1), v0 = row(1)
            let k0 = k[0]
            for x in 0..<w {
                var t = s0[x].doubleValue * kc
                t += (u0[x].doubleValue + v0[x].doubleValue) * k0
                out[x] = Double(Float(t))
            }
        }
    }

    /// The horizontal pass of `gaussian` for radius 1…4 in one sweep: output x reads the padded
    /// line at `x + r ± j`, in the grouped passes' order, rounded to `Float`.
    @inline(__always)
    static func fusedHorizontal(into out: UnsafeMutablePointer<Float>, line l: UnsafePointer<Double>, count w: Int,
                                weights k: [Double], radius r: Int) {
        let kc = k[r]
        let m = l + r
        switch r {
        case 4:
            let k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3]
            for x in 0..<w {
                var t = m[x] * kc
                t += (l[x] + l[x + 8]) * k0
                t += (l[x + 1] + l[x + 7]) * k1
                t += (l[x + 2] + l[x + 6]) * k2
                t += (l[x + 3] + l[x + 5]) * k3
                out[x] = Float(t)
            }
        case 3:
            let k0 = k[0], k1 = k[1], k2 = k[2]
            for x in 0..<w {
                var t = m[x] * kc
                t += (l[x] + l[x + 6]) * k0
                t += (l[x + 1] + l[x + 5]) * k1
                t += (l[x + 2] + l[x + 4]) * k2
                out[x] = Float(t)
            }
        case 2:
            let k0 = k[0], k1 = k[1]
            for x in 0..<w {
                var t = m[x] * kc
                t += (l[x] + l[x + 4]) * k0
                t += (l[x + 1] + l[x + 3]) * k1
                out[x] = Float(t)
            }
        default:   // 1
            let k0 = k[0]
            for x in 0..<w {
                var t = m[x] * kc
                t += (l[x] + l[x + 2]) * k0
                out[x] = Float(t)
            }
        }
    }

    /// Divides by a smooth estimate of the illumination (the Python baseline's recipe):
    /// 8×-binned mean copy; grey closing (dark cells) or opening (bright cells) with a square
    /// `k = max(3, round(scalePixels / 8) | 1)` wider than a cell, which removes the cells; Gaussian
    /// `σ = k/2` (nearest border); bilinear upsampling aligned on pixel centres; floor 1e-3.
    /// Cells stay, slow illumination gradients go. Not bit-exact with scipy (its `zoom` and
    /// float32 means are emulated, not replicated); its effect is tested, not its last bit.
    ///
    /// - Parameter scalePixels: background scale in pixels (e.g. 12 µm / pixel size).
    public static func flatField(_ image: Image<Float>, scalePixels: Double, darkCells: Bool) -> Image<Float> {
        var out = image
        flatFieldInPlace(&out, scalePixels: scalePixels, darkCells: darkCells)
        return out
    }

    /// `flatField` overwriting `image` (no second full-frame buffer).
    static func flatFieldInPlace(_ image: inout Image<Float>, scalePixels: Double, darkCells: Bool) {
        let f = 8
        let w = image.width, h = image.height
        let sw = w / f, sh = h / f
        guard sw >= 1, sh >= 1, scalePixels > 0 else { return }
        var small = [Float](repeating: 0, count: sw * sh)
        var acc = [Double](repeating: 0, count: sw)
        image.withUnsafeBufferPointer { p in
            for by in 0..<sh {
                for bx in 0..<sw { acc[bx] = 0 }
                for y in (by * f)..<(by * f + f) {
                    let row = y * w
                    for bx in 0..<sw {
                        var s = 0.0
                        for x in (bx * f)..<(bx * f + f) { s += Double(p[row + x]) }
                        acc[bx] += s
                    }
                }
                for bx in 0..<sw { small[by * sw + bx] = Float(acc[bx] / Double(f * f)) }
            }
        }
        let k = max(3, Int((scalePixels / Double(f)).rounded(.toNearestOrEven)) | 1)
        var bg = Image<Float>(uncheckedWidth: sw, height: sh, pixels: small)
        bg = darkCells ? Morphology.greyClosing(bg, size: k) : Morphology.greyOpening(bg, size: k)
        bg = gaussian(bg, sigma: Double(k) / 2, mode: .nearest)
        // bilinear upsampling, grid_mode (pixel areas aligned), nearest outside
        let zy = Double(sh) / Double(h), zx = Double(sw) / Double(w)
        var x0s = [Int](repeating: 0, count: w), x1s = [Int](repeating: 0, count: w), fxs = [Float](repeating: 0, count: w)
        for x in 0..<w {
            let sx = min(max((Double(x) + 0.5) * zx - 0.5, 0), Double(sw - 1))
            let x0 = Int(sx)
            x0s[x] = x0; x1s[x] = min(x0 + 1, sw - 1); fxs[x] = Float(sx - Double(x0))
        }
        // each small row interpolated to full width once, then rows blended (vectorisable)
        var wide = [Float](repeating: 0, count: sh * w)
        bg.withUnsafeBufferPointer { b in
            for sy in 0..<sh {
                for x in 0..<w {
                    wide[sy * w + x] = b[sy * sw + x0s[x]] * (1 - fxs[x]) + b[sy * sw + x1s[x]] * fxs[x]
                }
            }
        }
        wide.withUnsafeBufferPointer { wd in
            image.withUnsafeMutableBufferPointer { o in
                do {
                    for y in 0..<h {
                        let sy = min(max((Double(y) + 0.5) * zy - 0.5, 0), Double(sh - 1))
                        let y0 = Int(sy), y1 = min(y0 + 1, sh - 1)
                        let fy = Float(sy - Double(y0)), gy = 1 - fy
                        let a = wd.baseAddress! + y0 * w, c = wd.baseAddress! + y1 * w
                        let dst = o.baseAddress! + y * w
                        for x in 0..<w {
                            let v = max(a[x] * gy + c[x] * fy, 1e-3)
                            dst[x] = dst[x] / v
                        }
                    }
                }
            }
        }
    }

    /// Flat-field correction with acquired frames: `(image - dark) / (flat - dark) * mean(flat - dark)`,
    /// the gain floored at 1e-6 of its mean. Throws when the sizes differ.
    public static func flatField(_ image: Image<Float>, flat: Image<Float>, dark: Image<Float>?) throws -> Image<Float> {
        guard flat.width == image.width, flat.height == image.height else {
            throw ParameterError.invalid(name: "flat", value: "\(flat.width)x\(flat.height)",
                                         reason: "must match the image size \(image.width)x\(image.height)")
        }
        if let dark, dark.width != image.width || dark.height != image.height {
            throw ParameterError.invalid(name: "dark", value: "\(dark.width)x\(dark.height)",
                                         reason: "must match the image size \(image.width)x\(image.height)")
        }
        let n = image.count
        var gain = [Double](repeating: 0, count: n)
        var mean = 0.0
        for i in 0..<n {
            gain[i] = Double(flat.pixels[i]) - Double(dark?.pixels[i] ?? 0)
            mean += gain[i]
        }
        mean /= Double(max(n, 1))
        let floor = max(abs(mean) * 1e-6, 1e-12)
        var out = image.pixels
        for i in 0..<n {
            out[i] = Float((Double(image.pixels[i]) - Double(dark?.pixels[i] ?? 0)) / max(gain[i], floor) * mean)
        }
        return Image(uncheckedWidth: image.width, height: image.height, pixels: out, pixelSize: image.pixelSize)
    }

    /// `numpy.percentile(values, q)` with linear interpolation (q in 0…100), by selection (O(n)).
    public static func percentile(_ image: Image<Float>, _ q: Double) -> Float {
        var values = image.pixels
        return percentiles(&values, [q])[0]
    }

    static func percentiles(_ values: inout [Float], _ qs: [Double]) -> [Float] {
        let n = values.count
        guard n > 0 else { return qs.map { _ in .nan } }
        return qs.map { q in
            let pos = q / 100 * Double(n - 1)
            let lo = Int(pos.rounded(.down)), hi = min(lo + 1, n - 1)
            let frac = pos - Double(lo)
            let a = select(&values, lo)
            let b = hi == lo ? a : select(&values, hi)
            return Float(Double(a) + (Double(b) - Double(a)) * frac)
        }
    }

    /// Quickselect (median-of-three pivot, deterministic): the k-th smallest value.
    static func select<T: Comparable>(_ a: inout [T], _ k: Int) -> T {
        var lo = 0, hi = a.count - 1
        return a.withUnsafeMutableBufferPointer { a in
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                let x = a[lo], y = a[mid], z = a[hi]
                let pivot = max(min(x, y), min(max(x, y), z))
                var i = lo, j = hi
                while i <= j {
                    while a[i] < pivot { i += 1 }
                    while a[j] > pivot { j -= 1 }
                    if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
                }
                if k <= j { hi = j } else if k >= i { lo = i } else { return a[k] }
            }
            return a[k]
        }
    }

    /// Rescales so the `low` percentile maps to 0 and the `high` percentile to 1 (not clipped).
    /// A flat image maps to 0.
    public static func normalisePercentiles(_ image: Image<Float>, low: Double = 1, high: Double = 99.8) -> Image<Float> {
        var values = image.pixels
        let p = percentiles(&values, [low, high])
        let span = p[1] - p[0]
        let scale: Float = span > 0 ? 1 / span : 0
        return image.map { ($0 - p[0]) * scale }
    }
}

extension Double {
    @usableFromInline var exp: Double { MathShim.exp(self) }
}
