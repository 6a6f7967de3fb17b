import Foundation
import XCTest
import CellTrackCore
@testable import ImageIO

/// Fixture paths and the expected values written by scripts/make_tiff_fixtures.py.
enum Fixtures {
    static var folder: String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path
    }

    static func path(_ name: String) -> String { folder + "/" + name }

    static let expected: [String: [String: Any]] = {
        let url = URL(fileURLWithPath: path("expected.json"))
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
    }()

    static func doubles(_ value: Any?) -> [Double] { (value as? [Any] ?? []).map { ($0 as! NSNumber).doubleValue } }
    static func frames(_ value: Any?) -> [[Double]] { (value as? [Any] ?? []).map { doubles($0) } }
}

/// A fresh temporary folder per test, removed afterwards.
func makeTemporaryFolder(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "celltrack-io-\(safe)-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func assertClose(_ actual: [Float], _ expected: [Double], relative: Double = 1e-6, _ message: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(message): pixel count", file: file, line: line)
    var mismatches = 0
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let tolerance = relative * max(1, abs(e))
        if abs(Double(a) - e) > tolerance {
            if mismatches < 3 { XCTFail("\(message): pixel \(index) is \(a), expected \(e)", file: file, line: line) }
            mismatches += 1
        }
    }
    XCTAssertEqual(mismatches, 0, "\(message): mismatching pixels", file: file, line: line)
}

/// Asserts that `body` throws an InputError whose message names `fileFragment`; returns it.
@discardableResult
func assertInputError(_ fileFragment: String, file: StaticString = #filePath, line: UInt = #line,
                      _ body: () throws -> Void) -> InputError? {
    do {
        try body()
        XCTFail("expected an InputError naming \(fileFragment)", file: file, line: line)
    } catch let error as InputError {
        XCTAssertTrue(error.description.contains(fileFragment), "message '\(error)' does not name \(fileFragment)", file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), "message must be one line: \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected InputError, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}
