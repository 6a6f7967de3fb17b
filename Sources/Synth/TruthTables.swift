import Foundation

/// Least-squares slope of ln(value) against time, in 1/h (`times` in minutes). NaN with
/// fewer than two usable points or no spread in time.
public func fitLogSlopePerHour(times: [Double], values: [Double]) -> Double {
    var t: [Double] = [], y: [Double] = []
    for (time, value) in zip(times, values) where value > 0 && value.isFinite {
        t.append(time / 60)
        y.append(log(value))
    }
    guard t.count >= 2 else { return .nan }
    let meanT = t.reduce(0, +) / Double(t.count), meanY = y.reduce(0, +) / Double(y.count)
    var sxy = 0.0, sxx = 0.0
    for i in t.indices {
        sxy += (t[i] - meanT) * (y[i] - meanY)
        sxx += (t[i] - meanT) * (t[i] - meanT)
    }
    return sxx > 0 ? sxy / sxx : .nan
}

/// Text of the truth files. Numbers are printed with fixed formats (no locale, no
/// timestamps), so the same movie always gives the same bytes.
public enum TruthTables {
    static func number(_ value: Double?, _ digits: Int = 6) -> String {
        guard let value, value.isFinite else { return "" }
        return String(format: "%.\(digits)f", value)
    }

    /// CTC `man_track.txt`: `L B E P` per track, sorted by label.
    public static func manTrack(_ tracks: [TrackTruth]) -> String {
        tracks.sorted { $0.trackID < $1.trackID }
            .map { "\($0.trackID) \($0.firstFrame) \($0.lastFrame) \($0.parentID)\n" }
            .joined()
    }

    /// `gt_tracks.csv`: one row per track. Unknown lengths (cells present at the start have
    /// no birth; cells that did not divide have no division) are empty fields.
    public static func gtTracksCSV(_ tracks: [TrackTruth]) -> String {
        var out = "track_id,parent_id,first_frame,last_frame,fate,growth_rate_per_h,birth_length_um,division_length_um\n"
        for t in tracks.sorted(by: { $0.trackID < $1.trackID }) {
            out += "\(t.trackID),\(t.parentID),\(t.firstFrame),\(t.lastFrame),\(t.fate.rawValue),"
            out += "\(number(t.growthRatePerHour)),\(number(t.birthLength)),\(number(t.divisionLength))\n"
        }
        return out
    }

    /// `gt_cells.csv`, the file `shared/reference/evaluate.py` reads for growth-rate grading:
    /// `label`, `complete_cycle` and the true `growth_rate_per_h`, plus the rates fitted on
    /// the true lengths/areas at the frames (`fit_true_*`) and on the rendered GT masks
    /// (`fit_mask_length_per_h` from the mask's extent along the true axis,
    /// `fit_mask_area_per_h` from its pixel count): the floor of any mask-based estimator.
    public static func gtCellsCSV(_ tracks: [TrackTruth]) -> String {
        var out = "label,track_id,parent_id,first_frame,last_frame,n_frames,fate,complete_cycle,growth_rate_per_h,"
        out += "fit_true_length_per_h,fit_true_area_per_h,fit_mask_length_per_h,fit_mask_area_per_h,"
        out += "birth_length_um,division_length_um\n"
        for t in tracks.sorted(by: { $0.trackID < $1.trackID }) {
            let fits = [
                fitLogSlopePerHour(times: t.times, values: t.lengths),
                fitLogSlopePerHour(times: t.times, values: t.areas),
                fitLogSlopePerHour(times: t.times, values: t.maskLengths),
                fitLogSlopePerHour(times: t.times, values: t.maskPixels.map(Double.init)),
            ]
            out += "\(t.trackID),\(t.trackID),\(t.parentID),\(t.firstFrame),\(t.lastFrame),\(t.times.count),"
            out += "\(t.fate.rawValue),\(t.isCompleteCycle ? 1 : 0),\(number(t.growthRatePerHour)),"
            out += fits.map { number($0) }.joined(separator: ",")
            out += ",\(number(t.birthLength)),\(number(t.divisionLength))\n"
        }
        return out
    }

    /// Header of `gt_objects.csv` (one row per cell per frame).
    public static let objectsHeader =
        "frame,track_id,center_x_px,center_y_px,angle_rad,length_um,width_um,area_um2,mask_pixels\n"

    /// Rows of `gt_objects.csv` for one frame.
    public static func objectRows(_ cells: [CellObservation]) -> String {
        cells.map { c in
            "\(c.frame),\(c.trackID),\(number(c.centerX, 3)),\(number(c.centerY, 3)),\(number(c.angle, 5)),"
                + "\(number(c.length, 5)),\(number(c.width, 5)),\(number(c.area, 5)),\(c.maskPixels)\n"
        }.joined()
    }
}
