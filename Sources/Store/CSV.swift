import CSQLite

/// RFC 4180 CSV building (pure string functions) and export of any table, view or query.
///
/// Format choices (documented in README.md, "SQL cookbook"):
/// - a header row with the column names; records end with CRLF as RFC 4180 says;
/// - fields containing a comma, a double quote, CR or LF are quoted, quotes doubled;
/// - NULL → empty field; integers in decimal; doubles in the shortest form that reads back to the
///   same bits (Swift's `description`: `0.1`, `1e-07`, `inf`);
/// - text as stored (timestamps are already ISO 8601 text in the database);
/// - BLOBs (the `mask_rle` column) as lowercase hex, so nothing is lost; select the columns you
///   want with `--query` to leave them out.
///
/// ```swift
/// var csv = ""
/// let rows = try store.exportCSV(table: "movie_growth") { csv += $0 }
/// ```
public enum CSV {
    /// One field, quoted when needed.
    public static func field(_ text: String) -> String {
        var needsQuotes = false
        for byte in text.utf8 where byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            needsQuotes = true
            break
        }
        guard needsQuotes else { return text }
        var out = "\""
        for ch in text.unicodeScalars {
            if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
        }
        return out + "\""
    }

    /// One record (fields joined by commas, CRLF at the end).
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// A double in the shortest text that parses back to the same value.
    public static func number(_ value: Double) -> String { value.description }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Store {
    /// Writes a table or view as CSV through `write` (called with chunks of about 64 KB) and
    /// returns the number of data rows. Throws `.invalidArgument` naming the available tables when
    /// `table` is not one.
    @discardableResult
    public func exportCSV(table: String, write: (String) throws -> Void) throws -> Int {
        let names = try tableNames()
        guard names.contains(table) else {
            throw StoreError(path: path, kind: .invalidArgument,
                             message: "no table or view named '\(table)'; available: \(names.joined(separator: ", "))")
        }
        let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        return try exportCSV(query: "SELECT * FROM \(quoted)", write: write)
    }

    /// Writes the result of one SQL query (read-only statements only) as CSV through `write`.
    @discardableResult
    public func exportCSV(query sql: String, write: (String) throws -> Void) throws -> Int {
        let stmt: Statement
        do {
            stmt = try connection.prepare(sql)
        } catch var error as StoreError {
            error.message = "invalid query: " + error.message
            throw error
        }
        guard sqlite3_stmt_readonly(stmt.handle) != 0 else {
            throw StoreError(path: path, kind: .invalidArgument, message: "export queries must only read (SELECT/WITH); got: \(sql)")
        }
        let columns = stmt.columnCount
        var buffer = CSV.record((0..<columns).map { stmt.columnName($0) })
        var fields = [String](repeating: "", count: Int(columns))
        var rows = 0
        while try stmt.step() {
            for i in 0..<columns {
                switch stmt.columnType(i) {
                case SQLITE_NULL: fields[Int(i)] = ""
                case SQLITE_INTEGER: fields[Int(i)] = String(stmt.int64(i))
                case SQLITE_FLOAT: fields[Int(i)] = CSV.number(stmt.double(i))
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(stmt.handle, i))
                    fields[Int(i)] = CSV.hex(UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt.handle, i), count: n))
                default: fields[Int(i)] = stmt.text(i)
                }
            }
            buffer += CSV.record(fields)
            rows += 1
            if buffer.utf8.count >= 65_536 {
                try write(buffer)
                buffer = ""
            }
        }
        if !buffer.isEmpty { try write(buffer) }
        return rows
    }
}

extension String {
    /// `replacingOccurrences` without Foundation.
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
