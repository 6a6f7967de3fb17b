import Foundation

/// A fast 64-bit content hash of input files, recorded as provenance so a resumed run can
/// tell that its inputs did not change. Not cryptographic: it detects accidental change.
///
/// Processes 8-byte little-endian words with a multiply–xorshift mix (about 5 GB/s), so
/// hashing an overnight stack costs a fraction of reading it once.
///
/// ```swift
/// var h = ContentHasher()
/// h.update(Data("abc".utf8))
/// let hex = h.hexDigest   // 16 hex digits
/// ```
public struct ContentHasher: Sendable {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var length: UInt64 = 0
    private var tail: [UInt8] = []

    public init() {}

    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        var x = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 31
        x = (x &* 0x94D0_49BB_1331_11EB)
        return x ^ (x >> 29)
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update(bytes: $0) }
    }

    public mutating func update(bytes: UnsafeRawBufferPointer) {
        var offset = 0
        length &+= UInt64(bytes.count)
        // Complete a partial word left from the previous chunk first.
        while !tail.isEmpty && tail.count < 8 && offset < bytes.count {
            tail.append(bytes[offset]); offset += 1
        }
        if tail.count == 8 {
            state = Self.mix(state, Self.word(tail))
            tail.removeAll(keepingCapacity: true)
        }
        var h = state
        while offset + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            h = Self.mix(h, word)
            offset += 8
        }
        state = h
        while offset < bytes.count { tail.append(bytes[offset]); offset += 1 }
    }

    private static func word(_ bytes: [UInt8]) -> UInt64 {
        var w: UInt64 = 0
        for (i, b) in bytes.enumerated() { w |= UInt64(b) << (8 * UInt64(i)) }
        return w
    }

    public var digest: UInt64 {
        var h = state
        if !tail.isEmpty { h = Self.mix(h, Self.word(tail) ^ 0xFF) }
        return Self.mix(h, length)
    }

    public var hexDigest: String {
        let s = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Hashes the files' contents in order, streaming in 4 MiB chunks.
    public static func hashFiles(_ paths: [String]) throws -> String {
        var hasher = ContentHasher()
        for path in paths {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
            }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
                hasher.update(chunk)
            }
        }
        return hasher.hexDigest
    }
}
