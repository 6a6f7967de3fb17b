import Foundation
import XCTest
@testable import Store

final class CSVTests: StoreTestCase {
    func testFieldQuotingFollowsRFC4180() {
        XCTAssertEqual(CSV.field("plain"), "plain")
        XCTAssertEqual(CSV.field("a,b"), "\"a,b\"")
        XCTAssertEqual(CSV.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSV.field("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSV.field("cr\r"), "\"cr\r\"")
        XCTAssertEqual(CSV.field(""), "")
        XCTAssertEqual(CSV.record(["x", "y,z"]), "x,\"y,z\"\r\n")
        let tricky = ["", "a,b", "\"", "é µm", "line\r\nbreak", "x"]
        XCTAssertEqual(try RFC4180.parse(CSV.record(tricky) + CSV.record(["1", "2", "3", "4", "5", "6"])),
                       [tricky, ["1", "2", "3", "4", "5", "6"]])
    }

    func testDoublesRoundTripAtFullPrecision() throws {
        let store = try Store(path: dbPath())
        var csv = ""
        try store.exportCSV(query: "SELECT 0.1 AS a, 1.0/3 AS b, 1e-300 AS c, 123456789.123456789 AS d, 2.0 AS e, -0.0 AS f, 1e308*10 AS g") { csv += $0 }
        let rows = try RFC4180.parse(csv)
        XCTAssertEqual(rows[0], ["a", "b", "c", "d", "e", "f", "g"])
        let values = rows[1].map { Double($0)! }
        XCTAssertEqual(values[0], 0.1)
        XCTAssertEqual(values[1], 1.0 / 3)
        XCTAssertEqual(values[2], 1e-300)
        XCTAssertEqual(values[3], 123456789.123456789)
        XCTAssertEqual(values[4], 2)
        XCTAssertEqual(values[6], .infinity)
    }

    func testEveryTableAndViewExportsWithRowCountsEqualToSQL() throws {
        let store = try Store(path: dbPath())
        try fillSynthetic(store)
        for table in try store.tableNames() {
            var csv = ""
            let returned = try store.exportCSV(table: table) { csv += $0 }
            let rows = try RFC4180.parse(csv)
            let expected = try store.count(query: "SELECT * FROM \"\(table)\"")
            XCTAssertEqual(returned, expected, table)
            XCTAssertEqual(rows.count, expected + 1, table)
            let width = rows[0].count
            XCTAssertTrue(rows.allSatisfy { $0.count == width }, table)
            XCTAssertGreaterThan(expected, 0, "\(table) is empty on the synthetic lineage")
        }
    }

    func testTimestampsAreISOAndBlobsAreHex() throws {
        let store = try Store(path: dbPath())
        try fillSynthetic(store, parameters: .init(roots: 2, frames: 2, seed: 1))
        var csv = ""
        try store.exportCSV(query: "SELECT started_at, ended_at FROM run") { csv += $0 }
        let row = try RFC4180.parse(csv)[1]
        for stamp in row {
            XCTAssertNotNil(stamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression), stamp)
        }
        csv = ""
        try store.exportCSV(query: "SELECT mask_rle, hex(mask_rle) AS upper FROM cell") { csv += $0 }
        for r in try RFC4180.parse(csv).dropFirst() {
            XCTAssertEqual(r[0], r[1].lowercased())
            XCTAssertFalse(r[0].isEmpty)
        }
    }

    func testUnknownTableAndWritingQueriesAreRefused() throws {
        let store = try Store(path: dbPath())
        XCTAssertThrowsError(try store.exportCSV(table: "cells") { _ in }) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .invalidArgument)
            XCTAssertTrue("\(error)".contains("available: "), "\(error)")
            XCTAssertTrue("\(error)".contains("movie_growth"), "\(error)")
        }
        XCTAssertThrowsError(try store.exportCSV(query: "DELETE FROM run") { _ in }) { error in
            XCTAssertEqual((error as? StoreError)?.kind, .invalidArgument)
        }
        XCTAssertThrowsError(try store.exportCSV(query: "SELEKT 1") { _ in }) { error in
            XCTAssertTrue("\(error)".contains("invalid query"), "\(error)")
        }
    }
}
