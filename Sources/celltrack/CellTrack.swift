import ArgumentParser
import CellTrackCore

@main
struct CellTrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "celltrack",
        abstract: "Segment, track and measure bacteria in time-lapse microscopy; results in SQLite.",
        version: CellTrackVersion.string,
        subcommands: [Info.self, SynthCommand.self, TrackCommand.self, BenchLink.self]
    )
}
