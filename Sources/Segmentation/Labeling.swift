import CellTrackCore

/// Neighbourhood of a pixel: `four` (edge neighbours, skimage `connectivity=1`) or `eight`
/// (edges and corners, `connectivity=2`).
public enum Connectivity: String, Codable, Equatable, Hashable, Sendable, CaseIterable {
    case four, eight
}

/// Connected-component labelling.
///
/// `label(mask, connectivity:)` equals `skimage.measure.label(mask != 0, connectivity=1|2)`:
/// labels 1…n numbered in raster order of each component's first pixel, background 0.
///
/// ```swift
/// let (labels, count) = Labeling.label(mask, connectivity: .eight)
/// ```
public enum Labeling {
    public static func label(_ mask: Mask, connectivity: Connectivity = .eight) -> (labels: LabelImage, count: Int) {
        let w = mask.width, h = mask.height
        var out = [UInt32](repeating: 0, count: w * h)
        if w == 0 || h == 0 { return (LabelImage(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize), 0) }
        // pass 1: provisional labels (raster order) with union-find on their equivalences
        var parent: [UInt32] = [0]
        parent.reserveCapacity(1024)
        @inline(__always) func find(_ a: UInt32) -> UInt32 {
            var a = a
            while parent[Int(a)] != a {
                let p = parent[Int(a)]
                parent[Int(a)] = parent[Int(p)]
                a = p
            }
            return a
        }
        @inline(__always) func union(_ a: UInt32, _ b: UInt32) -> UInt32 {
            let ra = find(a), rb = find(b)
            if ra == rb { return ra }
            // keep the smaller root: it was created first, i.e. earlier in raster order
            if ra < rb { parent[Int(rb)] = ra; return ra } else { parent[Int(ra)] = rb; return rb }
        }
        let eight = connectivity == .eight
        mask.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let r = y * w
                    for x in 0..<w {
                        let i = r + x
                        if m[i] == 0 { continue }
                        var l: UInt32 = 0
                        if x > 0 && o[i - 1] != 0 { l = o[i - 1] }
                        if y > 0 {
                            let u = o[i - w]
                            if u != 0 { l = l == 0 ? u : (l == u ? l : union(l, u)) }
                            if eight {
                                if x > 0 {
                                    let ul = o[i - w - 1]
                                    if ul != 0 { l = l == 0 ? ul : (l == ul ? l : union(l, ul)) }
                                }
                                if x < w - 1 {
                                    let ur = o[i - w + 1]
                                    if ur != 0 { l = l == 0 ? ur : (l == ur ? l : union(l, ur)) }
                                }
                            }
                        }
                        if l == 0 {
                            l = UInt32(parent.count)
                            parent.append(l)
                        }
                        o[i] = l
                    }
                }
            }
        }
        // pass 2: final labels in order of first appearance in raster order
        var final = [UInt32](repeating: 0, count: parent.count)
        var next: UInt32 = 0
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<o.count {
                let l = o[i]
                if l == 0 { continue }
                let root = find(l)
                if final[Int(root)] == 0 { next += 1; final[Int(root)] = next }
                o[i] = final[Int(root)]
            }
        }
        return (LabelImage(uncheckedWidth: w, height: h, pixels: out, pixelSize: mask.pixelSize), Int(next))
    }

    /// Keeps the labels with `keep[label] == true` (labels beyond `keep.count` are dropped) and
    /// renumbers them 1…n in raster order of their first pixel. Deterministic.
    public static func relabelSequential(_ labels: LabelImage, keep: [Bool]) -> LabelImage {
        var out = labels
        relabelSequentialInPlace(&out, keep: keep)
        return out
    }

    /// `relabelSequential(_:keep:)` overwriting `labels` (no second label image).
    public static func relabelSequentialInPlace(_ out: inout LabelImage, keep: [Bool]) {
        var map = [UInt32](repeating: UInt32.max, count: keep.count)
        var next: UInt32 = 0
        out.withUnsafeMutableBufferPointer { o in
            map.withUnsafeMutableBufferPointer { map in
                for i in 0..<o.count {
                    let l = Int(o[i])
                    if l == 0 { continue }
                    if l >= keep.count || !keep[l] { o[i] = 0; continue }
                    if map[l] == UInt32.max { next += 1; map[l] = next }
                    o[i] = map[l]
                }
            }
        }
    }

    /// Renumbers all non-zero labels 1…n in raster order of first pixel.
    public static func relabelSequential(_ labels: LabelImage) -> LabelImage {
        let maxLabel = Int(labels.pixels.max() ?? 0)
        return relabelSequential(labels, keep: [Bool](repeating: true, count: maxLabel + 1))
    }

    /// `relabelSequential(_:)` overwriting `labels`.
    public static func relabelSequentialInPlace(_ labels: inout LabelImage) {
        let maxLabel = Int(labels.pixels.max() ?? 0)
        relabelSequentialInPlace(&labels, keep: [Bool](repeating: true, count: maxLabel + 1))
    }
}
