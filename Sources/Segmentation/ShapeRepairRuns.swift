import CellTrackCore

extension ShapeRepair {
    /// `splitWide` on objects given as runs: the same objects as
    /// `LabelRuns(splitWide(cells.labelImage(), …))`, without a label image. Objects come back
    /// numbered 1…n in raster order of their first pixel.
    public static func splitWide(_ cells: LabelRuns, intensity: Image<Float>, darkCells: Bool,
                                 ratio: Double, expectedWidth: Double, minArea: Double) -> LabelRuns {
        splitWide(cells, anyIntensity: intensity, darkCells: darkCells, ratio: ratio, expectedWidth: expectedWidth,
                  minArea: minArea)
    }

    /// Generic core (integer frames read as they are, see `GreyPixel`).
    static func splitWide<P: GreyPixel>(_ cells: LabelRuns, anyIntensity intensity: Image<P>, darkCells: Bool,
                                        ratio: Double, expectedWidth: Double, minArea: Double) -> LabelRuns {
        precondition(cells.width == intensity.width && cells.height == intensity.height, "sizes differ")
        guard ratio > 0, cells.count > 0 else { return cells }
        let w = cells.width
        // each object's pixels as flat indices in raster order (the runs' order), one object at
        // a time: all of them at once were a dense frame's largest buffer after segmentation
        // (4 bytes per foreground pixel, 18 MB at 12 MP); the few objects that are split are
        // listed again
        var scratch: [Int32] = []
        func listPixels(_ k: Int) -> ArraySlice<Int32> {
            scratch.removeAll(keepingCapacity: true)
            for run in cells.runs(of: k) {
                let row = Int(run.y) * w
                for x in Int(run.x0)..<Int(run.x1) { scratch.append(Int32(row + x)) }
            }
            return scratch[...]
        }
        var objects: [(index: Int, object: Object)] = []
        for k in 0..<cells.count {
            let pixels = listPixels(k)
            guard pixels.count >= 3 else { continue }
            var object = measure(pixels, width: w)
            object.pixels = []
            objects.append((k, object))
        }
        guard !objects.isEmpty else { return cells }
        var plateaus = objects.map(\.object.plateau).sorted()
        var reference = plateaus.count % 2 == 1 ? plateaus[plateaus.count / 2]
            : (plateaus[plateaus.count / 2 - 1] + plateaus[plateaus.count / 2]) / 2
        if objects.count < 3 { reference = expectedWidth }
        plateaus.removeAll()

        // pieces: (first pixel, pixel indices) of every object after splitting
        var split: [Int: (kept: [Int32], moved: [Int32])] = [:]
        intensity.withUnsafeBufferPointer { img in
            for (k, measured) in objects where measured.plateau > ratio * reference {
                var obj = measured
                obj.pixels = listPixels(k)
                guard let offset = cutLine(obj, image: img, width: w, darkCells: darkCells) else { continue }
                var kept: [Int32] = [], moved: [Int32] = []
                for p in obj.pixels {
                    if across(Int(p), obj, w) >= Double(offset) + 0.5 { moved.append(p) } else { kept.append(p) }
                }
                guard Double(moved.count) >= minArea, Double(kept.count) >= minArea else { continue }
                split[k] = (kept, moved)
            }
        }
        if split.isEmpty { return cells }
        var pieces: [(first: Int32, runs: [LabelRuns.Run])] = []
        pieces.reserveCapacity(cells.count + split.count)
        for k in 0..<cells.count {
            if let parts = split[k] {
                for part in [parts.kept, parts.moved] { pieces.append((part[0], runsOf(part, width: w))) }
            } else {
                let first = cells.runs(of: k).first!
                pieces.append((first.y * Int32(w) + first.x0, Array(cells.runs(of: k))))
            }
        }
        pieces.sort { $0.first < $1.first }
        var out = LabelRuns(width: cells.width, height: cells.height, pixelSize: cells.pixelSize)
        for (k, piece) in pieces.enumerated() { out.appendUnchecked(label: UInt32(k + 1), runs: piece.runs) }
        return out
    }

    /// Runs of flat pixel indices given in raster order.
    static func runsOf(_ pixels: [Int32], width w: Int) -> [LabelRuns.Run] {
        var out: [LabelRuns.Run] = []
        var i = 0
        while i < pixels.count {
            let p = Int(pixels[i])
            let y = p / w, x0 = p - y * w
            var x1 = x0 + 1
            i += 1
            while i < pixels.count && Int(pixels[i]) == y * w + x1 && x1 < w { x1 += 1; i += 1 }
            out.append(LabelRuns.Run(y: Int32(y), x0: Int32(x0), x1: Int32(x1)))
        }
        return out
    }
}
