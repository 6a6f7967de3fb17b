import CellTrackCore
import XCTest
@testable import Segmentation

/// Slow, obviously correct implementations, compared with the fast kernels on seeded random input.
enum Reference {
    static func edt(_ m: Mask, rowSpacing sy: Double, columnSpacing sx: Double) -> [Double] {
        let w = m.width, h = m.height
        var bg: [(Int, Int)] = []
        for y in 0..<h { for x in 0..<w where m.pixels[y * w + x] == 0 { bg.append((x, y)) } }
        var out = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w where m.pixels[y * w + x] != 0 {
                var best = Double.infinity
                for (bx, by) in bg {
                    let dx = Double(x - bx) * sx, dy = Double(y - by) * sy
                    best = min(best, dx * dx + dy * dy)
                }
                out[y * w + x] = best.squareRoot()
            }
        }
        return out
    }

    static func erosion(_ m: Mask, _ el: StructuringElement) -> [UInt8] {
        let w = m.width, h = m.height
        var out = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var all = true
                for (dx, dy) in el.offsets {
                    let xx = x + dx, yy = y + dy
                    if xx < 0 || yy < 0 || xx >= w || yy >= h || m.pixels[yy * w + xx] == 0 { all = false; break }
                }
                out[y * w + x] = all ? 1 : 0
            }
        }
        return out
    }

    static func dilation(_ m: Mask, _ el: StructuringElement) -> [UInt8] {
        let w = m.width, h = m.height
        var out = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                for (dx, dy) in el.offsets {
                    let xx = x + dx, yy = y + dy
                    if xx >= 0 && yy >= 0 && xx < w && yy < h && m.pixels[yy * w + xx] != 0 { out[y * w + x] = 1; break }
                }
            }
        }
        return out
    }

    /// scipy-style iteration of the 3x3 cross, n times.
    static func iteratedCrossErosion(_ m: Mask, _ n: Int) -> [UInt8] {
        var cur = m
        for _ in 0..<n { cur = Mask(uncheckedWidth: m.width, height: m.height, pixels: erosion(cur, .diamond(radius: 1))) }
        return cur.pixels
    }

    static func label(_ m: Mask, eight: Bool) -> [UInt32] {
        let w = m.width, h = m.height
        var out = [UInt32](repeating: 0, count: w * h)
        var next: UInt32 = 0
        for start in 0..<(w * h) where m.pixels[start] != 0 && out[start] == 0 {
            next += 1
            var queue = [start]
            out[start] = next
            while let i = queue.popLast() {
                let x = i % w, y = i / w
                for dy in -1...1 {
                    for dx in -1...1 where (dx != 0 || dy != 0) && (eight || dx == 0 || dy == 0) {
                        let xx = x + dx, yy = y + dy
                        guard xx >= 0, yy >= 0, xx < w, yy < h else { continue }
                        let j = yy * w + xx
                        if m.pixels[j] != 0 && out[j] == 0 { out[j] = next; queue.append(j) }
                    }
                }
            }
        }
        return out
    }

    static func reconstruction(seed: [Float], mask: [Float], width w: Int, height h: Int) -> [Float] {
        var j = zip(seed, mask).map { min($0, $1) }
        var changed = true
        while changed {
            changed = false
            var next = j
            for y in 0..<h {
                for x in 0..<w {
                    var v = j[y * w + x]
                    for dy in -1...1 {
                        for dx in -1...1 {
                            let xx = x + dx, yy = y + dy
                            if xx >= 0, yy >= 0, xx < w, yy < h { v = max(v, j[yy * w + xx]) }
                        }
                    }
                    v = min(v, mask[y * w + x])
                    if v != next[y * w + x] { next[y * w + x] = v; changed = true }
                }
            }
            j = next
        }
        return j
    }

    /// Priority flood with a linear scan for the smallest (value, age): no heap at all.
    static func watershed(_ img: Image<Float>, markers: LabelImage, mask: Mask?, eight: Bool) -> [UInt32] {
        let w = img.width, h = img.height
        var out = [UInt32](repeating: 0, count: w * h)
        var open: [(value: Float, age: Int, index: Int)] = []
        for i in 0..<(w * h) where markers.pixels[i] != 0 && (mask?.pixels[i] ?? 1) != 0 {
            out[i] = markers.pixels[i]
            open.append((img.pixels[i], 0, i))
        }
        var offsets = [(0, -1), (-1, 0), (1, 0), (0, 1)]
        if eight { offsets += [(-1, -1), (1, -1), (-1, 1), (1, 1)] }
        var age = 1
        while !open.isEmpty {
            var best = 0
            for k in 1..<open.count {
                let a = open[k], b = open[best]
                if a.value < b.value || (a.value == b.value && a.age < b.age) { best = k }
            }
            let e = open.remove(at: best)
            let x = e.index % w, y = e.index / w
            for (dx, dy) in offsets {
                let xx = x + dx, yy = y + dy
                guard xx >= 0, yy >= 0, xx < w, yy < h else { continue }
                let q = yy * w + xx
                if (mask?.pixels[q] ?? 1) == 0 || out[q] != 0 { continue }
                age += 1
                out[q] = out[e.index]
                open.append((max(img.pixels[q], e.value), age, q))
            }
        }
        return out
    }

    static func gaussian(_ img: Image<Float>, sigma: Double) -> [Double] {
        let k = Preprocess.gaussianKernel(sigma: sigma)
        let r = k.count / 2
        let w = img.width, h = img.height
        var out = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for j in -r...r {
                    for i in -r...r {
                        let yy = BorderMode.reflect.index(y + j, count: h), xx = BorderMode.reflect.index(x + i, count: w)
                        s += Double(img.pixels[yy * w + xx]) * k[j + r] * k[i + r]
                    }
                }
                out[y * w + x] = s
            }
        }
        return out
    }
}

final class ReferenceTests: XCTestCase {
    func testEDTEqualsBruteForce() {
        var rng = SplitMix64(seed: 1)
        for trial in 0..<12 {
            let w = 5 + Int(rng.next() % 30), h = 5 + Int(rng.next() % 30)
            let m = randomMask(width: w, height: h, density: [0.5, 0.9, 0.98][trial % 3], rng: &rng)
            if !m.pixels.contains(0) { continue }
            let (sy, sx) = [(1.0, 1.0), (0.5, 0.5), (1.3, 0.7)][trial % 3]
            let fast = DistanceTransform.squaredEuclidean(m, rowSpacing: sy, columnSpacing: sx)
            let slow = Reference.edt(m, rowSpacing: sy, columnSpacing: sx)
            for i in 0..<m.count { XCTAssertEqual(fast[i].squareRoot(), slow[i], accuracy: 1e-9, "trial \(trial)") }
        }
    }

    func testBinaryMorphologyEqualsNaive() {
        var rng = SplitMix64(seed: 2)
        for trial in 0..<10 {
            let m = randomMask(width: 20 + trial, height: 17, density: 0.75, rng: &rng)
            for el in [StructuringElement.disk(radius: 1 + trial % 4), .square(radius: 1 + trial % 3), .diamond(radius: 1 + trial % 3)] {
                XCTAssertEqual(Morphology.erosion(m, el).pixels, Reference.erosion(m, el), "erosion \(el)")
                XCTAssertEqual(Morphology.dilation(m, el).pixels, Reference.dilation(m, el), "dilation \(el)")
            }
            let n = 1 + trial % 4
            XCTAssertEqual(Morphology.erosion(m, .diamond(radius: n)).pixels, Reference.iteratedCrossErosion(m, n))
        }
    }

    /// The row-ring disk kernel on radii up to its limit (32), on frames narrower or shorter than
    /// the disk, and on blob masks (long runs) as well as noise; non-0/1 foreground values too.
    func testDiskByRowsEqualsNaiveOnAllShapes() {
        var rng = SplitMix64(seed: 21)
        for trial in 0..<14 {
            let r = [1, 2, 3, 5, 8, 13, 32][trial % 7]
            let (w, h) = [(3, 40), (41, 2), (2 * r + 9, 2 * r + 1), (70, 45)][trial % 4]
            var m = trial % 2 == 0
                ? randomMask(width: w, height: h, density: 0.8, rng: &rng)
                : blobMask(width: w, height: h, count: 6, rmin: 2, rmax: Double(max(3, r + 4)), rng: &rng)
            for i in 0..<m.count where m.pixels[i] != 0 && rng.unit() < 0.2 { m.pixels[i] = 255 }
            XCTAssertEqual(Morphology.erosion(m, .disk(radius: r)).pixels, Reference.erosion(m, .disk(radius: r)), "erosion r \(r) \(w)x\(h)")
            XCTAssertEqual(Morphology.dilation(m, .disk(radius: r)).pixels, Reference.dilation(m, .disk(radius: r)), "dilation r \(r) \(w)x\(h)")
        }
    }

    func testFirstNonFiniteFindsEveryKindAnywhere() {
        var values = [Float](repeating: 1.5, count: 10_000)
        values.withUnsafeBufferPointer { XCTAssertNil(Otsu.firstNonFinite($0)) }
        values[9_999] = -.greatestFiniteMagnitude
        values[0] = .leastNonzeroMagnitude
        values.withUnsafeBufferPointer { XCTAssertNil(Otsu.firstNonFinite($0)) }
        for (i, v) in [(4_097, Float.infinity), (9_999, -Float.infinity), (0, Float.nan), (5000, -Float.nan)] {
            var c = values
            c[i] = v
            c[i + (i < 9_999 ? 1 : -1)] = .infinity   // the first in index order is reported
            let got = c.withUnsafeBufferPointer { Otsu.firstNonFinite($0) }
            let want = c.first { !$0.isFinite }!
            XCTAssertEqual(got.map { $0.bitPattern }, want.bitPattern)
        }
    }

    func testLabelEqualsFloodFill() {
        var rng = SplitMix64(seed: 3)
        for trial in 0..<10 {
            let m = randomMask(width: 30, height: 25, density: 0.3 + 0.05 * Double(trial), rng: &rng)
            XCTAssertEqual(Labeling.label(m, connectivity: .four).labels.pixels, Reference.label(m, eight: false))
            XCTAssertEqual(Labeling.label(m, connectivity: .eight).labels.pixels, Reference.label(m, eight: true))
        }
    }

    func testReconstructionEqualsIteratedGeodesicDilation() {
        var rng = SplitMix64(seed: 4)
        for _ in 0..<6 {
            let m = blobMask(width: 40, height: 32, count: 6, rmin: 3, rmax: 9, rng: &rng)
            let d = DistanceTransform.euclidean(m)
            let h: Float = 0.5 + Float(rng.unit()) * 2
            let seed = d.pixels.map { $0 - h }
            XCTAssertEqual(Markers.reconstructByDilation(seed: seed, mask: d.pixels, width: 40, height: 32),
                           Reference.reconstruction(seed: seed, mask: d.pixels, width: 40, height: 32))
        }
    }

    func testWatershedEqualsLinearScanFlood() throws {
        var rng = SplitMix64(seed: 5)
        var agree = 0, total = 0
        for trial in 0..<8 {
            let w = 30, h = 24
            var img = Image<Float>(width: w, height: h, repeating: 0)
            for i in 0..<img.count { img.pixels[i] = Float(rng.unit()) }
            var markers = LabelImage(width: w, height: h, repeating: 0)
            for k in 1...6 { markers.pixels[Int(rng.next() % UInt64(w * h))] = UInt32(k) }
            let mask: Mask? = trial % 2 == 0 ? nil : randomMask(width: w, height: h, density: 0.8, rng: &rng)
            let eight = trial % 4 >= 2
            let fast = try Watershed.flood(img, markers: markers, mask: mask, connectivity: eight ? .eight : .four)
            let slow = Reference.watershed(img, markers: markers, mask: mask, eight: eight)
            agree += zip(fast.pixels, slow).filter { $0 == $1 }.count
            total += slow.count
        }
        // distinct random values: the order is unique, so the agreement is total
        XCTAssertEqual(agree, total)
    }

    func testGaussianSeparableEqualsDirect2D() {
        var rng = SplitMix64(seed: 6)
        var img = Image<Float>(width: 23, height: 19, repeating: 0)
        for i in 0..<img.count { img.pixels[i] = Float(rng.unit() * 100) }
        // 0.1: a kernel of radius 0 (the weight 1), 0.2: radius 1, then the fused radii and beyond
        for sigma in [0.1, 0.2, 0.8, 1.5, 3.0] {
            let fast = Preprocess.gaussian(img, sigma: sigma)
            let slow = Reference.gaussian(img, sigma: sigma)
            for i in 0..<img.count { XCTAssertEqual(Double(fast.pixels[i]), slow[i], accuracy: 1e-4, "σ \(sigma)") }
        }
        // radius 0 is the image itself, also for integer frames and with a per-row step
        XCTAssertEqual(Preprocess.gaussian(img, sigma: 0.1).pixels, img.pixels)
        let integers = Image(uncheckedWidth: 23, height: 19, pixels: (0..<(23 * 19)).map { UInt16($0 * 37 % 65_536) })
        var rows = 0
        let smoothed = Preprocess.gaussian(integers, sigma: 0.05, eachRow: { _, _ in rows += 1 })
        XCTAssertEqual(smoothed.pixels, integers.pixels.map(Float.init))
        XCTAssertEqual(rows, 19)
    }

    func testGreyFilterEqualsNaiveWindow() {
        var rng = SplitMix64(seed: 7)
        var img = Image<Float>(width: 17, height: 13, repeating: 0)
        for i in 0..<img.count { img.pixels[i] = Float(rng.unit()) }
        for size in [3, 5, 9, 31] {
            let fast = Morphology.greyFilter(img, size: size, maximum: true)
            for y in 0..<13 {
                for x in 0..<17 {
                    var m = -Float.infinity
                    for j in -(size / 2)...(size / 2) {
                        for i in -(size / 2)...(size / 2) {
                            m = max(m, img.pixels[BorderMode.reflect.index(y + j, count: 13) * 17 + BorderMode.reflect.index(x + i, count: 17)])
                        }
                    }
                    XCTAssertEqual(fast.pixels[y * 17 + x], m)
                }
            }
        }
    }

    func testPercentileEqualsSortedInterpolation() {
        var rng = SplitMix64(seed: 8)
        var img = Image<Float>(width: 37, height: 11, repeating: 0)
        for i in 0..<img.count { img.pixels[i] = Float(rng.unit() * 50).rounded() }
        let sorted = img.pixels.sorted()
        for q in [0.0, 1.0, 25.0, 50.0, 99.8, 100.0] {
            let pos = q / 100 * Double(sorted.count - 1)
            let lo = Int(pos), hi = min(lo + 1, sorted.count - 1)
            let expected = Double(sorted[lo]) + (Double(sorted[hi]) - Double(sorted[lo])) * (pos - Double(lo))
            XCTAssertEqual(Double(Preprocess.percentile(img, q)), expected, accuracy: 1e-4)
        }
    }
}

/// The radix-queue flood against the heap flood it replaces (the slow, obviously ordered one).
final class MonotoneFloodTests: XCTestCase {
    /// The queue alone against a sorted list: bursts of pushes (small and large redistributions,
    /// ties, −0/+0, negative values) between runs of pops, each push ≥ the last pop.
    func testRadixQueuePopsInValueThenAgeOrder() {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<20 {
            var queue = MonotoneRadixQueue()
            var pending: [(value: Float, age: Int32)] = []   // the slow queue
            var age: Int32 = 0, last: Float = -1e6
            for _ in 0..<30 {
                let burst = [1, 5, 70, 3000][Int(rng.unit() * 4)]
                for _ in 0..<burst {
                    let step = trial % 2 == 0 ? Float((rng.unit() * 4).rounded(.down)) : Float(rng.unit() * 100)
                    var v = max(last, -50) + step
                    if v == 0 && rng.unit() < 0.5 { v = -0.0 }
                    age += 1
                    queue.push(value: v, age: age, index: age)
                    pending.append((v, age))
                }
                pending.sort { $0.value != $1.value ? $0.value < $1.value : $0.age < $1.age }
                let pops = Int(rng.unit() * Double(pending.count + 1))
                for expected in pending[..<pops] {
                    guard let e = queue.pop() else { return XCTFail("queue empty early, trial \(trial)") }
                    XCTAssertEqual(e.value, expected.value, "trial \(trial)")
                    XCTAssertEqual(e.age, expected.age, "trial \(trial)")
                    last = e.value
                }
                pending.removeFirst(pops)
                XCTAssertEqual(queue.count, pending.count)
            }
        }
    }

    func testRadixFloodEqualsHeapFloodWithRasterAges() {
        var rng = SplitMix64(seed: 31)
        for trial in 0..<40 {
            let w = 5 + Int(rng.unit() * 60), h = 4 + Int(rng.unit() * 50)
            let levels = [3.0, 17.0, 1000.0][trial % 3]          // few levels: many ties
            var px = [Float](repeating: 0, count: w * h)
            for i in 0..<px.count {
                var v = Float((rng.unit() * levels).rounded(.down) - levels / 2)
                if v == 0 && rng.unit() < 0.5 { v = -0.0 }            // −0 and +0 must tie
                px[i] = v
            }
            let image = Image(uncheckedWidth: w, height: h, pixels: px)
            var marks = [UInt32](repeating: 0, count: w * h)
            let k = 1 + Int(rng.unit() * 12)
            for label in 1...k { marks[Int(rng.unit() * Double(w * h))] = UInt32(label) }
            let markers = LabelImage(uncheckedWidth: w, height: h, pixels: marks)
            let mask: Mask? = trial % 2 == 0 ? randomMask(width: w, height: h, density: 0.8, rng: &rng) : nil
            for connectivity in [Connectivity.four, .eight] {
                let heap = Watershed.floodUnchecked(image, markers: markers, mask: mask, connectivity: connectivity, rasterMarkerAges: true)
                let radix = Watershed.floodRasterAged(image, markers: markers, mask: mask, connectivity: connectivity)
                XCTAssertEqual(radix.pixels, heap.pixels, "trial \(trial) \(connectivity)")
            }
        }
    }
}
