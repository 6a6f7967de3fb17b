import ArgumentParser
import CellTrackCore

@main
struct CellTrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "celltrack",
        abstract: "Segment, track and measure bacteria in time-lapse microscopy; results in SQLite.",
        version: CellTrackVersion.string,
        subcommands: [Info.self, Run.self, Segment.self, TrackCommand.self, Export.self, SynthCommand.self,
                      BenchSegment.self, BenchLink.self, BenchStore.self]
    )
}
