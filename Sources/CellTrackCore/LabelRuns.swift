/// The objects of one frame as horizontal pixel runs, without a frame-sized label image.
///
/// A 12-megapixel frame's label image costs 49 MB; its few hundred cells cost a few hundred KB
/// as runs. Segmentation produces this, measurement, mask encoding and linking consume it, so
/// no stage after segmentation allocates per pixel of the frame.
///
/// Object `k` (0-based) has label `labels[k]` (> 0, distinct) and the runs
/// `runs[runStart[k] ..< runStart[k + 1]]`, sorted by row, then column; the runs of one object
/// never overlap or touch within a row (touching runs are one run).
///
/// ```swift
/// let runs = LabelRuns(labels)                 // from a label image: objects in label order
/// let area = runs.area(0)
/// let back = runs.labelImage()                 // == labels
/// ```
public struct LabelRuns: Sendable, Equatable {
    /// One row segment `x0 ..< x1` of row `y`.
    public struct Run: Sendable, Equatable, Hashable {
        public var y: Int32
        public var x0: Int32
        public var x1: Int32
        @inlinable public init(y: Int32, x0: Int32, x1: Int32) { self.y = y; self.x0 = x0; self.x1 = x1 }
        @inlinable public var length: Int { Int(x1 - x0) }
    }

    public let width: Int
    public let height: Int
    public var pixelSize: Double?
    public private(set) var labels: [UInt32] = []
    public private(set) var runStart: [Int] = [0]
    public private(set) var runs: [Run] = []

    /// No objects.
    public init(width: Int, height: Int, pixelSize: Double? = nil) {
        precondition(width >= 0 && height >= 0, "size must not be negative")
        self.width = width
        self.height = height
        self.pixelSize = pixelSize
    }

    /// The objects of a label image, in increasing label order (one pass, then a counting sort
    /// by label; labels need not be sequential).
    public init(_ image: LabelImage) {
        self.init(width: image.width, height: image.height, pixelSize: image.pixelSize)
        let w = image.width, h = image.height
        guard w > 0, h > 0 else { return }
        // pass 1: runs of equal non-zero labels, in raster order
        var raw: [(label: UInt32, run: Run)] = []
        var maxLabel: UInt32 = 0
        image.withUnsafeBufferPointer { px in
            for y in 0..<h {
                let row = y * w
                var x = 0
                while x < w {
                    let v = px[row + x]
                    if v == 0 { x += 1; continue }
                    let start = x
                    while x < w && px[row + x] == v { x += 1 }
                    raw.append((v, Run(y: Int32(y), x0: Int32(start), x1: Int32(x))))
                    if v > maxLabel { maxLabel = v }
                }
            }
        }
        guard !raw.isEmpty else { return }
        // stable grouping by label (raster order kept within a label)
        var present: [UInt32]
        if Int(maxLabel) <= 4 * raw.count + 65_536 {
            var count = [Int](repeating: 0, count: Int(maxLabel) + 2)
            for r in raw { count[Int(r.label) + 1] += 1 }
            present = []
            for l in 1...Int(maxLabel) where count[l + 1] > 0 { present.append(UInt32(l)) }
            for l in 1..<count.count { count[l] += count[l - 1] }
            var ordered = [Run](repeating: Run(y: 0, x0: 0, x1: 0), count: raw.count)
            var fill = count
            for r in raw { ordered[fill[Int(r.label)]] = r.run; fill[Int(r.label)] += 1 }
            runs = ordered
            runStart = [0]
            for l in present { runStart.append(count[Int(l) + 1]) }
        } else {
            // huge sparse label values: sort instead of a table
            let order = raw.indices.sorted { (raw[$0].label, $0) < (raw[$1].label, $1) }
            present = []
            runs.reserveCapacity(raw.count)
            for i in order {
                if present.last != raw[i].label {
                    if !present.isEmpty { runStart.append(runs.count) }
                    present.append(raw[i].label)
                }
                runs.append(raw[i].run)
            }
            runStart.append(runs.count)
        }
        labels = present
    }

    /// Number of objects.
    @inlinable public var count: Int { labels.count }

    /// Runs of object `k`.
    @inlinable public func runs(of k: Int) -> ArraySlice<Run> { runs[runStart[k]..<runStart[k + 1]] }

    /// Pixel count of object `k`.
    public func area(_ k: Int) -> Int {
        var n = 0
        for r in runs(of: k) { n += r.length }
        return n
    }

    /// Pixels covered by all objects.
    public var foregroundPixels: Int { runs.reduce(0) { $0 + $1.length } }

    /// Half-open bounding box of object `k` (columns `minX ..< maxX`, rows `minY ..< maxY`).
    public func boundingBox(_ k: Int) -> MaskRLE.BoundingBox {
        MaskRLE.BoundingBox(runs: runs(of: k))
    }

    /// Appends an object. Validates: label > 0 and new, runs non-empty, inside the image,
    /// sorted by (row, column), not overlapping or touching within a row. Overlap with other
    /// objects is not checked (callers that build from a label image cannot produce it).
    public mutating func append(label: UInt32, runs objectRuns: [Run]) throws {
        guard label > 0 else { throw ParameterError.invalid(name: "label", value: "0", reason: "0 is background") }
        guard !labels.contains(label) else { throw ParameterError.invalid(name: "label", value: "\(label)", reason: "appears twice") }
        guard !objectRuns.isEmpty else { throw ParameterError.invalid(name: "runs", value: "[]", reason: "an object needs pixels") }
        var previous: Run? = nil
        for r in objectRuns {
            guard r.y >= 0, Int(r.y) < height, r.x0 >= 0, r.x0 < r.x1, Int(r.x1) <= width else {
                throw ParameterError.invalid(name: "run", value: "y \(r.y) x \(r.x0)..<\(r.x1)", reason: "outside the \(width)x\(height) image or empty")
            }
            if let p = previous, !(r.y > p.y || (r.y == p.y && r.x0 > p.x1)) {
                throw ParameterError.invalid(name: "run", value: "y \(r.y) x \(r.x0)..<\(r.x1)", reason: "not after the previous run of the object")
            }
            previous = r
        }
        appendUnchecked(label: label, runs: objectRuns)
    }

    /// Fast core of `append`: assumes what `append` validates.
    public mutating func appendUnchecked<S: Sequence>(label: UInt32, runs objectRuns: S) where S.Element == Run {
        labels.append(label)
        runs.append(contentsOf: objectRuns)
        runStart.append(runs.count)
    }

    /// Writes each object's label into `image` (same size); other pixels are left as they are.
    public func paint(into image: inout LabelImage) {
        precondition(image.width == width && image.height == height, "image size differs")
        let w = width
        image.withUnsafeMutableBufferPointer { px in
            for k in 0..<count {
                let v = labels[k]
                for r in runs(of: k) {
                    let row = Int(r.y) * w
                    for i in (row + Int(r.x0))..<(row + Int(r.x1)) { px[i] = v }
                }
            }
        }
    }

    /// The label image (0 = background).
    public func labelImage() -> LabelImage {
        var image = LabelImage(width: width, height: height, repeating: 0, pixelSize: pixelSize)
        paint(into: &image)
        return image
    }

    /// Every run of every object, grouped by row: `rowStart[y] ..< rowStart[y + 1]` index
    /// `entries`, sorted by column within a row. For passes that walk the frame row by row.
    public func byRow() -> (rowStart: [Int], entries: [(run: Run, object: Int32)]) {
        var rowStart = [Int](repeating: 0, count: height + 1)
        for r in runs { rowStart[Int(r.y) + 1] += 1 }
        for y in 0..<height { rowStart[y + 1] += rowStart[y] }
        var entries = [(run: Run, object: Int32)](repeating: (Run(y: 0, x0: 0, x1: 0), 0), count: runs.count)
        var fill = rowStart
        for k in 0..<count {
            for r in runs(of: k) {
                entries[fill[Int(r.y)]] = (r, Int32(k))
                fill[Int(r.y)] += 1
            }
        }
        for y in 0..<height where rowStart[y + 1] - rowStart[y] > 1 {
            entries[rowStart[y]..<rowStart[y + 1]].sort { $0.run.x0 < $1.run.x0 }
        }
        return (rowStart, entries)
    }
}
