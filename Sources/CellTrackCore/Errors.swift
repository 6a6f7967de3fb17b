/// Bad input data: the message names the file, the frame (page) and the problem.
/// The CLI prints `description` and exits with code 1.
public struct InputError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String?
    public var frame: Int?
    public var problem: String

    public init(file: String? = nil, frame: Int? = nil, problem: String) {
        self.file = file
        self.frame = frame
        self.problem = problem
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let frame { parts.append("frame \(frame)") }
        parts.append(problem)
        return parts.joined(separator: ": ")
    }
}

/// A parameter outside its valid range. The CLI prints it and exits with code 2 (usage) or 1
/// when it came from a configuration file.
public enum ParameterError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalid(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(name, value, reason): return "invalid \(name) '\(value)': \(reason)"
        }
    }
}
