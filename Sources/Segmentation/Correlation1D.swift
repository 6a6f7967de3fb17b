import CellTrackCore

/// One-dimensional correlations with a symmetric or antisymmetric kernel, in scipy's
/// `correlate1d` arithmetic: the centre term first, then `(left ± right)·c[r−j]` for
/// j = r…1, in `Double`. Shared by the Gaussian (radius above 4) and the Hessian. Taps go in
/// groups of four so the accumulator stays in a register; the grouping leaves every pixel's
/// additions, and so its value, unchanged.
enum Correlation1D {
    /// Along columns for one row segment: `row(dy)` points at the segment in the row `dy` away
    /// (the border already resolved); `acc[x]` receives the sum. Assumes `count ≥ 1` and `c`
    /// of 2r+1 correlation weights.
    @inline(__always)
    static func verticalPass<P: GreyPixel>(into acc: UnsafeMutablePointer<Double>, count n: Int,
                                           weights c: UnsafePointer<Double>, radius r: Int, antisymmetric: Bool,
                                           row: (Int) -> UnsafePointer<P>) {
        let centre = row(0), wc = c[r]
        for x in 0..<n { acc[x] = centre[x].doubleValue * wc }
        var j = r
        while j >= 4 {
            let u0 = row(-j), d0 = row(j), u1 = row(-(j - 1)), d1 = row(j - 1)
            let u2 = row(-(j - 2)), d2 = row(j - 2), u3 = row(-(j - 3)), d3 = row(j - 3)
            let w0 = c[r - j], w1 = c[r - j + 1], w2 = c[r - j + 2], w3 = c[r - j + 3]
            if antisymmetric {
                for x in 0..<n {
                    var t = acc[x]
                    t += (u0[x].doubleValue - d0[x].doubleValue) * w0
                    t += (u1[x].doubleValue - d1[x].doubleValue) * w1
                    t += (u2[x].doubleValue - d2[x].doubleValue) * w2
                    t += (u3[x].doubleValue - d3[x].doubleValue) * w3
                    acc[x] = t
                }
            } else {
                for x in 0..<n {
                    var t = acc[x]
                    t += (u0[x].doubleValue + d0[x].doubleValue) * w0
                    t += (u1[x].doubleValue + d1[x].doubleValue) * w1
                    t += (u2[x].doubleValue + d2[x].doubleValue) * w2
                    t += (u3[x].doubleValue + d3[x].doubleValue) * w3
                    acc[x] = t
                }
            }
            j -= 4
        }
        while j >= 1 {
            let u = row(-j), d = row(j), wj = c[r - j]
            if antisymmetric {
                for x in 0..<n { acc[x] += (u[x].doubleValue - d[x].doubleValue) * wj }
            } else {
                for x in 0..<n { acc[x] += (u[x].doubleValue + d[x].doubleValue) * wj }
            }
            j -= 1
        }
    }

    /// Along a padded `Double` line: output x reads `line[x + r ± j]`. Same order and grouping
    /// as `verticalPass`.
    @inline(__always)
    static func horizontalPass(into acc: UnsafeMutablePointer<Double>, line l: UnsafePointer<Double>, count n: Int,
                               weights c: UnsafePointer<Double>, radius r: Int, antisymmetric: Bool) {
        let wc = c[r]
        for x in 0..<n { acc[x] = l[x + r] * wc }
        var j = r
        while j >= 4 {
            let u0 = l + (r - j), d0 = l + (r + j), u1 = u0 + 1, d1 = d0 - 1
            let u2 = u0 + 2, d2 = d0 - 2, u3 = u0 + 3, d3 = d0 - 3
            let w0 = c[r - j], w1 = c[r - j + 1], w2 = c[r - j + 2], w3 = c[r - j + 3]
            if antisymmetric {
                for x in 0..<n {
                    var t = acc[x]
                    t += (u0[x] - d0[x]) * w0
                    t += (u1[x] - d1[x]) * w1
                    t += (u2[x] - d2[x]) * w2
                    t += (u3[x] - d3[x]) * w3
                    acc[x] = t
                }
            } else {
                for x in 0..<n {
                    var t = acc[x]
                    t += (u0[x] + d0[x]) * w0
                    t += (u1[x] + d1[x]) * w1
                    t += (u2[x] + d2[x]) * w2
                    t += (u3[x] + d3[x]) * w3
                    acc[x] = t
                }
            }
            j -= 4
        }
        while j >= 1 {
            let u = l + (r - j), d = l + (r + j), wj = c[r - j]
            if antisymmetric {
                for x in 0..<n { acc[x] += (u[x] - d[x]) * wj }
            } else {
                for x in 0..<n { acc[x] += (u[x] + d[x]) * wj }
            }
            j -= 1
        }
    }
}
