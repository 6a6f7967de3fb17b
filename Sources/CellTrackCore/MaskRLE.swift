/// Compact run-length encoding of one object's mask inside its bounding box, as stored in the
/// database (`cell.mask_rle`) so that CTC export and overlays need only the database.
///
/// Format: the box is scanned row-major; the runs alternate background, foreground, background, …
/// starting with background (which may be 0 long). Each run length is an unsigned LEB128 varint
/// (7 bits per byte, high bit = more bytes follow). The trailing background run is omitted, so the
/// runs sum to at most the box's area. A typical rod of 300 px encodes in 30–60 bytes.
///
/// ```swift
/// let box = MaskRLE.BoundingBox(minX: 2, minY: 1, maxX: 6, maxY: 4)
/// let bytes = MaskRLE.encode(labels: labels, label: 7, bbox: box)
/// var canvas = LabelImage(width: labels.width, height: labels.height, repeating: 0)
/// try MaskRLE.paint(bytes, label: 7, bbox: box, into: &canvas)   // canvas now holds label 7's pixels
/// ```
public enum MaskRLE {
    /// A half-open pixel rectangle: columns `minX..<maxX`, rows `minY..<maxY`.
    public struct BoundingBox: Sendable, Equatable, Hashable {
        public var minX: Int
        public var minY: Int
        public var maxX: Int
        public var maxY: Int
        public init(minX: Int, minY: Int, maxX: Int, maxY: Int) {
            self.minX = minX
            self.minY = minY
            self.maxX = maxX
            self.maxY = maxY
        }
        /// The box of a measured region (same half-open convention).
        public init(_ region: Region) {
            self.init(minX: region.minX, minY: region.minY, maxX: region.maxX, maxY: region.maxY)
        }
        /// The box of an object's runs (sorted by row, as `LabelRuns` keeps them; not empty).
        public init<C: BidirectionalCollection>(runs: C) where C.Element == LabelRuns.Run {
            var x0 = Int32.max, x1 = Int32.min
            for r in runs { x0 = min(x0, r.x0); x1 = max(x1, r.x1) }
            self.init(minX: Int(x0), minY: Int(runs.first!.y), maxX: Int(x1), maxY: Int(runs.last!.y) + 1)
        }
        public var width: Int { maxX - minX }
        public var height: Int { maxY - minY }
        public var area: Int { width * height }
    }

    /// Errors of `paint`/`decodeMask`: the stored bytes do not describe a mask of this box.
    public enum DecodeError: Error, Equatable, CustomStringConvertible, Sendable {
        case truncatedVarint
        case runsExceedBox(total: Int, boxArea: Int)
        case boxOutsideImage(BoundingBox, width: Int, height: Int)

        public var description: String {
            switch self {
            case .truncatedVarint: return "mask RLE ends inside a run length"
            case let .runsExceedBox(total, area): return "mask RLE runs cover \(total) pixels, more than the box's \(area)"
            case let .boxOutsideImage(box, w, h):
                return "mask box x \(box.minX)..<\(box.maxX), y \(box.minY)..<\(box.maxY) is not inside a \(w)x\(h) image"
            }
        }
    }

    /// Encodes the pixels of `labels` equal to `label` inside `bbox`.
    /// Precondition: `bbox` lies inside the image and is not empty.
    public static func encode(labels: LabelImage, label: UInt32, bbox: BoundingBox) -> [UInt8] {
        precondition(bbox.minX >= 0 && bbox.minY >= 0 && bbox.maxX <= labels.width && bbox.maxY <= labels.height
                     && bbox.width > 0 && bbox.height > 0, "bounding box outside the label image")
        var out: [UInt8] = []
        out.reserveCapacity(32)
        labels.withUnsafeBufferPointer { px in
            let stride = labels.width
            var inside = false
            var run = 0
            for y in bbox.minY..<bbox.maxY {
                let row = y * stride
                for i in (row + bbox.minX)..<(row + bbox.maxX) {
                    let on = px[i] == label
                    if on == inside {
                        run += 1
                    } else {
                        appendVarint(run, to: &out)
                        inside = on
                        run = 1
                    }
                }
            }
            if inside { appendVarint(run, to: &out) }   // a trailing background run is omitted
        }
        return out
    }

    /// Encodes one object given as runs (sorted by row, then column, all inside `bbox`): the
    /// same bytes as `encode(labels:label:bbox:)` on its label image, without one.
    public static func encode<C: Collection>(runs: C, bbox: BoundingBox) -> [UInt8] where C.Element == LabelRuns.Run {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        let boxWidth = bbox.width
        var cursor = 0, pending = 0
        for r in runs {
            let position = (Int(r.y) - bbox.minY) * boxWidth + Int(r.x0) - bbox.minX
            if pending > 0 && position == cursor {
                pending += r.length        // continues across the box's row end
            } else {
                if pending > 0 { appendVarint(pending, to: &out) }
                appendVarint(position - cursor, to: &out)
                pending = r.length
            }
            cursor = position + r.length
        }
        if pending > 0 { appendVarint(pending, to: &out) }
        return out
    }

    /// Writes `label` into `image` at every foreground pixel of the encoded mask; other pixels are
    /// left untouched (so several cells can be painted into one canvas).
    public static func paint(_ rle: [UInt8], label: UInt32, bbox: BoundingBox, into image: inout LabelImage) throws {
        guard bbox.minX >= 0, bbox.minY >= 0, bbox.maxX <= image.width, bbox.maxY <= image.height,
              bbox.width > 0, bbox.height > 0 else {
            throw DecodeError.boxOutsideImage(bbox, width: image.width, height: image.height)
        }
        let runs = try decodeRuns(rle, boxArea: bbox.area)
        let boxWidth = bbox.width, stride = image.width
        image.withUnsafeMutableBufferPointer { px in
            // Walk the box row by row: (row, column) of the next pixel, filling each run's
            // row segments with flat indices (no per-pixel division).
            var row = 0, column = 0
            var inside = false
            for run in runs {
                var remaining = run
                while remaining > 0 {
                    let segment = min(remaining, boxWidth - column)
                    if inside {
                        let start = (bbox.minY + row) * stride + bbox.minX + column
                        for i in start..<(start + segment) { px[i] = label }
                    }
                    remaining -= segment
                    column += segment
                    if column == boxWidth { column = 0; row += 1 }
                }
                inside.toggle()
            }
        }
    }

    /// Decodes into a binary mask of the box's size (1 = foreground).
    public static func decodeMask(_ rle: [UInt8], width: Int, height: Int) throws -> Mask {
        var mask = Mask(width: width, height: height, repeating: 0)
        let runs = try decodeRuns(rle, boxArea: width * height)
        mask.withUnsafeMutableBufferPointer { px in
            var offset = 0
            var inside = false
            for run in runs {
                if inside { for k in offset..<(offset + run) { px[k] = 1 } }
                offset += run
                inside.toggle()
            }
        }
        return mask
    }

    /// Number of foreground pixels in the encoded mask (the cell's area), without decoding.
    public static func foregroundCount(_ rle: [UInt8]) throws -> Int {
        var total = 0
        var inside = false
        var index = 0
        while index < rle.count {
            let run = try readVarint(rle, at: &index)
            if inside { total += run }
            inside.toggle()
        }
        return total
    }

    private static func decodeRuns(_ rle: [UInt8], boxArea: Int) throws -> [Int] {
        var runs: [Int] = []
        var index = 0
        var total = 0
        while index < rle.count {
            let run = try readVarint(rle, at: &index)
            total += run
            guard total <= boxArea else { throw DecodeError.runsExceedBox(total: total, boxArea: boxArea) }
            runs.append(run)
        }
        return runs
    }

    @inline(__always)
    private static func appendVarint(_ value: Int, to out: inout [UInt8]) {
        var v = UInt(value)
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inline(__always)
    private static func readVarint(_ bytes: [UInt8], at index: inout Int) throws -> Int {
        var value = 0
        var shift = 0
        while true {
            guard index < bytes.count, shift < 63 else { throw DecodeError.truncatedVarint }
            let byte = bytes[index]
            index += 1
            value |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }
}
