import Foundation

/// A fast 64-bit content hash of input files, recorded as provenance so a resumed run can
/// tell that its inputs did not change. Not cryptographic: it detects accidental change.
///
/// The structure of XXH3's long-input loop, written here (not its constants or output): eight
/// 64-bit lanes take the words of each 64-byte stripe, each word XORed with a key, its 32-bit
/// halves multiplied (one vector multiply for four lanes) and added, and the word itself added to
/// the neighbouring lane. Each of the 16 stripes of a 1-KiB block has its own keys, so a word's
/// position within the block matters; after each block the lanes are scrambled (xorshift,
/// multiply), so the order of blocks matters. The lanes, the bytes of a last partial stripe and
/// the length are folded into one digest. About 13 GB/s on one core: a 150-MB stack costs ~11 ms
/// of CPU (perf, `run` on 8 frames of 12 MP: 0.37 % of the samples), where the previous four-lane
/// multiply–xorshift chain (2.8 GB/s) cost ~55 ms (1.84 %), taken from the segmentation workers
/// while the first frames are segmented. Hashing in pieces of any size gives the same digest as
/// hashing the whole.
///
/// ```swift
/// var h = ContentHasher()
/// h.update(Data("abc".utf8))
/// let hex = h.hexDigest   // 16 hex digits
/// ```
public struct ContentHasher: Sendable {
    typealias Lanes = SIMD4<UInt64>
    static let stripesPerBlock = 16

    /// Per stripe of a block, the keys of its eight words (two halves of four), from a
    /// SplitMix64 sequence: fixed, so digests are stable.
    static let keys: [(Lanes, Lanes)] = {
        var state: UInt64 = 0x243F_6A88_85A3_08D3
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (0..<(stripesPerBlock + 1)).map { _ in
            (Lanes(next(), next(), next(), next()), Lanes(next(), next(), next(), next()))
        }
    }()

    private var low = Lanes(0x9E37_79B9_7F4A_7C15, 0xD1B5_4A32_D192_ED03, 0xAEF1_7502_108E_F2D9, 0x8CB9_2BA7_2F3D_8DD7)
    private var high = Lanes(0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x85EB_CA77_C2B2_AE63, 0x27D4_EB2F_1656_67C5)
    /// Stripes absorbed in the current block.
    private var stripe = 0
    private var length: UInt64 = 0
    /// Bytes of an incomplete 64-byte stripe, carried to the next `update`.
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
        // Complete a partial stripe left from the previous piece first.
        if !tail.isEmpty {
            while tail.count < 64 && offset < bytes.count { tail.append(bytes[offset]); offset += 1 }
            guard tail.count == 64 else { return }
            tail.withUnsafeBytes { absorb(UnsafeRawBufferPointer($0), at: 0) }
            tail.removeAll(keepingCapacity: true)
        }
        while offset + 64 <= bytes.count {
            absorb(bytes, at: offset)
            offset += 64
        }
        while offset < bytes.count { tail.append(bytes[offset]); offset += 1 }
    }

    /// Mixes the 64-byte stripe at `offset` into the lanes; scrambles them after a block.
    @inline(__always)
    private mutating func absorb(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        @inline(__always) func word(_ k: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8 * k, as: UInt64.self))
        }
        let d0 = Lanes(word(0), word(1), word(2), word(3)), d1 = Lanes(word(4), word(5), word(6), word(7))
        let (k0, k1) = Self.keys[stripe]
        let x0 = d0 ^ k0, x1 = d1 ^ k1
        let half = Lanes(repeating: 0xFFFF_FFFF)
        low &+= (x0 & half) &* (x0 &>> 32) &+ Lanes(d0[1], d0[0], d0[3], d0[2])
        high &+= (x1 & half) &* (x1 &>> 32) &+ Lanes(d1[1], d1[0], d1[3], d1[2])
        stripe += 1
        if stripe == Self.stripesPerBlock {
            let (s0, s1) = Self.keys[Self.stripesPerBlock]
            let prime = Lanes(repeating: 0x9E37_79B1)
            low = ((low ^ (low &>> 47)) ^ s0) &* prime
            high = ((high ^ (high &>> 47)) ^ s1) &* prime
            stripe = 0
        }
    }

    public var digest: UInt64 {
        var h = Self.mix(UInt64(stripe), length)
        for i in 0..<4 { h = Self.mix(h, low[i]); h = Self.mix(h, high[i]) }
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
