import CLibTIFF
import CellTrackCore

/// One open libtiff handle with its own message record (libtiff 4.5 per-handle handlers), so
/// separate handles can be used from separate threads and libtiff never prints to the terminal.
///
/// Not thread-safe itself: one handle, one thread at a time.
final class TIFFHandle {
    let path: String
    let tiff: OpaquePointer
    private let messages: UnsafeMutablePointer<ct_messages>
    private var isClosed = false

    private static let installGlobalHandlers: Void = { ct_silence_global_handlers() }()

    /// Opens `path`. `mode` is libtiff's: "r", "r+", "w", "w8" (BigTIFF).
    init(path: String, mode: String) throws {
        _ = TIFFHandle.installGlobalHandlers
        self.path = path
        let record = UnsafeMutablePointer<ct_messages>.allocate(capacity: 1)
        ct_messages_reset(record)
        ct_messages_reset(ct_thread_messages())
        guard let handle = ct_open(path, mode, record) else {
            let message = TIFFHandle.firstError(record) ?? TIFFHandle.firstError(ct_thread_messages())
            record.deallocate()
            throw InputError(file: path, problem: TIFFHandle.explainOpenFailure(path: path, libtiff: message))
        }
        self.tiff = handle
        self.messages = record
    }

    deinit { closeHandle() }

    func closeHandle() {
        guard !isClosed else { return }
        isClosed = true
        TIFFClose(tiff)
        messages.deallocate()
    }

    /// Clears the message record before an operation whose errors we want to report.
    func resetMessages() {
        ct_messages_reset(messages)
        ct_messages_reset(ct_thread_messages())
    }

    /// The first error libtiff reported since the last reset, if any.
    var firstError: String? {
        TIFFHandle.firstError(messages) ?? TIFFHandle.firstError(ct_thread_messages())
    }

    private static func firstError(_ record: UnsafeMutablePointer<ct_messages>) -> String? {
        guard record.pointee.error_count > 0 else { return nil }
        return withUnsafeBytes(of: &record.pointee.first_error) {
            String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
        }
    }

    /// Turns libtiff's open failure into a short, user-facing problem.
    private static func explainOpenFailure(path: String, libtiff: String?) -> String {
        var info = stat()
        if stat(path, &info) != 0 { return "cannot open file (\(String(cString: strerror(errno))))" }
        if (info.st_mode & S_IFMT) == S_IFDIR { return "is a folder, not a TIFF file" }
        if info.st_size == 0 { return "empty file (0 bytes)" }
        if access(path, R_OK) != 0 { return "file is not readable (permission denied)" }
        if info.st_size < 8 { return "not a TIFF file (only \(info.st_size) bytes)" }
        if let libtiff {
            if libtiff.contains("Not a TIFF") || libtiff.contains("bad magic number") {
                return "not a TIFF file"
            }
            return "cannot read TIFF header (\(libtiff))"
        }
        return "cannot open as TIFF"
    }

    // MARK: tag access

    func u16(_ tag: Int32) -> UInt16? {
        var value: UInt16 = 0
        return ct_get_u16(tiff, UInt32(tag), &value) == 1 ? value : nil
    }
    func u16Defaulted(_ tag: Int32) -> UInt16 {
        var value: UInt16 = 0
        _ = ct_get_u16_defaulted(tiff, UInt32(tag), &value)
        return value
    }
    func u32(_ tag: Int32) -> UInt32? {
        var value: UInt32 = 0
        return ct_get_u32(tiff, UInt32(tag), &value) == 1 ? value : nil
    }
    func float(_ tag: Int32) -> Float? {
        var value: Float = 0
        return ct_get_float(tiff, UInt32(tag), &value) == 1 ? value : nil
    }
    func string(_ tag: Int32) -> String? {
        var value: UnsafePointer<CChar>? = nil
        guard ct_get_string(tiff, UInt32(tag), &value) == 1, let value else { return nil }
        return String(cString: value)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
