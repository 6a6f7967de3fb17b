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
    public static func smallestEigenvalue(_ image: Image<Float>, sigma: Double) -> Image<Float> {
        let (xx, yy, xy) = secondDerivatives(image, sigma: sigma)
        var out = [Float](repeating: 0, count: image.count)
        xx.withUnsafeBufferPointer { a in
            yy.withUnsafeBufferPointer { b in
                xy.withUnsafeBufferPointer { c in
                    out.withUnsafeMutableBufferPointer { o in
                        for i in 0..<o.count {
                            let halfTrace = 0.5 * (a[i] + b[i])
                            let d = 0.5 * (a[i] - b[i])
                            o[i] = halfTrace - (d * d + c[i] * c[i]).squareRoot()
                        }
                    }
                }
            }
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
