import CellTrackCore

/// Namespace of the `Lineage` stage. See README "Architecture" for what this module may import.
public enum LineageModule {
    public static let name = "Lineage"
}
