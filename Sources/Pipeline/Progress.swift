import Foundation

/// Reports progress of a run: a live line on a terminal, plain periodic lines otherwise
/// (log files, CI), or nothing with `quiet`.
///
/// ```swift
/// let progress = ProgressReporter(total: 120, mode: .automatic)
/// progress.update(done: 10, cells: 532)   // "frame 10/120  3.2 frames/s  532 cells  ETA 34 s"
/// progress.finish()
/// ```
public final class ProgressReporter: @unchecked Sendable {
    public enum Mode: Sendable { case automatic, liveLine, logLines, quiet }

    private let total: Int
    private let live: Bool
    private let quiet: Bool
    private let start: Date
    private let logInterval: TimeInterval
    private var lastPrinted: Date = .distantPast
    private var lastLength = 0
    private let sink: (String) -> Void

    /// - Parameters:
    ///   - total: frames to process in this run (after any resumed frames).
    ///   - logInterval: seconds between plain log lines when not on a terminal.
    ///   - sink: where text goes; standard error by default, so stdout stays clean for data.
    public init(total: Int, mode: Mode = .automatic, logInterval: TimeInterval = 10,
                sink: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        self.quiet = mode == .quiet
        switch mode {
        case .automatic: self.live = isatty(fileno(stderr)) != 0
        case .liveLine: self.live = true
        case .logLines, .quiet: self.live = false
        }
        self.start = Date()
        self.logInterval = logInterval
        self.sink = sink
    }

    /// Call after each frame is committed.
    public func update(done: Int, cells: Int, now: Date = Date()) {
        guard !quiet else { return }
        let elapsed = now.timeIntervalSince(start)
        let minimumGap = live ? 0.2 : logInterval
        guard done == total || now.timeIntervalSince(lastPrinted) >= minimumGap else { return }
        lastPrinted = now
        let line = Self.describe(done: done, total: total, cells: cells, elapsed: elapsed)
        if live {
            let padding = String(repeating: " ", count: max(0, lastLength - line.count))
            sink("\r" + line + padding)
            lastLength = line.count
        } else {
            sink(line + "\n")
        }
    }

    /// A line of its own (not with `quiet`), e.g. a choice made for the whole movie.
    public func note(_ text: String) {
        guard !quiet else { return }
        sink(text + "\n")
    }

    /// Ends the live line so the summary starts on a fresh line.
    public func finish() {
        if live && !quiet && lastLength > 0 { sink("\n") }
    }

    static func describe(done: Int, total: Int, cells: Int, elapsed: TimeInterval) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "frame \(done)/\(total)  \(String(format: "%.2f", rate)) frames/s  \(cells) cells"
        if done < total, rate > 0 {
            text += "  ETA \(formatDuration(Double(total - done) / rate))"
        }
        return text
    }

    /// "42 s", "3 min 05 s", "2 h 07 min".
    public static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60)
    }
}
