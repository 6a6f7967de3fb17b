import CellTrackCore

/// Gaussian derivative filters and the Hessian's smallest eigenvalue (ridge detection).
///
/// The filters equal `scipy.ndimage.gaussian_filter(image, sigma, order=(oy, ox))` on a float32
/// image (truncate 4, mode `reflect`): separable, the vertical (axis 0) pass first, each pass
/// accumulating in `Double` in scipy's tap order and rounding to `Float` in between.
///
/// ```swift
/// let lambda = Hessian.smallestEigenvalue(image, sigma: 1.9)   // ≪ 0 on thin bright lines
/// ```
public enum Hessian {
    /// scipy's `_gaussian_kernel1d(sigma, order, radius)` for order 0, 1 or 2 (convolution
    /// kernel, index 0 = offset −radius): `q(x)·φ(x)` with φ the normalised Gaussian and q the
    /// derivative polynomial (`−x/σ²`, `x²/σ⁴ − 1/σ²`), computed in scipy's operation order.
    public static func gaussianDerivativeKernel(sigma: Double, order: Int, truncate: Double = 4.0) -> [Double] {
        precondition(sigma > 0 && (0...2).contains(order), "sigma > 0, order 0...2")
        let phi = Preprocess.gaussianKernel(sigma: sigma, truncate: truncate)
        if order == 0 { return phi }
        let radius = phi.count / 2
        let c = 1.0 / -(sigma * sigma)          // scipy: P = diag(ones / -sigma2)
        return (0..<phi.count).map { i -> Double in
            let x = Double(i - radius)
            let q = order == 1 ? 0 + x * c : (c + x * 0) + (x * x) * (c * c)
            return q * phi[i]
        }
    }

    /// The three second derivatives of the Gaussian-smoothed image at scale `sigma` px:
    /// `xx` = scipy order (0, 2), `yy` = (2, 0), `xy` = (1, 1). Six 1-D passes sharing g, g′, g″.
    public static func secondDerivatives(_ image: Image<Float>, sigma: Double)
        -> (xx: Image<Float>, yy: Image<Float>, xy: Image<Float>) {
        let g0 = gaussianDerivativeKernel(sigma: sigma, order: 0)
        let g1 = gaussianDerivativeKernel(sigma: sigma, order: 1)
        let g2 = gaussianDerivativeKernel(sigma: sigma, order: 2)
        let smoothY = correlate(image, kernel: g0, vertical: true)
        let xx = correlate(smoothY, kernel: g2, vertical: false)
        let d2Y = correlate(image, kernel: g2, vertical: true)
        let yy = correlate(d2Y, kernel: g0, vertical: false)
        let d1Y = correlate(image, kernel: g1, vertical: true)
        let xy = correlate(d1Y, kernel: g1, vertical: false)
        return (xx, yy, xy)
    }

    /// Smallest eigenvalue of the Hessian at scale `sigma` px:
    /// `½(Hxx+Hyy) − √(¼(Hxx−Hyy)² + Hxy²)` in float32, as the colony prototype computes it.
    /// Strongly negative on bright lines narrower than ~2σ.
    ///
    /// One row at a time: the three vertical passes (g, g′, g″) share their row loads, each
    /// rounded to `Float` as scipy stores its intermediate, then the three horizontal passes and
    /// the eigenvalue run on that row only, so no full-size intermediate exists. Values equal
    /// `secondDerivatives` (same operations in the same order).
    ///
    /// - Parameter mask: when given, only the pixels of each row between its first and last mask
    ///   pixel are computed (exactly as without a mask); the others are 0. The colony method only
    ///   reads the ridge on the foreground, a few % of a typical frame.
    public static func smallestEigenvalue(_ image: Image<Float>, sigma: Double, mask: Mask? = nil) -> Image<Float> {
        precondition(mask.map { $0.width == image.width && $0.height == image.height } ?? true, "mask size")
        return smallestEigenvalue(image, sigma: sigma, rows: mask.map { RowExtents($0) })
    }

    /// `smallestEigenvalue` on the rows' extents of a mask already scanned (nil: every pixel).
    static func smallestEigenvalue(_ image: Image<Float>, sigma: Double, rows: RowExtents?) -> Image<Float> {
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return image }
        // correlation weights (reversed convolution kernels); g0, g2 symmetric, g1 antisymmetric
        let c0 = Array(gaussianDerivativeKernel(sigma: sigma, order: 0).reversed())
        let c1 = Array(gaussianDerivativeKernel(sigma: sigma, order: 1).reversed())
        let c2 = Array(gaussianDerivativeKernel(sigma: sigma, order: 2).reversed())
        let r = c0.count / 2
        var out = [Float](repeating: 0, count: w * h)
        let extents = rows ?? RowExtents(width: w, height: h)
        let pad = w + 2 * r
        // scratch: three vertical accumulators, three padded lines, three horizontal results
        var scratch = [Double](repeating: 0, count: 3 * w + 3 * pad)
        var rows = [Float](repeating: 0, count: 3 * w)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                scratch.withUnsafeMutableBufferPointer { sc in
                    rows.withUnsafeMutableBufferPointer { rw in
                        let a0 = sc.baseAddress!, a1 = a0 + w, a2 = a1 + w
                        let l0 = a2 + w, l1 = l0 + pad, l2 = l1 + pad
                        let v0 = rw.baseAddress!, v1 = v0 + w, v2 = v1 + w
                        c0.withUnsafeBufferPointer { k0 in c1.withUnsafeBufferPointer { k1 in c2.withUnsafeBufferPointer { k2 in
                        let k0 = k0.baseAddress!, k1 = k1.baseAddress!, k2 = k2.baseAddress!
                        let base = src.baseAddress!
                        for y in 0..<h {
                            let row = y * w
                            // columns needed: [xmin, xmax] out, [lo, hi] for the vertical pass
                            let xmin = extents.first[y], xmax = extents.last[y]
                            if xmin > xmax { continue }
                            let lo = max(0, xmin - r), hi = min(w - 1, xmax + r)
                            let span = hi - lo + 1
                            // vertical: g (smooth), g′ (d/dy), g″ (d²/dy²) in one sweep
                            @inline(__always) func rowSegment(_ dy: Int) -> UnsafePointer<Float> {
                                base + BorderMode.reflect.index(y + dy, count: h) * w + lo
                            }
                            Correlation1D.verticalTriple(into: a0 + lo, a1 + lo, a2 + lo, count: span, weights: k0, k1, k2,
                                                         radius: r, row: rowSegment)
                            for x in lo..<(hi + 1) { v0[x] = Float(a0[x]); v1[x] = Float(a1[x]); v2[x] = Float(a2[x]) }
                            // horizontal: xx = g″ along x of the g row; yy = g of the g″ row; xy = g′ of the g′ row
                            // reflected indices of [xmin − r, xmax + r] fall inside [lo, hi]
                            // (reflected at the frame's ends only; the loop between vectorises)
                            let direct = max(xmin, r)...min(xmax + 2 * r, w - 1 + r)
                            @inline(__always) func reflected(_ i: Int) {
                                let k = BorderMode.reflect.index(i - r, count: w)
                                l0[i] = Double(v0[k]); l1[i] = Double(v1[k]); l2[i] = Double(v2[k])
                            }
                            for i in xmin..<direct.lowerBound { reflected(i) }
                            let from = direct.lowerBound - r, to = direct.lowerBound
                            let s0 = v0 + from, s1 = v1 + from, s2 = v2 + from, e0 = l0 + to, e1 = l1 + to, e2 = l2 + to
                            for j in 0..<direct.count { e0[j] = Double(s0[j]); e1[j] = Double(s1[j]); e2[j] = Double(s2[j]) }
                            for i in (direct.upperBound + 1)..<(xmax + 2 * r + 1) { reflected(i) }
                            let count = xmax - xmin + 1
                            Correlation1D.horizontalPass(into: a0 + xmin, line: l0 + xmin, count: count, weights: k2, radius: r,
                                                         antisymmetric: false)
                            Correlation1D.horizontalPass(into: a1 + xmin, line: l1 + xmin, count: count, weights: k1, radius: r,
                                                         antisymmetric: true)
                            Correlation1D.horizontalPass(into: a2 + xmin, line: l2 + xmin, count: count, weights: k0, radius: r,
                                                         antisymmetric: false)
                            let out = dst.baseAddress! + row
                            for x in xmin..<(xmax + 1) {
                                let hxx = Float(a0[x]), hxy = Float(a1[x]), hyy = Float(a2[x])
                                let halfTrace = 0.5 * (hxx + hyy)
                                let d = 0.5 * (hxx - hyy)
                                out[x] = halfTrace - (d * d + hxy * hxy).squareRoot()
                            }
                        }
                        } } }
                    }
                }
            }
        }
        return Image(uncheckedWidth: w, height: h, pixels: out, pixelSize: image.pixelSize)
    }

    /// Reference for `smallestEigenvalue`: the three full-size derivative images, then the
    /// eigenvalue (used by the tests).
    static func smallestEigenvalueByPasses(_ image: Image<Float>, sigma: Double) -> Image<Float> {
        let (xx, yy, xy) = secondDerivatives(image, sigma: sigma)
        var out = [Float](repeating: 0, count: image.count)
        for i in 0..<out.count {
            let halfTrace = 0.5 * (xx.pixels[i] + yy.pixels[i])
            let d = 0.5 * (xx.pixels[i] - yy.pixels[i])
            out[i] = halfTrace - (d * d + xy.pixels[i] * xy.pixels[i]).squareRoot()
        }
        return Image(uncheckedWidth: image.width, height: image.height, pixels: out, pixelSize: image.pixelSize)
    }

    /// `scipy.ndimage.correlate1d(image, weights = kernel reversed, axis, mode='reflect')` with
    /// scipy's summation order: symmetric kernels add `(left + right)·w`, antisymmetric ones
    /// `(left − right)·w`, outer taps first. `kernel` is a convolution kernel of odd length.
    static func correlate(_ image: Image<Float>, kernel: [Double], vertical: Bool) -> Image<Float> {
        let w = image.width, h = image.height
        let n = kernel.count, r = n / 2
        precondition(n % 2 == 1, "odd kernel")
        guard w > 0, h > 0 else { return image }
        // correlation weights: c[m] for offset m = −r…r is the convolution kernel at −m
        let c = Array(kernel.reversed())
        var symmetric = true, antisymmetric = true
        for j in 1...max(r, 1) where r > 0 {
            if c[r - j] != c[r + j] { symmetric = false }
            if c[r - j] != -c[r + j] { antisymmetric = false }
        }
        if r == 0 { antisymmetric = false }
        let sign: Double = symmetric ? 1 : -1
        var out = [Float](repeating: 0, count: w * h)
        if symmetric || antisymmetric {
            image.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    if vertical {
                        var acc = [Double](repeating: 0, count: w)
                        acc.withUnsafeMutableBufferPointer { acc in
                            for y in 0..<h {
                                let row = y * w
                                let w0 = c[r]
                                for x in 0..<w { acc[x] = Double(src[row + x]) * w0 }
                                for j in stride(from: r, through: 1, by: -1) {
                                    let up = BorderMode.reflect.index(y - j, count: h) * w
                                    let dn = BorderMode.reflect.index(y + j, count: h) * w
                                    let wj = c[r - j]
                                    // scipy: (iline[-j] ± iline[+j]) · fw[-j]
                                    for x in 0..<w { acc[x] += (Double(src[up + x]) + sign * Double(src[dn + x])) * wj }
                                }
                                for x in 0..<w { dst[row + x] = Float(acc[x]) }
                            }
                        }
                    } else {
                        var line = [Double](repeating: 0, count: w + 2 * r)
                        var acc = [Double](repeating: 0, count: w)
                        line.withUnsafeMutableBufferPointer { line in
                            acc.withUnsafeMutableBufferPointer { acc in
                                for y in 0..<h {
                                    let row = y * w
                                    for i in 0..<(w + 2 * r) {
                                        line[i] = Double(src[row + BorderMode.reflect.index(i - r, count: w)])
                                    }
                                    let w0 = c[r]
                                    for x in 0..<w { acc[x] = line[x + r] * w0 }
                                    for j in stride(from: r, through: 1, by: -1) {
                                        let wj = c[r - j]
                                        for x in 0..<w { acc[x] += (line[x + r - j] + sign * line[x + r + j]) * wj }
                                    }
                                    for x in 0..<w { dst[row + x] = Float(acc[x]) }
                                }
                            }
                        }
                    }
                }
            }
        } else {
            // general kernel (not used by the Gaussian derivatives): plain sum in tap order
            for y in 0..<h {
                for x in 0..<w {
                    var s = 0.0
                    for m in -r...r {
                        let v = vertical
                            ? image.pixels[BorderMode.reflect.index(y + m, count: h) * w + x]
                            : image.pixels[y * w + BorderMode.reflect.index(x + m, count: w)]
                        s += Double(v) * c[m + r]
                    }
                    out[y * w + x] = Float(s)
                }
            }
        }
        return Image(uncheckedWidth: w, height: h, pixels: out, pixelSize: image.pixelSize)
    }
}
