import CellTrackCore

/// Namespace of the `Segmentation` stage. See README "Architecture" for what this module may import.
public enum SegmentationModule {
    public static let name = "Segmentation"
}
