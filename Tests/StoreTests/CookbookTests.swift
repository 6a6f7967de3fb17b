import Foundation
import XCTest
@testable import Store

/// Every ```sql block of the README (its SQL cookbook) runs against a synthetic lineage and returns rows.
final class CookbookTests: StoreTestCase {
    static func sqlBlocks(in markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]? = nil
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```sql" {
                current = []
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    func testEveryCookbookQueryReturnsRows() throws {
        let readme = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let cookbook = Self.sqlBlocks(in: readme)
        XCTAssertGreaterThanOrEqual(cookbook.count, 6)
        let blocks = cookbook
        let store = try Store(path: dbPath())
        try fillSynthetic(store, parameters: .init(roots: 15, frames: 36, frameIntervalMin: 5, seed: 21))
        for (i, sql) in blocks.enumerated() {
            let statement = sql.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
            var csv = ""
            let rows = try store.exportCSV(query: statement) { csv += $0 }
            XCTAssertGreaterThan(rows, 0, "cookbook query \(i + 1) returned no rows:\n\(sql)")
            // The statistics queries (1-5, 8) must not come out NULL (e.g. a correlation over too few pairs).
            if i < cookbook.count, [0, 1, 2, 3, 4, 7].contains(i) {
                let parsed = try RFC4180.parse(csv)
                XCTAssertFalse(parsed[1].contains(""), "query \(i + 1) has NULLs:\n\(csv)")
            }
        }
    }
}
