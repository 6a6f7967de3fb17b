import Foundation
import XCTest
@testable import Store

final class ResumeTests: StoreTestCase {
    private let parameters = SyntheticLineage.Parameters(roots: 8, frames: 20, frameIntervalMin: 5, seed: 11)

    /// Writes frames `range` of the synthetic movie like a pipeline that resumes; lineage and finish
    /// only when the last frame is reached.
    private func runPipeline(_ store: Store, frames range: Range<Int>? = nil, run: RunRecord = StoreTestCase.runRecord) throws -> RunProgress {
        let synthetic = SyntheticLineage.generate(parameters)
        let progress = try store.beginOrResume(run: run)
        let movie = try store.addMovie(synthetic.movie, runID: progress.runID)
        let start = (movie.lastCommittedFrameIndex ?? -1) + 1
        let end = range?.upperBound ?? synthetic.frames.count
        for entry in synthetic.frames[start..<end] {
            try store.writeFrame(entry.frame, cells: entry.cells, movieID: movie.movieID)
        }
        if end == synthetic.frames.count {
            try store.replaceLineage(movieID: movie.movieID, tracks: synthetic.tracks, divisions: synthetic.divisions,
                                     assignments: synthetic.assignments)
            try store.finishRun(runID: progress.runID)
        }
        return progress
    }

    func testInterruptedRunResumesAfterLastCommittedFrameAndEqualsUninterrupted() throws {
        let whole = try Store(path: dbPath("whole.db"))
        _ = try runPipeline(whole)

        var store: Store? = try Store(path: dbPath("resumed.db"))
        let first = try runPipeline(store!, frames: 0..<7)
        XCTAssertFalse(first.resumed)
        store = nil   // the process dies here
        store = try Store(path: dbPath("resumed.db"))
        let second = try store!.beginOrResume(run: Self.runRecord)
        XCTAssertTrue(second.resumed)
        XCTAssertEqual(second.runID, first.runID)
        XCTAssertEqual(second.movies.map(\.lastCommittedFrameIndex), [6])
        XCTAssertEqual(second.movies.map(\.committedFrameCount), [7])
        _ = try runPipeline(store!, frames: 0..<13)   // interrupted again
        let third = try runPipeline(store!)
        XCTAssertEqual(third.runID, first.runID)
        XCTAssertEqual(try dump(store!), try dump(whole))
        try store!.checkIntegrity()
    }

    func testFailedRunIsResumedAndFinishedRunIsNot() throws {
        let store = try Store(path: dbPath())
        let progress = try runPipeline(store, frames: 0..<3)
        try store.failRun(runID: progress.runID, message: "disk full")
        XCTAssertEqual(try store.count(query: "SELECT * FROM run WHERE status = 'failed' AND error_message = 'disk full' AND ended_at IS NOT NULL"), 1)
        let resumed = try store.beginOrResume(run: Self.runRecord)
        XCTAssertTrue(resumed.resumed)
        XCTAssertEqual(resumed.runID, progress.runID)
        XCTAssertEqual(try store.count(query: "SELECT * FROM run WHERE status = 'running' AND ended_at IS NULL AND error_message IS NULL"), 1)
        _ = try runPipeline(store)
        let again = try store.beginOrResume(run: Self.runRecord)
        XCTAssertFalse(again.resumed, "a finished run must not be reopened")
        XCTAssertNotEqual(again.runID, progress.runID)
    }

    func testDifferentCommandParametersOrInputsStartNewRuns() throws {
        let store = try Store(path: dbPath())
        let base = try runPipeline(store, frames: 0..<4)
        var variants: [RunRecord] = []
        var v = Self.runRecord; v.parametersJSON = #"{"threshold":0.6}"#; variants.append(v)
        v = Self.runRecord; v.commandLine += " --interval 3"; variants.append(v)
        v = Self.runRecord; v.inputFingerprint = "movie.tif:1000:2"; variants.append(v)
        v = Self.runRecord; v.toolVersion = "9.9.9"; variants.append(v)
        var ids: Set<Int64> = [base.runID]
        for variant in variants {
            XCTAssertNotEqual(variant.parameterHash, Self.runRecord.parameterHash)
            let progress = try store.beginOrResume(run: variant)
            XCTAssertFalse(progress.resumed)
            XCTAssertTrue(progress.movies.isEmpty)
            ids.insert(progress.runID)
        }
        XCTAssertEqual(ids.count, 5)
        // The original run is still resumable and untouched.
        let original = try store.beginOrResume(run: Self.runRecord)
        XCTAssertEqual(original.runID, base.runID)
        XCTAssertEqual(original.movies.first?.lastCommittedFrameIndex, 3)
    }

    func testSeveralMoviesAndRunsLiveInOneFile() throws {
        let store = try Store(path: dbPath())
        for (i, name) in ["pos1", "pos2"].enumerated() {
            var run = Self.runRecord
            run.commandLine += " --position \(i)"
            try fillSynthetic(store, parameters: .init(roots: 4, frames: 6, seed: UInt64(i + 1)), run: run, name: name)
        }
        let progress = try store.beginOrResume(run: Self.runRecord)
        let synthetic = SyntheticLineage.generate(.init(roots: 3, frames: 4, seed: 5))
        let a = try store.addMovie(synthetic.movie, runID: progress.runID)
        var other = synthetic.movie
        other.name = "second"
        let b = try store.addMovie(other, runID: progress.runID)
        XCTAssertNotEqual(a.movieID, b.movieID)
        try store.writeFrame(synthetic.frames[0].frame, cells: synthetic.frames[0].cells, movieID: a.movieID)
        let resumed = try store.beginOrResume(run: Self.runRecord)
        XCTAssertEqual(resumed.movies.map(\.name), ["second", "synthetic"])
        XCTAssertEqual(resumed.movies.map(\.lastCommittedFrameIndex), [nil, 0])
        // Re-adding a movie of the run with different input is refused, not mixed.
        var changed = synthetic.movie
        changed.inputHash = "other"
        XCTAssertThrowsError(try store.addMovie(changed, runID: progress.runID)) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .invalidArgument)
        }
        XCTAssertEqual(try store.count(query: "SELECT * FROM movie"), 4)
        XCTAssertEqual(try store.count(query: "SELECT * FROM run_summary"), 3)
        try store.checkIntegrity()
    }

    func testParameterHashIsStable() {
        // Pinned: resume across celltrack versions depends on it never changing.
        XCTAssertEqual(StableHash.fnv1a64Hex(""), "cbf29ce484222325")
        XCTAssertEqual(StableHash.fnv1a64Hex("a"), "af63dc4c8601ec8c")
        XCTAssertEqual(Self.runRecord.parameterHash.count, 16)
    }
}
