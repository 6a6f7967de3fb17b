import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thin owner of one `sqlite3*` connection. Not thread-safe: one owner (the `Store`) uses it.
final class Connection {
    let handle: OpaquePointer
    let path: String

    /// Opens (creating when `create`) the file. Errors name the path and the OS reason.
    init(path: String, create: Bool, readOnly: Bool = false) throws {
        self.path = path
        var db: OpaquePointer?
        var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        flags |= SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let detail: String
            if let db {
                let errno = sqlite3_system_errno(db)
                detail = errno != 0 ? Connection.osMessage(errno) : String(cString: sqlite3_errmsg(db))
                sqlite3_close_v2(db)
            } else {
                detail = "out of memory"
            }
            throw StoreError.from(code: rc, path: path, detail: detail, context: "")
        }
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    static func osMessage(_ errno: Int32) -> String {
        // strerror is not thread-safe but only reads a static table for known codes on glibc.
        guard let text = strerror(errno) else { return "errno \(errno)" }
        return String(cString: text)
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ code: Int32, _ context: String = "") -> StoreError {
        var detail = lastMessage
        let errno = sqlite3_system_errno(handle)
        if errno != 0, code & 0xFF == SQLITE_CANTOPEN || code & 0xFF == SQLITE_IOERR || code & 0xFF == SQLITE_READONLY {
            detail += ": " + Connection.osMessage(errno)
        }
        return StoreError.from(code: code, path: path, detail: detail, context: context)
    }

    /// Runs one or more statements that return no rows of interest.
    func execute(_ sql: String, _ context: String = "") throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let detail = message.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(message)
            throw StoreError.from(code: rc, path: path, detail: detail, context: context)
        }
    }

    func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "preparing SQL") }
        return Statement(handle: stmt, connection: self)
    }

    /// The first column of the first row, as an integer (0 when there is no row).
    func scalarInt(_ sql: String) throws -> Int64 {
        let stmt = try prepare(sql)
        return try stmt.step() ? stmt.int64(0) : 0
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}

/// A prepared statement: bind (1-based), step, read columns (0-based), reset.
final class Statement {
    let handle: OpaquePointer
    unowned let connection: Connection

    init(handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    @inline(__always) func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    @inline(__always) func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
    @inline(__always) func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }
    @inline(__always) func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    @inline(__always) func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int?) {
        if let value { sqlite3_bind_int64(handle, index, Int64(value)) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        _ = value.withCString { chars in
            sqlite3_bind_text(handle, index, chars, -1, celltrack_sqlite_transient())
        }
    }

    @inline(__always) func bind(_ index: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress {
                sqlite3_bind_blob(handle, index, base, Int32(raw.count), celltrack_sqlite_transient())
            } else {
                sqlite3_bind_zeroblob(handle, index, 0)
            }
        }
    }

    /// Steps once; true when a row is available. Resets the statement on error.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let err = connection.error(rc)
        sqlite3_reset(handle)
        throw err
    }

    /// Steps a statement that returns no rows, then resets it so it can be bound again.
    @inline(__always)
    func run() throws {
        let rc = sqlite3_step(handle)
        if rc != SQLITE_DONE && rc != SQLITE_ROW {
            let err = connection.error(rc)
            sqlite3_reset(handle)
            throw err
        }
        sqlite3_reset(handle)
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    var columnCount: Int32 { sqlite3_column_count(handle) }
    func columnName(_ i: Int32) -> String { String(cString: sqlite3_column_name(handle, i)) }
    func columnType(_ i: Int32) -> Int32 { sqlite3_column_type(handle, i) }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    func int(_ i: Int32) -> Int { Int(sqlite3_column_int64(handle, i)) }
    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
    func optionalDouble(_ i: Int32) -> Double? { isNull(i) ? nil : double(i) }
    func optionalInt(_ i: Int32) -> Int? { isNull(i) ? nil : int(i) }

    func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(handle, i) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }

    func blob(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, i))
        guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
