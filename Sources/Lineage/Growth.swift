import Foundation

/// Least-squares fit of ln(size) against time: the exponential growth rate μ.
///
/// ```swift
/// let fit = GrowthFit.fit(timesHours: [0, 0.5, 1], values: [2, 2 * exp(0.35), 2 * exp(0.7)])
/// // fit?.ratePerHour ≈ 0.7, fit?.doublingTimeHours ≈ 0.99
/// ```
public struct GrowthFit: Sendable, Equatable, Codable {
    /// Slope of ln(size) per hour.
    public var ratePerHour: Double
    /// Standard error of the slope (nil with fewer than 3 points).
    public var standardError: Double?
    /// Coefficient of determination (1 when all points lie on the line; nil when ln(size) is constant).
    public var rSquared: Double?
    /// Number of points used (sizes > 0).
    public var count: Int
    /// ln 2 / μ in hours (nil when μ ≤ 0).
    public var doublingTimeHours: Double? { ratePerHour > 0 ? log(2) / ratePerHour : nil }

    public init(ratePerHour: Double, standardError: Double?, rSquared: Double?, count: Int) {
        self.ratePerHour = ratePerHour
        self.standardError = standardError
        self.rSquared = rSquared
        self.count = count
    }

    /// Ordinary least squares of ln(value) on time. Points with value ≤ 0 or non-finite are skipped.
    /// Returns nil with fewer than 2 usable points or when all times are equal.
    public static func fit(timesHours: [Double], values: [Double]) -> GrowthFit? {
        var t: [Double] = [], y: [Double] = []
        for (ti, vi) in zip(timesHours, values) where vi > 0 && vi.isFinite && ti.isFinite {
            t.append(ti); y.append(log(vi))
        }
        let n = t.count
        guard n >= 2 else { return nil }
        let mt = t.reduce(0, +) / Double(n), my = y.reduce(0, +) / Double(n)
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for k in 0..<n {
            let a = t[k] - mt, b = y[k] - my
            sxx += a * a; sxy += a * b; syy += b * b
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        let ssr = max(0, syy - slope * sxy)
        let se: Double? = n >= 3 ? (ssr / Double(n - 2) / sxx).squareRoot() : nil
        let r2: Double? = syy > 0 ? max(0, min(1, 1 - ssr / syy)) : nil
        return GrowthFit(ratePerHour: slope, standardError: se, rSquared: r2, count: n)
    }
}
