import ArgumentParser
import Foundation
import ImageIO
import Store

/// `celltrack export …`: results out of the database. `csv` lives here; `ctc` is added by the
/// tracking work.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export results from a celltrack database.",
        subcommands: [ExportCSV.self, ExportCTC.self]
    )
}

struct ExportCSV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv",
        abstract: "Write a table, a view or a query result as CSV (RFC 4180).",
        discussion: """
            A header row, CRLF line ends, NULL as an empty field, doubles at full precision (shortest
            round-trip form), timestamps as stored (ISO 8601 UTC), BLOB columns (cell.mask_rle) as
            lowercase hex. Every table and view is exportable, e.g. --table movie_growth.
            Use --query to choose columns, e.g. --query "SELECT cell_id, length_um FROM cell".
            Exit code 1 when the database or the table cannot be read.
            """
    )

    @Option(help: "The celltrack database (SQLite) to read.")
    var db: String

    @Option(help: "A table or view to export (all its columns).")
    var table: String?

    @Option(help: "A read-only SQL query (SELECT or WITH) to export instead of a table.")
    var query: String?

    @Option(help: "Output CSV file, or - for standard output.")
    var out: String

    func validate() throws {
        guard (table == nil) != (query == nil) else {
            throw ValidationError("give exactly one of --table NAME or --query SQL")
        }
    }

    func run() throws {
        // StoreError and OutputError print "celltrack: FILE: problem" and exit 1.
        try runReportingErrors {
            let store = try Store(path: db, options: Store.Options(readOnly: true))
            let sink = try CSVSink(path: out)
            do {
                if let table {
                    try store.exportCSV(table: table, write: sink.write)
                } else if let query {
                    try store.exportCSV(query: query, write: sink.write)
                }
            } catch {
                sink.discard()
                throw error
            }
            try sink.close()
        }
    }
}

/// Where CSV chunks go: standard output for `-`, otherwise a file written beside its final name
/// and renamed at the end, so a failed export never leaves a truncated CSV behind.
final class CSVSink {
    private let path: String
    private let temporaryPath: String?
    private let handle: UnsafeMutablePointer<FILE>

    init(path: String) throws {
        self.path = path
        if path == "-" {
            temporaryPath = nil
            handle = stdout
        } else {
            let temporary = path + ".partial"
            guard let file = fopen(temporary, "wb") else {
                throw OutputError(file: path, problem: "cannot write the CSV file (\(String(cString: strerror(errno))))")
            }
            temporaryPath = temporary
            handle = file
        }
    }

    func write(_ chunk: String) throws {
        var chunk = chunk
        let written = chunk.withUTF8 { fwrite($0.baseAddress, 1, $0.count, handle) == $0.count }
        guard written else {
            throw OutputError(file: path, problem: "writing the CSV failed (\(String(cString: strerror(errno))))")
        }
    }

    /// Removes the partial file after a failed export.
    func discard() {
        guard let temporaryPath else { return }
        fclose(handle)
        unlink(temporaryPath)
    }

    func close() throws {
        guard let temporaryPath else {
            fflush(handle)
            return
        }
        let ok = fclose(handle) == 0
        guard ok, rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw OutputError(file: path, problem: "cannot finish the CSV file (\(String(cString: strerror(errno))))")
        }
    }
}
