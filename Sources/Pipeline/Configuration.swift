import CellTrackCore
import Foundation
import Lineage
import Segmentation
import Tracking

/// Every parameter of `celltrack run`, as one JSON document (`--config FILE`, `--print-config`).
/// The resolved configuration is stored with each run as provenance.
///
/// ```swift
/// var config = try PipelineConfiguration.load(json: #"{"segmentation": {"openRadius": 3}}"#)
/// config.linking.maxGapFrames = 1
/// try config.validate()
/// ```
public struct PipelineConfiguration: Codable, Equatable, Sendable {
    /// Channel (0-based) that is segmented; every other channel is measured per cell.
    /// nil: channel 0 of a hyperstack, the grey conversion of an RGB image.
    public var segmentChannel: Int? = nil
    /// µm per pixel. nil: from the file's metadata (then the segmentation's default scale).
    public var pixelSizeUm: Double? = nil
    /// Minutes between frames. nil: from the file's metadata; `run` stops if it is unknown.
    public var frameIntervalMin: Double? = nil
    public var segmentation = SegmentationParameters()
    public var linking = LinkingParameters()
    public var lineage = LineageParameters()

    public init() {}

    /// Throws `ParameterError` naming the first parameter out of range.
    public func validate() throws {
        if let c = segmentChannel, c < 0 {
            throw ParameterError.invalid(name: "segmentChannel", value: "\(c)", reason: "must be 0 or more")
        }
        if let p = pixelSizeUm, !(p > 0 && p.isFinite) {
            throw ParameterError.invalid(name: "pixelSizeUm", value: "\(p)", reason: "must be a positive number of µm")
        }
        if let i = frameIntervalMin, !(i > 0 && i.isFinite) {
            throw ParameterError.invalid(name: "frameIntervalMin", value: "\(i)", reason: "must be a positive number of minutes")
        }
        try segmentation.validate()
        try linking.validate()
        try lineage.validate()
    }

    /// Pretty, key-sorted JSON: stable text for `--print-config` and for the run's provenance.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a configuration in which every key is optional: given keys override the defaults,
    /// unknown keys are an error (a misspelt key must never be silently ignored).
    public static func load(json text: String) throws -> PipelineConfiguration {
        guard let data = text.data(using: .utf8),
              let user = try? JSONSerialization.jsonObject(with: data) else {
            throw ConfigurationError.notJSON
        }
        guard let userObject = user as? [String: Any] else { throw ConfigurationError.notAnObject(path: "") }
        let defaults = PipelineConfiguration()
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as! [String: Any]
        let merged = try merge(userObject, over: encoded, shape: defaults, path: "")
        let mergedData = try JSONSerialization.data(withJSONObject: merged)
        let config: PipelineConfiguration
        do {
            config = try JSONDecoder().decode(PipelineConfiguration.self, from: mergedData)
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigurationError.badValue(path: keyPath(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.typeMismatch(type, context) {
            throw ConfigurationError.badValue(path: keyPath(context.codingPath), reason: "expected \(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw ConfigurationError.badValue(path: keyPath(context.codingPath), reason: "expected \(type), got null")
        } catch {
            throw ConfigurationError.badValue(path: "", reason: "\(error)")
        }
        try config.validate()
        return config
    }

    /// Lays `user` over `defaults` key by key. A key is known when the encoded defaults hold it or
    /// when the Swift value `shape` has a stored property of that name (optionals that are nil
    /// by default are not encoded).
    private static func merge(_ user: [String: Any], over defaults: [String: Any], shape: Any,
                              path: String) throws -> [String: Any] {
        var result = defaults
        let properties = Dictionary(Mirror(reflecting: shape).children.compactMap { child in
            child.label.map { ($0, child.value) }
        }, uniquingKeysWith: { first, _ in first })
        for key in user.keys.sorted() {
            let fullPath = path.isEmpty ? key : path + "." + key
            guard let property = properties[key] else { throw ConfigurationError.unknownKey(path: fullPath) }
            let value = user[key]!
            if let nestedUser = value as? [String: Any], let nestedDefault = defaults[key] as? [String: Any] {
                result[key] = try merge(nestedUser, over: nestedDefault, shape: property, path: fullPath)
            } else if value is NSNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = value
            }
        }
        return result
    }

    private static func keyPath(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// A configuration file that cannot be used.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible, Sendable {
    case notJSON
    case notAnObject(path: String)
    case unknownKey(path: String)
    case badValue(path: String, reason: String)

    public var description: String {
        switch self {
        case .notJSON: return "not valid JSON"
        case let .notAnObject(path): return "\(path.isEmpty ? "the configuration" : "'\(path)'") must be a JSON object"
        case let .unknownKey(path): return "unknown key '\(path)' (celltrack run --print-config lists every key)"
        case let .badValue(path, reason): return "bad value for '\(path)': \(reason)"
        }
    }
}
