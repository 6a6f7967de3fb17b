import CellTrackCore

/// Namespace of the `Store` stage. See README "Architecture" for what this module may import.
public enum StoreModule {
    public static let name = "Store"
}
