/// The tool's version, recorded with every run in the database.
public enum CellTrackVersion {
    public static let string = "0.1.0"
}
