import ArgumentParser
import CellTrackCore
import ImageIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one line to standard error.
func printError(_ message: String) {
    fputs("celltrack: \(message)\n", stderr)
}

/// Runs a command body and maps our errors to the CLI contract: `InputError` and `OutputError`
/// print one line on stderr and exit 1, `ParameterError` exits 2 (usage); ArgumentParser's own
/// errors and `ExitCode` pass through unchanged. Never a stack trace.
///
/// ```swift
/// func run() throws { try runReportingErrors { try doTheWork() } }
/// ```
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as InputError {
        printError(error.description)
        throw ExitCode(1)
    } catch let error as OutputError {
        printError(error.description)
        throw ExitCode(1)
    } catch let error as ParameterError {
        printError(error.description)
        throw ExitCode(2)
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        if error is ValidationError { throw error }
        printError("\(error)")
        throw ExitCode(1)
    }
}

extension CellTrack {
    /// Entry point: ArgumentParser's own, except that usage errors exit with 2 (the CLI
    /// contract: 0 ok, 1 bad input, 2 usage) instead of ArgumentParser's EX_USAGE (64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                fputs(fullMessage(for: error) + "\n", stderr)
                terminateProcess(2)
            }
            exit(withError: error)
        }
    }
}

/// `exit` without the name clash with ParsableCommand's `exit(withError:)`.
private func terminateProcess(_ code: Int32) -> Never {
    #if canImport(Glibc)
    Glibc.exit(code)
    #else
    Darwin.exit(code)
    #endif
}
