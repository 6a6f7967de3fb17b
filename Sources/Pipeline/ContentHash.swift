import Foundation

/// A fast 64-bit content hash of input files, recorded as provenance so a resumed run can
/// tell that its inputs did not change. Not cryptographic: it detects accidental change.
///
/// Four independent lanes take the 8-byte little-endian words of each 32-byte block in turn,
/// each with a multiply–xorshift mix, so the four chains overlap in the CPU (about 4 GB/s; one
/// chain ran at about 1 GB/s and cost 60–90 ms before a 200-MB stack could start). The lanes,
/// the last partial block and the length are folded into one digest. Hashing in pieces of any
/// size gives the same digest as hashing the whole.
///
/// ```swift
/// var h = ContentHasher()
/// h.update(Data("abc".utf8))
/// let hex = h.hexDigest   // 16 hex digits
/// ```
public struct ContentHasher: Sendable {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) =
        (0x9E37_79B9_7F4A_7C15, 0xD1B5_4A32_D192_ED03, 0xAEF1_7502_108E_F2D9, 0x8CB9_2BA7_2F3D_8DD7)
    private var length: UInt64 = 0
    /// Bytes of an incomplete 32-byte block, carried to the next `update`.
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
        // Complete a partial block left from the previous piece first.
        if !tail.isEmpty {
            while tail.count < 32 && offset < bytes.count { tail.append(bytes[offset]); offset += 1 }
            guard tail.count == 32 else { return }
            var l = lanes
            tail.withUnsafeBytes { Self.absorb(&l, UnsafeRawBufferPointer($0), at: 0) }
            lanes = l
            tail.removeAll(keepingCapacity: true)
        }
        var l = lanes   // in registers across the loop
        while offset + 32 <= bytes.count {
            Self.absorb(&l, bytes, at: offset)
            offset += 32
        }
        lanes = l
        while offset < bytes.count { tail.append(bytes[offset]); offset += 1 }
    }

    /// Mixes the 32-byte block at `offset` into the four lanes, one word each.
    @inline(__always)
    private static func absorb(_ l: inout (UInt64, UInt64, UInt64, UInt64), _ bytes: UnsafeRawBufferPointer, at offset: Int) {
        @inline(__always) func word(_ k: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8 * k, as: UInt64.self))
        }
        l = (mix(l.0, word(0)), mix(l.1, word(1)), mix(l.2, word(2)), mix(l.3, word(3)))
    }

    public var digest: UInt64 {
        var h = Self.mix(Self.mix(Self.mix(lanes.0, lanes.1), lanes.2), lanes.3)
        var k = 0
        while k < tail.count {
            var w: UInt64 = 0
            for i in 0..<min(8, tail.count - k) { w |= UInt64(tail[k + i]) << (8 * UInt64(i)) }
            h = Self.mix(h, w ^ 0xFF)
            k += 8
        }
        return Self.mix(h, length)
    }

    public var hexDigest: String {
        let s = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Hashes the files' contents in order, read in 64 KiB pieces into one reused buffer.
    ///
    /// Why not `FileHandle.read`: it returns fresh `Data` per chunk, whose pages the kernel
    /// zeroes and which is copied once more; on a 150-MB stack that tripled the hash thread's
    /// CPU (to about 5 % of a whole `run`), time taken from the segmentation workers. Why 64 KiB:
    /// the kernel's copy then lands in the core's cache, where the hash reads it; with 1 MiB
    /// pieces both went to memory (150 MB: 65 ms instead of 18 ms, as fast as `mmap`, which
    /// would crash the run with SIGBUS if the file were truncated while it is read).
    public static func hashFiles(_ paths: [String]) throws -> String {
        var hasher = ContentHasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 64)
        defer { buffer.deallocate() }
        for path in paths {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw Self.posixError(path) }
            defer { close(fd) }
            while true {
                let got = read(fd, buffer.baseAddress, buffer.count)
                if got < 0 {
                    if errno == EINTR { continue }
                    throw Self.posixError(path)
                }
                if got == 0 { break }
                hasher.update(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            }
        }
        return hasher.hexDigest
    }

    private static func posixError(_ path: String) -> Error {
        let code = POSIXErrorCode(rawValue: errno) ?? .EIO
        return NSError(domain: NSPOSIXErrorDomain, code: Int(code.rawValue),
                       userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(path): \(String(cString: strerror(code.rawValue)))"])
    }
}
