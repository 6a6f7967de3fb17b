import ArgumentParser
import CellTrackCore
import Foundation
import Pipeline
import Store

/// `celltrack track --masks DIR --db FILE`: link label masks made elsewhere (Omnipose, Cellpose,
/// DeLTA, ground truth…) into lineages with growth rates, stored like `run`'s results.
struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Link existing label masks into tracks, lineages and growth rates (SQLite).",
        discussion: """
        MASKS is a folder of per-frame label TIFFs (natural order; other files ignored) or a \
        multi-page label stack. Label values may change arbitrarily from frame to frame: they are \
        never taken as identity. Cells are measured on the masks, linked, and stored in the \
        database exactly as `run` stores its own segmentation (resumable, one transaction per \
        frame). --ctc-out also writes the Cell Tracking Challenge result (as `export ctc`).
        Linking parameters are the "linking" part of the --config JSON (see run --print-config).

        Example:
          celltrack track --masks omnipose_masks/ --db lineage.sqlite --interval 5 --pixel-size 0.065
        """)

    @Option(help: "Folder of per-frame label TIFFs, or a multi-page label TIFF.")
    var masks: String

    @OptionGroup var options: PipelineOptions

    @Option(help: "Also write the CTC result (mask###.tif, res_track.txt, tracks.csv) to this folder.")
    var ctcOut: String?

    func validate() throws {
        if options.db == nil { throw ValidationError("--db FILE is required (the SQLite database to write)") }
    }

    func run() throws {
        try runReportingErrors {
            let configuration = try options.configuration()
            try configuration.validate()
            var name = ((masks as NSString).lastPathComponent as NSString).deletingPathExtension
            if name.isEmpty { name = "masks" }
            let movie = MovieInput(name: name, inputs: [masks])
            let request = options.request(movies: [movie], configuration: configuration, source: .givenMasks,
                                          command: "track")
            let summary = try RunEngine.run(request)
            print(RunSummaryText.describe(summary))
            if let ctcOut, summary.finished, let movieID = summary.movieIDs.first {
                let store = try Store(path: options.db!, options: Store.Options(readOnly: true))
                let written = try CTCExport.write(store: store, movieID: movieID, to: ctcOut)
                print("wrote \(written.frames) masks and \(written.labels) tracks to \(ctcOut)")
            }
        }
    }
}
