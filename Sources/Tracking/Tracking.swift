import CellTrackCore

/// Namespace of the `Tracking` stage. See README "Architecture" for what this module may import.
public enum TrackingModule {
    public static let name = "Tracking"
}
