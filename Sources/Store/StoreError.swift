import CSQLite

/// A database problem. `description` names the database file and what went wrong, so the CLI can
/// print it as is and exit 1. Whatever the kind, committed frames are never lost: a failing write
/// rolls its transaction back.
///
/// ```swift
/// do { _ = try Store(path: "run.db") }
/// catch let error as StoreError where error.kind == .newerSchema(found: 2, supported: 1) { print(error) }
/// ```
public struct StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The file cannot be opened or created (missing directory, permissions).
        case cannotOpen
        /// The file or its directory is read-only, so celltrack cannot write its results there.
        case readOnly
        /// The file exists but is not an SQLite database.
        case notADatabase
        /// The database file is damaged.
        case corrupt
        /// A SQLite database, but not one made by celltrack.
        case foreignDatabase
        /// Made by a newer celltrack; this version does not know its schema.
        case newerSchema(found: Int, supported: Int)
        /// Another process holds the write lock longer than the busy timeout.
        case busy
        /// The disk (or the database's size limit) is full; the current transaction was rolled back.
        case diskFull
        /// A value violates the schema (NOT NULL, CHECK, UNIQUE, foreign key).
        case constraint
        /// The caller asked for something inconsistent (unknown table, mismatched movie, …).
        case invalidArgument
        /// Any other SQLite error, with its extended result code.
        case sqlite(code: Int32)
    }

    public var path: String
    public var kind: Kind
    public var message: String

    public init(path: String, kind: Kind, message: String) {
        self.path = path
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    /// Classifies an SQLite result code; `detail` is sqlite3_errmsg or similar.
    static func from(code: Int32, path: String, detail: String, context: String) -> StoreError {
        let prefix = context.isEmpty ? "" : context + ": "
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StoreError(path: path, kind: .busy,
                              message: "\(prefix)the database is locked by another writer (\(detail)); nothing was written, try again when the other process has finished")
        case SQLITE_FULL:
            return StoreError(path: path, kind: .diskFull,
                              message: "\(prefix)disk full or database size limit reached (\(detail)); the current transaction was rolled back, committed frames are kept")
        case SQLITE_NOTADB:
            return StoreError(path: path, kind: .notADatabase, message: "\(prefix)the file is not an SQLite database (\(detail))")
        case SQLITE_CORRUPT:
            return StoreError(path: path, kind: .corrupt, message: "\(prefix)the database file is corrupt (\(detail))")
        case SQLITE_READONLY:
            return StoreError(path: path, kind: .readOnly,
                              message: "\(prefix)the database or its directory is read-only (\(detail)); choose a writable location")
        case SQLITE_CANTOPEN:
            return StoreError(path: path, kind: .cannotOpen, message: "\(prefix)cannot open or create the database file (\(detail))")
        case SQLITE_CONSTRAINT:
            return StoreError(path: path, kind: .constraint, message: "\(prefix)a value violates the schema (\(detail))")
        default:
            return StoreError(path: path, kind: .sqlite(code: code), message: "\(prefix)SQLite error \(code) (\(detail))")
        }
    }
}
