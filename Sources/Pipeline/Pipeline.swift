import CellTrackCore

/// Namespace of the `Pipeline` stage. See README "Architecture" for what this module may import.
public enum PipelineModule {
    public static let name = "Pipeline"
}
