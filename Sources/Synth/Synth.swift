import CellTrackCore

/// Namespace of the `Synth` stage. See README "Architecture" for what this module may import.
public enum SynthModule {
    public static let name = "Synth"
}
