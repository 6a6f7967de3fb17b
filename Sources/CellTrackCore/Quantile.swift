/// numpy's `percentile` with its default linear interpolation, on values already sorted.
///
/// ```swift
/// let iqr = (Quantile.linear([1, 2, 3, 4], 0.25), Quantile.linear([1, 2, 3, 4], 0.75))   // (1.75, 3.25)
/// ```
public enum Quantile {
    /// The `q`-quantile (0…1) of `sorted` (ascending, not empty).
    public static func linear(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
