import CellTrackCore
@testable import Tracking


/// An axis-aligned rectangle (a rod lying along x, or any blob) to paint.
struct Box {
    var x: Int, y: Int, w: Int, h: Int
}

/// Paints boxes (later ones overwrite earlier ones) with labels; boxes are clipped to the image.
func paint(width: Int, height: Int, _ boxes: [(label: UInt32, box: Box)], pixelSize: Double? = nil) -> LabelImage {
    var img = LabelImage(width: width, height: height, repeating: 0, pixelSize: pixelSize)
    for (label, b) in boxes {
        let y0 = max(0, b.y), y1 = min(height, b.y + b.h), x0 = max(0, b.x), x1 = min(width, b.x + b.w)
        guard y0 < y1, x0 < x1 else { continue }
        for y in y0..<y1 {
            for x in x0..<x1 {
                img[x, y] = label
            }
        }
    }
    return img
}

/// Slow, obvious region measurement for tests: area, centroid, half-open bbox and tip-to-tip
/// length (extent of the pixels projected on the principal axis, + 1 pixel).
func regionsOf(_ labels: LabelImage) -> [Region] {
    var pts: [UInt32: [(Int, Int)]] = [:]
    for y in 0..<labels.height {
        for x in 0..<labels.width where labels[x, y] != 0 { pts[labels[x, y], default: []].append((x, y)) }
    }
    return pts.keys.sorted().map { l in
        let p = pts[l]!
        let n = Double(p.count)
        let cx = p.reduce(0.0) { $0 + Double($1.0) } / n, cy = p.reduce(0.0) { $0 + Double($1.1) } / n
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for (x, y) in p {
            let a = Double(x) - cx, b = Double(y) - cy
            sxx += a * a; syy += b * b; sxy += a * b
        }
        let theta = 0.5 * atan2(2 * sxy, sxx - syy)
        let ux = cos(theta), uy = sin(theta)
        var lo = Double.infinity, hi = -Double.infinity
        for (x, y) in p {
            let s = (Double(x) - cx) * ux + (Double(y) - cy) * uy
            lo = min(lo, s); hi = max(hi, s)
        }
        return Region(label: l, area: p.count, centroidX: cx, centroidY: cy,
                      minX: p.map(\.0).min()!, minY: p.map(\.1).min()!,
                      maxX: p.map(\.0).max()! + 1, maxY: p.map(\.1).max()! + 1, length: hi - lo + 1)
    }
}

import Foundation

/// Links a movie of label images with default (or given) parameters.
func track(_ frames: [LabelImage], _ parameters: LinkingParameters = LinkingParameters()) throws -> (Tracker, LineageGraph) {
    var tracker = try Tracker(parameters: parameters)
    for (i, f) in frames.enumerated() { try tracker.addFrame(index: i, labels: f, regions: regionsOf(f)) }
    return (tracker, tracker.finish())
}

/// Node of `graph` with `label` in `frame`.
func node(_ g: LineageGraph, frame: Int, label: UInt32) -> Int {
    g.nodes.firstIndex { $0.frame == frame && $0.label == label }!
}
