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

    /// `verticalPass` with three kernels at once, the Hessian's g and g″ (symmetric, into `acc0`
    /// and `acc2`) and g′ (antisymmetric, into `acc1`), all of radius r: each pair of rows is
    /// loaded and converted once, its sum serving both symmetric kernels and its difference the
    /// antisymmetric one. Every accumulator sees the operations of its own `verticalPass`, in the
    /// same order, so the values are the same.
    @inline(__always)
    static func verticalTriple(into acc0: UnsafeMutablePointer<Double>, _ acc1: UnsafeMutablePointer<Double>,
                               _ acc2: UnsafeMutablePointer<Double>, count n: Int,
                               weights c0: UnsafePointer<Double>, _ c1: UnsafePointer<Double>, _ c2: UnsafePointer<Double>,
                               radius r: Int, row: (Int) -> UnsafePointer<Float>) {
        let centre = row(0), wc0 = c0[r], wc1 = c1[r], wc2 = c2[r]
        for x in 0..<n {
            let v = Double(centre[x])
            acc0[x] = v * wc0; acc1[x] = v * wc1; acc2[x] = v * wc2
        }
        var j = r
        while j >= 4 {
            let u0 = row(-j), d0 = row(j), u1 = row(-(j - 1)), d1 = row(j - 1)
            let u2 = row(-(j - 2)), d2 = row(j - 2), u3 = row(-(j - 3)), d3 = row(j - 3)
            let i = r - j
            let p0 = c0[i], p1 = c0[i + 1], p2 = c0[i + 2], p3 = c0[i + 3]
            let q0 = c1[i], q1 = c1[i + 1], q2 = c1[i + 2], q3 = c1[i + 3]
            let s0 = c2[i], s1 = c2[i + 1], s2 = c2[i + 2], s3 = c2[i + 3]
            for x in 0..<n {
                let a0 = Double(u0[x]), b0 = Double(d0[x]), a1 = Double(u1[x]), b1 = Double(d1[x])
                let a2 = Double(u2[x]), b2 = Double(d2[x]), a3 = Double(u3[x]), b3 = Double(d3[x])
                let sum0 = a0 + b0, sum1 = a1 + b1, sum2 = a2 + b2, sum3 = a3 + b3
                var t = acc0[x]
                t += sum0 * p0; t += sum1 * p1; t += sum2 * p2; t += sum3 * p3
                acc0[x] = t
                var v = acc2[x]
                v += sum0 * s0; v += sum1 * s1; v += sum2 * s2; v += sum3 * s3
                acc2[x] = v
                var g = acc1[x]
                g += (a0 - b0) * q0; g += (a1 - b1) * q1; g += (a2 - b2) * q2; g += (a3 - b3) * q3
                acc1[x] = g
            }
            j -= 4
        }
        while j >= 1 {
            let u = row(-j), d = row(j), i = r - j
            let p = c0[i], q = c1[i], s = c2[i]
            for x in 0..<n {
                let a = Double(u[x]), b = Double(d[x])
                let sum = a + b
                acc0[x] += sum * p; acc1[x] += (a - b) * q; acc2[x] += sum * s
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
        let centre = l + r
        for x in 0..<n { acc[x] = centre[x] * wc }
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
