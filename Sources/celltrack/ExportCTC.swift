import ArgumentParser
import CellTrackCore
import Foundation
import Pipeline
import Store

/// `celltrack export ctc --db FILE --out DIR`: Cell Tracking Challenge result folder.
struct ExportCTC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctc",
        abstract: "Write mask###.tif (label = track id) and res_track.txt for one movie.",
        discussion: """
            The masks come from the database, so the input images are not needed. A track whose \
            gap was closed is split into CTC segments (new labels after the largest track id, each \
            the parent of the next), because CTC tracks must be present in every frame. Also \
            writes tracks.csv: each CTC label's track id and growth rates.
            Without --movie, the newest run's only movie is exported.
            """)

    @Option(help: "The celltrack database.")
    var db: String

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Movie name (see: celltrack export csv --db FILE --table movie --out -).")
    var movie: String?

    @Option(name: .customLong("run"), help: "Run id (default: the newest run holding the movie).")
    var runID: Int64?

    func run() throws {
        try runReportingErrors {
            let store = try Store(path: db, options: Store.Options(readOnly: true))
            let movies = try store.movies(runID: runID)
            guard let newestRun = movies.map(\.runID).max() else {
                throw InputError(file: db, problem: runID.map { "no run \($0)" } ?? "the database holds no movie")
            }
            let candidates: [Store.StoredMovie]
            if let movie {
                let named = movies.filter { $0.record.name == movie }
                guard let newest = named.map(\.runID).max() else {
                    throw InputError(file: db, problem: "no movie named '\(movie)' (movies: \(Set(movies.map(\.record.name)).sorted().joined(separator: ", ")))")
                }
                candidates = named.filter { $0.runID == newest }
            } else {
                candidates = movies.filter { $0.runID == newestRun }
                guard candidates.count == 1 else {
                    throw InputError(file: db, problem: "run \(newestRun) has \(candidates.count) movies; choose one with --movie (\(candidates.map(\.record.name).joined(separator: ", ")))")
                }
            }
            let chosen = candidates[0]
            let summary = try CTCExport.write(store: store, movieID: chosen.movieID, to: out)
            print("wrote \(summary.frames) masks and \(summary.labels) tracks of movie '\(chosen.record.name)' (run \(chosen.runID)) to \(out)")
        }
    }
}
