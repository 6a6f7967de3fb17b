import ArgumentParser
import Foundation
import Store

/// Hidden `celltrack bench-store`: writes a synthetic movie (rod cells with masks, tracks,
/// divisions) through the Store exactly as the pipeline does — resume, one transaction per frame,
/// lineage at the end — and prints the store's figures. It resumes like `run`, so the kill test
/// (CLITests) interrupts it with SIGKILL and compares the result with an uninterrupted database.
struct BenchStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-store",
        abstract: "Benchmark the SQLite store with a synthetic movie (resumable).",
        shouldDisplay: false
    )

    @Option(help: "Database file (resumed when it holds an unfinished identical run).")
    var db: String

    @Option(help: "Cells at frame 0.")
    var roots: Int = 700

    @Option(help: "Frames.")
    var frames: Int = 20

    @Option(help: "Minutes between frames.")
    var intervalMin: Double = 2

    @Option(help: "Seed of the synthetic movie.")
    var seed: UInt64 = 1

    @Option(help: "Pause after each committed frame, in ms (to let tests interrupt the run).")
    var pauseMs: Int = 0

    @Option(help: "Crash test: SIGKILL this process inside frame N's transaction, after its rows are inserted and before the commit.")
    var crashInsideFrame: Int?

    @Option(help: "Also insert this many narrow rows (integer, double) into a scratch database to calibrate bind/step/reset.")
    var calibrateRows: Int = 0

    func run() throws {
        let parameters = SyntheticLineage.Parameters(roots: roots, frames: frames, frameIntervalMin: intervalMin, seed: seed)
        try runReportingErrors {
            try parameters.validate()
            try write(SyntheticLineage.generate(parameters), parameters: parameters)
        }
    }

    private func write(_ synthetic: SyntheticLineage, parameters: SyntheticLineage.Parameters) throws {
        let clock = ContinuousClock()
        let store = try Store(path: db)
        let runRecord = RunRecord(
            commandLine: "celltrack bench-store --roots \(roots) --frames \(frames) --interval-min \(intervalMin) --seed \(seed)",
            parametersJSON: #"{"roots":\#(roots),"frames":\#(frames),"intervalMin":\#(intervalMin),"seed":\#(seed)}"#,
            inputFingerprint: synthetic.movie.inputHash)
        let progress = try store.beginOrResume(run: runRecord)
        let movie = try store.addMovie(synthetic.movie, runID: progress.runID)
        let start = (movie.lastCommittedFrameIndex ?? -1) + 1
        print("store: run \(progress.runID) \(progress.resumed ? "resumed" : "new"), starting at frame \(start) of \(frames)")
        fflush(stdout)

        var cells = 0, channelRows = 0
        var frameTime = Duration.zero
        var cpuSeconds = 0.0
        for entry in synthetic.frames where entry.frame.frameIndex >= start {
            let began = clock.now
            let cpuBegan = threadCPUSeconds()
            try store.writeFrames([entry], movieID: movie.movieID) { frameIndex in
                if frameIndex == crashInsideFrame {
                    print("store: crashing inside frame \(frameIndex)")
                    fflush(stdout)
                    kill(getpid(), SIGKILL)
                }
            }
            cpuSeconds += threadCPUSeconds() - cpuBegan
            frameTime += clock.now - began
            cells += entry.cells.count
            channelRows += entry.cells.reduce(0) { $0 + $1.channels.count }
            print("store: committed frame \(entry.frame.frameIndex)")
            fflush(stdout)
            if pauseMs > 0 { usleep(useconds_t(pauseMs * 1000)) }
        }
        let lineageBegan = clock.now
        try store.replaceLineage(movieID: movie.movieID, tracks: synthetic.tracks, divisions: synthetic.divisions,
                                 assignments: synthetic.assignments)
        let lineageTime = clock.now - lineageBegan
        try store.finishRun(runID: progress.runID)
        try store.checkpoint()

        let seconds = Double(frameTime.components.seconds) + Double(frameTime.components.attoseconds) * 1e-18
        let lineageSeconds = Double(lineageTime.components.seconds) + Double(lineageTime.components.attoseconds) * 1e-18
        let written = synthetic.frames.count - start
        let totalCells = try store.count(query: "SELECT cell_id FROM cell")
        let size = (try? FileManager.default.attributesOfItem(atPath: db)[.size] as? Int) ?? 0
        func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        if written > 0, seconds > 0 {
            print("store: frames written \(written), cells \(cells), cell_channel rows \(channelRows), mean cells/frame \(cells / written)")
            print("store: rows/s (cells with masks) \(fmt(Double(cells) / seconds, 0)); rows/s (cells + channel rows) \(fmt(Double(cells + channelRows) / seconds, 0))")
            print("store: time in store per frame \(fmt(seconds * 1000 / Double(written), 2)) ms wall (one transaction per frame)")
            print("store: CPU in store per frame \(fmt(cpuSeconds * 1000 / Double(written), 2)) ms; CPU rows/s (cells with masks) \(fmt(Double(cells) / cpuSeconds, 0)), (cells + channel rows) \(fmt(Double(cells + channelRows) / cpuSeconds, 0))")
        }
        print("store: lineage (\(synthetic.tracks.count) tracks, \(synthetic.assignments.count) cell assignments) written in \(fmt(lineageSeconds * 1000, 1)) ms")
        if calibrateRows > 0 {
            let scratch = db + ".calibration"
            let rate = try Store.calibrateNarrowInserts(path: scratch, rows: calibrateRows)
            for suffix in ["", "-wal", "-shm"] { unlink(scratch + suffix) }
            print("store: calibration, narrow rows (integer, double) via bind/step/reset: \(fmt(rate, 0)) rows/s CPU")
        }
        if totalCells > 0 {
            print("store: database \(size) bytes for \(totalCells) cells = \(fmt(Double(size) / Double(totalCells), 1)) KB per 1,000 cells")
        }
    }
}

