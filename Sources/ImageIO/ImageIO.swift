import CellTrackCore

/// Namespace of the `ImageIO` stage. See README "Architecture" for what this module may import.
public enum ImageIOModule {
    public static let name = "ImageIO"
}
