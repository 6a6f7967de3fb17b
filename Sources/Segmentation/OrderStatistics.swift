/// Exact order statistics of a Float buffer without copying or reordering it: two passes of a
/// radix histogram over order-preserving 32-bit keys (the high 16 bits, then the low 16 bits
/// inside the few high bins that hold the wanted ranks). O(n) with a small constant, where
/// quickselect on a copy costs a 4-byte-per-pixel copy and several partitioning passes.
///
/// ```swift
/// let (lowest, median) = (values[0], values[n / 2])   // sorted view, without sorting:
/// let picked = OrderStatistics.select(buffer, ranks: [0, n / 2])
/// ```
public enum OrderStatistics {
    /// Maps a float to a key with the same order (−0 and +0 share a key, as they compare equal).
    @inline(__always)
    static func key(_ v: Float) -> UInt32 {
        let bits = (v + 0).bitPattern        // −0 + 0 = +0; every other value unchanged
        let flip = UInt32(bitPattern: Int32(bitPattern: bits) >> 31) | 0x8000_0000
        return bits ^ flip
    }

    @inline(__always)
    static func value(_ k: UInt32) -> Float {
        Float(bitPattern: k & 0x8000_0000 != 0 ? k & 0x7FFF_FFFF : ~k)
    }

    /// The values of the given ranks (0-based, each < count) in sorted order. Assumes no NaN.
    public static func select(_ values: UnsafeBufferPointer<Float>, ranks: [Int]) -> [Float] {
        precondition(ranks.allSatisfy { $0 >= 0 && $0 < values.count }, "rank outside the buffer")
        guard !ranks.isEmpty else { return [] }
        // pass 1: high halves
        // four interleaved tables: runs of equal bins (the background) would otherwise wait on
        // the previous increment of the same counter
        var tables = [UInt32](repeating: 0, count: 4 * 65_536)
        let n = values.count
        tables.withUnsafeMutableBufferPointer { t in
            let t0 = t.baseAddress!, t1 = t0 + 65_536, t2 = t1 + 65_536, t3 = t2 + 65_536
            var i = 0
            while i + 4 <= n {
                t0[Int(key(values[i]) >> 16)] &+= 1
                t1[Int(key(values[i + 1]) >> 16)] &+= 1
                t2[Int(key(values[i + 2]) >> 16)] &+= 1
                t3[Int(key(values[i + 3]) >> 16)] &+= 1
                i += 4
            }
            while i < n { t0[Int(key(values[i]) >> 16)] &+= 1; i += 1 }
        }
        var high = [Int](repeating: 0, count: 65_536)
        for b in 0..<65_536 {
            high[b] = Int(tables[b]) + Int(tables[65_536 + b]) + Int(tables[131_072 + b]) + Int(tables[196_608 + b])
        }
        // the bin of each rank, and the rank inside it
        var binOf: [(bin: Int, rank: Int)] = []
        var cumulative = 0, bin = 0
        for r in ranks.sorted() {
            while cumulative + high[bin] <= r { cumulative += high[bin]; bin += 1 }
            binOf.append((bin, r - cumulative))
        }
        // pass 2: low halves inside the wanted bins, in one table: slots 0…3 are four discard
        // counters (every other bin, taken in turn so that a run of them does not wait on one
        // counter), then 65 536 counters per wanted bin (consecutive values rarely share one)
        var slot = [Int32](repeating: 0, count: 65_536)
        var bins: [Int] = []
        for b in binOf where !bins.contains(b.bin) { bins.append(b.bin) }
        for (k, b) in bins.enumerated() { slot[b] = Int32(k + 1) }
        var low = [UInt32](repeating: 0, count: 4 + bins.count * 65_536)
        slot.withUnsafeBufferPointer { sl in
            low.withUnsafeMutableBufferPointer { lt in
                let table = lt.baseAddress!
                @inline(__always) func add(_ v: Float, _ lane: Int) {
                    let k = key(v)
                    let m = Int(sl[Int(k >> 16)])
                    let wanted = 4 &+ ((m &- 1) << 16 | Int(k & 0xFFFF))
                    table[m != 0 ? wanted : lane] &+= 1
                }
                var i = 0
                while i + 4 <= n {
                    add(values[i], 0); add(values[i + 1], 1); add(values[i + 2], 2); add(values[i + 3], 3)
                    i += 4
                }
                while i < n { add(values[i], 0); i += 1 }
            }
        }
        var bySortedRank: [Int: Float] = [:]
        for (r, b) in zip(ranks.sorted(), binOf) {
            let base = 4 + ((Int(slot[b.bin]) - 1) << 16)
            var c = 0, l = 0
            while c + Int(low[base + l]) <= b.rank { c += Int(low[base + l]); l += 1 }
            bySortedRank[r] = value(UInt32(b.bin) << 16 | UInt32(l))
        }
        return ranks.map { bySortedRank[$0]! }
    }
}
