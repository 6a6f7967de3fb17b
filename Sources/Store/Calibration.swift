import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Store {
    /// Benchmark helper: inserts `rows` narrow rows (an integer and a double) into a scratch table
    /// of a new database at `path` through the same prepared-statement path as `writeFrames`
    /// (bind/step/reset, one transaction), and returns rows per second of thread CPU time. It
    /// separates the wrapper's overhead from the cost of the wide, constrained `cell` rows.
    public static func calibrateNarrowInserts(path: String, rows: Int) throws -> Double {
        let connection = try Connection(path: path, create: true)
        try connection.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE scratch (a INTEGER NOT NULL, b REAL NOT NULL) STRICT")
        let insert = try connection.prepare("INSERT INTO scratch (a, b) VALUES (?1, ?2)")
        let began = threadCPUSeconds()
        try connection.execute("BEGIN IMMEDIATE")
        for i in 0..<rows {
            insert.bind(1, i)
            insert.bind(2, Double(i) * 0.5)
            try insert.run()
        }
        try connection.execute("COMMIT")
        return Double(rows) / max(threadCPUSeconds() - began, 1e-9)
    }
}

/// CPU time of the calling thread (comparable between runs on a loaded machine, unlike wall time).
public func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
