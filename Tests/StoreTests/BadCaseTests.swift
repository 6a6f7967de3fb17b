import CSQLite
import Foundation
import XCTest
@testable import Store

final class BadCaseTests: StoreTestCase {
    private func smallFrame(_ index: Int) -> (FrameRecord, [CellRecord]) {
        let synthetic = SyntheticLineage.generate(.init(roots: 40, frames: index + 1, seed: UInt64(index)))
        return synthetic.frames[index]
    }

    func testLockedByAnotherWriterFailsClearlyAndLosesNothing() throws {
        let store = try Store(path: dbPath(), options: .init(busyTimeoutMilliseconds: 100))
        let (_, movie, _) = try fillSynthetic(store, parameters: .init(roots: 3, frames: 2, seed: 1))
        let other = try Connection(path: dbPath(), create: false)
        try other.execute("BEGIN IMMEDIATE")
        var synthetic = SyntheticLineage.generate(.init(roots: 3, frames: 3, seed: 1))
        let frame = synthetic.frames.removeLast()
        let started = Date()
        XCTAssertThrowsError(try store.writeFrame(frame.frame, cells: frame.cells, movieID: movie.movieID)) { error in
            let e = error as? StoreError
            XCTAssertEqual(e?.kind, .busy)
            XCTAssertTrue("\(error)".hasPrefix(self.dbPath()), "\(error)")
            XCTAssertTrue("\(error)".contains("locked by another writer"), "\(error)")
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.09, "the busy timeout was not honoured")
        try other.execute("ROLLBACK")
        try store.writeFrame(frame.frame, cells: frame.cells, movieID: movie.movieID)
        XCTAssertEqual(try store.progress(movieID: movie.movieID).lastCommittedFrameIndex, 2)
    }

    func testDiskFullMidFrameRollsBackAndKeepsCommittedFrames() throws {
        let store = try Store(path: dbPath())
        let progress = try store.beginOrResume(run: Self.runRecord)
        let synthetic = SyntheticLineage.generate(.init(roots: 300, frames: 3, seed: 2))
        let movie = try store.addMovie(synthetic.movie, runID: progress.runID)
        try store.writeFrame(synthetic.frames[0].frame, cells: synthetic.frames[0].cells, movieID: movie.movieID)
        let before = try dump(store)
        let pages = try store.connection.scalarInt("PRAGMA page_count")
        try store.connection.execute("PRAGMA max_page_count = \(pages + 5)")
        XCTAssertThrowsError(try store.writeFrame(synthetic.frames[1].frame, cells: synthetic.frames[1].cells, movieID: movie.movieID)) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .diskFull)
            XCTAssertTrue("\(error)".contains("writing frame 1"), "\(error)")
            XCTAssertTrue("\(error)".contains("rolled back"), "\(error)")
        }
        XCTAssertFalse(store.connection.isInTransaction)
        XCTAssertEqual(try dump(store), before, "a partial frame was kept")
        XCTAssertEqual(try store.progress(movieID: movie.movieID).lastCommittedFrameIndex, 0)
        try store.checkIntegrity()
        // Space again: the same frame goes in.
        try store.connection.execute("PRAGMA max_page_count = 1073741823")
        try store.writeFrame(synthetic.frames[1].frame, cells: synthetic.frames[1].cells, movieID: movie.movieID)
        XCTAssertEqual(try store.cells(movieID: movie.movieID, frameIndex: 1).count, synthetic.frames[1].cells.count)
    }

    func testNewerSchemaVersionIsRefused() throws {
        _ = try Store(path: dbPath())
        let raw = try Connection(path: dbPath(), create: false)
        try raw.execute("PRAGMA user_version = \(Store.schemaVersion + 1)")
        XCTAssertThrowsError(try Store(path: dbPath())) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .newerSchema(found: Store.schemaVersion + 1, supported: Store.schemaVersion))
            XCTAssertTrue("\(error)".hasPrefix(self.dbPath()))
            XCTAssertTrue("\(error)".contains("newer celltrack"), "\(error)")
        }
        XCTAssertThrowsError(try Store(path: dbPath(), options: .init(readOnly: true)))
    }

    func testNotADatabaseIsRefusedAndLeftUntouched() throws {
        let junk = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try junk.write(to: URL(fileURLWithPath: dbPath()))
        XCTAssertThrowsError(try Store(path: dbPath())) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .notADatabase, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(self.dbPath()))
            XCTAssertTrue("\(error)".contains("not an SQLite database"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dbPath())), junk)
    }

    func testForeignSQLiteDatabaseIsRefused() throws {
        let raw = try Connection(path: dbPath(), create: true)
        try raw.execute("CREATE TABLE notes (x TEXT)")
        XCTAssertThrowsError(try Store(path: dbPath())) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .foreignDatabase, "\(error)")
        }
    }

    func testCorruptPagesAreReportedAsCorrupt() throws {
        do {
            let store = try Store(path: dbPath())
            try fillSynthetic(store, parameters: .init(roots: 30, frames: 6, seed: 4))
            try store.checkpoint()
        }
        // Overwrite the middle of the file (cell pages) with garbage; the header stays valid.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dbPath()))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        handle.write(Data(repeating: 0xA5, count: 16_384))
        try handle.close()
        let store = try Store(path: dbPath())
        XCTAssertThrowsError(try store.checkIntegrity()) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .corrupt, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(self.dbPath()))
        }
    }

    func testReadOnlyLocationFailsClearly() throws {
        let readOnlyDirectory: String
        if geteuid() == 0 {
            // root ignores permission bits; sysfs refuses new files even to root.
            readOnlyDirectory = "/sys"
            guard access("/sys", F_OK) == 0, creat("/sys/celltrack-probe", 0o644) < 0 else {
                throw XCTSkip("no read-only location available to root here")
            }
        } else {
            readOnlyDirectory = directory.appendingPathComponent("ro").path
            try FileManager.default.createDirectory(atPath: readOnlyDirectory, withIntermediateDirectories: false)
            XCTAssertEqual(chmod(readOnlyDirectory, 0o555), 0)
        }
        let path = readOnlyDirectory + "/out.db"
        XCTAssertThrowsError(try Store(path: path)) { error in
            let kind = (error as? StoreError)?.kind
            XCTAssertTrue(kind == .readOnly || kind == .cannotOpen, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
        }
        XCTAssertThrowsError(try Store(path: directory.appendingPathComponent("missing/out.db").path)) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .cannotOpen)
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    func testReadOnlyOpenRefusesWritesAndNeverCreates() throws {
        XCTAssertThrowsError(try Store(path: dbPath("absent.db"), options: .init(readOnly: true))) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .cannotOpen)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dbPath("absent.db")))
        do { try fillSynthetic(try Store(path: dbPath()), parameters: .init(roots: 2, frames: 2, seed: 1)) }
        let reader = try Store(path: dbPath(), options: .init(readOnly: true))
        XCTAssertEqual(try reader.count(query: "SELECT * FROM run"), 1)
        XCTAssertThrowsError(try reader.beginOrResume(run: Self.runRecord)) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .readOnly, "\(error)")
        }
    }
}
