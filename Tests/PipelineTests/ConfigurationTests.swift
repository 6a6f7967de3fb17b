import XCTest
import CellTrackCore
@testable import Pipeline

final class ConfigurationTests: XCTestCase {
    func testEmptyObjectGivesTheDefaults() throws {
        XCTAssertEqual(try PipelineConfiguration.load(json: "{}"), PipelineConfiguration())
    }

    func testPartialNestedKeysOverrideOnlyThemselves() throws {
        let config = try PipelineConfiguration.load(json: """
            {"segmentation": {"openRadius": 5, "h": 2.5}, "linking": {"maxGapFrames": 1}, "frameIntervalMin": 3}
            """)
        var expected = PipelineConfiguration()
        expected.segmentation.openRadius = 5
        expected.segmentation.h = 2.5
        expected.linking.maxGapFrames = 1
        expected.frameIntervalMin = 3
        XCTAssertEqual(config, expected)
    }

    func testUnknownKeysAreErrorsWithTheirPath() {
        XCTAssertThrowsError(try PipelineConfiguration.load(json: #"{"segmentaton": {}}"#)) { error in
            XCTAssertEqual(error as? ConfigurationError, .unknownKey(path: "segmentaton"))
        }
        XCTAssertThrowsError(try PipelineConfiguration.load(json: #"{"linking": {"maxGap": 1}}"#)) { error in
            XCTAssertEqual(error as? ConfigurationError, .unknownKey(path: "linking.maxGap"))
        }
    }

    func testBadValuesAreReported() {
        XCTAssertThrowsError(try PipelineConfiguration.load(json: #"{"segmentation": {"openRadius": "big"}}"#)) { error in
            guard case .badValue(let path, _)? = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "segmentation.openRadius")
        }
        XCTAssertThrowsError(try PipelineConfiguration.load(json: #"{"frameIntervalMin": -1}"#)) { error in
            XCTAssertTrue(error is ParameterError, "\(error)")
        }
        XCTAssertThrowsError(try PipelineConfiguration.load(json: "[1, 2]"))
        XCTAssertThrowsError(try PipelineConfiguration.load(json: "{nope"))
    }

    func testPrintedConfigurationLoadsBackUnchanged() throws {
        var config = PipelineConfiguration()
        config.segmentation.minArea = 40
        config.pixelSizeUm = 0.065
        XCTAssertEqual(try PipelineConfiguration.load(json: config.jsonText()), config)
    }
}
